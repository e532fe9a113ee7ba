/*
 * bench-plan: how long pi_plan_build takes for labs of 100 to 10,000 pods
 * (1% transit, 1% IXPs, the rest half broadband, half content), best of
 * three runs, plus the JSON dump. Labs are built in C (tests/plan/fab.c)
 * because the YAML loader caps pod counts. Figures: docs/performance.md.
 *
 * Usage: bench-plan [PODS...]
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "fab.h"
#include "pocketinternet/plan.h"

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int run(unsigned pods)
{
	unsigned t = pods / 100 < 2 ? 2 : pods / 100, x = pods / 100 < 1 ? 1 : pods / 100;
	unsigned rest = pods - t - x;
	struct pi_lab *lab = fab_lab("bench", 1, t, x, rest / 2, rest - rest / 2);
	double best = 1e9, json = 0;
	struct pi_plan *plan = NULL;
	for (int i = 0; i < 3; i++) {
		struct pi_diag d;
		pi_diag_init(&d);
		double t0 = now();
		int rc = pi_plan_build(lab, &plan, &d);
		double dt = now() - t0;
		if (rc) {
			pi_diag_print(&d, stderr);
			pi_diag_free(&d);
			fab_free(lab);
			return 1;
		}
		pi_diag_free(&d);
		if (dt < best)
			best = dt;
		if (i < 2)
			pi_plan_free(plan);
	}
	struct pi_buf b;
	pi_buf_init(&b);
	double t0 = now();
	pi_plan_write_json(plan, &b);
	json = now() - t0;
	printf("%6u pods %7u nodes %7u links %7u sessions %6u zones  plan %7.3f s  json %7.3f s (%zu MB)\n", pods,
	       plan->n_nodes, plan->n_links, plan->n_sessions, plan->n_zones, best, json, b.len >> 20);
	pi_buf_free(&b);
	pi_plan_free(plan);
	fab_free(lab);
	return 0;
}

int main(int argc, char **argv)
{
	static const unsigned dflt[] = { 100, 1000, 10000 };
	int rc = 0;
	if (argc > 1)
		for (int i = 1; i < argc; i++)
			rc |= run((unsigned)strtoul(argv[i], NULL, 10));
	else
		for (size_t i = 0; i < sizeof(dflt) / sizeof(dflt[0]); i++)
			rc |= run(dflt[i]);
	return rc;
}
