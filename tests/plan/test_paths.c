/*
 * paths: every path between two ends (src/plan/paths.c). Router level on
 * small hand-made graphs whose path counts are known (a ring has two, the
 * complete graph K_n has sum_{k=0}^{n-2} (n-2)!/(n-2-k)!), a LAN as a
 * clique, hosts that do not forward; AS level on a hand-made set of pods;
 * and the invariants of every path on a generated lab.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "fab.h"
#include "pocketinternet/plan.h"

#define R (PI_SVC_ROUTER)
#define H (PI_SVC_CLIENT)

/* A plan built by hand: only what the path code reads. */
struct hand {
	struct pi_plan p;
	struct pi_plan_node nodes[16];
	struct pi_plan_iface ifaces[96];
	struct pi_plan_link links[48];
	uint32_t link_ifaces[48][8];
	struct pi_plan_pod pods[8];
	struct pi_plan_rel rels[16];
	char names[16][8];
};

static struct hand *hand_new(unsigned n, const unsigned *services)
{
	struct hand *h = calloc(1, sizeof(*h));
	h->p.nodes = h->nodes;
	h->p.ifaces = h->ifaces;
	h->p.links = h->links;
	h->p.pods = h->pods;
	h->p.rels = h->rels;
	h->p.n_nodes = n;
	for (unsigned i = 0; i < n; i++) {
		snprintf(h->names[i], sizeof(h->names[i]), "n%u", i);
		h->nodes[i].name = h->names[i];
		h->nodes[i].services = services ? services[i] : R;
	}
	return h;
}

/* A link among nodes (p2p for two, else a LAN); every end numbered 10.<link>.0.<k>. */
static void hand_link(struct hand *h, const uint32_t *nodes, unsigned n)
{
	uint32_t l = h->p.n_links++;
	struct pi_plan_link *k = &h->links[l];
	k->kind = n == 2 ? PI_LINK_P2P : PI_LINK_LAN;
	k->ifaces = h->link_ifaces[l];
	for (unsigned i = 0; i < n; i++) {
		uint32_t f = h->p.n_ifaces++;
		h->ifaces[f].node = nodes[i];
		h->ifaces[f].link = l;
		char a[32];
		snprintf(a, sizeof(a), "10.%u.0.%u/24", l, i + 1);
		assert_int_equal(pi_prefix_parse(a, &h->ifaces[f].v4), 0);
		k->ifaces[k->n_ifaces++] = f;
	}
}

static void p2p(struct hand *h, uint32_t a, uint32_t b)
{
	hand_link(h, (uint32_t[]){ a, b }, 2);
}

static struct pi_plan_paths router_paths(struct hand *h, uint32_t s, uint32_t d, size_t max, uint64_t limit)
{
	struct pi_plan_paths out;
	pi_plan_paths_init(&out, false);
	assert_int_equal(pi_plan_router_paths(&h->p, s, d, max, limit, &out), 0);
	return out;
}

static const struct pi_plan_hop *hops_of(const struct pi_plan_paths *ps, size_t i, uint32_t *n)
{
	const struct pi_plan_path *p = pi_vec_at(&ps->paths, i);
	*n = p->n;
	return pi_vec_at(&ps->hops, p->first);
}

/* Path i is exactly these nodes. */
static void assert_nodes(const struct pi_plan_paths *ps, size_t i, const uint32_t *want, uint32_t nwant)
{
	uint32_t n;
	const struct pi_plan_hop *h = hops_of(ps, i, &n);
	assert_int_equal(n, nwant);
	for (uint32_t k = 0; k < n; k++)
		assert_int_equal(h[k].node, want[k]);
}

