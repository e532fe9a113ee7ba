/*
 * CLI behaviour as a user sees it: help on every command, the version, exit
 * codes (0 ok, 1 runtime failure, 2 usage/input error) and positioned
 * errors. Runs the real binary; needs neither root nor Docker.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
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
#include "cli_run.h"

static const char *srcdir;

static void test_version_and_help(void **state)
{
	(void)state;
	struct pi_buf out;
	pi_buf_init(&out);
	assert_int_equal(cli_run(&out, (const char *[]){ "--version", NULL }), 0);
	assert_non_null(strstr(pi_buf_str(&out), "pocketinternet "));
	assert_int_equal(cli_run(&out, (const char *[]){ "--help", NULL }), 0);
	static const char *const cmds[] = { "plan", "render", "setup", "teardown", "status", "exec", "shell",
					    "configure-docker", "image", "labs", "serve" };
	for (size_t i = 0; i < PI_ARRAY_LEN(cmds); i++) {
		struct pi_buf help;
		pi_buf_init(&help);
		/* Every command is listed in the top-level help ... */
		assert_non_null(strstr(pi_buf_str(&out), cmds[i]));
		/* ... and answers --help with its own usage, exit 0. */
		assert_int_equal(cli_run(&help, (const char *[]){ cmds[i], "--help", NULL }), 0);
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
	assert_int_equal(cli_run(&out, (const char *[]){ "frobnicate", NULL }), 2);
	assert_non_null(strstr(pi_buf_str(&out), "unknown command"));
	assert_int_equal(cli_run(&out, (const char *[]){ NULL }), 2);
	assert_int_equal(cli_run(&out, (const char *[]){ "plan", "--format", "xml", NULL }), 2);
	assert_non_null(strstr(pi_buf_str(&out), "unknown format"));
	assert_int_equal(cli_run(&out, (const char *[]){ "-c", "/nonexistent/lab.yml", "plan", NULL }), 2);
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
	assert_int_equal(cli_run(&out, (const char *[]){ "-c", path, "plan", NULL }), 2);
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
	assert_int_equal(cli_run(&out, (const char *[]){ "-c", lab, "plan", NULL }), 0);
	assert_non_null(strstr(pi_buf_str(&out), "AS"));
	assert_int_equal(cli_run(&out, (const char *[]){ "plan", "-c", lab, "--format", "json", NULL }), 0);
	assert_int_equal(pi_buf_str(&out)[0], '{');
	assert_int_equal(cli_run(&out, (const char *[]){ "-c", lab, "plan", "--format", "dot", NULL }), 0);
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
	assert_int_equal(cli_run(&out, (const char *[]){ "plan", eq, NULL }), 0);
	assert_non_null(strstr(pi_buf_str(&out), "lab tiny"));
	assert_int_equal(cli_run(&out, (const char *[]){ "plan", "--format", "text", "-c", lab, NULL }), 0);
	assert_non_null(strstr(pi_buf_str(&out), "lab tiny"));
	assert_int_equal(cli_run(&out, (const char *[]){ "status", "-c", lab, "--lab", "tiny", NULL }), 2);
	assert_non_null(strstr(pi_buf_str(&out), "not both"));
	assert_int_equal(cli_run(&out, (const char *[]){ "status", "--lab", NULL }), 2);
	assert_int_equal(cli_run(&out, (const char *[]){ "--lab", "tiny", "-c", lab, "status", NULL }), 2);
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
	assert_int_equal(cli_run(&plan, (const char *[]){ "-c", lab, "plan", "--format", "json", NULL }), 0);
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

/* exec through the real binary on the fake backend, seeded with node n1 of
 * lab t: stdout and stderr apart, stdin from a pipe holding input (left
 * open when hold), SIGINT once the first line is out when interrupt, our
 * end of stdout closed at once when cut. Returns the exit status. */
struct exec_run {
	const char *input;
	bool hold, interrupt, cut;
	struct pi_buf out, err;
};

