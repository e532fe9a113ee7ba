/*
 * docker_stream: exec whose output streams (pocketinternet exec). The exec
 * is created without a terminal, so its output comes as the multiplexed
 * attach stream (pi_demux). POST /exec/{id}/start is sent by hand on our
 * own unix socket with "Upgrade: tcp": after "101 UPGRADED" the engine
 * hijacks the connection, which then carries the caller's stdin to the
 * command and the frames back; shutting our write side down closes the
 * command's stdin. The Engine API cannot signal an exec, so a cancel reads
 * the exec's Pid (GET /exec/{id}/json: a pid in the host's namespace) and
 * kill(2)s it; where that is not allowed (not root) a second exec runs the
 * shell's kill inside the node on the pid as the node sees it.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include "docker_internal.h"

static void sdiag(struct pi_diag *diag, const char *hint, const char *fmt, ...) PI_PRINTF(3, 4);
static void sdiag(struct pi_diag *diag, const char *hint, const char *fmt, ...)
{
	if (!diag)
		return;
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	pi_diag_add(diag, (struct pi_pos){ 0 }, hint, "%s", msg);
}

struct stream_run {
	struct pi_docker *d;
	const char *container;
	char eid[PI_DOCKER_ID_LEN];
	int sock;
	int in_fd;              /* -1: none, or its end was seen */
	char pending[16384];    /* stdin bytes not yet taken by the engine */
	size_t pending_off, pending_len;
	pi_exec_out_fn out;
	void *ctx;
	volatile int *cancel;
	int signalled;          /* cancels acted on */
	double deadline;        /* 0: none */
	bool timed_out;
	bool started;           /* the start request was accepted */
	struct pi_demux dm;
};

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int to_caller(void *ctx, int stream, const char *p, size_t n)
{
	struct stream_run *r = ctx;
	/* Stream 3 is the engine's own complaint: the user reads it with stderr. */
	return r->out(r->ctx, stream == 1 ? PI_EXEC_STDOUT : PI_EXEC_STDERR, p, n);
}

