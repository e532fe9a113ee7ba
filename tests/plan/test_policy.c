/* The valley-free check of AS paths against a plan's relationships
 * (src/plan/policy.c): small hand-made labs and the default lab. */
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

static struct pi_plan *plan_of(struct pi_lab *lab)
{
	struct pi_diag d;
	pi_diag_init(&d);
	struct pi_plan *plan = NULL;
	if (pi_plan_build(lab, &plan, &d)) {
		pi_diag_print(&d, stderr);
		fail_msg("plan failed");
	}
	pi_diag_free(&d);
	return plan;
}

static uint32_t as_of(const struct pi_plan *p, const char *pod)
{
	uint32_t i = pi_plan_pod_by_name(p, pod);
	assert_int_not_equal(i, PI_NONE);
	return p->pods[i].asn;
}

/* Checks the path of pod names (neighbour first, origin last). */
static bool vf(const struct pi_plan *p, char *why, size_t whylen, ...)
{
	uint32_t asns[16];
	size_t n = 0;
	va_list ap;
	va_start(ap, whylen);
	for (const char *s = va_arg(ap, const char *); s; s = va_arg(ap, const char *))
		asns[n++] = as_of(p, s);
	va_end(ap);
	return pi_plan_path_valley_free(p, asns, n, why, whylen);
}

/* t1, t2, t3 transit (a clique of peers); a buys from t1 and t2, b from t1,
 * c from t3; a and c meet at IXP x. The generator adds the rest: t1 and t3
 * anchor x (every IXP gets two transit pods), and b (no IXPs of its own in
 * the lab, its blueprint's ixps 0..1) joins x at random with seed 5. */
static struct pi_plan *small_plan(struct pi_lab **lab)
{
	*lab = fab_lab("vf", 5, 0, 0, 0, 0);
	fab_add_pod(*lab, "t1", "transit", 64500);
	fab_add_pod(*lab, "t2", "transit", 64501);
	fab_add_pod(*lab, "t3", "transit", 64502);
	fab_add_pod(*lab, "x", "ixp", 64600);
	fab_add_pod(*lab, "a", "broadband", 65001);
	fab_add_pod(*lab, "b", "broadband", 65002);
	fab_add_pod(*lab, "c", "content", 65003);
	fab_add_rel(*lab, PI_LAB_REL_PROVIDER, "t1", "a", 1);
	fab_add_rel(*lab, PI_LAB_REL_PROVIDER, "t2", "a", 2);
	fab_add_rel(*lab, PI_LAB_REL_PROVIDER, "t1", "b", 3);
	fab_add_rel(*lab, PI_LAB_REL_PROVIDER, "t3", "c", 4);
	fab_add_rel(*lab, PI_LAB_REL_IXP, "a", "x", 5);
	fab_add_rel(*lab, PI_LAB_REL_IXP, "c", "x", 6);
	return plan_of(*lab);
}

static void test_pod_by_asn(void **state)
{
	(void)state;
	struct pi_lab *lab;
	struct pi_plan *p = small_plan(&lab);
	assert_int_equal(pi_plan_pod_by_asn(p, 65002), pi_plan_pod_by_name(p, "b"));
	assert_int_equal(pi_plan_pod_by_asn(p, 64600), pi_plan_pod_by_name(p, "x"));
	assert_int_equal(pi_plan_pod_by_asn(p, 1), PI_NONE);
	pi_plan_free(p);
	fab_free(lab);
}

static void test_valley_free_paths(void **state)
{
	(void)state;
	struct pi_lab *lab;
	struct pi_plan *p = small_plan(&lab);
	char why[256] = "x";
	assert_true(pi_plan_path_valley_free(p, NULL, 0, why, sizeof(why))); /* own route */
	assert_string_equal(why, "");
	assert_true(vf(p, why, sizeof(why), "a", NULL));
	assert_true(vf(p, why, sizeof(why), "t1", "a", NULL));             /* up */
	assert_true(vf(p, why, sizeof(why), "t2", "t1", "a", NULL));       /* up, peer */
	assert_true(vf(p, why, sizeof(why), "b", "t1", "a", NULL));        /* up, down */
	assert_true(vf(p, why, sizeof(why), "c", "t3", "t1", "a", NULL));  /* up, peer, down */
	assert_true(vf(p, why, sizeof(why), "c", "a", NULL));              /* IXP: route server transparent */
	assert_true(vf(p, why, sizeof(why), "t3", "c", "a", NULL) == false);
	assert_true(vf(p, why, sizeof(why), "t1", "a", "a", "a", NULL));   /* prepending counts once */
	assert_true(vf(p, why, sizeof(why), "a", "t1", "t1", "b", NULL));
	pi_plan_free(p);
	fab_free(lab);
}

