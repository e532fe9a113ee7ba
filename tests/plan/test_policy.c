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
 * c from t3; a and c meet at IXP x. */
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
	assert_false(vf(p, why, sizeof(why), "b", "c", NULL));
	assert_string_equal(why, "c (AS 65003) and b (AS 65002) have no relationship in this lab");
	assert_false(pi_plan_path_valley_free(p, ext, 2, NULL, 0)); /* why is optional */
	pi_plan_free(p);
	fab_free(lab);
}

/* The default lab, by relationships: the leak of the docs. */
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
	/* content3 -> transit1 -> (peer) transit3 -> broadband4: up, peer, down. */
	assert_true(vf(p, why, sizeof(why), "broadband4", "transit3", "transit1", "content3", NULL));
	/* broadband1 leaks transit1's routes to transit3 and on to its customers. */
	assert_false(vf(p, why, sizeof(why), "transit3", "broadband1", "transit1", NULL));
	assert_non_null(strstr(why, "valley at broadband1"));
	assert_false(vf(p, why, sizeof(why), "broadband4", "transit3", "broadband1", "transit1", "content3", NULL));
	/* Members of ixp1 reach each other through its route server. */
	assert_true(vf(p, why, sizeof(why), "broadband2", "content3", NULL));
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
