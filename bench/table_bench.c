/*
 * pi-bench-table: injecting a full table (docs/performance.md, "Full
 * tables"; docs/testing-bgp.md). As root, Docker up; never run by the tests.
 *
 * A lab of two transit pods, --customers broadband customers of transit1
 * and a content customer of transit2 is set up without a table; then the
 * same lab with `announce: {count: V4, count6: V6}` on transit1 is applied
 * by pi_apply_reconcile (transit1's borders reconfigure; nothing restarts).
 * Reported: the reconcile, the time from its start until every customer
 * of transit1 holds the whole table (networks per table, over each
 * router's control socket), and the memory BIRD reports (`show memory`)
 * on transit1's borders and the customers' borders, per route.
 * Defaults: 1,000,000 IPv4 and 200,000 IPv6 routes, 3 customers; target
 * under 10 minutes on 2 cores.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "pocketinternet/apply.h"

static char *lab_text(unsigned customers, unsigned v4, unsigned v6)
{
	struct pi_buf b;
	pi_buf_init(&b);
	pi_buf_puts(&b, "name: benchtable\nseed: 11\n# Full tables: a router holds every route.\n"
			"limits: {memory: {router: 4G}}\npods:\n"
			"  - name: transit1\n    blueprint: transit\n    roles: {border: 1}\n");
	if (v4 || v6)
		pi_buf_printf(&b, "    announce: {count: %u, count6: %u, lengths: realistic}\n", v4, v6);
	pi_buf_puts(&b, "  - {name: transit2, blueprint: transit, roles: {border: 1}}\n"
			"  - {name: web1, blueprint: content}\n");
	for (unsigned i = 1; i <= customers; i++)
		pi_buf_printf(&b, "  - {name: home%u, blueprint: broadband}\n", i);
	pi_buf_puts(&b, "relationships:\n  - {provider: transit2, customer: web1}\n");
	for (unsigned i = 1; i <= customers; i++)
		pi_buf_printf(&b, "  - {provider: transit1, customer: home%u}\n", i);
	return pi_buf_steal(&b);
}

static struct pi_plan *plan_of(const char *text, const struct pi_plan_pins *pins, struct pi_lab **lab)
{
	struct pi_plan *plan = NULL;
	struct pi_diag d;
	pi_diag_init(&d);
	if (pi_lab_load_mem("benchtable", text, strlen(text), pi_default_blueprint_dir(), lab, &d) == 0)
		pi_plan_build_pinned(*lab, pins, &plan, &d);
	pi_diag_print(&d, stderr);
	pi_diag_free(&d);
	return plan;
}

/* The BGP routers that must hold the table: transit1's borders and its customers' borders. */
static size_t watched(const struct pi_plan *plan, uint32_t *out, size_t max)
{
	uint32_t t1 = pi_plan_pod_by_name(plan, "transit1");
	size_t n = 0;
	for (uint32_t i = 0; i < plan->n_nodes && n < max; i++) {
		uint32_t p = plan->nodes[i].pod;
		enum pi_rel r;
		bool customer = pi_plan_pod_rel(plan, t1, p, &r) && r == PI_REL_CUSTOMER;
		if ((plan->nodes[i].services & PI_SVC_EBGP) && (p == t1 || customer))
			out[n++] = i;
	}
	return n;
}

/* Waits until every watched router holds v4 + v6 networks; seconds since t0, or -1 after limit_s. */
static double wait_tables(struct pi_backend *b, const struct pi_plan *plan, const uint32_t *nodes, size_t n,
			  uint64_t v4, uint64_t v6, double t0, double limit_s)
{
	for (size_t i = 0; i < n; i++) {
		for (;;) {
			struct pi_router_stat st;
			struct pi_diag d;
			pi_diag_init(&d);
			bool ok = pi_apply_router_stat(b, plan, nodes[i], &st, &d) == 0 && st.networks4 >= v4 &&
				  st.networks6 >= v6;
			pi_diag_free(&d);
			if (ok)
				break;
			if (pi_monotonic() - t0 > limit_s)
				return -1;
			sleep(1);
		}
	}
	return pi_monotonic() - t0;
}

