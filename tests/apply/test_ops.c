/*
 * Operations without root or Docker: how users name links (plan names, node
 * pairs either way, node:iface, near matches on typos), node operations on
 * a lab that is not running, and incidents refused before anything is done.
 * The fake backend keeps nodes in memory; nothing reaches a kernel.
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
#include "lab_fixture.h"
#include "pocketinternet/apply.h"
#include "pocketinternet/lab.h"


static uint32_t first_link(enum pi_link_kind kind)
{
	for (uint32_t l = 0; l < plan->n_links; l++)
		if (plan->links[l].kind == kind)
			return l;
	return PI_NONE;
}

static void test_link_by_plan_name(void **state)
{
	(void)state;
	struct pi_link_ref r;
	for (uint32_t l = 0; l < plan->n_links; l++) {
		assert_int_equal(pi_apply_link_find(plan, plan->links[l].name, &r, NULL), 0);
		assert_int_equal(r.link, l);
		assert_int_equal(r.iface, PI_NONE);
	}
}

static void test_link_by_pair_either_way(void **state)
{
	(void)state;
	uint32_t l = first_link(PI_LINK_P2P);
	const struct pi_plan_link *lk = &plan->links[l];
	char rev[300];
	snprintf(rev, sizeof(rev), "%s--%s", plan->nodes[plan->ifaces[lk->ifaces[1]].node].name,
		 plan->nodes[plan->ifaces[lk->ifaces[0]].node].name);
	struct pi_link_ref r;
	assert_int_equal(pi_apply_link_find(plan, rev, &r, NULL), 0);
	assert_int_equal(r.link, l);
}

static void test_link_by_port(void **state)
{
	(void)state;
	uint32_t l = first_link(PI_LINK_LAN);
	uint32_t f = plan->links[l].ifaces[0];
	char spec[300];
	pi_apply_iface_label(plan, f, spec, sizeof(spec));
	struct pi_link_ref r;
	assert_int_equal(pi_apply_link_find(plan, spec, &r, NULL), 0);
	assert_int_equal(r.link, l);
	assert_int_equal(r.iface, f); /* one port of the LAN */
	/* On a p2p link, node:iface names the whole link. */
	uint32_t p = first_link(PI_LINK_P2P);
	pi_apply_iface_label(plan, plan->links[p].ifaces[0], spec, sizeof(spec));
	assert_int_equal(pi_apply_link_find(plan, spec, &r, NULL), 0);
	assert_int_equal(r.link, p);
	assert_int_equal(r.iface, PI_NONE);
}

/* A typo gets the names it was probably meant to be. */
static void test_unknown_link_near_matches(void **state)
{
	(void)state;
	char typo[300];
	snprintf(typo, sizeof(typo), "%s", plan->links[first_link(PI_LINK_P2P)].name);
	typo[strlen(typo) - 1] = 'Z';
	struct pi_diag d;
	pi_diag_init(&d);
	struct pi_link_ref r;
	assert_int_equal(pi_apply_link_find(plan, typo, &r, &d), -ENOENT);
	struct pi_buf out;
	pi_buf_init(&out);
	char *text = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&text, &len);
	pi_diag_print(&d, m);
	fclose(m);
	assert_non_null(strstr(text, "unknown link"));
	assert_non_null(strstr(text, "did you mean"));
	assert_non_null(strstr(text, plan->links[first_link(PI_LINK_P2P)].name));
	free(text);
	pi_buf_free(&out);
	pi_diag_free(&d);
	/* Unknown node and interface in node:iface. */
	pi_diag_init(&d);
	assert_int_equal(pi_apply_link_find(plan, "nosuchnode:eth0", &r, &d), -ENOENT);
	char spec[300];
	snprintf(spec, sizeof(spec), "%s:nosuch", plan->nodes[0].name);
	assert_int_equal(pi_apply_link_find(plan, spec, &r, &d), -ENOENT);
	assert_int_equal(pi_diag_errors(&d), 2);
	pi_diag_free(&d);
}

/* On a lab that does not run, operations say so and change nothing. */
static void test_ops_on_a_lab_not_running(void **state)
{
	(void)state;
	struct pi_backend fake;
	assert_int_equal(pi_backend_open(&fake, &pi_backend_fake, NULL), 0);
	char root[] = "/tmp/pi-test-ops-XXXXXX";
	assert_non_null(mkdtemp(root));
	struct pi_diag d;
	pi_diag_init(&d);
	struct pi_link_ref r = { first_link(PI_LINK_P2P), PI_NONE };
	assert_int_equal(pi_apply_link_updown(&fake, plan, root, &r, false, &d), -ENOENT);
	char *text = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&text, &len);
	pi_diag_print(&d, m);
	fclose(m);
	assert_non_null(strstr(text, "is not running"));
	free(text);
	char ops[128];
	snprintf(ops, sizeof(ops), "%s/%s/ops.json", root, plan->lab_name);
	assert_int_equal(access(ops, F_OK), -1); /* nothing recorded */
	struct pi_apply_opts o = { .state_root = root };
	struct pi_apply_result res;
	assert_int_equal(pi_apply_node(&fake, plan, 0, PI_NODE_START, &o, &res, &d), -ENOENT);
	assert_true(pi_diag_errors(&d) >= 1);
	pi_diag_free(&d);
	pi_diag_init(&d);
	struct pi_incident in = { .kind = PI_INCIDENT_HIJACK };
	snprintf(in.attacker, sizeof(in.attacker), "transit9");
	snprintf(in.victim, sizeof(in.victim), "broadband1");
	assert_int_equal(pi_apply_incident_add(&fake, plan, root, &in, &d), -EINVAL);
	pi_diag_free(&d);
	struct pi_vec v = PI_VEC_INIT(struct pi_incident);
	assert_int_equal(pi_apply_incident_list(plan, root, &v, NULL), 0);
	assert_int_equal(v.len, 0);
	pi_vec_free(&v);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	(void)!system(cmd);
	pi_backend_close(&fake);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_link_by_plan_name),
		cmocka_unit_test(test_link_by_pair_either_way),
		cmocka_unit_test(test_link_by_port),
		cmocka_unit_test(test_unknown_link_near_matches),
		cmocka_unit_test(test_ops_on_a_lab_not_running),
	};
	return cmocka_run_group_tests(tests, apply_fixture_setup, apply_fixture_teardown);
}
