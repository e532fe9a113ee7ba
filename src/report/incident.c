/* report/incident: staged incidents as JSON (render's fields and a description). */
#include "pocketinternet/report.h"

json_t *pi_report_incident(const struct pi_plan *plan, const struct pi_incident *in)
{
	char text[512];
	pi_incident_describe(plan, in, text, sizeof(text));
	struct pi_buf b;
	pi_buf_init(&b);
	pi_incidents_to_json(in, 1, &b);
	json_t *arr = json_loads(pi_buf_str(&b), 0, NULL);
	pi_buf_free(&b);
	json_t *o = json_incref(json_array_get(arr, 0));
	json_decref(arr);
	if (!o)
		o = json_object();
	json_object_set_new(o, "description", json_string(text));
	return o;
}

json_t *pi_report_incidents(const struct pi_plan *plan, const struct pi_vec *incidents)
{
	json_t *arr = json_array();
	for (size_t i = 0; incidents && i < incidents->len; i++)
		json_array_append_new(arr, pi_report_incident(plan, pi_vec_at(incidents, i)));
	return json_pack("{s:s, s:o}", "lab", plan->lab_name, "incidents", arr);
}
