/* TEMP: replaced by the planner's own pi_plan_address_spaces. */
#include "pocketinternet/plan.h"

void pi_plan_address_spaces(const struct pi_plan *plan, struct pi_vec *out)
{
	*(struct pi_prefix *)pi_vec_push(out) = plan->v4;
	*(struct pi_prefix *)pi_vec_push(out) = plan->v6;
	if (plan->legacy) {
		pi_prefix_parse("172.16.0.0/12", pi_vec_push(out));
		pi_prefix_parse("fd00::/16", pi_vec_push(out));
	}
}
