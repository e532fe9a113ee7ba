/*
 * web/term: /api/v1/term/NODE, a shell in a node over a WebSocket. apply
 * opens the terminal (pi_apply_term_open, on a worker: it asks the
 * backend) and hands back a nonblocking socket carrying the terminal's
 * bytes both ways; a dup of it is adopted into the loop as a raw file wsi,
 * a child of the WebSocket, so closing the tab closes both. Bytes are
 * bounded both ways with lws flow control: a slow browser stops the
 * reading of the shell, not the loop. Closing runs pi_apply_term_close on
 * a worker once no job of the terminal is running.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "pocketinternet/apply.h"
#include "web_int.h"

#define TERM_BUF 16384
#define TERMS_MAX 128

struct web_term {
	struct pi_web *w;
	struct lws *ws, *tty; /* NULL once closed */
	struct pi_tty *t;     /* apply's, NULL until opened */
	uint32_t node;
	unsigned jobs;        /* of this terminal, queued or running */
	bool ended;           /* the shell ended: close the socket once flushed */
	bool ws_gone;
	unsigned char out[LWS_PRE + TERM_BUF]; /* to the browser */
	size_t out_len;
	unsigned char in[TERM_BUF];            /* to the shell */
	size_t in_len;
	unsigned cols, rows;     /* the size it opens with (read by the opening worker) */
	unsigned want_cols, want_rows; /* a resize asked before it opened, or 0 */
	char error[256];
};

int web_term_check(struct pi_web *w, const char *uri, const struct pi_web_account *a, const char **why)
{
	const char *node = uri + strlen("/api/v1/term/");
	const char *pod = pi_web_name_ok(node) ? web_node_pod(w, node, NULL) : NULL;
	if (!pod)
		return *why = "the lab has no such node", 404;
	if (!pi_web_may(a, PI_WEB_TERM, pod))
		return *why = "this account may not open a terminal on this pod", 403;
	if (w->terms >= TERMS_MAX)
		return *why = "too many terminals are open", 503;
	return 0;
}

static void term_free(struct web_term *t)
{
	t->w->terms--;
	free(t);
}

static void close_run(struct web_job *j)
{
	struct web_term *t = j->out;
	if (t->t)
		pi_apply_term_close(j->w->b, t->t);
	t->t = NULL;
}

static void close_done(struct web_job *j)
{
	term_free(j->out);
}

/* The WebSocket is gone and no job runs: close the shell off the loop
 * (or here while shutting down: the workers are gone). */
static void term_release(struct web_term *t)
{
	if (!t->ws_gone || t->jobs)
		return;
	if (atomic_load(&t->w->stop)) {
		if (t->t)
			pi_apply_term_close(t->w->b, t->t);
		term_free(t);
		return;
	}
	struct web_job *j = web_job_new(t->w, NULL, close_run, close_done);
	j->out = t;
	web_job_queue(j);
}

static void open_run(struct web_job *j)
{
	struct web_term *t = j->out;
	struct pi_diag d;
	pi_diag_init(&d);
	if (pi_apply_term_open(j->w->b, j->w->plan, j->w->plan->nodes[t->node].name, t->cols, t->rows, &t->t, &d) != 0) {
		const struct pi_diag_entry *e = d.entries.len ? pi_vec_at(&d.entries, 0) : NULL;
		snprintf(t->error, sizeof(t->error), "%s", e ? e->msg : "the terminal could not be opened");
		t->t = NULL;
	}
	pi_diag_free(&d);
}

static void queue_resize(struct pi_web *w, struct web_term *t, unsigned cols, unsigned rows);

static void open_done(struct web_job *j)
{
	struct web_term *t = j->out;
	t->jobs--;
	if (t->ws_gone) {
		term_release(t);
		return;
	}
	if (t->t) {
		lws_sock_file_fd_type fd;
		fd.filefd = dup(pi_tty_fd(t->t)); /* lws closes its own copy */
		if (fd.filefd >= 0)
			t->tty = lws_adopt_descriptor_vhost(t->w->vh, LWS_ADOPT_RAW_FILE_DESC, fd, "pi-tty", t->ws);
		if (t->tty) {
			lws_set_opaque_user_data(t->tty, t);
			if (t->in_len)
				lws_callback_on_writable(t->tty);
			if (t->want_cols)
				queue_resize(t->w, t, t->want_cols, t->want_rows);
		} else
			snprintf(t->error, sizeof(t->error), "the terminal could not be attached");
	}
	if (!t->tty) {
		int n = snprintf((char *)t->out + LWS_PRE, TERM_BUF, "{\"error\":\"%s\"}", t->error);
		t->out_len = (size_t)n;
		t->ended = true;
	}
	lws_callback_on_writable(t->ws);
}

int web_term_establish(struct pi_web *w, struct lws *wsi, struct web_conn *c, size_t account)
{
	const char *why;
	if (web_term_check(w, c->uri, pi_vec_at(&w->accounts, account), &why))
		return -1;
	struct web_term *t = pi_xcalloc(1, sizeof(*t));
	w->terms++;
	t->w = w;
	t->ws = wsi;
	t->cols = 80;
	t->rows = 24;
	web_node_pod(w, c->uri + strlen("/api/v1/term/"), &t->node);
	c->term = t;
	struct web_job *j = web_job_new(w, NULL, open_run, open_done);
	j->out = t;
	t->jobs++;
	web_job_queue(j);
	return 0;
}

