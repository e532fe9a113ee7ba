/*
 * End-to-end: a classroom (labs/teams.yml, docs/workshop.md). Two teams,
 * one exercise pod each, brought up once for the suite. The red team's pod
 * is configured as a student would (the config written inside the node,
 * `birdc configure` run inside it) and passes `check`; the blue team's,
 * left as its skeleton, fails `check` with hints and disturbs nothing
 * else: every pair of nodes not involving it answers. `save`, teardown,
 * setup and `restore` bring the red pod back to working order; `reset`
 * returns it to its skeleton. Needs root and a running Docker engine.
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
#include "pocketinternet/render.h"

#define CHECK_WAIT_S 90

static int group_setup(void **state)
{
	(void)state;
	char file[4096];
	snprintf(file, sizeof(file), "%s/labs/teams.yml", getenv("PI_SOURCE_DIR"));
	struct pi_diag d;
	pi_diag_init(&d);
	int rc = pi_backend_open(&backend, &pi_backend_docker, &d);
	pi_diag_print(&d, stderr);
	pi_diag_free(&d);
	/* No --verify: the unconfigured pods cannot pass it, by design. */
	return rc || bring_up_opts(file, false) ? -1 : 0;
}

/* The lab goes, and so do the saves this suite made (teardown keeps saves). */
static int group_teardown(void **state)
{
	char cmd[4200];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s/saves/teams'", pi_state_root());
	(void)!system(cmd);
	snprintf(cmd, sizeof(cmd), "%s/saves", pi_state_root());
	(void)rmdir(cmd); /* only when no other lab's saves are kept there */
	return e2e_teardown_lab(state);
}

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

/* What a student who got everything right writes: the configuration the
 * lab would generate if the pod were not an exercise. */
static char *solution(const char *node)
{
	struct pi_lab *l = NULL;
	struct pi_plan *p = NULL;
	struct pi_diag d;
	pi_diag_init(&d);
	assert_int_equal(pi_lab_load(lab_file, getenv("POCKETINTERNET_BLUEPRINTS"), &l, &d), 0);
	for (size_t i = 0; i < l->n_pods; i++)
		l->pods[i].exercise = PI_EXERCISE_NONE;
	assert_int_equal(pi_plan_build(l, &p, &d), 0);
	pi_diag_free(&d);
	struct pi_render_set set;
	pi_render_set_init(&set);
	pi_render_node(p, pi_plan_node_by_name(p, node), &set);
	char *s = pi_xstrdup(pi_render_set_find(&set, "bird.conf")->data);
	pi_render_set_free(&set);
	pi_plan_free(p);
	pi_lab_free(l);
	return s;
}

/* As a student: write the file inside the node, then reconfigure from inside. */
static void student_writes(const char *node, const char *conf)
{
	uint32_t n = pi_plan_node_by_name(plan, node);
	assert_int_not_equal(n, PI_NONE);
	struct pi_buf out;
	pi_buf_init(&out);
	size_t len = strlen(conf) + 128;
	char *cmd = malloc(len);
	snprintf(cmd, len, "cat > %s/bird.conf <<'PI_EOF'\n%sPI_EOF\n", PI_NODE_CONF_DIR, conf);
	assert_int_equal(node_exec(n, &out, (const char *[]){ "sh", "-c", cmd, NULL }), 0);
	free(cmd);
	assert_int_equal(node_exec(n, &out, (const char *[]){ "birdc", "configure", NULL }), 0);
	assert_non_null(strstr(pi_buf_str(&out), "Reconfigured"));
	pi_buf_free(&out);
}

/* check POD until it passes or the time is up; its exit code. */
static int check_until(const char *pod, int want, int seconds)
{
	int rc = -1;
	for (int t = 0; t < seconds; t += 3) {
		struct pi_buf out;
		pi_buf_init(&out);
		rc = run_bin_all(&out, (const char *[]){ "-c", lab_file, "check", pod, NULL });
		if (rc == want || t + 3 >= seconds)
			fprintf(stderr, "check %s -> %d:\n%s\n", pod, rc, pi_buf_str(&out));
		pi_buf_free(&out);
		if (rc == want)
			break;
		sleep(3);
	}
	return rc;
}

static void test_teams_listed(void **state)
{
	(void)state;
	int rc;
	json_t *j = bin_json((const char *[]){ "-c", lab_file, "teams", "--format", "json", NULL }, &rc);
	assert_int_equal(rc, 0);
	assert_int_equal(json_array_size(json_object_get(j, "teams")), 2);
	json_decref(j);
}

