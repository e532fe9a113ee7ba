/*
 * Terminals without root or Docker (suite 'apply'): the fake backend's
 * tty (echo, resize notes, ^D ending it, close freeing it: valgrind-clean)
 * and term.c on the default lab's plan: unknown names with near matches, a
 * lab that is not up, a stopped node, sizes out of range, the login shell
 * it runs, and the relay `shell` uses, with a pty standing for the user's
 * terminal so that its size is followed.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>
#include <cmocka.h>
#include "lab_fixture.h"
#include "pocketinternet/apply.h"

static void add_node_in(struct pi_backend *b, const char *lab_name, const char *node, bool running)
{
	struct pi_node_state *s = pi_vec_push(&pi_backend_fake_state(b)->nodes);
	memset(s, 0, sizeof(*s));
	snprintf(s->lab, sizeof(s->lab), "%s", lab_name);
	snprintf(s->node, sizeof(s->node), "%s", node);
	snprintf(s->state, sizeof(s->state), running ? "running" : "exited");
	s->running = running;
}

static void add_node(struct pi_backend *b, const char *node, bool running)
{
	add_node_in(b, plan->lab_name, node, running);
}

/* Reads from fd until buf holds want (or 2 s pass); returns what came. */
static char *read_until(int fd, const char *want, struct pi_buf *buf)
{
	for (int i = 0; i < 200 && !strstr(pi_buf_str(buf), want); i++) {
		struct pollfd pf = { .fd = fd, .events = POLLIN };
		if (poll(&pf, 1, 10) <= 0)
			continue;
		char chunk[512];
		ssize_t got = read(fd, chunk, sizeof(chunk));
		if (got <= 0)
			break;
		pi_buf_write(buf, chunk, (size_t)got);
	}
	return buf->data ? buf->data : (char *)"";
}

/* End of file on fd within 2 s. */
static bool at_eof(int fd)
{
	struct pollfd pf = { .fd = fd, .events = POLLIN };
	char c;
	return poll(&pf, 1, 2000) == 1 && read(fd, &c, 1) == 0;
}

static const char *calls(struct pi_backend *b)
{
	return pi_buf_str(&pi_backend_fake_state(b)->calls);
}

static void test_fake_tty_echo_resize_close(void **state)
{
	(void)state;
	struct pi_backend b;
	assert_int_equal(pi_backend_open(&b, &pi_backend_fake, NULL), 0);
	add_node_in(&b, "L", "n1", true);
	add_node_in(&b, "L", "n2", false);
	const char *const argv[] = { "/bin/bash", "-l" };
	struct pi_tty *t = NULL;
	assert_int_equal(b.ops->tty_open(&b, "M", "n1", argv, 2, 80, 24, &t, NULL), -ENOENT); /* another lab */
	assert_int_equal(b.ops->tty_open(&b, "L", "n2", argv, 2, 80, 24, &t, NULL), -ESRCH);  /* stopped */
	assert_null(t);
	assert_int_equal(b.ops->tty_open(&b, "L", "n1", argv, 2, 80, 24, &t, NULL), 0);
	int fd = pi_tty_fd(t);
	assert_true(fcntl(fd, F_GETFL) & O_NONBLOCK);
	assert_int_equal(write(fd, "echo hi\r", 8), 8);
	struct pi_buf got;
	pi_buf_init(&got);
	assert_string_equal(read_until(fd, "echo hi\r", &got), "echo hi\r");
	assert_int_equal(b.ops->tty_resize(&b, t, 100, 40, NULL), 0);
	assert_non_null(strstr(read_until(fd, "resize 100x40\r\n", &got), "resize 100x40\r\n"));
	/* Closed while the "program" runs: no exit status. */
	assert_int_equal(b.ops->tty_close(&b, t), -1);
	assert_non_null(strstr(calls(&b), "tty_open n1 /bin/bash -l 80x24\n"));
	assert_non_null(strstr(calls(&b), "tty_resize n1 100x40\n"));
	assert_non_null(strstr(calls(&b), "tty_close n1\n"));
	assert_int_equal(b.ops->tty_close(&b, NULL), -1);
	pi_buf_free(&got);
	pi_backend_close(&b);
}

