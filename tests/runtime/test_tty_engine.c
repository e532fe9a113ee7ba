/*
 * The Docker backend's terminal sessions without Docker (suite 'runtime'):
 * tty_open / tty_resize / tty_close against a fake engine on a unix socket.
 * What the exec is created with (a terminal, stdin, TERM), the hijacked
 * start whose first terminal bytes come in the same packet as the reply
 * head (none may be lost), raw bytes both ways, resizes, a close that hangs
 * the program up (SIGHUP to the exec's host pid: a real process stands for
 * it), the exit status of one that ended by itself, and a refused start.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "docker_internal.h"
#include "fake_engine.h"

enum mode { SLEEPER, EXITS, REFUSE };

/* The hijacked start: 101 and the first output in one write, then raw bytes. */
static void serve_start(struct fake_engine *e, int c)
{
	fake_engine_upgrade(e, c, "ready\r\n");
	char buf[256];
	ssize_t n;
	while ((n = read(c, buf, sizeof(buf))) > 0) {
		(void)!write(c, buf, (size_t)n); /* a terminal's echo */
		if (!(e->flags & FAKE_SLEEPER) && memmem(buf, (size_t)n, "exit\r", 5)) {
			/* EXITS: the shell ends by itself */
			fake_engine_put(c, "bye\r\n");
			fake_engine_end(e, 7);
			return;
		}
	}
}

/* A SLEEPER's end is seen when the exec is inspected: nothing waits for it. */
static struct pi_docker *engine_start(struct fake_engine *e, enum mode mode)
{
	static const unsigned flags[] = { [SLEEPER] = FAKE_SLEEPER | FAKE_REAP_ON_STATE, [EXITS] = 0,
					  [REFUSE] = FAKE_REFUSE };
	return fake_engine_start(e, flags[mode], serve_start);
}

static bool read_until(int fd, const char *want, struct pi_buf *got)
{
	for (int i = 0; i < 300 && !strstr(pi_buf_str(got), want); i++) {
		struct pollfd pf = { .fd = fd, .events = POLLIN };
		if (poll(&pf, 1, 10) <= 0)
			continue;
		char chunk[512];
		ssize_t n = read(fd, chunk, sizeof(chunk));
		if (n <= 0)
			break;
		pi_buf_write(got, chunk, (size_t)n);
	}
	return strstr(pi_buf_str(got), want) != NULL;
}

static const char *const shell[] = { "/bin/bash", "-l" };

static void test_open_raw_resize_hang_up(void **state)
{
	(void)state;
	struct fake_engine e;
	struct pi_docker *d = engine_start(&e, SLEEPER);
	struct pi_tty *t = NULL;
	struct pi_diag diag;
	pi_diag_init(&diag);
	assert_int_equal(pi_docker_tty_open(d, "c1", shell, 2, 80, 24, &t, &diag), 0);
	pi_diag_free(&diag);
	json_t *j = json_loads(e.create_body, 0, NULL);
	assert_non_null(j);
	assert_true(json_is_true(json_object_get(j, "Tty")));
	assert_true(json_is_true(json_object_get(j, "AttachStdin")));
	assert_true(json_is_true(json_object_get(j, "AttachStdout")));
	assert_string_equal(json_string_value(json_array_get(json_object_get(j, "Env"), 0)), "TERM=xterm-256color");
	assert_string_equal(json_string_value(json_array_get(json_object_get(j, "Cmd"), 1)), "-l");
	json_decref(j);
	int fd = pi_tty_fd(t);
	struct pi_buf got;
	pi_buf_init(&got);
	/* What came with the reply head is still there for the caller. */
	assert_true(read_until(fd, "ready\r\n", &got));
	assert_int_equal(write(fd, "hi\x03", 3), 3);
	assert_true(read_until(fd, "ready\r\nhi\x03", &got)); /* raw: no frames, control bytes as they are */
	assert_int_equal(pi_docker_tty_resize(d, t, 100, 30, NULL), 0);
	assert_int_equal(pi_docker_tty_resize(d, t, 0, 30, NULL), -EINVAL);
	pthread_mutex_lock(&e.lock);
	assert_string_equal(e.resizes, "h=24&w=80;h=30&w=100;");
	pthread_mutex_unlock(&e.lock);
	/* Closed while running: hung up, no status. */
	assert_int_equal(pi_docker_tty_close(d, t), -1);
	pthread_mutex_lock(&e.lock);
	assert_true(e.ended);
	assert_int_equal(e.child_sig, SIGHUP);
	pthread_mutex_unlock(&e.lock);
	pi_buf_free(&got);
	fake_engine_stop(&e, d);
}

static void test_ends_by_itself(void **state)
{
	(void)state;
	struct fake_engine e;
	struct pi_docker *d = engine_start(&e, EXITS);
	struct pi_tty *t = NULL;
	assert_int_equal(pi_docker_tty_open(d, "c1", shell, 2, 80, 24, &t, NULL), 0);
	int fd = pi_tty_fd(t);
	assert_int_equal(write(fd, "exit\r", 5), 5);
	struct pi_buf got;
	pi_buf_init(&got);
	assert_true(read_until(fd, "bye\r\n", &got));
	struct pollfd pf = { .fd = fd, .events = POLLIN };
	char c;
	assert_int_equal(poll(&pf, 1, 2000), 1);
	assert_int_equal(read(fd, &c, 1), 0); /* end of file: it ended */
	assert_int_equal(pi_docker_tty_close(d, t), 7);
	pi_buf_free(&got);
	fake_engine_stop(&e, d);
}

static void test_refused(void **state)
{
	(void)state;
	struct fake_engine e;
	struct pi_docker *d = engine_start(&e, REFUSE);
	struct pi_tty *t = (struct pi_tty *)&t;
	struct pi_diag diag;
	pi_diag_init(&diag);
	assert_true(pi_docker_tty_open(d, "c1", shell, 2, 80, 24, &t, &diag) < 0);
	assert_null(t);
	char *text = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&text, &len);
	pi_diag_print(&diag, m);
	fclose(m);
	assert_non_null(strstr(text, "c1 is not running"));
	free(text);
	pi_diag_free(&diag);
	assert_int_equal(pi_docker_tty_close(d, NULL), -1);
	fake_engine_stop(&e, d);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open_raw_resize_hang_up),
		cmocka_unit_test(test_ends_by_itself),
		cmocka_unit_test(test_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