/* The blue team's skeleton fails, with a hint on every failed item. */
static void test_unconfigured_fails_with_hints(void **state)
{
	(void)state;
	int rc;
	json_t *j = bin_json((const char *[]){ "-c", lab_file, "check", "blue-isp", "--format", "json", NULL }, &rc);
	assert_int_equal(rc, 1);
	assert_false(json_is_true(json_object_get(j, "pass")));
	json_t *items = json_object_get(json_array_get(json_object_get(j, "pods"), 0), "items");
	size_t i, failed = 0;
	json_t *it;
	json_array_foreach(items, i, it)
	{
		if (json_is_true(json_object_get(it, "pass")))
			continue;
		failed++;
		assert_true(strlen(json_string_value(json_object_get(it, "hint"))) > 0);
	}
	assert_true(failed > 0);
	json_decref(j);
}

static void test_student_configures_red(void **state)
{
	(void)state;
	static const char *const routers[] = { "red-isp-border1", "red-isp-access1" };
	for (size_t i = 0; i < 2; i++) {
		char *s = solution(routers[i]);
		student_writes(routers[i], s);
		free(s);
	}
	assert_int_equal(check_until("red-isp", 0, CHECK_WAIT_S), 0);
}

/* Every pair of nodes not involving the blue pod answers, both families. */
static void test_rest_undisturbed(void **state)
{
	(void)state;
	uint32_t blue = pi_plan_pod_by_name(plan, "blue-isp");
	struct pi_verify v;
	memset(&v, 0, sizeof(v));
	struct pi_diag d;
	pi_diag_init(&d);
	assert_int_equal(pi_apply_verify(&backend, plan, PI_VERIFY_REACH, 0, &v, &d), 0);
	unsigned long pairs = 0, bad = 0;
	for (int f = 0; f < 2; f++) {
		const struct pi_verify_reach *r = &v.reach[f];
		for (uint32_t s = 0; s < plan->n_nodes; s++)
			for (uint32_t t = 0; t < plan->n_nodes; t++) {
				if (s == t || !r->source[s] || !r->target[t] || plan->nodes[s].pod == blue ||
				    plan->nodes[t].pod == blue)
					continue;
				pairs++;
				if (!r->ok[(size_t)s * plan->n_nodes + t]) {
					if (bad++ < 10)
						fprintf(stderr, "IPv%d %s -> %s fails\n", f ? 6 : 4, plan->nodes[s].name,
							plan->nodes[t].name);
				}
			}
	}
	pi_verify_free(&v);
	pi_diag_free(&d);
	assert_true(pairs > 100);
	assert_int_equal(bad, 0);
}

/* save, teardown, setup, restore: the red pod works again. */
static void test_save_teardown_setup_restore(void **state)
{
	(void)state;
	struct pi_buf out;
	pi_buf_init(&out);
	assert_int_equal(run_bin(&out, (const char *[]){ "-c", lab_file, "save", "--team", "red", NULL }), 0);
	assert_int_equal(run_bin(NULL, (const char *[]){ "-c", lab_file, "teardown", NULL }), 0);
	assert_int_equal(run_bin(NULL, (const char *[]){ "-c", lab_file, "setup", "--timeout", "240", NULL }), 0);
	/* A fresh setup is the skeleton again. */
	assert_int_equal(check_until("red-isp", 1, 3), 1);
	assert_int_equal(run_bin(&out, (const char *[]){ "-c", lab_file, "save", "--list", "--team", "red", NULL }), 0);
	assert_non_null(strstr(pi_buf_str(&out), "red "));
	assert_int_equal(run_bin(&out, (const char *[]){ "-c", lab_file, "restore", "--team", "red", NULL }), 0);
	assert_non_null(strstr(pi_buf_str(&out), "2 reconfigured"));
	assert_int_equal(check_until("red-isp", 0, CHECK_WAIT_S), 0);
	pi_buf_free(&out);
}

/* reset: the skeleton is back in the node, and check fails again. */
static void test_reset(void **state)
{
	(void)state;
	assert_int_equal(run_bin(NULL, (const char *[]){ "-c", lab_file, "reset", "red-isp", NULL }), 0);
	struct pi_buf out;
	pi_buf_init(&out);
	uint32_t n = pi_plan_node_by_name(plan, "red-isp-border1");
	assert_int_equal(node_exec(n, &out, (const char *[]){ "cat", PI_NODE_CONF_DIR "/bird.conf", NULL }), 0);
	assert_non_null(strstr(pi_buf_str(&out), "# ==== EXERCISE POD red-isp"));
	assert_null(strstr(pi_buf_str(&out), "\nprotocol bgp ebgp_"));
	pi_buf_free(&out);
	assert_int_equal(check_until("red-isp", 1, 30), 1);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_teams_listed),
		cmocka_unit_test(test_unconfigured_fails_with_hints),
		cmocka_unit_test(test_student_configures_red),
		cmocka_unit_test(test_rest_undisturbed),
		cmocka_unit_test(test_save_teardown_setup_restore),
		cmocka_unit_test(test_reset),
	};
	return e2e_main(argc, argv, "test-teams", tests, sizeof(tests) / sizeof(tests[0]), group_setup, group_teardown);
}
