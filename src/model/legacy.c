/*
 * legacy: the original Pocket Internet lab format.
 *
 *   title: Main Demo Lab        # optional, kept as the lab's title
 *   name: demo1                 # optional; else the file name
 *   pods:
 *     - number: "16.1"          # X.Y, 16 <= X <= 31, 1 <= Y <= 255
 *       kind: dns               # base | dns | web
 *       routing: {daemon: bird, count: 2}   # older files: number: 2
 *       stacks: [v4, v6]
 *   peerings:
 *     - {left_pod: "16.1", left_router: 1, right_pod: "16.2", right_router: 1}
 *   config: {...}               # accepted and ignored, with a warning
 *
 * It is recognised by pod entries with `number:` (or a `peerings:` list) and
 * kept as written in struct pi_legacy; the planner maps it onto blueprints.
 */
#include <string.h>
#include "model.h"

static const char *const legacy_keys[] = { "name", "title", "seed", "pods", "peerings", "config", NULL };
static const char *const pod_keys[] = { "number", "kind", "routing", "stacks", NULL };
static const char *const routing_keys[] = { "daemon", "count", "number", NULL };
static const char *const peering_keys[] = { "left_pod", "left_router", "right_pod", "right_router", NULL };
static const char *const kind_names[] = { "base", "dns", "web", NULL }; /* enum pi_legacy_kind order */
static const char *const daemon_names[] = { "bird", NULL };
static const char *const stack_names[] = { "v4", "v6", NULL };

#define LEGACY_MAX_ROUTERS 8

/* Pods by number: X.Y has 16 x 255 possible values, so a direct table makes
 * duplicate checks and peering lookups constant-time. */
struct legacy_index {
	const struct pi_legacy_pod *by_num[16][256];
};

bool pi_legacy_detect(const struct pi_ynode *root)
{
	if (!root || root->kind != PI_Y_MAP)
		return false;
	if (pi_y_get(root, "peerings"))
		return true;
	const struct pi_ynode *pods = pi_y_get(root, "pods");
	if (!pods || pods->kind != PI_Y_SEQ)
		return false;
	for (size_t i = 0; i < pods->n; i++)
		if (pi_y_get(pods->kids[i], "number"))
			return true;
	return false;
}

/* "16.1" -> x=16, y=1; false with a diagnostic. */
static bool parse_number(struct pi_ld *ld, const struct pi_ynode *n, const char *what, unsigned *x, unsigned *y)
{
	const char *hint = "write the pod number as \"X.Y\" with X from 16 to 31 and Y from 1 to 255, e.g. \"16.1\"";
	if (!n || n->kind != PI_Y_SCALAR) {
		pi_ld_err(ld, n ? n->pos : pi_ld_pos(ld, 0, 0), hint, "%s must be a pod number \"X.Y\", not %s", what,
			  pi_y_kind_name(n));
		return false;
	}
	const char *s = n->str;
	unsigned v[2] = { 0, 0 };
	int part = 0;
	size_t digits = 0;
	bool ok = true;
	for (; *s && ok; s++) {
		if (*s >= '0' && *s <= '9') {
			v[part] = v[part] * 10 + (unsigned)(*s - '0');
			ok = ++digits <= 3;
		} else if (*s == '.' && part == 0 && digits > 0) {
			part = 1;
			digits = 0;
		} else {
			ok = false;
		}
	}
	if (!ok || part != 1 || digits == 0) {
		pi_ld_err(ld, n->pos, hint, "%s '%s' is not of the form X.Y", what, pi_ld_val(ld, n->str));
		return false;
	}
	if (v[0] < 16 || v[0] > 31 || v[1] < 1 || v[1] > 255) {
		pi_ld_err(ld, n->pos, hint, "%s %u.%u is out of range (X 16..31, Y 1..255)", what, v[0], v[1]);
		return false;
	}
	*x = v[0];
	*y = v[1];
	return true;
}

