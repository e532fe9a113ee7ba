/* report/status: status's nodes, sessions, resolvers and incidents as JSON. */
#include "pocketinternet/report.h"

static json_t *status_json(const struct pi_plan *plan, const struct pi_status *st)
{
	json_t *jn = json_array(), *js = json_array(), *jr = json_array();
	for (uint32_t i = 0; i < plan->n_nodes; i++) {
		const struct pi_plan_node *n = &plan->nodes[i];
		json_array_append_new(jn, json_pack("{s:s, s:s, s:s, s:s, s:b}", "node", n->name, "pod",
						    plan->pods[n->pod].name, "role", n->role, "state",
						    st->nodes[i].state, "running", st->nodes[i].running));
		if (n->services & PI_SVC_RESOLVER)
			json_array_append_new(jr, json_pack("{s:s, s:b}", "node", n->name, "answers", st->answers[i]));
	}
	for (uint32_t k = 0; k < plan->n_sessions; k++) {
		const struct pi_plan_session *s = &plan->sessions[k];
		const struct pi_status_session *ss = &st->sessions[k];
		json_array_append_new(js, json_pack("{s:s, s:s, s:s, s:s, s:i, s:s, s:s, s:b}", "name", s->name, "a",
						    plan->nodes[s->a].name, "b", plan->nodes[s->b].name,
						    "relationship", pi_rel_name(s->rel), "family", s->family, "a_state",
						    ss->state[0], "b_state", ss->state[1], "established", ss->established));
	}
	return json_pack("{s:s, s:o, s:o, s:o, s:{s:i, s:i, s:i, s:i, s:i, s:i}}", "lab", plan->lab_name, "nodes", jn,
			 "sessions", js, "resolvers", jr, "summary", "nodes", plan->n_nodes, "running", st->running,
			 "sessions", plan->n_sessions, "established", st->established, "resolvers", st->resolvers,
			 "answering", st->answering);
}

/* External speakers (docs/testing-bgp.md): what they are, where they run. */
static json_t *externals_json(const struct pi_plan *plan, const struct pi_status *st)
{
	json_t *jx = json_array();
	for (uint32_t p = 0; p < plan->n_pods; p++) {
		const struct pi_plan_pod *pod = &plan->pods[p];
		if (pod->tier == PI_TIER_EXTERNAL)
			json_array_append_new(jx, json_pack("{s:s, s:i, s:s, s:s, s:s, s:b}", "name", pod->name, "asn",
							    (json_int_t)pod->asn, "speaker", pi_speaker_name(pod->speaker),
							    "node", plan->nodes[pod->first_node].name, "state",
							    st->nodes[pod->first_node].state, "running",
							    st->nodes[pod->first_node].running));
	}
	return jx;
}

json_t *pi_report_status(const struct pi_plan *plan, const struct pi_status *st, const struct pi_vec *incidents)
{
	json_t *j = status_json(plan, st);
	json_object_set_new(j, "externals", externals_json(plan, st));
	json_t *ji = json_array();
	for (size_t i = 0; incidents && i < incidents->len; i++) {
		char text[512];
		pi_incident_describe(plan, pi_vec_at(incidents, i), text, sizeof(text));
		json_array_append_new(ji, json_string(text));
	}
	json_object_set_new(j, "incidents", ji);
	return j;
}
