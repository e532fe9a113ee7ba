/*
 * addr: the address plan (docs/addressing.md).
 *
 * IPv4: each pod gets one aggregate sized to what it needs (loopback block,
 * LANs, NAT pools, a /31 block for internal links and one with headroom
 * for the external links it numbers, its IXP LAN with headroom for
 * members), rounded up to a power of two and never longer than /24 so
 * reverse zones split on octet boundaries. A size depends only on the pod
 * itself (as long as the headroom lasts), so it does not change when other
 * pods come or go. Aggregates are placed largest first, each at a position
 * keyed by its pod's name (stable.c), probing to the next free one; the
 * anycast /24 is the space's last. Blocks are aligned and placed largest
 * first, so the plan still fits iff the sum fits (pins can fragment the
 * space: then it says so). Inside a pod, the largest-first bump allocator
 * carves the aggregate.
 *
 * IPv6: a /48 per pod at a position keyed by its name (anycast: the last).
 * Inside it: /64 #0 loopbacks, #1 internal /127s, #2 external /127s, then
 * the LANs.
 *
 * CGNAT: subscriber LANs marked cgnat take their IPv4 from a per-pod pool
 * placed (keyed by name) in 100.64.0.0/10, unique across the lab.
 *
 * Pins (plan.h): a kept pod keeps its aggregates and CGNAT pool when they
 * are still the size it needs and inside the lab's space; a kept link keeps
 * its /31 and /127; a kept IXP member its host number.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"

enum req_kind { RQ_LO, RQ_INT, RQ_EXT, RQ_LAN, RQ_NAT44, RQ_NAT64 };

struct req {
	unsigned len;
	uint32_t seq;
	enum req_kind kind;
	uint32_t idx; /* link for RQ_LAN */
};

