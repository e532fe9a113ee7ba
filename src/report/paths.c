/* report/paths: paths SRC DST as JSON (plan's paths, BGP's choice, traceroute). */
#include <stdint.h>
#include "pocketinternet/report.h"

/* The index of the shortest allowed AS path, or SIZE_MAX. */
size_t pi_report_shortest_allowed(const struct pi_plan_paths *as)
{
	for (size_t i = 0; i < as->paths.len; i++)
		if (((const struct pi_plan_path *)pi_vec_at(&as->paths, i))->valley_free)
			return i;
	return SIZE_MAX;
}

static const uint32_t *as_path_at(const struct pi_plan_paths *as, size_t i, uint32_t *n)
{
	const struct pi_plan_path *p = pi_vec_at(&as->paths, i);
	*n = p->n;
	return pi_vec_at(&as->hops, p->first);
}

static json_t *pods_json(const struct pi_plan *plan, const uint32_t *pods, unsigned n)
{
	json_t *a = json_array();
	for (unsigned i = 0; i < n; i++)
		json_array_append_new(a, json_string(plan->pods[pods[i]].name));
	return a;
}

static json_t *router_json(const struct pi_report_paths *r)
{
	json_t *arr = json_array();
	for (size_t i = 0; i < r->routers.paths.len; i++) {
		const struct pi_plan_path *p = pi_vec_at(&r->routers.paths, i);
		const struct pi_plan_hop *h = pi_vec_at(&r->routers.hops, p->first);
		json_t *hops = json_array();
		for (uint32_t k = 0; k < p->n; k++)
			json_array_append_new(hops, json_pack("{s:s, s:s, s:s?, s:s?}", "node", r->plan->nodes[h[k].node].name,
							      "pod", r->plan->pods[r->plan->nodes[h[k].node].pod].name, "in",
							      h[k].in_iface == PI_NONE ? NULL : r->plan->ifaces[h[k].in_iface].name,
							      "out", h[k].out_iface == PI_NONE ? NULL : r->plan->ifaces[h[k].out_iface].name));
		json_array_append_new(arr, json_pack("{s:i, s:o}", "hops", (json_int_t)p->n - 1, "nodes", hops));
	}
	return json_pack("{s:I, s:b, s:o}", "total", (json_int_t)r->routers.total, "capped", r->routers.capped, "paths", arr);
}

static json_t *as_json(const struct pi_report_paths *r)
{
	json_t *arr = json_array();
	size_t best = pi_report_shortest_allowed(&r->ases);
	for (size_t i = 0; i < r->ases.paths.len; i++) {
		uint32_t n;
		const uint32_t *pods = as_path_at(&r->ases, i, &n);
		json_t *asns = json_array();
		for (uint32_t k = 0; k < n; k++)
			json_array_append_new(asns, json_integer(r->plan->pods[pods[k]].asn));
		json_array_append_new(arr, json_pack("{s:o, s:o, s:b, s:b}", "pods", pods_json(r->plan, pods, n), "asns", asns,
						     "allowed", ((const struct pi_plan_path *)pi_vec_at(&r->ases.paths, i))->valley_free,
						     "shortest_allowed", i == best));
	}
	return json_pack("{s:I, s:I, s:b, s:o}", "total", (json_int_t)r->ases.total, "allowed", (json_int_t)r->ases.allowed,
			 "capped", r->ases.capped, "paths", arr);
}

static json_t *hop_json(const struct pi_plan *plan, const struct pi_troute_hop *h)
{
	char a[PI_PREFIX_STRLEN];
	json_t *rtt = json_array();
	for (unsigned k = 0; k < h->probes; k++)
		json_array_append_new(rtt, h->rtt_ms[k] < 0 ? json_null() : json_real(h->rtt_ms[k]));
	return json_pack("{s:i, s:s?, s:s, s:s?, s:s?, s:s?, s:o}", "ttl", (json_int_t)h->ttl, "address",
			 pi_prefix_is_set(&h->addr) ? pi_prefix_fmt_addr(&h->addr, a) : NULL, "reply",
			 pi_troute_reply_name(h->reply), "node", h->node == PI_NONE ? NULL : plan->nodes[h->node].name,
			 "iface", h->iface == PI_NONE ? NULL : plan->ifaces[h->iface].name, "pod",
			 h->pod == PI_NONE ? NULL : plan->pods[h->pod].name, "rtt_ms", rtt);
}

static json_t *family_json(const struct pi_report_paths *r, const struct pi_paths_family *f)
{
	const struct pi_plan *plan = r->plan;
	char a[PI_PREFIX_STRLEN];
	json_t *hops = json_array(), *asns = json_array();
	for (size_t i = 0; i < f->n_hops; i++)
		json_array_append_new(hops, hop_json(plan, &f->hops[i]));
	for (unsigned i = 0; f->bgp_found && i < f->best.as_path_len; i++)
		json_array_append_new(asns, json_integer(f->best.as_path[i]));
	json_t *bgp = json_pack("{s:s?, s:b, s:o, s:o, s:s?}", "border", f->border == PI_NONE ? NULL : plan->nodes[f->border].name,
				"found", f->bgp_found, "as_path", asns, "pods", pods_json(plan, f->bgp_pods, f->n_bgp_pods),
				"differs_from_shortest", f->why[0] ? f->why : NULL);
	if (f->bgp_found)
		json_object_set_new(bgp, "local_pref", json_integer(f->best.local_pref));
	json_t *tr = json_pack("{s:b, s:o, s:o, s:b}", "reached", f->trace_rc == 0, "hops", hops, "pods",
			       pods_json(plan, f->trace_pods, f->n_trace_pods), "matches_bgp", f->trace_matches_bgp);
	return json_pack("{s:s?, s:s?, s:o, s:o}", "address", pi_prefix_is_set(&f->dst) ? pi_prefix_fmt_addr(&f->dst, a) : NULL,
			 "target", f->dst_node == PI_NONE ? NULL : plan->nodes[f->dst_node].name, "bgp", bgp, "traceroute", tr);
}

json_t *pi_report_paths(const struct pi_report_paths *r)
{
	const struct pi_plan *plan = r->plan;
	json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:o}", "lab", plan->lab_name, "src", plan->nodes[r->src].name,
			      "src_pod", plan->pods[plan->nodes[r->src].pod].name, "dst", plan->nodes[r->dst].name, "dst_pod",
			      plan->pods[plan->nodes[r->dst].pod].name, "router_paths", router_json(r), "as_paths", as_json(r));
	if (r->have_live) {
		json_object_set_new(o, "ipv4", family_json(r, &r->live[0]));
		json_object_set_new(o, "ipv6", family_json(r, &r->live[1]));
	}
	return o;
}

