/*
 * End-to-end: the looking glass and paths (docs/observe.md) on the default
 * lab. lg at a transit border router must prefer a customer's route over
 * the same prefix learned from a peer, and say so; paths between two
 * broadband subscribers must list router-level paths, mark the allowed AS
 * paths, and its BGP-chosen AS path must be the pods its traceroute
 * crosses. Needs root and a running Docker engine.
 */
#include <errno.h>
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
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

static bool in_cone(uint32_t pod, uint32_t member)
{
	for (uint32_t i = 0; i < plan->pods[pod].n_cone; i++)
		if (plan->pods[pod].cone[i] == member)
			return true;
	return false;
}

/* The pod of the router at the other end of session k from node. */
static uint32_t far_pod(uint32_t k, uint32_t node)
{
	const struct pi_plan_session *s = &plan->sessions[k];
	return plan->nodes[s->a == node ? s->b : s->a].pod;
}

/* A border router with an IPv4 session to a customer C and one to a peer P whose cone holds C:
 * it hears C's prefix from both. */
static uint32_t customer_and_peer(uint32_t *customer, uint32_t *peer_session)
{
	for (uint32_t n = 0; n < plan->n_nodes; n++) {
		const struct pi_plan_node *nd = &plan->nodes[n];
		for (uint32_t i = 0; i < nd->n_session_idx; i++) {
			const struct pi_plan_session *s = &plan->sessions[nd->session_idx[i]];
			enum pi_rel r = s->a == n ? s->rel : pi_rel_invert(s->rel);
			if (r != PI_REL_CUSTOMER || s->family != PI_AF_V4)
				continue;
			uint32_t c = far_pod(nd->session_idx[i], n);
			for (uint32_t j = 0; j < nd->n_session_idx; j++) {
				const struct pi_plan_session *t = &plan->sessions[nd->session_idx[j]];
				enum pi_rel q = t->a == n ? t->rel : pi_rel_invert(t->rel);
				if (q == PI_REL_PEER && t->family == PI_AF_V4 && in_cone(far_pod(nd->session_idx[j], n), c)) {
					*customer = c;
					*peer_session = nd->session_idx[j];
					return n;
				}
			}
		}
	}
	return PI_NONE;
}

static void test_lg_customer_over_peer(void **state)
{
	(void)state;
	uint32_t cust = PI_NONE, peer_s = PI_NONE;
	uint32_t node = customer_and_peer(&cust, &peer_s);
	assert_int_not_equal(node, PI_NONE);
	char prefix[PI_PREFIX_STRLEN];
	pi_prefix_fmt(&plan->pods[cust].v4, prefix);
	int rc;
	json_t *j = NULL;
	/* The peer's route may take a few seconds after setup to arrive. */
	for (int tries = 0; tries < 30; tries++) {
		json_decref(j);
		j = bin_json((const char *[]){ "-c", lab_file, "lg", plan->nodes[node].name, prefix, "--format", "json", NULL },
			     &rc);
		assert_int_equal(rc, 0);
		assert_non_null(j);
		if (json_array_size(json_object_get(j, "routes")) >= 2)
			break;
		sleep(1);
	}
	json_t *routes = json_object_get(j, "routes");
	assert_true(json_array_size(routes) >= 2);
	json_t *best = json_array_get(routes, 0); /* best first */
	assert_true(json_is_true(json_object_get(best, "best")));
	assert_string_equal(json_string_value(json_object_get(best, "learned_from")), "customer");
	assert_int_equal(json_integer_value(json_object_get(best, "local_pref")), 200);
	assert_string_equal(json_string_value(json_object_get(best, "origin_pod")), plan->pods[cust].name);
	bool saw_peer = false;
	for (size_t i = 1; i < json_array_size(routes); i++) {
		json_t *r = json_array_get(routes, i);
		const char *sn = json_string_value(json_object_get(r, "session"));
		if (!sn || strcmp(sn, plan->sessions[peer_s].name) != 0)
			continue;
		saw_peer = true;
		assert_false(json_is_true(json_object_get(r, "best")));
		assert_string_equal(json_string_value(json_object_get(r, "learned_from")), "peer");
		assert_int_equal(json_integer_value(json_object_get(r, "local_pref")), 100);
		assert_string_equal(json_string_value(json_object_get(r, "criterion")), "local preference");
		assert_string_equal(json_string_value(json_object_get(r, "why")), "local preference 200 (customer) beats 100 (peer)");
		/* The decoded community: learned here from a peer. */
		json_t *lc = json_object_get(r, "large_communities");
		bool decoded = false;
		for (size_t k = 0; k < json_array_size(lc); k++) {
			const char *m = json_string_value(json_object_get(json_array_get(lc, k), "meaning"));
			decoded |= m && strstr(m, "learned here from a peer") != NULL;
		}
		assert_true(decoded);
	}
	assert_true(saw_peer);
	json_decref(j);
	/* The text form says the same. */
	struct pi_buf out;
	pi_buf_init(&out);
	assert_int_equal(run_bin(&out, (const char *[]){ "-c", lab_file, "lg", plan->nodes[node].name, prefix, NULL }), 0);
	assert_non_null(strstr(pi_buf_str(&out), "not best: local preference 200 (customer) beats 100 (peer)"));
	pi_buf_free(&out);
}

