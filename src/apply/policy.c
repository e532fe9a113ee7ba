/*
 * policy: are the routes the routers actually hold valley-free? Every BGP
 * route in every router's RIB is read through its router daemon (the table's
 * rib_cmd and parse_rib) and its AS path, with the router's own AS in front
 * (so the hop into this AS is judged too), is checked against the plan's
 * relationships (pi_plan_path_valley_free). A route leak shows up here.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "apply_int.h"

struct pcheck {
	struct pi_backend *b;
	const struct pi_plan *plan;
	struct pi_vec *per_node; /* per node: struct pi_policy_violation */
	unsigned *routes;
};

static void check_route(const struct pi_plan *plan, uint32_t node, const struct pi_rib_route *r, struct pi_vec *out)
{
	uint32_t path[PI_RIB_MAX_PATH + 1];
	size_t n = 0;
	/* A route server is transparent: its own AS is in no path. */
	if (!(plan->nodes[node].services & PI_SVC_RS))
		path[n++] = plan->pods[plan->nodes[node].pod].asn;
	for (unsigned i = 0; i < r->as_path_len; i++)
		path[n++] = r->as_path[i];
	struct pi_policy_violation v = { .node = node, .net = r->net, .best = r->best };
	if (pi_plan_path_valley_free(plan, path, n, v.why, sizeof(v.why)))
		return;
	if (strstr(v.why, "not a pod of this lab"))
		return; /* external speakers: not this check's business */
	v.path_len = r->as_path_len;
	memcpy(v.path, r->as_path, r->as_path_len * sizeof(uint32_t));
	*(struct pi_policy_violation *)pi_vec_push(out) = v;
}

static int check_one(void *ctx, size_t i)
{
	struct pcheck *c = ctx;
	const struct pi_plan *plan = c->plan;
	const struct pi_router_daemon *d = pi_router_daemon_of(plan, (uint32_t)i);
	if (!d || !(plan->nodes[i].services & (PI_SVC_EBGP | PI_SVC_RS)))
		return 0;
	int pid;
	struct pi_diag quiet;
	pi_diag_init(&quiet);
	int rc = pi_apply_node_pid(c->b, plan, (uint32_t)i, &pid, &quiet);
	pi_diag_free(&quiet);
	if (rc)
		return 0; /* a stopped router holds no routes */
	char cmd[128];
	struct pi_buf text;
	pi_buf_init(&text);
	struct pi_vec rib = PI_VEC_INIT(struct pi_rib_route);
	for (uint8_t fam = PI_AF_V4; fam; fam = fam == PI_AF_V4 ? PI_AF_V6 : 0) {
		pi_buf_reset(&text);
		d->rib_cmd(NULL, fam, cmd, sizeof(cmd));
		if (pi_apply_ctl_text(plan, (uint32_t)i, pid, cmd, &text) == 0)
			d->parse_rib(pi_buf_str(&text), plan->pods[plan->nodes[i].pod].asn, &rib);
	}
	c->per_node[i] = (struct pi_vec)PI_VEC_INIT(struct pi_policy_violation);
	for (size_t k = 0; k < rib.len; k++) {
		const struct pi_rib_route *r = pi_vec_at(&rib, k);
		if (!r->bgp || r->as_path_len == 0 || r->as_path_truncated)
			continue;
		c->routes[i]++;
		check_route(plan, (uint32_t)i, r, &c->per_node[i]);
	}
	pi_vec_free(&rib);
	pi_buf_free(&text);
	return 0;
}

int pi_apply_policy_check(struct pi_backend *b, const struct pi_plan *plan, unsigned parallel, struct pi_vec *out,
			  unsigned *routes, struct pi_diag *diag)
{
	(void)diag;
	struct pcheck c = { .b = b, .plan = plan };
	c.per_node = pi_xcalloc(plan->n_nodes + 1, sizeof(struct pi_vec));
	c.routes = pi_xcalloc(plan->n_nodes + 1, sizeof(unsigned));
	pi_pool_run(plan->n_nodes, parallel ? parallel : 8, check_one, NULL, &c, NULL);
	*routes = 0;
	for (uint32_t i = 0; i < plan->n_nodes; i++) {
		*routes += c.routes[i];
		for (size_t k = 0; k < c.per_node[i].len; k++)
			*(struct pi_policy_violation *)pi_vec_push(out) =
				*(struct pi_policy_violation *)pi_vec_at(&c.per_node[i], k);
		pi_vec_free(&c.per_node[i]);
	}
	free(c.per_node);
	free(c.routes);
	return 0;
}
