/*
 * legacy: the original Pocket Internet format mapped onto a plan, keeping
 * that project's numbering so existing workshop material stays true:
 *
 *   pod X.Y       name "pX0YY" (p16001), domain "PXYYY.lab." (P16001.lab.),
 *                 AS 42000XYYY (16.1 -> AS4200016001)
 *   pod LAN       10.X.Y.0/24 and fd00:X:Y::/64 (inside fd00:X:Y::/48):
 *                 routers .11-.99, servers .101-.254 (v6: the same digits
 *                 written as the last group, fd00:16:1::11)
 *   loopbacks     router n: 10.X.Y.n/32 and fd00:X:Y::n/128 (host numbers
 *                 the original never used; router IDs need them)
 *   backbone      one LAN for every router of every pod, 172.16.0.0/12 and
 *                 fd00:bb::/48: router n of X.Y is 172.X.Y.(10+n) and
 *                 fd00:bb::X:Y:(10+n), digits written as they read
 *   BGP           eBGP only where peerings list it (relationship peer),
 *                 iBGP among the routers of a pod
 *   DNS           names R1.P16001.lab. (DNS is case-insensitive; node
 *                 names stay lowercase: p16001-r1); the dns pods' servers
 *                 hold the whole tree: root, "lab." and the reverse zones,
 *                 with every record directly in them.
 *   web pod       a web server S1 at host .101.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"

static struct pi_bp_role roles_base[] = {
	{ .name = "r", .description = "router", .services = PI_SVC_ROUTER | PI_SVC_EBGP },
};
static struct pi_bp_role roles_dns[] = {
	{ .name = "r", .description = "router", .services = PI_SVC_ROUTER | PI_SVC_EBGP },
	{ .name = "s", .description = "DNS server", .services = PI_SVC_AUTHDNS | PI_SVC_RESOLVER },
};
static struct pi_bp_role roles_web[] = {
	{ .name = "r", .description = "router", .services = PI_SVC_ROUTER | PI_SVC_EBGP },
	{ .name = "s", .description = "web server", .services = PI_SVC_HTTP },
};
static const struct pi_blueprint legacy_bp[3] = {
	{ .name = "legacy-base", .description = "original format: routers", .tier = PI_TIER_STUB,
	  .roles = roles_base, .n_roles = 1 },
	{ .name = "legacy-dns", .description = "original format: DNS pod", .tier = PI_TIER_STUB,
	  .roles = roles_dns, .n_roles = 2 },
	{ .name = "legacy-web", .description = "original format: web pod", .tier = PI_TIER_STUB,
	  .roles = roles_web, .n_roles = 2 },
};

static struct pi_prefix pfx(const char *fmt, ...) PI_PRINTF(1, 2);
static struct pi_prefix pfx(const char *fmt, ...)
{
	char buf[PI_PREFIX_STRLEN];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	struct pi_prefix p;
	if (pi_prefix_parse(buf, &p))
		pi_fatal("legacy: bad generated prefix %s", buf);
	return p;
}

static uint32_t find_router(struct pl_ctx *c, unsigned x, unsigned y, unsigned r)
{
	const struct pi_plan *plan = c->plan;
	for (uint32_t p = 0; p < plan->n_pods; p++) {
		const struct pi_legacy_pod *lp = &c->lab->legacy.pods[p];
		if (lp->x != x || lp->y != y)
			continue;
		if (r < 1 || r > lp->routers)
			return PI_NONE;
		return plan->pods[p].first_node + r - 1;
	}
	return PI_NONE;
}

/* Pods, numbered as the original numbers them. Returns the node count. */
static uint32_t legacy_pods(struct pl_ctx *c)
{
	const struct pi_legacy *lg = &c->lab->legacy;
	struct pi_plan *plan = c->plan;
	struct pi_arena *a = &plan->arena;
	uint32_t total = 0;
	for (uint32_t p = 0; p < plan->n_pods; p++) {
		const struct pi_legacy_pod *lp = &lg->pods[p];
		struct pi_plan_pod *pod = &plan->pods[p];
		if (lp->x < 16 || lp->x > 31 || lp->y < 1 || lp->y > 255) {
			PL_ERR(c, lp->pos, "pod numbers are X.Y with 16 <= X <= 31 and 1 <= Y <= 255",
			       "pod number %u.%u is out of range", lp->x, lp->y);
			continue;
		}
		if (lp->routers < 1 || lp->routers > 9)
			PL_ERR(c, lp->pos, "use 1 to 9 routers per pod",
			       "pod %u.%u has %u routers; the original numbering fits 1 to 9", lp->x, lp->y, lp->routers);
		pod->name = pi_arena_printf(a, "p%u%03u", lp->x, lp->y);
		if (!pl_map_put(&c->pods, pod->name, p))
			PL_ERR(c, lp->pos, NULL, "pod number %u.%u is used twice", lp->x, lp->y);
		pod->bp = &legacy_bp[lp->kind];
		pod->tier = PI_TIER_STUB;
		pod->asn = 4200000000u + lp->x * 1000 + lp->y;
		pod->domain = pi_arena_printf(a, "P%u%03u.%s.", lp->x, lp->y, plan->tld);
		pod->pos = lp->pos;
		if (lp->v4)
			pod->v4 = pfx("10.%u.%u.0/24", lp->x, lp->y);
		if (lp->v6)
			pod->v6 = pfx("fd00:%u:%u::/48", lp->x, lp->y);
		pod->cone = pi_arena_alloc(a, sizeof(uint32_t));
		pod->cone[0] = p;
		pod->n_cone = 1;
		c->px[p].v4 = lp->v4;
		c->px[p].v6 = lp->v6;
		c->px[p].resolver = PI_NONE;
		c->px[p].ixp_lan = PI_NONE;
		total += lp->routers + (lp->kind != PI_LEGACY_BASE);
	}
	return total;
}

