/*
 * `pocketinternet shell` through the real binary on the fake backend (suite
 * 'apply', no root or Docker), on a pty standing for the user's terminal:
 * what is typed reaches the session and its output comes back, a window
 * resize reaches the session (SIGWINCH -> tty_resize), the shell's end ends
 * the command with its status, a SIGHUP ends it too, and the terminal's
 * modes are put back. A
 * node name with a typo gets near matches and exit status 2.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>
#include <cmocka.h>
#include "pocketinternet/util.h"

static const char *bin;
static char lab_file[4096];

struct pty {
	int master, slave;
	pid_t pid;
	struct pi_buf out;
};

/* Runs `pocketinternet -c tiny.yml shell node` on a new pty of 100x30. */
static void start(struct pty *p, const char *node)
{
	p->master = posix_openpt(O_RDWR | O_NOCTTY);
	assert_true(p->master >= 0);
	assert_int_equal(grantpt(p->master), 0);
	assert_int_equal(unlockpt(p->master), 0);
	char name[128];
	assert_int_equal(ptsname_r(p->master, name, sizeof(name)), 0);
	p->slave = open(name, O_RDWR | O_NOCTTY);
	assert_true(p->slave >= 0);
	struct winsize ws = { .ws_row = 30, .ws_col = 100 };
	assert_int_equal(ioctl(p->master, TIOCSWINSZ, &ws), 0);
	pi_buf_init(&p->out);
	p->pid = fork();
	assert_true(p->pid >= 0);
	if (p->pid == 0) {
		setsid();
		int s = open(name, O_RDWR); /* the controlling terminal, as a login's */
		dup2(s, 0);
		dup2(s, 1);
		dup2(s, 2);
		setenv("POCKETINTERNET_BACKEND", "fake", 1);
		setenv("POCKETINTERNET_FAKE_NODES", "tiny/transit1-border1", 1);
		execl(bin, bin, "-c", lab_file, "shell", node, (char *)NULL);
		_exit(127);
	}
}

static bool read_until(struct pty *p, const char *want)
{
	for (int i = 0; i < 500 && !strstr(pi_buf_str(&p->out), want); i++) {
		struct pollfd pf = { .fd = p->master, .events = POLLIN };
		if (poll(&pf, 1, 10) <= 0)
			continue;
		char chunk[512];
		ssize_t n = read(p->master, chunk, sizeof(chunk));
		if (n <= 0)
			break;
		pi_buf_write(&p->out, chunk, (size_t)n);
	}
	return strstr(pi_buf_str(&p->out), want) != NULL;
}

/* Takes what the pty has, waiting up to 10 ms. */
static void drain(struct pty *p)
{
	struct pollfd pf = { .fd = p->master, .events = POLLIN };
	char chunk[512];
	ssize_t n;
	while (poll(&pf, 1, 10) == 1 && (n = read(p->master, chunk, sizeof(chunk))) > 0)
		pi_buf_write(&p->out, chunk, (size_t)n);
}

/* The exit status, reading the pty meanwhile (so that the child never blocks). */
static int finish(struct pty *p)
{
	int st = 0;
	bool reaped = false;
	for (int i = 0; i < 3000 && !reaped; i++) {
		drain(p);
		reaped = waitpid(p->pid, &st, WNOHANG) == p->pid;
	}
	drain(p);
	if (!reaped) {
		kill(p->pid, SIGKILL);
		waitpid(p->pid, NULL, 0);
		fail_msg("shell did not end; the pty shows: %s", pi_buf_str(&p->out));
	}
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void stop(struct pty *p)
{
	close(p->master);
	close(p->slave);
	pi_buf_free(&p->out);
}

/* The session is up once the command has put the terminal in raw mode. */
static void wait_raw(struct pty *p)
{
	struct termios now;
	assert_int_equal(tcgetattr(p->slave, &now), 0);
	for (int i = 0; i < 3000 && (now.c_lflag & ICANON); i++) {
		usleep(10000);
		assert_int_equal(tcgetattr(p->slave, &now), 0);
	}
	assert_false(now.c_lflag & ICANON);
}

static void test_shell_relays_and_follows_the_size(void **state)
{
	(void)state;
	struct pty p;
	struct termios before, after;
	start(&p, "transit1-border1");
	assert_int_equal(tcgetattr(p.slave, &before), 0);
	assert_true(before.c_lflag & ICANON);
	wait_raw(&p);
	/* Typed keys come back as the session's echo, control keys raw. */
	assert_int_equal(write(p.master, "hello\x03", 6), 6);
	if (!read_until(&p, "hello\x03"))
		fail_msg("no echo; the pty shows: %s", pi_buf_str(&p.out));
	struct winsize ws = { .ws_row = 40, .ws_col = 120 };
	assert_int_equal(ioctl(p.master, TIOCSWINSZ, &ws), 0); /* SIGWINCH to the shell command */
	if (!read_until(&p, "resize 120x40\r\n"))
		fail_msg("no resize; the pty shows: %s", pi_buf_str(&p.out));
	assert_int_equal(write(p.master, "\x04", 1), 1); /* the fake's program ends: status 0 */
	assert_int_equal(finish(&p), 0);
	/* The terminal is as it was: canonical mode and echo again. */
	assert_int_equal(tcgetattr(p.slave, &after), 0);
	assert_true(after.c_lflag & ICANON);
	assert_true(after.c_lflag & ECHO);
	assert_int_equal(after.c_lflag, before.c_lflag);
	assert_int_equal(after.c_iflag, before.c_iflag);
	assert_int_equal(after.c_oflag, before.c_oflag);
	stop(&p);
}

/* A hang-up of the command (the user's ssh dropped) closes the session
 * (hanging up the node's shell) and puts the terminal back: no status. */
static void test_shell_hangup(void **state)
{
	(void)state;
	struct pty p;
	struct termios before, after;
	start(&p, "transit1-border1");
	assert_int_equal(tcgetattr(p.slave, &before), 0);
	wait_raw(&p);
	assert_int_equal(kill(p.pid, SIGHUP), 0);
	assert_int_equal(finish(&p), 1);
	assert_int_equal(tcgetattr(p.slave, &after), 0);
	assert_int_equal(after.c_lflag, before.c_lflag);
	stop(&p);
}

static void test_shell_unknown_node(void **state)
{
	(void)state;
	struct pty p;
	start(&p, "transit1-bordr1");
	assert_int_equal(finish(&p), 2);
	if (!strstr(pi_buf_str(&p.out), "has no node 'transit1-bordr1'") ||
	    !strstr(pi_buf_str(&p.out), "did you mean transit1-border1"))
		fail_msg("expected near matches in: %s", pi_buf_str(&p.out));
	stop(&p);
}

static void test_shell_stopped_node(void **state)
{
	(void)state;
	struct pty p;
	start(&p, "transit1-border2"); /* in the plan, not among the fake's nodes */
	assert_int_equal(finish(&p), 1);
	if (!strstr(pi_buf_str(&p.out), "transit1-border2 does not exist"))
		fail_msg("expected the lab not running in: %s", pi_buf_str(&p.out));
	stop(&p);
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return 1;
	bin = argv[1];
	const char *src = getenv("PI_SOURCE_DIR");
	snprintf(lab_file, sizeof(lab_file), "%s/labs/tiny.yml", src ? src : ".");
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shell_relays_and_follows_the_size),
		cmocka_unit_test(test_shell_hangup),
		cmocka_unit_test(test_shell_unknown_node),
		cmocka_unit_test(test_shell_stopped_node),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
