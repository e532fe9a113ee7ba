/*
 * End-to-end: route origin validation (docs/testing-bgp.md, "RPKI") on
 * labs/rpki.yml: four transit pods, ROV on transit1 and transit2 (half of
 * them), the cache (stayrtr) in transit1. transit4 hijacks content1's
 * prefixes (--more-specific: the halves, which would win by longest match).
 * The ROV ASes drop the hijack: their RIBs hold only content1's own routes,
 * and a traceroute from home1 (a customer of transit1 only) still ends in
 * content1. transit3 (no ROV) takes it: lg shows it `invalid`, and a
 * traceroute from home2 (its customer) ends at the hijacker. One lab
 * bring-up for the suite. Needs root and a running Docker engine.
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
#include <jansson.h>
#include "e2e_common.h"

static json_t *bin_json(const char *const *argv, int *rc)
{
	struct pi_buf out;
	pi_buf_init(&out);
	*rc = run_bin(&out, argv);
	json_error_t err;
	json_t *j = json_loads(pi_buf_str(&out), 0, &err);
	if (!j)
		fprintf(stderr, "not JSON (%s): %s\n", err.text, pi_buf_str(&out));
	pi_buf_free(&out);
	return j;
}

static uint32_t pod(const char *name)
{
	uint32_t p = pi_plan_pod_by_name(plan, name);
	assert_int_not_equal(p, PI_NONE);
	return p;
}

static uint32_t border_of(uint32_t p)
{
	for (uint32_t n = plan->pods[p].first_node; n < plan->pods[p].first_node + plan->pods[p].n_nodes; n++)
		if (plan->nodes[n].services & PI_SVC_EBGP)
			return n;
	fail_msg("pod %s has no border", plan->pods[p].name);
	return PI_NONE;
}

/* The routes node's lg gives for prefix (JSON array, owned by *j). */
static json_t *lg_routes(uint32_t node, const char *prefix, json_t **j)
{
	int rc;
	*j = bin_json((const char *[]){ "-c", lab_file, "lg", plan->nodes[node].name, prefix, "--format", "json", NULL },
		      &rc);
	assert_int_equal(rc, 0);
	assert_non_null(*j);
	return json_object_get(*j, "routes");
}

/* Does node hold a route for exactly net whose origin is pod o? Its RPKI state into state. */
static bool holds(uint32_t node, const struct pi_prefix *net, uint32_t o, char *state, size_t len)
{
	char pfx[PI_PREFIX_STRLEN];
	pi_prefix_fmt(net, pfx);
	json_t *j, *routes = lg_routes(node, pfx, &j), *r;
	size_t i;
	bool found = false;
	json_array_foreach(routes, i, r) {
		const char *nw = json_string_value(json_object_get(r, "network"));
		const char *op = json_string_value(json_object_get(r, "origin_pod"));
		if (nw && strcmp(nw, pfx) == 0 && op && strcmp(op, plan->pods[o].name) == 0) {
			found = true;
			if (state)
				snprintf(state, len, "%s", json_is_string(json_object_get(r, "rpki"))
								   ? json_string_value(json_object_get(r, "rpki"))
								   : "(none)");
		}
	}
	json_decref(j);
	return found;
}

static bool wait_holds(uint32_t node, const struct pi_prefix *net, uint32_t o, bool want, char *state, size_t len)
{
	for (int t = 0; t < 60; t++) {
		if (holds(node, net, o, state, len) == want)
			return true;
		sleep(1);
	}
	return false;
}

/* The halves of a prefix: what --more-specific announces. */
static void halves(const struct pi_prefix *p, struct pi_prefix h[2])
{
	for (int k = 0; k < 2; k++)
		assert_int_equal(pi_prefix_subnet(p, p->len + 1u, (uint64_t)k, &h[k]), 0);
}

/* The pods a traceroute from node to dst crosses, in order (repeats collapsed), into path. */
static size_t trace_pods(uint32_t from, const struct pi_prefix *dst, uint32_t *path, size_t max)
{
	char d[PI_PREFIX_STRLEN];
	pi_prefix_fmt_addr(dst, d);
	struct pi_buf out;
	pi_buf_init(&out);
	const char *tr[] = { "traceroute", "-n", "-q", "1", "-w", "2", "-m", "16", d, NULL };
	node_exec(from, &out, tr);
	size_t n = 0;
	char *save = NULL, *text = pi_xstrdup(pi_buf_str(&out));
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		int hop;
		char addr[64];
		struct pi_prefix a;
		if (sscanf(line, " %d %63s", &hop, addr) != 2 || pi_prefix_parse(addr, &a))
			continue;
		uint32_t p = pod_of_addr(&a);
		if (p != PI_NONE && (n == 0 || path[n - 1] != p) && n < max)
			path[n++] = p;
	}
	fprintf(stderr, "  traceroute %s -> %s:\n%s", plan->nodes[from].name, d, pi_buf_str(&out));
	free(text);
	pi_buf_free(&out);
	return n;
}

