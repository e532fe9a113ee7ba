/*
 * plan/paths: every way between two ends of the lab, pure.
 *
 * Router level: the lab's links as a graph of nodes (a LAN is a clique of
 * its members: one layer-3 hop between any two), walked depth first for
 * every simple path; only nodes that forward are passed through. AS level:
 * the pods as a graph of their relationships (IXP members meet directly:
 * route servers are transparent), every simple path marked with whether
 * the routing policy allows it (valley-free, src/plan/policy.c). Both
 * searches count everything up to a limit and keep the best few, so a
 * large lab gives a bounded answer that says it is bounded.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "pocketinternet/plan.h"

#define DEFAULT_LIMIT 1000000u
#define WORK_PER_PATH 200u

static bool same_addr(const struct pi_prefix *a, const struct pi_prefix *b)
{
	if (!pi_prefix_is_set(a) || !pi_prefix_is_set(b) || a->family != b->family)
		return false;
	struct pi_prefix x = pi_prefix_as_host(a), y = pi_prefix_as_host(b);
	return pi_prefix_equal(&x, &y);
}

uint32_t pi_plan_node_by_addr(const struct pi_plan *plan, const struct pi_prefix *addr, uint32_t *iface)
{
	if (iface)
		*iface = PI_NONE;
	for (uint32_t i = 0; i < plan->n_ifaces; i++) {
		const struct pi_plan_iface *f = &plan->ifaces[i];
		if (same_addr(&f->v4, addr) || same_addr(&f->v6, addr)) {
			if (iface)
				*iface = i;
			return f->node;
		}
	}
	for (uint32_t i = 0; i < plan->n_nodes; i++) {
		const struct pi_plan_node *n = &plan->nodes[i];
		if (same_addr(&n->lo4, addr) || same_addr(&n->lo6, addr) || same_addr(&n->anycast4, addr) ||
		    same_addr(&n->anycast6, addr))
			return i;
	}
	return PI_NONE;
}

bool pi_plan_node_forwards(const struct pi_plan *plan, uint32_t node)
{
	return (plan->nodes[node].services & (PI_SVC_ROUTER | PI_SVC_NAT44 | PI_SVC_NAT64)) != 0;
}

uint32_t pi_plan_gateway(const struct pi_plan *plan, uint32_t node)
{
	const struct pi_plan_node *n = &plan->nodes[node];
	if (pi_plan_node_forwards(plan, node))
		return node;
	uint32_t gw = pi_plan_node_by_addr(plan, &n->gw4, NULL);
	return gw != PI_NONE ? gw : pi_plan_node_by_addr(plan, &n->gw6, NULL);
}

/* ---- the node graph ---- */

struct edge {
	uint32_t to, out_iface, in_iface;
};
struct graph {
	uint32_t *start; /* n_nodes + 1: node i's edges are e[start[i] .. start[i+1]) */
	struct edge *e;
};

/* Calls fn for every ordered pair of ends (different nodes) of every link. */
static void each_pair(const struct pi_plan *plan, void (*fn)(void *, uint32_t, uint32_t), void *ctx)
{
	for (uint32_t l = 0; l < plan->n_links; l++) {
		const struct pi_plan_link *k = &plan->links[l];
		for (uint32_t i = 0; i < k->n_ifaces; i++)
			for (uint32_t j = 0; j < k->n_ifaces; j++)
				if (plan->ifaces[k->ifaces[i]].node != plan->ifaces[k->ifaces[j]].node)
					fn(ctx, k->ifaces[i], k->ifaces[j]);
	}
}

struct gbuild {
	const struct pi_plan *plan;
	struct graph *g;
	uint32_t *fill;
};

static void count_pair(void *ctx, uint32_t a, uint32_t b)
{
	struct gbuild *c = ctx;
	(void)b;
	c->g->start[c->plan->ifaces[a].node + 1]++;
}

static void put_pair(void *ctx, uint32_t a, uint32_t b)
{
	struct gbuild *c = ctx;
	uint32_t u = c->plan->ifaces[a].node;
	c->g->e[c->fill[u]++] = (struct edge){ .to = c->plan->ifaces[b].node, .out_iface = a, .in_iface = b };
}

