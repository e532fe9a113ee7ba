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

void pi_verify_add(struct verify_part *vp, struct pi_vec *v, const struct pi_verify_check *c)
{
	pthread_mutex_lock(&vp->lock);
	*(struct pi_verify_check *)pi_vec_push(v) = *c;
	pthread_mutex_unlock(&vp->lock);
}

int pi_verify_open(struct verify_part *vp, uint32_t node, struct pi_vec *v)
{
	int pid, fd = -1;
	struct pi_diag quiet;
	pi_diag_init(&quiet);
	if (pi_apply_node_pid(vp->b, vp->plan, node, &pid, &quiet) == 0)
		fd = pi_apply_pid_netns(pid);
	pi_diag_free(&quiet);
	if (fd < 0) {
		struct pi_verify_check c = { .node = node, .target = PI_NONE, .what = "its network namespace" };
		snprintf(c.detail, sizeof(c.detail), "%s is not running", vp->plan->nodes[node].name);
		pi_verify_add(vp, v, &c);
	}
	return fd;
}

struct pi_prefix pi_verify_node_address(const struct pi_plan *p, uint32_t node)
{
	const struct pi_plan_node *n = &p->nodes[node];
	for (int fam = PI_AF_V4; fam; fam = fam == PI_AF_V4 ? PI_AF_V6 : 0)
		for (uint32_t i = 0; i < n->n_ifaces; i++) {
			const struct pi_plan_iface *f = &p->ifaces[n->first_iface + i];
			const struct pi_prefix *a = fam == PI_AF_V4 ? &f->v4 : &f->v6;
			if (pi_prefix_is_set(a))
				return pi_prefix_as_host(a);
		}
	return (struct pi_prefix){ 0 };
}

bool pi_verify_has_v4(const struct pi_plan *p, uint32_t node)
{
	const struct pi_plan_node *n = &p->nodes[node];
	for (uint32_t i = 0; i < n->n_ifaces; i++)
		if (pi_prefix_is_set(&p->ifaces[n->first_iface + i].v4))
			return true;
	return false;
}

static bool all_ok(const struct pi_vec *v)
{
	for (size_t i = 0; i < v->len; i++)
		if (!((const struct pi_verify_check *)pi_vec_at(v, i))->ok)
			return false;
	return true;
}

/* DNS and HTTP, asked natively from the resolvers' and subscribers' netns. */
static void services(struct pi_backend *b, const struct pi_plan *plan, unsigned parallel, struct pi_verify *out)
{
	struct verify_part vp = { .b = b, .plan = plan, .parallel = parallel ? parallel : 8, .dns = &out->dns,
				  .http = &out->http };
	pthread_mutex_init(&vp.lock, NULL);
	if (out->parts & PI_VERIFY_DNS) {
		pi_verify_dns_run(&vp);
		out->passed &= all_ok(&out->dns);
	}
	if (out->parts & PI_VERIFY_HTTP) {
		pi_verify_http_run(&vp);
		out->passed &= all_ok(&out->http);
	}
	pthread_mutex_destroy(&vp.lock);
}

int pi_apply_verify(struct pi_backend *b, const struct pi_plan *plan, unsigned parts, unsigned parallel,
		    struct pi_verify *out, struct pi_diag *diag)
{
	memset(out, 0, sizeof(*out));
	out->parts = parts ? parts : PI_VERIFY_ALL;
	out->violations = (struct pi_vec)PI_VEC_INIT(struct pi_policy_violation);
	out->dns = (struct pi_vec)PI_VEC_INIT(struct pi_verify_check);
	out->http = (struct pi_vec)PI_VEC_INIT(struct pi_verify_check);
	out->passed = true;
	for (int f = 0; f < 2; f++) {
		if (!(out->parts & (f ? PI_VERIFY_REACH6 : PI_VERIFY_REACH4)))
			continue;
		pi_verify_reach_init(plan, f ? PI_AF_V6 : PI_AF_V4, &out->reach[f]);
		pi_verify_reach_run(b, plan, parallel, &out->reach[f]);
		out->passed &= out->reach[f].failed == 0;
	}
	services(b, plan, parallel, out);
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
	pi_vec_free(&v->dns);
	pi_vec_free(&v->http);
	if (v->status.nodes)
		pi_status_free(&v->status);
}