static int req_cmp(const void *a, const void *b)
{
	const struct req *x = a, *y = b;
	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static uint64_t size4(unsigned len) { return (uint64_t)1 << (32 - len); }

/* External /31s a pod numbers: room for this many before its block grows. */
#define EXT_HEADROOM 16u
/* An IXP peering LAN holds 4x its members (at least a /24) before it grows. */
static unsigned ixp_lan_len(uint32_t n_ifaces)
{
	uint64_t want = 4 * ((uint64_t)n_ifaces + 2);
	return pi_prefix_len_for(PI_AF_V4, want < 256 ? 256 : want);
}

/* What the pod's NAT pools need: the NAT role's v4_hosts, else a /29
 * (NAT44) or /28 (NAT64). */
static unsigned pool_len(const struct pi_blueprint *bp, unsigned svc, unsigned dflt)
{
	uint64_t hosts = 0;
	for (size_t r = 0; r < bp->n_roles; r++)
		if (bp->roles[r].services & svc)
			hosts += bp->roles[r].v4_hosts;
	return hosts ? pi_prefix_len_for(PI_AF_V4, hosts) : dflt;
}

/* Per pod: the list of IPv4 requests. */
static void pod_reqs(struct pl_ctx *c, uint32_t p, const uint32_t *pod_links, uint32_t n_pod_links, struct pi_vec *out)
{
	struct pi_plan *plan = c->plan;
	struct pl_pod *px = &c->px[p];
	const struct pi_blueprint *bp = plan->pods[p].bp;
	out->len = 0;
	uint32_t seq = 0;
	struct req *q;
	bool cgnat = false, nat64 = false;
	if (px->n_lo) {
		q = pi_vec_push(out);
		*q = (struct req){ pi_prefix_len_for(PI_AF_V4, px->n_lo + 1), seq++, RQ_LO, 0 };
	}
	for (uint32_t i = 0; i < n_pod_links; i++) {
		uint32_t l = pod_links[i];
		const struct pi_plan_link *lk = &plan->links[l];
		const struct pl_link *x = pi_vec_at(&c->xlinks, l);
		if (x->src == PL_SRC_LAN) {
			const struct pi_bp_lan *bl = &bp->lans[x->lan];
			nat64 |= bl->nat64;
			if (bl->cgnat) {
				cgnat = true;
				continue;
			}
			if (!bl->v4_len)
				continue;
			unsigned len = bl->v4_len;
			/* A LAN must hold its members plus network and broadcast. */
			unsigned need = pi_prefix_len_for(PI_AF_V4, (uint64_t)lk->n_ifaces + 2);
			if (need < len)
				len = need;
			q = pi_vec_push(out);
			*q = (struct req){ len, seq++, RQ_LAN, l };
		} else if (x->src == PL_SRC_IXP) {
			unsigned len = ixp_lan_len(lk->n_ifaces);
			if (x->lan != PI_NONE && bp->lans[x->lan].v4_len && bp->lans[x->lan].v4_len < len)
				len = bp->lans[x->lan].v4_len;
			q = pi_vec_push(out);
			*q = (struct req){ len, seq++, RQ_LAN, l };
		}
	}
	if (cgnat) {
		q = pi_vec_push(out);
		*q = (struct req){ pool_len(bp, PI_SVC_NAT44, 29), seq++, RQ_NAT44, 0 };
	}
	if (nat64) {
		q = pi_vec_push(out);
		*q = (struct req){ pool_len(bp, PI_SVC_NAT64, 28), seq++, RQ_NAT64, 0 };
	}
	if (px->n_int_links) {
		q = pi_vec_push(out);
		*q = (struct req){ pi_prefix_len_for(PI_AF_V4, (uint64_t)px->n_int_links * 2), seq++, RQ_INT, 0 };
	}
	if (plan->pods[p].tier != PI_TIER_IXP) { /* always: a first external link must not move the others */
		uint64_t n = px->n_ext_owned > EXT_HEADROOM ? px->n_ext_owned : EXT_HEADROOM;
		q = pi_vec_push(out);
		*q = (struct req){ pi_prefix_len_for(PI_AF_V4, n * 2), seq++, RQ_EXT, 0 };
	}
	qsort(out->data, out->len, sizeof(struct req), req_cmp);
}

/* hosts: per iface, its host number on a LAN (PI_NONE: by position), or NULL. */
static void set_iface_addrs(struct pi_plan *plan, uint32_t l, const struct pi_prefix *net, bool v6,
			    const uint32_t *hosts)
{
	struct pi_plan_link *lk = &plan->links[l];
	if (v6)
		lk->v6 = *net;
	else
		lk->v4 = *net;
	for (uint32_t k = 0; k < lk->n_ifaces; k++) {
		struct pi_plan_iface *f = &plan->ifaces[lk->ifaces[k]];
		struct pi_prefix *a = v6 ? &f->v6 : &f->v4;
		/* p2p: ends 0 and 1 (RFC 3021/6164); LANs: hosts from 1. */
		uint32_t h = hosts ? hosts[lk->ifaces[k]] : PI_NONE;
		pi_prefix_host(net, h != PI_NONE ? h : lk->kind == PI_LINK_P2P ? k : k + 1, a);
	}
}

struct agg {
	unsigned len;
	uint32_t pod;
};

/* Largest first, then pod order (which pod wins a contested position). */
static int agg_cmp(const void *a, const void *b)
{
	const struct agg *x = a, *y = b;
	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	return x->pod < y->pod ? -1 : x->pod > y->pod;
}

static bool want_anycast(const struct pi_plan *plan)
{
	for (uint32_t p = 0; p < plan->n_pods; p++)
		if (plan->pods[p].anycast)
			return true;
	return false;
}

static uint64_t space4(const struct pi_prefix *p) { return (uint64_t)1 << (32 - p->len); }

/* What the steps of pl_addresses share. */
struct actx {
	struct pl_ctx *c;
	struct pi_plan *plan;
	const struct pi_lab *lab;
	uint32_t n;          /* pods */
	bool anycast;
	uint32_t *loff, *lidx; /* links by owning pod (CSR), in creation order */
	struct agg *aggs;    /* n: IPv4 aggregates, then CGNAT pools */
	struct pi_vec reqs;  /* struct req, one pod's at a time */
	uint32_t *hosts;     /* per iface: host number on an IXP LAN, else PI_NONE */
	uint32_t *pin_host;  /* per iface: the host number pins gave it, else PI_NONE */
};

static void link_index(struct actx *a)
{
	const struct pi_plan *plan = a->plan;
	a->loff = pi_xcalloc(a->n + 1, sizeof(uint32_t));
	a->lidx = pi_xcalloc(plan->n_links + 1, sizeof(uint32_t));
	for (uint32_t l = 0; l < plan->n_links; l++)
		a->loff[plan->links[l].pod + 1]++;
	for (uint32_t p = 0; p < a->n; p++)
		a->loff[p + 1] += a->loff[p];
	uint32_t *fill = pi_xcalloc(a->n + 1, sizeof(uint32_t));
	for (uint32_t l = 0; l < plan->n_links; l++)
		a->lidx[a->loff[plan->links[l].pod] + fill[plan->links[l].pod]++] = l;
	free(fill);
}

static void reqs_of(struct actx *a, uint32_t p)
{
	pod_reqs(a->c, p, a->lidx + a->loff[p], a->loff[p + 1] - a->loff[p], &a->reqs);
}

/* The pin of pod p's block (v4, v6 or CGNAT pool), or NULL. */
static const struct pi_prefix *pin_of(const struct actx *a, uint32_t p, int which)
{
	const struct pl_ctx *c = a->c;
	if (!pl_pinned(c, p))
		return NULL;
	const struct pi_pin_pod *pp = &c->pins->pods[c->px[p].pin];
	return which == 4 ? &pp->v4 : which == 6 ? &pp->v6 : &pp->cgnat_pool;
}

/* Places aggs[0..n) (sorted) in pl: kept pods at their pinned block first,
 * the others keyed by name. Writes each pod's block with set(). */
static int place(struct actx *a, struct pl_placer *pl, uint32_t n, int which, struct pi_pos pos)
{
	struct pl_ctx *c = a->c;
	bool *done = pi_xcalloc(n + 1, sizeof(bool));
	for (uint32_t i = 0; i < n; i++) {
		uint32_t p = a->aggs[i].pod;
		const struct pi_prefix *pin = pin_of(a, p, which);
		if (pin && pi_prefix_is_set(pin) && pin->len == a->aggs[i].len && pl_placer_reserve(pl, pin)) {
			*(which == 4 ? &a->plan->pods[p].v4 : which == 6 ? &a->plan->pods[p].v6 : &c->px[p].cgnat) = *pin;
			done[i] = true;
		}
	}
	int rc = 0;
	for (uint32_t i = 0; i < n && !rc; i++) {
		uint32_t p = a->aggs[i].pod;
		struct pi_prefix *dst = which == 4 ? &a->plan->pods[p].v4 : which == 6 ? &a->plan->pods[p].v6 : &c->px[p].cgnat;
		if (done[i])
			continue;
		if (pl_placer_take(pl, a->aggs[i].len, c->px[p].key ^ (uint64_t)which, dst)) {
			char buf[PI_PREFIX_STRLEN];
			PL_ERR(c, pos, "give address_space a shorter prefix, or plan without the old plan's pins",
			       "no free /%u left in %s for pod '%s': the pods kept at their old addresses fragment it",
			       a->aggs[i].len, pi_prefix_fmt(&pl->space, buf), a->plan->pods[p].name);
			rc = -EINVAL;
		}
	}
	free(done);
	return rc;
}

/* 1. IPv4 aggregates: sizes, the size check, then their places. */
static int v4_aggregates(struct actx *a)
{
	struct pl_ctx *c = a->c;
	const struct pi_lab *lab = a->lab;
	uint32_t n = a->n;
	uint64_t total = 0;
	for (uint32_t p = 0; p < n; p++) {
		reqs_of(a, p);
		uint64_t sum = 0;
		for (size_t i = 0; i < a->reqs.len; i++)
			sum += size4(((struct req *)a->reqs.data)[i].len);
		unsigned len = pi_prefix_len_for(PI_AF_V4, sum ? sum : 1);
		if (len > 24)
			len = 24;
		a->aggs[p] = (struct agg){ len, p };
		total += size4(len);
	}
	if (a->anycast)
		total += 256;
	if (lab->v4.family != PI_AF_V4 || lab->v4.len > 24 || total > space4(&lab->v4)) {
		char buf[PI_PREFIX_STRLEN];
		PL_ERR(c, lab->v4_pos, "give address_space a shorter IPv4 prefix",
		       "address space %s is too small: the lab needs %u pods%s totalling /%u (%llu addresses) of IPv4, %llu available",
		       pi_prefix_fmt(&lab->v4, buf), n, a->anycast ? " and the anycast /24" : "",
		       pi_prefix_len_for(PI_AF_V4, total), (unsigned long long)total,
		       lab->v4.family == PI_AF_V4 ? (unsigned long long)space4(&lab->v4) : 0ull);
		return -EINVAL;
	}
	qsort(a->aggs, n, sizeof(*a->aggs), agg_cmp);
	struct pl_placer pl;
	pl_placer_init(&pl, &lab->v4, 24);
	if (a->anycast) {
		pl_placer_last(&pl, &a->plan->anycast4);
		pl_placer_reserve(&pl, &a->plan->anycast4);
	}
	int rc = place(a, &pl, n, 4, lab->v4_pos);
	pl_placer_free(&pl);
	return rc;
}

/* 2. IPv6 /48s, keyed by name; anycast the space's last. */
static int v6_blocks(struct actx *a)
{
	const struct pi_lab *lab = a->lab;
	uint32_t n = a->n;
	uint64_t n48 = (uint64_t)n + (a->anycast ? 1 : 0);
	if (lab->v6.family != PI_AF_V6 || lab->v6.len > 48 || pi_prefix_count(&lab->v6, 48) < n48) {
		char buf[PI_PREFIX_STRLEN];
		PL_ERR(a->c, lab->v6_pos, "give address_space a shorter IPv6 prefix (a /48 per pod)",
		       "address space %s is too small: the lab needs %llu /48s of IPv6 (%u pods%s), %llu available",
		       pi_prefix_fmt(&lab->v6, buf), (unsigned long long)n48, n, a->anycast ? " and anycast" : "",
		       lab->v6.family == PI_AF_V6 && lab->v6.len <= 48 ? (unsigned long long)pi_prefix_count(&lab->v6, 48)
									: 0ull);
		return -EINVAL;
	}
	struct pl_placer pl;
	pl_placer_init(&pl, &lab->v6, 48);
	if (a->anycast) {
		pl_placer_last(&pl, &a->plan->anycast6);
		pl_placer_reserve(&pl, &a->plan->anycast6);
	}
	for (uint32_t p = 0; p < n; p++)
		a->aggs[p] = (struct agg){ 48, p };
	int rc = place(a, &pl, n, 6, lab->v6_pos);
	pl_placer_free(&pl);
	return rc;
}

/* 3. CGNAT pools: sizes (into aggs[0..*n_cg)), the check that they fit
 * 100.64.0.0/10, then their places. */
static int cgnat_pools(struct actx *a)
{
	const struct pi_plan *plan = a->plan;
	struct pi_prefix shared;
	pi_prefix_parse("100.64.0.0/10", &shared);
	uint64_t cg_total = 0;
	uint32_t n_cg = 0;
	unsigned unit = 10;
	for (uint32_t p = 0; p < a->n; p++) {
		uint64_t sum = 0;
		for (uint32_t i = a->loff[p]; i < a->loff[p + 1]; i++) {
			const struct pl_link *x = pi_vec_at(&a->c->xlinks, a->lidx[i]);
			if (x->src == PL_SRC_LAN && plan->pods[p].bp->lans[x->lan].cgnat)
				sum += size4(plan->pods[p].bp->lans[x->lan].v4_len ? plan->pods[p].bp->lans[x->lan].v4_len : 24);
		}
		if (sum) {
			unsigned len = pi_prefix_len_for(PI_AF_V4, sum);
			a->aggs[n_cg++] = (struct agg){ len, p };
			cg_total += size4(len);
			unit = len > unit ? len : unit;
		}
	}
	if (cg_total > space4(&shared)) {
		PL_ERR(a->c, a->lab->v4_pos, "use fewer broadband pods or smaller CGNAT subscriber LANs",
		       "the lab's CGNAT subscriber LANs need %llu addresses of 100.64.0.0/10, 4194304 available",
		       (unsigned long long)cg_total);
		return -EINVAL;
	}
	qsort(a->aggs, n_cg, sizeof(*a->aggs), agg_cmp);
	struct pl_placer pl;
	pl_placer_init(&pl, &shared, unit);
	int rc = place(a, &pl, n_cg, 0, a->lab->v4_pos);
	pl_placer_free(&pl);
	return rc;
}

/* One pod's blocks while its links are numbered. */
struct pod_blocks {
	struct pi_prefix lo4, int4, ext4, lo6, int6, ext6;
	struct pi_alloc al6, cga;
	uint32_t k_int;
	struct pl_set64 ext_used; /* external slots taken (slot + 1) */
	uint32_t ext_next;        /* lowest slot that may be free */
};

/* The pod's IPv4 requests, largest first, out of its aggregate. */
static void carve_v4(struct actx *a, uint32_t p, struct pod_blocks *b)
{
	struct pi_plan_pod *pod = &a->plan->pods[p];
	reqs_of(a, p);
	struct pi_alloc al;
	pi_alloc_init(&al, &pod->v4);
	for (size_t i = 0; i < a->reqs.len; i++) {
		const struct req *q = &((struct req *)a->reqs.data)[i];
		struct pi_prefix got;
		if (pi_alloc_take(&al, q->len, &got))
			pi_fatal("plan: pod %s aggregate too small for its own requests", pod->name);
		switch (q->kind) {
		case RQ_LO: b->lo4 = got; break;
		case RQ_INT: b->int4 = got; break;
		case RQ_EXT: b->ext4 = got; break;
		case RQ_NAT44: pod->nat44_pool = got; break;
		case RQ_NAT64: pod->nat64_pool = got; break;
		case RQ_LAN: set_iface_addrs(a->plan, q->idx, &got, false, a->hosts); break;
		}
	}
}

/* A point-to-point link's /31 and /127: the k-th of the pod's blocks. */
static void number_p2p(struct pi_plan *plan, uint32_t l, const struct pi_prefix *b4, const struct pi_prefix *b6,
		       uint32_t k)
{
	struct pi_prefix net;
	pi_prefix_subnet(b4, 31, k, &net);
	set_iface_addrs(plan, l, &net, false, NULL);
	pi_prefix_subnet(b6, 127, k, &net);
	set_iface_addrs(plan, l, &net, true, NULL);
}

/* The slot a kept external link had in the owner's block, or PI_NONE when
 * it had none or it is no longer inside the block. */
static uint32_t pinned_slot(const struct pl_link *x, const struct pod_blocks *b)
{
	const struct pi_prefix *pin = pi_prefix_is_set(&x->pin4) ? &x->pin4 : &x->pin6;
	const struct pi_prefix *blk = pin == &x->pin4 ? &b->ext4 : &b->ext6;
	unsigned len = pin == &x->pin4 ? 31 : 127;
	if (!pi_prefix_is_set(pin) || pin->len != len || !pi_prefix_contains(blk, pin))
		return PI_NONE;
	uint64_t n = pi_prefix_count(blk, len);
	for (uint64_t k = 0; k < n && k < (1u << 20); k++) { /* blocks hold few links */
		struct pi_prefix s;
		pi_prefix_subnet(blk, len, k, &s);
		if (pi_prefix_equal(&s, pin))
			return (uint32_t)k;
	}
	return PI_NONE;
}

/* External links of the pod: kept ones at their old slot, then the others
 * at the lowest free slots, in link order. */
static void number_external(struct actx *a, uint32_t p, struct pod_blocks *b)
{
	uint32_t *slot = pi_xcalloc(a->loff[p + 1] - a->loff[p] + 1, sizeof(uint32_t));
	for (uint32_t i = a->loff[p]; i < a->loff[p + 1]; i++) {
		const struct pl_link *x = pi_vec_at(&a->c->xlinks, a->lidx[i]);
		uint32_t k = x->src == PL_SRC_EXTERNAL ? pinned_slot(x, b) : PI_NONE;
		if (k != PI_NONE && !pl_set64_add(&b->ext_used, (uint64_t)k + 1))
			k = PI_NONE;
		slot[i - a->loff[p]] = k;
	}
	for (uint32_t i = a->loff[p]; i < a->loff[p + 1]; i++) {
		const struct pl_link *x = pi_vec_at(&a->c->xlinks, a->lidx[i]);
		if (x->src != PL_SRC_EXTERNAL)
			continue;
		uint32_t k = slot[i - a->loff[p]];
		while (k == PI_NONE) {
			if (pl_set64_add(&b->ext_used, (uint64_t)b->ext_next + 1))
				k = b->ext_next;
			b->ext_next++;
		}
		number_p2p(a->plan, a->lidx[i], &b->ext4, &b->ext6, k);
	}
	free(slot);
}

static void number_link(struct actx *a, const struct pi_plan_pod *pod, uint32_t l, struct pod_blocks *b)
{
	struct pi_plan *plan = a->plan;
	const struct pl_link *x = pi_vec_at(&a->c->xlinks, l);
	struct pi_prefix net;
	switch (x->src) {
	case PL_SRC_INTERNAL:
		number_p2p(plan, l, &b->int4, &b->int6, b->k_int++);
		break;
	case PL_SRC_LAN:
	case PL_SRC_IXP: {
		const struct pi_bp_lan *bl = x->lan != PI_NONE ? &pod->bp->lans[x->lan] : NULL;
		if (bl && bl->cgnat) {
			if (pi_alloc_take(&b->cga, bl->v4_len ? bl->v4_len : 24, &net) == 0)
				set_iface_addrs(plan, l, &net, false, NULL);
		}
		/* v6_len 0 means the default /64: every LAN is dual-stack or IPv6-only. */
		unsigned l6 = bl && bl->v6_len ? bl->v6_len : 64;
		if (pi_alloc_take(&b->al6, l6, &net) == 0)
			set_iface_addrs(plan, l, &net, true, a->hosts);
		break;
	}
	case PL_SRC_EXTERNAL: /* number_external */
	case PL_SRC_FIXED:
		break;
	}
}

/* 4. Carve one pod: IPv4 requests, the /48's fixed /64s, loopbacks, links. */
static void carve_pod(struct actx *a, uint32_t p)
{
	struct pi_plan *plan = a->plan;
	struct pi_plan_pod *pod = &plan->pods[p];
	struct pod_blocks b = { 0 };
	pl_set64_init(&b.ext_used, 16);
	pod->cgnat_pool = a->c->px[p].cgnat;
	carve_v4(a, p, &b);
	/* IPv6 inside the /48. */
	pi_prefix_subnet(&pod->v6, 64, 0, &b.lo6);
	pi_prefix_subnet(&pod->v6, 64, 1, &b.int6);
	pi_prefix_subnet(&pod->v6, 64, 2, &b.ext6);
	pi_alloc_init(&b.al6, &pod->v6);
	struct pi_prefix skip;
	pi_alloc_take(&b.al6, 62, &skip); /* #0..#3: #3 stays spare */
	if (pi_prefix_is_set(&pod->cgnat_pool))
		pi_alloc_init(&b.cga, &pod->cgnat_pool);
	uint32_t k_lo = 0;
	for (uint32_t n_ = pod->first_node; n_ < pod->first_node + pod->n_nodes; n_++) {
		struct pi_plan_node *nd = &plan->nodes[n_];
		if (nd->services & PI_SVC_CLIENT)
			continue;
		k_lo++;
		pi_prefix_host(&b.lo4, k_lo, &nd->lo4);
		nd->lo4.len = 32;
		pi_prefix_host(&b.lo6, k_lo, &nd->lo6);
		nd->lo6.len = 128;
	}
	for (uint32_t i = a->loff[p]; i < a->loff[p + 1]; i++)
		number_link(a, pod, a->lidx[i], &b);
	if (pod->tier != PI_TIER_IXP)
		number_external(a, p, &b);
	pl_set64_free(&b.ext_used);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* Host numbers on IXP pod p's peering LAN: its own nodes 1, 2, ... in
 * order; members at a number keyed by (IXP, member) names, probing to the
 * next free one, or the one the pins gave them. The LAN's size depends
 * only on its member count, with headroom (ixp_lan_len). */
static void ixp_hosts(struct actx *a, uint32_t p)
{
	const struct pi_plan *plan = a->plan;
	uint32_t l = a->c->px[p].ixp_lan;
	if (l == PI_NONE)
		return;
	const struct pi_plan_link *lk = &plan->links[l];
	uint64_t cap = (uint64_t)1 << (32 - ixp_lan_len(lk->n_ifaces));
	uint32_t own = 0;
	struct pl_set64 used;
	pl_set64_init(&used, lk->n_ifaces * 2 + 4);
	for (uint32_t k = 0; k < lk->n_ifaces; k++)
		if (plan->nodes[plan->ifaces[lk->ifaces[k]].node].pod == p) {
			a->hosts[lk->ifaces[k]] = ++own;
			pl_set64_add(&used, own + 1);
		}
	uint64_t range = cap - 2 - own; /* hosts own+1 .. cap-2 */
	/* Members in pod order (lab order): a contested number goes to the
	 * pod earlier in the lab, so a pod added at the end moves nobody. */
	uint64_t *ord = pi_xcalloc(lk->n_ifaces + 1, sizeof(uint64_t)); /* node << 32 | iface */
	for (uint32_t k = 0; k < lk->n_ifaces; k++)
		ord[k] = (uint64_t)plan->ifaces[lk->ifaces[k]].node << 32 | lk->ifaces[k];
	qsort(ord, lk->n_ifaces, sizeof(uint64_t), cmp_u64);
	for (int pass = 0; pass < 2; pass++)
		for (uint32_t k = 0; k < lk->n_ifaces; k++) {
			uint32_t f = (uint32_t)ord[k];
			uint32_t m = plan->nodes[plan->ifaces[f].node].pod;
			uint32_t ph = a->pin_host[f];
			if (m == p || a->hosts[f] != PI_NONE)
				continue;
			if (pass == 0) { /* kept members first, at their old number if it is still free */
				if (ph != PI_NONE && ph > own && ph < cap - 1 && pl_set64_add(&used, (uint64_t)ph + 1))
					a->hosts[f] = ph;
				continue;
			}
			uint64_t h = pl_mix64(a->c->px[p].key ^ pl_mix64(a->c->px[m].key)) % range;
			while (!pl_set64_add(&used, own + 1 + h + 1))
				h = (h + 1) % range;
			a->hosts[f] = (uint32_t)(own + 1 + h);
		}
	pl_set64_free(&used);
	free(ord);
}

int pl_addresses(struct pl_ctx *c)
{
	struct actx a = { .c = c, .plan = c->plan, .lab = c->lab, .n = c->plan->n_pods };
	a.anycast = want_anycast(a.plan);
	a.reqs = (struct pi_vec)PI_VEC_INIT(struct req);
	a.aggs = pi_xcalloc(a.n + 1, sizeof(*a.aggs));
	a.hosts = pi_xcalloc(a.plan->n_ifaces + 1, sizeof(uint32_t));
	a.pin_host = pi_xcalloc(a.plan->n_ifaces + 1, sizeof(uint32_t));
	for (uint32_t f = 0; f < a.plan->n_ifaces; f++)
		a.hosts[f] = a.pin_host[f] = PI_NONE;
	for (size_t i = 0; i < c->xifaces.len; i++)
		a.pin_host[c->iface_map[i]] = ((struct pl_iface *)pi_vec_at(&c->xifaces, i))->pin_host;
	link_index(&a);

	/* Every size check runs, so one build reports each shortage. */
	int rc = v4_aggregates(&a);
	if (v6_blocks(&a))
		rc = -EINVAL;
	if (cgnat_pools(&a))
		rc = -EINVAL;
	if (rc)
		goto out;
	for (uint32_t p = 0; p < a.n; p++)
		if (a.plan->pods[p].tier == PI_TIER_IXP)
			ixp_hosts(&a, p);
	for (uint32_t p = 0; p < a.n; p++)
		carve_pod(&a, p);
out:
	pi_vec_free(&a.reqs);
	free(a.aggs);
	free(a.hosts);
	free(a.pin_host);
	free(a.loff);
	free(a.lidx);
	return rc;
}
