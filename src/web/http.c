/*
 * web/http: the one lws protocol callback. HTTP requests are read here
 * (URI, query, POST body), routed to the static assets or to api.c, and
 * every reply is written from WRITEABLE in chunks, so a large lab or
 * xterm.js never blocks the loop. WebSocket connections go to events.c
 * and term.c; the terminal's own socket (a raw file wsi) to term.c.
 */
#include <stdlib.h>
#include <string.h>
#include "web_int.h"

#define CHUNK 16384

static struct pi_web *web_of(struct lws *wsi)
{
	return lws_context_user(lws_get_context(wsi));
}

static void reply_free(struct web_conn *c)
{
	if (!c->body_static)
		free(c->body);
	c->body = NULL;
	c->body_static = false;
	c->have_reply = c->headers_sent = false;
	c->body_len = c->off = 0;
}

void web_reply(struct lws *wsi, struct web_conn *c, int status, const char *type, char *body, size_t len)
{
	reply_free(c);
	c->status = status;
	c->type = type;
	c->body = body;
	c->body_len = body ? len : 0;
	c->have_reply = true;
	lws_callback_on_writable(wsi);
}

char *web_error_text(const char *error, const char *hint)
{
	json_t *j = json_pack("{s:s, s:s?}", "error", error, "hint", hint);
	char *t = json_dumps(j, JSON_PRESERVE_ORDER);
	json_decref(j);
	return t;
}

void web_reply_json(struct lws *wsi, struct web_conn *c, int status, json_t *j)
{
	char *t = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(j);
	web_reply(wsi, c, status, "application/json", t, t ? strlen(t) : 0);
}

void web_reply_error(struct lws *wsi, struct web_conn *c, int status, const char *error, const char *hint)
{
	char *t = web_error_text(error, hint);
	web_reply(wsi, c, status, "application/json", t, strlen(t));
}

static int add_header(struct lws *wsi, const char *name, const char *value, unsigned char **p, unsigned char *end)
{
	return lws_add_http_header_by_name(wsi, (const unsigned char *)name, (const unsigned char *)value,
					   (int)strlen(value), p, end);
}

/* The extra "name: value\r\n" lines of c->headers. */
static int add_extra(struct lws *wsi, const struct web_conn *c, unsigned char **p, unsigned char *end)
{
	char buf[sizeof(c->headers)];
	snprintf(buf, sizeof(buf), "%s", c->headers);
	char *save = NULL;
	for (char *line = strtok_r(buf, "\r\n", &save); line; line = strtok_r(NULL, "\r\n", &save)) {
		char *colon = strchr(line, ':');
		if (!colon)
			continue;
		char name[64];
		snprintf(name, sizeof(name), "%.*s:", (int)(colon - line), line);
		if (add_header(wsi, name, colon + 2, p, end))
			return -1;
	}
	return 0;
}

static int write_headers(struct lws *wsi, struct web_conn *c)
{
	unsigned char buf[LWS_PRE + 2048], *start = buf + LWS_PRE, *p = start, *end = buf + sizeof(buf) - 1;
	bool api = strncmp(c->uri, "/api/", 5) == 0;
	if (lws_add_http_common_headers(wsi, (unsigned)c->status, c->type, c->body_len, &p, end) ||
	    add_header(wsi, "cache-control:", api ? "no-store" : "no-cache", &p, end) ||
	    add_header(wsi, "x-content-type-options:", "nosniff", &p, end) ||
	    add_header(wsi, "x-frame-options:", "DENY", &p, end) ||
	    add_header(wsi, "referrer-policy:", "no-referrer", &p, end) ||
	    add_header(wsi, "content-security-policy:",
		       "default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'",
		       &p, end) ||
	    add_extra(wsi, c, &p, end) || lws_finalize_write_http_header(wsi, start, &p, end))
		return -1;
	c->headers_sent = true;
	return 0;
}

/* One step of the reply: the headers, then the body CHUNK by CHUNK. */
static int write_reply(struct lws *wsi, struct web_conn *c)
{
	if (!c->have_reply)
		return 0;
	if (!c->headers_sent) {
		if (write_headers(wsi, c))
			return -1;
		if (c->body_len) {
			lws_callback_on_writable(wsi);
			return 0;
		}
	} else {
		unsigned char buf[LWS_PRE + CHUNK];
		size_t n = c->body_len - c->off < CHUNK ? c->body_len - c->off : CHUNK;
		memcpy(buf + LWS_PRE, c->body + c->off, n);
		c->off += n;
		bool last = c->off == c->body_len;
		if (lws_write(wsi, buf + LWS_PRE, n, last ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP) != (int)n)
			return -1;
		if (!last) {
			lws_callback_on_writable(wsi);
			return 0;
		}
	}
	reply_free(c);
	return lws_http_transaction_completed(wsi) ? -1 : 0;
}

