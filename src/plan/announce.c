/*
 * announce: the tables pods announce beyond their aggregates (a lab's
 * `announce:`; docs/testing-bgp.md, "Full tables").
 *
 * Generated tables: each pod gets a block of PI_TABLE_SPACE4/6, blocks
 * carved largest first (ties in lab order) so they always fit when the
 * loader's sum check passed; inside its block a pod's prefixes are drawn
 * from its own random stream, with lengths spread like the real table
 * (mostly /24 and /48, some shorter ones covering others, as there). The
 * same lab gives the same prefixes. MRT tables are the dump's routes, as
 * the loader read them. Then the import limits of the sessions that carry
 * them, and the routers' memory, grow with them.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"

/* Lengths in thousandths, roughly the shape of the public tables in 2024. */
struct lenw {
	uint8_t len;
	uint16_t w;
};
static const struct lenw real4[] = { { 24, 600 }, { 23, 100 }, { 22, 120 }, { 21, 50 }, { 20, 45 },
				     { 19, 30 },  { 18, 20 },  { 17, 15 },  { 16, 20 } };
static const struct lenw real6[] = { { 48, 500 }, { 47, 30 }, { 46, 40 }, { 45, 20 }, { 44, 80 }, { 42, 20 },
				     { 40, 60 },  { 36, 40 }, { 34, 10 }, { 33, 20 }, { 32, 150 }, { 29, 30 } };

static unsigned pick_len(struct pi_rng *r, uint8_t family, unsigned fixed)
{
	if (fixed)
		return fixed;
	const struct lenw *t = family == PI_AF_V4 ? real4 : real6;
	size_t n = family == PI_AF_V4 ? PI_ARRAY_LEN(real4) : PI_ARRAY_LEN(real6);
	uint32_t x = pi_rng_below(r, 1000);
	for (size_t i = 0; i < n; i++) {
		if (x < t[i].w)
			return t[i].len;
		x -= t[i].w;
	}
	return t[0].len;
}

/* A prefix as a set key: its top 56 bits of address (all of v4, /48 of v6) and its length. */
static uint64_t key_of(const struct pi_prefix *p)
{
	uint64_t k = 0;
	for (int i = 0; i < (p->family == PI_AF_V4 ? 4 : 6); i++)
		k = k << 8 | p->addr[i];
	return (k << 8 | p->len) ^ ((uint64_t)p->family << 62);
}

/* n prefixes of one family inside block into out (struct pi_plan_troute). */
static uint8_t generate(const struct pi_prefix *block, uint32_t n, unsigned fixed, struct pi_rng *r,
			struct pi_vec *out)
{
	struct pl_set64 seen;
	pl_set64_init(&seen, (size_t)n * 2);
	uint8_t family = block->family, maxlen = 0;
	unsigned base = fixed ? fixed : family == PI_AF_V4 ? 24 : 48;
	for (uint32_t i = 0; i < n; i++) {
		struct pi_prefix p;
		bool ok = false;
		/* A few draws at the chosen length; a crowded length gives way to
		 * the base one, which has room for every prefix (the block holds twice). */
		for (int t = 0; t < 8 && !ok; t++) {
			unsigned len = pick_len(r, family, fixed);
			uint64_t slots = pi_prefix_count(block, len);
			ok = pi_prefix_subnet(block, len, pi_rng_next(r) % slots, &p) == 0 && pl_set64_add(&seen, key_of(&p) + 1);
		}
		uint64_t slots = pi_prefix_count(block, base), at = pi_rng_next(r) % slots;
		for (uint64_t k = 0; !ok && k < slots; k++)
			ok = pi_prefix_subnet(block, base, (at + k) % slots, &p) == 0 && pl_set64_add(&seen, key_of(&p) + 1);
		if (!ok)
			break; /* cannot happen: the block holds twice n at the base length */
		struct pi_plan_troute *t = pi_vec_push(out);
		t->net = p;
		if (p.len > maxlen)
			maxlen = p.len;
	}
	pl_set64_free(&seen);
	return maxlen;
}