static bool crosses(const uint32_t *path, size_t n, uint32_t p)
{
	for (size_t i = 0; i < n; i++)
		if (path[i] == p)
			return true;
	return false;
}

static int setup(void **state)
{
	(void)state;
	return e2e_open_lab("rpki") == 0 ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	e2e_close_lab();
	return 0;
}

/* The ROV routers' RTR sessions to the cache come up; content1's routes are valid everywhere. */
static void test_cache_and_valid(void **state)
{
	(void)state;
	assert_true(plan->rpki);
	for (uint32_t n = 0; n < plan->n_nodes; n++) {
		if (!(plan->nodes[n].services & PI_SVC_EBGP) || !plan->pods[plan->nodes[n].pod].rov)
			continue;
		struct pi_buf out;
		pi_buf_init(&out);
		const char *argv[] = { "birdc", "show protocols rpki_cache", NULL };
		bool up = false;
		for (int t = 0; t < 60 && !up; t++) {
			pi_buf_reset(&out);
			up = node_exec(n, &out, argv) == 0 && strstr(pi_buf_str(&out), "Established");
			if (!up)
				sleep(1);
		}
		if (!up)
			fail_msg("%s: no RTR session to the cache: %s", plan->nodes[n].name, pi_buf_str(&out));
		pi_buf_free(&out);
	}
	uint32_t c1 = pod("content1");
	char st[32] = "";
	for (const char *const *t = (const char *[]){ "transit1", "transit3", NULL }; *t; t++) {
		assert_true(wait_holds(border_of(pod(*t)), &plan->pods[c1].v4, c1, true, st, sizeof(st)));
		assert_string_equal(st, "valid");
	}
}

static void test_hijack_dropped_by_rov(void **state)
{
	(void)state;
	uint32_t c1 = pod("content1"), t4 = pod("transit4");
	const char *set[] = { "-c", lab_file, "incident", "hijack", "transit4", "content1", "--more-specific", NULL };
	assert_int_equal(run_bin(NULL, set), 0);
	struct pi_prefix h4[2], h6[2];
	halves(&plan->pods[c1].v4, h4);
	halves(&plan->pods[c1].v6, h6);
	/* transit3 (no ROV) takes the hijack and lg calls it invalid. */
	char st[32] = "";
	uint32_t t3b = border_of(pod("transit3"));
	assert_true(wait_holds(t3b, &h4[0], t4, true, st, sizeof(st)));
	assert_string_equal(st, "invalid");
	assert_true(wait_holds(t3b, &h6[1], t4, true, st, sizeof(st)));
	assert_string_equal(st, "invalid");
	/* The ROV ASes heard it from the same neighbour at the same time: never in their RIBs. */
	sleep(5);
	for (const char *const *t = (const char *[]){ "transit1", "transit2", NULL }; *t; t++) {
		uint32_t b = border_of(pod(*t));
		for (int k = 0; k < 2; k++) {
			assert_false(holds(b, &h4[k], t4, NULL, 0));
			assert_false(holds(b, &h6[k], t4, NULL, 0));
		}
		assert_true(holds(b, &plan->pods[c1].v4, c1, NULL, 0)); /* the legitimate route stays */
	}
	/* Traffic: home1 (behind ROV transit1) still reaches content1, home2 (behind transit3) ends at transit4. */
	uint32_t web = PI_NONE;
	for (uint32_t n = plan->pods[c1].first_node; n < plan->pods[c1].first_node + plan->pods[c1].n_nodes; n++)
		if ((plan->nodes[n].services & PI_SVC_HTTP) && web == PI_NONE)
			web = n;
	assert_int_not_equal(web, PI_NONE);
	struct pi_prefix dst = node_addr(web, PI_AF_V4);
	uint32_t path[32];
	uint32_t h1 = PI_NONE, h2 = PI_NONE;
	for (uint32_t n = 0; n < plan->n_nodes; n++) {
		if (!(plan->nodes[n].services & PI_SVC_CLIENT) || !has_v4(n))
			continue;
		if (plan->nodes[n].pod == pod("home1") && h1 == PI_NONE)
			h1 = n;
		if (plan->nodes[n].pod == pod("home2") && h2 == PI_NONE)
			h2 = n;
	}
	assert_int_not_equal(h1, PI_NONE);
	assert_int_not_equal(h2, PI_NONE);
	size_t n = trace_pods(h1, &dst, path, 32);
	assert_true(n > 0);
	assert_int_equal(path[n - 1], c1);
	assert_false(crosses(path, n, t4));
	n = trace_pods(h2, &dst, path, 32);
	assert_true(n > 0);
	assert_true(crosses(path, n, t4));
	assert_false(crosses(path, n, c1));
	const char *clear[] = { "-c", lab_file, "incident", "clear", NULL };
	assert_int_equal(run_bin(NULL, clear), 0);
	assert_true(wait_holds(t3b, &h4[0], t4, false, NULL, 0));
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cache_and_valid),
		cmocka_unit_test(test_hijack_dropped_by_rov),
	};
	return e2e_main(argc, argv, "rpki", tests, sizeof(tests) / sizeof(tests[0]), setup, teardown);
}