/* The query string: lws keeps it as fragments, one per '&'. */
static void read_query(struct lws *wsi, struct web_conn *c)
{
	size_t off = 0;
	c->query[0] = '\0';
	char frag[512];
	for (int i = 0; lws_hdr_copy_fragment(wsi, frag, sizeof(frag), WSI_TOKEN_HTTP_URI_ARGS, i) > 0; i++) {
		int n = snprintf(c->query + off, sizeof(c->query) - off, "%s%s", off ? "&" : "", frag);
		if (n < 0 || (size_t)n >= sizeof(c->query) - off)
			break;
		off += (size_t)n;
	}
}

static void request_reset(struct web_conn *c)
{
	reply_free(c);
	free(c->req);
	c->req = NULL;
	c->req_len = 0;
	c->req_too_big = false;
	c->headers[0] = '\0';
	c->kind = WEB_CONN_HTTP;
}

static void route(struct pi_web *w, struct lws *wsi, struct web_conn *c)
{
	const char *path = strcmp(c->uri, "/") == 0 ? "/index.html" : c->uri;
	const struct pi_web_asset *a = c->post ? NULL : pi_web_asset_find(path);
	if (a) {
		/* The page's code, the same for everyone and holding nothing of
		 * the lab: it must load to show the login form. */
		web_reply(wsi, c, 200, a->type, (char *)a->data, a->len);
		c->body_static = true;
		return;
	}
	if (strncmp(c->uri, "/api/v1/", 8) != 0) {
		web_reply_error(wsi, c, 404, "no such page", "the page is at /");
		return;
	}
	web_api(w, wsi, c);
}

static int on_http(struct pi_web *w, struct lws *wsi, struct web_conn *c, const char *uri)
{
	request_reset(c);
	snprintf(c->uri, sizeof(c->uri), "%s", uri);
	read_query(wsi, c);
	c->post = lws_hdr_total_length(wsi, WSI_TOKEN_POST_URI) > 0;
	if (c->post)
		return 0; /* the body comes first: HTTP_BODY, then HTTP_BODY_COMPLETION */
	route(w, wsi, c);
	return 0;
}

static void on_body(struct web_conn *c, const void *in, size_t len)
{
	if (c->req_too_big || c->req_len + len > WEB_BODY_MAX) {
		c->req_too_big = true;
		return;
	}
	c->req = pi_xrealloc(c->req, c->req_len + len + 1);
	memcpy(c->req + c->req_len, in, len);
	c->req_len += len;
	c->req[c->req_len] = '\0';
}

static int on_http_event(struct pi_web *w, struct lws *wsi, struct web_conn *c, enum lws_callback_reasons reason,
			 void *in, size_t len)
{
	switch (reason) {
	case LWS_CALLBACK_HTTP:
		return on_http(w, wsi, c, in);
	case LWS_CALLBACK_HTTP_BODY:
		on_body(c, in, len);
		return 0;
	case LWS_CALLBACK_HTTP_BODY_COMPLETION:
		if (c->req_too_big)
			web_reply_error(wsi, c, 400, "request body too large", NULL);
		else
			route(w, wsi, c);
		free(c->req); /* routes copy what they keep */
		c->req = NULL;
		c->req_len = 0;
		return 0;
	case LWS_CALLBACK_HTTP_WRITEABLE:
		return write_reply(wsi, c);
	case LWS_CALLBACK_HTTP_FILE_COMPLETION:
		return lws_http_transaction_completed(wsi) ? -1 : 0;
	default:
		return 0;
	}
}

