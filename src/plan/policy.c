/*
 * plan/policy: checks of BGP paths against the plan's relationships, for
 * what a trainer reads in a RIB (docs/routing-policy.md, "Incidents").
 *
 * A path is judged edge by edge from the origin outward. Each edge (X
 * announced to Y) is an up step (Y is X's provider), a peer step (private
 * peering or both members of one IXP) or a down step (Y is X's customer).
 * Two pods can be related in more than one way (a provider that is also a
 * fellow IXP member), so each edge is a set of possible steps and the check
 * keeps the set of states the path can be in: still climbing, or past the
 * top (only down steps from then on).
 */
#include <stdio.h>
#include <string.h>
#include "pocketinternet/plan.h"

enum { STEP_UP = 1, STEP_PEER = 2, STEP_DOWN = 4 };
enum { ST_CLIMB = 1, ST_TOP = 2 };

uint32_t pi_plan_pod_by_asn(const struct pi_plan *plan, uint32_t asn)
{
	for (uint32_t i = 0; i < plan->n_pods; i++)
		if (plan->pods[i].asn == asn)
			return i;
	return PI_NONE;
}

/* Does pod belong to IXP pod ixp? */
static bool ixp_member(const struct pi_plan *plan, uint32_t pod, uint32_t ixp)
{
	for (uint32_t i = 0; i < plan->n_rels; i++) {
		const struct pi_plan_rel *r = &plan->rels[i];
		if (r->rel == PI_REL_RS && r->a == pod && r->b == ixp)
			return true;
	}
	return false;
}

/* The steps a route announced by pod x to pod y can be (STEP_* bits). */
static unsigned steps(const struct pi_plan *plan, uint32_t x, uint32_t y)
{
	unsigned s = 0;
	for (uint32_t i = 0; i < plan->n_rels; i++) {
		const struct pi_plan_rel *r = &plan->rels[i];
		bool xy = r->a == x && r->b == y, yx = r->a == y && r->b == x;
		if (r->rel == PI_REL_CUSTOMER && yx)
			s |= STEP_UP; /* y sells x transit */
		else if (r->rel == PI_REL_CUSTOMER && xy)
			s |= STEP_DOWN;
		else if (r->rel == PI_REL_PEER && (xy || yx))
			s |= STEP_PEER;
		else if (r->rel == PI_REL_RS && r->a == x && ixp_member(plan, y, r->b))
			s |= STEP_PEER; /* fellow members of one IXP */
	}
	return s;
}

static unsigned advance(unsigned states, unsigned st)
{
	unsigned next = 0;
	if ((states & ST_CLIMB) && (st & STEP_UP))
		next |= ST_CLIMB;
	if ((states & ST_CLIMB) && (st & (STEP_PEER | STEP_DOWN)))
		next |= ST_TOP;
	if ((states & ST_TOP) && (st & STEP_DOWN))
		next |= ST_TOP;
	return next;
}

static const char *what_is(unsigned st)
{
	/* what the other pod is to the one in the middle of the valley */
	return st & STEP_UP ? "provider" : st & STEP_PEER ? "peer" : "customer";
}

/* The pod of each ASN; false (with why) when one is unknown or an IXP's. */
static bool pods_of(const struct pi_plan *plan, const uint32_t *asns, size_t n, uint32_t *pods, size_t *np,
		    char *why, size_t whylen)
{
	*np = 0;
	for (size_t i = n; i-- > 0;) {
		if (*np && plan->pods[pods[*np - 1]].asn == asns[i])
			continue; /* prepending */
		uint32_t p = pi_plan_pod_by_asn(plan, asns[i]);
		if (p == PI_NONE) {
			snprintf(why, whylen, "AS %u is not a pod of this lab (external): the path cannot be judged",
				 asns[i]);
			return false;
		}
		if (plan->pods[p].tier == PI_TIER_IXP) {
			snprintf(why, whylen, "AS %u is IXP %s's, whose route server should be transparent", asns[i],
				 plan->pods[p].name);
			return false;
		}
		pods[(*np)++] = p; /* origin first */
	}
	return true;
}

bool pi_plan_path_valley_free(const struct pi_plan *plan, const uint32_t *asns, size_t n, char *why, size_t whylen)
{
	char dummy[8];
	if (!why || !whylen)
		why = dummy, whylen = sizeof(dummy);
	why[0] = '\0';
	uint32_t pods[256];
	size_t np;
	if (n > PI_ARRAY_LEN(pods)) {
		snprintf(why, whylen, "path of %zu ASes is too long to judge", n);
		return false;
	}
	if (!pods_of(plan, asns, n, pods, &np, why, whylen))
		return false;
	unsigned states = ST_CLIMB;
	unsigned prev = 0; /* the step into pods[i] */
	for (size_t i = 0; i + 1 < np; i++) {
		const struct pi_plan_pod *x = &plan->pods[pods[i]], *y = &plan->pods[pods[i + 1]];
		unsigned st = steps(plan, pods[i], pods[i + 1]);
		if (!st) {
			snprintf(why, whylen, "%s (AS %u) and %s (AS %u) have no relationship in this lab", x->name,
				 x->asn, y->name, y->asn);
			return false;
		}
		unsigned next = advance(states, st);
		if (!next) {
			const struct pi_plan_pod *from = &plan->pods[pods[i - 1]];
			/* prev: the step from `from` to x, seen from x: an up step
			 * means x is from's provider, so from is x's customer. */
			const char *from_is = prev & STEP_DOWN ? "provider" : prev & STEP_PEER ? "peer" : "customer";
			snprintf(why, whylen,
				 "valley at %s (AS %u): it passed a route learned from its %s %s (AS %u) to its %s %s (AS %u)",
				 x->name, x->asn, from_is, from->name, from->asn, what_is(st), y->name, y->asn);
			return false;
		}
		states = next;
		prev = st;
	}
	return true;
}
