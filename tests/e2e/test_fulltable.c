/*
 * End-to-end: a full table (docs/testing-bgp.md, "Full tables") on
 * tests/data/tables/e2e-fulltable.yml: transit1 announces 100,000 IPv4 and
 * 20,000 IPv6 generated prefixes. The lab converges: every BGP router of
 * every pod comes to hold the whole table (its generated prefixes are
 * transit1's own, so they go everywhere), lg at a customer shows one of
 * them with transit1 as origin, and each router's BIRD memory is reported.
 * One lab bring-up for the suite. Needs root and a running Docker engine.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "e2e_common.h"

static int setup(void **state)
{
	(void)state;
	char file[4096];
	snprintf(file, sizeof(file), "%s/tests/data/tables/e2e-fulltable.yml", getenv("PI_SOURCE_DIR"));
	struct pi_diag diag;
	pi_diag_init(&diag);
	int rc = pi_backend_open(&backend, &pi_backend_docker, &diag);
	pi_diag_print(&diag, stderr);
	pi_diag_free(&diag);
	return rc || bring_up_opts(file, false) ? -1 : 0;
}

static int teardown(void **state)
{
	(void)state;
	e2e_close_lab();
	return 0;
}

static void test_converges(void **state)
{
	(void)state;
	uint32_t t1 = pi_plan_pod_by_name(plan, "transit1");
	assert_int_not_equal(t1, PI_NONE);
	const struct pi_plan_table *t = plan->pods[t1].table;
	assert_non_null(t);
	assert_int_equal(t->n4, 100000);
	assert_int_equal(t->n6, 20000);
	double t0 = pi_monotonic();
	/* Every BGP router: all of the table on top of the lab's own routes. */
	for (uint32_t n = 0; n < plan->n_nodes; n++) {
		if (!(plan->nodes[n].services & PI_SVC_ROUTER) || !(plan->nodes[n].services & PI_SVC_EBGP))
			continue;
		struct pi_router_stat st = { 0 };
		bool done = false;
		while (!done && pi_monotonic() - t0 < 600) {
			struct pi_diag d;
			pi_diag_init(&d);
			if (pi_apply_router_stat(&backend, plan, n, &st, &d) == 0)
				done = st.networks4 >= t->n4 && st.networks6 >= t->n6;
			pi_diag_free(&d);
			if (!done)
				sleep(2);
		}
		fprintf(stderr, "  %s: %llu IPv4 and %llu IPv6 networks after %.0f s; BIRD %.1f MB (+%.1f MB overhead)\n",
			plan->nodes[n].name, (unsigned long long)st.networks4, (unsigned long long)st.networks6,
			pi_monotonic() - t0, st.mem_effective / 1048576.0, st.mem_overhead / 1048576.0);
		if (!done)
			fail_msg("%s did not get the whole table within 10 minutes", plan->nodes[n].name);
		/* BIRD's cost per route stays in its usual range (a few hundred bytes per route and copy). */
		assert_true(st.mem_effective < (st.networks4 + st.networks6) * 4096ull);
	}
	/* lg at a customer of transit1: a generated prefix, originated by transit1. */
	uint32_t home1 = pi_plan_pod_by_name(plan, "home1"), b = PI_NONE;
	for (uint32_t n = plan->pods[home1].first_node; n < plan->pods[home1].first_node + plan->pods[home1].n_nodes; n++)
		if ((plan->nodes[n].services & PI_SVC_EBGP) && b == PI_NONE)
			b = n;
	char pfx[PI_PREFIX_STRLEN];
	pi_prefix_fmt(&t->routes[12345].net, pfx);
	struct pi_buf out;
	pi_buf_init(&out);
	assert_int_equal(run_bin(&out, (const char *[]){ "-c", lab_file, "lg", plan->nodes[b].name, pfx, NULL }), 0);
	assert_non_null(strstr(pi_buf_str(&out), pfx));
	assert_non_null(strstr(pi_buf_str(&out), "(transit1)"));
	pi_buf_free(&out);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = { cmocka_unit_test(test_converges) };
	return e2e_main(argc, argv, "fulltable", tests, 1, setup, teardown);
}