static void test_valleys(void **state)
{
	(void)state;
	struct pi_lab *lab;
	struct pi_plan *p = small_plan(&lab);
	char why[256];
	/* a leaks t1's route to its other provider t2. */
	assert_false(vf(p, why, sizeof(why), "t2", "a", "t1", NULL));
	assert_string_equal(why, "valley at a (AS 65001): it passed a route learned from its provider t1 (AS 64500) "
				 "to its provider t2 (AS 64501)");
	/* transit through a peer to a peer. */
	assert_false(vf(p, why, sizeof(why), "t2", "t1", "t3", NULL));
	assert_non_null(strstr(why, "valley at t1 (AS 64500): it passed a route learned from its peer t3"));
	assert_non_null(strstr(why, "to its peer t2"));
	/* an IXP peer's route to a provider. */
	assert_false(vf(p, why, sizeof(why), "t3", "c", "a", NULL));
	assert_non_null(strstr(why, "valley at c (AS 65003): it passed a route learned from its peer a"));
	/* down then up. */
	assert_false(vf(p, why, sizeof(why), "t2", "a", "t1", "b", NULL));
	assert_non_null(strstr(why, "valley at a"));
	pi_plan_free(p);
	fab_free(lab);
}

static void test_unjudgeable(void **state)
{
	(void)state;
	struct pi_lab *lab;
	struct pi_plan *p = small_plan(&lab);
	char why[256];
	uint32_t ext[] = { 64500, 4200000000u };
	assert_false(pi_plan_path_valley_free(p, ext, 2, why, sizeof(why)));
	assert_string_equal(why, "AS 4200000000 is not a pod of this lab (external): the path cannot be judged");
	uint32_t rs[] = { 65003, 64600, 65001 };
	assert_false(pi_plan_path_valley_free(p, rs, 3, why, sizeof(why)));
	assert_non_null(strstr(why, "IXP x"));
	/* b and c are both members of x (peers); t2 is not, nor does it sell b transit. */
	assert_true(vf(p, why, sizeof(why), "b", "c", NULL));
	assert_false(vf(p, why, sizeof(why), "t2", "b", NULL));
	assert_string_equal(why, "b (AS 65002) and t2 (AS 64501) have no relationship in this lab");
	assert_false(pi_plan_path_valley_free(p, ext, 2, NULL, 0)); /* why is optional */
	pi_plan_free(p);
	fab_free(lab);
}

/* Has the plan relationship (a, b, rel)? (what b is to a) */
static bool has_rel(const struct pi_plan *p, uint32_t a, uint32_t b, enum pi_rel rel)
{
	for (uint32_t i = 0; i < p->n_rels; i++)
		if (p->rels[i].a == a && p->rels[i].b == b && p->rels[i].rel == rel)
			return true;
	return false;
}

static bool peers(const struct pi_plan *p, uint32_t a, uint32_t b)
{
	return has_rel(p, a, b, PI_REL_PEER) || has_rel(p, b, a, PI_REL_PEER);
}

static bool is_stub(const struct pi_plan *p, uint32_t pod)
{
	return p->pods[pod].tier == PI_TIER_STUB;
}

static bool vf_pods(const struct pi_plan *p, char *why, size_t whylen, const uint32_t *pods, size_t n)
{
	uint32_t asns[8];
	for (size_t i = 0; i < n; i++)
		asns[i] = p->pods[pods[i]].asn;
	return pi_plan_path_valley_free(p, asns, n, why, whylen);
}

/* up, peer, down: a stub s, its provider q, q's peer r, r's customer t that
 * does not buy from q: t hears s as r -> q -> s. */
static void default_up_peer_down(const struct pi_plan *p)
{
	char why[256];
	unsigned found = 0;
	for (uint32_t s = 0; s < p->n_pods; s++)
		for (uint32_t q = 0; q < p->n_pods; q++)
			for (uint32_t r = 0; r < p->n_pods; r++)
				for (uint32_t t = 0; t < p->n_pods; t++) {
					if (!is_stub(p, s) || !is_stub(p, t) || s == t || !has_rel(p, q, s, PI_REL_CUSTOMER) ||
					    !peers(p, q, r) ||
					    !has_rel(p, r, t, PI_REL_CUSTOMER) || has_rel(p, q, t, PI_REL_CUSTOMER))
						continue;
					uint32_t path[] = { t, r, q, s };
					if (!vf_pods(p, why, sizeof(why), path, 4))
						fail_msg("%s %s %s %s: %s", p->pods[t].name, p->pods[r].name, p->pods[q].name,
							 p->pods[s].name, why);
					found++;
				}
	assert_true(found > 0);
}

/* Through a route server: every two members of one IXP are peers both ways;
 * a member stub that passes a fellow member's route to its provider makes a
 * valley. */
