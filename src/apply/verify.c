/*
 * verify: one call that proves a running lab works, for the trainer before
 * class and for the tests after every change (docs/observe.md, "verify").
 * Reachability in verify_reach.c; the policy from the live RIBs (policy.c)
 * and every session's state from the daemons (status.c).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "verify_int.h"

int pi_apply_verify(struct pi_backend *b, const struct pi_plan *plan, unsigned parts, unsigned parallel,
		    struct pi_verify *out, struct pi_diag *diag)
{
	memset(out, 0, sizeof(*out));
	out->parts = parts ? parts : PI_VERIFY_ALL;
	out->violations = (struct pi_vec)PI_VEC_INIT(struct pi_policy_violation);
	out->passed = true;
	for (int f = 0; f < 2 && (out->parts & PI_VERIFY_REACH); f++) {
		pi_verify_reach_init(plan, f ? PI_AF_V6 : PI_AF_V4, &out->reach[f]);
		pi_verify_reach_run(b, plan, parallel, &out->reach[f]);
		out->passed &= out->reach[f].failed == 0;
	}
	if (out->parts & PI_VERIFY_POLICY) {
		/* The original format has peerings but no business relationships:
		 * its routers pass everything on, as the original tool did. */
		if (plan->legacy)
			out->policy_note = "the original format has no business relationships: paths not judged";
		else
			pi_apply_policy_check(b, plan, parallel, &out->violations, &out->routes_checked, diag);
		pi_apply_status(b, plan, parallel, &out->status, diag);
		out->passed &= out->violations.len == 0 && out->status.established == plan->n_sessions;
	}
	return 0;
}

void pi_verify_free(struct pi_verify *v)
{
	for (int f = 0; f < 2; f++)
		if (v->reach[f].addr)
			pi_verify_reach_free(&v->reach[f]);
	pi_vec_free(&v->violations);
	if (v->status.nodes)
		pi_status_free(&v->status);
}