static void resize_run(struct web_job *j)
{
	struct web_term *t = j->out;
	struct pi_diag d;
	pi_diag_init(&d);
	if (t->t)
		pi_apply_term_resize(j->w->b, t->t, j->n, j->parts, &d);
	pi_diag_free(&d);
}

static void resize_done(struct web_job *j)
{
	struct web_term *t = j->out;
	t->jobs--;
	term_release(t);
}

static void queue_resize(struct pi_web *w, struct web_term *t, unsigned cols, unsigned rows)
{
	struct web_job *j = web_job_new(w, NULL, resize_run, resize_done);
	j->out = t;
	j->n = cols;
	j->parts = rows;
	t->jobs++;
	web_job_queue(j);
}

/* Bytes typed and a resize asked before the shell opened are kept, as a
 * terminal keeps type-ahead, and given to it once it is there. */
static int on_receive(struct pi_web *w, struct lws *wsi, struct web_term *t, const void *in, size_t len)
{
	unsigned cols, rows;
	if (!lws_frame_is_binary(wsi)) {
		if (pi_web_parse_resize(in, len, &cols, &rows) == 0) {
			if (t->t)
				queue_resize(w, t, cols, rows);
			else {
				t->want_cols = cols;
				t->want_rows = rows;
			}
		}
		return 0;
	}
	size_t n = len < sizeof(t->in) - t->in_len ? len : sizeof(t->in) - t->in_len;
	memcpy(t->in + t->in_len, in, n);
	t->in_len += n;
	if (t->in_len == sizeof(t->in))
		lws_rx_flow_control(wsi, 0); /* the shell reads slower than the browser types */
	if (t->tty)
		lws_callback_on_writable(t->tty);
	return 0;
}

int web_term_ws(struct pi_web *w, struct lws *wsi, struct web_conn *c, enum lws_callback_reasons reason, void *in,
		size_t len)
{
	struct web_term *t = c->term;
	if (!t)
		return -1;
	if (reason == LWS_CALLBACK_RECEIVE)
		return on_receive(w, wsi, t, in, len);
	if (t->out_len) {
		bool text = t->ended && !t->tty;
		if (lws_write(wsi, t->out + LWS_PRE, t->out_len, text ? LWS_WRITE_TEXT : LWS_WRITE_BINARY) < (int)t->out_len)
			return -1;
		t->out_len = 0;
		if (t->tty)
			lws_rx_flow_control(t->tty, 1);
	}
	if (t->ended) {
		lws_close_reason(wsi, LWS_CLOSE_STATUS_NORMAL, (unsigned char *)"shell ended", 11);
		return -1;
	}
	return 0;
}

static int tty_read(struct web_term *t, struct lws *wsi, int fd)
{
	if (t->out_len) {
		lws_rx_flow_control(wsi, 0); /* the browser has not taken the last bytes yet */
		return 0;
	}
	ssize_t n = read(fd, t->out + LWS_PRE, TERM_BUF);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (n <= 0) {
		t->ended = true;
		if (t->ws)
			lws_callback_on_writable(t->ws);
		return -1;
	}
	t->out_len = (size_t)n;
	if (t->ws)
		lws_callback_on_writable(t->ws);
	return 0;
}

static int tty_write(struct web_term *t, int fd)
{
	ssize_t n = write(fd, t->in, t->in_len);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		n = 0;
	if (n < 0)
		return -1;
	memmove(t->in, t->in + n, t->in_len - (size_t)n);
	t->in_len -= (size_t)n;
	if (t->in_len)
		lws_callback_on_writable(t->tty);
	else if (t->ws)
		lws_rx_flow_control(t->ws, 1);
	return 0;
}

int web_tty_raw(struct pi_web *w, struct lws *wsi, enum lws_callback_reasons reason)
{
	struct web_term *t = lws_get_opaque_user_data(wsi);
	(void)w;
	if (!t)
		return reason == LWS_CALLBACK_RAW_CLOSE_FILE ? 0 : -1;
	int fd = lws_get_socket_fd(wsi);
	if (reason == LWS_CALLBACK_RAW_RX_FILE)
		return tty_read(t, wsi, fd);
	if (reason == LWS_CALLBACK_RAW_WRITEABLE_FILE)
		return tty_write(t, fd);
	t->tty = NULL; /* RAW_CLOSE_FILE */
	lws_set_opaque_user_data(wsi, NULL);
	return 0;
}

void web_term_closed(struct pi_web *w, struct web_conn *c)
{
	struct web_term *t = c->term;
	(void)w;
	c->term = NULL;
	if (!t)
		return;
	t->ws = NULL;
	t->ws_gone = true;
	if (t->tty) {
		lws_set_opaque_user_data(t->tty, NULL);
		lws_set_timeout(t->tty, PENDING_TIMEOUT_CLOSE_SEND, LWS_TO_KILL_ASYNC);
		t->tty = NULL;
	}
	term_release(t);
}
