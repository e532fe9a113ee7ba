/*
 * yaml: libyaml events -> a small positioned tree (struct pi_ynode).
 *
 * Events rather than libyaml's document loader, so that nesting depth and
 * alias expansion are bounded here (a hostile file cannot recurse us out of
 * stack or make the walkers visit a billion nodes), and every event is freed
 * as soon as its text is copied. An alias refers to an anchor that is
 * already complete, so the tree can share subtrees but never has a cycle.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>
#include "model.h"
#include "pocketinternet/log.h"

void pi_ld_init(struct pi_ld *ld, struct pi_arena *arena, struct pi_diag *diag)
{
	memset(ld, 0, sizeof(*ld));
	ld->arena = arena;
	ld->diag = diag;
}

void pi_ld_done(struct pi_ld *ld)
{
	pi_arena_free(&ld->tmp);
}

struct pi_pos pi_ld_pos(const struct pi_ld *ld, unsigned line, unsigned col)
{
	return (struct pi_pos){ .file = ld->file, .line = line, .col = col };
}

void pi_ld_err(struct pi_ld *ld, struct pi_pos pos, const char *hint, const char *fmt, ...)
{
	/* One more than the cap says that the rest were dropped. */
	va_list ap;
	va_start(ap, fmt);
	pi_diag_vadd_capped(ld->diag, &ld->errors, PI_LD_MAX_ERRORS, pos, hint, fmt, ap);
	va_end(ap);
}

void pi_ld_warn(struct pi_ld *ld, struct pi_pos pos, const char *hint, const char *fmt, ...)
{
	/* Warnings share the cap's budget of output but never fail the load. */
	if (ld->warnings >= PI_LD_MAX_ERRORS)
		return;
	ld->warnings++;
	va_list ap;
	va_start(ap, fmt);
	pi_diag_vwarn(ld->diag, pos, hint, fmt, ap);
	va_end(ap);
}

const char *pi_ld_val(struct pi_ld *ld, const char *s)
{
	char buf[PI_DIAG_VALUE_BUF];
	return pi_arena_strdup(&ld->tmp, pi_diag_value(buf, s));
}

/* Position order within each file reads better than check order; files keep
 * the order in which they first reported. A stable insertion sort: the
 * range is capped at PI_LD_MAX_ERRORS + 1 entries. */
void pi_ld_sort(struct pi_diag *d, size_t from, size_t n)
{
	if (n <= from + 1)
		return;
	struct pi_diag_entry *e = (struct pi_diag_entry *)d->entries.data + from;
	size_t m = n - from;
	size_t *rank = pi_xcalloc(m, sizeof(*rank));
	for (size_t i = 0; i < m; i++) {
		rank[i] = i;
		for (size_t j = 0; j < i; j++) {
			bool same = (!e[i].pos.file && !e[j].pos.file) ||
				    (e[i].pos.file && e[j].pos.file && strcmp(e[i].pos.file, e[j].pos.file) == 0);
			if (same) {
				rank[i] = rank[j];
				break;
			}
		}
	}
	for (size_t i = 1; i < m; i++) {
		struct pi_diag_entry x = e[i];
		size_t r = rank[i], j = i;
		while (j > 0 && (rank[j - 1] > r || (rank[j - 1] == r && (e[j - 1].pos.line > x.pos.line ||
									  (e[j - 1].pos.line == x.pos.line &&
									   e[j - 1].pos.col > x.pos.col))))) {
			e[j] = e[j - 1];
			rank[j] = rank[j - 1];
			j--;
		}
		e[j] = x;
		rank[j] = r;
	}
	free(rank);
}

char *pi_ld_fmt(struct pi_ld *ld, const char *fmt, ...)
{
	struct pi_buf b;
	pi_buf_init(&b);
	va_list ap;
	va_start(ap, fmt);
	pi_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	char *s = pi_arena_strdup(&ld->tmp, pi_buf_str(&b));
	pi_buf_free(&b);
	return s;
}

struct frame {
	struct pi_ynode *node;
	struct pi_vec kids; /* struct pi_ynode * */
	const char *anchor;
};

/* Anchors by name: an open-addressing table, so a file of many anchors and
 * aliases costs linear time (a list search made 100,000 of them take a
 * minute). */
struct anchor {
	const char *name; /* NULL: empty slot */
	struct pi_ynode *node;
};

struct builder {
	struct pi_ld *ld;
	struct pi_vec stack;    /* struct frame */
	struct anchor *anchors; /* cap slots, at most half full */
	size_t n_anchors, cap;
	struct pi_ynode *root;
	bool too_big;
	struct pi_pos too_big_pos;
};

static struct pi_pos mark_pos(struct pi_ld *ld, yaml_mark_t m)
{
	return pi_ld_pos(ld, (unsigned)m.line + 1, (unsigned)m.column + 1);
}

