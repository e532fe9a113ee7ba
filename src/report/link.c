/* report/link: link list as JSON, each end's state in the node's netns. */
#include "pocketinternet/report.h"

static const char *end_word(const struct pi_link_end *e)
{
	if (!e->present)
		return "absent";
	if (!e->admin_up)
		return "down";
	return e->carrier ? "up" : "no-carrier";
}

json_t *pi_report_links(const struct pi_plan *plan, const struct pi_vec *v)
{
	json_t *arr = json_array();
	for (size_t i = 0; i < v->len; i++) {
		const struct pi_link_status *ls = pi_vec_at(v, i);
		const struct pi_plan_link *lk = &plan->links[ls->link];
		json_t *ends = json_array();
		for (size_t k = 0; k < ls->n_ends; k++) {
			const struct pi_link_end *e = &ls->ends[k];
			const struct pi_plan_iface *f = &plan->ifaces[e->iface];
			char a4[PI_PREFIX_STRLEN] = "", a6[PI_PREFIX_STRLEN] = "";
			if (pi_prefix_is_set(&f->v4))
				pi_prefix_fmt(&f->v4, a4);
			if (pi_prefix_is_set(&f->v6))
				pi_prefix_fmt(&f->v6, a6);
			json_array_append_new(ends, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "node",
							      plan->nodes[f->node].name, "iface", f->name, "ipv4", a4,
							      "ipv6", a6, "state", end_word(e), "impairment", e->impair));
		}
		json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:s, s:o}", "name", lk->name, "kind",
						     lk->kind == PI_LINK_LAN ? "lan" : "p2p", "scope",
						     pi_link_scope_name(lk->scope), "state", ls->state, "ends", ends));
	}
	return json_pack("{s:s, s:o}", "lab", plan->lab_name, "links", arr);
}