static void graph_build(const struct pi_plan *plan, struct graph *g)
{
	g->start = pi_xcalloc(plan->n_nodes + 2, sizeof(uint32_t));
	struct gbuild c = { .plan = plan, .g = g };
	each_pair(plan, count_pair, &c);
	for (uint32_t i = 0; i < plan->n_nodes; i++)
		g->start[i + 1] += g->start[i];
	g->e = pi_xcalloc(g->start[plan->n_nodes] + 1, sizeof(struct edge));
	c.fill = pi_xcalloc(plan->n_nodes + 1, sizeof(uint32_t));
	memcpy(c.fill, g->start, plan->n_nodes * sizeof(uint32_t));
	each_pair(plan, put_pair, &c);
	free(c.fill);
}

static void graph_free(struct graph *g)
{
	free(g->start);
	free(g->e);
}

uint32_t pi_plan_pod_border(const struct pi_plan *plan, uint32_t node)
{
	uint32_t pod = plan->nodes[node].pod, from = pi_plan_gateway(plan, node);
	if (from == PI_NONE || plan->nodes[from].pod != pod)
		from = node;
	struct graph g;
	graph_build(plan, &g);
	uint32_t *dist = pi_xcalloc(plan->n_nodes + 1, sizeof(uint32_t)), *queue = pi_xcalloc(plan->n_nodes + 1, sizeof(uint32_t));
	for (uint32_t i = 0; i < plan->n_nodes; i++)
		dist[i] = UINT32_MAX;
	size_t head = 0, tail = 0;
	dist[from] = 0;
	queue[tail++] = from;
	while (head < tail) {
		uint32_t u = queue[head++];
		if (u != from && !pi_plan_node_forwards(plan, u))
			continue;
		for (uint32_t k = g.start[u]; k < g.start[u + 1]; k++) {
			uint32_t v = g.e[k].to;
			if (plan->nodes[v].pod == pod && dist[v] == UINT32_MAX) {
				dist[v] = dist[u] + 1;
				queue[tail++] = v;
			}
		}
	}
	uint32_t best = PI_NONE;
	const struct pi_plan_pod *p = &plan->pods[pod];
	for (uint32_t i = p->first_node; i < p->first_node + p->n_nodes; i++)
		if ((plan->nodes[i].services & PI_SVC_EBGP) && (best == PI_NONE || dist[i] < dist[best]))
			best = i;
	free(dist);
	free(queue);
	graph_free(&g);
	return best;
}

/* ---- keeping the best few of many paths ---- */

struct kept {
	void *elems; /* n elements of the keeper's size */
	uint32_t n;
	unsigned rank; /* lower is better (0: allowed or any router path) */
	uint64_t seq;  /* found order */
};
struct keeper {
	struct kept *k;
	size_t n, max, elem;
};

static bool worse(const struct kept *a, const struct kept *b)
{
	if (a->rank != b->rank)
		return a->rank > b->rank;
	if (a->n != b->n)
		return a->n > b->n;
	return a->seq > b->seq;
}

static void keep(struct keeper *kp, const void *elems, uint32_t n, unsigned rank, uint64_t seq)
{
	struct kept cand = { .n = n, .rank = rank, .seq = seq };
	size_t slot = kp->n;
	if (kp->n == kp->max) {
		if (kp->max == 0)
			return;
		size_t w = 0;
		for (size_t i = 1; i < kp->n; i++)
			if (worse(&kp->k[i], &kp->k[w]))
				w = i;
		if (!worse(&kp->k[w], &cand))
			return;
		free(kp->k[w].elems);
		slot = w;
	} else {
		kp->n++;
	}
	cand.elems = pi_xmalloc(n * kp->elem + 1);
	memcpy(cand.elems, elems, n * kp->elem);
	kp->k[slot] = cand;
}

static int cmp_kept(const void *a, const void *b)
{
	return worse(a, b) ? 1 : worse(b, a) ? -1 : 0;
}

