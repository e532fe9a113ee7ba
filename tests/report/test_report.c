/*
 * report: the CLI's --format json is the report's object, byte for byte.
 * Runs the built binary (paths --plan-only; status through the fake
 * backend) and builds the same objects in-process from the same plan.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include "../apply/lab_fixture.h"
#include "pocketinternet/report.h"
#include "../cli/cli_run.h"

static char *printed(json_t *j)
{
	char *t = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(j);
	size_t n = strlen(t);
	t = realloc(t, n + 2);
	t[n] = '\n';
	t[n + 1] = '\0';
	return t;
}

static void test_paths_plan_only(void **state)
{
	(void)state;
	char file[4096];
	snprintf(file, sizeof(file), "%s/labs/lab.yml", getenv("PI_SOURCE_DIR"));
	uint32_t src = 0, dst = plan->n_nodes - 1;
	struct pi_buf out;
	pi_buf_init(&out);
	assert_int_equal(cli_run_stdout(&out, (const char *[]){ "-c", file, "paths", plan->nodes[src].name, plan->nodes[dst].name,
						     "--plan-only", "--format", "json", NULL }),
			 0);
	struct pi_report_paths r = { .plan = plan, .src = src, .dst = dst };
	pi_plan_paths_init(&r.routers, false);
	pi_plan_paths_init(&r.ases, true);
	pi_plan_router_paths(plan, src, dst, 20, 0, &r.routers);
	uint32_t sp = plan->nodes[src].pod, dp = plan->nodes[dst].pod;
	if (plan->pods[sp].tier != PI_TIER_IXP && plan->pods[dp].tier != PI_TIER_IXP)
		pi_plan_as_paths(plan, sp, dp, 20, 0, &r.ases);
	char *want = printed(pi_report_paths(&r));
	assert_string_equal(pi_buf_str(&out), want);
	free(want);
	pi_plan_paths_free(&r.routers);
	pi_plan_paths_free(&r.ases);
	pi_buf_free(&out);
}

static void test_status_fake(void **state)
{
	(void)state;
	char file[4096], root[] = "/tmp/pitest-report-XXXXXX";
	assert_non_null(mkdtemp(root));
	setenv("POCKETINTERNET_BACKEND", "fake", 1);
	setenv("POCKETINTERNET_STATE", root, 1);
	snprintf(file, sizeof(file), "%s/labs/lab.yml", getenv("PI_SOURCE_DIR"));
	struct pi_buf out;
	pi_buf_init(&out);
	cli_run_stdout(&out, (const char *[]){ "-c", file, "status", "--format", "json", NULL }); /* 1: nothing runs */
	struct pi_backend b;
	struct pi_status st;
	struct pi_vec inc = PI_VEC_INIT(struct pi_incident);
	assert_int_equal(pi_backend_open(&b, &pi_backend_fake, NULL), 0);
	pi_apply_status(&b, plan, 8, &st, NULL);
	pi_apply_incident_list(plan, NULL, &inc, NULL);
	char *want = printed(pi_report_status(plan, &st, &inc));
	assert_string_equal(pi_buf_str(&out), want);
	free(want);
	pi_status_free(&st);
	pi_vec_free(&inc);
	pi_backend_close(&b);
	pi_buf_free(&out);
	rmdir(root);
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return 77;
	cli_bin = argv[1];
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_paths_plan_only),
		cmocka_unit_test(test_status_fake),
	};
	return cmocka_run_group_tests(tests, apply_fixture_setup, apply_fixture_teardown);
}
