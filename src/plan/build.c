/*
 * build: pi_plan_build and the topology stages (nodes, links, interfaces,
 * BGP sessions, gateways). See internal.h for the stage order and
 * docs/plan.md for the rules each stage follows.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"

/* ---- small helpers ---- */

static const char *node_short(const struct pi_plan *p, uint32_t n)
{
	const struct pi_plan_node *nd = &p->nodes[n];
	size_t pl = strlen(p->pods[nd->pod].name);
	return strncmp(nd->name, p->pods[nd->pod].name, pl) == 0 && nd->name[pl] == '-' ? nd->name + pl + 1
										     : nd->name;
}

/* A protocol symbol: [A-Za-z0-9_], starting with a letter, at most 63 bytes
 * (what routing daemons accept as a protocol name). */
const char *pl_sym(struct pi_arena *a, const char *s)
{
	char buf[64];
	size_t n = strlen(s);
	if (n > 63) {
		uint64_t h = pi_hash64(s, n, 0);
		snprintf(buf, sizeof(buf), "%.54s_%08x", s, (unsigned)h);
	} else {
		memcpy(buf, s, n + 1);
	}
	for (char *q = buf; *q; q++)
		if (!((*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') || (*q >= '0' && *q <= '9')))
			*q = '_';
	if (!((buf[0] >= 'a' && buf[0] <= 'z') || (buf[0] >= 'A' && buf[0] <= 'Z')))
		buf[0] = 'x';
	return pi_arena_strdup(a, buf);
}

uint32_t pl_link_new(struct pl_ctx *c, enum pi_link_kind kind, enum pi_link_scope scope, uint32_t pod,
		     enum pl_link_src src, const char *name)
{
	struct pi_plan_link *l = pi_vec_push(&c->links);
	l->kind = kind;
	l->scope = scope;
	l->pod = pod;
	l->name = name;
	l->mtu = 1500;
	struct pl_link *x = pi_vec_push(&c->xlinks);
	x->src = src;
	x->lan = PI_NONE;
	return (uint32_t)(c->links.len - 1);
}

uint32_t pl_iface_new(struct pl_ctx *c, uint32_t node, uint32_t link, const char *pfx, const char *base)
{
	struct pl_iface *f = pi_vec_push(&c->xifaces);
	f->node = node;
	f->link = link;
	f->pfx = pfx;
	f->base = base;
	struct pi_plan_link *l = pi_vec_at(&c->links, link);
	l->n_ifaces++;
	return (uint32_t)(c->xifaces.len - 1);
}

/* Bridge names: "<pod>-<lan>" when it fits, else shortened with a hash. */
const char *pl_bridge_name(struct pl_ctx *c, const char *pod, const char *lan)
{
	char buf[PI_IFNAMSIZ];
	char *full = pi_arena_printf(&c->tmp, "%s-%s", pod, lan);
	for (uint32_t salt = 0;; salt++) {
		if (salt == 0 && strlen(full) < PI_IFNAMSIZ) {
			memcpy(buf, full, strlen(full) + 1);
		} else {
			uint64_t h = pi_hash64(full, strlen(full), salt);
			snprintf(buf, sizeof(buf), "%.9s-%05x", full, (unsigned)(h & 0xfffff));
		}
		char *name = pi_arena_strdup(&c->plan->arena, buf);
		if (pl_map_put(&c->names, name, PI_NONE))
			return name;
	}
}

/* ---- nodes ---- */

static int nodes(struct pl_ctx *c)
{
	struct pi_plan *plan = c->plan;
	size_t n_roles = 0;
	for (uint32_t p = 0; p < plan->n_pods; p++)
		n_roles += plan->pods[p].bp->n_roles;
	c->role_node = pi_xcalloc(n_roles + 1, sizeof(uint32_t));
	c->role_count = pi_xcalloc(n_roles + 1, sizeof(uint32_t));
	size_t total = 0, off = 0;
	for (uint32_t p = 0; p < plan->n_pods; p++) {
		const struct pi_blueprint *bp = plan->pods[p].bp;
		const struct pi_lab_pod *lp = c->px[p].lp;
		c->px[p].role_first = (uint32_t)off;
		for (size_t r = 0; r < bp->n_roles; r++)
			c->role_count[off + r] = bp->roles[r].count.value;
		for (size_t o = 0; lp && o < lp->n_overrides; o++) {
			const struct pi_role_override *ov = &lp->overrides[o];
			size_t r;
			for (r = 0; r < bp->n_roles; r++)
				if (strcmp(bp->roles[r].name, ov->role) == 0)
					break;
			if (r == bp->n_roles) {
				PL_ERR(c, ov->pos, NULL, "blueprint '%s' has no role '%s'", bp->name, ov->role);
				continue;
			}
			const struct pi_count *cnt = &bp->roles[r].count;
			if (ov->count < cnt->min || (cnt->max && ov->count > cnt->max)) {
				PL_ERR(c, ov->pos, NULL, "role '%s' of blueprint '%s' takes %u to %u nodes, not %u",
				       ov->role, bp->name, cnt->min, cnt->max, ov->count);
				continue;
			}
			c->role_count[off + r] = ov->count;
		}
		for (size_t r = 0; r < bp->n_roles; r++)
			total += c->role_count[off + r];
		off += bp->n_roles;
	}
	if (c->errors)
		return -EINVAL;
	plan->n_nodes = (uint32_t)total;
	plan->nodes = pi_arena_alloc(&plan->arena, (total + 1) * sizeof(*plan->nodes));
	pl_map_init(&c->names, total * 2);
	uint32_t ni = 0;
	for (uint32_t p = 0; p < plan->n_pods; p++) {
		struct pi_plan_pod *pod = &plan->pods[p];
		struct pl_pod *px = &c->px[p];
		const struct pi_blueprint *bp = pod->bp;
		pod->first_node = ni;
		px->border_off = (uint32_t)c->borders.len;
		px->first_auth = (uint32_t)c->auth.len;
		for (size_t r = 0; r < bp->n_roles; r++) {
			c->role_node[px->role_first + r] = ni;
			for (uint32_t k = 1; k <= c->role_count[px->role_first + r]; k++, ni++) {
				struct pi_plan_node *nd = &plan->nodes[ni];
				nd->name = pi_arena_printf(&plan->arena, "%s-%s%u", pod->name, bp->roles[r].name, k);
				nd->role = bp->roles[r].name;
				nd->services = bp->roles[r].services;
				nd->pod = p;
				nd->index = k;
				nd->fqdn = pi_arena_printf(&plan->arena, "%s%u.%s", bp->roles[r].name, k, pod->domain);
				if (strlen(nd->name) > 40)
					PL_ERR(c, pod->pos, "use shorter pod or role names",
					       "node name '%s' is longer than 40 characters", nd->name);
				if (!pl_map_put(&c->names, nd->name, ni))
					PL_ERR(c, pod->pos, "pod and role names combine into node names: rename one",
					       "node name '%s' is used twice", nd->name);
				if (!(nd->services & PI_SVC_CLIENT))
					px->n_lo++;
				if ((nd->services & PI_SVC_RESOLVER) && px->resolver == PI_NONE)
					px->resolver = ni;
				if (nd->services & PI_SVC_AUTHDNS) {
					*(uint32_t *)pi_vec_push(&c->auth) = ni;
					px->n_auth++;
				}
			}
		}
		pod->n_nodes = ni - pod->first_node;
		/* Who holds the pod's external sessions. */
		unsigned want = pod->tier == PI_TIER_IXP ? PI_SVC_RS : PI_SVC_EBGP;
		for (int pass = 0; pass < 2 && !px->n_borders; pass++, want = PI_SVC_ROUTER) {
			if (pass == 1 && pod->tier == PI_TIER_IXP)
				break;
			for (uint32_t k = pod->first_node; k < ni; k++)
				if (plan->nodes[k].services & want) {
					*(uint32_t *)pi_vec_push(&c->borders) = k;
					px->n_borders++;
				}
		}
		if (!px->n_borders)
			PL_ERR(c, bp->pos, "give a role the ebgp (or route-server, for IXPs) service",
			       "blueprint '%s' has no node that can hold pod '%s''s %s sessions", bp->name, pod->name,
			       pod->tier == PI_TIER_IXP ? "route-server" : "eBGP");
	}
	return c->errors ? -EINVAL : 0;
}

static uint32_t role_index(const struct pi_blueprint *bp, const char *name)
{
	for (size_t r = 0; r < bp->n_roles; r++)
		if (strcmp(bp->roles[r].name, name) == 0)
			return (uint32_t)r;
	return PI_NONE;
}

static uint32_t next_border(struct pl_ctx *c, uint32_t p)
{
	struct pl_pod *px = &c->px[p];
	return *pl_u32(&c->borders, px->border_off + (px->ext_next++ % px->n_borders));
}

static void p2p(struct pl_ctx *c, uint32_t pod, uint32_t a, uint32_t b)
{
	struct pi_plan *plan = c->plan;
	const char *name = pi_arena_printf(&plan->arena, "%s--%s", plan->nodes[a].name, plan->nodes[b].name);
	uint32_t l = pl_link_new(c, PI_LINK_P2P, PI_SCOPE_INTERNAL, pod, PL_SRC_INTERNAL, name);
	pl_iface_new(c, a, l, "eth-", node_short(plan, b));
	pl_iface_new(c, b, l, "eth-", node_short(plan, a));
	c->px[pod].n_int_links++;
}

/* The blueprint LAN an IXP pod uses as its peering LAN: the first one a
 * route-server role is on. */
static uint32_t ixp_bp_lan(const struct pi_blueprint *bp)
{
	for (size_t l = 0; l < bp->n_lans; l++)
		for (unsigned m = 0; m < bp->lans[l].n_members; m++) {
			uint32_t r = role_index(bp, bp->lans[l].members[m]);
			if (r != PI_NONE && (bp->roles[r].services & PI_SVC_RS))
				return (uint32_t)l;
		}
	return PI_NONE;
}

static int links(struct pl_ctx *c)
{
	struct pi_plan *plan = c->plan;
	for (uint32_t p = 0; p < plan->n_pods; p++) {
		const struct pi_blueprint *bp = plan->pods[p].bp;
		struct pl_pod *px = &c->px[p];
		for (size_t li = 0; li < bp->n_links; li++) {
			const struct pi_bp_link *bl = &bp->links[li];
			uint32_t ra = role_index(bp, bl->a), rb = role_index(bp, bl->b);
			if (ra == PI_NONE || rb == PI_NONE) {
				PL_ERR(c, bl->pos, NULL, "link names unknown role '%s'", ra == PI_NONE ? bl->a : bl->b);
				continue;
			}
			uint32_t a0 = c->role_node[px->role_first + ra], na = c->role_count[px->role_first + ra];
			uint32_t b0 = c->role_node[px->role_first + rb], nb = c->role_count[px->role_first + rb];
			if (bl->pattern == PI_PAT_FULL && ra == rb) {
				for (uint32_t i = 0; i < na; i++)
					for (uint32_t j = i + 1; j < na; j++)
						p2p(c, p, a0 + i, a0 + j);
			} else if (bl->pattern == PI_PAT_FULL) {
				for (uint32_t i = 0; i < na; i++)
					for (uint32_t j = 0; j < nb; j++)
						p2p(c, p, a0 + i, b0 + j);
			} else if (bl->pattern == PI_PAT_CHAIN && ra == rb) {
				for (uint32_t i = 0; i + 1 < na; i++)
					p2p(c, p, a0 + i, a0 + i + 1);
				if (bl->ring && na > 2)
					p2p(c, p, a0 + na - 1, a0);
			} else if (nb > 0) { /* pair (and chain between two roles) */
				for (uint32_t i = 0; i < na; i++)
					if (a0 + i != b0 + i % nb)
						p2p(c, p, a0 + i, b0 + i % nb);
			}
		}
		if (plan->pods[p].tier == PI_TIER_IXP)
			px->ixp_lan_bp = ixp_bp_lan(bp);
		for (size_t li = 0; li < bp->n_lans; li++) {
			const struct pi_bp_lan *bl = &bp->lans[li];
			bool is_ixp = px->ixp_lan_bp == li;
			unsigned members = 0;
			for (unsigned m = 0; m < bl->n_members; m++) {
				uint32_t r = role_index(bp, bl->members[m]);
				if (r == PI_NONE)
					PL_ERR(c, bl->pos, NULL, "LAN '%s' names unknown role '%s'", bl->name, bl->members[m]);
				else
					members += c->role_count[px->role_first + r];
			}
			if (!members && !is_ixp)
				continue;
			enum pi_link_scope scope = is_ixp ? PI_SCOPE_IXP
						   : bl->subscriber ? PI_SCOPE_SUBSCRIBER
								    : PI_SCOPE_INTERNAL;
			uint32_t l = pl_link_new(c, PI_LINK_LAN, scope, p, is_ixp ? PL_SRC_IXP : PL_SRC_LAN,
						 pl_bridge_name(c, plan->pods[p].name, bl->name));
			struct pi_plan_link *lk = pi_vec_at(&c->links, l);
			lk->lan = bl->name;
			lk->cgnat = bl->cgnat;
			lk->nat64 = bl->nat64;
			((struct pl_link *)pi_vec_at(&c->xlinks, l))->lan = (uint32_t)li;
			if (is_ixp)
				px->ixp_lan = l;
			const char *pfx = is_ixp ? "ixp-" : "";
			const char *base = is_ixp ? plan->pods[p].name : pi_arena_printf(&c->tmp, "%s0", bl->name);
			for (unsigned m = 0; m < bl->n_members; m++) {
				uint32_t r = role_index(bp, bl->members[m]);
				if (r == PI_NONE)
					continue;
				uint32_t f = c->role_node[px->role_first + r];
				for (uint32_t k = 0; k < c->role_count[px->role_first + r]; k++)
					pl_iface_new(c, f + k, l, pfx, base);
			}
		}
		if (plan->pods[p].tier == PI_TIER_IXP && px->ixp_lan == PI_NONE) {
			uint32_t l = pl_link_new(c, PI_LINK_LAN, PI_SCOPE_IXP, p, PL_SRC_IXP,
						 pl_bridge_name(c, plan->pods[p].name, "peering"));
			((struct pi_plan_link *)pi_vec_at(&c->links, l))->lan = "peering";
			px->ixp_lan = l;
			for (uint32_t k = 0; k < px->n_borders; k++)
				pl_iface_new(c, *pl_u32(&c->borders, px->border_off + k), l, "ixp-", plan->pods[p].name);
		}
	}

	/* Between pods, in relationship order. */
	struct pl_rel *rels = c->rels.data;
	for (size_t i = 0; i < c->rels.len; i++) {
		struct pl_rel *r = &rels[i];
		if (r->kind == PL_IXP) {
			r->a_border = next_border(c, r->a);
			r->link = c->px[r->b].ixp_lan;
			r->a_if = pl_iface_new(c, r->a_border, r->link, "ixp-", plan->pods[r->b].name);
			continue;
		}
		r->a_border = next_border(c, r->a);
		r->b_border = next_border(c, r->b);
		uint32_t owner = r->a;
		if (r->kind == PL_PEER && plan->pods[r->b].asn < plan->pods[r->a].asn)
			owner = r->b;
		const char *name = pi_arena_printf(&plan->arena, "%s--%s", plan->nodes[r->a_border].name,
						   plan->nodes[r->b_border].name);
		r->link = pl_link_new(c, PI_LINK_P2P, PI_SCOPE_EXTERNAL, owner, PL_SRC_EXTERNAL, name);
		r->a_if = pl_iface_new(c, r->a_border, r->link, "to-", plan->pods[r->b].name);
		r->b_if = pl_iface_new(c, r->b_border, r->link, "to-", plan->pods[r->a].name);
		c->px[owner].n_ext_owned++;
	}
	return c->errors ? -EINVAL : 0;
}

/* ---- interfaces: final order (grouped by node), names, MACs ---- */

static void ifname(char out[PI_IFNAMSIZ], const char *pfx, const char *base, uint32_t salt)
{
	size_t np = strlen(pfx), nb = strlen(base);
	if (salt == 0 && np + nb < PI_IFNAMSIZ) {
		memcpy(out, pfx, np);
		memcpy(out + np, base, nb + 1);
		return;
	}
	char full[256];
	snprintf(full, sizeof(full), "%s%s", pfx, base);
	uint64_t h = pi_hash64(full, strlen(full), salt);
	/* Keep the readable start, end in a short hash: unique and <= 15. */
	int keep = (int)(PI_IFNAMSIZ - 1 - np - 4);
	if (keep < 1)
		keep = 1;
	snprintf(out, PI_IFNAMSIZ, "%s%.*s-%03x", pfx, keep, base, (unsigned)(h & 0xfff));
}

void pl_ifaces_finish(struct pl_ctx *c)
{
	struct pi_plan *plan = c->plan;
	size_t n = c->xifaces.len;
	struct pl_iface *xf = c->xifaces.data;
	uint32_t *off = pi_xcalloc(plan->n_nodes + 1, sizeof(uint32_t));
	for (size_t i = 0; i < n; i++)
		off[xf[i].node + 1]++;
	for (uint32_t k = 0; k < plan->n_nodes; k++) {
		plan->nodes[k].first_iface = off[k];
		plan->nodes[k].n_ifaces = off[k + 1];
		off[k + 1] += off[k];
	}
	c->iface_map = pi_xcalloc(n + 1, sizeof(uint32_t));
	plan->n_ifaces = (uint32_t)n;
	plan->ifaces = pi_arena_alloc(&plan->arena, (n + 1) * sizeof(*plan->ifaces));
	uint32_t *fill = pi_xcalloc(plan->n_nodes + 1, sizeof(uint32_t));
	for (size_t i = 0; i < n; i++) {
		uint32_t node = xf[i].node;
		uint32_t j = off[node] + fill[node]++;
		c->iface_map[i] = j;
		struct pi_plan_iface *f = &plan->ifaces[j];
		f->node = node;
		f->link = xf[i].link;
		f->v4 = xf[i].v4;
		f->v6 = xf[i].v6;
	}
	free(fill);
	free(off);

	/* Names unique per node; MAC and FQDN follow from the name. */
	struct pl_map seen;
	pl_map_init(&seen, n);
	for (size_t i = 0; i < n; i++) {
		struct pi_plan_iface *f = &plan->ifaces[c->iface_map[i]];
		const struct pi_plan_node *nd = &plan->nodes[f->node];
		for (uint32_t salt = 0;; salt++) {
			ifname(f->name, xf[i].pfx, xf[i].base, salt);
			size_t len = strlen(f->name);
			if (f->name[len - 1] == '-')
				continue;
			char *key = pi_arena_printf(&c->tmp, "%u/%s", f->node, f->name);
			if (pl_map_put(&seen, key, 0))
				break;
		}
		char key[128];
		int kl = snprintf(key, sizeof(key), "%s/%s", nd->name, f->name);
		uint64_t h = pi_hash64(key, (size_t)kl, plan->seed);
		f->mac[0] = (uint8_t)(((h >> 40) & 0xfc) | 0x02); /* unicast, locally administered */
		for (int b = 1; b < 6; b++)
			f->mac[b] = (uint8_t)(h >> (8 * (5 - b)));
		f->fqdn = pi_arena_printf(&plan->arena, "%s.%s", f->name, nd->fqdn);
	}
	pl_map_free(&seen);

	/* Links: arrays into the arena, members in creation order. */
	plan->n_links = (uint32_t)c->links.len;
	plan->links = pi_arena_alloc(&plan->arena, (c->links.len + 1) * sizeof(*plan->links));
	if (c->links.len)
		memcpy(plan->links, c->links.data, c->links.len * sizeof(*plan->links));
	for (uint32_t l = 0; l < plan->n_links; l++) {
		plan->links[l].ifaces = pi_arena_alloc(&plan->arena, (plan->links[l].n_ifaces + 1) * sizeof(uint32_t));
		plan->links[l].n_ifaces = 0;
	}
	for (size_t i = 0; i < n; i++) {
		struct pi_plan_link *l = &plan->links[xf[i].link];
		l->ifaces[l->n_ifaces++] = c->iface_map[i];
	}
	struct pl_rel *rels = c->rels.data;
	for (size_t i = 0; i < c->rels.len; i++) {
		if (rels[i].a_if != PI_NONE)
			rels[i].a_if = c->iface_map[rels[i].a_if];
		if (rels[i].b_if != PI_NONE)
			rels[i].b_if = c->iface_map[rels[i].b_if];
	}
}

/* ---- BGP sessions ---- */

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
				const char *nb = pi_arena_printf(&c->tmp, "ibgp_%s_%s", node_short(plan, r[i]),
								 node_short(plan, r[j]));
				pl_session_add(c, nb, r[i], r[j], PI_NONE, PI_NONE, fams[f], PI_REL_IBGP, 0, 0,
					       rr && j > 1);
			}
		}
}

static void sessions(struct pl_ctx *c)
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
					const char *nb = pi_arena_printf(&c->tmp, "rs_%s_%s_%s", pb->name, node_short(plan, rs),
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
	}
}

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
	pi_rng_seed(&c.rng, lab->seed);

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
		if ((rc = pl_check_size(&c)) || (rc = pl_pods(&c)) || (rc = pl_graph(&c)) || (rc = nodes(&c)) || (rc = links(&c)))
			goto out;
		pl_ifaces_finish(&c);
		if ((rc = pl_addresses(&c)))
			goto out;
		sessions(&c);
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
