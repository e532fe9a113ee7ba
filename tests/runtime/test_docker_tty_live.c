/*
 * Terminal sessions against a real Docker engine (suite 'docker'), through
 * the backend table's tty_open / tty_resize / tty_close: a login shell in
 * a running container answers `echo hi`, takes a new size (`stty size`),
 * has TERM=xterm-256color, ends by itself with its exit status, and when
 * closed while it runs is gone from the container (no bash left behind).
 * Exits 77 (skipped) when no engine answers. The node image is built when
 * missing. Everything made is labelled and removed.
 */
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
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

/* Reads the session until its output holds want (10 s at most). */
static bool read_until(int fd, const char *want, struct pi_buf *got)
{
	for (int i = 0; i < 1000; i++) {
		if (strstr(pi_buf_str(got), want))
			return true;
		struct pollfd pf = { .fd = fd, .events = POLLIN };
		if (poll(&pf, 1, 10) <= 0)
			continue;
		char chunk[4096];
		ssize_t n = read(fd, chunk, sizeof(chunk));
		if (n == 0)
			break;
		if (n > 0)
			pi_buf_write(got, chunk, (size_t)n);
	}
	return strstr(pi_buf_str(got), want) != NULL;
}

static void type(int fd, const char *s)
{
	size_t n = strlen(s);
	while (n) {
		ssize_t w = write(fd, s, n);
		if (w < 0 && errno == EAGAIN) {
			usleep(1000);
			continue;
		}
		assert_true(w > 0);
		s += w;
		n -= (size_t)w;
	}
}

static struct pi_tty *open_shell(unsigned cols, unsigned rows)
{
	static const char *const sh[] = { "/bin/bash", "-l" };
	struct pi_diag diag;
	pi_diag_init(&diag);
	struct pi_tty *t = NULL;
	int rc = live_be.ops->tty_open(&live_be, live_lab, "n1", sh, 2, cols, rows, &t, &diag);
	if (rc)
		pi_diag_print(&diag, stderr);
	assert_int_equal(rc, 0);
	pi_diag_free(&diag);
	return t;
}

/* How many bash processes run in n1 (ps's own shell not counted). */
static int bashes(void)
{
	const char *const argv[] = { "sh", "-c", "ps -eo comm= | grep -c '^bash$' || true" };
	struct pi_exec_result res;
	pi_exec_result_init(&res);
	assert_int_equal(live_be.ops->exec(&live_be, live_lab, "n1", argv, 3, NULL, &res, NULL), 0);
	int n = atoi(pi_buf_str(&res.out));
	pi_exec_result_free(&res);
	return n;
}

static void test_echo_resize_term(void **state)
{
	(void)state;
	alarm(60);
	struct pi_tty *t = open_shell(80, 24);
	int fd = pi_tty_fd(t);
	struct pi_buf got;
	pi_buf_init(&got);
	/* The marker is split so that the typed line's echo does not match it. */
	type(fd, "echo h''i-$((6*7))\r");
	assert_true(read_until(fd, "hi-42", &got));
	type(fd, "stty size; echo \"t=$TERM\"\r");
	assert_true(read_until(fd, "24 80", &got));
	assert_true(read_until(fd, "t=xterm-256color", &got));
	assert_int_equal(live_be.ops->tty_resize(&live_be, t, 132, 43, NULL), 0);
	type(fd, "stty size | sed 's/ /x/'\r");
	assert_true(read_until(fd, "43x132", &got));
	/* It ends by itself: end of file, then its status. */
	type(fd, "exit 7\r");
	struct pollfd pf = { .fd = fd, .events = POLLIN };
	char buf[4096];
	ssize_t n = 1;
	for (int i = 0; i < 1000 && n != 0; i++)
		if (poll(&pf, 1, 10) > 0)
			n = read(fd, buf, sizeof(buf));
	assert_int_equal(n, 0);
	assert_int_equal(live_be.ops->tty_close(&live_be, t), 7);
	pi_buf_free(&got);
	alarm(0);
}

static void test_close_leaves_nothing(void **state)
{
	(void)state;
	alarm(60);
	int before = bashes();
	struct pi_tty *t = open_shell(80, 24);
	struct pi_buf got;
	pi_buf_init(&got);
	type(pi_tty_fd(t), "echo rea''dy\r");
	assert_true(read_until(pi_tty_fd(t), "ready", &got));
	assert_int_equal(bashes(), before + 1);
	/* Closed while it runs: hung up, no status, and gone from the node. */
	assert_int_equal(live_be.ops->tty_close(&live_be, t), -1);
	assert_int_equal(bashes(), before);
	pi_buf_free(&got);
	alarm(0);
}

int main(void)
{
	if (!live_engine_open())
		return 77; /* skipped */
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_echo_resize_term),
		cmocka_unit_test(test_close_leaves_nothing),
	};
	int rc = cmocka_run_group_tests(tests, live_setup_all, live_teardown_all);
	live_engine_close();
	return rc;
}
