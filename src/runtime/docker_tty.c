/*
 * docker_tty: a terminal session in a container (the backend table's
 * tty_open / tty_resize / tty_close), for `pocketinternet shell` and the
 * web terminal. The exec is created with Tty and stdin attached; POST
 * /exec/{id}/start is sent by hand on our own unix socket with "Upgrade:
 * tcp", and after the engine's "101 UPGRADED" that socket carries the raw
 * terminal bytes both ways. The reply head is read byte by byte so that no
 * terminal byte is taken with it: the socket then goes to the caller as is.
 *
 * Closing the socket does not end the program: with a terminal the engine
 * keeps the exec's stdin open. So close hangs up as a terminal would: it
 * sends the exec's process SIGHUP (pi_docker_exec_kill: kill(2) of its
 * host pid, else the node's kill), then SIGKILL if it has not gone within
 * a second.
 */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "docker_internal.h"
#include "pocketinternet/log.h"


struct docker_tty {
	struct pi_tty base;
	char container[256];
	char eid[PI_DOCKER_ID_LEN];
};

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

/* Creates the exec instance with a terminal and stdin attached. */
static int tty_create(struct pi_docker *d, struct docker_tty *t, const char *const *argv, size_t argc,
		      struct pi_diag *diag)
{
	static const char *const env[] = { "TERM=xterm-256color" };
	struct pi_exec_opts o = { .env = env, .n_env = 1 };
	json_t *body = pi_docker_exec_json(argv, argc, &o);
	json_object_set_new(body, "AttachStdin", json_true());
	json_object_set_new(body, "Tty", json_true());
	json_t *j = NULL;
	struct pi_docker_at at = { "POST", "/containers/", t->container, "/exec", false, body, 0 };
	int rc = pi_docker_call_at(d, &at, &j, diag, "cannot open a terminal in container %s", t->container);
	if (!rc)
		pi_json_copy(j, "Id", t->eid, PI_DOCKER_ID_LEN);
	json_decref(j);
	json_decref(body);
	return rc;
}


/* Reads the reply head one byte at a time (nothing past it is taken), and
 * want more bytes after it (an error's body). 0, or -EIO when it ended. */
static int read_exact_head(int fd, struct pi_buf *b)
{
	size_t want = 0;
	const char *e = NULL;
	while (!e || b->len < want) {
		struct pollfd pf = { .fd = fd, .events = POLLIN };
		if (poll(&pf, 1, 30000) <= 0)
			return -EIO;
		char c;
		ssize_t got = read(fd, &c, 1);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			return e ? 0 : -EIO;
		pi_buf_putc(b, c);
		if (!e && b->len >= 4 && memcmp(b->data + b->len - 4, "\r\n\r\n", 4) == 0) {
			e = b->data + b->len;
			const char *cl = strstr(b->data, "Content-Length:");
			bool ok = strncmp(b->data, "HTTP/1.1 101", 12) == 0 || strncmp(b->data, "HTTP/1.1 200", 12) == 0;
			if (ok)
				return 0; /* the terminal's bytes follow: leave them on the socket */
			want = b->len + (cl ? strtoul(cl + 15, NULL, 10) : 0);
		}
	}
	return 0;
}

/* Sends the start request; 0 when the socket now carries the terminal. */
static int tty_start(struct pi_docker *d, struct docker_tty *t, struct pi_diag *diag)
{
	static const char body[] = "{\"Detach\":false,\"Tty\":true}";
	char req[512], what[320];
	snprintf(what, sizeof(what), "cannot open a terminal in container %s", t->container);
	int n = snprintf(req, sizeof(req),
			 "POST /v" PI_DOCKER_API "/exec/%s/start HTTP/1.1\r\nHost: docker\r\n"
			 "Content-Type: application/json\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n"
			 "Content-Length: %zu\r\n\r\n%s",
			 t->eid, sizeof(body) - 1, body);
	struct pi_buf head;
	pi_buf_init(&head);
	int rc = pi_send_all(t->base.fd, req, (size_t)n);
	if (!rc)
		rc = read_exact_head(t->base.fd, &head);
	if (rc) {
		pi_diag_note(diag, "check the engine with `pocketinternet status`",
			    "%s: the engine closed the connection", what);
	} else if (strncmp(pi_buf_str(&head), "HTTP/1.1 101", 12) && strncmp(head.data, "HTTP/1.1 200", 12)) {
		const char *end = strstr(head.data, "\r\n\r\n");
		long status = strtol(head.data + (head.len > 9 ? 9 : head.len), NULL, 10);
		rc = pi_docker_status_error(status, end ? end + 4 : "", what, diag);
	}
	pi_buf_free(&head);
	return rc;
}

