/*
 * plan: link impairments from the lab's `impairments:` rules. Each link
 * gets the impairment of the FIRST rule (in file order) whose match holds
 * for it; later rules do not add to it. Runs after everything else, on the
 * finished plan, so names (pods, links) are final.
 */
#include <stdlib.h>
#include <string.h>
#include "pocketinternet/plan.h"

/* What each link is, in the words of a match. */
struct link_facts {
	enum pi_lab_scope scope;
	enum pi_lab_match_rel rel;
};

static enum pi_lab_scope scope_of(enum pi_link_scope s)
{
	switch (s) {
	case PI_SCOPE_INTERNAL:
		return PI_LAB_SCOPE_INTERNAL;
	case PI_SCOPE_EXTERNAL:
		return PI_LAB_SCOPE_EXTERNAL;
	case PI_SCOPE_IXP:
		return PI_LAB_SCOPE_IXP;
	case PI_SCOPE_SUBSCRIBER:
		return PI_LAB_SCOPE_SUBSCRIBER;
	default:
		return PI_LAB_SCOPE_ANY; /* the legacy backbone: only scope-less rules */
	}
}

static struct link_facts *facts(const struct pi_plan *plan)
{
	struct link_facts *f = pi_xcalloc(plan->n_links + 1, sizeof(*f));

	for (uint32_t l = 0; l < plan->n_links; l++) {
		f[l].scope = scope_of(plan->links[l].scope);
		if (plan->links[l].scope == PI_SCOPE_IXP)
			f[l].rel = PI_LAB_MATCH_REL_RS;
	}
	for (uint32_t i = 0; i < plan->n_rels; i++) {
		const struct pi_plan_rel *r = &plan->rels[i];
		if (r->link >= plan->n_links)
			continue;
		if (r->rel == PI_REL_CUSTOMER || r->rel == PI_REL_PROVIDER)
			f[r->link].rel = PI_LAB_MATCH_REL_CUSTOMER;
		else if (r->rel == PI_REL_PEER)
			f[r->link].rel = PI_LAB_MATCH_REL_PEER;
		else
			f[r->link].rel = PI_LAB_MATCH_REL_RS;
	}
	return f;
}

/* Whether pod (an index, or PI_NONE: any) or tier (-1: any) is one of
 * the link's ends (or the pod numbering it). */
static bool has_end(const struct pi_plan *plan, const struct pi_plan_link *lk, uint32_t pod, int tier)
{
	bool pod_ok = pod == PI_NONE, tier_ok = tier < 0;

	if (lk->pod != PI_NONE && lk->pod < plan->n_pods) {
		pod_ok = pod_ok || lk->pod == pod;
		tier_ok = tier_ok || (int)plan->pods[lk->pod].tier == tier;
	}
	for (uint32_t i = 0; i < lk->n_ifaces && !(pod_ok && tier_ok); i++) {
		uint32_t p = plan->nodes[plan->ifaces[lk->ifaces[i]].node].pod;
		pod_ok = pod_ok || p == pod;
		tier_ok = tier_ok || (int)plan->pods[p].tier == tier;
	}
	return pod_ok && tier_ok;
}

struct rule_ref {
	const struct pi_lab_impair_rule *r;
	uint32_t pod;  /* resolved match pod, PI_NONE: any */
	uint32_t link; /* resolved match link, PI_NONE: any */
	bool dead;     /* names something the plan lacks: matches nothing */
	uint32_t hits;
};

static bool match(const struct pi_plan *plan, const struct link_facts *f, const struct rule_ref *rr, uint32_t l)
{
	const struct pi_lab_impair_rule *r = rr->r;

	if (rr->dead || (rr->link != PI_NONE && rr->link != l))
		return false;
	if (r->scope != PI_LAB_SCOPE_ANY && r->scope != f[l].scope)
		return false;
	if (r->rel != PI_LAB_MATCH_REL_ANY && r->rel != f[l].rel)
		return false;
	return has_end(plan, &plan->links[l], rr->pod, r->tier);
}

static void resolve(const struct pi_plan *plan, struct rule_ref *rr, struct pi_diag *diag)
{
	const struct pi_lab_impair_rule *r = rr->r;

	rr->pod = rr->link = PI_NONE;
	if (r->pod && (rr->pod = pi_plan_pod_by_name(plan, r->pod)) == PI_NONE) {
		pi_diag_warn(diag, r->pos, "`pocketinternet plan` lists the pods", "impairments: no pod named '%s'",
			     r->pod);
		rr->dead = true;
	}
	if (!r->link)
		return;
	for (uint32_t l = 0; l < plan->n_links && rr->link == PI_NONE; l++) {
		if (strcmp(plan->links[l].name, r->link) == 0)
			rr->link = l;
	}
	if (rr->link == PI_NONE) {
		pi_diag_warn(diag, r->pos, "`pocketinternet plan -f json` lists the links by name",
			     "impairments: no link named '%s'", r->link);
		rr->dead = true;
	}
}

void pi_plan_impairments(struct pi_plan *plan, const struct pi_lab *lab, struct pi_diag *diag)
{
	struct rule_ref *rr;
	struct link_facts *f;

	if (!lab->n_impairments)
		return;
	rr = pi_xcalloc(lab->n_impairments, sizeof(*rr));
	for (size_t i = 0; i < lab->n_impairments; i++) {
		rr[i].r = &lab->impairments[i];
		resolve(plan, &rr[i], diag);
	}
	f = facts(plan);
	for (uint32_t l = 0; l < plan->n_links; l++) {
		for (size_t i = 0; i < lab->n_impairments; i++) {
			if (match(plan, f, &rr[i], l)) {
				plan->links[l].impair = rr[i].r->impair;
				rr[i].hits++;
				break;
			}
		}
	}
	for (size_t i = 0; i < lab->n_impairments; i++) {
		if (!rr[i].hits && !rr[i].dead)
			pi_diag_warn(diag, rr[i].r->pos,
				     "check its match keys against `pocketinternet plan`; an earlier rule may take "
				     "every link it matches (the first matching rule wins)",
				     "this impairments rule matches no link");
	}
	free(f);
	free(rr);
}
