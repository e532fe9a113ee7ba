/*
 * dns: the lab's DNS tree (docs/plan.md, "DNS").
 *
 *   "."              root servers (root_dns nodes); delegates the TLD and
 *                    the reverse parents, with glue.
 *   "<tld>."         TLD servers (tld_dns nodes, the same as root); delegates
 *                    every pod with auth-dns nodes, with glue; holds the
 *                    records of pods without auth-dns (IXPs).
 *   reverse parents  the in-addr.arpa zone covering the lab's IPv4 space at
 *                    an octet boundary and the ip6.arpa zone covering its
 *                    IPv6 space at a nibble boundary; delegate pod reverse
 *                    zones (no glue: the NS names live under the TLD) and
 *                    hold PTRs of addresses no pod zone covers.
 *   "<pod>.<tld>."   per pod with auth-dns: nodes, interfaces, ns<k>,
 *                    www (web nodes or the anycast address), resolver.
 *   pod reverse      the pod's v4 aggregate split at the next octet
 *                    boundary (aggregates are at most /24) and its /48.
 *
 * Every zone: SOA first (serial 1: a lab is built fresh each time), then
 * apex NS, then records sorted by owner, type and data, duplicates dropped.
 */
#include <stdlib.h>
#include <string.h>
#include "internal.h"

struct zb {
	const char *name;
	enum pi_zone_kind kind;
	uint32_t pod;
	struct pi_prefix net; /* reverse zones: the prefix covered */
	struct pi_vec servers; /* uint32_t */
	struct pi_vec rrs;     /* struct pi_plan_rr */
};

struct dctx {
	struct pl_ctx *c;
	struct pi_plan *plan;
	struct pi_arena *a;
	struct pi_vec zones; /* struct zb */
	uint32_t root, tld;
	uint32_t parent[4];
	struct pi_prefix parent_net[4];
	unsigned n_parents;
	uint32_t *pod_fwd;   /* pod -> forward zone or PI_NONE */
	uint32_t *pod_rev4;  /* pod -> first v4 reverse zone or PI_NONE */
	uint32_t *pod_rev6;
	unsigned *pod_rev4_len; /* length of the pod's v4 reverse zones */
	struct pi_vec roots; /* uint32_t: root/TLD server nodes */
};

static struct zb *Z(struct dctx *d, uint32_t z) { return pi_vec_at(&d->zones, z); }

static uint32_t zone_new(struct dctx *d, const char *name, enum pi_zone_kind kind, uint32_t pod)
{
	struct zb *z = pi_vec_push(&d->zones);
	z->name = name;
	z->kind = kind;
	z->pod = pod;
	z->servers = (struct pi_vec)PI_VEC_INIT(uint32_t);
	z->rrs = (struct pi_vec)PI_VEC_INIT(struct pi_plan_rr);
	return (uint32_t)(d->zones.len - 1);
}

static void rr(struct dctx *d, uint32_t z, const char *owner, enum pi_rr_type t, const char *data)
{
	struct pi_plan_rr *r = pi_vec_push(&Z(d, z)->rrs);
	r->owner = owner;
	r->type = t;
	r->data = data;
}

static void rr_addr(struct dctx *d, uint32_t z, const char *owner, const struct pi_prefix *a)
{
	if (!pi_prefix_is_set(a))
		return;
	char buf[PI_PREFIX_STRLEN];
	rr(d, z, owner, a->family == PI_AF_V4 ? PI_RR_A : PI_RR_AAAA, pi_arena_strdup(d->a, pi_prefix_fmt_addr(a, buf)));
}

/* "ns<k>.<pod domain>" for the k-th auth-dns node of its pod. */
static const char *ns_name(struct dctx *d, uint32_t node)
{
	const struct pi_plan *plan = d->plan;
	const struct pl_pod *px = &d->c->px[plan->nodes[node].pod];
	uint32_t k = 0;
	for (uint32_t i = 0; i < px->n_auth; i++)
		if (*pl_u32(&d->c->auth, px->first_auth + i) == node)
			k = i + 1;
	return pi_arena_printf(d->a, "ns%u.%s", k, plan->pods[plan->nodes[node].pod].domain);
}

