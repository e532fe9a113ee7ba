/*
 * paths: the live half of `paths SRC DST`. What the plan allows is pure
 * (src/plan/paths.c); here is what the running lab does: the AS path of
 * the best route at SRC's border router (the looking glass, lg.c) and the
 * hops of a native traceroute from SRC (probe.c), both as pods, so that
 * they can be set side by side with the shortest allowed AS path.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "apply_int.h"

/* The address of dst_node to aim at for a family, and the node that holds it. */
static void target(const struct pi_plan *plan, uint32_t node, uint8_t fam, struct pi_paths_family *f)
{
	struct pi_prefix cgnat;
	pi_prefix_parse("100.64.0.0/10", &cgnat);
	const struct pi_plan_node *n = &plan->nodes[node];
	const struct pi_prefix *lo = fam == PI_AF_V4 ? &n->lo4 : &n->lo6;
	f->dst_node = node;
	if (pi_prefix_is_set(lo) && (n->services & PI_SVC_ROUTER)) { /* servers' loopbacks are not routed */
		f->dst = pi_prefix_as_host(lo);
		return;
	}
	for (uint32_t i = 0; i < n->n_ifaces; i++) {
		const struct pi_plan_iface *fc = pi_plan_node_iface(plan, node, i);
		const struct pi_prefix *a = fam == PI_AF_V4 ? &fc->v4 : &fc->v6;
		if (!pi_prefix_is_set(a))
			continue;
		if (fam == PI_AF_V4 && pi_prefix_contains(&cgnat, a))
			break; /* behind carrier-grade NAT: its gateway stands in */
		f->dst = pi_prefix_as_host(a);
		return;
	}
	uint32_t gw = pi_plan_gateway(plan, node);
	if (fam == PI_AF_V4 && gw != PI_NONE && gw != node && (plan->nodes[gw].services & PI_SVC_ROUTER) &&
	    pi_prefix_is_set(&plan->nodes[gw].lo4)) {
		f->dst_node = gw;
		f->dst = pi_prefix_as_host(&plan->nodes[gw].lo4);
	}
}

/* SRC's pod, then the AS path's pods with prepends once; 0 when one is outside the lab. */
static unsigned path_pods(const struct pi_plan *plan, uint32_t src_pod, const struct pi_rib_route *r, uint32_t *out)
{
	unsigned n = 0;
	out[n++] = src_pod;
	if (r->as_path_truncated)
		return 0;
	for (unsigned i = 0; i < r->as_path_len; i++) {
		uint32_t p = pi_plan_pod_by_asn(plan, r->as_path[i]);
		if (p == PI_NONE)
			return 0;
		if (out[n - 1] != p)
			out[n++] = p;
	}
	return n;
}

static void bgp_part(struct pi_backend *b, const struct pi_plan *plan, uint32_t src, const struct pi_plan_paths *as,
		     struct pi_paths_family *f, struct pi_diag *diag)
{
	f->border = pi_plan_pod_border(plan, src);
	if (f->border == PI_NONE || !pi_prefix_is_set(&f->dst)) {
		f->bgp_rc = -ENOENT;
		return;
	}
	struct pi_vec v = PI_VEC_INIT(struct pi_lg_route);
	f->bgp_rc = pi_apply_lg_routes(b, plan, f->border, &f->dst, &v, diag);
	for (size_t i = 0; f->bgp_rc == 0 && i < v.len && !f->bgp_found; i++) {
		const struct pi_lg_route *g = pi_vec_at(&v, i);
		if (!g->r.best)
			continue;
		f->bgp_found = true;
		f->best = g->r;
		f->n_bgp_pods = path_pods(plan, plan->nodes[src].pod, &g->r, f->bgp_pods);
	}
	pi_vec_free(&v);
	const struct pi_plan_path *shortest = NULL;
	for (size_t i = 0; as && i < as->paths.len && !shortest; i++)
		if (((const struct pi_plan_path *)pi_vec_at(&as->paths, i))->valley_free)
			shortest = pi_vec_at(&as->paths, i);
	if (shortest && f->n_bgp_pods)
		pi_plan_as_path_why(plan, f->bgp_pods, f->n_bgp_pods, pi_vec_at(&as->hops, shortest->first), shortest->n,
				    f->why, sizeof(f->why));
}

static void trace_part(struct pi_backend *b, const struct pi_plan *plan, uint32_t src, const struct pi_troute_opts *o,
		       struct pi_paths_family *f, struct pi_diag *diag)
{
	if (!pi_prefix_is_set(&f->dst)) {
		f->trace_rc = -ENOENT;
		return;
	}
	f->trace_rc = pi_apply_traceroute(b, plan, src, &f->dst, o, f->hops, PI_PATHS_MAX_HOPS, &f->n_hops, diag);
	f->trace_pods[f->n_trace_pods++] = plan->nodes[src].pod; /* packets start there */
	for (size_t i = 0; i < f->n_hops && f->n_trace_pods < PI_PATHS_MAX_HOPS; i++) {
		uint32_t p = f->hops[i].pod;
		if (p != PI_NONE && f->trace_pods[f->n_trace_pods - 1] != p)
			f->trace_pods[f->n_trace_pods++] = p;
	}
	f->trace_matches_bgp = f->trace_rc == 0 && f->n_bgp_pods && f->n_bgp_pods == f->n_trace_pods &&
			       memcmp(f->bgp_pods, f->trace_pods, f->n_trace_pods * sizeof(uint32_t)) == 0;
}

int pi_apply_paths_live(struct pi_backend *b, const struct pi_plan *plan, uint32_t src, uint32_t dst,
			const struct pi_plan_paths *as_paths, const struct pi_troute_opts *trace,
			struct pi_paths_family out[2], struct pi_diag *diag)
{
	int pid;
	int rc = pi_apply_node_pid(b, plan, src, &pid, diag);
	if (rc)
		return rc;
	for (int k = 0; k < 2; k++) {
		struct pi_paths_family *f = &out[k];
		memset(f, 0, sizeof(*f));
		f->family = k ? PI_AF_V6 : PI_AF_V4;
		f->border = f->dst_node = PI_NONE;
		target(plan, dst, f->family, f);
		bgp_part(b, plan, src, as_paths, f, diag);
		trace_part(b, plan, src, trace, f, diag);
	}
	return 0;
}