/* The WebSocket upgrade: a session and our own Origin, else 403 before it. */
static int confirm_upgrade(struct pi_web *w, struct lws *wsi, struct web_conn *c)
{
	const char *why = NULL;
	char uri[256] = "";
	int status = 403;
	const struct pi_web_account *a = web_session_account(w, wsi, NULL);
	lws_hdr_copy(wsi, uri, sizeof(uri), WSI_TOKEN_GET_URI);
	if (!a)
		why = "login required";
	else if (!web_origin_ok(wsi, w->tls))
		why = "the Origin of this WebSocket is not this server";
	else if (strncmp(uri, "/api/v1/term/", 13) == 0)
		status = web_term_check(w, uri, a, &why);
	else if (strcmp(uri, "/api/v1/events") != 0)
		status = 404, why = "no such WebSocket";
	else if (!pi_web_may(a, PI_WEB_VIEW, NULL))
		why = "this account may not watch the lab";
	if (!why)
		return 0;
	char *t = web_error_text(why, "open the page from the server's own address");
	unsigned char buf[LWS_PRE + 1024], *start = buf + LWS_PRE, *p = start, *end = buf + sizeof(buf) - 1;
	int rc = 1;
	size_t n = strlen(t);
	if (lws_add_http_common_headers(wsi, (unsigned)status, "application/json", n, &p, end) ||
	    add_header(wsi, "cache-control:", "no-store", &p, end) || lws_finalize_http_header(wsi, &p, end) ||
	    p + n >= end)
		rc = -1;
	if (rc > 0) {
		memcpy(p, t, n);
		p += n;
		if (lws_write(wsi, start, (size_t)(p - start), LWS_WRITE_HTTP_HEADERS) != (int)(p - start))
			rc = -1;
	}
	free(t);
	(void)c;
	return rc;
}

/* A WebSocket is open (confirm_upgrade let it through): which one. */
static int on_established(struct pi_web *w, struct lws *wsi, struct web_conn *c)
{
	char uri[256] = "";
	size_t account = 0;
	lws_hdr_copy(wsi, uri, sizeof(uri), WSI_TOKEN_GET_URI);
	memset(c, 0, sizeof(*c));
	if (!web_session_account(w, wsi, &account))
		return -1;
	snprintf(c->uri, sizeof(c->uri), "%s", uri);
	if (strcmp(uri, "/api/v1/events") == 0) {
		c->kind = WEB_CONN_EVENTS;
		pthread_mutex_lock(&w->lock); /* the poller checks watchers under it */
		atomic_fetch_add(&w->watchers, 1);
		pthread_cond_signal(&w->poll_cond);
		pthread_mutex_unlock(&w->lock);
		lws_callback_on_writable(wsi);
		return 0;
	}
	if (strncmp(uri, "/api/v1/term/", 13) == 0) {
		c->kind = WEB_CONN_TERM;
		return web_term_establish(w, wsi, c, account);
	}
	return -1;
}

int web_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
	struct pi_web *w = web_of(wsi);
	struct web_conn *c = user;
	switch (reason) {
	case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
		if (w) {
			web_jobs_collect(w);
			pthread_mutex_lock(&w->lock);
			unsigned long gen = w->live_gen;
			pthread_mutex_unlock(&w->lock);
			if (gen != w->sent_gen) {
				w->sent_gen = gen;
				lws_callback_on_writable_all_protocol(w->ctx, lws_vhost_name_to_protocol(w->vh, "http"));
			}
		}
		return 0;
	case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE:
		return confirm_upgrade(w, wsi, c);
	case LWS_CALLBACK_ESTABLISHED:
		return on_established(w, wsi, c);
	case LWS_CALLBACK_SERVER_WRITEABLE:
		if (c->kind == WEB_CONN_EVENTS)
			return web_events_writeable(w, wsi, c);
		return c->kind == WEB_CONN_TERM ? web_term_ws(w, wsi, c, reason, in, len) : 0;
	case LWS_CALLBACK_RECEIVE:
		return c->kind == WEB_CONN_TERM ? web_term_ws(w, wsi, c, reason, in, len) : 0;
	case LWS_CALLBACK_CLOSED:
		if (c->kind == WEB_CONN_EVENTS)
			atomic_fetch_sub(&w->watchers, 1);
		if (c->kind == WEB_CONN_TERM)
			web_term_closed(w, c);
		c->kind = WEB_CONN_HTTP;
		return 0;
	case LWS_CALLBACK_RAW_RX_FILE:
	case LWS_CALLBACK_RAW_WRITEABLE_FILE:
	case LWS_CALLBACK_RAW_CLOSE_FILE:
		return web_tty_raw(w, wsi, reason);
	case LWS_CALLBACK_CLOSED_HTTP:
	case LWS_CALLBACK_HTTP_DROP_PROTOCOL: /* lws 4.1 does not always say CLOSED_HTTP */
		if (c && c->job)
			c->job->wsi = NULL; /* the worker's reply has nobody to go to */
		if (c) {
			c->job = NULL;
			request_reset(c);
		}
		return 0;
	default:
		return c ? on_http_event(w, wsi, c, reason, in, len) : 0;
	}
}

const struct pi_web_asset *pi_web_asset_find(const char *path)
{
	for (size_t i = 0; i < pi_web_n_assets; i++)
		if (strcmp(pi_web_assets[i].path, path) == 0)
			return &pi_web_assets[i];
	return NULL;
}
