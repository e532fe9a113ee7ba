/*
 * apply through the fake backend: phase order, setup twice, a partial lab,
 * the preflight, cancel and rollback, teardown and labs. No root, no
 * Docker: the fake keeps its nodes in memory and logs every call.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include "pocketinternet/apply.h"
#include "pocketinternet/lab.h"

static struct pi_lab *lab;
static struct pi_plan *plan;
static char state_root[] = "/tmp/pi-test-fake-XXXXXX";

static int group_setup(void **state)
{
	(void)state;
	char path[4096];
	snprintf(path, sizeof(path), "%s/labs/tiny.yml", getenv("PI_SOURCE_DIR"));
	struct pi_diag d;
	pi_diag_init(&d);
	int rc = pi_lab_load(path, getenv("POCKETINTERNET_BLUEPRINTS"), &lab, &d);
	if (!rc)
		rc = pi_plan_build(lab, &plan, &d);
	pi_diag_print(&d, stderr);
	pi_diag_free(&d);
	return rc || !mkdtemp(state_root) ? -1 : 0;
}

static int group_teardown(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", state_root);
	(void)!system(cmd);
	pi_plan_free(plan);
	pi_lab_free(lab);
	return 0;
}

static struct pi_backend fake;
static struct pi_diag diag;

static int each_setup(void **state)
{
	(void)state;
	pi_diag_init(&diag);
	return pi_backend_open(&fake, &pi_backend_fake, NULL);
}

static int each_teardown(void **state)
{
	(void)state;
	pi_diag_free(&diag);
	pi_backend_close(&fake);
	return 0;
}

static int setup(struct pi_apply_result *res, bool rollback, volatile int *cancel)
{
	struct pi_apply_opts o = { .state_root = state_root, .start_only = true, .rollback = rollback,
				   .cancel = cancel, .lab_file = "/labs/tiny.yml", .parallel = 3 };
	return pi_apply_setup(&fake, plan, &o, res, &diag);
}

static const char *calls(void)
{
	return pi_buf_str(&pi_backend_fake_state(&fake)->calls);
}

static size_t n_nodes(void)
{
	return pi_backend_fake_state(&fake)->nodes.len;
}

/* Every create comes before the first start, after list, preflight and
 * prepare; every node is created and started exactly once. */
static void test_order(void **state)
{
	(void)state;
	struct pi_apply_result res;
	assert_int_equal(setup(&res, true, NULL), 0);
	const char *c = calls();
	static const char head[] = "list tiny\npreflight -\nprepare -\ncreate ";
	assert_true(strncmp(c, head, strlen(head)) == 0);
	const char *first_start = strstr(c, "start ");
	const char *last_create = NULL;
	for (const char *p = strstr(c, "create "); p; p = strstr(p + 1, "create "))
		last_create = p;
	assert_non_null(first_start);
	assert_true(last_create < first_start);
	for (uint32_t i = 0; i < plan->n_nodes; i++) {
		char want[200];
		snprintf(want, sizeof(want), "create %s\n", plan->nodes[i].name);
		assert_non_null(strstr(c, want));
		assert_null(strstr(strstr(c, want) + 1, want));
		snprintf(want, sizeof(want), "start %s\n", plan->nodes[i].name);
		assert_non_null(strstr(c, want));
	}
	assert_int_equal(n_nodes(), plan->n_nodes);
	assert_int_equal(res.containers, plan->n_nodes);
	/* The nodes' files were written where they are mounted from. */
	char path[4200];
	struct stat st;
	snprintf(path, sizeof(path), "%s/tiny/%s/start.sh", state_root, plan->nodes[0].name);
	assert_int_equal(stat(path, &st), 0);
}

static void test_setup_twice(void **state)
{
	(void)state;
	struct pi_apply_result res;
	assert_int_equal(setup(&res, true, NULL), 0);
	assert_false(res.already_up);
	pi_buf_reset(&pi_backend_fake_state(&fake)->calls);
	assert_int_equal(setup(&res, true, NULL), 0);
	assert_true(res.already_up);
	assert_string_equal(calls(), "list tiny\n");
	assert_int_equal(n_nodes(), plan->n_nodes);
}

static void test_partial_refused(void **state)
{
	(void)state;
	struct pi_apply_result res;
	assert_int_equal(setup(&res, true, NULL), 0);
	assert_int_equal(fake.ops->remove(&fake, "tiny", plan->nodes[1].name, NULL), 0);
	pi_buf_reset(&pi_backend_fake_state(&fake)->calls);
	assert_int_equal(setup(&res, true, NULL), -EEXIST);
	assert_string_equal(calls(), "list tiny\n");
	assert_int_equal(pi_diag_count(&diag), 1);
	struct pi_diag_entry *e = pi_vec_at(&diag.entries, 0);
	assert_non_null(strstr(e->msg, "partly up"));
	assert_non_null(strstr(e->hint, "teardown"));
	/* Refusing is not failing: nothing of the running lab was removed. */
	assert_int_equal(n_nodes(), plan->n_nodes - 1);
}