static void report_memory(struct pi_backend *b, const struct pi_plan *plan, const uint32_t *nodes, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct pi_router_stat st;
		struct pi_diag d;
		pi_diag_init(&d);
		if (pi_apply_router_stat(b, plan, nodes[i], &st, &d) == 0) {
			uint64_t routes = st.networks4 + st.networks6;
			printf("| memory | %s: %llu + %llu networks | BIRD %.0f MB (+%.0f MB overhead), %.0f bytes per network |\n",
			       plan->nodes[nodes[i]].name, (unsigned long long)st.networks4, (unsigned long long)st.networks6,
			       st.mem_effective / 1048576.0, st.mem_overhead / 1048576.0,
			       routes ? (double)st.mem_effective / (double)routes : 0.0);
		}
		pi_diag_print(&d, stderr);
		pi_diag_free(&d);
	}
}

int main(int argc, char **argv)
{
	unsigned v4 = 1000000, v6 = 200000, customers = 3;
	static const struct option opts[] = { { "v4", required_argument, NULL, '4' },
					      { "v6", required_argument, NULL, '6' },
					      { "customers", required_argument, NULL, 'c' },
					      { "help", no_argument, NULL, 'h' },
					      { NULL, 0, NULL, 0 } };
	for (int c; (c = getopt_long(argc, argv, "h", opts, NULL)) != -1;) {
		if (c == '4')
			v4 = (unsigned)atoi(optarg);
		else if (c == '6')
			v6 = (unsigned)atoi(optarg);
		else if (c == 'c')
			customers = (unsigned)atoi(optarg);
		else {
			printf("usage: pi-bench-table [--v4 N] [--v6 M] [--customers K]   (as root, Docker up)\n");
			return c == 'h' ? 0 : 2;
		}
	}
	struct pi_backend b;
	struct pi_diag d;
	pi_diag_init(&d);
	if (pi_backend_open(&b, &pi_backend_docker, &d)) {
		pi_diag_print(&d, stderr);
		return 1;
	}
	const char *name = "benchtable";
	struct pi_teardown_result tr;
	pi_apply_teardown(&b, name, NULL, 0, &tr, &d);
	char *plain = lab_text(customers, 0, 0), *full = lab_text(customers, v4, v6);
	struct pi_lab *lab = NULL, *lab2 = NULL;
	struct pi_plan *plan = plan_of(plain, NULL, &lab), *plan2 = NULL;
	struct pi_apply_opts o = { .parallel = 8, .build_image = true, .rollback = true };
	struct pi_apply_result res;
	if (!plan || pi_apply_setup(&b, plan, &o, &res, &d) || !res.converged) {
		pi_diag_print(&d, stderr);
		return 1;
	}
	printf("| what | how | result |\n|---|---|---|\n");
	printf("| setup without the table | %u nodes | %.1f s |\n", plan->n_nodes, res.total_s);
	struct pi_plan_pins *pins = NULL;
	pi_apply_load_pins(NULL, name, &pins, &d);
	double tp = pi_monotonic();
	plan2 = plan_of(full, pins, &lab2);
	double plan_s = pi_monotonic() - tp;
	uint32_t nodes[64];
	size_t n = plan2 ? watched(plan2, nodes, 64) : 0;
	double t0 = pi_monotonic();
	struct pi_apply_opts o2 = { .parallel = 8, .converge_timeout_s = 600 };
	int rc = plan2 ? pi_apply_reconcile(&b, pins, plan2, &o2, &res, &d) : -EINVAL;
	pi_diag_print(&d, stderr);
	if (rc == 0) {
		printf("| plan with the table | %u + %u prefixes generated | %.1f s |\n", v4, v6, plan_s);
		printf("| reconcile (inject) | %u reconfigured | %.1f s |\n", res.reconfigured, res.total_s);
		double s = wait_tables(&b, plan2, nodes, n, v4, v6, t0, 1800);
		if (s < 0)
			printf("| every customer holds the table | %zu routers | not within 30 minutes |\n", n);
		else
			printf("| every customer holds the table | %zu routers | %.1f s from the reconcile's start%s |\n", n, s,
			       s < 600 ? "" : " (over the 10-minute target)");
		report_memory(&b, plan2, nodes, n);
	}
	pi_apply_teardown(&b, name, NULL, 0, &tr, &d);
	pi_diag_print(&d, stderr);
	pi_diag_free(&d);
	pi_plan_pins_free(pins);
	pi_plan_free(plan);
	pi_plan_free(plan2);
	pi_lab_free(lab);
	pi_lab_free(lab2);
	free(plain);
	free(full);
	pi_backend_close(&b);
	return rc ? 1 : 0;
}