static void stack_item(struct pi_ld *ld, const struct pi_ynode *item, const char *word, struct pi_legacy_pod *p)
{
	unsigned st = 0;
	struct pi_ynode tmp = *item;
	tmp.str = word;
	tmp.len = strlen(word);
	if (!pi_y_enum(ld, &tmp, "stack", stack_names, &st))
		return;
	bool *flag = st == 0 ? &p->v4 : &p->v6;
	if (*flag)
		pi_ld_err(ld, item->pos, "list each stack once", "stack '%s' listed twice", stack_names[st]);
	*flag = true;
}

/* stacks: [v4, v6]. The original project's own example writes "-v6" (no
 * space after the dash), which YAML reads as the word "-v6": that slip, or
 * a lone word, is read as the one-item list it was meant to be. */
static void parse_stacks(struct pi_ld *ld, const struct pi_ynode *v, struct pi_legacy_pod *p)
{
	if (v->kind == PI_Y_SCALAR) {
		const char *w = v->str;
		while (*w == '-' || *w == ' ')
			w++;
		p->v4 = p->v6 = false;
		pi_ld_warn(ld, v->pos, pi_ld_fmt(ld, "write a list: '- %s' (a space after the dash) or [%s]", w, w),
			   "stacks '%s' is not a list; read as [%s]", pi_ld_val(ld, v->str), pi_ld_val(ld, w));
		stack_item(ld, v, w, p);
		return;
	}
	if (!pi_y_is(ld, v, PI_Y_SEQ, "stacks"))
		return;
	p->v4 = p->v6 = false;
	if (v->n == 0)
		pi_ld_err(ld, v->pos, "list v4, v6 or both", "stacks is empty");
	for (size_t i = 0; i < v->n && !pi_ld_full(ld); i++) {
		if (v->kids[i]->kind != PI_Y_SCALAR) {
			unsigned st;
			pi_y_enum(ld, v->kids[i], "stack", stack_names, &st);
			continue;
		}
		stack_item(ld, v->kids[i], v->kids[i]->str, p);
	}
}

static void parse_pod(struct pi_ld *ld, const struct pi_ynode *n, struct pi_legacy *lg, struct legacy_index *ix,
		      bool *valid)
{
	*valid = false;
	if (!pi_y_is(ld, n, PI_Y_MAP, "a pods entry"))
		return;
	pi_y_keys(ld, n, pod_keys, "a pods entry (original format)");
	struct pi_legacy_pod *p = &lg->pods[lg->n_pods];
	memset(p, 0, sizeof(*p));
	p->pos = n->pos;
	p->routers = 1;
	p->v4 = p->v6 = true;
	const struct pi_ynode *v;
	bool ok = true;
	if (!(v = pi_y_get(n, "number"))) {
		pi_ld_err(ld, n->pos, "the original format names every pod by number, e.g. number: \"16.1\"",
			  "pod entry without 'number'");
		ok = false;
	} else if (!parse_number(ld, v, "number", &p->x, &p->y)) {
		ok = false;
	} else if (ix->by_num[p->x - 16][p->y]) {
		pi_ld_err(ld, v->pos, "give every pod its own number", "duplicate pod number %u.%u (first at line %u)",
			  p->x, p->y, ix->by_num[p->x - 16][p->y]->pos.line);
		ok = false;
	}
	unsigned kind = PI_LEGACY_BASE;
	if ((v = pi_y_get(n, "kind")) && pi_y_enum(ld, v, "pod kind", kind_names, &kind))
		p->kind = (enum pi_legacy_kind)kind;
	if ((v = pi_y_get(n, "routing")) && pi_y_is(ld, v, PI_Y_MAP, "routing")) {
		pi_y_keys(ld, v, routing_keys, "routing");
		const struct pi_ynode *d = pi_y_get(v, "daemon"), *c = pi_y_get(v, "count"), *num = pi_y_get(v, "number");
		unsigned daemon;
		if (d)
			pi_y_enum(ld, d, "routing daemon", daemon_names, &daemon);
		if (c && num)
			pi_ld_err(ld, pi_y_key(v, "number")->pos, "keep count (number is the older spelling)",
				  "routing has both count and number");
		uint64_t x;
		if ((c || num) && pi_y_uint(ld, c ? c : num, "routing count", 1, LEGACY_MAX_ROUTERS, &x))
			p->routers = (unsigned)x;
	}
	if ((v = pi_y_get(n, "stacks")))
		parse_stacks(ld, v, p);
	if (ok) {
		ix->by_num[p->x - 16][p->y] = p;
		lg->n_pods++;
		*valid = true;
	}
}


