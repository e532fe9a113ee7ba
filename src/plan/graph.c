/*
 * graph: pods, ASNs and the AS-level graph.
 *
 * Shape (docs/plan.md): transit pods form a clique of settlement-free
 * peers; every stub buys transit from providers.min..max transit pods and
 * joins ixps.min..max IXPs; every IXP is anchored by two transit pods
 * (fill_ixps), and in a lab with fewer, stubs top it up to two members, so
 * that no peering LAN is empty. Relationships written in
 * the lab replace the generator's choices for the pods they name.
 *
 * Stability (docs/plan.md): a pod's ASN and counts come from its own stream
 * (stable.c); partners are ranked by a hash of the two names (rendezvous
 * hashing), so a pod's choice changes only if a new candidate outranks the
 * ones it had. With pins, a surviving pod keeps its generated partners.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"

static bool is_reserved_asn(uint32_t asn)
{
	return asn == 0 || asn == 23456 || (asn >= 64496 && asn <= 131071) || asn >= 4200000000u;
}

/* A public-looking ASN from pod p's own stream: tier-1-like small numbers
 * for transit, a mix of 16- and 32-bit numbers for the rest. */
static uint32_t draw_asn(struct pl_ctx *c, uint32_t p, struct pl_set64 *used)
{
	enum pi_tier tier = c->plan->pods[p].tier;
	struct pi_rng rng;
	pl_pod_rng(c, p, 1, &rng);
	for (unsigned attempt = 0;; attempt++) {
		uint32_t asn;
		bool wide = attempt >= 64 || (tier == PI_TIER_STUB && pi_rng_below(&rng, 2));
		if (wide)
			asn = 131072 + pi_rng_below(&rng, attempt >= 128 ? 4000000000u : 268928);
		else if (tier == PI_TIER_TRANSIT)
			asn = 100 + pi_rng_below(&rng, 9900);
		else
			asn = 10000 + pi_rng_below(&rng, 54496);
		if (!is_reserved_asn(asn) && !pl_set64_has(used, asn)) {
			pl_set64_add(used, asn);
			return asn;
		}
	}
}

static const char *gen_name(struct pl_ctx *c, const char *bp, unsigned *counter)
{
	size_t n = strlen(bp);
	bool digit = n && bp[n - 1] >= '0' && bp[n - 1] <= '9';
	for (;;) {
		char *name = pi_arena_printf(&c->plan->arena, "%s%s%u", bp, digit ? "-" : "", ++*counter);
		if (pl_map_get(&c->pods, name) == PI_NONE)
			return name;
	}
}

/* Explicit names first so generated ones can step around them. */
static void reserve_names(struct pl_ctx *c)
{
	const struct pi_lab *lab = c->lab;
	uint32_t idx = 0;
	for (size_t i = 0; i < lab->n_pods; i++) {
		const struct pi_lab_pod *lp = &lab->pods[i];
		uint32_t cnt = lp->name ? 1 : lp->count;
		if (lp->name && !pl_map_put(&c->pods, lp->name, idx))
			PL_ERR(c, lp->pos, "pod names must be unique", "pod name '%s' is used twice", lp->name);
		idx += cnt;
	}
}

/* Per blueprint, the last number a generated pod name used. */
struct name_counters {
	struct pl_map map; /* blueprint name -> index into ctr */
	unsigned *ctr;
	size_t n;
};

