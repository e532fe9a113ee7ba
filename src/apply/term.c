/*
 * term: a terminal in a node of the running lab (apply.h), for `shell` and
 * the web terminal. The backend's tty_open gives a socket of raw terminal
 * bytes; this file names the node as the plan does, refuses stopped ones
 * and relays a user's own terminal to the session.
 */
#include <errno.h>
#include <stdarg.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>
#include "apply_int.h"


/* bash as a login shell where the node has it (the node image does), else sh. */
static const char *const login_shell[] = {
	"/bin/sh", "-c", "if [ -x /bin/bash ]; then exec /bin/bash -l; else exec /bin/sh -l; fi",
};

int pi_apply_unknown_node(const struct pi_plan *plan, const char *node, struct pi_diag *diag)
{
	const char **names = pi_xcalloc(plan->n_nodes + 1, sizeof(char *));
	for (uint32_t i = 0; i < plan->n_nodes; i++)
		names[i] = plan->nodes[i].name;
	const char *near[5];
	size_t k = pi_near_matches(node, names, plan->n_nodes, near, 5);
	struct pi_buf hint;
	pi_buf_init(&hint);
	for (size_t i = 0; i < k; i++)
		pi_buf_printf(&hint, "%s%s", i ? ", " : "did you mean ", near[i]);
	pi_buf_puts(&hint, k ? "?" : "'pocketinternet status' lists the nodes");
	pi_diag_note(diag, pi_buf_str(&hint), "lab %s has no node '%s'", plan->lab_name, node);
	pi_buf_free(&hint);
	free(names);
	return -ENOENT;
}

/* 0 when node runs; -ENOENT / -ESRCH with what to do. */
static int node_running(struct pi_backend *b, const struct pi_plan *plan, const char *node, struct pi_diag *diag)
{
	struct pi_node_state st;
	struct pi_diag quiet;
	pi_diag_init(&quiet);
	int rc = b->ops->inspect(b, plan->lab_name, node, &st, &quiet);
	if (rc == -ENOENT) {
		pi_diag_note(diag, "bring the lab up with 'pocketinternet setup'",
			    "lab %s is not running: node %s does not exist", plan->lab_name, node);
	} else if (rc) {
		pi_diag_move(diag, &quiet);
	} else if (!st.running) {
		pi_diag_note(diag, "start it with 'pocketinternet node start NODE'",
			    "node %s is stopped (%s): there is no shell to open", node, st.state);
		rc = -ESRCH;
	}
	pi_diag_free(&quiet);
	return rc;
}

int pi_apply_term_open(struct pi_backend *b, const struct pi_plan *plan, const char *node, unsigned cols,
		       unsigned rows, struct pi_tty **out, struct pi_diag *diag)
{
	*out = NULL;
	if (pi_plan_node_by_name(plan, node) == PI_NONE)
		return pi_apply_unknown_node(plan, node, diag);
	if (cols == 0 || rows == 0 || cols > PI_TERM_MAX || rows > PI_TERM_MAX) {
		pi_diag_note(diag, NULL, "terminal size %ux%u is out of range (1..%u)", cols, rows,
			    PI_TERM_MAX);
		return -EINVAL;
	}
	int rc = node_running(b, plan, node, diag);
	if (!rc)
		rc = b->ops->tty_open(b, plan->lab_name, node, login_shell, PI_ARRAY_LEN(login_shell), cols, rows, out,
				      diag);
	return rc;
}

int pi_apply_term_resize(struct pi_backend *b, struct pi_tty *t, unsigned cols, unsigned rows, struct pi_diag *diag)
{
	if (cols == 0 || rows == 0 || cols > PI_TERM_MAX || rows > PI_TERM_MAX) {
		pi_diag_note(diag, NULL, "terminal size %ux%u is out of range (1..%u)", cols, rows,
			    PI_TERM_MAX);
		return -EINVAL;
	}
	return b->ops->tty_resize(b, t, cols, rows, diag);
}

int pi_apply_term_close(struct pi_backend *b, struct pi_tty *t)
{
	return t ? b->ops->tty_close(b, t) : -1;
}

/* ---- relaying a user's terminal ---- */

struct relay {
	struct pi_backend *b;
	struct pi_tty *t;
	int in_fd, out_fd;
	char pending[16384]; /* typed, not yet taken by the session's socket */
	size_t off, len;
};

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN) {
			struct pollfd pf = { .fd = fd, .events = POLLOUT };
			poll(&pf, 1, 1000);
			continue;
		}
		if (w < 0)
			return -errno;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* The session's output to the user: 1 when it ended, 0, -errno. */
static int relay_out(struct relay *r)
{
	char buf[16384];
	ssize_t got = recv(pi_tty_fd(r->t), buf, sizeof(buf), MSG_DONTWAIT);
	if (got == 0)
		return 1;
	if (got < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : errno == ECONNRESET ? 1 : -errno;
	return write_all(r->out_fd, buf, (size_t)got);
}

/* What the user types, to the session: 1 when the user's side ended, 0, -errno. */
static int relay_in(struct relay *r, short tty_revents)
{
	if (r->len && (tty_revents & POLLOUT)) {
		ssize_t w = send(pi_tty_fd(r->t), r->pending + r->off, r->len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w < 0 && errno != EAGAIN && errno != EINTR)
			return errno == EPIPE || errno == ECONNRESET ? 1 : -errno;
		if (w > 0) {
			r->off += (size_t)w;
			r->len -= (size_t)w;
		}
		return 0;
	}
	if (r->len)
		return 0;
	ssize_t got = read(r->in_fd, r->pending, sizeof(r->pending));
	if (got < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -errno;
	if (got == 0)
		return 1;
	r->off = 0;
	r->len = (size_t)got;
	return 0;
}

static void follow_size(struct relay *r)
{
	struct winsize ws;
	if (ioctl(r->out_fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col && ws.ws_row)
		r->b->ops->tty_resize(r->b, r->t, ws.ws_col, ws.ws_row, NULL);
}

int pi_apply_term_relay(struct pi_backend *b, struct pi_tty *t, int in_fd, int out_fd, volatile int *winch,
			volatile int *cancel)
{
	struct relay r = { .b = b, .t = t, .in_fd = in_fd, .out_fd = out_fd };
	int seen = winch ? *winch : 0, rc = 0;
	while (rc == 0) {
		if (cancel && *cancel)
			return -ECANCELED;
		if (winch && *winch != seen) {
			seen = *winch;
			follow_size(&r);
		}
		struct pollfd pf[2] = { { .fd = pi_tty_fd(t), .events = POLLIN }, { .fd = in_fd, .events = POLLIN } };
		if (r.len)
			pf[0].events |= POLLOUT;
		if (poll(pf, r.len ? 1 : 2, 250) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (pf[0].revents & (POLLIN | POLLHUP | POLLERR))
			rc = relay_out(&r);
		if (rc == 0 && ((pf[0].revents & POLLOUT) || (!r.len && pf[1].revents)))
			rc = relay_in(&r, pf[0].revents);
	}
	return rc < 0 ? rc : 0;
}