/* Sorted into out; frees the keeper. */
static void keeper_done(struct keeper *kp, struct pi_plan_paths *out, bool as_level)
{
	qsort(kp->k, kp->n, sizeof(*kp->k), cmp_kept);
	for (size_t i = 0; i < kp->n; i++) {
		struct pi_plan_path *p = pi_vec_push(&out->paths);
		p->first = (uint32_t)out->hops.len;
		p->n = kp->k[i].n;
		p->valley_free = as_level && kp->k[i].rank == 0;
		for (uint32_t j = 0; j < kp->k[i].n; j++)
			memcpy(pi_vec_push(&out->hops), (char *)kp->k[i].elems + j * kp->elem, kp->elem);
		free(kp->k[i].elems);
	}
	free(kp->k);
}

void pi_plan_paths_init(struct pi_plan_paths *p, bool as_level)
{
	memset(p, 0, sizeof(*p));
	p->paths = (struct pi_vec)PI_VEC_INIT(struct pi_plan_path);
	p->hops = as_level ? (struct pi_vec)PI_VEC_INIT(uint32_t) : (struct pi_vec)PI_VEC_INIT(struct pi_plan_hop);
}

void pi_plan_paths_free(struct pi_plan_paths *p)
{
	pi_vec_free(&p->paths);
	pi_vec_free(&p->hops);
}

/* ---- router paths ---- */

struct rsearch {
	const struct pi_plan *plan;
	struct graph g;
	uint32_t dst;
	struct pi_plan_hop *path; /* the current path */
	uint32_t *cur;		  /* per depth: next edge to try */
	bool *on;
	struct keeper kp;
	uint64_t limit, work;
};

static void found_router(struct rsearch *s, uint32_t depth, const struct edge *last, struct pi_plan_paths *out)
{
	s->path[depth - 1].out_iface = last->out_iface;
	s->path[depth] = (struct pi_plan_hop){ .node = s->dst, .in_iface = last->in_iface, .out_iface = PI_NONE };
	keep(&s->kp, s->path, depth + 1, 0, out->total);
	out->total++;
}

static void router_dfs(struct rsearch *s, uint32_t src, struct pi_plan_paths *out)
{
	uint32_t depth = 1;
	s->path[0] = (struct pi_plan_hop){ .node = src, .in_iface = PI_NONE, .out_iface = PI_NONE };
	s->cur[0] = s->g.start[src];
	s->on[src] = true;
	while (depth > 0) {
		uint32_t u = s->path[depth - 1].node;
		if (out->total >= s->limit || s->work-- == 0) {
			out->capped = true;
			return;
		}
		if (s->cur[depth - 1] == s->g.start[u + 1]) {
			s->on[u] = false;
			depth--;
			continue;
		}
		const struct edge *e = &s->g.e[s->cur[depth - 1]++];
		if (s->on[e->to])
			continue;
		if (e->to == s->dst) {
			found_router(s, depth, e, out);
			continue;
		}
		if (!pi_plan_node_forwards(s->plan, e->to))
			continue;
		s->path[depth - 1].out_iface = e->out_iface;
		s->path[depth] = (struct pi_plan_hop){ .node = e->to, .in_iface = e->in_iface, .out_iface = PI_NONE };
		s->cur[depth] = s->g.start[e->to];
		s->on[e->to] = true;
		depth++;
	}
}

int pi_plan_router_paths(const struct pi_plan *plan, uint32_t src, uint32_t dst, size_t max, uint64_t limit,
			 struct pi_plan_paths *out)
{
	if (src >= plan->n_nodes || dst >= plan->n_nodes)
		return -EINVAL;
	struct rsearch s = { .plan = plan, .dst = dst, .limit = limit ? limit : DEFAULT_LIMIT };
	s.work = s.limit * WORK_PER_PATH;
	s.kp = (struct keeper){ .k = pi_xcalloc(max + 1, sizeof(struct kept)), .max = max,
				.elem = sizeof(struct pi_plan_hop) };
	if (src == dst) {
		struct pi_plan_hop h = { .node = src, .in_iface = PI_NONE, .out_iface = PI_NONE };
		keep(&s.kp, &h, 1, 0, 0);
		out->total = 1;
		keeper_done(&s.kp, out, false);
		return 0;
	}
	graph_build(plan, &s.g);
	s.path = pi_xcalloc(plan->n_nodes + 1, sizeof(*s.path));
	s.cur = pi_xcalloc(plan->n_nodes + 1, sizeof(*s.cur));
	s.on = pi_xcalloc(plan->n_nodes + 1, sizeof(*s.on));
	router_dfs(&s, src, out);
	keeper_done(&s.kp, out, false);
	free(s.path);
	free(s.cur);
	free(s.on);
	graph_free(&s.g);
	return 0;
}