static void pod_init(struct pl_ctx *c, uint32_t idx, const struct pi_lab_pod *lp, struct name_counters *nc)
{
	struct pi_plan *plan = c->plan;
	struct pi_plan_pod *pod = &plan->pods[idx];
	pod->bp = lp->bp;
	pod->tier = lp->bp->tier;
	pod->asn = lp->asn;
	pod->pos = lp->pos;
	pod->anycast = lp->bp->anycast;
	if (lp->name) {
		pod->name = pi_arena_strdup(&plan->arena, lp->name);
	} else {
		uint32_t ci = pl_map_get(&nc->map, lp->bp->name);
		if (ci == PI_NONE) {
			ci = (uint32_t)nc->n++;
			pl_map_put(&nc->map, lp->bp->name, ci);
		}
		pod->name = gen_name(c, lp->bp->name, &nc->ctr[ci]);
		pl_map_put(&c->pods, pod->name, idx);
	}
	if (strlen(pod->name) > 24)
		PL_ERR(c, lp->pos, "node names are <pod>-<role><n> and must fit 40 characters",
		       "pod name '%s' is longer than 24 characters", pod->name);
	pod->domain = pi_arena_printf(&plan->arena, "%s.%s.", pod->name, plan->tld);
	pod->exercise = lp->exercise;
	const struct pi_lab_team *team = pi_lab_team_of_pod(c->lab, pod->name);
	pod->team = team ? pi_arena_strdup(&plan->arena, team->name) : NULL;
	c->px[idx].lp = lp;
	c->px[idx].key = pl_key(c->lab->seed, "pod", pod->name);
	c->px[idx].pin = PI_NONE;
	if (c->pins) {
		uint32_t k = pl_map_get(&c->pin_pods, pod->name);
		if (k != PI_NONE && strcmp(c->pins->pods[k].blueprint, lp->bp->name) == 0)
			c->px[idx].pin = k; /* same name and blueprint: the same pod */
	}
	c->px[idx].v4 = c->px[idx].v6 = true;
	c->px[idx].ixp_lan = PI_NONE;
	c->px[idx].ixp_lan_bp = PI_NONE;
	c->px[idx].resolver = PI_NONE;
	if (pod->tier == PI_TIER_TRANSIT)
		c->n_transit++;
}

int pl_pods(struct pl_ctx *c)
{
	const struct pi_lab *lab = c->lab;
	struct pi_plan *plan = c->plan;
	size_t n = 0;
	for (size_t i = 0; i < lab->n_pods; i++)
		n += lab->pods[i].name ? 1 : lab->pods[i].count;
	if (n == 0) {
		PL_ERR(c, ((struct pi_pos){ lab->file, 0, 0 }), "add a pods: list", "the lab has no pods");
		return -EINVAL;
	}
	if (n > 1000000) {
		PL_ERR(c, lab->pods[0].pos, NULL, "the lab asks for %zu pods; at most 1000000 are supported", n);
		return -EINVAL;
	}
	plan->n_pods = (uint32_t)n;
	plan->pods = pi_arena_alloc(&plan->arena, n * sizeof(*plan->pods));
	c->px = pi_xcalloc(n, sizeof(*c->px));
	pl_map_init(&c->pods, n);
	reserve_names(c);

	struct name_counters nc = { .ctr = pi_xcalloc(lab->n_pods + 1, sizeof(unsigned)) };
	pl_map_init(&nc.map, 16);
	struct pl_set64 used;
	pl_set64_init(&used, n);
	uint32_t idx = 0;
	for (size_t i = 0; i < lab->n_pods; i++) {
		const struct pi_lab_pod *lp = &lab->pods[i];
		if (!lp->bp) {
			PL_ERR(c, lp->pos, NULL, "pod uses unknown blueprint '%s'", lp->blueprint ? lp->blueprint : "?");
			idx += lp->name ? 1 : lp->count;
			continue;
		}
		if (lp->asn) {
			if (!pl_set64_add(&used, lp->asn))
				PL_ERR(c, lp->pos, "every pod needs its own ASN", "ASN %u is used by two pods", lp->asn);
		}
		uint32_t cnt = lp->name ? 1 : lp->count;
		for (uint32_t k = 0; k < cnt; k++, idx++)
			pod_init(c, idx, lp, &nc);
	}
	/* Pinned ASNs after every explicit one (the lab wins), then the
	 * others, each from its pod's stream, in pod order. */
	if (!c->errors)
		for (uint32_t p = 0; p < plan->n_pods; p++)
			if (!plan->pods[p].asn && pl_pinned(c, p) && c->pins->pods[c->px[p].pin].asn &&
			    pl_set64_add(&used, c->pins->pods[c->px[p].pin].asn))
				plan->pods[p].asn = c->pins->pods[c->px[p].pin].asn;
	if (!c->errors)
		for (uint32_t p = 0; p < plan->n_pods; p++)
			if (!plan->pods[p].asn)
				plan->pods[p].asn = draw_asn(c, p, &used);
	pl_set64_free(&used);
	pl_map_free(&nc.map);
	free(nc.ctr);
	return c->errors ? -EINVAL : 0;
}