static void test_fake_tty_ends_by_itself(void **state)
{
	(void)state;
	struct pi_backend b;
	assert_int_equal(pi_backend_open(&b, &pi_backend_fake, NULL), 0);
	add_node_in(&b, "L", "n1", true);
	const char *const argv[] = { "sh" };
	struct pi_tty *t = NULL;
	assert_int_equal(b.ops->tty_open(&b, "L", "n1", argv, 1, 80, 24, &t, NULL), 0);
	int fd = pi_tty_fd(t);
	assert_int_equal(write(fd, "bye\x04", 4), 4);
	struct pi_buf got;
	pi_buf_init(&got);
	assert_string_equal(read_until(fd, "bye", &got), "bye");
	assert_true(at_eof(fd));
	assert_int_equal(b.ops->tty_close(&b, t), 0);
	pi_buf_free(&got);
	/* Many sessions, open and closed: nothing is left (valgrind). */
	for (int i = 0; i < 20; i++) {
		assert_int_equal(b.ops->tty_open(&b, "L", "n1", argv, 1, 80, 24, &t, NULL), 0);
		assert_int_equal(write(pi_tty_fd(t), "x", 1), 1);
		assert_int_equal(b.ops->tty_close(&b, t), -1);
	}
	pi_backend_close(&b);
}

/* term_open's refusal and its diagnostics' text (into *text: free). */
static int try_open(struct pi_backend *b, const char *node, unsigned cols, unsigned rows, char **text)
{
	struct pi_diag d;
	pi_diag_init(&d);
	struct pi_tty *t = (struct pi_tty *)&t;
	int rc = pi_apply_term_open(b, plan, node, cols, rows, &t, &d);
	assert_null(t);
	size_t len = 0;
	FILE *m = open_memstream(text, &len);
	pi_diag_print(&d, m);
	fclose(m);
	pi_diag_free(&d);
	return rc;
}

static void expect(struct pi_backend *b, const char *node, unsigned cols, int err, const char *w1, const char *w2)
{
	char *text = NULL;
	assert_int_equal(try_open(b, node, cols, 24, &text), err);
	if (!strstr(text, w1) || (w2 && !strstr(text, w2)))
		fail_msg("for '%s' expected '%s' and '%s' in: %s", node, w1, w2 ? w2 : "", text);
	free(text);
}

static void test_term_refusals(void **state)
{
	(void)state;
	struct pi_backend b;
	assert_int_equal(pi_backend_open(&b, &pi_backend_fake, NULL), 0);
	const char *name = plan->nodes[0].name;
	char typo[256];
	snprintf(typo, sizeof(typo), "%.*s", (int)strlen(name) - 1, name);
	expect(&b, typo, 80, -ENOENT, "has no node", name); /* "did you mean <name>?" */
	expect(&b, "zzzzzzzz", 80, -ENOENT, "has no node", "pocketinternet status");
	expect(&b, name, 80, -ENOENT, "is not running", "pocketinternet setup");
	add_node(&b, name, false);
	expect(&b, name, 80, -ESRCH, "is stopped", "node start");
	pi_vec_free(&pi_backend_fake_state(&b)->nodes);
	pi_backend_fake_state(&b)->nodes = (struct pi_vec)PI_VEC_INIT(struct pi_node_state);
	add_node(&b, name, true);
	expect(&b, name, 0, -EINVAL, "out of range", NULL);
	expect(&b, name, PI_TERM_MAX + 1, -EINVAL, "out of range", NULL);
	assert_null(strstr(calls(&b), "tty_open")); /* nothing was opened */
	pi_backend_close(&b);
}

static void test_term_open_runs_a_login_shell(void **state)
{
	(void)state;
	struct pi_backend b;
	assert_int_equal(pi_backend_open(&b, &pi_backend_fake, NULL), 0);
	const char *name = plan->nodes[0].name;
	add_node(&b, name, true);
	struct pi_tty *t = NULL;
	assert_int_equal(pi_apply_term_open(&b, plan, name, 132, 43, &t, NULL), 0);
	char want[512];
	snprintf(want, sizeof(want), "tty_open %s /bin/sh -c if [ -x /bin/bash ]; then exec /bin/bash -l; else exec /bin/sh -l; fi 132x43\n", name);
	assert_non_null(strstr(calls(&b), want));
	assert_int_equal(pi_apply_term_resize(&b, t, 0, 10, NULL), -EINVAL);
	assert_int_equal(pi_apply_term_resize(&b, t, 90, 30, NULL), 0);
	struct pi_buf got;
	pi_buf_init(&got);
	assert_string_equal(read_until(pi_tty_fd(t), "resize 90x30\r\n", &got), "resize 90x30\r\n");
	pi_buf_free(&got);
	assert_int_equal(pi_apply_term_close(&b, t), -1);
	assert_int_equal(pi_apply_term_close(&b, NULL), -1);
	pi_backend_close(&b);
}

