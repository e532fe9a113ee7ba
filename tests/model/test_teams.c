/*
 * teams: and configure: in lab files (the errors are in tests/bad/teams*.yml):
 * explicit teams, the per_pod generator naming teams after generated pods,
 * and exercise levels on named pods.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "pi_config.h"
#include "pocketinternet/lab.h"

static const char *src_dir(void)
{
	const char *s = getenv("PI_SOURCE_DIR");
	return s && *s ? s : PI_SOURCE_DIR;
}

static struct pi_lab *load(const char *text)
{
	char bdir[4096];
	snprintf(bdir, sizeof(bdir), "%s/blueprints", src_dir());
	struct pi_diag d;
	pi_diag_init(&d);
	struct pi_lab *lab = NULL;
	int rc = pi_lab_load_mem("t.yml", text, strlen(text), bdir, &lab, &d);
	if (rc)
		pi_diag_print(&d, stderr);
	assert_int_equal(rc, 0);
	pi_diag_free(&d);
	return lab;
}

static void test_explicit(void **state)
{
	(void)state;
	struct pi_lab *lab = load("pods:\n"
				  "  - {name: red-isp, blueprint: broadband, configure: students}\n"
				  "  - {name: blue-isp, blueprint: broadband, configure: {students: all}}\n"
				  "  - {name: gold, blueprint: content}\n"
				  "  - {blueprint: transit, count: 2}\n"
				  "teams:\n"
				  "  - {name: red, pods: [red-isp, transit2]}\n"
				  "  - {name: blue, pods: [blue-isp]}\n");
	assert_int_equal(lab->n_teams, 2);
	assert_string_equal(lab->teams[0].name, "red");
	assert_int_equal(lab->teams[0].n_pods, 2);
	assert_string_equal(lab->teams[0].pods[1], "transit2");
	assert_int_equal(lab->teams[0].pos.line, 7);
	assert_int_equal(lab->pods[0].exercise, PI_EXERCISE_BGP);
	assert_int_equal(lab->pods[1].exercise, PI_EXERCISE_ALL);
	assert_int_equal(lab->pods[2].exercise, PI_EXERCISE_NONE);
	assert_string_equal(pi_lab_team_of_pod(lab, "transit2")->name, "red");
	assert_null(pi_lab_team_of_pod(lab, "transit1"));
	assert_null(pi_lab_team_of_pod(lab, "gold"));
	pi_lab_free(lab);
}

static void test_per_pod(void **state)
{
	(void)state;
	struct pi_lab *lab = load("pods: {transit: 1, broadband: 3, content: 1}\n"
				  "teams:\n"
				  "  - {per_pod: broadband}\n"
				  "  - {name: cdn, pods: [content1]}\n");
	assert_int_equal(lab->n_teams, 4);
	for (int i = 0; i < 3; i++) {
		char want[32];
		snprintf(want, sizeof(want), "broadband%d", i + 1);
		assert_string_equal(lab->teams[i].name, want);
		assert_int_equal(lab->teams[i].n_pods, 1);
		assert_string_equal(lab->teams[i].pods[0], want);
	}
	assert_string_equal(lab->teams[3].name, "cdn");
	pi_lab_free(lab);
}

static void test_no_teams(void **state)
{
	(void)state;
	struct pi_lab *lab = load("pods: {transit: 1, broadband: 1}\n");
	assert_int_equal(lab->n_teams, 0);
	assert_string_equal(pi_exercise_name(PI_EXERCISE_BGP), "bgp");
	assert_string_equal(pi_exercise_name(PI_EXERCISE_ALL), "all");
	pi_lab_free(lab);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_explicit),
		cmocka_unit_test(test_per_pod),
		cmocka_unit_test(test_no_teams),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
