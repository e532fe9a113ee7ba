/*
 * report/lab: the whole lab for the web page (GET /api/v1/lab): the AS-level
 * graph (pods, relations), the router level (nodes, links, sessions) and
 * what is live about each. The words are the contract of docs/web.md.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "pocketinternet/report.h"

const char *pi_report_pod_tier(const struct pi_plan_pod *pod)
{
	if (pod->tier == PI_TIER_TRANSIT)
		return "transit";
	if (pod->tier == PI_TIER_IXP)
		return "ixp";
	for (size_t i = 0; pod->bp && i < pod->bp->n_lans; i++)
		if (pod->bp->lans[i].subscriber)
			return "broadband";
	return "content";
}

const char *pi_report_node_state(const struct pi_status_node *n)
{
	if (n->running)
		return "running";
	return !n->state[0] || strcmp(n->state, "absent") == 0 ? "absent" : "stopped";
}

const char *pi_report_session_state(const struct pi_status_session *s)
{
	if (s->established)
		return "established";
	if (!s->state[0][0] || strcmp(s->state[0], "down") == 0 || strcmp(s->state[0], "absent") == 0)
		return "down";
	return s->state[0];
}

static const char *session_kind(enum pi_rel rel)
{
	if (rel == PI_REL_IBGP)
		return "ibgp";
	return rel == PI_REL_RS || rel == PI_REL_RS_CLIENT ? "rs" : "ebgp";
}

static void add_addr(json_t *arr, const struct pi_prefix *p)
{
	char b[PI_PREFIX_STRLEN];
	if (pi_prefix_is_set(p))
		json_array_append_new(arr, json_string(pi_prefix_fmt(p, b)));
}

static json_t *pods_json(const struct pi_plan *plan)
{
	json_t *arr = json_array();
	for (uint32_t i = 0; i < plan->n_pods; i++) {
		const struct pi_plan_pod *p = &plan->pods[i];
		json_t *nodes = json_array();
		for (uint32_t k = 0; k < p->n_nodes; k++)
			json_array_append_new(nodes, json_string(plan->nodes[p->first_node + k].name));
		json_array_append_new(arr, json_pack("{s:s, s:I, s:s?, s:s, s:o}", "name", p->name, "asn",
						     (json_int_t)p->asn, "blueprint", p->bp ? p->bp->name : NULL,
						     "tier", pi_report_pod_tier(p), "nodes", nodes));
	}
	return arr;
}

/* provider: a sells b transit; peer; ixp-member: a is the IXP, b joined it. */
static json_t *relations_json(const struct pi_plan *plan)
{
	json_t *arr = json_array();
	for (uint32_t i = 0; i < plan->n_rels; i++) {
		const struct pi_plan_rel *r = &plan->rels[i];
		uint32_t a = r->a, b = r->b;
		const char *kind = "peer";
		if (r->rel == PI_REL_CUSTOMER)
			kind = "provider";
		else if (r->rel == PI_REL_PROVIDER)
			kind = "provider", a = r->b, b = r->a;
		else if (r->rel == PI_REL_RS)
			kind = "ixp-member", a = r->b, b = r->a;
		else if (r->rel == PI_REL_RS_CLIENT)
			kind = "ixp-member";
		json_array_append_new(arr, json_pack("{s:s, s:s, s:s}", "a", plan->pods[a].name, "b", plan->pods[b].name,
						     "kind", kind));
	}
	return arr;
}

static json_t *nodes_json(const struct pi_plan *plan, const struct pi_status *st)
{
	json_t *arr = json_array();
	for (uint32_t i = 0; i < plan->n_nodes; i++) {
		const struct pi_plan_node *n = &plan->nodes[i];
		json_t *addrs = json_array();
		add_addr(addrs, &n->lo4);
		add_addr(addrs, &n->lo6);
		json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:s, s:o}", "name", n->name, "pod",
						     plan->pods[n->pod].name, "role", n->role, "state",
						     st ? pi_report_node_state(&st->nodes[i]) : "absent", "addrs", addrs));
	}
	return arr;
}

static const struct pi_link_status *link_status(const struct pi_vec *links, uint32_t link)
{
	for (size_t i = 0; links && i < links->len; i++) {
		const struct pi_link_status *ls = pi_vec_at(links, i);
		if (ls->link == link)
			return ls;
	}
	return NULL;
}

