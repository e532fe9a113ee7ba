/*
 * plan/exercise: which parts of an exercise pod's routing the students
 * write (docs/workshop.md). Pure lookups over the plan: the sessions are
 * planned as for every pod, so the other ends, the checks and the looking
 * glass know what the students should configure.
 */
#include <string.h>
#include "internal.h"

bool pi_plan_node_is_exercise(const struct pi_plan *plan, uint32_t node)
{
	const struct pi_plan_node *n = &plan->nodes[node];
	return plan->pods[n->pod].exercise != PI_EXERCISE_NONE && (n->services & (PI_SVC_ROUTER | PI_SVC_RS)) != 0;
}

bool pi_plan_session_by_students(const struct pi_plan *plan, uint32_t k, uint32_t node)
{
	const struct pi_plan_session *s = &plan->sessions[k];
	if ((s->a != node && s->b != node) || !pi_plan_node_is_exercise(plan, node))
		return false;
	if (plan->pods[plan->nodes[node].pod].exercise == PI_EXERCISE_ALL)
		return true;
	return s->rel != PI_REL_IBGP;
}

size_t pi_plan_team_pods(const struct pi_plan *plan, const char *team, struct pi_vec *out)
{
	size_t n = 0;
	for (uint32_t p = 0; p < plan->n_pods; p++)
		if (plan->pods[p].team && team && strcmp(plan->pods[p].team, team) == 0) {
			*(uint32_t *)pi_vec_push(out) = p;
			n++;
		}
	return n;
}