/* One side of a peering: the pod must exist and have that router. */
static bool peering_end(struct pi_ld *ld, const struct pi_ynode *entry, const struct legacy_index *ix, bool pods_ok,
			const char *side, unsigned *x, unsigned *y, unsigned *router, const struct pi_legacy_pod **pod)
{
	const char *pk = side[0] == 'l' ? "left_pod" : "right_pod";
	const char *rk = side[0] == 'l' ? "left_router" : "right_router";
	const struct pi_ynode *pn = pi_y_get(entry, pk), *rn = pi_y_get(entry, rk);
	bool ok = true;
	uint64_t r = 1;
	*pod = NULL;
	if (!pn) {
		pi_ld_err(ld, entry->pos, pi_ld_fmt(ld, "add %s: \"X.Y\"", pk), "peering without '%s'", pk);
		ok = false;
	} else if (!parse_number(ld, pn, pk, x, y)) {
		ok = false;
	} else if (!(*pod = ix->by_num[*x - 16][*y])) {
		/* When a pod number itself was broken, this would only repeat it. */
		if (pods_ok)
			pi_ld_err(ld, pn->pos, "name a pod listed under pods:", "%s: no pod %u.%u in this lab", pk, *x,
				  *y);
		ok = false;
	}
	if (!rn) {
		pi_ld_err(ld, entry->pos, pi_ld_fmt(ld, "add %s: N (1 for the pod's first router)", rk),
			  "peering without '%s'", rk);
		ok = false;
	} else if (!pi_y_uint(ld, rn, rk, 1, LEGACY_MAX_ROUTERS, &r)) {
		ok = false;
	} else if (*pod && r > (*pod)->routers) {
		pi_ld_err(ld, rn->pos,
			  pi_ld_fmt(ld, "use a router from 1 to %u, or raise routing count of pod %u.%u", (*pod)->routers,
				    *x, *y),
			  "%s: pod %u.%u has %u router%s, not %llu", rk, *x, *y, (*pod)->routers,
			  (*pod)->routers == 1 ? "" : "s", (unsigned long long)r);
		ok = false;
	}
	*router = (unsigned)r;
	return ok;
}

static void parse_peering(struct pi_ld *ld, const struct pi_ynode *n, struct pi_legacy *lg,
			  const struct legacy_index *ix, bool pods_ok)
{
	if (!pi_y_is(ld, n, PI_Y_MAP, "a peerings entry"))
		return;
	pi_y_keys(ld, n, peering_keys, "a peerings entry");
	struct pi_legacy_peering pe = { .pos = n->pos };
	const struct pi_legacy_pod *lp, *rp;
	bool l = peering_end(ld, n, ix, pods_ok, "left", &pe.left_x, &pe.left_y, &pe.left_router, &lp);
	bool r = peering_end(ld, n, ix, pods_ok, "right", &pe.right_x, &pe.right_y, &pe.right_router, &rp);
	if (!l || !r)
		return;
	if (lp == rp) {
		pi_ld_err(ld, pi_y_get(n, "right_pod")->pos, "peer two different pods",
			  "pod %u.%u cannot peer with itself", pe.left_x, pe.left_y);
		return;
	}
	/* The original project's own example peers a v4-only pod with a v6-only
	 * one: that file must still plan, so the peering stays (a link on the
	 * backbone) and only carries no session. */
	if (!((lp->v4 && rp->v4) || (lp->v6 && rp->v6)))
		pi_ld_warn(ld, n->pos, "give both pods a common stack (v4 or v6) for a BGP session",
			   "pods %u.%u and %u.%u have no IP stack in common: this peering carries no BGP session",
			   pe.left_x, pe.left_y, pe.right_x, pe.right_y);
	for (size_t i = 0; i < lg->n_peerings; i++) {
		const struct pi_legacy_peering *o = &lg->peerings[i];
		bool same = (o->left_x == pe.left_x && o->left_y == pe.left_y && o->left_router == pe.left_router &&
			     o->right_x == pe.right_x && o->right_y == pe.right_y && o->right_router == pe.right_router) ||
			    (o->left_x == pe.right_x && o->left_y == pe.right_y && o->left_router == pe.right_router &&
			     o->right_x == pe.left_x && o->right_y == pe.left_y && o->right_router == pe.left_router);
		if (same) {
			pi_ld_err(ld, n->pos, "remove the repeated peering", "duplicate peering (first at line %u)",
				  o->pos.line);
			return;
		}
	}
	lg->peerings[lg->n_peerings++] = pe;
}