/* The shaping in force on any end, as link list words; null when none. */
static json_t *impairment_json(const struct pi_plan *plan, const struct pi_link_status *ls)
{
	json_t *o = NULL;
	for (size_t k = 0; ls && k < ls->n_ends; k++) {
		const struct pi_link_end *e = &ls->ends[k];
		if (!e->impair[0])
			continue;
		if (!o)
			o = json_object();
		const struct pi_plan_iface *f = &plan->ifaces[e->iface];
		char key[128];
		snprintf(key, sizeof(key), "%s:%s", plan->nodes[f->node].name, f->name);
		json_object_set_new(o, key, json_string(e->impair));
	}
	return o ? o : json_null();
}

static json_t *links_json(const struct pi_plan *plan, const struct pi_vec *links)
{
	json_t *arr = json_array();
	for (uint32_t i = 0; i < plan->n_links; i++) {
		const struct pi_plan_link *lk = &plan->links[i];
		const struct pi_link_status *ls = link_status(links, i);
		json_t *ends = json_array();
		for (uint32_t k = 0; k < lk->n_ifaces; k++) {
			const struct pi_plan_iface *f = &plan->ifaces[lk->ifaces[k]];
			json_t *addrs = json_array();
			add_addr(addrs, &f->v4);
			add_addr(addrs, &f->v6);
			json_array_append_new(ends, json_pack("{s:s, s:s, s:o}", "node", plan->nodes[f->node].name, "iface",
							      f->name, "addrs", addrs));
		}
		json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:o, s:s, s:o}", "name", lk->name, "kind",
						     lk->kind == PI_LINK_LAN ? "lan" : "p2p", "scope",
						     pi_link_scope_name(lk->scope), "ends", ends, "state",
						     ls ? ls->state : "absent", "impairment", impairment_json(plan, ls)));
	}
	return arr;
}

static json_t *sessions_json(const struct pi_plan *plan, const struct pi_status *st)
{
	json_t *arr = json_array();
	for (uint32_t k = 0; k < plan->n_sessions; k++) {
		const struct pi_plan_session *s = &plan->sessions[k];
		json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "name", s->name, "a",
						     plan->nodes[s->a].name, "b", plan->nodes[s->b].name, "a_pod",
						     plan->pods[plan->nodes[s->a].pod].name, "b_pod",
						     plan->pods[plan->nodes[s->b].pod].name, "kind", session_kind(s->rel),
						     "family", s->family == PI_AF_V6 ? "ipv6" : "ipv4", "state",
						     st ? pi_report_session_state(&st->sessions[k]) : "down"));
	}
	return arr;
}

static json_t *incidents_json(const struct pi_plan *plan, const struct pi_vec *incidents)
{
	json_t *arr = json_array();
	for (size_t i = 0; incidents && i < incidents->len; i++)
		json_array_append_new(arr, pi_report_incident(plan, pi_vec_at(incidents, i)));
	return arr;
}

json_t *pi_report_lab(const struct pi_plan *plan, const struct pi_status *st, const struct pi_vec *links,
		      const struct pi_vec *incidents)
{
	return json_pack("{s:s, s:s?, s:o, s:o, s:o, s:o, s:o, s:o}", "name", plan->lab_name, "title", plan->title,
			 "pods", pods_json(plan), "relations", relations_json(plan), "nodes", nodes_json(plan, st),
			 "links", links_json(plan, links), "sessions", sessions_json(plan, st), "incidents",
			 incidents_json(plan, incidents));
}

json_t *pi_report_live(const struct pi_plan *plan, const struct pi_status *st, const struct pi_vec *links,
		       const struct pi_vec *incidents)
{
	json_t *nodes = json_object(), *lk = json_object(), *ses = json_object();
	for (uint32_t i = 0; i < plan->n_nodes; i++)
		json_object_set_new(nodes, plan->nodes[i].name, json_string(st ? pi_report_node_state(&st->nodes[i]) : "absent"));
	for (uint32_t i = 0; i < plan->n_links; i++) {
		const struct pi_link_status *ls = link_status(links, i);
		json_object_set_new(lk, plan->links[i].name, json_string(ls ? ls->state : "absent"));
	}
	for (uint32_t k = 0; k < plan->n_sessions; k++)
		json_object_set_new(ses, plan->sessions[k].name,
				    json_string(st ? pi_report_session_state(&st->sessions[k]) : "down"));
	return json_pack("{s:o, s:o, s:o, s:o}", "nodes", nodes, "links", lk, "sessions", ses, "incidents",
			 incidents_json(plan, incidents));
}

void pi_report_print(json_t *j, FILE *out)
{
	char *t = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	if (t)
		fprintf(out, "%s\n", t);
	free(t);
	json_decref(j);
}
