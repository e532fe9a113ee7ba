/*
 * model internals: the YAML tree the loaders walk, and the shared context
 * that collects diagnostics. Not part of the public surface (lab.h is).
 *
 * Loading is two steps. libyaml's events are turned into a small tree of
 * struct pi_ynode (kept in a scratch arena; libyaml's own objects are freed
 * event by event), then the schema walkers read that tree and copy what the
 * model keeps into the model's arena. Walkers never stop at the first
 * problem: every check adds to the diag and parsing goes on.
 */
#ifndef PI_MODEL_INTERNAL_H
#define PI_MODEL_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "pocketinternet/diag.h"
#include "pocketinternet/lab.h"
#include "pocketinternet/util.h"

enum pi_ykind { PI_Y_NULL, PI_Y_SCALAR, PI_Y_SEQ, PI_Y_MAP };

struct pi_ynode {
	enum pi_ykind kind;
	bool plain;           /* scalar written without quotes: may be a number or bool */
	struct pi_pos pos;    /* where the node starts */
	const char *str;      /* scalar text (NUL-terminated); "" for null */
	size_t len;
	struct pi_ynode **kids; /* seq: items; map: key0, val0, key1, val1, ... */
	size_t n;               /* seq: items; map: pairs */
	size_t weight;          /* nodes in the subtree, aliases expanded */
};

/* Bounds that keep hostile input cheap (documented in docs/lab-format.md). */
#define PI_Y_MAX_DEPTH 64
#define PI_Y_MAX_WEIGHT 1000000
#define PI_LD_MAX_ERRORS 200

struct pi_ld {
	struct pi_arena *arena; /* the model: strings kept by lab/blueprints go here */
	struct pi_arena tmp;    /* the tree, hints: freed when the load ends */
	struct pi_diag *diag;
	const char *file;       /* file being walked (in arena) */
	unsigned errors;        /* added by this load, capped at PI_LD_MAX_ERRORS */
	unsigned warnings;      /* likewise */
};

void pi_ld_init(struct pi_ld *ld, struct pi_arena *arena, struct pi_diag *diag);
void pi_ld_done(struct pi_ld *ld);
void pi_ld_err(struct pi_ld *ld, struct pi_pos pos, const char *hint, const char *fmt, ...) PI_PRINTF(4, 5);
/* A warning: reported, but the load still succeeds. */
void pi_ld_warn(struct pi_ld *ld, struct pi_pos pos, const char *hint, const char *fmt, ...) PI_PRINTF(4, 5);
/* A file's value made safe and short for a message (pi_diag_value), in ld->tmp. */
const char *pi_ld_val(struct pi_ld *ld, const char *s);
/* Sorts the entries [from, to) by position, file by file. */
void pi_ld_sort(struct pi_diag *d, size_t from, size_t to);
/* The end of a load's sortable range: the "too many errors" note stays last. */
#define PI_LD_SORT_END(ld) (pi_diag_count((ld)->diag) - ((ld)->errors > PI_LD_MAX_ERRORS))
/* True once the error cap is reached: walkers stop doing work no one sees. */
static inline bool pi_ld_full(const struct pi_ld *ld)
{
	return ld->errors > PI_LD_MAX_ERRORS;
}
/* How many entries of a list or mapping to walk: n->n, or max after
 * reporting that there are too many (bounds the walkers' pairwise checks). */
size_t pi_y_cap(struct pi_ld *ld, const struct pi_ynode *n, size_t max, const char *what);
/* A formatted string in the scratch arena (for hints). */
char *pi_ld_fmt(struct pi_ld *ld, const char *fmt, ...) PI_PRINTF(2, 3);
struct pi_pos pi_ld_pos(const struct pi_ld *ld, unsigned line, unsigned col);

/* Parses text into a tree in ld->tmp. 0 with *root (NULL for an empty
 * document, after adding an error), or -EINVAL after a syntax error. */
int pi_yaml_parse(struct pi_ld *ld, const char *text, size_t len, struct pi_ynode **root);