/* ---- AS paths ---- */

static bool both_members(const struct pi_plan *plan, uint32_t a, uint32_t b)
{
	for (uint32_t i = 0; i < plan->n_rels; i++) {
		const struct pi_plan_rel *r = &plan->rels[i];
		if (r->rel != PI_REL_RS || r->a != a)
			continue;
		for (uint32_t j = 0; j < plan->n_rels; j++)
			if (plan->rels[j].rel == PI_REL_RS && plan->rels[j].a == b && plan->rels[j].b == r->b)
				return true;
	}
	return false;
}

bool pi_plan_pod_rel(const struct pi_plan *plan, uint32_t a, uint32_t b, enum pi_rel *out)
{
	bool cust = false, peer = false, prov = false;
	for (uint32_t i = 0; i < plan->n_rels; i++) {
		const struct pi_plan_rel *r = &plan->rels[i];
		if (r->rel == PI_REL_CUSTOMER && r->a == a && r->b == b)
			cust = true;
		else if (r->rel == PI_REL_CUSTOMER && r->a == b && r->b == a)
			prov = true;
		else if (r->rel == PI_REL_PEER && ((r->a == a && r->b == b) || (r->a == b && r->b == a)))
			peer = true;
	}
	if (!cust && !peer && a != b && both_members(plan, a, b))
		peer = true;
	if (!cust && !peer && !prov)
		return false;
	*out = cust ? PI_REL_CUSTOMER : peer ? PI_REL_PEER : PI_REL_PROVIDER;
	return true;
}

/* Pod adjacency over relationships, IXPs left out (their members meet directly). */
static void pod_graph(const struct pi_plan *plan, struct graph *g)
{
	uint32_t n = plan->n_pods;
	bool *adj = pi_xcalloc((size_t)n * n + 1, sizeof(bool));
	enum pi_rel r;
	size_t ne = 0;
	for (uint32_t i = 0; i < plan->n_rels; i++) {
		uint32_t a = plan->rels[i].a, b = plan->rels[i].b;
		if (plan->rels[i].rel == PI_REL_RS) {
			for (uint32_t j = 0; j < plan->n_rels; j++)
				if (plan->rels[j].rel == PI_REL_RS && plan->rels[j].b == b && plan->rels[j].a != a)
					adj[(size_t)a * n + plan->rels[j].a] = true;
		} else if (pi_plan_pod_rel(plan, a, b, &r)) {
			adj[(size_t)a * n + b] = adj[(size_t)b * n + a] = true;
		}
	}
	g->start = pi_xcalloc(n + 2, sizeof(uint32_t));
	for (size_t k = 0; k < (size_t)n * n; k++)
		ne += adj[k];
	g->e = pi_xcalloc(ne + 1, sizeof(struct edge));
	ne = 0;
	for (uint32_t a = 0; a < n; a++) {
		g->start[a] = (uint32_t)ne;
		for (uint32_t b = 0; b < n; b++)
			if (adj[(size_t)a * n + b])
				g->e[ne++] = (struct edge){ .to = b, .out_iface = PI_NONE, .in_iface = PI_NONE };
	}
	g->start[n] = (uint32_t)ne;
	free(adj);
}

static void found_as(const struct pi_plan *plan, struct keeper *kp, const uint32_t *pods, uint32_t n,
		     struct pi_plan_paths *out)
{
	uint32_t asns[256];
	bool ok = n <= PI_ARRAY_LEN(asns);
	for (uint32_t i = 0; ok && i < n; i++)
		asns[i] = plan->pods[pods[i]].asn;
	ok = ok && pi_plan_path_valley_free(plan, asns, n, NULL, 0);
	keep(kp, pods, n, ok ? 0 : 1, out->total);
	out->total++;
	out->allowed += ok;
}

