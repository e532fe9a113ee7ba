/*
 * hosts: what hosts and servers need after addressing: gateways, DHCP/RA
 * flags and SLAAC addresses, resolvers, static routes, and which nodes
 * serve the root and TLD zones.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"

/* ---- hosts: gateways, DHCP/RA flags, resolvers, static routes ---- */

struct pi_prefix pl_node_addr(const struct pi_plan *p, uint32_t node, unsigned family)
{
	const struct pi_plan_node *nd = &p->nodes[node];
	const struct pi_prefix *lo = family == PI_AF_V4 ? &nd->lo4 : &nd->lo6;
	if ((nd->services & PI_SVC_ROUTER) && pi_prefix_is_set(lo))
		return *lo;
	for (uint32_t i = 0; i < nd->n_ifaces; i++) {
		const struct pi_plan_iface *f = &p->ifaces[nd->first_iface + i];
		const struct pi_prefix *a = family == PI_AF_V4 ? &f->v4 : &f->v6;
		if (pi_prefix_is_set(a))
			return pi_prefix_as_host(a);
	}
	return *lo;
}

static void route_add(struct pl_ctx *c, uint32_t node, const struct pi_prefix *dst, const struct pi_prefix *via)
{
	struct pi_plan_route *r = pi_vec_push(&c->routes);
	r->node = node;
	r->dst = *dst;
	r->via = pi_prefix_as_host(via);
}

/* The pod whose resolver serves p: its own, else its first provider's
 * (in relationship order) that has one, else the first pod with one. */
static uint32_t resolver_pod(struct pl_ctx *c, uint32_t p, uint32_t first_any)
{
	if (c->px[p].resolver != PI_NONE)
		return p;
	if (c->adj_off) {
		const struct pl_rel *rels = c->rels.data;
		for (uint32_t k = c->adj_off[p]; k < c->adj_off[p + 1]; k++) {
			const struct pl_rel *r = &rels[c->adj[k]];
			if (r->kind == PL_TRANSIT && r->b == p && c->px[r->a].resolver != PI_NONE)
				return r->a;
		}
	}
	return first_any;
}

/*
 * The address SLAAC will give a client (modified EUI-64 of its MAC, RFC 4291
 * appendix A), so the plan, its AAAA and PTR records match what the client
 * really configures from the router advertisement.
 */
static void slaac_addr(struct pi_plan_iface *f)
{
	struct pi_prefix a = pi_prefix_network(&f->v6);
	if (a.len != 64)
		return;
	a.addr[8] = f->mac[0] ^ 0x02;
	a.addr[9] = f->mac[1];
	a.addr[10] = f->mac[2];
	a.addr[11] = 0xff;
	a.addr[12] = 0xfe;
	a.addr[13] = f->mac[3];
	a.addr[14] = f->mac[4];
	a.addr[15] = f->mac[5];
	f->v6 = a;
}

