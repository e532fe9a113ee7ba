/*
 * addr: the address plan (docs/addressing.md).
 *
 * IPv4: each pod gets one aggregate sized to what it needs (loopback block,
 * LANs, NAT pools, a /31 block for internal links and one for the external
 * links it numbers, its IXP LAN), rounded up to a power of two and never
 * longer than /24 so reverse zones split on octet boundaries. Aggregates
 * (and the anycast /24) are carved from the lab's space largest first,
 * which with an aligned bump allocator wastes nothing: the plan fits iff
 * the sum fits. Inside a pod the same rule carves the aggregate.
 *
 * IPv6: a /48 per pod (and one for anycast), in pod order. Inside it:
 * /64 #0 loopbacks, #1 internal /127s, #2 external /127s, then the LANs.
 *
 * CGNAT: subscriber LANs marked cgnat take their IPv4 from a per-pod pool
 * carved from 100.64.0.0/10, unique across the lab.
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
			unsigned len = pi_prefix_len_for(PI_AF_V4, (uint64_t)lk->n_ifaces + 2);
			if (len > 29)
				len = 29;
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
	if (px->n_ext_owned) {
		q = pi_vec_push(out);
		*q = (struct req){ pi_prefix_len_for(PI_AF_V4, (uint64_t)px->n_ext_owned * 2), seq++, RQ_EXT, 0 };
	}
	qsort(out->data, out->len, sizeof(struct req), req_cmp);
}

static void set_iface_addrs(struct pi_plan *plan, uint32_t l, const struct pi_prefix *net, bool v6)
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
		pi_prefix_host(net, lk->kind == PI_LINK_P2P ? k : k + 1, a);
	}
}

struct agg {
	unsigned len;
	uint32_t pod; /* n_pods = anycast */
};

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
	struct agg *aggs;    /* n + 1: IPv4 aggregates, then CGNAT pools */
	struct pi_vec reqs;  /* struct req, one pod's at a time */
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

/* 1. IPv4 aggregates, carved from the lab's space largest first. */
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
	uint32_t n_aggs = n;
	if (a->anycast) {
		a->aggs[n_aggs++] = (struct agg){ 24, n };
		total += 256;
	}
	if (lab->v4.family != PI_AF_V4 || total > space4(&lab->v4)) {
		char buf[PI_PREFIX_STRLEN];
		PL_ERR(c, lab->v4_pos, "give address_space a shorter IPv4 prefix",
		       "address space %s is too small: the lab needs %u pods%s totalling /%u (%llu addresses) of IPv4, %llu available",
		       pi_prefix_fmt(&lab->v4, buf), n, a->anycast ? " and the anycast /24" : "",
		       pi_prefix_len_for(PI_AF_V4, total), (unsigned long long)total,
		       lab->v4.family == PI_AF_V4 ? (unsigned long long)space4(&lab->v4) : 0ull);
		return -EINVAL;
	}
	qsort(a->aggs, n_aggs, sizeof(*a->aggs), agg_cmp);
	struct pi_alloc al;
	pi_alloc_init(&al, &lab->v4);
	for (uint32_t i = 0; i < n_aggs; i++) {
		struct pi_prefix *dst = a->aggs[i].pod == n ? &a->plan->anycast4 : &a->plan->pods[a->aggs[i].pod].v4;
		if (pi_alloc_take(&al, a->aggs[i].len, dst))
			pi_fatal("plan: IPv4 aggregate allocation failed after the size check");
	}
	return 0;
}

/* 2. IPv6 /48s, in pod order, anycast last. */
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
	for (uint32_t p = 0; p < n; p++)
		pi_prefix_subnet(&lab->v6, 48, p, &a->plan->pods[p].v6);
	if (a->anycast)
		pi_prefix_subnet(&lab->v6, 48, n, &a->plan->anycast6);
	return 0;
}