static const char *copy_anchor(struct builder *b, const yaml_char_t *a)
{
	return a ? pi_arena_strdup(&b->ld->tmp, (const char *)a) : NULL;
}

static struct anchor *anchor_slot(struct anchor *set, size_t cap, const char *name)
{
	size_t h = (size_t)(pi_hash64(name, strlen(name), 0) & (cap - 1));
	while (set[h].name && strcmp(set[h].name, name) != 0)
		h = (h + 1) & (cap - 1);
	return &set[h];
}

static void anchor_put(struct builder *b, const char *name, struct pi_ynode *n)
{
	if (2 * (b->n_anchors + 1) > b->cap) {
		size_t cap = b->cap ? 2 * b->cap : 64;
		struct anchor *set = pi_xcalloc(cap, sizeof(*set));
		for (size_t i = 0; i < b->cap; i++)
			if (b->anchors[i].name)
				*anchor_slot(set, cap, b->anchors[i].name) = b->anchors[i];
		free(b->anchors);
		b->anchors = set;
		b->cap = cap;
	}
	struct anchor *a = anchor_slot(b->anchors, b->cap, name);
	/* A redefined anchor shadows the old one, as in YAML. */
	if (!a->name)
		b->n_anchors++;
	a->name = name;
	a->node = n;
}

static struct pi_ynode *find_anchor(struct builder *b, const char *name)
{
	if (!b->cap)
		return NULL;
	struct anchor *a = anchor_slot(b->anchors, b->cap, name);
	return a->name ? a->node : NULL;
}

/* Adds a finished node to its parent (or makes it the root); false when the
 * expanded size went over the bound. */
static bool attach(struct builder *b, struct pi_ynode *n, const char *anchor)
{
	if (anchor)
		anchor_put(b, anchor, n);
	if (b->stack.len == 0) {
		b->root = n;
		return true;
	}
	struct frame *f = pi_vec_at(&b->stack, b->stack.len - 1);
	*(struct pi_ynode **)pi_vec_push(&f->kids) = n;
	f->node->weight += n->weight;
	if (f->node->weight <= PI_Y_MAX_WEIGHT)
		return true;
	if (!b->too_big)
		b->too_big_pos = n->pos;
	return false;
}

static bool is_null_text(const char *s, size_t len)
{
	return len == 0 || strcmp(s, "~") == 0 || strcmp(s, "null") == 0 || strcmp(s, "Null") == 0 ||
	       strcmp(s, "NULL") == 0;
}

static void on_scalar(struct builder *b, yaml_event_t *ev, struct pi_pos pos)
{
	struct pi_ld *ld = b->ld;
	struct pi_ynode *n = pi_arena_alloc(&ld->tmp, sizeof(*n));
	const char *s = (const char *)ev->data.scalar.value;
	size_t len = ev->data.scalar.length;
	n->pos = pos;
	n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
	n->kind = n->plain && is_null_text(s, len) ? PI_Y_NULL : PI_Y_SCALAR;
	n->str = pi_arena_strndup(&ld->tmp, s, len);
	n->len = len;
	n->weight = 1;
	if (!attach(b, n, copy_anchor(b, ev->data.scalar.anchor)))
		b->too_big = true;
}

/* A sequence or mapping starts: a frame collects its items until it ends. */
static int on_open(struct builder *b, yaml_event_t *ev, struct pi_pos pos)
{
	struct pi_ld *ld = b->ld;
	if (b->stack.len >= PI_Y_MAX_DEPTH) {
		pi_ld_err(ld, pos, "flatten the file; labs and blueprints need only a few levels",
			  "nesting deeper than %d levels", PI_Y_MAX_DEPTH);
		return -EINVAL;
	}
	struct pi_ynode *n = pi_arena_alloc(&ld->tmp, sizeof(*n));
	bool seq = ev->type == YAML_SEQUENCE_START_EVENT;
	n->kind = seq ? PI_Y_SEQ : PI_Y_MAP;
	n->pos = pos;
	n->str = "";
	n->weight = 1;
	struct frame *f = pi_vec_push(&b->stack);
	f->node = n;
	f->kids = (struct pi_vec)PI_VEC_INIT(struct pi_ynode *);
	f->anchor = copy_anchor(b, seq ? ev->data.sequence_start.anchor : ev->data.mapping_start.anchor);
	return 0;
}

/* A sequence or mapping ends: its items move into the arena, the node into its parent. */
static void on_close(struct builder *b)
{
	struct pi_ld *ld = b->ld;
	struct frame f = *(struct frame *)pi_vec_at(&b->stack, b->stack.len - 1);
	b->stack.len--;
	struct pi_ynode *n = f.node;
	size_t k = f.kids.len;
	n->kids = pi_arena_alloc(&ld->tmp, (k ? k : 1) * sizeof(*n->kids));
	if (k)
		memcpy(n->kids, f.kids.data, k * sizeof(*n->kids));
	n->n = n->kind == PI_Y_MAP ? k / 2 : k;
	pi_vec_free(&f.kids);
	if (!attach(b, n, f.anchor))
		b->too_big = true;
}