static void ns_glue(struct dctx *d, uint32_t z, const char *owner, uint32_t node, bool glue)
{
	const char *ns = ns_name(d, node);
	rr(d, z, owner, PI_RR_NS, ns);
	if (glue) {
		struct pi_prefix a4 = pl_node_addr(d->plan, node, PI_AF_V4), a6 = pl_node_addr(d->plan, node, PI_AF_V6);
		rr_addr(d, z, ns, &a4);
		rr_addr(d, z, ns, &a6);
	}
}

static void soa(struct dctx *d, uint32_t z, uint32_t primary)
{
	const char *zn = Z(d, z)->name;
	const char *hm = strcmp(zn, ".") == 0 ? pi_arena_printf(d->a, "hostmaster.%s.", d->plan->tld)
					      : pi_arena_printf(d->a, "hostmaster.%s", zn);
	rr(d, z, zn, PI_RR_SOA, pi_arena_printf(d->a, "%s %s 1 3600 900 604800 300", ns_name(d, primary), hm));
}

static void apex(struct dctx *d, uint32_t z, const uint32_t *servers, uint32_t n)
{
	if (!n)
		return;
	soa(d, z, servers[0]);
	for (uint32_t i = 0; i < n; i++) {
		*(uint32_t *)pi_vec_push(&Z(d, z)->servers) = servers[i];
		rr(d, z, Z(d, z)->name, PI_RR_NS, ns_name(d, servers[i]));
	}
}

/* The zone that holds the PTR for addr, whose address block belongs to pod
 * (PI_NONE: no pod). */
static uint32_t ptr_zone(struct dctx *d, const struct pi_prefix *addr, uint32_t pod)
{
	const struct pi_plan *plan = d->plan;
	if (pod != PI_NONE) {
		const struct pi_plan_pod *pp = &plan->pods[pod];
		if (addr->family == PI_AF_V4 && d->pod_rev4[pod] != PI_NONE && pi_prefix_contains(&pp->v4, addr)) {
			unsigned zl = d->pod_rev4_len[pod];
			uint32_t off = ((uint32_t)addr->addr[0] << 24 | (uint32_t)addr->addr[1] << 16 |
					(uint32_t)addr->addr[2] << 8 | addr->addr[3]) -
				       ((uint32_t)pp->v4.addr[0] << 24 | (uint32_t)pp->v4.addr[1] << 16 |
					(uint32_t)pp->v4.addr[2] << 8 | pp->v4.addr[3]);
			return d->pod_rev4[pod] + (zl < 32 ? off >> (32 - zl) : off);
		}
		if (addr->family == PI_AF_V6 && d->pod_rev6[pod] != PI_NONE && pi_prefix_contains(&pp->v6, addr))
			return d->pod_rev6[pod];
	}
	for (unsigned i = 0; i < d->n_parents; i++)
		if (pi_prefix_contains(&d->parent_net[i], addr))
			return d->parent[i];
	return PI_NONE;
}

static void ptr(struct dctx *d, const struct pi_prefix *a, uint32_t pod, const char *name)
{
	if (!pi_prefix_is_set(a))
		return;
	uint32_t z = ptr_zone(d, a, pod);
	if (z == PI_NONE)
		return;
	char buf[80];
	struct pi_prefix h = pi_prefix_as_host(a);
	rr(d, z, pi_arena_strdup(d->a, pi_prefix_ptr_name(&h, buf, sizeof(buf))), PI_RR_PTR, name);
}

static int rr_cmp(const void *x, const void *y)
{
	const struct pi_plan_rr *a = x, *b = y;
	int c = strcmp(a->owner, b->owner);
	if (c)
		return c;
	if (a->type != b->type)
		return a->type < b->type ? -1 : 1;
	return strcmp(a->data, b->data);
}