/* Pod p's routers r1..rN, then its server s1 (dns and web pods); returns
 * the next node index. */
static uint32_t legacy_pod_nodes(struct pl_ctx *c, uint32_t p, uint32_t ni)
{
	const struct pi_legacy_pod *lp = &c->lab->legacy.pods[p];
	struct pi_plan *plan = c->plan;
	struct pi_arena *a = &plan->arena;
	struct pi_plan_pod *pod = &plan->pods[p];
	struct pl_pod *px = &c->px[p];
	pod->first_node = ni;
	px->first_auth = (uint32_t)c->auth.len;
	for (unsigned r = 1; r <= lp->routers; r++, ni++) {
		struct pi_plan_node *nd = &plan->nodes[ni];
		nd->name = pi_arena_printf(a, "%s-r%u", pod->name, r);
		nd->role = "r";
		nd->services = PI_SVC_ROUTER | PI_SVC_EBGP;
		nd->pod = p;
		nd->index = r;
		nd->fqdn = pi_arena_printf(a, "R%u.%s", r, pod->domain);
		if (lp->v4)
			nd->lo4 = pfx("10.%u.%u.%u/32", lp->x, lp->y, r);
		/* Not in the pod LAN's /64: Linux answers neighbour
		 * solicitations only for addresses of the asking interface,
		 * so an on-link loopback would be unreachable until OSPFv3
		 * installed its /128 (iBGP waited ~15 s for it). */
		if (lp->v6)
			nd->lo6 = pfx("fd00:%u:%u:ffff::%u/128", lp->x, lp->y, r);
		pl_map_put(&c->names, nd->name, ni);
	}
	if (lp->kind != PI_LEGACY_BASE) {
		struct pi_plan_node *nd = &plan->nodes[ni];
		nd->name = pi_arena_printf(a, "%s-s1", pod->name);
		nd->role = "s";
		nd->services = pod->bp->roles[1].services;
		nd->pod = p;
		nd->index = 1;
		nd->fqdn = pi_arena_printf(a, "S1.%s", pod->domain);
		/* No loopback: its one address is host .101 on the pod LAN. */
		pl_map_put(&c->names, nd->name, ni);
		if (nd->services & PI_SVC_RESOLVER)
			px->resolver = ni;
		if (nd->services & PI_SVC_AUTHDNS) {
			*(uint32_t *)pi_vec_push(&c->auth) = ni;
			px->n_auth = 1;
		}
		ni++;
	}
	pod->n_nodes = ni - pod->first_node;
	return ni;
}