int pi_docker_connect_raw(struct pi_docker *d, int *fd, struct pi_diag *diag)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	const char *path = pi_docker_socket(d);
	if (strlen(path) >= sizeof(sa.sun_path)) {
		sdiag(diag, "use a shorter DOCKER_HOST path", "Docker socket path too long: %s", path);
		return -EINVAL;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -errno;
	if (connect(s, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;
		close(s);
		if (e == EACCES)
			sdiag(diag, "run pocketinternet as root (sudo), or add your user to the docker group",
			      "permission denied on the Docker engine socket %s", path);
		else
			sdiag(diag, "start it: `systemctl start docker`, or scripts/start-dockerd.sh",
			      "cannot reach the Docker engine at %s: is dockerd running? (%s)", path, strerror(e));
		return e == EACCES ? -EACCES : -ECONNREFUSED;
	}
	*fd = s;
	return 0;
}

/* POST /containers/{id}/exec without a terminal; stdin attached when asked. */
static int stream_create(struct stream_run *r, const char *const *argv, size_t argc,
			 const struct pi_exec_opts *opts, const char *what, struct pi_diag *diag)
{
	json_t *body = pi_docker_exec_json(argv, argc, opts);
	json_object_set_new(body, "AttachStdin", json_boolean(r->in_fd >= 0));
	json_t *j = NULL;
	struct pi_docker_at at = { "POST", "/containers/", r->container, "/exec", false, body, 0 };
	int rc = pi_docker_call_at(r->d, &at, &j, diag, "%s", what);
	if (!rc)
		pi_json_copy(j, "Id", r->eid, PI_DOCKER_ID_LEN);
	json_decref(j);
	json_decref(body);
	return rc;
}


/* Reads until the reply head is complete (and, for an error, its body):
 * returns where the head ends in b, or 0 when the stream ended first. */
static size_t read_head(int fd, struct pi_buf *b)
{
	size_t end = 0, want = 0;
	while (!end || b->len < want) {
		struct pollfd pf = { .fd = fd, .events = POLLIN };
		if (poll(&pf, 1, 30000) <= 0)
			return end;
		char chunk[4096];
		ssize_t got = read(fd, chunk, sizeof(chunk));
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			return end;
		pi_buf_write(b, chunk, (size_t)got);
		const char *e = end ? NULL : strstr(pi_buf_str(b), "\r\n\r\n");
		if (e) {
			end = (size_t)(e - b->data) + 4;
			/* Success: the stream follows. Failure: a small JSON body. */
			const char *cl = strstr(b->data, "Content-Length:");
			if (strncmp(b->data, "HTTP/1.1 101", 12) && strncmp(b->data, "HTTP/1.1 200", 12) && cl &&
			    cl < e)
				want = end + strtoul(cl + 15, NULL, 10);
		}
	}
	return end;
}

/* Sends the start request; on success *off is where the stream's first bytes
 * (read with the head) begin in head. */
static int stream_start(struct stream_run *r, struct pi_buf *head, size_t *off, const char *what,
			struct pi_diag *diag)
{
	static const char body[] = "{\"Detach\":false,\"Tty\":false}";
	char req[512];
	int n = snprintf(req, sizeof(req),
			 "POST /v" PI_DOCKER_API "/exec/%s/start HTTP/1.1\r\nHost: docker\r\n"
			 "Content-Type: application/json\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n"
			 "Content-Length: %zu\r\n\r\n%s",
			 r->eid, sizeof(body) - 1, body);
	int rc = pi_send_all(r->sock, req, (size_t)n);
	size_t end = rc ? 0 : read_head(r->sock, head);
	if (!end) {
		sdiag(diag, "check the engine with `pocketinternet status`", "%s: the engine closed the connection",
		      what);
		return rc ? rc : -EIO;
	}
	if (strncmp(head->data, "HTTP/1.1 101", 12) == 0 || strncmp(head->data, "HTTP/1.1 200", 12) == 0) {
		*off = end;
		return 0;
	}
	long status = strtol(head->data + 9, NULL, 10);
	return pi_docker_status_error(status, head->data + end, what, diag);
}

int pi_docker_exec_state(struct pi_docker *d, const char *eid, bool *running, int *pid, int *code)
{
	char path[256];
	snprintf(path, sizeof(path), "/v" PI_DOCKER_API "/exec/%s/json", eid);
	json_t *j = NULL;
	int rc = pi_docker_call(d, "GET", path, NULL, &j, "reading the command's state", NULL);
	if (rc)
		return rc;
	*running = json_is_true(json_object_get(j, "Running"));
	*pid = (int)json_integer_value(json_object_get(j, "Pid"));
	json_t *ec = json_object_get(j, "ExitCode");
	*code = json_is_integer(ec) ? (int)json_integer_value(ec) : -1;
	json_decref(j);
	return 0;
}

static int exec_state(struct stream_run *r, bool *running, int *pid, int *code)
{
	return pi_docker_exec_state(r->d, r->eid, running, pid, code);
}

/* The pid as the node sees it: the last NSpid of /proc/<pid>/status. */
static int ns_pid(int pid)
{
	char path[64], line[256];
	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	FILE *f = fopen(path, "re");
	int inner = -1;
	while (f && fgets(line, sizeof(line), f))
		if (strncmp(line, "NSpid:", 6) == 0) {
			char *tok = strtok(line + 6, " \t\n");
			for (; tok; tok = strtok(NULL, " \t\n"))
				inner = atoi(tok);
		}
	if (f)
		fclose(f);
	return inner;
}

int pi_docker_exec_kill(struct pi_docker *d, const char *container, const char *eid, int sig)
{
	bool running;
	int pid, code;
	int rc = pi_docker_exec_state(d, eid, &running, &pid, &code);
	if (rc)
		return rc;
	if (!running)
		return code >= 0 ? -ESRCH : -EAGAIN;
	if (pid <= 0)
		return -EAGAIN;
	if (kill(pid, sig) == 0)
		return 0;
	if (errno == ESRCH)
		return -ESRCH;
	int inner = ns_pid(pid);
	if (inner <= 0)
		return -EPERM;
	char num[16], sname[8];
	snprintf(num, sizeof(num), "%d", inner);
	snprintf(sname, sizeof(sname), "%s",
		 sig == SIGINT ? "INT" : sig == SIGTERM ? "TERM" : sig == SIGHUP ? "HUP" : "KILL");
	const char *const argv[] = { "sh", "-c", "kill -s \"$1\" \"$2\"", "kill", sname, num };
	struct pi_exec_result res;
	pi_exec_result_init(&res);
	rc = pi_docker_exec(d, container, argv, 6, NULL, &res, NULL);
	if (!rc && res.exit_code != 0)
		rc = -EPERM;
	pi_exec_result_free(&res);
	return rc;
}

static int stream_signal(struct stream_run *r, int sig)
{
	return pi_docker_exec_kill(r->d, r->container, r->eid, sig);
}

/* Acts on a raised cancel or a passed deadline. 0 to go on relaying. */
static int stream_check_cancel(struct stream_run *r, struct pi_diag *diag)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGKILL };
	int want = r->cancel ? *r->cancel : 0;
	bool expire = r->deadline > 0 && !r->timed_out && now_s() >= r->deadline;
	if (!expire && want <= r->signalled)
		return 0;
	int sig = expire ? SIGKILL : sigs[(want < 3 ? want : 3) - 1];
	int rc = stream_signal(r, sig);
	if (rc == -EAGAIN)
		return 0; /* not started yet: try again on the next turn */
	r->timed_out = r->timed_out || expire;
	r->signalled = want;
	if (rc == 0 || rc == -ESRCH)
		return 0; /* its output ends when it does */
	sdiag(diag, "it may still run in the node: `pocketinternet exec NODE -- ps ax` shows it",
	      "could not signal the command (%s); stopped following it", strerror(-rc));
	return -ECANCELED;
}