/* Records of one pod's nodes into zone z (its own zone, or the TLD). */
static void pod_records(struct dctx *d, uint32_t p, uint32_t z)
{
	struct pi_plan *plan = d->plan;
	const struct pi_plan_pod *pod = &plan->pods[p];
	bool web = false;
	for (uint32_t n = pod->first_node; n < pod->first_node + pod->n_nodes; n++) {
		const struct pi_plan_node *nd = &plan->nodes[n];
		struct pi_prefix a4 = pl_node_addr(plan, n, PI_AF_V4), a6 = pl_node_addr(plan, n, PI_AF_V6);
		rr_addr(d, z, nd->fqdn, &a4);
		rr_addr(d, z, nd->fqdn, &a6);
		for (uint32_t i = 0; i < nd->n_ifaces; i++) {
			const struct pi_plan_iface *f = &plan->ifaces[nd->first_iface + i];
			struct pi_prefix h4 = pi_prefix_as_host(&f->v4), h6 = pi_prefix_as_host(&f->v6);
			rr_addr(d, z, f->fqdn, pi_prefix_is_set(&f->v4) ? &h4 : &f->v4);
			rr_addr(d, z, f->fqdn, pi_prefix_is_set(&f->v6) ? &h6 : &f->v6);
		}
		if (nd->services & PI_SVC_RESOLVER) {
			const char *o = pi_arena_printf(d->a, "resolver.%s", pod->domain);
			rr_addr(d, z, o, &a4);
			rr_addr(d, z, o, &a6);
		}
		if (nd->services & PI_SVC_AUTHDNS) {
			const char *o = ns_name(d, n);
			rr_addr(d, z, o, &a4);
			rr_addr(d, z, o, &a6);
		}
		if ((nd->services & PI_SVC_HTTP) && !pi_prefix_is_set(&nd->anycast4)) {
			const char *o = pi_arena_printf(d->a, "www.%s", pod->domain);
			rr_addr(d, z, o, &a4);
			rr_addr(d, z, o, &a6);
		}
		if (nd->services & PI_SVC_HTTP) {
			/* An A-only name: IPv6-only subscribers reach it through DNS64 + NAT64. */
			rr_addr(d, z, pi_arena_printf(d->a, "ipv4.%s", nd->fqdn), &a4);
			web = true;
		}
	}
	if (web && pod->anycast && pi_prefix_is_set(&plan->anycast4)) {
		const char *o = pi_arena_printf(d->a, "www.%s", pod->domain);
		struct pi_prefix h;
		pi_prefix_host(&plan->anycast4, 1, &h);
		h.len = 32;
		rr_addr(d, z, o, &h);
		pi_prefix_host(&plan->anycast6, 1, &h);
		h.len = 128;
		rr_addr(d, z, o, &h);
	}
}

static void pod_ptrs(struct dctx *d, uint32_t p)
{
	struct pi_plan *plan = d->plan;
	const struct pi_plan_pod *pod = &plan->pods[p];
	for (uint32_t n = pod->first_node; n < pod->first_node + pod->n_nodes; n++) {
		const struct pi_plan_node *nd = &plan->nodes[n];
		ptr(d, &nd->lo4, p, nd->fqdn);
		ptr(d, &nd->lo6, p, nd->fqdn);
		for (uint32_t i = 0; i < nd->n_ifaces; i++) {
			const struct pi_plan_iface *f = &plan->ifaces[nd->first_iface + i];
			uint32_t owner = plan->links[f->link].pod;
			ptr(d, &f->v4, owner, f->fqdn);
			ptr(d, &f->v6, owner, f->fqdn);
		}
	}
}

/* Root, TLD and reverse parents, each served by every root server; the
 * root delegates the TLD and the parents, with glue. */
static void top_zones(struct dctx *d, const struct pi_prefix *parents, unsigned n_parents)
{
	const uint32_t *roots = d->roots.data;
	uint32_t n_roots = (uint32_t)d->roots.len;
	d->root = zone_new(d, ".", PI_ZONE_ROOT, PI_NONE);
	apex(d, d->root, roots, n_roots);
	d->tld = zone_new(d, pi_arena_printf(d->a, "%s.", d->plan->tld), PI_ZONE_TLD, PI_NONE);
	apex(d, d->tld, roots, n_roots);
	char buf[128];
	for (unsigned i = 0; i < n_parents && i < PI_ARRAY_LEN(d->parent); i++) {
		struct pi_prefix net = pi_prefix_network(&parents[i]);
		unsigned step = net.family == PI_AF_V4 ? 8 : 4;
		unsigned len = net.len / step * step;
		if (len == 0)
			len = step;
		net.len = (uint8_t)len;
		net = pi_prefix_network(&net);
		d->parent_net[d->n_parents] = net;
		d->parent[d->n_parents] = zone_new(d, pi_arena_strdup(d->a, pi_prefix_rev_zone(&net, buf, sizeof(buf))),
						   net.family == PI_AF_V4 ? PI_ZONE_REVERSE4 : PI_ZONE_REVERSE6, PI_NONE);
		Z(d, d->parent[d->n_parents])->net = net;
		apex(d, d->parent[d->n_parents], roots, n_roots);
		d->n_parents++;
	}
	for (uint32_t i = 0; i < n_roots; i++) {
		ns_glue(d, d->root, Z(d, d->tld)->name, roots[i], true);
		for (unsigned k = 0; k < d->n_parents; k++)
			ns_glue(d, d->root, Z(d, d->parent[k])->name, roots[i], true);
		ns_glue(d, d->root, ".", roots[i], true);
	}
}

