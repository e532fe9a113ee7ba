/*
 * Streamed exec against a real Docker engine (suite 'docker'), through the
 * backend table's exec_stream: output arrives while the command runs,
 * piped stdin reaches cat and its end ends it, the exit status comes back,
 * a time limit kills, and a cancel stops `ping` (SIGINT: its summary still
 * arrives), a shell that traps SIGINT, and (second raise: SIGTERM) one that
 * survives it. Exits 77 (skipped) when no engine answers. The node
 * image is built when missing. Everything made is labelled and removed.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include "docker_internal.h"
#include "live_engine.h"

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct got {
	struct pi_buf out, err;
	double first;           /* when the first stdout byte came */
	const char *cancel_at;  /* raise *cancel once stdout holds this */
	const char *again_at;   /* raise it again once stdout holds this */
	volatile int *cancel;
};

static int on_out(void *ctx, enum pi_exec_stream stream, const char *p, size_t n)
{
	struct got *g = ctx;
	if (stream == PI_EXEC_STDOUT && g->out.len == 0)
		g->first = now_s();
	pi_buf_write(stream == PI_EXEC_STDOUT ? &g->out : &g->err, p, n);
	if (g->cancel_at && *g->cancel == 0 && strstr(pi_buf_str(&g->out), g->cancel_at))
		*g->cancel = 1;
	if (g->again_at && *g->cancel == 1 && strstr(pi_buf_str(&g->out), g->again_at))
		*g->cancel = 2;
	return 0;
}

/* Runs argv in n1; returns the exit status, failing the test on an error. */
static int run(const char *const *argv, size_t argc, int in_fd, struct got *g, volatile int *cancel)
{
	struct pi_diag diag;
	pi_diag_init(&diag);
	pi_buf_init(&g->out);
	pi_buf_init(&g->err);
	int code = -1;
	int rc = live_be.ops->exec_stream(&live_be, live_lab, "n1", argv, argc, NULL, in_fd, on_out, g, &code, cancel,
					  &diag);
	if (rc)
		pi_diag_print(&diag, stderr);
	assert_int_equal(rc, 0);
	pi_diag_free(&diag);
	return code;
}

static void got_free(struct got *g)
{
	pi_buf_free(&g->out);
	pi_buf_free(&g->err);
}

static void test_output_before_the_end(void **state)
{
	(void)state;
	struct got g = { 0 };
	const char *const argv[] = { "sh", "-c", "echo a; sleep 2; echo b; echo e >&2" };
	assert_int_equal(run(argv, 3, -1, &g, NULL), 0);
	double end = now_s();
	assert_string_equal(pi_buf_str(&g.out), "a\nb\n");
	assert_string_equal(pi_buf_str(&g.err), "e\n");
	/* 'a' came while the command still slept, not with the rest at the end. */
	assert_true(end - g.first >= 1.0);
	got_free(&g);
}

static void test_stdin_to_cat(void **state)
{
	(void)state;
	int pfd[2];
	assert_int_equal(pipe(pfd), 0);
	assert_int_equal(write(pfd[1], "hello\nworld\n", 12), 12);
	close(pfd[1]);
	struct got g = { 0 };
	const char *const argv[] = { "cat" };
	/* cat ends only because the end of our pipe closes its stdin. */
	assert_int_equal(run(argv, 1, pfd[0], &g, NULL), 0);
	close(pfd[0]);
	assert_string_equal(pi_buf_str(&g.out), "hello\nworld\n");
	got_free(&g);
	/* Without stdin the command reads an empty one. */
	assert_int_equal(run(argv, 1, -1, &g, NULL), 0);
	assert_string_equal(pi_buf_str(&g.out), "");
	got_free(&g);
}

static void test_exit_status(void **state)
{
	(void)state;
	struct got g = { 0 };
	const char *const argv[] = { "sh", "-c", "exit 3" };
	assert_int_equal(run(argv, 3, -1, &g, NULL), 3);
	got_free(&g);
}

static void test_time_limit(void **state)
{
	(void)state;
	struct pi_diag diag;
	pi_diag_init(&diag);
	struct got g = { 0 };
	pi_buf_init(&g.out);
	pi_buf_init(&g.err);
	const char *const argv[] = { "sleep", "30" };
	struct pi_exec_opts o = { .timeout_s = 1 };
	int code = -1;
	double t0 = now_s();
	assert_int_equal(live_be.ops->exec_stream(&live_be, live_lab, "n1", argv, 2, &o, -1, on_out, &g, &code, NULL,
						  &diag),
			 -ETIMEDOUT);
	assert_true(now_s() - t0 < 10);
	assert_int_equal(code, 128 + SIGKILL);
	assert_int_equal(pi_diag_count(&diag), 1);
	pi_diag_free(&diag);
	got_free(&g);
}

static void test_cancel(void **state)
{
	(void)state;
	alarm(60);
	/* ping without -c: SIGINT ends it, and its summary still arrives. */
	volatile int cancel = 0;
	struct got g = { .cancel_at = "icmp_seq=2", .cancel = &cancel };
	const char *const ping[] = { "ping", "-i", "0.2", "127.0.0.1" };
	double t0 = now_s();
	int code = run(ping, 4, -1, &g, &cancel);
	assert_true(now_s() - t0 < 20);
	assert_int_equal(code, 0); /* ping exits 0 when replies came */
	assert_non_null(strstr(pi_buf_str(&g.out), "packets transmitted"));
	got_free(&g);
	/* A command that traps SIGINT sees it as such. */
	cancel = 0;
	g = (struct got){ .cancel_at = "ready", .cancel = &cancel };
	const char *const trap[] = { "sh", "-c", "trap 'echo got INT; exit 7' INT; echo ready; while :; do sleep 0.1; done" };
	assert_int_equal(run(trap, 3, -1, &g, &cancel), 7);
	assert_string_equal(pi_buf_str(&g.out), "ready\ngot INT\n");
	got_free(&g);
	/* One that survives SIGINT falls to the second raise: SIGTERM, 128+15. */
	cancel = 0;
	g = (struct got){ .cancel_at = "ready", .cancel = &cancel, .again_at = "still" };
	const char *const stubborn[] = { "sh", "-c", "trap 'echo still' INT; echo ready; while :; do sleep 0.1; done" };
	assert_int_equal(run(stubborn, 3, -1, &g, &cancel), 128 + SIGTERM);
	assert_string_equal(pi_buf_str(&g.out), "ready\nstill\n");
	got_free(&g);
	alarm(0);
}

int main(void)
{
	if (!live_engine_open())
		return 77; /* skipped */
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_output_before_the_end),
		cmocka_unit_test(test_stdin_to_cat),
		cmocka_unit_test(test_exit_status),
		cmocka_unit_test(test_time_limit),
		cmocka_unit_test(test_cancel),
	};
	int rc = cmocka_run_group_tests(tests, live_setup_all, live_teardown_all);
	live_engine_close();
	return rc;
}
