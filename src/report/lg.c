/* report/lg: the looking glass's routes and sessions as JSON. */
#include "pocketinternet/report.h"

static const char *node_name(const struct pi_plan *plan, uint32_t n)
{
	return n == PI_NONE ? NULL : plan->nodes[n].name;
}

static json_t *route_json(const struct pi_plan *plan, const struct pi_lg_route *g)
{
	const struct pi_rib_route *r = &g->r;
	char b[PI_PREFIX_STRLEN];
	json_t *path = json_array(), *pods = json_array(), *comm = json_array(), *std = json_array();
	for (unsigned i = 0; i < r->as_path_len; i++) {
		uint32_t p = pi_plan_pod_by_asn(plan, r->as_path[i]);
		json_array_append_new(path, json_integer(r->as_path[i]));
		json_array_append_new(pods, p == PI_NONE ? json_null() : json_string(plan->pods[p].name));
	}
	for (unsigned i = 0; i < r->n_large; i++)
		json_array_append_new(comm, json_pack("{s:[i,i,i], s:s?}", "community", (json_int_t)r->large[i].a,
						      (json_int_t)r->large[i].b, (json_int_t)r->large[i].c, "meaning",
						      g->comm_known[i] ? g->comm[i] : NULL));
	for (unsigned i = 0; i < r->n_comm; i++)
		json_array_append_new(std, json_pack("[i,i]", (json_int_t)r->communities[i][0], (json_int_t)r->communities[i][1]));
	json_t *o = json_pack("{s:s, s:b, s:s, s:s, s:s?, s:s?}", "network", pi_prefix_fmt(&r->net, b), "best", r->best,
			      "protocol", r->proto, "type", r->type, "session",
			      g->session == PI_NONE ? NULL : plan->sessions[g->session].name, "neighbor",
			      node_name(plan, g->neighbor));
	json_object_set_new(o, "next_hop", pi_prefix_is_set(&r->next_hop) ? json_string(pi_prefix_fmt_addr(&r->next_hop, b)) : json_null());
	json_object_set_new(o, "iface", r->iface[0] ? json_string(r->iface) : json_null());
	json_object_set_new(o, "preference", json_integer(r->preference));
	json_object_set_new(o, "bgp", json_boolean(r->bgp));
	if (r->bgp) {
		json_object_set_new(o, "as_path", path);
		json_object_set_new(o, "as_path_pods", pods);
		json_object_set_new(o, "as_path_truncated", json_boolean(r->as_path_truncated));
		json_object_set_new(o, "origin", json_string(pi_rib_origin_name(r->origin)));
		json_object_set_new(o, "local_pref", json_integer(r->local_pref));
		json_object_set_new(o, "med", r->has_med ? json_integer(r->med) : json_null());
	} else {
		json_decref(path);
		json_decref(pods);
	}
	json_object_set_new(o, "learned_from", json_string(r->from_kind));
	json_object_set_new(o, "rpki", g->rpki == PI_ROA_NONE ? json_null() : json_string(pi_roa_state_name(g->rpki)));
	json_object_set_new(o, "origin_pod", g->origin_pod == PI_NONE ? json_null() : json_string(plan->pods[g->origin_pod].name));
	json_object_set_new(o, "large_communities", comm);
	json_object_set_new(o, "communities", std);
	json_object_set_new(o, "why", json_string(g->why));
	json_object_set_new(o, "criterion", r->best ? json_null() : json_string(pi_rib_crit_name(g->crit)));
	return o;
}

json_t *pi_report_lg_routes(const struct pi_plan *plan, uint32_t node, const char *query, const struct pi_vec *routes)
{
	const struct pi_plan_node *n = &plan->nodes[node];
	json_t *arr = json_array();
	for (size_t i = 0; i < routes->len; i++)
		json_array_append_new(arr, route_json(plan, pi_vec_at(routes, i)));
	return json_pack("{s:s, s:s, s:s, s:i, s:s?, s:o}", "lab", plan->lab_name, "node", n->name, "pod",
			 plan->pods[n->pod].name, "asn", (json_int_t)plan->pods[n->pod].asn, "query", query, "routes", arr);
}

static void session_json(const struct pi_plan *plan, const struct pi_lg_session *s, json_t *arr)
{
	uint32_t nb = s->neighbor;
	json_t *o = json_pack("{s:s, s:s?, s:s?, s:s?, s:s, s:s, s:b}", "name", s->st.name, "neighbor",
			      node_name(plan, nb), "neighbor_pod", nb == PI_NONE ? NULL : plan->pods[plan->nodes[nb].pod].name,
			      "relationship", s->session == PI_NONE ? NULL : pi_rel_name(s->rel), "state", s->st.state,
			      "info", s->st.info, "established", s->st.established);
	json_object_set_new(o, "neighbor_asn", nb != PI_NONE ? json_integer(plan->pods[plan->nodes[nb].pod].asn)
						: s->st.neighbor_as ? json_integer(s->st.neighbor_as) : json_null());
	json_object_set_new(o, "neighbor_address", s->st.neighbor_addr[0] ? json_string(s->st.neighbor_addr) : json_null());
	json_object_set_new(o, "neighbor_id", s->st.neighbor_id[0] ? json_string(s->st.neighbor_id) : json_null());
	json_object_set_new(o, "planned", json_boolean(s->session != PI_NONE));
	if (s->st.has_routes) {
		json_object_set_new(o, "imported", json_integer(s->st.imported));
		json_object_set_new(o, "exported", json_integer(s->st.exported));
		json_object_set_new(o, "preferred", json_integer(s->st.preferred));
	}
	json_array_append_new(arr, o);
}

json_t *pi_report_lg_sessions(const struct pi_plan *plan, uint32_t node, const struct pi_vec *sessions)
{
	const struct pi_plan_node *n = &plan->nodes[node];
	unsigned up = 0;
	json_t *arr = json_array();
	for (size_t i = 0; i < sessions->len; i++) {
		up += ((const struct pi_lg_session *)pi_vec_at(sessions, i))->st.established;
		session_json(plan, pi_vec_at(sessions, i), arr);
	}
	return json_pack("{s:s, s:s, s:s, s:i, s:i, s:o}", "lab", plan->lab_name, "node", n->name, "pod",
			 plan->pods[n->pod].name, "asn", (json_int_t)plan->pods[n->pod].asn, "established",
			 (json_int_t)up, "sessions", arr);
}