struct relay_run {
	struct pi_backend *b;
	struct pi_tty *t;
	int in_fd, out_fd;
	volatile int winch, cancel;
	int rc;
};

static void *relay_main(void *arg)
{
	struct relay_run *r = arg;
	r->rc = pi_apply_term_relay(r->b, r->t, r->in_fd, r->out_fd, &r->winch, &r->cancel);
	return NULL;
}

/* The user's side: typing into a pipe, the screen a pty whose size we set. */
static void test_relay_follows_size_and_ends_with_the_shell(void **state)
{
	(void)state;
	struct pi_backend b;
	assert_int_equal(pi_backend_open(&b, &pi_backend_fake, NULL), 0);
	const char *name = plan->nodes[0].name;
	add_node(&b, name, true);
	struct pi_tty *t = NULL;
	assert_int_equal(pi_apply_term_open(&b, plan, name, 80, 24, &t, NULL), 0);
	int in[2];
	assert_int_equal(pipe(in), 0);
	int master = posix_openpt(O_RDWR | O_NOCTTY);
	assert_true(master >= 0);
	assert_int_equal(grantpt(master), 0);
	assert_int_equal(unlockpt(master), 0);
	int screen = open(ptsname(master), O_RDWR | O_NOCTTY);
	assert_true(screen >= 0);
	struct termios raw;
	assert_int_equal(tcgetattr(screen, &raw), 0);
	cfmakeraw(&raw);
	assert_int_equal(tcsetattr(screen, TCSANOW, &raw), 0);
	struct relay_run r = { .b = &b, .t = t, .in_fd = in[0], .out_fd = screen };
	pthread_t th;
	assert_int_equal(pthread_create(&th, NULL, relay_main, &r), 0);
	assert_int_equal(write(in[1], "ls\r", 3), 3);
	struct pi_buf got;
	pi_buf_init(&got);
	assert_string_equal(read_until(master, "ls\r", &got), "ls\r");
	struct winsize ws = { .ws_row = 50, .ws_col = 120 };
	assert_int_equal(ioctl(screen, TIOCSWINSZ, &ws), 0);
	r.winch++;
	assert_non_null(strstr(read_until(master, "resize 120x50\r\n", &got), "resize 120x50\r\n"));
	assert_int_equal(write(in[1], "exit\x04", 5), 5);
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_int_equal(r.rc, 0);
	assert_non_null(strstr(read_until(master, "exit", &got), "exit"));
	assert_int_equal(pi_apply_term_close(&b, t), 0); /* it ended by itself: status 0 */
	/* A cancel (the user's terminal hung up) ends the relay; close hangs up. */
	assert_int_equal(pi_apply_term_open(&b, plan, name, 80, 24, &t, NULL), 0);
	r = (struct relay_run){ .b = &b, .t = t, .in_fd = in[0], .out_fd = screen };
	assert_int_equal(pthread_create(&th, NULL, relay_main, &r), 0);
	r.cancel = 1;
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_int_equal(r.rc, -ECANCELED);
	assert_int_equal(pi_apply_term_close(&b, t), -1);
	pi_buf_free(&got);
	close(in[0]);
	close(in[1]);
	close(screen);
	close(master);
	pi_backend_close(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fake_tty_echo_resize_close),
		cmocka_unit_test(test_fake_tty_ends_by_itself),
		cmocka_unit_test(test_term_refusals),
		cmocka_unit_test(test_term_open_runs_a_login_shell),
		cmocka_unit_test(test_relay_follows_size_and_ends_with_the_shell),
	};
	return cmocka_run_group_tests(tests, apply_fixture_setup, apply_fixture_teardown);
}
