/*
 * build: pi_plan_build, which runs the stages in order (internal.h), and
 * the final copy into the plan. The stages live in their own files
 * (limits, graph, topo, addr, session, hosts, dns, legacy); none calls back
 * into this one.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"

/* Copies the routes into the plan grouped by node (a stable counting sort)
 * and indexes them, so a node's routes are found without a scan. */
static void group_routes(struct pi_plan *plan, const struct pi_vec *routes)
{
	const struct pi_plan_route *in = routes->data;
	plan->n_routes = (uint32_t)routes->len;
	plan->routes = pi_arena_alloc(&plan->arena, (routes->len + 1) * sizeof(*plan->routes));
	for (size_t r = 0; r < routes->len; r++)
		plan->nodes[in[r].node].n_routes++;
	uint32_t off = 0;
	for (uint32_t n = 0; n < plan->n_nodes; n++) {
		plan->nodes[n].first_route = off;
		off += plan->nodes[n].n_routes;
		plan->nodes[n].n_routes = 0;
	}
	for (size_t r = 0; r < routes->len; r++) {
		struct pi_plan_node *nd = &plan->nodes[in[r].node];
		plan->routes[nd->first_route + nd->n_routes++] = in[r];
	}
}

/* ---- the build ---- */

static void ctx_free(struct pl_ctx *c)
{
	free(c->px);
	free(c->role_node);
	free(c->role_count);
	free(c->adj_off);
	free(c->adj);
	free(c->iface_map);
	pi_vec_free(&c->borders);
	pi_vec_free(&c->auth);
	pi_vec_free(&c->rels);
	pi_vec_free(&c->links);
	pi_vec_free(&c->xlinks);
	pi_vec_free(&c->xifaces);
	pi_vec_free(&c->sessions);
	pi_vec_free(&c->routes);
	pl_map_free(&c->pods);
	pl_map_free(&c->names);
	if (c->pins)
		pl_map_free(&c->pin_pods);
	pi_arena_free(&c->tmp);
}

static void *arena_copy(struct pi_arena *a, const struct pi_vec *v)
{
	void *p = pi_arena_alloc(a, (v->len + 1) * v->elem);
	if (v->len)
		memcpy(p, v->data, v->len * v->elem);
	return p;
}

int pi_plan_build(const struct pi_lab *lab, struct pi_plan **out, struct pi_diag *diag)
{
	return pi_plan_build_pinned(lab, NULL, out, diag);
}

int pi_plan_build_pinned(const struct pi_lab *lab, const struct pi_plan_pins *pins, struct pi_plan **out,
			 struct pi_diag *diag)
{
	*out = NULL;
	struct pi_plan *plan = pi_xcalloc(1, sizeof(*plan));
	struct pl_ctx c;
	memset(&c, 0, sizeof(c));
	c.lab = lab;
	c.plan = plan;
	c.diag = diag;
	c.borders = (struct pi_vec)PI_VEC_INIT(uint32_t);
	c.auth = (struct pi_vec)PI_VEC_INIT(uint32_t);
	c.rels = (struct pi_vec)PI_VEC_INIT(struct pl_rel);
	c.links = (struct pi_vec)PI_VEC_INIT(struct pi_plan_link);
	c.xlinks = (struct pi_vec)PI_VEC_INIT(struct pl_link);
	c.xifaces = (struct pi_vec)PI_VEC_INIT(struct pl_iface);
	c.sessions = (struct pi_vec)PI_VEC_INIT(struct pi_plan_session);
	c.routes = (struct pi_vec)PI_VEC_INIT(struct pi_plan_route);
	c.rpki_pod = PI_NONE;
	plan->rpki_cache = PI_NONE;
	/* Pins of another seed decided other things: a changed seed is a new lab. */
	if (pins && pins->seed == lab->seed && pins->n_pods && !lab->is_legacy) {
		c.pins = pins;
		pl_map_init(&c.pin_pods, pins->n_pods);
		for (uint32_t i = 0; i < pins->n_pods; i++)
			pl_map_put(&c.pin_pods, pins->pods[i].name, i);
	}

	plan->lab_name = pi_arena_strdup(&plan->arena, lab->name ? lab->name : "lab");
	plan->lab_file = lab->file ? pi_arena_strdup(&plan->arena, lab->file) : NULL;
	plan->title = lab->title ? pi_arena_strdup(&plan->arena, lab->title) : NULL;
	plan->tld = pi_arena_strdup(&plan->arena, lab->tld ? lab->tld : (lab->is_legacy ? "lab" : "pocket"));
	plan->seed = lab->seed;
	plan->v4 = lab->v4;
	plan->v6 = lab->v6;
	plan->legacy = lab->is_legacy;

	int rc;
	if (lab->is_legacy) {
		rc = pl_legacy(&c);
		if (rc)
			goto out;
	} else {
		struct pi_prefix parents[2] = { lab->v4, lab->v6 };
		if ((rc = pl_check_size(&c)) || (rc = pl_pods(&c)))
			goto out;
		pl_externals(&c);
		if ((rc = pl_graph(&c)))
			goto out;
		c.rpki_pod = pl_rpki_pods(&c);
		if (c.errors || (rc = pl_nodes(&c)) || (rc = pl_links(&c))) {
			rc = rc ? rc : -EINVAL;
			goto out;
		}
		pl_ifaces_finish(&c);
		if ((rc = pl_addresses(&c)))
			goto out;
		pl_tables(&c);
		pl_roas(&c, c.rpki_pod);
		pl_sessions(&c);
		pl_table_limits(&c);
		pl_plan_rels(&c);
		pl_hosts(&c);
		pl_dns_duties(&c);
		pl_dns(&c, parents, 2);
	}
	pl_node_limits(&c);
	plan->n_sessions = (uint32_t)c.sessions.len;
	plan->sessions = arena_copy(&plan->arena, &c.sessions);
	pi_plan_index_sessions(plan);
	group_routes(plan, &c.routes);
	if (!plan->rels)
		plan->rels = pi_arena_alloc(&plan->arena, sizeof(*plan->rels));
	pi_plan_impairments(plan, lab, diag);
	rc = c.errors ? -EINVAL : 0;
out:
	if (!rc && c.errors)
		rc = -EINVAL;
	ctx_free(&c);
	if (rc) {
		pi_plan_free(plan);
		return rc;
	}
	*out = plan;
	return 0;
}

void pi_plan_free(struct pi_plan *plan)
{
	if (!plan)
		return;
	pi_arena_free(&plan->arena);
	free(plan);
}