static void default_ixp(const struct pi_plan *p)
{
	char why[256];
	unsigned pairs = 0, valleys = 0;
	for (uint32_t i = 0; i < p->n_rels; i++)
		for (uint32_t k = 0; k < p->n_rels; k++) {
			const struct pi_plan_rel *a = &p->rels[i], *b = &p->rels[k];
			if (a->rel != PI_REL_RS || b->rel != PI_REL_RS || a->b != b->b || a->a == b->a)
				continue;
			uint32_t ab[] = { a->a, b->a };
			assert_true(vf_pods(p, why, sizeof(why), ab, 2));
			pairs++;
			for (uint32_t t = 0; t < p->n_pods; t++) {
				if (!is_stub(p, a->a) || !has_rel(p, t, a->a, PI_REL_CUSTOMER) || t == b->a)
					continue;
				uint32_t up[] = { t, a->a, b->a }; /* b -> a (peer) -> t (a's provider) */
				assert_false(vf_pods(p, why, sizeof(why), up, 3));
				char want[96];
				snprintf(want, sizeof(want), "valley at %s (AS %u)", p->pods[a->a].name, p->pods[a->a].asn);
				assert_non_null(strstr(why, want));
				assert_non_null(strstr(why, "learned from its peer"));
				valleys++;
			}
		}
	assert_true(pairs > 0);
	assert_true(valleys > 0);
}

/* Every stub m with two providers p1, p2 leaking p1's routes to p2 (and on
 * to p2's customers c, hearing p1's customers c1 that do not buy from p2):
 * provider to provider, a valley at m. */
static void default_leaks(const struct pi_plan *p)
{
	char why[256], want[256];
	unsigned leaks = 0, onward = 0;
	for (uint32_t m = 0; m < p->n_pods; m++)
		for (uint32_t p1 = 0; p1 < p->n_pods; p1++)
			for (uint32_t p2 = 0; p2 < p->n_pods; p2++) {
				if (!is_stub(p, m) || p1 == p2 || !has_rel(p, p1, m, PI_REL_CUSTOMER) ||
				    !has_rel(p, p2, m, PI_REL_CUSTOMER))
					continue;
				uint32_t leak[] = { p2, m, p1 };
				assert_false(vf_pods(p, why, sizeof(why), leak, 3));
				snprintf(want, sizeof(want),
					 "valley at %s (AS %u): it passed a route learned from its provider %s (AS %u) "
					 "to its provider %s (AS %u)",
					 p->pods[m].name, p->pods[m].asn, p->pods[p1].name, p->pods[p1].asn,
					 p->pods[p2].name, p->pods[p2].asn);
				assert_string_equal(why, want);
				leaks++;
				for (uint32_t c = 0; c < p->n_pods; c++)
					for (uint32_t c1 = 0; c1 < p->n_pods; c1++) {
						if (c == m || c1 == m || c == c1 || !has_rel(p, p2, c, PI_REL_CUSTOMER) ||
						    !has_rel(p, p1, c1, PI_REL_CUSTOMER) || has_rel(p, p2, c1, PI_REL_CUSTOMER))
							continue;
						uint32_t on[] = { c, p2, m, p1, c1 };
						assert_false(vf_pods(p, why, sizeof(why), on, 5));
						snprintf(want, sizeof(want), "valley at %s ", p->pods[m].name);
						assert_non_null(strstr(why, want));
						uint32_t ok[] = { c, p2, p1, c1 }; /* without the leak: over the peering */
						assert_true(!peers(p, p1, p2) || vf_pods(p, why, sizeof(why), ok, 4));
						onward++;
					}
			}
	assert_true(leaks > 0);
	assert_true(onward > 0);
}

/* The default lab, by relationships (docs/routing-policy.md, "What a trainer
 * sees in the default lab"), not by names: the topology may change. */
static void test_default_lab(void **state)
{
	(void)state;
	char path[4096], bps[4096], why[256];
	const char *src = getenv("PI_SOURCE_DIR");
	assert_non_null(src);
	snprintf(path, sizeof(path), "%s/labs/lab.yml", src);
	snprintf(bps, sizeof(bps), "%s/blueprints", src);
	struct pi_diag d;
	pi_diag_init(&d);
	struct pi_lab *lab = NULL;
	assert_int_equal(pi_lab_load(path, bps, &lab, &d), 0);
	pi_diag_free(&d);
	struct pi_plan *p = plan_of(lab);
	/* Every relationship is a valley-free hop both ways. */
	for (uint32_t i = 0; i < p->n_rels; i++) {
		const struct pi_plan_rel *r = &p->rels[i];
		if (r->rel == PI_REL_RS)
			continue;
		uint32_t ab[] = { p->pods[r->a].asn, p->pods[r->b].asn }, ba[] = { ab[1], ab[0] };
		assert_true(pi_plan_path_valley_free(p, ab, 2, why, sizeof(why)));
		assert_true(pi_plan_path_valley_free(p, ba, 2, why, sizeof(why)));
	}
	default_up_peer_down(p);
	default_leaks(p);
	default_ixp(p);
	pi_plan_free(p);
	pi_lab_free(lab);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pod_by_asn),
		cmocka_unit_test(test_valley_free_paths),
		cmocka_unit_test(test_valleys),
		cmocka_unit_test(test_unjudgeable),
		cmocka_unit_test(test_default_lab),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
