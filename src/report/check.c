/* report/check: `check --format json`, also the page's "My pods" tab. */
#include "pocketinternet/report.h"

static json_t *items_json(const struct pi_check_result *r, uint32_t pod, unsigned *passed, unsigned *failed)
{
	json_t *arr = json_array();
	for (size_t i = 0; i < r->items.len; i++) {
		const struct pi_check_item *it = pi_vec_at(&r->items, i);
		if (it->pod != pod)
			continue;
		*(it->pass ? passed : failed) += 1;
		json_array_append_new(arr, json_pack("{s:s, s:s, s:b, s:s, s:s}", "check", pi_check_kind_name(it->kind),
						     "what", it->what, "pass", it->pass, "detail", it->detail, "hint",
						     it->hint));
	}
	return arr;
}

json_t *pi_report_check(const struct pi_plan *plan, const uint32_t *pods, size_t n, const struct pi_check_result *r)
{
	json_t *arr = json_array();
	for (size_t i = 0; i < n; i++) {
		uint32_t p = pods[i];
		unsigned ok = 0, bad = 0;
		json_t *items = items_json(r, p, &ok, &bad);
		json_array_append_new(arr, json_pack("{s:s, s:s?, s:s, s:b, s:i, s:i, s:o}", "pod", plan->pods[p].name, "team",
						     plan->pods[p].team, "configure",
						     pi_exercise_name(plan->pods[p].exercise), "pass", bad == 0, "passed",
						     (json_int_t)ok, "failed", (json_int_t)bad, "items", items));
	}
	return json_pack("{s:s, s:b, s:i, s:i, s:o}", "lab", plan->lab_name, "pass", r->failed == 0, "passed",
			 (json_int_t)r->passed, "failed", (json_int_t)r->failed, "pods", arr);
}
