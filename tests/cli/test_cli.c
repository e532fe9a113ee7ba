/*
 * CLI behaviour as a user sees it: help on every command, the version, exit
 * codes (0 ok, 1 runtime failure, 2 usage/input error) and positioned
 * errors. Runs the real binary; needs neither root nor Docker.
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
#include "pocketinternet/util.h"

static const char *bin;
static const char *srcdir;

/* Runs the binary with a shell-free argv; captures stdout+stderr. */
static int run(struct pi_buf *out, const char *const *argv)
{
	int pfd[2];
	assert_int_equal(pipe(pfd), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(pfd[1], 1);
		dup2(pfd[1], 2);
		close(pfd[0]);
		const char *args[32] = { bin };
		for (int i = 0; argv[i]; i++)
			args[i + 1] = argv[i];
		execv(bin, (char **)args);
		_exit(127);
	}
	close(pfd[1]);
	char buf[4096];
	ssize_t n;
	pi_buf_reset(out);
	while ((n = read(pfd[0], buf, sizeof(buf))) > 0)
		pi_buf_write(out, buf, (size_t)n);
	close(pfd[0]);
	int st;
	waitpid(pid, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void test_version_and_help(void **state)
{
	(void)state;
	struct pi_buf out;
	pi_buf_init(&out);
	assert_int_equal(run(&out, (const char *[]){ "--version", NULL }), 0);
	assert_non_null(strstr(pi_buf_str(&out), "pocketinternet "));
	assert_int_equal(run(&out, (const char *[]){ "--help", NULL }), 0);
	static const char *const cmds[] = { "plan", "render", "setup", "teardown", "status", "exec", "shell",
					    "configure-docker", "image", "labs" };
	for (size_t i = 0; i < PI_ARRAY_LEN(cmds); i++) {
		struct pi_buf help;
		pi_buf_init(&help);
		/* Every command is listed in the top-level help ... */
		assert_non_null(strstr(pi_buf_str(&out), cmds[i]));
		/* ... and answers --help with its own usage, exit 0. */
		assert_int_equal(run(&help, (const char *[]){ cmds[i], "--help", NULL }), 0);
		assert_non_null(strstr(pi_buf_str(&help), "usage: pocketinternet"));
		pi_buf_free(&help);
	}
	pi_buf_free(&out);
}

static void test_usage_errors(void **state)
{
	(void)state;
	struct pi_buf out;
	pi_buf_init(&out);
	assert_int_equal(run(&out, (const char *[]){ "frobnicate", NULL }), 2);
	assert_non_null(strstr(pi_buf_str(&out), "unknown command"));
	assert_int_equal(run(&out, (const char *[]){ NULL }), 2);
	assert_int_equal(run(&out, (const char *[]){ "plan", "--format", "xml", NULL }), 2);
	assert_non_null(strstr(pi_buf_str(&out), "unknown format"));
	assert_int_equal(run(&out, (const char *[]){ "-c", "/nonexistent/lab.yml", "plan", NULL }), 2);
	assert_non_null(strstr(pi_buf_str(&out), "/nonexistent/lab.yml"));
	pi_buf_free(&out);
}

static void test_plan_bad_file_has_position(void **state)
{
	(void)state;
	char path[] = "/tmp/pi-cli-XXXXXX.yml";
	int fd = mkstemps(path, 4);
	assert_true(fd >= 0);
	static const char bad[] = "name: bad\nseed: 1\npods:\n  transit: 2\n  nosuchblueprint: 1\n";
	assert_int_equal(write(fd, bad, sizeof(bad) - 1), (ssize_t)sizeof(bad) - 1);
	close(fd);
	struct pi_buf out;
	pi_buf_init(&out);
	assert_int_equal(run(&out, (const char *[]){ "-c", path, "plan", NULL }), 2);
	char want[128];
	snprintf(want, sizeof(want), "%s:5:3:", path);
	assert_non_null(strstr(pi_buf_str(&out), want));
	unlink(path);
	pi_buf_free(&out);
}

static void test_plan_formats(void **state)
{
	(void)state;
	char lab[4096];
	snprintf(lab, sizeof(lab), "%s/labs/tiny.yml", srcdir);
	struct pi_buf out;
	pi_buf_init(&out);
	assert_int_equal(run(&out, (const char *[]){ "-c", lab, "plan", NULL }), 0);
	assert_non_null(strstr(pi_buf_str(&out), "AS"));
	assert_int_equal(run(&out, (const char *[]){ "plan", "-c", lab, "--format", "json", NULL }), 0);
	assert_int_equal(pi_buf_str(&out)[0], '{');
	assert_int_equal(run(&out, (const char *[]){ "-c", lab, "plan", "--format", "dot", NULL }), 0);
	assert_non_null(strstr(pi_buf_str(&out), "digraph"));
	pi_buf_free(&out);
}

/* -c and --lab are taken wherever they stand before "--", in every form. */
static void test_lab_options(void **state)
{
	(void)state;
	char lab[4096], eq[4200];
	snprintf(lab, sizeof(lab), "%s/labs/tiny.yml", srcdir);
	snprintf(eq, sizeof(eq), "--config=%s", lab);
	struct pi_buf out;
	pi_buf_init(&out);
	assert_int_equal(run(&out, (const char *[]){ "plan", eq, NULL }), 0);
	assert_non_null(strstr(pi_buf_str(&out), "lab tiny"));
	assert_int_equal(run(&out, (const char *[]){ "plan", "--format", "text", "-c", lab, NULL }), 0);
	assert_non_null(strstr(pi_buf_str(&out), "lab tiny"));
	assert_int_equal(run(&out, (const char *[]){ "status", "-c", lab, "--lab", "tiny", NULL }), 2);
	assert_non_null(strstr(pi_buf_str(&out), "not both"));
	assert_int_equal(run(&out, (const char *[]){ "status", "--lab", NULL }), 2);
	assert_int_equal(run(&out, (const char *[]){ "--lab", "tiny", "-c", lab, "status", NULL }), 2);
	assert_non_null(strstr(pi_buf_str(&out), "not both"));
	pi_buf_free(&out);
}

/* Every node README's examples name exists in the default lab. */
static void test_readme_nodes_exist(void **state)
{
	(void)state;
	char path[4096], lab[4096];
	snprintf(path, sizeof(path), "%s/README.md", srcdir);
	snprintf(lab, sizeof(lab), "%s/labs/lab.yml", srcdir);
	char *readme = NULL;
	assert_int_equal(pi_read_file(path, &readme, NULL), 0);
	struct pi_buf plan;
	pi_buf_init(&plan);
	assert_int_equal(run(&plan, (const char *[]){ "-c", lab, "plan", "--format", "json", NULL }), 0);
	unsigned seen = 0;
	static const char *const verbs[] = { "pocketinternet shell ", "pocketinternet exec " };
	for (size_t v = 0; v < PI_ARRAY_LEN(verbs); v++)
		for (const char *p = strstr(readme, verbs[v]); p; p = strstr(p + 1, verbs[v])) {
			const char *node = p + strlen(verbs[v]);
			size_t len = strcspn(node, " \n`");
			if (len == 0 || node[0] == '-' || strncmp(node, "NODE", 4) == 0)
				continue;
			char want[256];
			snprintf(want, sizeof(want), "\"name\": \"%.*s\"", (int)len, node);
			if (!strstr(pi_buf_str(&plan), want))
				fail_msg("README names node '%.*s', which labs/lab.yml does not have", (int)len, node);
			seen++;
		}
	assert_true(seen >= 2);
	free(readme);
	pi_buf_free(&plan);
}

/* lg and paths: help, usage errors, and paths --plan-only, which needs no running lab. */
static void test_lg_paths(void **state)
{
	(void)state;
	char lab[4096];
	snprintf(lab, sizeof(lab), "%s/labs/lab.yml", srcdir);
	struct pi_buf out;
	pi_buf_init(&out);
	assert_int_equal(run(&out, (const char *[]){ "--help", NULL }), 0);
	assert_non_null(strstr(pi_buf_str(&out), "  lg "));
	assert_non_null(strstr(pi_buf_str(&out), "  paths "));
	assert_int_equal(run(&out, (const char *[]){ "lg", "--help", NULL }), 0);
	assert_non_null(strstr(pi_buf_str(&out), "usage: pocketinternet"));
	assert_int_equal(run(&out, (const char *[]){ "paths", "--help", NULL }), 0);
	assert_int_equal(run(&out, (const char *[]){ "lg", NULL }), 2);
	assert_int_equal(run(&out, (const char *[]){ "lg", "r1", "10.0.0.0/33", NULL }), 2);
	assert_non_null(strstr(pi_buf_str(&out), "neither a prefix"));
	assert_int_equal(run(&out, (const char *[]){ "lg", "r1", "10.0.0.1", "--sessions", NULL }), 2);
	assert_int_equal(run(&out, (const char *[]){ "paths", "a", NULL }), 2);
	assert_int_equal(run(&out, (const char *[]){ "paths", "a", "b", "--max", "0", NULL }), 2);
	assert_int_equal(run(&out, (const char *[]){ "-c", lab, "paths", "broadband1-sub1", "broadband2-sub", "--plan-only", NULL }), 2);
	assert_non_null(strstr(pi_buf_str(&out), "did you mean"));
	assert_int_equal(run(&out, (const char *[]){ "-c", lab, "paths", "broadband1-sub1", "broadband2-sub1", "--plan-only",
						    "--max", "3", NULL }),
			 0);
	const char *t = pi_buf_str(&out);
	assert_non_null(strstr(t, "Router-level paths: "));
	assert_non_null(strstr(t, "the 3 shortest"));
	assert_non_null(strstr(t, "  1. (6 hops) broadband1-sub1 > broadband1-access1 > broadband1-border1 > "));
	assert_non_null(strstr(t, "(shortest allowed)"));
	assert_null(strstr(t, "traceroute"));
	assert_int_equal(run(&out, (const char *[]){ "-c", lab, "paths", "broadband1-sub1", "broadband2-sub1", "--plan-only",
						    "--format", "json", NULL }),
			 0);
	assert_non_null(strstr(pi_buf_str(&out), "\"router_paths\""));
	assert_non_null(strstr(pi_buf_str(&out), "\"shortest_allowed\": true"));
	pi_buf_free(&out);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: test-cli PATH-TO-pocketinternet\n");
		return 2;
	}
	bin = argv[1];
	srcdir = getenv("PI_SOURCE_DIR") ? getenv("PI_SOURCE_DIR") : ".";
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_version_and_help),
		cmocka_unit_test(test_usage_errors),
		cmocka_unit_test(test_plan_bad_file_has_position),
		cmocka_unit_test(test_plan_formats),
		cmocka_unit_test(test_lab_options),
		cmocka_unit_test(test_readme_nodes_exist),
		cmocka_unit_test(test_lg_paths),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
