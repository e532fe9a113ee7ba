/* report/verify: verify's result as JSON (the matrix's failures, DNS, HTTP, policy). */
#include <stdlib.h>
#include "pocketinternet/report.h"

static bool pair_ok(const struct pi_plan *p, const struct pi_verify_reach *r, uint32_t s, uint32_t t)
{
	return r->ok[(size_t)s * p->n_nodes + t];
}

static unsigned fails_of(const struct pi_vec *v)
{
	unsigned n = 0;
	for (size_t i = 0; i < v->len; i++)
		n += !((const struct pi_verify_check *)pi_vec_at(v, i))->ok;
	return n;
}

static json_t *reach_json(const struct pi_plan *p, const struct pi_verify_reach *r)
{
	json_t *fails = json_array(), *excl = json_array();
	for (uint32_t s = 0; s < p->n_nodes; s++)
		for (uint32_t t = 0; r->source[s] && t < p->n_nodes; t++)
			if (pi_verify_reach_expected(p, r, s, t) && !pair_ok(p, r, s, t))
				json_array_append_new(fails, json_pack("{s:s, s:s}", "from", p->nodes[s].name, "to",
								       p->nodes[t].name));
	for (uint32_t i = 0; i < p->n_nodes; i++)
		if (r->why_not[i])
			json_array_append_new(excl, json_pack("{s:s, s:s}", "node", p->nodes[i].name, "why", r->why_not[i]));
	return json_pack("{s:i, s:i, s:I, s:I, s:I, s:f, s:o, s:o}", "sources", r->n_sources, "targets", r->n_targets,
			 "pairs", (json_int_t)r->pairs, "failed", (json_int_t)r->failed, "not_joined",
			 (json_int_t)r->unexpected, "seconds", r->seconds, "failures", fails, "excluded", excl);
}

static json_t *policy_json(const struct pi_plan *p, const struct pi_verify *v)
{
	json_t *viol = json_array(), *down = json_array();
	for (size_t i = 0; i < v->violations.len; i++) {
		const struct pi_policy_violation *x = pi_vec_at(&v->violations, i);
		char pfx[PI_PREFIX_STRLEN];
		json_t *path = json_array();
		for (unsigned k = 0; k < x->path_len; k++)
			json_array_append_new(path, json_integer(x->path[k]));
		json_array_append_new(viol, json_pack("{s:s, s:s, s:b, s:o, s:s}", "node", p->nodes[x->node].name, "prefix",
						      pi_prefix_fmt(&x->net, pfx), "best", x->best, "as_path", path, "why",
						      x->why));
	}
	for (uint32_t k = 0; k < p->n_sessions; k++)
		if (!v->status.sessions[k].established)
			json_array_append_new(down, json_string(p->sessions[k].name));
	json_t *j = json_pack("{s:i, s:o, s:i, s:i, s:o}", "routes_checked", v->routes_checked, "not_valley_free", viol,
			      "sessions", p->n_sessions, "established", v->status.established, "sessions_down", down);
	if (v->policy_note)
		json_object_set_new(j, "note", json_string(v->policy_note));
	return j;
}

static json_t *checks_json(const struct pi_plan *p, const struct pi_vec *v)
{
	json_t *fails = json_array();
	for (size_t i = 0; i < v->len; i++) {
		const struct pi_verify_check *c = pi_vec_at(v, i);
		if (!c->ok)
			json_array_append_new(fails, json_pack("{s:s, s:s, s:s}", "node", p->nodes[c->node].name, "asked", c->what,
							       "got", c->detail));
	}
	return json_pack("{s:I, s:I, s:o}", "checks", (json_int_t)v->len, "failed", (json_int_t)fails_of(v), "failures",
			 fails);
}

json_t *pi_report_verify(const struct pi_plan *p, const struct pi_verify *v)
{
	json_t *j = json_pack("{s:s, s:b}", "lab", p->lab_name, "passed", v->passed);
	if (v->parts & PI_VERIFY_DNS)
		json_object_set_new(j, "dns", checks_json(p, &v->dns));
	if (v->parts & PI_VERIFY_HTTP)
		json_object_set_new(j, "http", checks_json(p, &v->http));
	if (v->parts & PI_VERIFY_REACH) {
		json_t *r = json_object();
		for (int f = 0; f < 2; f++)
			if (v->reach[f].addr)
				json_object_set_new(r, f ? "ipv6" : "ipv4", reach_json(p, &v->reach[f]));
		json_object_set_new(j, "reach", r);
	}
	if (v->parts & PI_VERIFY_POLICY)
		json_object_set_new(j, "policy", policy_json(p, v));
	return j;
}