static void test_ring(void **state)
{
	(void)state;
	struct hand *h = hand_new(5, NULL);
	for (uint32_t i = 0; i < 5; i++)
		p2p(h, i, (i + 1) % 5);
	struct pi_plan_paths ps = router_paths(h, 0, 2, 20, 0);
	assert_int_equal(ps.total, 2);
	assert_false(ps.capped);
	assert_int_equal(ps.paths.len, 2);
	assert_nodes(&ps, 0, (uint32_t[]){ 0, 1, 2 }, 3); /* shortest first */
	assert_nodes(&ps, 1, (uint32_t[]){ 0, 4, 3, 2 }, 4);
	/* The interfaces: each hop leaves on the link the next arrives on. */
	uint32_t n;
	const struct pi_plan_hop *hp = hops_of(&ps, 0, &n);
	assert_int_equal(hp[0].in_iface, PI_NONE);
	assert_int_equal(hp[2].out_iface, PI_NONE);
	for (uint32_t k = 0; k + 1 < n; k++) {
		assert_int_equal(h->ifaces[hp[k].out_iface].node, hp[k].node);
		assert_int_equal(h->ifaces[hp[k + 1].in_iface].node, hp[k + 1].node);
		assert_int_equal(h->ifaces[hp[k].out_iface].link, h->ifaces[hp[k + 1].in_iface].link);
	}
	pi_plan_paths_free(&ps);
	/* A host in the ring does not forward: one way left. */
	h->nodes[3].services = H;
	ps = router_paths(h, 0, 2, 20, 0);
	assert_int_equal(ps.total, 1);
	assert_nodes(&ps, 0, (uint32_t[]){ 0, 1, 2 }, 3);
	pi_plan_paths_free(&ps);
	/* ... but it can be an end. */
	ps = router_paths(h, 3, 0, 20, 0);
	assert_int_equal(ps.total, 2);
	pi_plan_paths_free(&ps);
	/* src == dst: the one path of one node. */
	ps = router_paths(h, 1, 1, 20, 0);
	assert_int_equal(ps.total, 1);
	assert_nodes(&ps, 0, (uint32_t[]){ 1 }, 1);
	pi_plan_paths_free(&ps);
	assert_int_equal(pi_plan_router_paths(&h->p, 0, 99, 5, 0, &ps), -EINVAL);
	free(h);
}

/* sum_{k=0}^{n-2} (n-2)!/(n-2-k)! simple paths between two vertices of K_n. */
static uint64_t kn_paths(unsigned n)
{
	uint64_t sum = 0, term = 1;
	for (unsigned k = 0; k <= n - 2; k++) {
		sum += term;
		term *= n - 2 - k;
	}
	return sum;
}

static void test_clique(void **state)
{
	(void)state;
	assert_int_equal(kn_paths(5), 16);
	assert_int_equal(kn_paths(6), 65);
	for (unsigned n = 3; n <= 7; n++) {
		struct hand *h = hand_new(n, NULL);
		for (uint32_t a = 0; a < n; a++)
			for (uint32_t b = a + 1; b < n; b++)
				p2p(h, a, b);
		struct pi_plan_paths ps = router_paths(h, 0, n - 1, 3, 0);
		assert_int_equal(ps.total, kn_paths(n));
		assert_int_equal(ps.paths.len, n == 3 ? 2 : 3); /* K_3 has only two */
		uint32_t len;
		hops_of(&ps, 0, &len);
		assert_int_equal(len, 2); /* the direct link first */
		hops_of(&ps, 1, &len);
		assert_int_equal(len, 3);
		pi_plan_paths_free(&ps);
		/* A limit stops the count and says so. */
		ps = router_paths(h, 0, n - 1, 3, 4);
		assert_int_equal(ps.total, n == 3 ? 2 : 4);
		assert_int_equal(ps.capped, n > 3);
		pi_plan_paths_free(&ps);
		free(h);
	}
}

/* One LAN of five routers is K_5; two parallel links double the direct way. */
static void test_lan_clique(void **state)
{
	(void)state;
	struct hand *h = hand_new(5, NULL);
	hand_link(h, (uint32_t[]){ 0, 1, 2, 3, 4 }, 5);
	struct pi_plan_paths ps = router_paths(h, 0, 4, 100, 0);
	assert_int_equal(ps.total, 16);
	assert_int_equal(ps.paths.len, 16);
	pi_plan_paths_free(&ps);
	p2p(h, 0, 4);
	ps = router_paths(h, 0, 4, 100, 0);
	assert_int_equal(ps.total, 17);
	pi_plan_paths_free(&ps);
	/* Hosts on the LAN (1..3) pass nothing on: only the two direct ways. */
	h->nodes[1].services = h->nodes[2].services = h->nodes[3].services = H;
	ps = router_paths(h, 0, 4, 100, 0);
	assert_int_equal(ps.total, 2);
	pi_plan_paths_free(&ps);
	free(h);
}

