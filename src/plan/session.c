/*
 * session: BGP sessions (eBGP per relationship, iBGP per pod with route
 * reflectors for large pods), the pod-level relationships of the plan and
 * the per-node session index.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"

void pl_session_add(struct pl_ctx *c, const char *name_base, uint32_t a, uint32_t b, uint32_t ia, uint32_t ib,
		    unsigned family, enum pi_rel rel, uint32_t amax, uint32_t bmax, bool rr_client)
{
	struct pi_plan *plan = c->plan;
	struct pi_plan_session *s = pi_vec_push(&c->sessions);
	s->a = a;
	s->b = b;
	s->family = (uint8_t)family;
	s->a_iface = ia;
	s->b_iface = ib;
	s->rel = rel;
	s->a_max_prefix = amax;
	s->b_max_prefix = bmax;
	s->b_is_rr_client = rr_client;
	if (ia != PI_NONE) {
		s->a_addr = pi_prefix_as_host(family == PI_AF_V4 ? &plan->ifaces[ia].v4 : &plan->ifaces[ia].v6);
		s->b_addr = pi_prefix_as_host(family == PI_AF_V4 ? &plan->ifaces[ib].v4 : &plan->ifaces[ib].v6);
	} else {
		s->a_addr = family == PI_AF_V4 ? plan->nodes[a].lo4 : plan->nodes[a].lo6;
		s->b_addr = family == PI_AF_V4 ? plan->nodes[b].lo4 : plan->nodes[b].lo6;
	}
	const char *base = pl_sym(&c->tmp, pi_arena_printf(&c->tmp, "%s_v%u", name_base, family));
	/* Unique on both routers (sanitising can merge distinct names). */
	for (uint32_t salt = 0;; salt++) {
		const char *name = salt ? pi_arena_printf(&c->tmp, "%s_%u", base, salt) : base;
		char *ka = pi_arena_printf(&c->tmp, "%u/%s", a, name);
		char *kb = pi_arena_printf(&c->tmp, "%u/%s", b, name);
		if (pl_map_get(&c->names, ka) == PI_NONE && pl_map_get(&c->names, kb) == PI_NONE) {
			pl_map_put(&c->names, ka, 0);
			pl_map_put(&c->names, kb, 0);
			s->name = pi_arena_strdup(&plan->arena, name);
			break;
		}
	}
}

