/*
 * spaces: the address spaces a plan uses, in one place, so that the code
 * keeping Docker and the host clear of the lab (configure-docker, apply)
 * asks the plan instead of knowing the planner's ranges.
 */
#include "internal.h"

static void add(struct pi_vec *out, size_t first, const struct pi_prefix *p)
{
	if (!pi_prefix_is_set(p))
		return;
	for (size_t i = first; i < out->len; i++) {
		const struct pi_prefix *q = pi_vec_at(out, i);
		if (q->family == p->family && q->len <= p->len && pi_prefix_overlaps(q, p))
			return; /* inside one already listed */
	}
	*(struct pi_prefix *)pi_vec_push(out) = pi_prefix_network(p);
}

void pi_plan_address_spaces(const struct pi_plan *plan, struct pi_vec *out)
{
	size_t first = out->len;
	bool cgnat = false, nat64 = false;
	const struct pi_prefix *bb4 = NULL, *bb6 = NULL;
	for (uint32_t l = 0; l < plan->n_links; l++) {
		cgnat |= plan->links[l].cgnat;
		nat64 |= plan->links[l].nat64;
		if (plan->links[l].scope == PI_SCOPE_BACKBONE) {
			bb4 = &plan->links[l].v4;
			bb6 = &plan->links[l].v6;
		}
	}
	struct pi_prefix cg, n64;
	pi_prefix_parse("100.64.0.0/10", &cg);
	pi_prefix_parse("64:ff9b::/96", &n64);
	add(out, first, &plan->v4);
	add(out, first, &plan->anycast4);
	if (cgnat)
		add(out, first, &cg);
	if (bb4)
		add(out, first, bb4);
	add(out, first, &plan->v6);
	add(out, first, &plan->anycast6);
	if (nat64)
		add(out, first, &n64);
	if (bb6)
		add(out, first, bb6);
}