static void test_preflight_clash(void **state)
{
	(void)state;
	struct pi_apply_result res;
	pi_prefix_parse("10.0.0.0/8", &pi_backend_fake_state(&fake)->clash);
	assert_int_equal(setup(&res, true, NULL), -EADDRINUSE);
	assert_null(strstr(calls(), "create "));
	assert_int_equal(n_nodes(), 0);
}

static void test_rollback_on_failure(void **state)
{
	(void)state;
	struct pi_apply_result res;
	struct pi_fake_backend *f = pi_backend_fake_state(&fake);
	f->fail_op = "start";
	f->fail_after = 2;
	f->fail_errno = EIO;
	assert_int_equal(setup(&res, true, NULL), -EIO);
	assert_true(res.rolled_back);
	assert_int_equal(n_nodes(), 0);
	assert_non_null(strstr(calls(), "remove "));
	char path[4200];
	struct stat st;
	snprintf(path, sizeof(path), "%s/tiny", state_root);
	assert_int_not_equal(stat(path, &st), 0);
}

static void test_keep_on_failure(void **state)
{
	(void)state;
	struct pi_apply_result res;
	struct pi_fake_backend *f = pi_backend_fake_state(&fake);
	f->fail_op = "create";
	f->fail_after = 4;
	assert_int_equal(setup(&res, false, NULL), -EIO);
	assert_false(res.rolled_back);
	assert_int_equal(n_nodes(), 4);
	assert_null(strstr(calls(), "remove "));
}

static void test_cancel_rolls_back(void **state)
{
	(void)state;
	struct pi_apply_result res;
	volatile int cancel = 1;
	assert_int_equal(setup(&res, true, &cancel), -ECANCELED);
	assert_true(res.rolled_back);
	assert_int_equal(n_nodes(), 0);
	assert_null(strstr(calls(), "start "));
}

static void test_teardown_and_labs(void **state)
{
	(void)state;
	struct pi_apply_result res;
	assert_int_equal(setup(&res, true, NULL), 0);
	struct pi_node_spec other = { .lab = "other", .node = "x", .role = "r", .pod = "p" };
	assert_int_equal(fake.ops->create(&fake, &other, NULL), 0);
	struct pi_vec labs = PI_VEC_INIT(struct pi_lab_summary);
	assert_int_equal(pi_apply_labs(&fake, &labs, NULL), 0);
	assert_int_equal(labs.len, 2);
	struct pi_lab_summary *a = pi_vec_at(&labs, 0), *b = pi_vec_at(&labs, 1);
	assert_string_equal(a->name, "other");
	assert_int_equal(a->running, 0);
	assert_string_equal(b->name, "tiny");
	assert_int_equal(b->nodes, plan->n_nodes);
	assert_int_equal(b->running, plan->n_nodes);
	assert_string_equal(b->lab_file, "/labs/tiny.yml");
	pi_vec_free(&labs);

	struct pi_teardown_result tr;
	assert_int_equal(pi_apply_teardown(&fake, "tiny", state_root, 2, &tr, &diag), 0);
	assert_int_equal(tr.containers, plan->n_nodes);
	assert_int_equal(n_nodes(), 1); /* the other lab's node stays */
	assert_int_equal(pi_apply_teardown(&fake, "tiny", state_root, 2, &tr, &diag), 0);
	assert_int_equal(tr.containers, 0);
}

static void test_status(void **state)
{
	(void)state;
	struct pi_apply_result res;
	assert_int_equal(setup(&res, true, NULL), 0);
	assert_int_equal(fake.ops->stop(&fake, "tiny", plan->nodes[0].name, NULL), 0);
	struct pi_status st;
	assert_int_equal(pi_apply_status(&fake, plan, 2, &st, &diag), 0);
	assert_int_equal(st.running, plan->n_nodes - 1);
	assert_string_equal(st.nodes[0].state, "exited");
	assert_string_equal(st.nodes[1].state, "running");
	/* The fake runs no daemons: every session is down at both ends. */
	assert_int_equal(st.established, 0);
	assert_string_equal(st.sessions[0].state[0], "down");
	assert_false(st.all_up);
	pi_status_free(&st);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, each_setup, each_teardown)
	const struct CMUnitTest tests[] = {
		T(test_order),		  T(test_setup_twice),	    T(test_partial_refused), T(test_preflight_clash),
		T(test_rollback_on_failure), T(test_keep_on_failure), T(test_cancel_rolls_back), T(test_teardown_and_labs),
		T(test_status),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