/* Reads what stdin has and hands it on; at its end closes the command's stdin. */
static int stream_stdin(struct stream_run *r, short revents)
{
	if (revents & POLLOUT && r->pending_len) {
		ssize_t w = send(r->sock, r->pending + r->pending_off, r->pending_len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w < 0 && errno != EAGAIN && errno != EINTR)
			return -errno;
		if (w > 0) {
			r->pending_off += (size_t)w;
			r->pending_len -= (size_t)w;
		}
		return 0;
	}
	if (r->in_fd < 0 || r->pending_len)
		return 0;
	ssize_t got = read(r->in_fd, r->pending, sizeof(r->pending));
	if (got < 0 && (errno == EINTR || errno == EAGAIN))
		return 0;
	if (got <= 0) {
		/* The engine closes the command's stdin on our half-close. */
		shutdown(r->sock, SHUT_WR);
		r->in_fd = -1;
		return 0;
	}
	r->pending_off = 0;
	r->pending_len = (size_t)got;
	return 0;
}

/* Relays until the engine ends the stream (the command has exited). */
static int stream_relay(struct stream_run *r, struct pi_diag *diag)
{
	char buf[32768];
	for (;;) {
		int rc = stream_check_cancel(r, diag);
		if (rc)
			return rc;
		struct pollfd pf[2] = { { .fd = r->sock, .events = POLLIN }, { .fd = r->in_fd, .events = POLLIN } };
		if (r->pending_len)
			pf[0].events |= POLLOUT;
		nfds_t n = r->in_fd >= 0 && !r->pending_len ? 2 : 1;
		if (poll(pf, n, 200) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (pf[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			ssize_t got = recv(r->sock, buf, sizeof(buf), MSG_DONTWAIT);
			if (got == 0)
				return 0;
			if (got < 0 && errno != EAGAIN && errno != EINTR)
				return -errno;
			if (got > 0 && (rc = pi_demux_feed(&r->dm, buf, (size_t)got)))
				return rc;
		}
		if ((pf[0].revents & POLLOUT) || (n == 2 && pf[1].revents))
			if ((rc = stream_stdin(r, pf[0].revents)))
				return rc;
	}
}

/* The exit status once the engine has it (it may trail the stream's end). */
static int stream_exit_code(struct stream_run *r, int *exit_code, const char *what, struct pi_diag *diag)
{
	for (int i = 0; i < 50; i++) {
		bool running;
		int pid, code;
		int rc = exec_state(r, &running, &pid, &code);
		if (rc)
			return rc;
		if (!running && code >= 0) {
			*exit_code = code;
			return 0;
		}
		usleep(100 * 1000);
	}
	sdiag(diag, NULL, "%s: the engine has no exit code for it", what);
	return -EPROTO;
}

/* After the stream stopped early (the caller's output failed), ends the command. */
static void stream_abandon(struct stream_run *r)
{
	for (int i = 0; i < 10 && stream_signal(r, SIGTERM) == -EAGAIN; i++)
		usleep(100 * 1000);
}

static int stream_session(struct stream_run *r, int *exit_code, const char *what, struct pi_diag *diag)
{
	struct pi_buf head;
	size_t off = 0;
	pi_buf_init(&head);
	int rc = stream_start(r, &head, &off, what, diag);
	r->started = rc == 0;
	if (!rc && head.len > off)
		rc = pi_demux_feed(&r->dm, head.data + off, head.len - off);
	pi_buf_free(&head);
	if (!rc)
		rc = stream_relay(r, diag);
	if (rc == -EPROTO)
		sdiag(diag, NULL, "%s: the engine's stream is not framed output", what);
	if (rc && rc != -ECANCELED && r->started)
		stream_abandon(r);
	if (!rc)
		rc = stream_exit_code(r, exit_code, what, diag);
	if (!rc && r->timed_out) {
		sdiag(diag, "raise the time limit", "%s: killed after its time limit", what);
		rc = -ETIMEDOUT;
	}
	return rc;
}

int pi_docker_exec_stream(struct pi_docker *d, const char *container, const char *const *argv, size_t argc,
			  const struct pi_exec_opts *opts, int in_fd, pi_exec_out_fn out, void *ctx,
			  int *exit_code, volatile int *cancel, struct pi_diag *diag)
{
	if (argc == 0) {
		sdiag(diag, NULL, "exec in %s: empty command", container);
		return -EINVAL;
	}
	struct stream_run r = { .d = d, .container = container, .sock = -1, .in_fd = in_fd, .out = out, .ctx = ctx,
				.cancel = cancel };
	if (opts && opts->timeout_s > 0)
		r.deadline = now_s() + (double)opts->timeout_s;
	pi_demux_init_fn(&r.dm, to_caller, &r);
	char what[512];
	snprintf(what, sizeof(what), "cannot run %s in container %s", argv[0], container);
	int rc = stream_create(&r, argv, argc, opts, what, diag);
	if (!rc)
		rc = pi_docker_connect_raw(d, &r.sock, diag);
	if (!rc)
		rc = stream_session(&r, exit_code, what, diag);
	if (r.sock >= 0)
		close(r.sock);
	return rc;
}