void pi_legacy_parse(struct pi_ld *ld, const struct pi_ynode *root, struct pi_lab *lab)
{
	struct pi_legacy *lg = &lab->legacy;
	struct legacy_index *ix = pi_arena_alloc(&ld->tmp, sizeof(*ix));
	lab->is_legacy = true;
	lab->tld = "lab";
	pi_y_keys(ld, root, legacy_keys, "the lab (original format)");
	const struct pi_ynode *n;
	const char *s;
	uint64_t v;
	if ((n = pi_y_get(root, "name")) && pi_y_str(ld, n, "name", &s)) {
		if (pi_y_name_ok(s, PI_LAB_NAME_MAX, true))
			lab->name = s;
		else
			pi_ld_err(ld, n->pos,
				  pi_ld_fmt(ld, "use lowercase letters, digits and '-', starting with a letter, at most %d chars",
					    PI_LAB_NAME_MAX),
				  "invalid lab name '%s'", pi_ld_val(ld, s));
	}
	if ((n = pi_y_get(root, "seed")) && pi_y_uint(ld, n, "seed", 0, UINT64_MAX, &v))
		lab->seed = v;
	pi_lab_parse_title(ld, root, lab);
	/* config: held settings of the original tool (images, compose options)
	 * that mean nothing here; it is accepted whatever it contains. */
	const struct pi_ynode *cfg = pi_y_key(root, "config");
	if (cfg)
		pi_ld_warn(ld, cfg->pos, "remove it to silence this warning; images and options are chosen here",
			   "'config' (settings of the original tool) is ignored");
	bool pods_ok = true;
	if (pi_y_key(root, "pods"))
		lab->pods_pos = pi_y_key(root, "pods")->pos;
	n = pi_y_get(root, "pods");
	if (!n) {
		pi_ld_err(ld, root->pos, "add pods: with entries like {number: \"16.1\", kind: base}",
			  "the lab has no 'pods'");
		pods_ok = false;
	} else if (pi_y_is(ld, n, PI_Y_SEQ, "pods (original format)")) {
		lg->pods = pi_arena_alloc(ld->arena, (n->n ? n->n : 1) * sizeof(*lg->pods));
		if (n->n == 0) {
			pi_ld_err(ld, n->pos, "add at least one pod", "the lab has no pods");
			pods_ok = false;
		}
		size_t m = pi_y_cap(ld, n, PI_LAB_MAX_PODS, "pods");
		for (size_t i = 0; i < m && !pi_ld_full(ld); i++) {
			bool valid;
			parse_pod(ld, n->kids[i], lg, ix, &valid);
			pods_ok = pods_ok && valid;
		}
	} else {
		pods_ok = false;
	}
	if ((n = pi_y_get(root, "peerings")) && n->kind != PI_Y_NULL && pi_y_is(ld, n, PI_Y_SEQ, "peerings")) {
		lg->peerings = pi_arena_alloc(ld->arena, (n->n ? n->n : 1) * sizeof(*lg->peerings));
		size_t m = pi_y_cap(ld, n, PI_LAB_MAX_RELS, "peerings");
		for (size_t i = 0; i < m && !pi_ld_full(ld); i++)
			parse_peering(ld, n->kids[i], lg, ix, pods_ok);
	}
}