static void rel_add(struct pl_ctx *c, enum pl_rel_kind kind, uint32_t a, uint32_t b, bool from_lab,
		    struct pi_pos pos)
{
	struct pl_rel *r = pi_vec_push(&c->rels);
	r->kind = kind;
	r->a = a;
	r->b = b;
	r->from_lab = from_lab;
	r->pos = pos;
	r->link = r->a_border = r->b_border = r->a_if = r->b_if = r->pin = PI_NONE;
	if (kind == PL_TRANSIT)
		c->px[b].n_providers++;
	else if (kind == PL_IXP) {
		c->px[a].n_ixps++;
		c->px[b].n_members++;
	}
}

/* How much p wants q as a partner: a hash of both names (rendezvous
 * hashing), so the ranking of existing candidates never changes. */
static uint64_t affinity(const struct pl_ctx *c, uint32_t p, uint32_t q)
{
	return pl_mix64(c->px[p].key ^ (c->px[q].key << 1 | c->px[q].key >> 63));
}

/* The candidate of cand[0..n) that p ranks highest, among those that are
 * not p, have no relationship with p yet and are not skipped; PI_NONE. */
static uint32_t pick(struct pl_ctx *c, const uint32_t *cand, uint32_t n, uint32_t p, struct pl_set64 *pairs,
		     const bool *skip)
{
	uint32_t best = PI_NONE;
	uint64_t best_a = 0;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t q = cand[i];
		if (q == p || pl_set64_has(pairs, pl_pair_key(p, q)) || (skip && skip[q]))
			continue;
		uint64_t a = affinity(c, p, q);
		if (best == PI_NONE || a > best_a) {
			best = q;
			best_a = a;
		}
	}
	return best;
}

static uint32_t draw_count(struct pi_rng *rng, struct pi_count cnt, uint32_t floor_, uint32_t cap)
{
	uint32_t lo = cnt.min, hi = cnt.max;
	if (hi < lo)
		hi = lo;
	if (lo < floor_)
		lo = floor_;
	if (hi < lo)
		hi = lo;
	uint32_t k = lo + pi_rng_below(rng, hi - lo + 1);
	return k > cap ? cap : k;
}