static void test_lg_sessions(void **state)
{
	(void)state;
	uint32_t cust, peer_s, node = customer_and_peer(&cust, &peer_s);
	int rc;
	json_t *j = bin_json((const char *[]){ "-c", lab_file, "lg", plan->nodes[node].name, "--sessions", "--format",
					       "json", NULL },
			     &rc);
	assert_int_equal(rc, 0);
	json_t *ss = json_object_get(j, "sessions");
	assert_int_equal(json_array_size(ss), plan->nodes[node].n_session_idx);
	assert_int_equal(json_integer_value(json_object_get(j, "established")), plan->nodes[node].n_session_idx);
	bool saw = false;
	for (size_t i = 0; i < json_array_size(ss); i++) {
		json_t *s = json_array_get(ss, i);
		assert_true(json_is_true(json_object_get(s, "planned")));
		assert_non_null(json_object_get(s, "imported"));
		if (strcmp(json_string_value(json_object_get(s, "name")), plan->sessions[peer_s].name) == 0) {
			saw = true;
			assert_string_equal(json_string_value(json_object_get(s, "relationship")), "peer");
			assert_int_equal(json_integer_value(json_object_get(s, "neighbor_asn")),
					 plan->pods[far_pod(peer_s, node)].asn);
		}
	}
	assert_true(saw);
	json_decref(j);
	/* A host runs no router daemon: a usage error naming its gateway. */
	uint32_t sub = find_node(PI_SVC_CLIENT, 0, "broadband", 0);
	struct pi_buf out;
	pi_buf_init(&out);
	assert_int_equal(run_bin_all(&out, (const char *[]){ "-c", lab_file, "lg", plan->nodes[sub].name, NULL }), 2);
	assert_non_null(strstr(pi_buf_str(&out), "runs no router daemon"));
	assert_non_null(strstr(pi_buf_str(&out), plan->nodes[pi_plan_gateway(plan, sub)].name));
	pi_buf_free(&out);
}

/* Two broadband subscribers in different pods. */
static void two_subscribers(uint32_t *a, uint32_t *b)
{
	*a = find_node(PI_SVC_CLIENT, 0, "broadband", 0);
	*b = PI_NONE;
	for (unsigned k = 1; (*b = find_node(PI_SVC_CLIENT, 0, "broadband", k)) != PI_NONE; k++)
		if (plan->nodes[*b].pod != plan->nodes[*a].pod && has_v4(*b) == has_v4(*a))
			break;
	assert_int_not_equal(*b, PI_NONE);
}

static bool same_strings(json_t *x, json_t *y)
{
	if (json_array_size(x) != json_array_size(y) || json_array_size(x) == 0)
		return false;
	for (size_t i = 0; i < json_array_size(x); i++)
		if (strcmp(json_string_value(json_array_get(x, i)), json_string_value(json_array_get(y, i))) != 0)
			return false;
	return true;
}

static void check_family(json_t *f, const char *fam)
{
	assert_non_null(f);
	json_t *bgp = json_object_get(f, "bgp"), *tr = json_object_get(f, "traceroute");
	assert_true(json_is_true(json_object_get(bgp, "found")));
	assert_true(json_array_size(json_object_get(bgp, "pods")) >= 2);
	if (!json_is_true(json_object_get(tr, "reached")))
		fail_msg("%s traceroute did not reach %s", fam, json_string_value(json_object_get(f, "address")));
	if (!same_strings(json_object_get(bgp, "pods"), json_object_get(tr, "pods"))) {
		char *t = json_dumps(f, JSON_INDENT(1));
		fail_msg("%s: BGP's pods and the traceroute's differ: %s", fam, t);
	}
	assert_true(json_is_true(json_object_get(tr, "matches_bgp")));
}

static void test_paths_between_subscribers(void **state)
{
	(void)state;
	uint32_t a, b;
	two_subscribers(&a, &b);
	int rc;
	json_t *j = bin_json((const char *[]){ "-c", lab_file, "paths", plan->nodes[a].name, plan->nodes[b].name,
					       "--format", "json", NULL },
			     &rc);
	assert_int_equal(rc, 0);
	json_t *rp = json_object_get(j, "router_paths"), *ap = json_object_get(j, "as_paths");
	assert_true(json_integer_value(json_object_get(rp, "total")) >= 1);
	json_t *paths = json_object_get(rp, "paths");
	assert_true(json_array_size(paths) >= 1);
	for (size_t i = 0; i < json_array_size(paths); i++) {
		json_t *nodes = json_object_get(json_array_get(paths, i), "nodes");
		size_t n = json_array_size(nodes);
		assert_string_equal(json_string_value(json_object_get(json_array_get(nodes, 0), "node")), plan->nodes[a].name);
		assert_string_equal(json_string_value(json_object_get(json_array_get(nodes, n - 1), "node")), plan->nodes[b].name);
	}
	assert_true(json_integer_value(json_object_get(ap, "allowed")) >= 1);
	bool marked = false;
	for (size_t i = 0; i < json_array_size(json_object_get(ap, "paths")); i++)
		marked |= json_is_true(json_object_get(json_array_get(json_object_get(ap, "paths"), i), "allowed"));
	assert_true(marked);
	check_family(json_object_get(j, "ipv6"), "IPv6");
	if (has_v4(a))
		check_family(json_object_get(j, "ipv4"), "IPv4");
	json_decref(j);
	/* The text form: the side-by-side summary. */
	struct pi_buf out;
	pi_buf_init(&out);
	assert_int_equal(run_bin(&out, (const char *[]){ "-c", lab_file, "paths", plan->nodes[a].name, plan->nodes[b].name, NULL }), 0);
	assert_non_null(strstr(pi_buf_str(&out), "Side by side:"));
	assert_non_null(strstr(pi_buf_str(&out), "= BGP's choice"));
	pi_buf_free(&out);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lg_customer_over_peer),
		cmocka_unit_test(test_lg_sessions),
		cmocka_unit_test(test_paths_between_subscribers),
	};
	return e2e_main(argc, argv, "test-lg-paths", tests, sizeof(tests) / sizeof(tests[0]), e2e_setup_default_lab, e2e_teardown_lab);
}