static int on_alias(struct builder *b, yaml_event_t *ev, struct pi_pos pos)
{
	const char *name = (const char *)ev->data.alias.anchor;
	struct pi_ynode *n = find_anchor(b, name);
	if (!n) {
		pi_ld_err(b->ld, pos, "define the anchor (&name) before this alias (*name)", "unknown alias '*%s'",
			  name);
		return -EINVAL;
	}
	/* The alias's own position: the shared node points at the anchor. */
	if (!attach(b, n, NULL)) {
		b->too_big = true;
		b->too_big_pos = pos;
	}
	return 0;
}

/* Handles one event; returns 0, 1 at the end of the stream, or -EINVAL. */
static int on_event(struct builder *b, yaml_event_t *ev, unsigned *docs)
{
	struct pi_pos pos = mark_pos(b->ld, ev->start_mark);
	switch (ev->type) {
	case YAML_STREAM_END_EVENT:
		return 1;
	case YAML_DOCUMENT_START_EVENT:
		if (++*docs > 1) {
			pi_ld_err(b->ld, pos, "keep one lab or blueprint per file; remove the extra '---'",
				  "more than one YAML document in this file");
			return -EINVAL;
		}
		return 0;
	case YAML_SCALAR_EVENT:
		on_scalar(b, ev, pos);
		return 0;
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT:
		return on_open(b, ev, pos);
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		on_close(b);
		return 0;
	case YAML_ALIAS_EVENT:
		return on_alias(b, ev, pos);
	default:
		return 0;
	}
}

/* libyaml reports reader errors (bad UTF-8, NUL bytes) as a byte offset
 * only: count lines and characters up to it. */
static struct pi_pos offset_pos(const struct pi_ld *ld, const char *text, size_t len, size_t off)
{
	unsigned line = 1, col = 1;
	if (off > len)
		off = len;
	for (size_t i = 0; i < off; i++) {
		unsigned char ch = (unsigned char)text[i];
		if (ch == '\n') {
			line++;
			col = 1;
		} else if ((ch & 0xc0) != 0x80) {
			col++; /* UTF-8 continuation bytes are part of the previous character */
		}
	}
	return pi_ld_pos(ld, line, col);
}

int pi_yaml_parse(struct pi_ld *ld, const char *text, size_t len, struct pi_ynode **root)
{
	struct builder b = { .ld = ld };
	b.stack = (struct pi_vec)PI_VEC_INIT(struct frame);
	yaml_parser_t p;
	unsigned docs = 0;
	int rc = 0;
	*root = NULL;
	if (!yaml_parser_initialize(&p))
		pi_fatal("out of memory (yaml parser)");
	yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
	for (;;) {
		yaml_event_t ev;
		if (!yaml_parser_parse(&p, &ev)) {
			struct pi_pos pos = mark_pos(ld, p.problem_mark);
			if (p.error == YAML_READER_ERROR)
				pi_ld_err(ld, offset_pos(ld, text, len, p.problem_offset),
					  p.problem_value == 0 ? "remove the NUL byte: lab files are text"
							       : "save the file as UTF-8 text",
					  "cannot read YAML: %s (byte %zu)", p.problem ? p.problem : "error",
					  p.problem_offset);
			else if (p.context)
				pi_ld_err(ld, pos, "check the indentation and quoting near here",
					  "YAML syntax error: %s %s (line %u)", p.problem ? p.problem : "error",
					  p.context, (unsigned)p.context_mark.line + 1);
			else
				pi_ld_err(ld, pos, "check the indentation and quoting near here",
					  "YAML syntax error: %s", p.problem ? p.problem : "error");
			rc = -EINVAL;
			break;
		}
		int r = on_event(&b, &ev, &docs);
		yaml_event_delete(&ev);
		if (b.too_big) {
			pi_ld_err(ld, b.too_big_pos, "use fewer aliases (*name) or a smaller file",
				  "the document expands to more than %d nodes (the limit) here", PI_Y_MAX_WEIGHT);
			rc = -EINVAL;
			break;
		}
		if (r < 0) {
			rc = r;
			break;
		}
		if (r > 0)
			break;
	}
	for (size_t i = 0; i < b.stack.len; i++)
		pi_vec_free(&((struct frame *)pi_vec_at(&b.stack, i))->kids);
	pi_vec_free(&b.stack);
	free(b.anchors);
	yaml_parser_delete(&p);
	if (rc == 0) {
		*root = b.root;
		if (!b.root || b.root->kind == PI_Y_NULL) {
			*root = NULL;
			pi_ld_err(ld, pi_ld_pos(ld, 0, 0), "see docs/lab-format.md for what a file holds",
				  "the file is empty");
		}
	}
	return rc;
}