/* ---- schema helpers: each adds a diagnostic and returns false on a problem ---- */
const char *pi_y_kind_name(const struct pi_ynode *n);
struct pi_ynode *pi_y_get(const struct pi_ynode *map, const char *key);
struct pi_ynode *pi_y_key(const struct pi_ynode *map, const char *key); /* the key node */
bool pi_y_is(struct pi_ld *ld, const struct pi_ynode *n, enum pi_ykind k, const char *what);
/* Reports unknown keys (with the nearest allowed one) and duplicate keys. */
void pi_y_keys(struct pi_ld *ld, const struct pi_ynode *map, const char *const *allowed, const char *where);
bool pi_y_str(struct pi_ld *ld, const struct pi_ynode *n, const char *what, const char **out);
bool pi_y_uint(struct pi_ld *ld, const struct pi_ynode *n, const char *what, uint64_t lo, uint64_t hi,
	       uint64_t *out);
bool pi_y_bool(struct pi_ld *ld, const struct pi_ynode *n, const char *what, bool *out);
/* One of words (NULL-terminated); *out is its index. */
bool pi_y_enum(struct pi_ld *ld, const struct pi_ynode *n, const char *what, const char *const *words, unsigned *out);
/* Name rules: [a-z][a-z0-9-]*, no trailing '-', at most max chars (dash: allow '-'). */
bool pi_y_name_ok(const char *s, size_t max, bool dash);

/* The closest word (edit distance) if it is close enough, else NULL. */
/* "a, b, c" (at most limit words, then ", ..."), in ld->tmp. */
const char *pi_ld_join(struct pi_ld *ld, const char *const *words, size_t n, size_t limit);

/* ---- blueprints ---- */
/* Loads every *.yml in dir (sorted) into the arena. 0, or -errno when the
 * directory cannot be read; problems inside files go to diag. */
int pi_bp_load_dir(struct pi_ld *ld, const char *dir, struct pi_blueprint **out, size_t *n);
/* Parses one blueprint from memory into *bp (fields in ld->arena). */
void pi_bp_parse(struct pi_ld *ld, const char *name, const char *file, const char *text, size_t len,
		 struct pi_blueprint *bp);
/* Standalone check for tests and fuzzing: 0, or -EINVAL with diag filled. */
int pi_blueprint_check_mem(const char *name, const char *file, const char *text, size_t len, struct pi_diag *diag);

/* ---- labs ---- */
bool pi_legacy_detect(const struct pi_ynode *root);
void pi_legacy_parse(struct pi_ld *ld, const struct pi_ynode *root, struct pi_lab *lab);
void pi_native_parse(struct pi_ld *ld, const struct pi_ynode *root, struct pi_lab *lab);
/* Reads `title:` (printable text, at most PI_LAB_TITLE_MAX bytes) into lab->title. */
void pi_lab_parse_title(struct pi_ld *ld, const struct pi_ynode *root, struct pi_lab *lab);
/* Reads `impairments:` (a list of {match: {...}, rate: ..., delay: ...})
 * into lab->impairments (impairments.c). */
void pi_lab_parse_impairments(struct pi_ld *ld, const struct pi_ynode *n, struct pi_lab *lab);
/* teams.c: a pod entry's `configure:` (named: the entry has a name), and
 * `teams:` once lab->pods is final. */
void pi_lab_parse_configure(struct pi_ld *ld, const struct pi_ynode *n, bool named, struct pi_lab_pod *pod);
void pi_lab_parse_teams(struct pi_ld *ld, const struct pi_ynode *n, struct pi_lab *lab);
/* A pod's `announce:` (announce.c); an MRT dump is read here. */
void pi_lab_parse_announce(struct pi_ld *ld, const struct pi_ynode *n, const struct pi_lab *lab,
			   struct pi_lab_pod *pod);
/* Generated tables fit PI_TABLE_SPACE4/6 and stay clear of the lab's space. */
void pi_lab_check_tables(struct pi_ld *ld, const struct pi_lab *lab);
/* The lab's `rpki:` section (rpki.c). */
void pi_lab_parse_rpki(struct pi_ld *ld, const struct pi_ynode *n, struct pi_lab *lab);
/* Reads `external:` into lab->externals, appending each speaker's pod and
 * relationship (external.c); after every pod and relationship is read. */
void pi_lab_parse_externals(struct pi_ld *ld, const struct pi_ynode *n, struct pi_lab *lab);
/* "my_Lab.v2" -> "my-lab-v2": a lab name from a file name. */
const char *pi_lab_name_from_file(struct pi_arena *a, const char *path);

#endif