static uint32_t uf_find(uint32_t *up, uint32_t x)
{
	while (up[x] != x) {
		up[x] = up[up[x]];
		x = up[x];
	}
	return x;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

/* Customer cones in an order where every customer comes before its
 * providers (Kahn's algorithm); pods left over sit on a provider loop. */
static int cones(struct pl_ctx *c)
{
	struct pi_plan *plan = c->plan;
	uint32_t n = plan->n_pods;
	uint32_t *left = pi_xcalloc(n, sizeof(*left)); /* customers not yet done */
	uint32_t *queue = pi_xcalloc(n, sizeof(*queue));
	uint32_t qh = 0, qt = 0;
	struct pl_rel *rels = c->rels.data;
	for (size_t i = 0; i < c->rels.len; i++)
		if (rels[i].kind == PL_TRANSIT)
			left[rels[i].a]++;
	for (uint32_t p = 0; p < n; p++)
		if (!left[p])
			queue[qt++] = p;
	struct pi_vec tmp = PI_VEC_INIT(uint32_t);
	while (qh < qt) {
		uint32_t p = queue[qh++];
		tmp.len = 0;
		*(uint32_t *)pi_vec_push(&tmp) = p;
		for (uint32_t k = c->adj_off[p]; k < c->adj_off[p + 1]; k++) {
			const struct pl_rel *r = &rels[c->adj[k]];
			if (r->kind != PL_TRANSIT)
				continue;
			if (r->a == p) { /* r->b is a customer: already done */
				const struct pi_plan_pod *cu = &plan->pods[r->b];
				for (uint32_t j = 0; j < cu->n_cone; j++)
					*(uint32_t *)pi_vec_push(&tmp) = cu->cone[j];
			} else if (--left[r->a] == 0) {
				queue[qt++] = r->a;
			}
		}
		uint32_t *v = tmp.data;
		qsort(v, tmp.len, sizeof(uint32_t), cmp_u32);
		size_t u = 0;
		for (size_t j = 0; j < tmp.len; j++)
			if (u == 0 || v[u - 1] != v[j])
				v[u++] = v[j];
		struct pi_plan_pod *pod = &plan->pods[p];
		pod->n_cone = (uint32_t)u;
		pod->cone = pi_arena_alloc(&plan->arena, u * sizeof(uint32_t));
		memcpy(pod->cone, v, u * sizeof(uint32_t));
	}
	pi_vec_free(&tmp);
	int rc = 0;
	if (qt < n) {
		/* Point at a lab relationship on the loop (generated ones only
		 * ever go transit -> stub, so a loop always has one). */
		const struct pl_rel *bad = NULL;
		for (size_t i = 0; i < c->rels.len && !bad; i++)
			if (rels[i].kind == PL_TRANSIT && left[rels[i].a] && left[rels[i].b] && rels[i].from_lab)
				bad = &rels[i];
		if (!bad)
			for (size_t i = 0; i < c->rels.len && !bad; i++)
				if (rels[i].kind == PL_TRANSIT && left[rels[i].a] && left[rels[i].b])
					bad = &rels[i];
		struct pi_pos pos = bad ? bad->pos : plan->pods[0].pos;
		PL_ERR(c, pos, "transit must flow one way: remove one provider relationship of the loop",
		       "provider loop: %s sells transit to %s, which (directly or through its customers) sells transit back to %s",
		       bad ? plan->pods[bad->a].name : "?", bad ? plan->pods[bad->b].name : "?",
		       bad ? plan->pods[bad->a].name : "?");
		rc = -EINVAL;
	}
	free(left);
	free(queue);
	return rc;
}

static void build_adj(struct pl_ctx *c)
{
	uint32_t n = c->plan->n_pods;
	struct pl_rel *rels = c->rels.data;
	c->adj_off = pi_xcalloc(n + 1, sizeof(uint32_t));
	c->adj = pi_xcalloc(c->rels.len * 2 + 1, sizeof(uint32_t));
	for (size_t i = 0; i < c->rels.len; i++) {
		c->adj_off[rels[i].a + 1]++;
		c->adj_off[rels[i].b + 1]++;
	}
	for (uint32_t p = 0; p < n; p++)
		c->adj_off[p + 1] += c->adj_off[p];
	uint32_t *fill = pi_xcalloc(n, sizeof(uint32_t));
	for (size_t i = 0; i < c->rels.len; i++) {
		c->adj[c->adj_off[rels[i].a] + fill[rels[i].a]++] = (uint32_t)i;
		c->adj[c->adj_off[rels[i].b] + fill[rels[i].b]++] = (uint32_t)i;
	}
	free(fill);
}

/* What the steps of pl_graph share: the pairs already related and the pods
 * by tier, in pod order. */
struct gctx {
	struct pl_ctx *c;
	struct pi_plan *plan;
	uint32_t n;
	struct pl_set64 pairs;
	uint32_t *transit, nt;
	uint32_t *ixp, ni;
	uint32_t *stub, ns;
};

/* Whether the lab's relationship can be taken (its pair is then recorded);
 * if not, says why. */
static bool lab_rel_ok(struct gctx *g, const struct pi_lab_rel *lr, uint32_t a, uint32_t b)
{
	struct pl_ctx *c = g->c;
	if (a == PI_NONE || b == PI_NONE) {
		PL_ERR(c, lr->pos, "relationships name pods by their name (generated pods are <blueprint><n>)",
		       "relationship names unknown pod '%s'", a == PI_NONE ? lr->a : lr->b);
		return false;
	}
	if (a == b) {
		PL_ERR(c, lr->pos, NULL, "pod '%s' cannot have a relationship with itself", lr->a);
		return false;
	}
	enum pi_tier ta = g->plan->pods[a].tier, tb = g->plan->pods[b].tier;
	if (lr->kind == PI_LAB_REL_IXP && (tb != PI_TIER_IXP || ta == PI_TIER_IXP)) {
		PL_ERR(c, lr->pos, "an IXP membership joins a transit or stub pod (first) to an IXP pod (second)",
		       "'%s' cannot be a member of '%s'", lr->a, lr->b);
		return false;
	}
	if (lr->kind != PI_LAB_REL_IXP && (ta == PI_TIER_IXP || tb == PI_TIER_IXP)) {
		PL_ERR(c, lr->pos, "IXP pods only take members; write it as an IXP membership",
		       "IXP pod '%s' cannot be a %s", ta == PI_TIER_IXP ? lr->a : lr->b,
		       lr->kind == PI_LAB_REL_PEER ? "peer" : "transit provider or customer");
		return false;
	}
	if (!pl_set64_add(&g->pairs, pl_pair_key(a, b))) {
		PL_ERR(c, lr->pos, "keep one relationship per pair of pods",
		       "pods '%s' and '%s' already have a relationship", lr->a, lr->b);
		return false;
	}
	return true;
}

/* 1. What the lab says. */
static void lab_rels(struct gctx *g)
{
	struct pl_ctx *c = g->c;
	const struct pi_lab *lab = c->lab;
	for (size_t i = 0; i < lab->n_rels; i++) {
		const struct pi_lab_rel *lr = &lab->rels[i];
		uint32_t a = pl_map_get(&c->pods, lr->a), b = pl_map_get(&c->pods, lr->b);
		if (!lab_rel_ok(g, lr, a, b))
			continue;
		if (lr->kind == PI_LAB_REL_PROVIDER) {
			rel_add(c, PL_TRANSIT, a, b, true, lr->pos);
			/* An external provider is extra: the pod keeps its generated ones. */
			if (g->plan->pods[a].tier != PI_TIER_EXTERNAL)
				c->px[b].pinned_providers = true;
		} else if (lr->kind == PI_LAB_REL_PEER) {
			rel_add(c, PL_PEER, a, b, true, lr->pos);
		} else {
			rel_add(c, PL_IXP, a, b, true, lr->pos);
			c->px[a].pinned_ixps = true;
		}
	}
}

/* A generated relationship between two pods not yet related. */
static void gen_rel(struct gctx *g, enum pl_rel_kind kind, uint32_t a, uint32_t b, struct pi_pos pos)
{
	pl_set64_add(&g->pairs, pl_pair_key(a, b));
	rel_add(g->c, kind, a, b, false, pos);
}

/* Up to k random partners of p from cand: transit providers selling to p,
 * or IXPs p joins. */
static void add_partners(struct gctx *g, uint32_t p, const uint32_t *cand, uint32_t nc, uint32_t k,
			 enum pl_rel_kind kind)
{
	for (uint32_t j = 0; j < k; j++) {
		uint32_t q = pick(g->c, cand, nc, p, &g->pairs, NULL);
		if (q == PI_NONE)
			break;
		if (kind == PL_TRANSIT)
			gen_rel(g, PL_TRANSIT, q, p, g->plan->pods[p].pos);
		else
			gen_rel(g, PL_IXP, p, q, g->plan->pods[p].pos);
	}
}

/* 3. Stubs: providers and IXPs, counts from each stub's own stream. A stub
 * kept from the pins generates only what it lost below its blueprint's
 * minimum (providers: at least one). */
static void stub_rels(struct gctx *g)
{
	struct pl_ctx *c = g->c;
	struct pi_plan *plan = g->plan;
	for (uint32_t s = 0; s < g->ns; s++) {
		uint32_t p = g->stub[s];
		const struct pi_blueprint *bp = plan->pods[p].bp;
		struct pl_pod *px = &c->px[p];
		struct pi_rng rng;
		pl_pod_rng(c, p, 2, &rng);
		uint32_t kp = draw_count(&rng, bp->providers, 1, g->nt), ki = draw_count(&rng, bp->ixps, 0, g->ni);
		bool pin = pl_pinned(c, p);
		if (!px->pinned_providers && (!pin || px->n_providers == 0)) {
			if (g->nt == 0)
				PL_ERR(c, plan->pods[p].pos, "add a pod whose blueprint has tier: transit",
				       "pod '%s' (tier stub) needs a transit provider, but the lab has no transit pod",
				       plan->pods[p].name);
			else
				add_partners(g, p, g->transit, g->nt, pin ? 1 : kp, PL_TRANSIT);
		}
		if (!px->pinned_ixps && g->ni > 0 && (!pin || px->n_ixps < bp->ixps.min))
			add_partners(g, p, g->ixp, g->ni, pin ? bp->ixps.min - px->n_ixps : ki, PL_IXP);
	}
}

/* 1b. With pins: the generated provider and IXP choices of surviving pods,
 * unless the lab now decides those for the pod (its relationships win). */
static void pinned_rels(struct gctx *g)
{
	struct pl_ctx *c = g->c;
	const struct pi_plan_pins *pins = c->pins;
	for (uint32_t i = 0; pins && i < pins->n_rels; i++) {
		const struct pi_pin_rel *pr = &pins->rels[i];
		if (pr->from_lab || pr->rel == PI_REL_PEER)
			continue; /* lab ones come from the lab; the transit clique is regenerated as it was */
		uint32_t a = pl_map_get(&c->pods, pr->a), b = pl_map_get(&c->pods, pr->b);
		if (a == PI_NONE || b == PI_NONE || !pl_pinned(c, a) || !pl_pinned(c, b) ||
		    pl_set64_has(&g->pairs, pl_pair_key(a, b)))
			continue;
		enum pi_tier ta = g->plan->pods[a].tier, tb = g->plan->pods[b].tier;
		if (pr->rel == PI_REL_CUSTOMER && ta == PI_TIER_TRANSIT && tb == PI_TIER_STUB &&
		    !c->px[b].pinned_providers)
			gen_rel(g, PL_TRANSIT, a, b, g->plan->pods[b].pos);
		else if (pr->rel == PI_REL_RS && tb == PI_TIER_IXP && ta != PI_TIER_IXP && !c->px[a].pinned_ixps)
			gen_rel(g, PL_IXP, a, b, g->plan->pods[a].pos);
	}
}

/* Every relationship between two kept pods that the pins have too (same
 * pods, same kind) remembers it: its link keeps its borders and subnets. */
static void match_pins(struct pl_ctx *c)
{
	const struct pi_plan_pins *pins = c->pins;
	struct pl_map m;
	pl_map_init(&m, pins->n_rels + 1);
	for (uint32_t i = 0; i < pins->n_rels; i++)
		pl_map_put(&m, pi_arena_printf(&c->tmp, "%s/%s/%d", pins->rels[i].a, pins->rels[i].b, (int)pins->rels[i].rel), i);
	struct pl_rel *rels = c->rels.data;
	for (size_t i = 0; i < c->rels.len; i++) {
		struct pl_rel *r = &rels[i];
		if (!pl_pinned(c, r->a) || !pl_pinned(c, r->b))
			continue;
		enum pi_rel k = r->kind == PL_TRANSIT ? PI_REL_CUSTOMER : r->kind == PL_PEER ? PI_REL_PEER : PI_REL_RS;
		char key[128];
		snprintf(key, sizeof(key), "%s/%s/%d", c->plan->pods[r->a].name, c->plan->pods[r->b].name, (int)k);
		r->pin = pl_map_get(&m, key);
	}
	pl_map_free(&m);
}

/* 4. No empty peering LANs. Every IXP is anchored by the two transit pods
 * that rank it highest (unless the lab lists their IXPs): whether it
 * needs them must not depend on which stubs chose it, or a new stub would
 * take an anchor away. Then, in a lab with fewer transit pods, stubs top
 * it up to two members. An IXP kept from the pins keeps its members and is
 * only topped up when it has none left. */
static void fill_ixps(struct gctx *g)
{
	struct pl_ctx *c = g->c;
	struct pi_plan *plan = g->plan;
	bool *pinned = pi_xcalloc(g->n, sizeof(bool)), *full = pi_xcalloc(g->n, sizeof(bool));
	for (uint32_t p = 0; p < g->n; p++)
		pinned[p] = c->px[p].pinned_ixps;
	for (uint32_t i = 0; i < g->ni; i++) {
		uint32_t x = g->ixp[i];
		bool kept = pl_pinned(c, x);
		for (uint32_t k = 0; k < 2 && !kept; k++) {
			uint32_t m = pick(c, g->transit, g->nt, x, &g->pairs, pinned);
			if (m != PI_NONE)
				gen_rel(g, PL_IXP, m, x, plan->pods[x].pos);
		}
		while (c->px[x].n_members < (kept ? 1u : 2u)) {
			/* Prefer stubs still under their blueprint's ixps.max. */
			for (uint32_t s = 0; s < g->ns; s++)
				full[g->stub[s]] = pinned[g->stub[s]] ||
						   c->px[g->stub[s]].n_ixps >= plan->pods[g->stub[s]].bp->ixps.max;
			uint32_t m = pick(c, g->stub, g->ns, x, &g->pairs, full);
			if (m == PI_NONE)
				m = pick(c, g->stub, g->ns, x, &g->pairs, pinned);
			if (m == PI_NONE)
				m = pick(c, g->transit, g->nt, x, &g->pairs, pinned);
			if (m == PI_NONE)
				break;
			gen_rel(g, PL_IXP, m, x, plan->pods[m].pos);
		}
	}
	free(pinned);
	free(full);
}

/* Every pod reaches pod 0 over some relationship. */
static void check_connected(struct pl_ctx *c)
{
	struct pi_plan *plan = c->plan;
	uint32_t n = plan->n_pods;
	uint32_t *up = pi_xcalloc(n, sizeof(uint32_t));
	for (uint32_t p = 0; p < n; p++)
		up[p] = p;
	struct pl_rel *rels = c->rels.data;
	for (size_t i = 0; i < c->rels.len; i++)
		up[uf_find(up, rels[i].a)] = uf_find(up, rels[i].b);
	uint32_t root = uf_find(up, 0);
	for (uint32_t p = 0; p < n; p++)
		if (uf_find(up, p) != root) {
			PL_ERR(c, plan->pods[p].pos, "give it a provider, a peer or an IXP membership",
			       "pod '%s' is not connected to pod '%s' by any provider, peer or IXP path",
			       plan->pods[p].name, plan->pods[0].name);
			break;
		}
	free(up);
}

static void build_rels(struct gctx *g)
{
	struct pi_plan *plan = g->plan;
	lab_rels(g);
	pinned_rels(g);
	for (uint32_t p = 0; p < g->n; p++) {
		if (plan->pods[p].tier == PI_TIER_TRANSIT)
			g->transit[g->nt++] = p;
		else if (plan->pods[p].tier == PI_TIER_IXP)
			g->ixp[g->ni++] = p;
		else if (plan->pods[p].tier != PI_TIER_EXTERNAL) /* externals: only what the lab says */
			g->stub[g->ns++] = p;
	}
	/* 2. The transit clique. */
	for (uint32_t i = 0; i < g->nt; i++)
		for (uint32_t j = i + 1; j < g->nt; j++)
			if (pl_set64_add(&g->pairs, pl_pair_key(g->transit[i], g->transit[j])))
				rel_add(g->c, PL_PEER, g->transit[i], g->transit[j], false, plan->pods[g->transit[i]].pos);
	stub_rels(g);
	fill_ixps(g);
	/* 5. Checks. */
	for (uint32_t s = 0; s < g->ns; s++) {
		uint32_t p = g->stub[s];
		if (!g->c->px[p].n_providers && (g->c->px[p].pinned_providers || g->nt > 0))
			PL_ERR(g->c, plan->pods[p].pos, "give it a provider relationship",
			       "pod '%s' has no transit provider", plan->pods[p].name);
	}
}

/* Where a relationship sits in the canonical order: the order the
 * generator without pins produces (build_rels), as a function of the
 * relationship alone, so that one kept from pins sits where it would have
 * been generated and a plan built from its own pins lists the same things
 * in the same order (docs/plan.md, "Stable plans and pins"). */
struct rel_key {
	uint32_t group; /* 0 lab, 1 transit clique, 2 a stub's choices, 3 an IXP's anchors, 4 externals */
	uint32_t pod;   /* the pod whose step made it */
	uint32_t sub;   /* stubs: 0 providers, 1 IXPs */
	uint64_t rank;  /* the chooser's ranking (pick: highest affinity first) */
	uint32_t other, seq;
};

static struct rel_key rel_key_of(const struct pl_ctx *c, const struct pl_rel *r, uint32_t seq)
{
	const struct pi_plan *plan = c->plan;
	/* An external speaker's comes last, so that its link takes space after
	 * everything else in the pod that numbers it: it moves nothing. */
	if (plan->pods[r->a].tier == PI_TIER_EXTERNAL || plan->pods[r->b].tier == PI_TIER_EXTERNAL)
		return (struct rel_key){ 4, 0, 0, 0, 0, seq };
	if (r->from_lab) /* lab_rels comes first, in lab order, with or without pins */
		return (struct rel_key){ 0, 0, 0, 0, 0, seq };
	if (r->kind == PL_PEER)
		return (struct rel_key){ 1, r->a < r->b ? r->a : r->b, 0, 0, r->a < r->b ? r->b : r->a, seq };
	if (r->kind == PL_TRANSIT) /* a stub's provider */
		return (struct rel_key){ 2, r->b, 0, ~affinity(c, r->b, r->a), r->a, seq };
	if (plan->pods[r->a].tier != PI_TIER_TRANSIT) /* a stub's IXP (also when it topped one up) */
		return (struct rel_key){ 2, r->a, 1, ~affinity(c, r->a, r->b), r->b, seq };
	return (struct rel_key){ 3, r->b, 0, ~affinity(c, r->b, r->a), r->a, seq }; /* an anchor */
}

struct keyed_rel {
	struct rel_key k;
	struct pl_rel r;
};

static int cmp_keyed(const void *x, const void *y)
{
	const struct rel_key *a = &((const struct keyed_rel *)x)->k, *b = &((const struct keyed_rel *)y)->k;
	if (a->group != b->group)
		return a->group < b->group ? -1 : 1;
	if (a->pod != b->pod)
		return a->pod < b->pod ? -1 : 1;
	if (a->sub != b->sub)
		return a->sub < b->sub ? -1 : 1;
	if (a->rank != b->rank)
		return a->rank < b->rank ? -1 : 1;
	if (a->other != b->other)
		return a->other < b->other ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* Puts the relationships in canonical order. Without pins this keeps the
 * generator's order (but for the rare stub that tops up an IXP in a lab
 * with fewer than two transit pods: it moves to that stub's own IXPs);
 * with pins, kept relationships no longer come first. Everything after
 * (links, interfaces, sessions) follows this order. */
static void sort_rels(struct pl_ctx *c)
{
	size_t n = c->rels.len;
	struct keyed_rel *v = pi_xcalloc(n + 1, sizeof(*v));
	struct pl_rel *rels = c->rels.data;
	for (size_t i = 0; i < n; i++) {
		v[i].k = rel_key_of(c, &rels[i], (uint32_t)i);
		v[i].r = rels[i];
	}
	qsort(v, n, sizeof(*v), cmp_keyed);
	for (size_t i = 0; i < n; i++)
		rels[i] = v[i].r;
	free(v);
}

int pl_graph(struct pl_ctx *c)
{
	struct pi_plan *plan = c->plan;
	uint32_t n = plan->n_pods;
	struct gctx g = { .c = c, .plan = plan, .n = n };
	pl_set64_init(&g.pairs, n * 3 + c->lab->n_rels);
	g.transit = pi_xcalloc(n + 1, sizeof(uint32_t));
	g.ixp = pi_xcalloc(n + 1, sizeof(uint32_t));
	g.stub = pi_xcalloc(n + 1, sizeof(uint32_t));
	build_rels(&g);
	free(g.transit);
	free(g.ixp);
	free(g.stub);
	pl_set64_free(&g.pairs);
	if (c->errors)
		return -EINVAL;
	sort_rels(c);
	if (c->pins)
		match_pins(c);
	build_adj(c);
	/* Loops first: a loop also cuts its pods off, and the loop is the cause. */
	int rc = cones(c);
	if (rc)
		return rc;
	check_connected(c);
	if (c->errors)
		return -EINVAL;
	/* Route servers accept what their members' cones announce. */
	struct pl_rel *rels = c->rels.data;
	for (size_t i = 0; i < c->rels.len; i++)
		if (rels[i].kind == PL_IXP)
			c->px[rels[i].b].members_cone += plan->pods[rels[i].a].n_cone;
	return 0;
}