/* Pods: t1 and t2 peer; t1 sells a and c transit, t2 sells b and c; a and b meet at IXP x. */
enum { T1, T2, X, A, B, C, NPODS };
static struct hand *as_hand(void)
{
	struct hand *h = hand_new(0, NULL);
	static const char *const names[NPODS] = { "t1", "t2", "x", "a", "b", "c" };
	h->p.n_pods = NPODS;
	for (uint32_t i = 0; i < NPODS; i++) {
		h->pods[i].name = names[i];
		h->pods[i].asn = 64500 + i;
		h->pods[i].tier = i == X ? PI_TIER_IXP : i <= T2 ? PI_TIER_TRANSIT : PI_TIER_STUB;
	}
	static const struct pi_plan_rel rels[] = {
		{ .a = T1, .b = T2, .rel = PI_REL_PEER },     { .a = T1, .b = A, .rel = PI_REL_CUSTOMER },
		{ .a = T2, .b = B, .rel = PI_REL_CUSTOMER }, { .a = T1, .b = C, .rel = PI_REL_CUSTOMER },
		{ .a = T2, .b = C, .rel = PI_REL_CUSTOMER }, { .a = A, .b = X, .rel = PI_REL_RS },
		{ .a = B, .b = X, .rel = PI_REL_RS },
	};
	memcpy(h->rels, rels, sizeof(rels));
	h->p.n_rels = PI_ARRAY_LEN(rels);
	return h;
}

static void test_as_paths(void **state)
{
	(void)state;
	struct hand *h = as_hand();
	struct pi_plan_paths ps;
	pi_plan_paths_init(&ps, true);
	assert_int_equal(pi_plan_as_paths(&h->p, A, B, 10, 0, &ps), 0);
	assert_int_equal(ps.total, 3);
	assert_int_equal(ps.allowed, 2);
	assert_int_equal(ps.paths.len, 3);
	static const uint32_t want[3][5] = { { A, B }, { A, T1, T2, B }, { A, T1, C, T2, B } };
	static const uint32_t wlen[3] = { 2, 4, 5 };
	for (size_t i = 0; i < 3; i++) {
		const struct pi_plan_path *p = pi_vec_at(&ps.paths, i);
		assert_int_equal(p->n, wlen[i]);
		assert_int_equal(p->valley_free, i < 2); /* through c is a valley: c would transit for free */
		for (uint32_t k = 0; k < p->n; k++)
			assert_int_equal(*(uint32_t *)pi_vec_at(&ps.hops, p->first + k), want[i][k]);
	}
	pi_plan_paths_free(&ps);
	/* Kept: allowed ones first, even when longer. */
	pi_plan_paths_init(&ps, true);
	assert_int_equal(pi_plan_as_paths(&h->p, C, A, 1, 0, &ps), 0);
	assert_int_equal(ps.paths.len, 1);
	assert_true(((struct pi_plan_path *)pi_vec_at(&ps.paths, 0))->valley_free);
	pi_plan_paths_free(&ps);
	pi_plan_paths_init(&ps, true);
	assert_int_equal(pi_plan_as_paths(&h->p, A, X, 1, 0, &ps), -EINVAL); /* an IXP is no end */
	pi_plan_paths_free(&ps);
	free(h);
}

static void test_pod_rel_and_why(void **state)
{
	(void)state;
	struct hand *h = as_hand();
	enum pi_rel r;
	assert_true(pi_plan_pod_rel(&h->p, A, T1, &r));
	assert_int_equal(r, PI_REL_PROVIDER);
	assert_true(pi_plan_pod_rel(&h->p, T1, A, &r));
	assert_int_equal(r, PI_REL_CUSTOMER);
	assert_true(pi_plan_pod_rel(&h->p, A, B, &r)); /* fellow IXP members */
	assert_int_equal(r, PI_REL_PEER);
	assert_true(pi_plan_pod_rel(&h->p, T2, T1, &r));
	assert_int_equal(r, PI_REL_PEER);
	assert_false(pi_plan_pod_rel(&h->p, A, C, &r));
	char why[256];
	const uint32_t direct[] = { A, B }, up[] = { A, T1, T2, B }, via_c[] = { T1, C, T2 }, via_peer[] = { T1, T2 };
	pi_plan_as_path_why(&h->p, direct, 2, up, 4, why, sizeof(why));
	assert_string_equal(why, "at a (AS 64503) local preference 100 (peer b) beats 50 (provider t1)");
	pi_plan_as_path_why(&h->p, up, 4, direct, 2, why, sizeof(why));
	assert_string_equal(why, "at a (AS 64503) local preference 50 (provider t1) is below 100 (peer b): "
				 "b did not offer it the route");
	pi_plan_as_path_why(&h->p, via_c, 3, via_peer, 2, why, sizeof(why));
	assert_string_equal(why, "at t1 (AS 64500) local preference 200 (customer c) beats 100 (peer t2)");
	pi_plan_as_path_why(&h->p, up, 4, up, 4, why, sizeof(why));
	assert_string_equal(why, "");
	free(h);
}