int pi_plan_as_paths(const struct pi_plan *plan, uint32_t src, uint32_t dst, size_t max, uint64_t limit,
		     struct pi_plan_paths *out)
{
	if (src >= plan->n_pods || dst >= plan->n_pods || plan->pods[src].tier == PI_TIER_IXP ||
	    plan->pods[dst].tier == PI_TIER_IXP)
		return -EINVAL;
	limit = limit ? limit : DEFAULT_LIMIT;
	uint64_t work = limit * WORK_PER_PATH;
	struct keeper kp = { .k = pi_xcalloc(max + 1, sizeof(struct kept)), .max = max, .elem = sizeof(uint32_t) };
	struct graph g;
	pod_graph(plan, &g);
	uint32_t *path = pi_xcalloc(plan->n_pods + 1, sizeof(uint32_t)), *cur = pi_xcalloc(plan->n_pods + 1, sizeof(uint32_t));
	bool *on = pi_xcalloc(plan->n_pods + 1, sizeof(bool));
	uint32_t depth = 1;
	path[0] = src;
	cur[0] = g.start[src];
	on[src] = true;
	if (src == dst) {
		found_as(plan, &kp, path, 1, out);
		depth = 0;
	}
	while (depth > 0) {
		uint32_t u = path[depth - 1];
		if (out->total >= limit || work-- == 0) {
			out->capped = true;
			break;
		}
		if (cur[depth - 1] == g.start[u + 1]) {
			on[u] = false;
			depth--;
			continue;
		}
		uint32_t v = g.e[cur[depth - 1]++].to;
		if (on[v])
			continue;
		path[depth] = v;
		if (v == dst) {
			found_as(plan, &kp, path, depth + 1, out);
			continue;
		}
		cur[depth] = g.start[v];
		on[v] = true;
		depth++;
	}
	keeper_done(&kp, out, true);
	free(path);
	free(cur);
	free(on);
	graph_free(&g);
	return 0;
}

static unsigned rel_lp(enum pi_rel r)
{
	return r == PI_REL_CUSTOMER ? 200 : r == PI_REL_PEER ? 100 : 50; /* render's PI_LP_* */
}

void pi_plan_as_path_why(const struct pi_plan *plan, const uint32_t *a, size_t na, const uint32_t *b, size_t nb,
			 char *why, size_t len)
{
	size_t i = 0;
	why[0] = '\0';
	while (i + 1 < na && i + 1 < nb && a[i + 1] == b[i + 1])
		i++;
	if (i + 1 >= na || i + 1 >= nb)
		return; /* the same path (or one ends inside the other) */
	const struct pi_plan_pod *x = &plan->pods[a[i]], *ya = &plan->pods[a[i + 1]], *yb = &plan->pods[b[i + 1]];
	enum pi_rel ra, rb;
	if (!pi_plan_pod_rel(plan, a[i], a[i + 1], &ra) || !pi_plan_pod_rel(plan, a[i], b[i + 1], &rb)) {
		snprintf(why, len, "at %s (AS %u) the paths part, over pods with no relationship", x->name, x->asn);
		return;
	}
	unsigned la = rel_lp(ra), lb = rel_lp(rb);
	if (la > lb)
		snprintf(why, len, "at %s (AS %u) local preference %u (%s %s) beats %u (%s %s)", x->name, x->asn, la,
			 pi_rel_name(ra), ya->name, lb, pi_rel_name(rb), yb->name);
	else if (la == lb)
		snprintf(why, len,
			 "at %s (AS %u) both next ASes are %ss (local preference %u): a later tie-break (AS path "
			 "length, then router ID) chose %s over %s",
			 x->name, x->asn, pi_rel_name(ra), la, ya->name, yb->name);
	else
		snprintf(why, len,
			 "at %s (AS %u) local preference %u (%s %s) is below %u (%s %s): %s did not offer it the route",
			 x->name, x->asn, la, pi_rel_name(ra), ya->name, lb, pi_rel_name(rb), yb->name, yb->name);
}