static void exec_child(int in[2], int out[2], int err[2], const char *const *argv)
{
	dup2(in[0], 0);
	dup2(out[1], 1);
	dup2(err[1], 2);
	for (int i = 0; i < 2; i++) {
		close(in[i]);
		close(out[i]);
		close(err[i]);
	}
	setenv("POCKETINTERNET_BACKEND", "fake", 1);
	setenv("POCKETINTERNET_FAKE_NODES", "t/n1", 1);
	const char *args[32] = { cli_bin, "--lab", "t", "exec" };
	for (int i = 0; argv[i] && i < 27; i++)
		args[i + 4] = argv[i];
	execv(cli_bin, (char **)args);
	_exit(127);
}

static void drain(int fd, struct pi_buf *b, bool one_line)
{
	char c[4096];
	ssize_t n;
	while ((n = read(fd, c, one_line ? 1 : sizeof(c))) > 0) {
		pi_buf_write(b, c, (size_t)n);
		if (one_line && c[0] == '\n')
			return;
	}
}

static int run_exec(struct exec_run *r, const char *const *argv)
{
	int in[2], out[2], err[2];
	assert_int_equal(pipe(in), 0);
	assert_int_equal(pipe(out), 0);
	assert_int_equal(pipe(err), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		exec_child(in, out, err, argv);
	close(in[0]);
	close(out[1]);
	close(err[1]);
	if (r->cut)
		close(out[0]);
	if (r->input)
		assert_int_equal(write(in[1], r->input, strlen(r->input)), (ssize_t)strlen(r->input));
	if (!r->hold)
		close(in[1]);
	pi_buf_init(&r->out);
	pi_buf_init(&r->err);
	if (r->interrupt) {
		drain(out[0], &r->out, true); /* the command runs: now Ctrl-C */
		kill(pid, SIGINT);
	}
	if (!r->cut)
		drain(out[0], &r->out, false);
	drain(err[0], &r->err, false);
	int st;
	waitpid(pid, &st, 0);
	if (r->hold)
		close(in[1]);
	if (!r->cut)
		close(out[0]);
	close(err[0]);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void test_exec_streams_on_fake(void **state)
{
	(void)state;
	signal(SIGPIPE, SIG_IGN);
	alarm(30);
	/* Piped stdin goes to the command, and its end ends the command. */
	struct exec_run r = { .input = "abc\n" };
	assert_int_equal(run_exec(&r, (const char *[]){ "n1", "--", "echo", "hi there", NULL }), 0);
	assert_string_equal(pi_buf_str(&r.out), "echo hi there\nabc\n");
	assert_string_equal(pi_buf_str(&r.err), "");
	pi_buf_free(&r.out);
	pi_buf_free(&r.err);
	/* Ctrl-C while it runs: the command is stopped, exit 128+SIGINT. */
	r = (struct exec_run){ .hold = true, .interrupt = true };
	assert_int_equal(run_exec(&r, (const char *[]){ "n1", "--", "ping", "10.0.0.1", NULL }), 130);
	assert_string_equal(pi_buf_str(&r.out), "ping 10.0.0.1\n");
	pi_buf_free(&r.out);
	pi_buf_free(&r.err);
	/* Our reader went away (| head): exit as a cut pipeline does, quietly. */
	r = (struct exec_run){ .hold = true, .cut = true };
	assert_int_equal(run_exec(&r, (const char *[]){ "n1", "--", "yes", NULL }), 128 + SIGPIPE);
	assert_string_equal(pi_buf_str(&r.err), "");
	pi_buf_free(&r.out);
	pi_buf_free(&r.err);
	/* A node the lab does not have: exit 1, with what to do. */
	r = (struct exec_run){ 0 };
	assert_int_equal(run_exec(&r, (const char *[]){ "n9", "--", "true", NULL }), 1);
	assert_non_null(strstr(pi_buf_str(&r.err), "no fake node n9"));
	assert_non_null(strstr(pi_buf_str(&r.err), "hint: is lab 't' up and is 'n9' one of its nodes?"));
	pi_buf_free(&r.out);
	pi_buf_free(&r.err);
	alarm(0);
}

/* lg and paths: help, usage errors, and paths --plan-only, which needs no running lab. */
static void test_lg_paths(void **state)
{
	(void)state;
	char lab[4096];
	snprintf(lab, sizeof(lab), "%s/labs/lab.yml", srcdir);
	struct pi_buf out;
	pi_buf_init(&out);
	assert_int_equal(cli_run(&out, (const char *[]){ "--help", NULL }), 0);
	assert_non_null(strstr(pi_buf_str(&out), "  lg "));
	assert_non_null(strstr(pi_buf_str(&out), "  paths "));
	assert_int_equal(cli_run(&out, (const char *[]){ "lg", "--help", NULL }), 0);
	assert_non_null(strstr(pi_buf_str(&out), "usage: pocketinternet"));
	assert_int_equal(cli_run(&out, (const char *[]){ "paths", "--help", NULL }), 0);
	assert_int_equal(cli_run(&out, (const char *[]){ "lg", NULL }), 2);
	assert_int_equal(cli_run(&out, (const char *[]){ "lg", "r1", "10.0.0.0/33", NULL }), 2);
	assert_non_null(strstr(pi_buf_str(&out), "neither a prefix"));
	assert_int_equal(cli_run(&out, (const char *[]){ "lg", "r1", "10.0.0.1", "--sessions", NULL }), 2);
	assert_int_equal(cli_run(&out, (const char *[]){ "paths", "a", NULL }), 2);
	assert_int_equal(cli_run(&out, (const char *[]){ "paths", "a", "b", "--max", "0", NULL }), 2);
	assert_int_equal(cli_run(&out, (const char *[]){ "-c", lab, "paths", "broadband1-sub1", "broadband2-sub", "--plan-only", NULL }), 2);
	assert_non_null(strstr(pi_buf_str(&out), "did you mean"));
	assert_int_equal(cli_run(&out, (const char *[]){ "-c", lab, "paths", "broadband1-sub1", "broadband2-sub1", "--plan-only",
						    "--max", "3", NULL }),
			 0);
	const char *t = pi_buf_str(&out);
	assert_non_null(strstr(t, "Router-level paths: "));
	assert_non_null(strstr(t, "the 3 shortest"));
	assert_non_null(strstr(t, "  1. (6 hops) broadband1-sub1 > broadband1-access1 > broadband1-border1 > "));
	assert_non_null(strstr(t, "(shortest allowed)"));
	assert_null(strstr(t, "traceroute"));
	assert_int_equal(cli_run(&out, (const char *[]){ "-c", lab, "paths", "broadband1-sub1", "broadband2-sub1", "--plan-only",
						    "--format", "json", NULL }),
			 0);
	assert_non_null(strstr(pi_buf_str(&out), "\"router_paths\""));
	assert_non_null(strstr(pi_buf_str(&out), "\"shortest_allowed\": true"));
	pi_buf_free(&out);
}

/* teams, save, restore, reset and check: help, argument errors, and the
 * whole save cycle on the fake backend (its nodes have no daemon: the
 * configs are read and written in the rendered state directory). */
static void test_teams_and_saves(void **state)
{
	(void)state;
	char lab[4096], root[] = "/tmp/pi-cli-teams-XXXXXX", dir[4200], conf[4300];
	snprintf(lab, sizeof(lab), "%s/labs/teams.yml", srcdir);
	assert_non_null(mkdtemp(root));
	struct pi_buf out;
	pi_buf_init(&out);
	static const char *const cmds[] = { "teams", "save", "restore", "reset", "check", "ssh-gateway" };
	for (size_t i = 0; i < PI_ARRAY_LEN(cmds); i++) {
		assert_int_equal(cli_run(&out, (const char *[]){ cmds[i], "--help", NULL }), 0);
		assert_non_null(strstr(pi_buf_str(&out), "--format"));
	}
	assert_int_equal(cli_run(&out, (const char *[]){ "-c", lab, "teams", NULL }), 0);
	assert_non_null(strstr(pi_buf_str(&out), "red-isp (bgp)"));
	assert_non_null(strstr(pi_buf_str(&out), "user red "));
	assert_non_null(strstr(pi_buf_str(&out), "port 2200 -> red-isp-border1"));
	assert_non_null(strstr(pi_buf_str(&out), "port 2201 -> blue-isp-border1"));
	assert_int_equal(cli_run(&out, (const char *[]){ "-c", lab, "teams", "--ssh-key", "red", NULL }), 2);
	assert_int_equal(cli_run(&out, (const char *[]){ "-c", lab, "teams", "--format", "json", NULL }), 0);
	assert_non_null(strstr(pi_buf_str(&out), "\"configure\": \"all\""));
	assert_int_equal(cli_run(&out, (const char *[]){ "save", NULL }), 2);
	assert_int_equal(cli_run(&out, (const char *[]){ "check", "red-isp", "--all", NULL }), 2);
	assert_int_equal(cli_run(&out, (const char *[]){ "reset", "a", "b", NULL }), 2);
	assert_int_equal(cli_run(&out, (const char *[]){ "restore", "-o", "x", "red-isp", NULL }), 2);

	setenv("POCKETINTERNET_BACKEND", "fake", 1);
	setenv("POCKETINTERNET_FAKE_NODES", "teams/red-isp-border1,teams/red-isp-access1", 1);
	setenv("POCKETINTERNET_STATE", root, 1);
	assert_int_equal(cli_run(&out, (const char *[]){ "-c", lab, "teams", "--reset-password", "green", NULL }), 2);
	snprintf(dir, sizeof(dir), "%s/teams", root);
	assert_int_equal(cli_run(&out, (const char *[]){ "-c", lab, "render", "-o", dir, NULL }), 0);
	snprintf(conf, sizeof(conf), "%s/red-isp-border1/bird.conf", dir);
	assert_int_equal(pi_write_file(conf, "# mine\n", 7, 0644), 0);
	assert_int_equal(cli_run(&out, (const char *[]){ "-c", lab, "save", "red-isp", NULL }), 0);
	assert_non_null(strstr(pi_buf_str(&out), "saved 2 router configs of red-isp"));
	assert_int_equal(cli_run(&out, (const char *[]){ "-c", lab, "save", "--list", "--format", "json", NULL }), 0);
	assert_non_null(strstr(pi_buf_str(&out), "\"owner\": \"red-isp\""));
	assert_int_equal(cli_run(&out, (const char *[]){ "-c", lab, "reset", "red-isp", NULL }), 0);
	assert_non_null(strstr(pi_buf_str(&out), "reset 2 router configs"));
	assert_int_equal(cli_run(&out, (const char *[]){ "-c", lab, "restore", "red-isp", "--format", "json", NULL }),
			 0);
	assert_non_null(strstr(pi_buf_str(&out), "\"nodes\": 2"));
	char *s = NULL;
	size_t n;
	assert_int_equal(pi_read_file(conf, &s, &n), 0);
	assert_string_equal(s, "# mine\n");
	free(s);
	assert_int_equal(cli_run(&out, (const char *[]){ "-c", lab, "restore", "--team", "blue", NULL }), 2);
	assert_non_null(strstr(pi_buf_str(&out), "blue has no save yet"));
	assert_int_equal(cli_run(&out, (const char *[]){ "-c", lab, "teams", "--passwords", NULL }), 0);
	assert_non_null(strstr(pi_buf_str(&out), "user blue password "));
	unsetenv("POCKETINTERNET_STATE");
	unsetenv("POCKETINTERNET_FAKE_NODES");
	unsetenv("POCKETINTERNET_BACKEND");
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	assert_int_equal(system(cmd), 0);
	pi_buf_free(&out);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: test-cli PATH-TO-pocketinternet\n");
		return 2;
	}
	cli_bin = argv[1];
	srcdir = getenv("PI_SOURCE_DIR") ? getenv("PI_SOURCE_DIR") : ".";
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_version_and_help),
		cmocka_unit_test(test_usage_errors),
		cmocka_unit_test(test_plan_bad_file_has_position),
		cmocka_unit_test(test_plan_formats),
		cmocka_unit_test(test_lab_options),
		cmocka_unit_test(test_readme_nodes_exist),
		cmocka_unit_test(test_exec_streams_on_fake),
		cmocka_unit_test(test_lg_paths),
		cmocka_unit_test(test_teams_and_saves),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