void pl_hosts(struct pl_ctx *c)
{
	struct pi_plan *plan = c->plan;
	struct pi_prefix def4, def6;
	pi_prefix_parse("0.0.0.0/0", &def4);
	pi_prefix_parse("::/0", &def6);
	uint32_t first_any = PI_NONE;
	for (uint32_t p = 0; p < plan->n_pods && first_any == PI_NONE; p++)
		if (c->px[p].resolver != PI_NONE)
			first_any = p;
	for (uint32_t p = 0; p < plan->n_pods; p++) {
		const struct pi_plan_pod *pod = &plan->pods[p];
		uint32_t rp = resolver_pod(c, p, first_any);
		struct pi_prefix r4 = { 0 }, r6 = { 0 };
		if (rp != PI_NONE) {
			r4 = pl_node_addr(plan, c->px[rp].resolver, PI_AF_V4);
			r6 = pl_node_addr(plan, c->px[rp].resolver, PI_AF_V6);
		}
		for (uint32_t n = pod->first_node; n < pod->first_node + pod->n_nodes; n++) {
			struct pi_plan_node *nd = &plan->nodes[n];
			nd->resolver4 = r4;
			nd->resolver6 = r6;
			if ((nd->services & PI_SVC_HTTP) && pod->anycast && pi_prefix_is_set(&plan->anycast4)) {
				pi_prefix_host(&plan->anycast4, 1, &nd->anycast4);
				nd->anycast4.len = 32;
				pi_prefix_host(&plan->anycast6, 1, &nd->anycast6);
				nd->anycast6.len = 128;
			}
			if (nd->services & PI_SVC_ROUTER)
				continue;
			uint32_t gw_if4 = PI_NONE, gw_if6 = PI_NONE, my4 = PI_NONE, my6 = PI_NONE;
			for (uint32_t i = 0; i < nd->n_ifaces; i++) {
				uint32_t fi = nd->first_iface + i;
				struct pi_plan_iface *f = &plan->ifaces[fi];
				const struct pi_plan_link *l = &plan->links[f->link];
				if (l->scope == PI_SCOPE_SUBSCRIBER && (nd->services & PI_SVC_CLIENT)) {
					f->dhcp4 = pi_prefix_is_set(&f->v4);
					f->ra6 = pi_prefix_is_set(&f->v6);
					if (f->ra6)
						slaac_addr(f);
				}
				if (l->kind != PI_LINK_LAN)
					continue;
				for (uint32_t k = 0; k < l->n_ifaces; k++) {
					const struct pi_plan_iface *g = &plan->ifaces[l->ifaces[k]];
					const struct pi_plan_node *gn = &plan->nodes[g->node];
					if (!(gn->services & PI_SVC_ROUTER) || gn->pod != p)
						continue;
					if (gw_if4 == PI_NONE && pi_prefix_is_set(&g->v4) && pi_prefix_is_set(&f->v4))
						gw_if4 = l->ifaces[k], my4 = fi;
					if (gw_if6 == PI_NONE && pi_prefix_is_set(&g->v6) && pi_prefix_is_set(&f->v6))
						gw_if6 = l->ifaces[k], my6 = fi;
				}
			}
			if (gw_if4 != PI_NONE) {
				nd->gw4 = pi_prefix_as_host(&plan->ifaces[gw_if4].v4);
				route_add(c, n, &def4, &nd->gw4);
			}
			if (gw_if6 != PI_NONE) {
				nd->gw6 = pi_prefix_as_host(&plan->ifaces[gw_if6].v6);
				route_add(c, n, &def6, &nd->gw6);
			}
			/* The gateway router forwards the anycast prefixes to its web nodes. */
			if (pi_prefix_is_set(&nd->anycast4) && gw_if4 != PI_NONE)
				route_add(c, plan->ifaces[gw_if4].node, &plan->anycast4, &plan->ifaces[my4].v4);
			if (pi_prefix_is_set(&nd->anycast6) && gw_if6 != PI_NONE)
				route_add(c, plan->ifaces[gw_if6].node, &plan->anycast6, &plan->ifaces[my6].v6);
		}
	}
}

/* ---- DNS duties ---- */

void pl_dns_duties(struct pl_ctx *c)
{
	struct pi_plan *plan = c->plan;
	/* Root and TLD: auth-dns nodes of the first two transit pods that have
	 * any; without such pods, of the first two pods of any tier. */
	for (int pass = 0; pass < 2; pass++) {
		unsigned found = 0;
		for (uint32_t p = 0; p < plan->n_pods && found < 2; p++) {
			if (pass == 0 && plan->pods[p].tier != PI_TIER_TRANSIT)
				continue;
			if (!c->px[p].n_auth)
				continue;
			found++;
			for (uint32_t k = 0; k < c->px[p].n_auth; k++) {
				struct pi_plan_node *nd = &plan->nodes[*pl_u32(&c->auth, c->px[p].first_auth + k)];
				nd->root_dns = nd->tld_dns = true;
			}
		}
		if (found)
			break;
	}
}