/* Whether a reverse parent of this family is already as long as zl: then
 * a pod zone would equal it. */
static bool parent_covers(const struct dctx *d, unsigned family, unsigned zl)
{
	bool same = false;
	for (unsigned k = 0; k < d->n_parents; k++)
		same |= d->parent_net[k].family == family && d->parent_net[k].len >= zl;
	return same;
}

static uint32_t rev_zone_new(struct dctx *d, const struct pi_prefix *net, enum pi_zone_kind kind, uint32_t p)
{
	char buf[128];
	uint32_t z = zone_new(d, pi_arena_strdup(d->a, pi_prefix_rev_zone(net, buf, sizeof(buf))), kind, p);
	Z(d, z)->net = *net;
	return z;
}

/* A pod's reverse zones: its v4 aggregate split at the next octet
 * boundary, and its /48 when that is a nibble boundary. */
static void pod_reverse(struct dctx *d, uint32_t p, const uint32_t *auth, uint32_t n_auth)
{
	const struct pi_plan_pod *pod = &d->plan->pods[p];
	if (pi_prefix_is_set(&pod->v4)) {
		unsigned zl = (pod->v4.len + 7) / 8 * 8;
		if (!parent_covers(d, PI_AF_V4, zl)) {
			d->pod_rev4_len[p] = zl;
			uint64_t cnt = pi_prefix_count(&pod->v4, zl);
			for (uint64_t k = 0; k < cnt; k++) {
				struct pi_prefix zn;
				pi_prefix_subnet(&pod->v4, zl, k, &zn);
				uint32_t z = rev_zone_new(d, &zn, PI_ZONE_REVERSE4, p);
				if (k == 0)
					d->pod_rev4[p] = z;
				apex(d, z, auth, n_auth);
			}
		}
	}
	if (pi_prefix_is_set(&pod->v6)) {
		unsigned zl = (pod->v6.len + 3) / 4 * 4;
		if (!parent_covers(d, PI_AF_V6, zl) && zl == pod->v6.len) {
			uint32_t z = rev_zone_new(d, &pod->v6, PI_ZONE_REVERSE6, p);
			d->pod_rev6[p] = z;
			apex(d, z, auth, n_auth);
		}
	}
}

/* A pod with auth-dns: its forward zone (delegated by the TLD, with glue)
 * and reverse zones (delegated by the parents). */
static void pod_zones(struct dctx *d, uint32_t p)
{
	struct pl_ctx *c = d->c;
	const struct pi_plan_pod *pod = &d->plan->pods[p];
	const struct pl_pod *px = &c->px[p];
	d->pod_fwd[p] = d->pod_rev4[p] = d->pod_rev6[p] = PI_NONE;
	if (!px->n_auth || c->flat_dns)
		return;
	const uint32_t *auth = pl_u32(&c->auth, px->first_auth);
	d->pod_fwd[p] = zone_new(d, pod->domain, PI_ZONE_FORWARD, p);
	apex(d, d->pod_fwd[p], auth, px->n_auth);
	for (uint32_t i = 0; i < px->n_auth; i++)
		ns_glue(d, d->tld, pod->domain, auth[i], true);
	pod_reverse(d, p, auth, px->n_auth);
	/* Parents delegate the pod's reverse zones (NS names are out of zone: no glue). */
	for (uint32_t z = d->pod_fwd[p] + 1; z < d->zones.len; z++) {
		struct zb *zz = Z(d, z);
		for (unsigned k = 0; k < d->n_parents; k++)
			if (pi_prefix_contains(&d->parent_net[k], &zz->net))
				for (uint32_t i = 0; i < px->n_auth; i++)
					ns_glue(d, d->parent[k], zz->name, auth[i], false);
	}
}