struct want {
	uint32_t pod;
	uint8_t family;
	unsigned len; /* block length */
};

static int cmp_want(const void *x, const void *y)
{
	const struct want *a = x, *b = y;
	if (a->len != b->len)
		return a->len < b->len ? -1 : 1;
	return a->pod < b->pod ? -1 : a->pod > b->pod;
}

/* Blocks for every generated table of one family, largest first. */
static void carve(struct pl_ctx *c, uint8_t family, struct pi_prefix *blocks)
{
	struct pi_plan *plan = c->plan;
	struct want *w = pi_xcalloc(plan->n_pods + 1, sizeof(*w));
	size_t n = 0;
	for (uint32_t p = 0; p < plan->n_pods; p++) {
		const struct pi_lab_pod *lp = c->px[p].lp;
		const struct pi_lab_announce *a = lp ? lp->announce : NULL;
		uint32_t cnt = !a || a->mrt ? 0 : family == PI_AF_V4 ? a->count4 : a->count6;
		if (cnt)
			w[n++] = (struct want){ p, family, pi_lab_table_block_len(family, cnt, family == PI_AF_V4 ? a->len4 : a->len6) };
	}
	qsort(w, n, sizeof(*w), cmp_want);
	struct pi_prefix space;
	pi_prefix_parse(family == PI_AF_V4 ? PI_TABLE_SPACE4 : PI_TABLE_SPACE6, &space);
	struct pi_alloc al;
	pi_alloc_init(&al, &space);
	for (size_t i = 0; i < n; i++)
		if (pi_alloc_take(&al, w[i].len, &blocks[w[i].pod]) < 0)
			PL_ERR(c, c->px[w[i].pod].lp->announce->pos, "announce fewer prefixes",
			       "the generated tables do not fit %s", family == PI_AF_V4 ? PI_TABLE_SPACE4 : PI_TABLE_SPACE6);
	free(w);
}

static void copy_mrt(struct pi_plan *plan, const struct pi_lab_announce *a, struct pi_plan_table *t)
{
	t->mrt = true;
	t->routes = pi_arena_alloc(&plan->arena, ((size_t)a->n_routes + 1) * sizeof(*t->routes));
	t->asns = pi_arena_alloc(&plan->arena, ((size_t)a->n_asns + 1) * sizeof(*t->asns));
	memcpy(t->asns, a->asns, (size_t)a->n_asns * sizeof(*t->asns));
	for (int pass = 0; pass < 2; pass++)
		for (uint32_t i = 0; i < a->n_routes; i++) {
			const struct pi_lab_mrt_route *r = &a->routes[i];
			if ((r->net.family == PI_AF_V4) != (pass == 0))
				continue;
			struct pi_plan_troute *o = &t->routes[t->n4 + t->n6];
			o->net = r->net;
			o->path_off = r->path_off;
			o->n_path = r->n_path;
			*(pass == 0 ? &t->n4 : &t->n6) += 1;
			uint8_t *ml = pass == 0 ? &t->maxlen4 : &t->maxlen6;
			if (r->net.len > *ml)
				*ml = r->net.len;
		}
}

static struct pi_plan_table *gen_table(struct pl_ctx *c, uint32_t p, const struct pi_lab_announce *a,
				       const struct pi_prefix *b4, const struct pi_prefix *b6)
{
	struct pi_plan *plan = c->plan;
	struct pi_plan_table *t = pi_arena_alloc(&plan->arena, sizeof(*t));
	struct pi_vec v = PI_VEC_INIT(struct pi_plan_troute);
	struct pi_rng r;
	pl_pod_rng(c, p, 0x7461626c65ull /* "table" */, &r);
	if (a->count4 && pi_prefix_is_set(b4)) {
		t->block4 = *b4;
		t->maxlen4 = generate(b4, a->count4, a->len4, &r, &v);
	}
	t->n4 = (uint32_t)v.len;
	if (a->count6 && pi_prefix_is_set(b6)) {
		t->block6 = *b6;
		t->maxlen6 = generate(b6, a->count6, a->len6, &r, &v);
	}
	t->n6 = (uint32_t)v.len - t->n4;
	t->routes = pi_arena_alloc(&plan->arena, (v.len + 1) * sizeof(*t->routes));
	if (v.len)
		memcpy(t->routes, v.data, v.len * sizeof(*t->routes));
	t->asns = pi_arena_alloc(&plan->arena, sizeof(*t->asns));
	pi_vec_free(&v);
	return t;
}