/* 3. CGNAT pool sizes (into aggs[0..*n_cg)); checks they fit 100.64.0.0/10. */
static int cgnat_sizes(struct actx *a, const struct pi_prefix *shared, uint32_t *n_cg)
{
	const struct pi_plan *plan = a->plan;
	uint64_t cg_total = 0;
	*n_cg = 0;
	for (uint32_t p = 0; p < a->n; p++) {
		uint64_t sum = 0;
		for (uint32_t i = a->loff[p]; i < a->loff[p + 1]; i++) {
			const struct pl_link *x = pi_vec_at(&a->c->xlinks, a->lidx[i]);
			if (x->src == PL_SRC_LAN && plan->pods[p].bp->lans[x->lan].cgnat)
				sum += size4(plan->pods[p].bp->lans[x->lan].v4_len ? plan->pods[p].bp->lans[x->lan].v4_len : 24);
		}
		if (sum) {
			a->aggs[(*n_cg)++] = (struct agg){ pi_prefix_len_for(PI_AF_V4, sum), p };
			cg_total += size4(pi_prefix_len_for(PI_AF_V4, sum));
		}
	}
	if (cg_total > space4(shared)) {
		PL_ERR(a->c, a->lab->v4_pos, "use fewer broadband pods or smaller CGNAT subscriber LANs",
		       "the lab's CGNAT subscriber LANs need %llu addresses of 100.64.0.0/10, 4194304 available",
		       (unsigned long long)cg_total);
		return -EINVAL;
	}
	return 0;
}

/* One pod's blocks while its links are numbered. */
struct pod_blocks {
	struct pi_prefix lo4, int4, ext4, lo6, int6, ext6;
	struct pi_alloc al6, cga;
	uint32_t k_int, k_ext;
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
		case RQ_LAN: set_iface_addrs(a->plan, q->idx, &got, false); break;
		}
	}
}

/* A point-to-point link's /31 and /127: the k-th of the pod's blocks. */
static void number_p2p(struct pi_plan *plan, uint32_t l, const struct pi_prefix *b4, const struct pi_prefix *b6,
		       uint32_t *k)
{
	struct pi_prefix net;
	pi_prefix_subnet(b4, 31, *k, &net);
	set_iface_addrs(plan, l, &net, false);
	pi_prefix_subnet(b6, 127, (*k)++, &net);
	set_iface_addrs(plan, l, &net, true);
}

static void number_link(struct actx *a, const struct pi_plan_pod *pod, uint32_t l, struct pod_blocks *b)
{
	struct pi_plan *plan = a->plan;
	const struct pl_link *x = pi_vec_at(&a->c->xlinks, l);
	struct pi_prefix net;
	switch (x->src) {
	case PL_SRC_INTERNAL:
		number_p2p(plan, l, &b->int4, &b->int6, &b->k_int);
		break;
	case PL_SRC_EXTERNAL:
		number_p2p(plan, l, &b->ext4, &b->ext6, &b->k_ext);
		break;
	case PL_SRC_LAN:
	case PL_SRC_IXP: {
		const struct pi_bp_lan *bl = x->lan != PI_NONE ? &pod->bp->lans[x->lan] : NULL;
		if (bl && bl->cgnat) {
			if (pi_alloc_take(&b->cga, bl->v4_len ? bl->v4_len : 24, &net) == 0)
				set_iface_addrs(plan, l, &net, false);
		}
		/* v6_len 0 means the default /64: every LAN is dual-stack or IPv6-only. */
		unsigned l6 = bl && bl->v6_len ? bl->v6_len : 64;
		if (pi_alloc_take(&b->al6, l6, &net) == 0)
			set_iface_addrs(plan, l, &net, true);
		break;
	}
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
}

int pl_addresses(struct pl_ctx *c)
{
	struct actx a = { .c = c, .plan = c->plan, .lab = c->lab, .n = c->plan->n_pods };
	a.anycast = want_anycast(a.plan);
	a.reqs = (struct pi_vec)PI_VEC_INIT(struct req);
	a.aggs = pi_xcalloc(a.n + 1, sizeof(*a.aggs));
	link_index(&a);

	/* Every size check runs, so one build reports each shortage. */
	int rc = v4_aggregates(&a);
	if (v6_blocks(&a))
		rc = -EINVAL;
	struct pi_prefix shared;
	pi_prefix_parse("100.64.0.0/10", &shared);
	uint32_t n_cg;
	if (cgnat_sizes(&a, &shared, &n_cg))
		rc = -EINVAL;
	if (rc)
		goto out;
	qsort(a.aggs, n_cg, sizeof(*a.aggs), agg_cmp);
	struct pi_alloc cg;
	pi_alloc_init(&cg, &shared);
	for (uint32_t i = 0; i < n_cg; i++)
		pi_alloc_take(&cg, a.aggs[i].len, &c->px[a.aggs[i].pod].cgnat);

	for (uint32_t p = 0; p < a.n; p++)
		carve_pod(&a, p);
out:
	pi_vec_free(&a.reqs);
	free(a.aggs);
	free(a.loff);
	free(a.lidx);
	return rc;
}