/* Sorts and dedupes zone z's records and copies it into the plan. */
static void zone_finish(struct dctx *d, uint32_t z)
{
	struct zb *zb = Z(d, z);
	struct pi_plan_rr *r = zb->rrs.data;
	size_t nr = zb->rrs.len;
	/* SOA stays first, apex NS (in server order) next. */
	size_t head = 1;
	while (head < nr && r[head].type == PI_RR_NS && r[head].owner == zb->name)
		head++;
	if (nr > head)
		qsort(r + head, nr - head, sizeof(*r), rr_cmp);
	size_t u = head;
	for (size_t i = head; i < nr; i++) {
		if (u > head && rr_cmp(&r[u - 1], &r[i]) == 0)
			continue;
		/* The apex NS set is already in the head. */
		if (r[i].type == PI_RR_NS && strcmp(r[i].owner, zb->name) == 0)
			continue;
		r[u++] = r[i];
	}
	struct pi_plan_zone *o = &d->plan->zones[z];
	o->name = zb->name;
	o->kind = zb->kind;
	o->pod = zb->pod;
	o->n_servers = (uint32_t)zb->servers.len;
	o->servers = pi_arena_alloc(d->a, (zb->servers.len + 1) * sizeof(uint32_t));
	if (zb->servers.len)
		memcpy(o->servers, zb->servers.data, zb->servers.len * sizeof(uint32_t));
	o->n_rrs = (uint32_t)u;
	o->rrs = pi_arena_alloc(d->a, (u + 1) * sizeof(*o->rrs));
	if (u)
		memcpy(o->rrs, r, u * sizeof(*r));
	pi_vec_free(&zb->servers);
	pi_vec_free(&zb->rrs);
}

/* Index the zones per pod (render looks a node's zones up by pod). */
static void index_zones(struct pi_plan *plan)
{
	for (uint32_t z = 0; z < plan->n_zones; z++) {
		uint32_t p = plan->zones[z].pod;
		if (p == PI_NONE) {
			if (z == plan->n_lab_zones)
				plan->n_lab_zones++;
			continue;
		}
		if (!plan->pods[p].n_zones)
			plan->pods[p].first_zone = z;
		plan->pods[p].n_zones++;
	}
}

void pl_dns(struct pl_ctx *c, const struct pi_prefix *parents, unsigned n_parents)
{
	struct pi_plan *plan = c->plan;
	struct dctx d;
	memset(&d, 0, sizeof(d));
	d.c = c;
	d.plan = plan;
	d.a = &plan->arena;
	d.zones = (struct pi_vec)PI_VEC_INIT(struct zb);
	d.roots = (struct pi_vec)PI_VEC_INIT(uint32_t);
	for (uint32_t n = 0; n < plan->n_nodes; n++)
		if (plan->nodes[n].root_dns)
			*(uint32_t *)pi_vec_push(&d.roots) = n;
	if (!d.roots.len) { /* no auth-dns anywhere: the lab runs without DNS */
		plan->zones = pi_arena_alloc(d.a, sizeof(*plan->zones));
		pi_vec_free(&d.roots);
		return;
	}
	uint32_t n = plan->n_pods;
	d.pod_fwd = pi_xcalloc(n + 1, sizeof(uint32_t));
	d.pod_rev4 = pi_xcalloc(n + 1, sizeof(uint32_t));
	d.pod_rev6 = pi_xcalloc(n + 1, sizeof(uint32_t));
	d.pod_rev4_len = pi_xcalloc(n + 1, sizeof(unsigned));

	top_zones(&d, parents, n_parents);
	for (uint32_t p = 0; p < n; p++)
		pod_zones(&d, p);
	for (uint32_t p = 0; p < n; p++) {
		pod_records(&d, p, d.pod_fwd[p] != PI_NONE ? d.pod_fwd[p] : d.tld);
		pod_ptrs(&d, p);
	}

	plan->n_zones = (uint32_t)d.zones.len;
	plan->zones = pi_arena_alloc(d.a, (d.zones.len + 1) * sizeof(*plan->zones));
	for (uint32_t z = 0; z < d.zones.len; z++)
		zone_finish(&d, z);
	index_zones(plan);
	pi_vec_free(&d.zones);
	pi_vec_free(&d.roots);
	free(d.pod_fwd);
	free(d.pod_rev4);
	free(d.pod_rev6);
	free(d.pod_rev4_len);
}