static uint32_t limit(uint64_t cone)
{
	uint64_t v = cone * 2 + 10;
	return v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

static bool has_fam(const struct pi_plan *plan, uint32_t iface, unsigned fam)
{
	return pi_prefix_is_set(fam == PI_AF_V4 ? &plan->ifaces[iface].v4 : &plan->ifaces[iface].v6);
}

void pl_ibgp(struct pl_ctx *c, uint32_t p)
{
	struct pi_plan *plan = c->plan;
	const struct pi_plan_pod *pod = &plan->pods[p];
	uint32_t r[4096], n = 0;
	bool many = false;
	for (uint32_t k = pod->first_node; k < pod->first_node + pod->n_nodes; k++)
		if (plan->nodes[k].services & PI_SVC_ROUTER) {
			if (n < PI_ARRAY_LEN(r))
				r[n++] = k;
			else
				many = true;
		}
	(void)many; /* more than 4096 routers in a pod: the rest stay clients of the RRs below */
	static const unsigned fams[2] = { PI_AF_V4, PI_AF_V6 };
	bool rr = n > 4;
	if (rr) {
		plan->nodes[r[0]].route_reflector = true;
		plan->nodes[r[1]].route_reflector = true;
	}
	for (uint32_t i = 0; i < n; i++)
		for (uint32_t j = i + 1; j < n; j++) {
			if (rr && i > 1)
				break; /* clients only talk to the reflectors */
			for (int f = 0; f < 2; f++) {
				const struct pi_prefix *la = fams[f] == PI_AF_V4 ? &plan->nodes[r[i]].lo4 : &plan->nodes[r[i]].lo6;
				const struct pi_prefix *lb = fams[f] == PI_AF_V4 ? &plan->nodes[r[j]].lo4 : &plan->nodes[r[j]].lo6;
				if (!pi_prefix_is_set(la) || !pi_prefix_is_set(lb))
					continue;
				const char *nb = pi_arena_printf(&c->tmp, "ibgp_%s_%s", pl_node_short(plan, r[i]),
								 pl_node_short(plan, r[j]));
				pl_session_add(c, nb, r[i], r[j], PI_NONE, PI_NONE, fams[f], PI_REL_IBGP, 0, 0,
					       rr && j > 1);
			}
		}
}

void pl_sessions(struct pl_ctx *c)
{
	struct pi_plan *plan = c->plan;
	static const unsigned fams[2] = { PI_AF_V4, PI_AF_V6 };
	struct pl_rel *rels = c->rels.data;
	for (size_t i = 0; i < c->rels.len; i++) {
		const struct pl_rel *r = &rels[i];
		const struct pi_plan_pod *pa = &plan->pods[r->a], *pb = &plan->pods[r->b];
		if (r->kind == PL_IXP) {
			const struct pi_plan_link *lan = &plan->links[r->link];
			for (uint32_t k = 0; k < lan->n_ifaces; k++) {
				uint32_t rif = lan->ifaces[k];
				uint32_t rs = plan->ifaces[rif].node;
				if (plan->nodes[rs].pod != r->b || !(plan->nodes[rs].services & PI_SVC_RS))
					continue;
				for (int f = 0; f < 2; f++) {
					if (!has_fam(plan, r->a_if, fams[f]) || !has_fam(plan, rif, fams[f]))
						continue;
					const char *nb = pi_arena_printf(&c->tmp, "rs_%s_%s_%s", pb->name, pl_node_short(plan, rs),
									 pa->name);
					pl_session_add(c, nb, r->a_border, rs, r->a_if, rif, fams[f], PI_REL_RS,
						       limit(c->px[r->b].members_cone), limit(pa->n_cone), false);
				}
			}
			continue;
		}
		for (int f = 0; f < 2; f++) {
			if (!has_fam(plan, r->a_if, fams[f]) || !has_fam(plan, r->b_if, fams[f]))
				continue;
			const char *nb = pi_arena_printf(&c->tmp, "ebgp_%s_%s", pa->name, pb->name);
			if (r->kind == PL_TRANSIT)
				pl_session_add(c, nb, r->a_border, r->b_border, r->a_if, r->b_if, fams[f], PI_REL_CUSTOMER,
					       limit(pb->n_cone), PI_PLAN_PROVIDER_LIMIT, false);
			else
				pl_session_add(c, nb, r->a_border, r->b_border, r->a_if, r->b_if, fams[f], PI_REL_PEER,
					       limit(pb->n_cone), limit(pa->n_cone), false);
		}
	}
	for (uint32_t p = 0; p < plan->n_pods; p++)
		pl_ibgp(c, p);
}

void pl_plan_rels(struct pl_ctx *c)
{
	struct pi_plan *plan = c->plan;
	plan->n_rels = (uint32_t)c->rels.len;
	plan->rels = pi_arena_alloc(&plan->arena, (c->rels.len + 1) * sizeof(*plan->rels));
	const struct pl_rel *rels = c->rels.data;
	for (size_t i = 0; i < c->rels.len; i++) {
		struct pi_plan_rel *o = &plan->rels[i];
		o->a = rels[i].a;
		o->b = rels[i].b;
		o->rel = rels[i].kind == PL_TRANSIT ? PI_REL_CUSTOMER : rels[i].kind == PL_PEER ? PI_REL_PEER : PI_REL_RS;
		o->from_lab = rels[i].from_lab;
		o->link = rels[i].link;
		o->a_iface = rels[i].a_if;
		o->b_iface = rels[i].b_if;
	}
}

/* Each node's sessions, so routers find theirs without scanning the lab's. */
void pi_plan_index_sessions(struct pi_plan *plan)
{
	uint32_t *all = pi_arena_alloc(&plan->arena, (2 * (size_t)plan->n_sessions + 1) * sizeof(uint32_t));
	for (uint32_t k = 0; k < plan->n_sessions; k++) {
		plan->nodes[plan->sessions[k].a].n_session_idx++;
		plan->nodes[plan->sessions[k].b].n_session_idx++;
	}
	size_t off = 0;
	for (uint32_t n = 0; n < plan->n_nodes; n++) {
		plan->nodes[n].session_idx = all + off;
		off += plan->nodes[n].n_session_idx;
		plan->nodes[n].n_session_idx = 0;
	}
	for (uint32_t k = 0; k < plan->n_sessions; k++) {
		struct pi_plan_node *a = &plan->nodes[plan->sessions[k].a], *b = &plan->nodes[plan->sessions[k].b];
		a->session_idx[a->n_session_idx++] = k;
		if (b != a)
			b->session_idx[b->n_session_idx++] = k;
	}
}

