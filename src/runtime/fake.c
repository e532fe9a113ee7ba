/*
 * fake: a backend that keeps nodes in memory, so that apply's ordering,
 * idempotence, refusals, cancel and rollback are unit-tested without root
 * or Docker. Tests read the call log and make one operation fail on cue.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <unistd.h>
#include "pocketinternet/backend.h"

struct pi_fake_backend *pi_backend_fake_state(struct pi_backend *b)
{
	return b->priv;
}

/* $POCKETINTERNET_FAKE_NODES ("lab/node,lab/node"): running nodes from the
 * start, so that the CLI's tests reach a node through the real binary. */
static void f_seed(struct pi_fake_backend *f)
{
	const char *env = getenv("POCKETINTERNET_FAKE_NODES");
	char *list = pi_xstrdup(env ? env : ""), *save = NULL;
	for (char *t = strtok_r(list, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		char *slash = strchr(t, '/');
		if (!slash)
			continue;
		*slash = '\0';
		struct pi_node_state *s = pi_vec_push(&f->nodes);
		memset(s, 0, sizeof(*s));
		snprintf(s->lab, sizeof(s->lab), "%s", t);
		snprintf(s->node, sizeof(s->node), "%s", slash + 1);
		snprintf(s->state, sizeof(s->state), "running");
		snprintf(s->id, sizeof(s->id), "fake-%zu", f->nodes.len);
		s->running = true;
	}
	free(list);
}

static int f_open(struct pi_backend *b, struct pi_diag *diag)
{
	(void)diag;
	struct pi_fake_backend *f = pi_xcalloc(1, sizeof(*f));
	pi_buf_init(&f->calls);
	f->nodes = (struct pi_vec)PI_VEC_INIT(struct pi_node_state);
	pthread_mutex_init(&f->lock, NULL);
	f_seed(f);
	b->priv = f;
	return 0;
}

static void f_close(struct pi_backend *b)
{
	struct pi_fake_backend *f = b->priv;
	pi_buf_free(&f->calls);
	pi_vec_free(&f->nodes);
	pthread_mutex_destroy(&f->lock);
	free(f);
}

/* Logs the call; returns the injected failure, if this is the one. Locked. */
static int f_call(struct pi_fake_backend *f, const char *op, const char *node, struct pi_diag *diag)
{
	pi_buf_printf(&f->calls, "%s %s\n", op, node ? node : "-");
	if (!f->fail_op || strcmp(f->fail_op, op) != 0)
		return 0;
	if (f->fail_after > 0) {
		f->fail_after--;
		return 0;
	}
	if (diag)
		pi_diag_add(diag, (struct pi_pos){ 0 }, NULL, "fake %s of %s fails as asked", op, node ? node : "-");
	return -(f->fail_errno ? f->fail_errno : EIO);
}

static struct pi_node_state *f_find(struct pi_fake_backend *f, const char *lab, const char *node)
{
	for (size_t i = 0; i < f->nodes.len; i++) {
		struct pi_node_state *s = pi_vec_at(&f->nodes, i);
		if (strcmp(s->lab, lab) == 0 && strcmp(s->node, node) == 0)
			return s;
	}
	return NULL;
}

static int f_prepare(struct pi_backend *b, const char *image, bool build, pi_backend_progress_fn progress,
		     void *ctx, struct pi_diag *diag)
{
	(void)image;
	(void)build;
	struct pi_fake_backend *f = b->priv;
	if (progress)
		progress(ctx, "nothing to build");
	pthread_mutex_lock(&f->lock);
	int rc = f_call(f, "prepare", NULL, diag);
	pthread_mutex_unlock(&f->lock);
	return rc;
}

/* Clashes with any space overlapping fake_clash, when a test sets it. */
static int f_preflight(struct pi_backend *b, const struct pi_prefix *spaces, size_t n, struct pi_diag *diag)
{
	struct pi_fake_backend *f = b->priv;
	pthread_mutex_lock(&f->lock);
	int rc = f_call(f, "preflight", NULL, diag);
	for (size_t i = 0; !rc && i < n; i++)
		if (pi_prefix_is_set(&f->clash) && pi_prefix_overlaps(&spaces[i], &f->clash)) {
			pi_diag_add(diag, (struct pi_pos){ 0 }, NULL, "fake network inside the lab's space");
			rc = -EADDRINUSE;
		}
	pthread_mutex_unlock(&f->lock);
	return rc;
}

static int f_list(struct pi_backend *b, const char *lab, struct pi_vec *out, struct pi_diag *diag)
{
	struct pi_fake_backend *f = b->priv;
	pthread_mutex_lock(&f->lock);
	int rc = f_call(f, "list", lab, diag);
	for (size_t i = 0; !rc && i < f->nodes.len; i++) {
		struct pi_node_state *s = pi_vec_at(&f->nodes, i);
		if (!lab || strcmp(s->lab, lab) == 0)
			*(struct pi_node_state *)pi_vec_push(out) = *s;
	}
	pthread_mutex_unlock(&f->lock);
	return rc;
}

static int f_create(struct pi_backend *b, const struct pi_node_spec *spec, struct pi_diag *diag)
{
	struct pi_fake_backend *f = b->priv;
	pthread_mutex_lock(&f->lock);
	int rc = f_call(f, "create", spec->node, diag);
	if (!rc && f_find(f, spec->lab, spec->node)) {
		pi_diag_add(diag, (struct pi_pos){ 0 }, NULL, "fake node %s exists", spec->node);
		rc = -EEXIST;
	}
	if (!rc) {
		struct pi_node_state *s = pi_vec_push(&f->nodes);
		memset(s, 0, sizeof(*s));
		snprintf(s->lab, sizeof(s->lab), "%s", spec->lab);
		snprintf(s->node, sizeof(s->node), "%s", spec->node);
		snprintf(s->state, sizeof(s->state), "created");
		snprintf(s->id, sizeof(s->id), "fake-%zu-%lld", f->nodes.len, (long long)time(NULL));
		snprintf(s->lab_file, sizeof(s->lab_file), "%s", spec->lab_file ? spec->lab_file : "");
		s->created = (long long)time(NULL);
	}
	pthread_mutex_unlock(&f->lock);
	return rc;
}

/* Runs op on an existing node: start, stop, inspect. */
static int f_node_op(struct pi_backend *b, const char *op, const char *lab, const char *node,
		     struct pi_node_state *copy, struct pi_diag *diag)
{
	struct pi_fake_backend *f = b->priv;
	pthread_mutex_lock(&f->lock);
	int rc = f_call(f, op, node, diag);
	struct pi_node_state *s = rc ? NULL : f_find(f, lab, node);
	if (!rc && !s) {
		pi_diag_add(diag, (struct pi_pos){ 0 }, NULL, "no fake node %s", node);
		rc = -ENOENT;
	}
	if (s && strcmp(op, "start") == 0) {
		/* No process: pid 0 keeps apply and status from ever probing
		 * the test's own (the host's) namespaces. */
		s->running = true;
		s->pid = 0;
		snprintf(s->state, sizeof(s->state), "running");
	} else if (s && strcmp(op, "stop") == 0) {
		s->running = false;
		s->pid = 0;
		snprintf(s->state, sizeof(s->state), "exited");
	}
	if (s && copy)
		*copy = *s;
	pthread_mutex_unlock(&f->lock);
	return rc;
}

static int f_start(struct pi_backend *b, const char *lab, const char *node, int *pid, struct pi_diag *diag)
{
	struct pi_node_state st;
	int rc = f_node_op(b, "start", lab, node, &st, diag);
	*pid = rc ? 0 : st.pid;
	return rc;
}

static int f_inspect(struct pi_backend *b, const char *lab, const char *node, struct pi_node_state *out,
		     struct pi_diag *diag)
{
	memset(out, 0, sizeof(*out));
	int rc = f_node_op(b, "inspect", lab, node, out, diag);
	if (rc == -ENOENT)
		snprintf(out->state, sizeof(out->state), "absent");
	return rc;
}

static int f_stop(struct pi_backend *b, const char *lab, const char *node, struct pi_diag *diag)
{
	return f_node_op(b, "stop", lab, node, NULL, diag);
}

static int f_remove(struct pi_backend *b, const char *lab, const char *node, struct pi_diag *diag)
{
	struct pi_fake_backend *f = b->priv;
	pthread_mutex_lock(&f->lock);
	int rc = f_call(f, "remove", node, diag);
	struct pi_node_state *s = rc ? NULL : f_find(f, lab, node);
	if (!rc && !s)
		rc = -ENOENT;
	if (s) {
		size_t i = (size_t)(s - (struct pi_node_state *)f->nodes.data);
		memmove(s, s + 1, (f->nodes.len - i - 1) * sizeof(*s));
		f->nodes.len--;
	}
	pthread_mutex_unlock(&f->lock);
	return rc;
}

static int f_exec(struct pi_backend *b, const char *lab, const char *node, const char *const *argv, size_t argc,
		  const struct pi_exec_opts *opts, struct pi_exec_result *res, struct pi_diag *diag)
{
	(void)opts;
	struct pi_node_state st;
	int rc = f_node_op(b, "exec", lab, node, &st, diag);
	if (!rc && !st.running)
		rc = -ESRCH;
	if (!rc) {
		/* Echoes the command, so tests see what ran. */
		for (size_t i = 0; i < argc; i++)
			pi_buf_printf(&res->out, "%s%s", i ? " " : "", argv[i]);
		res->exit_code = 0;
	}
	return rc;
}

/* Echoes argv (one line) then copies in_fd like cat, so tests see what ran
 * and what went in; a raised cancel ends it as SIGINT would (status 130). */
static int f_exec_stream(struct pi_backend *b, const char *lab, const char *node, const char *const *argv,
			 size_t argc, const struct pi_exec_opts *opts, int in_fd, pi_exec_out_fn out, void *ctx,
			 int *exit_code, volatile int *cancel, struct pi_diag *diag)
{
	(void)opts;
	struct pi_node_state st;
	int rc = f_node_op(b, "exec_stream", lab, node, &st, diag);
	if (!rc && !st.running)
		rc = -ESRCH;
	if (rc)
		return rc;
	struct pi_buf line;
	pi_buf_init(&line);
	for (size_t i = 0; i < argc; i++)
		pi_buf_printf(&line, "%s%s", i ? " " : "", argv[i]);
	pi_buf_putc(&line, '\n');
	rc = cancel && *cancel ? 0 : out(ctx, PI_EXEC_STDOUT, line.data, line.len);
	pi_buf_free(&line);
	char buf[4096];
	while (!rc && in_fd >= 0 && !(cancel && *cancel)) {
		struct pollfd pf = { .fd = in_fd, .events = POLLIN };
		if (poll(&pf, 1, 50) <= 0)
			continue; /* timeouts and signals: look at cancel again */
		ssize_t got = read(in_fd, buf, sizeof(buf));
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			break;
		rc = out(ctx, PI_EXEC_STDOUT, buf, (size_t)got);
	}
	*exit_code = cancel && *cancel ? 128 + SIGINT : 0;
	return rc;
}

/* ---- tty: a socketpair whose far end a thread serves ---- */

struct fake_tty {
	struct pi_tty base;
	int peer;              /* the "program's" end */
	pthread_t th;
	pthread_mutex_t wlock; /* writes to peer: the echo and resize notes */
	char node[128];
	int status;            /* 0 once ^D ended it; -1 while it runs */
};

static void peer_send(struct fake_tty *t, const char *p, size_t n)
{
	pthread_mutex_lock(&t->wlock);
	while (n) {
		ssize_t w = send(t->peer, p, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break; /* the caller's end is closed */
		p += w;
		n -= (size_t)w;
	}
	pthread_mutex_unlock(&t->wlock);
}

/* Echoes until the caller's end closes or a ^D ends the "program". */
static void *fake_tty_main(void *arg)
{
	struct fake_tty *t = arg;
	char buf[4096];
	for (;;) {
		ssize_t got = read(t->peer, buf, sizeof(buf));
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			return NULL;
		char *eot = memchr(buf, 0x04, (size_t)got);
		peer_send(t, buf, eot ? (size_t)(eot - buf) : (size_t)got);
		if (eot) {
			pthread_mutex_lock(&t->wlock);
			t->status = 0;
			shutdown(t->peer, SHUT_WR); /* end of file at the caller */
			pthread_mutex_unlock(&t->wlock);
			return NULL;
		}
	}
}

static int f_tty_open(struct pi_backend *b, const char *lab, const char *node, const char *const *argv,
		      size_t argc, unsigned cols, unsigned rows, struct pi_tty **out, struct pi_diag *diag)
{
	*out = NULL;
	struct pi_buf what;
	pi_buf_init(&what);
	pi_buf_puts(&what, node);
	for (size_t i = 0; i < argc; i++)
		pi_buf_printf(&what, " %s", argv[i]);
	pi_buf_printf(&what, " %ux%u", cols, rows);
	struct pi_fake_backend *f = b->priv;
	pthread_mutex_lock(&f->lock);
	int rc = f_call(f, "tty_open", pi_buf_str(&what), diag);
	struct pi_node_state *s = rc ? NULL : f_find(f, lab, node);
	if (!rc && (!s || !s->running)) {
		if (diag)
			pi_diag_add(diag, (struct pi_pos){ 0 }, NULL, "fake node %s is %s", node,
				    s ? "stopped" : "absent");
		rc = s ? -ESRCH : -ENOENT;
	}
	pthread_mutex_unlock(&f->lock);
	pi_buf_free(&what);
	if (rc)
		return rc;
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		return -errno;
	fcntl(sv[0], F_SETFL, fcntl(sv[0], F_GETFL) | O_NONBLOCK);
	struct fake_tty *t = pi_xcalloc(1, sizeof(*t));
	t->base.fd = sv[0];
	t->peer = sv[1];
	t->status = -1;
	snprintf(t->node, sizeof(t->node), "%s", node);
	pthread_mutex_init(&t->wlock, NULL);
	if ((rc = pthread_create(&t->th, NULL, fake_tty_main, t))) {
		close(sv[0]);
		close(sv[1]);
		pthread_mutex_destroy(&t->wlock);
		free(t);
		return -rc;
	}
	*out = &t->base;
	return 0;
}

static int f_tty_resize(struct pi_backend *b, struct pi_tty *tty, unsigned cols, unsigned rows, struct pi_diag *diag)
{
	struct fake_tty *t = (struct fake_tty *)tty;
	struct pi_fake_backend *f = b->priv;
	char what[160], note[64];
	snprintf(what, sizeof(what), "%s %ux%u", t->node, cols, rows);
	pthread_mutex_lock(&f->lock);
	int rc = f_call(f, "tty_resize", what, diag);
	pthread_mutex_unlock(&f->lock);
	if (rc)
		return rc;
	int n = snprintf(note, sizeof(note), "resize %ux%u\r\n", cols, rows);
	peer_send(t, note, (size_t)n);
	return 0;
}

static int f_tty_close(struct pi_backend *b, struct pi_tty *tty)
{
	if (!tty)
		return -1;
	struct fake_tty *t = (struct fake_tty *)tty;
	struct pi_fake_backend *f = b->priv;
	pthread_mutex_lock(&f->lock);
	f_call(f, "tty_close", t->node, NULL);
	pthread_mutex_unlock(&f->lock);
	/* The thread sees end of file (or a failed send) and returns. */
	close(t->base.fd);
	pthread_join(t->th, NULL);
	close(t->peer);
	int status = t->status;
	pthread_mutex_destroy(&t->wlock);
	free(t);
	return status;
}

const struct pi_backend_ops pi_backend_fake = {
	.name = "fake", .open = f_open, .close = f_close, .prepare = f_prepare, .preflight = f_preflight, .list = f_list,
	.create = f_create, .start = f_start, .inspect = f_inspect, .stop = f_stop, .remove = f_remove,
	.exec = f_exec, .exec_stream = f_exec_stream,
	.tty_open = f_tty_open, .tty_resize = f_tty_resize, .tty_close = f_tty_close,
};