/* POST /exec/{id}/resize; the engine refuses until the process runs. */
static int tty_resize_once(struct pi_docker *d, const struct docker_tty *t, unsigned cols, unsigned rows,
			   struct pi_diag *diag)
{
	char path[256];
	snprintf(path, sizeof(path), "/v" PI_DOCKER_API "/exec/%s/resize?h=%u&w=%u", t->eid, rows, cols);
	return pi_docker_call(d, "POST", path, NULL, NULL, "resizing the terminal", diag);
}

int pi_docker_tty_resize(struct pi_docker *d, struct pi_tty *tty, unsigned cols, unsigned rows, struct pi_diag *diag)
{
	if (cols == 0 || rows == 0 || cols > 4096 || rows > 4096) {
		pi_diag_note(diag, NULL, "terminal size %ux%u is out of range (1..4096)", cols, rows);
		return -EINVAL;
	}
	return tty_resize_once(d, (struct docker_tty *)tty, cols, rows, diag);
}

int pi_docker_tty_open(struct pi_docker *d, const char *container, const char *const *argv, size_t argc,
		       unsigned cols, unsigned rows, struct pi_tty **out, struct pi_diag *diag)
{
	*out = NULL;
	if (argc == 0) {
		pi_diag_note(diag, NULL, "terminal in %s: empty command", container);
		return -EINVAL;
	}
	struct docker_tty *t = pi_xcalloc(1, sizeof(*t));
	t->base.fd = -1;
	snprintf(t->container, sizeof(t->container), "%s", container);
	int rc = tty_create(d, t, argv, argc, diag);
	if (!rc)
		rc = pi_docker_connect_raw(d, &t->base.fd, diag);
	if (!rc)
		rc = tty_start(d, t, diag);
	if (rc) {
		if (t->base.fd >= 0)
			close(t->base.fd);
		free(t);
		return rc;
	}
	fcntl(t->base.fd, F_SETFL, fcntl(t->base.fd, F_GETFL) | O_NONBLOCK);
	/* As docker's own client does: a few tries while the process starts. */
	for (int i = 0; i < 10 && cols && rows; i++) {
		if (tty_resize_once(d, t, cols, rows, NULL) == 0)
			break;
		sleep_ms(10L * (i + 1));
	}
	*out = &t->base;
	return 0;
}

/* The exit status once the engine has it (it may trail the stream's end), or -1. */
static int tty_exit_status(struct pi_docker *d, const struct docker_tty *t)
{
	for (int i = 0; i < 30; i++) {
		bool running;
		int pid, code;
		if (pi_docker_exec_state(d, t->eid, &running, &pid, &code))
			return -1;
		if (!running && code >= 0)
			return code;
		sleep_ms(100);
	}
	return -1;
}

/* SIGHUP, as a terminal hanging up; SIGKILL when it is still there after a second. */
static void tty_hang_up(struct pi_docker *d, const struct docker_tty *t)
{
	int rc = -EAGAIN;
	for (int i = 0; i < 10 && rc == -EAGAIN; i++)
		if ((rc = pi_docker_exec_kill(d, t->container, t->eid, SIGHUP)) == -EAGAIN)
			sleep_ms(50);
	for (int i = 0; rc == 0 && i < 20; i++) {
		bool running;
		int pid, code;
		if (pi_docker_exec_state(d, t->eid, &running, &pid, &code) || !running)
			return;
		sleep_ms(50);
	}
	if (rc == 0)
		rc = pi_docker_exec_kill(d, t->container, t->eid, SIGKILL);
	if (rc && rc != -ESRCH)
		pi_log_warn("docker", "the terminal's program in %s may still run: %s", t->container, strerror(-rc));
}

int pi_docker_tty_close(struct pi_docker *d, struct pi_tty *tty)
{
	if (!tty)
		return -1;
	struct docker_tty *t = (struct docker_tty *)tty;
	char c;
	bool ended = recv(t->base.fd, &c, 1, MSG_PEEK | MSG_DONTWAIT) == 0;
	close(t->base.fd);
	int status = ended ? tty_exit_status(d, t) : -1;
	if (status < 0)
		tty_hang_up(d, t);
	free(t);
	return status;
}