/* Each pod's LAN: routers at .1n, the server at .10n. */
static void legacy_lans(struct pl_ctx *c)
{
	struct pi_plan *plan = c->plan;
	for (uint32_t p = 0; p < plan->n_pods; p++) {
		const struct pi_legacy_pod *lp = &c->lab->legacy.pods[p];
		const struct pi_plan_pod *pod = &plan->pods[p];
		uint32_t l = pl_link_new(c, PI_LINK_LAN, PI_SCOPE_INTERNAL, p, PL_SRC_FIXED,
					 pl_bridge_name(c, pod->name, "lan"));
		struct pi_plan_link *lk = pi_vec_at(&c->links, l);
		lk->lan = "lan";
		if (lp->v4)
			lk->v4 = pfx("10.%u.%u.0/24", lp->x, lp->y);
		if (lp->v6)
			lk->v6 = pfx("fd00:%u:%u::/64", lp->x, lp->y);
		for (uint32_t k = pod->first_node; k < pod->first_node + pod->n_nodes; k++) {
			const struct pi_plan_node *nd = &plan->nodes[k];
			unsigned host = nd->services & PI_SVC_ROUTER ? 10 + nd->index : 100 + nd->index;
			uint32_t f = pl_iface_new(c, k, l, "", "lan0");
			struct pl_iface *xf = pi_vec_at(&c->xifaces, f);
			if (lp->v4)
				xf->v4 = pfx("10.%u.%u.%u/24", lp->x, lp->y, host);
			if (lp->v6)
				xf->v6 = pfx("fd00:%u:%u::%u/64", lp->x, lp->y, host);
		}
	}
}

/* The backbone LAN with every router on it. Returns its link; bb_if[node]
 * is each router's interface on it. */
static uint32_t legacy_backbone(struct pl_ctx *c, uint32_t *bb_if)
{
	struct pi_plan *plan = c->plan;
	uint32_t bb = pl_link_new(c, PI_LINK_LAN, PI_SCOPE_BACKBONE, PI_NONE, PL_SRC_FIXED,
				  pl_bridge_name(c, plan->lab_name, "bb"));
	struct pi_plan_link *bl = pi_vec_at(&c->links, bb);
	bl->lan = "backbone";
	bl->v4 = pfx("172.16.0.0/12");
	bl->v6 = pfx("fd00:bb::/48");
	for (uint32_t p = 0; p < plan->n_pods; p++) {
		const struct pi_legacy_pod *lp = &c->lab->legacy.pods[p];
		const struct pi_plan_pod *pod = &plan->pods[p];
		for (uint32_t k = pod->first_node; k < pod->first_node + pod->n_nodes; k++) {
			const struct pi_plan_node *nd = &plan->nodes[k];
			if (!(nd->services & PI_SVC_ROUTER))
				continue;
			bb_if[k] = pl_iface_new(c, k, bb, "", "bb0");
			struct pl_iface *xf = pi_vec_at(&c->xifaces, bb_if[k]);
			if (lp->v4)
				xf->v4 = pfx("172.%u.%u.%u/12", lp->x, lp->y, 10 + nd->index);
			if (lp->v6)
				xf->v6 = pfx("fd00:bb::%u:%u:%u/48", lp->x, lp->y, 10 + nd->index);
		}
	}
	return bb;
}

/* Peerings: eBGP over the backbone; one pod-level peer relationship per
 * pair, each followed by a router-level entry (kind -1) that
 * legacy_sessions turns into sessions. */
static void legacy_peerings(struct pl_ctx *c, uint32_t bb, const uint32_t *bb_if)
{
	const struct pi_legacy *lg = &c->lab->legacy;
	const struct pi_plan *plan = c->plan;
	struct pl_set64 pairs;
	pl_set64_init(&pairs, lg->n_peerings);
	for (size_t i = 0; i < lg->n_peerings; i++) {
		const struct pi_legacy_peering *pe = &lg->peerings[i];
		uint32_t ra = find_router(c, pe->left_x, pe->left_y, pe->left_router);
		uint32_t rb = find_router(c, pe->right_x, pe->right_y, pe->right_router);
		if (ra == PI_NONE || rb == PI_NONE) {
			PL_ERR(c, pe->pos, "peerings name an existing pod X.Y and one of its routers",
			       "peering names router %u of pod %u.%u, which does not exist",
			       ra == PI_NONE ? pe->left_router : pe->right_router, ra == PI_NONE ? pe->left_x : pe->right_x,
			       ra == PI_NONE ? pe->left_y : pe->right_y);
			continue;
		}
		uint32_t pa = plan->nodes[ra].pod, pb = plan->nodes[rb].pod;
		if (pa == pb) {
			PL_ERR(c, pe->pos, NULL, "peering joins pod %u.%u with itself", pe->left_x, pe->left_y);
			continue;
		}
		if (pl_set64_add(&pairs, pl_pair_key(pa, pb))) {
			struct pl_rel *r = pi_vec_push(&c->rels);
			r->kind = PL_PEER;
			r->a = pa;
			r->b = pb;
			r->from_lab = true;
			r->pos = pe->pos;
			r->link = bb;
		}
		struct pl_rel *pr = pi_vec_push(&c->rels); /* router-level: resolved below */
		pr->kind = (enum pl_rel_kind)-1;
		pr->a = ra;
		pr->b = rb;
		pr->a_if = bb_if[ra];
		pr->b_if = bb_if[rb];
	}
	pl_set64_free(&pairs);
}