/* On a generated lab: every path is simple, joined by links, through forwarding nodes. */
static void test_generated_lab(void **state)
{
	(void)state;
	struct pi_lab *lab = fab_lab("paths", 1, 3, 2, 4, 3);
	struct pi_diag d;
	pi_diag_init(&d);
	struct pi_plan *p = NULL;
	assert_int_equal(pi_plan_build(lab, &p, &d), 0);
	pi_diag_free(&d);
	uint32_t subs[2] = { PI_NONE, PI_NONE };
	for (uint32_t i = 0, k = 0; i < p->n_nodes && k < 2; i++)
		if ((p->nodes[i].services & PI_SVC_CLIENT) && pi_prefix_is_set(&p->nodes[i].gw4) &&
		    (k == 0 || p->nodes[i].pod != p->nodes[subs[0]].pod))
			subs[k++] = i;
	assert_int_not_equal(subs[1], PI_NONE);
	for (int k = 0; k < 2; k++) {
		uint32_t gw = pi_plan_gateway(p, subs[k]), border = pi_plan_pod_border(p, subs[k]);
		assert_int_not_equal(gw, PI_NONE);
		assert_true(pi_plan_node_forwards(p, gw));
		assert_int_equal(p->nodes[gw].pod, p->nodes[subs[k]].pod);
		assert_true(p->nodes[border].services & PI_SVC_EBGP);
		assert_int_equal(p->nodes[border].pod, p->nodes[subs[k]].pod);
	}
	for (uint32_t f = 0; f < p->n_ifaces; f++) {
		uint32_t iface;
		if (pi_prefix_is_set(&p->ifaces[f].v4) && !p->ifaces[f].dhcp4) {
			assert_int_equal(pi_plan_node_by_addr(p, &p->ifaces[f].v4, &iface), p->ifaces[f].node);
			assert_int_equal(iface, f);
		}
	}
	uint32_t iface = 0;
	assert_int_equal(pi_plan_node_by_addr(p, &p->nodes[0].lo4, &iface), 0);
	assert_int_equal(iface, PI_NONE);
	struct pi_plan_paths ps;
	pi_plan_paths_init(&ps, false);
	assert_int_equal(pi_plan_router_paths(p, subs[0], subs[1], 50, 0, &ps), 0);
	assert_true(ps.total >= ps.paths.len && ps.paths.len > 0);
	bool *seen = calloc(p->n_nodes, sizeof(bool));
	for (size_t i = 0; i < ps.paths.len; i++) {
		uint32_t n;
		const struct pi_plan_hop *hp = hops_of(&ps, i, &n);
		memset(seen, 0, p->n_nodes * sizeof(bool));
		assert_int_equal(hp[0].node, subs[0]);
		assert_int_equal(hp[n - 1].node, subs[1]);
		for (uint32_t k = 0; k < n; k++) {
			assert_false(seen[hp[k].node]);
			seen[hp[k].node] = true;
			if (k > 0 && k + 1 < n)
				assert_true(pi_plan_node_forwards(p, hp[k].node));
			if (k + 1 < n)
				assert_int_equal(p->ifaces[hp[k].out_iface].link, p->ifaces[hp[k + 1].in_iface].link);
		}
	}
	free(seen);
	pi_plan_paths_free(&ps);
	/* AS level between the two pods: at least one allowed path, and every kept allowed one is valley-free. */
	pi_plan_paths_init(&ps, true);
	assert_int_equal(pi_plan_as_paths(p, p->nodes[subs[0]].pod, p->nodes[subs[1]].pod, 50, 0, &ps), 0);
	assert_true(ps.allowed >= 1);
	for (size_t i = 0; i < ps.paths.len; i++) {
		const struct pi_plan_path *pp = pi_vec_at(&ps.paths, i);
		uint32_t asns[64];
		for (uint32_t k = 0; k < pp->n; k++)
			asns[k] = p->pods[*(uint32_t *)pi_vec_at(&ps.hops, pp->first + k)].asn;
		assert_int_equal(pp->valley_free, pi_plan_path_valley_free(p, asns, pp->n, NULL, 0));
	}
	pi_plan_paths_free(&ps);
	pi_plan_free(p);
	fab_free(lab);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ring),	  cmocka_unit_test(test_clique),
		cmocka_unit_test(test_lan_clique),	  cmocka_unit_test(test_as_paths),
		cmocka_unit_test(test_pod_rel_and_why), cmocka_unit_test(test_generated_lab),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
