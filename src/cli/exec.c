/* exec / shell: into a node of a running lab, through the backend. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>
#include "cli.h"
#include "pocketinternet/apply.h"

/* Opens the backend and picks the lab; on failure returns the exit code. */
static int open_lab(struct pi_cli *cli, struct pi_backend *b, char *lab, size_t len)
{
	int rc = pi_cli_backend(b);
	if (rc)
		return rc;
	rc = pi_cli_current_lab(cli, b, false, lab, len);
	if (rc)
		pi_backend_close(b);
	return rc;
}

static void node_hint(int rc, const char *lab, const char *node)
{
	if (rc == -ENOENT)
		fprintf(stderr, "  hint: is lab '%s' up and is '%s' one of its nodes? see 'pocketinternet status'\n",
			lab, node);
}

static volatile int interrupted;

static void on_signal(int sig)
{
	(void)sig;
	interrupted++;
}

/* Output as the command makes it: unbuffered, to our own stdout/stderr. */
static int write_out(void *ctx, enum pi_exec_stream stream, const char *p, size_t n)
{
	(void)ctx;
	int fd = stream == PI_EXEC_STDERR ? 2 : 1;
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Streams argv in node; returns the exit status for the shell. */
static int stream_exec(struct pi_backend *b, const char *lab, const char *node, const char *const *argv,
		       size_t argc)
{
	struct sigaction sa = { .sa_handler = on_signal }, ign = { .sa_handler = SIG_IGN }, old[4];
	sigaction(SIGINT, &sa, &old[0]);
	sigaction(SIGTERM, &sa, &old[1]);
	sigaction(SIGHUP, &sa, &old[2]);
	sigaction(SIGPIPE, &ign, &old[3]); /* a closed stdout is -EPIPE from write_out */
	struct pi_diag diag;
	pi_diag_init(&diag);
	int exit_code = 0;
	/* A terminal is the user typing; only piped or redirected input goes in. */
	int in_fd = isatty(0) ? -1 : 0;
	int rc = b->ops->exec_stream(b, lab, node, argv, argc, NULL, in_fd, write_out, NULL, &exit_code,
				     &interrupted, &diag);
	sigaction(SIGINT, &old[0], NULL);
	sigaction(SIGTERM, &old[1], NULL);
	sigaction(SIGHUP, &old[2], NULL);
	sigaction(SIGPIPE, &old[3], NULL);
	if (rc == -EPIPE) {
		rc = 128 + SIGPIPE; /* as a shell reports a pipeline cut short */
	} else if (rc) {
		pi_diag_print(&diag, stderr);
		node_hint(rc, lab, node);
		rc = rc == -ECANCELED ? 128 + SIGINT : PI_EXIT_FAIL;
	} else {
		/* The command's own status, like ssh and docker exec. */
		rc = exit_code;
	}
	pi_diag_free(&diag);
	return rc;
}

int pi_cmd_exec(struct pi_cli *cli, int argc, char **argv)
{
	int c;
	while ((c = getopt(argc, argv, "+")) != -1)
		return pi_cli_usage_error("exec", "bad option");
	if (optind >= argc)
		return pi_cli_usage_error("exec", "missing NODE");
	const char *node = argv[optind++];
	if (optind < argc && strcmp(argv[optind], "--") == 0)
		optind++;
	if (optind >= argc)
		return pi_cli_usage_error("exec", "missing the command to run (after --)");
	char lab[128];
	struct pi_backend b;
	int rc = open_lab(cli, &b, lab, sizeof(lab));
	if (rc)
		return rc;
	rc = stream_exec(&b, lab, node, (const char *const *)argv + optind, (size_t)(argc - optind));
	pi_backend_close(&b);
	return rc;
}

static volatile int winched, hung_up;

static void on_winch(int sig)
{
	(void)sig;
	winched++;
}

static void on_hangup(int sig)
{
	(void)sig;
	hung_up = 1;
}

/* The user's terminal in raw mode, relayed to t until the shell ends; then
 * the terminal as it was. Returns the shell's exit status, or PI_EXIT_FAIL. */
static int shell_session(struct pi_backend *b, struct pi_tty *t)
{
	struct termios saved;
	bool raw = false;
	if (tcgetattr(0, &saved) == 0) {
		struct termios r = saved;
		cfmakeraw(&r);
		raw = tcsetattr(0, TCSANOW, &r) == 0;
	}
	/* A hang-up or kill of this command still ends the node's shell (close). */
	struct sigaction sa = { .sa_handler = on_winch }, hup = { .sa_handler = on_hangup }, old[3];
	sigaction(SIGWINCH, &sa, &old[0]);
	sigaction(SIGHUP, &hup, &old[1]);
	sigaction(SIGTERM, &hup, &old[2]);
	int rc = pi_apply_term_relay(b, t, 0, 1, &winched, &hung_up);
	sigaction(SIGWINCH, &old[0], NULL);
	sigaction(SIGHUP, &old[1], NULL);
	sigaction(SIGTERM, &old[2], NULL);
	if (raw)
		tcsetattr(0, TCSANOW, &saved);
	int status = pi_apply_term_close(b, t);
	if (rc && rc != -ECANCELED)
		fprintf(stderr, "pocketinternet shell: %s\n", strerror(-rc));
	return rc || status < 0 ? PI_EXIT_FAIL : status;
}

int pi_cmd_shell(struct pi_cli *cli, int argc, char **argv)
{
	int c;
	while ((c = getopt(argc, argv, "+")) != -1)
		return pi_cli_usage_error("shell", "bad option");
	if (optind + 1 != argc)
		return pi_cli_usage_error("shell", "give exactly one NODE");
	if (!isatty(0) || !isatty(1)) {
		fprintf(stderr, "pocketinternet shell: needs a terminal; use 'pocketinternet exec NODE -- CMD' in scripts\n");
		return PI_EXIT_USAGE;
	}
	struct pi_backend b;
	int rc = pi_cli_backend(&b);
	if (rc)
		return rc;
	struct pi_lab *lab = NULL;
	struct pi_plan *plan = NULL;
	if ((rc = pi_cli_current_plan(cli, &b, &lab, &plan)))
		goto out;
	struct winsize ws = { .ws_col = 80, .ws_row = 24 };
	if (ioctl(1, TIOCGWINSZ, &ws) || !ws.ws_col || !ws.ws_row)
		ws = (struct winsize){ .ws_col = 80, .ws_row = 24 };
	struct pi_diag diag;
	pi_diag_init(&diag);
	struct pi_tty *t = NULL;
	int orc = pi_apply_term_open(&b, plan, argv[optind], ws.ws_col, ws.ws_row, &t, &diag);
	pi_diag_print(&diag, stderr);
	pi_diag_free(&diag);
	rc = orc == -ENOENT && pi_plan_node_by_name(plan, argv[optind]) == PI_NONE ? PI_EXIT_USAGE
	     : orc ? PI_EXIT_FAIL
		   : shell_session(&b, t);
out:
	pi_plan_free(plan);
	pi_lab_free(lab);
	pi_backend_close(&b);
	return rc;
}