/* Sessions in peering order. Router-level entries are dropped from the
 * relationship list once used. */
static void legacy_sessions(struct pl_ctx *c)
{
	struct pi_plan *plan = c->plan;
	struct pl_rel *rels = c->rels.data;
	size_t keep = 0;
	static const unsigned fams[2] = { PI_AF_V4, PI_AF_V6 };
	for (size_t i = 0; i < c->rels.len; i++) {
		if ((int)rels[i].kind != -1) {
			rels[keep++] = rels[i];
			continue;
		}
		const struct pl_rel *r = &rels[i];
		for (int f = 0; f < 2; f++) {
			const struct pi_prefix *x = fams[f] == PI_AF_V4 ? &plan->ifaces[r->a_if].v4 : &plan->ifaces[r->a_if].v6;
			const struct pi_prefix *y = fams[f] == PI_AF_V4 ? &plan->ifaces[r->b_if].v4 : &plan->ifaces[r->b_if].v6;
			if (!pi_prefix_is_set(x) || !pi_prefix_is_set(y))
				continue;
			const char *nb = pi_arena_printf(&c->tmp, "ebgp_%s_%s", plan->nodes[r->a].name, plan->nodes[r->b].name);
			/* The original has no policies: peers exchange full tables. */
			pl_session_add(c, nb, r->a, r->b, r->a_if, r->b_if, fams[f], PI_REL_PEER, PI_PLAN_PROVIDER_LIMIT,
				       PI_PLAN_PROVIDER_LIMIT, false);
		}
	}
	c->rels.len = keep;
}

int pl_legacy(struct pl_ctx *c)
{
	struct pi_plan *plan = c->plan;
	uint32_t n = (uint32_t)c->lab->legacy.n_pods;
	if (!n) {
		PL_ERR(c, ((struct pi_pos){ c->lab->file, 0, 0 }), NULL, "the lab has no pods");
		return -EINVAL;
	}
	plan->v4 = pfx("10.0.0.0/8");
	plan->v6 = pfx("fd00::/16");
	plan->n_pods = n;
	plan->pods = pi_arena_alloc(&plan->arena, n * sizeof(*plan->pods));
	c->px = pi_xcalloc(n, sizeof(*c->px));
	pl_map_init(&c->pods, n);
	uint32_t total = legacy_pods(c);
	if (c->errors)
		return -EINVAL;

	plan->n_nodes = total;
	plan->nodes = pi_arena_alloc(&plan->arena, (total + 1) * sizeof(*plan->nodes));
	pl_map_init(&c->names, total * 2);
	uint32_t ni = 0;
	for (uint32_t p = 0; p < n; p++)
		ni = legacy_pod_nodes(c, p, ni);

	/* Pod LANs, then the backbone. */
	legacy_lans(c);
	uint32_t *bb_if = pi_xcalloc(total + 1, sizeof(uint32_t));
	uint32_t bb = legacy_backbone(c, bb_if);
	legacy_peerings(c, bb, bb_if);
	free(bb_if);
	if (c->errors)
		return -EINVAL;

	pl_ifaces_finish(c);
	/* eBGP sessions in peering order, then iBGP per pod. */
	legacy_sessions(c);
	for (uint32_t p = 0; p < n; p++)
		pl_ibgp(c, p);
	pl_plan_rels(c);
	c->flat_dns = true;
	pl_hosts(c);
	pl_dns_duties(c);
	struct pi_prefix parents[3] = { pfx("10.0.0.0/8"), pfx("172.16.0.0/12"), pfx("fd00::/16") };
	pl_dns(c, parents, 3);
	return c->errors ? -EINVAL : 0;
}
