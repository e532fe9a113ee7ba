/*
 * topo: the topology stages (nodes, links, interfaces) and the helpers that
 * create links and interfaces, shared with the original format (legacy.c).
 * See internal.h for the stage order and docs/plan.md for the rules.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"

/* ---- small helpers ---- */

const char *pl_node_short(const struct pi_plan *p, uint32_t n)
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
	f->pin_host = PI_NONE;
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

/* Role counts of pod p (its blueprint's, then the lab's overrides) at
 * c->role_count[off..]; returns the pod's node count. */
static size_t role_counts(struct pl_ctx *c, uint32_t p, size_t off)
{
	const struct pi_blueprint *bp = c->plan->pods[p].bp;
	const struct pi_lab_pod *lp = c->px[p].lp;
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
	/* The lab's RPKI cache: one node of the role made for it (count 0 otherwise). */
	for (size_t r = 0; r < bp->n_roles; r++)
		if (pl_rpki_wants_node(c, p, &bp->roles[r]) && c->role_count[off + r] == 0)
			c->role_count[off + r] = 1;
	size_t total = 0;
	for (size_t r = 0; r < bp->n_roles; r++)
		total += c->role_count[off + r];
	return total;
}

/* Node ni, the k-th of role r in pod p. */
static void node_init(struct pl_ctx *c, uint32_t p, size_t r, uint32_t k, uint32_t ni)
{
	struct pi_plan *plan = c->plan;
	struct pi_plan_pod *pod = &plan->pods[p];
	struct pl_pod *px = &c->px[p];
	const struct pi_bp_role *role = &pod->bp->roles[r];
	struct pi_plan_node *nd = &plan->nodes[ni];
	nd->name = pi_arena_printf(&plan->arena, "%s-%s%u", pod->name, role->name, k);
	nd->role = role->name;
	nd->services = role->services;
	nd->pod = p;
	nd->index = k;
	nd->fqdn = pi_arena_printf(&plan->arena, "%s%u.%s", role->name, k, pod->domain);
	if (strlen(nd->name) > 40)
		PL_ERR(c, pod->pos, "use shorter pod or role names", "node name '%s' is longer than 40 characters",
		       nd->name);
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

/* Who holds the pod's external sessions: its ebgp (IXP: route-server)
 * nodes, else (not IXPs) its routers. */
static void pod_borders(struct pl_ctx *c, uint32_t p)
{
	const struct pi_plan *plan = c->plan;
	const struct pi_plan_pod *pod = &plan->pods[p];
	struct pl_pod *px = &c->px[p];
	unsigned want = pod->tier == PI_TIER_IXP ? PI_SVC_RS : PI_SVC_EBGP;
	for (int pass = 0; pass < 2 && !px->n_borders; pass++, want = PI_SVC_ROUTER) {
		if (pass == 1 && pod->tier == PI_TIER_IXP)
			break;
		for (uint32_t k = pod->first_node; k < pod->first_node + pod->n_nodes; k++)
			if (plan->nodes[k].services & want) {
				*(uint32_t *)pi_vec_push(&c->borders) = k;
				px->n_borders++;
			}
	}
	if (!px->n_borders)
		PL_ERR(c, pod->bp->pos, "give a role the ebgp (or route-server, for IXPs) service",
		       "blueprint '%s' has no node that can hold pod '%s''s %s sessions", pod->bp->name, pod->name,
		       pod->tier == PI_TIER_IXP ? "route-server" : "eBGP");
}

int pl_nodes(struct pl_ctx *c)
{
	struct pi_plan *plan = c->plan;
	size_t n_roles = 0;
	for (uint32_t p = 0; p < plan->n_pods; p++)
		n_roles += plan->pods[p].bp->n_roles;
	c->role_node = pi_xcalloc(n_roles + 1, sizeof(uint32_t));
	c->role_count = pi_xcalloc(n_roles + 1, sizeof(uint32_t));
	size_t total = 0, off = 0;
	for (uint32_t p = 0; p < plan->n_pods; p++) {
		c->px[p].role_first = (uint32_t)off;
		total += role_counts(c, p, off);
		off += plan->pods[p].bp->n_roles;
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
		pod->first_node = ni;
		px->border_off = (uint32_t)c->borders.len;
		px->first_auth = (uint32_t)c->auth.len;
		for (size_t r = 0; r < pod->bp->n_roles; r++) {
			c->role_node[px->role_first + r] = ni;
			for (uint32_t k = 1; k <= c->role_count[px->role_first + r]; k++, ni++)
				node_init(c, p, r, k, ni);
		}
		pod->n_nodes = ni - pod->first_node;
		pod_borders(c, p);
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

/* Pod p's border toward pod q: the one the pins name (pin_iface, when it
 * is still one of p's borders), else one keyed by both names, so it does
 * not depend on which other pods p deals with. */
static uint32_t border_for(struct pl_ctx *c, uint32_t p, uint32_t q, uint32_t pin_iface)
{
	const struct pl_pod *px = &c->px[p];
	if (pin_iface != PI_NONE && pin_iface < c->pins->n_ifaces) {
		const struct pi_pin_iface *pf = &c->pins->ifaces[pin_iface];
		uint32_t n = pf->node < c->pins->n_nodes ? pl_node_named(c, c->pins->nodes[pf->node].name) : PI_NONE;
		for (uint32_t k = 0; n != PI_NONE && k < px->n_borders; k++)
			if (*pl_u32(&c->borders, px->border_off + k) == n)
				return n;
	}
	uint64_t h = pl_mix64(px->key ^ pl_mix64(c->px[q].key));
	return *pl_u32(&c->borders, px->border_off + (uint32_t)(h % px->n_borders));
}

/* What the pins say about relationship r's link: subnets of a p2p link,
 * the member's host number on an IXP LAN. */
static void pin_link(struct pl_ctx *c, const struct pl_rel *r)
{
	const struct pi_plan_pins *pins = c->pins;
	const struct pi_pin_rel *pr = &pins->rels[r->pin];
	if (pr->a_iface == PI_NONE || pr->a_iface >= pins->n_ifaces)
		return;
	const struct pi_pin_iface *pf = &pins->ifaces[pr->a_iface];
	if (r->kind == PL_IXP) {
		const struct pi_prefix *a = pi_prefix_is_set(&pf->v4) ? &pf->v4 : &pf->v6;
		if (!pi_prefix_is_set(a))
			return;
		unsigned bits = pi_prefix_maxlen(a) - a->len;
		uint64_t host = 0;
		for (unsigned b = 0; b < bits && b < 32; b++) {
			unsigned bit = pi_prefix_maxlen(a) - 1 - b;
			host |= (uint64_t)((a->addr[bit / 8] >> (7 - bit % 8)) & 1u) << b;
		}
		((struct pl_iface *)pi_vec_at(&c->xifaces, r->a_if))->pin_host = (uint32_t)host;
		return;
	}
	if (pf->link >= pins->n_links)
		return;
	struct pl_link *x = pi_vec_at(&c->xlinks, r->link);
	x->pin4 = pins->links[pf->link].v4;
	x->pin6 = pins->links[pf->link].v6;
}

static void p2p(struct pl_ctx *c, uint32_t pod, uint32_t a, uint32_t b)
{
	struct pi_plan *plan = c->plan;
	const char *name = pi_arena_printf(&plan->arena, "%s--%s", plan->nodes[a].name, plan->nodes[b].name);
	uint32_t l = pl_link_new(c, PI_LINK_P2P, PI_SCOPE_INTERNAL, pod, PL_SRC_INTERNAL, name);
	pl_iface_new(c, a, l, "eth-", pl_node_short(plan, b));
	pl_iface_new(c, b, l, "eth-", pl_node_short(plan, a));
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

/* Pod p's point-to-point links, as its blueprint's links patterns say. */
static void pod_p2p_links(struct pl_ctx *c, uint32_t p)
{
	const struct pi_blueprint *bp = c->plan->pods[p].bp;
	const struct pl_pod *px = &c->px[p];
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
}

/* Blueprint LAN li of pod p, with an interface for every member node;
 * skipped when no node is on it (unless it is the IXP's peering LAN). */
static void pod_lan(struct pl_ctx *c, uint32_t p, size_t li)
{
	struct pi_plan *plan = c->plan;
	const struct pi_blueprint *bp = plan->pods[p].bp;
	struct pl_pod *px = &c->px[p];
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
		return;
	enum pi_link_scope scope = is_ixp ? PI_SCOPE_IXP : bl->subscriber ? PI_SCOPE_SUBSCRIBER : PI_SCOPE_INTERNAL;
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

/* Between pods, in relationship order: an IXP member joins the IXP's
 * peering LAN; other pairs get a p2p link numbered by its owner: the
 * customer for transit (it numbers its own uplinks, so a new customer never
 * grows its provider's block), the lower ASN for peers. */
static void ext_links(struct pl_ctx *c)
{
	struct pi_plan *plan = c->plan;
	struct pl_rel *rels = c->rels.data;
	for (size_t i = 0; i < c->rels.len; i++) {
		struct pl_rel *r = &rels[i];
		const struct pi_pin_rel *pr = r->pin != PI_NONE ? &c->pins->rels[r->pin] : NULL;
		r->a_border = border_for(c, r->a, r->b, pr ? pr->a_iface : PI_NONE);
		if (r->kind == PL_IXP) {
			r->link = c->px[r->b].ixp_lan;
			r->a_if = pl_iface_new(c, r->a_border, r->link, "ixp-", plan->pods[r->b].name);
			if (pr)
				pin_link(c, r);
			continue;
		}
		r->b_border = border_for(c, r->b, r->a, pr ? pr->b_iface : PI_NONE);
		uint32_t owner = r->kind == PL_TRANSIT ? r->b : r->a;
		if (r->kind == PL_PEER && plan->pods[r->b].asn < plan->pods[r->a].asn)
			owner = r->b;
		const char *name = pi_arena_printf(&plan->arena, "%s--%s", plan->nodes[r->a_border].name,
						   plan->nodes[r->b_border].name);
		r->link = pl_link_new(c, PI_LINK_P2P, PI_SCOPE_EXTERNAL, owner, PL_SRC_EXTERNAL, name);
		r->a_if = pl_iface_new(c, r->a_border, r->link, "to-", plan->pods[r->b].name);
		r->b_if = pl_iface_new(c, r->b_border, r->link, "to-", plan->pods[r->a].name);
		c->px[owner].n_ext_owned++;
		if (pr)
			pin_link(c, r);
	}
}

int pl_links(struct pl_ctx *c)
{
	struct pi_plan *plan = c->plan;
	for (uint32_t p = 0; p < plan->n_pods; p++) {
		const struct pi_blueprint *bp = plan->pods[p].bp;
		struct pl_pod *px = &c->px[p];
		pod_p2p_links(c, p);
		if (plan->pods[p].tier == PI_TIER_IXP)
			px->ixp_lan_bp = ixp_bp_lan(bp);
		for (size_t li = 0; li < bp->n_lans; li++)
			pod_lan(c, p, li);
		/* An IXP whose blueprint has no route-server LAN gets a peering LAN of its borders. */
		if (plan->pods[p].tier == PI_TIER_IXP && px->ixp_lan == PI_NONE) {
			uint32_t l = pl_link_new(c, PI_LINK_LAN, PI_SCOPE_IXP, p, PL_SRC_IXP,
						 pl_bridge_name(c, plan->pods[p].name, "peering"));
			((struct pi_plan_link *)pi_vec_at(&c->links, l))->lan = "peering";
			px->ixp_lan = l;
			for (uint32_t k = 0; k < px->n_borders; k++)
				pl_iface_new(c, *pl_u32(&c->borders, px->border_off + k), l, "ixp-", plan->pods[p].name);
		}
	}
	ext_links(c);
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