void pl_tables(struct pl_ctx *c)
{
	struct pi_plan *plan = c->plan;
	struct pi_prefix *b4 = pi_xcalloc(plan->n_pods + 1, sizeof(*b4)), *b6 = pi_xcalloc(plan->n_pods + 1, sizeof(*b6));
	carve(c, PI_AF_V4, b4);
	carve(c, PI_AF_V6, b6);
	for (uint32_t p = 0; p < plan->n_pods; p++) {
		const struct pi_lab_pod *lp = c->px[p].lp;
		const struct pi_lab_announce *a = lp ? lp->announce : NULL;
		if (!a)
			continue;
		struct pi_plan_table *t;
		if (a->mrt) {
			t = pi_arena_alloc(&plan->arena, sizeof(*t));
			copy_mrt(plan, a, t);
		} else {
			t = gen_table(c, p, a, &b4[p], &b6[p]);
		}
		plan->pods[p].table = t;
		plan->table_routes4 += t->n4;
		plan->table_routes6 += t->n6;
	}
	free(b4);
	free(b6);
}

static uint32_t add_sat(uint32_t a, uint64_t b)
{
	uint64_t v = a + b;
	return v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

/* The table routes of pod p's cone in one family. */
static uint64_t cone_routes(const struct pi_plan *plan, uint32_t p, uint8_t family)
{
	uint64_t n = 0;
	const struct pi_plan_pod *pod = &plan->pods[p];
	for (uint32_t i = 0; i < pod->n_cone; i++) {
		const struct pi_plan_table *t = plan->pods[pod->cone[i]].table;
		if (t)
			n += family == PI_AF_V4 ? t->n4 : t->n6;
	}
	return n;
}

/* What one side imports over session s from the other (rel: what the
 * other side is to it), beyond the plan's own limit. */
static uint64_t extra(const struct pi_plan *plan, const struct pi_plan_session *s, uint32_t other, enum pi_rel rel)
{
	uint64_t all = s->family == PI_AF_V4 ? plan->table_routes4 : plan->table_routes6;
	switch (rel) {
	case PI_REL_CUSTOMER:
	case PI_REL_PEER:
	case PI_REL_RS_CLIENT:
		return cone_routes(plan, plan->nodes[other].pod, s->family);
	case PI_REL_PROVIDER:
	case PI_REL_RS:
		return all;
	default:
		return 0;
	}
}

void pl_table_limits(struct pl_ctx *c)
{
	struct pi_plan *plan = c->plan;
	if (!plan->table_routes4 && !plan->table_routes6)
		return;
	struct pi_plan_session *s = c->sessions.data;
	for (size_t i = 0; i < c->sessions.len; i++) {
		if (s[i].a_max_prefix)
			s[i].a_max_prefix = add_sat(s[i].a_max_prefix, extra(plan, &s[i], s[i].b, s[i].rel));
		if (s[i].b_max_prefix)
			s[i].b_max_prefix = add_sat(s[i].b_max_prefix, extra(plan, &s[i], s[i].a, pi_rel_invert(s[i].rel)));
	}
}

uint32_t pl_table_mem_mb(const struct pi_plan *plan)
{
	/* BIRD keeps a route in its table and in each session's adj-RIB at
	 * a few hundred bytes each, the kernel another hundred: 1 KiB per
	 * route is room for a border with a handful of sessions. */
	uint64_t mb = (plan->table_routes4 + plan->table_routes6) / 1024;
	return mb > UINT32_MAX / 2 ? UINT32_MAX / 2 : (uint32_t)mb;
}
