/*
 * plan/external: what an external speaker's pod carries besides what any
 * pod has (docs/lab-format.md, "external"). The model made each speaker a
 * pod of tier external and one relationship; the stages treat it as any
 * AS (its aggregates, the link to its neighbour, sessions, cones). Here it
 * gets what to run and the extra prefixes its neighbours accept from it.
 */
#include <string.h>
#include "internal.h"

void pl_externals(struct pl_ctx *c)
{
	struct pi_plan *plan = c->plan;
	for (uint32_t p = 0; p < plan->n_pods; p++) {
		struct pi_plan_pod *pod = &plan->pods[p];
		const struct pi_lab_external *e =
			pod->tier == PI_TIER_EXTERNAL ? pi_lab_external(c->lab, pod->name) : NULL;
		if (!e)
			continue;
		pod->speaker = e->speaker;
		pod->image = e->image ? pi_arena_strdup(&plan->arena, e->image) : NULL;
		pod->command = pi_arena_alloc(&plan->arena, (e->n_command + 1) * sizeof(*pod->command));
		for (size_t i = 0; i < e->n_command; i++)
			pod->command[i] = pi_arena_strdup(&plan->arena, e->command[i]);
		pod->n_command = (uint32_t)e->n_command;
		pod->extra = pi_arena_alloc(&plan->arena, (e->n_prefixes + 1) * sizeof(*pod->extra));
		if (e->n_prefixes)
			memcpy(pod->extra, e->prefixes, e->n_prefixes * sizeof(*pod->extra));
		pod->n_extra = (uint32_t)e->n_prefixes;
		pod->netns = e->netns ? pi_arena_strdup(&plan->arena, e->netns) : NULL;
	}
}
