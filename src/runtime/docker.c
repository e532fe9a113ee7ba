/*
 * docker: the Engine API transport. One curl easy handle per call, over the
 * unix socket, so a client can be shared between threads; curl_global_init
 * runs once. Transport failures are turned into messages that say what to
 * do (start dockerd, fix permissions), since they are the first thing a
 * fresh machine hits.
 */
#include <curl/curl.h>
#include <errno.h>
#include <stdarg.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "docker_internal.h"
#include "pocketinternet/log.h"

/* How long an engine call may take when its caller names no limit of its own. */
#define PI_DOCKER_CALL_TIMEOUT 300

static const struct pi_pos nopos = { NULL, 0, 0 };

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc;

static void curl_init(void)
{
	curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static void diag_add(struct pi_diag *diag, const char *hint, const char *fmt, ...) PI_PRINTF(3, 4);
static void diag_add(struct pi_diag *diag, const char *hint, const char *fmt, ...)
{
	if (!diag)
		return;
	va_list ap;
	va_start(ap, fmt);
	pi_diag_vadd(diag, nopos, hint, fmt, ap);
	va_end(ap);
}

int pi_docker_new(const char *host, struct pi_docker **out, struct pi_diag *diag)
{
	*out = NULL;
	if (!host || !*host)
		host = getenv("DOCKER_HOST");
	if (!host || !*host)
		host = "unix://" PI_DOCKER_DEFAULT_SOCKET;
	const char *path;
	if (strncmp(host, "unix://", 7) == 0) {
		path = host + 7;
	} else {
		diag_add(diag,
			 "pocketinternet talks to the engine only over its unix socket: "
			 "set DOCKER_HOST=unix:///var/run/docker.sock or unset it",
			 "DOCKER_HOST=%s is not supported (only unix:// sockets are)", host);
		return -EINVAL;
	}
	if (path[0] != '/') {
		diag_add(diag, "write it as unix:///absolute/path/to/docker.sock",
			 "DOCKER_HOST=%s: the socket path must be absolute", host);
		return -EINVAL;
	}
	pthread_once(&curl_once, curl_init);
	if (curl_init_rc != CURLE_OK) {
		diag_add(diag, NULL, "cannot initialise libcurl: %s", curl_easy_strerror(curl_init_rc));
		return -EIO;
	}
	struct pi_docker *d = pi_xcalloc(1, sizeof(*d));
	d->socket = pi_xstrdup(path);
	d->host = pi_xstrdup(host);
	*out = d;
	return 0;
}

void pi_docker_free(struct pi_docker *d)
{
	if (!d)
		return;
	free(d->socket);
	free(d->host);
	free(d);
}

const char *pi_docker_socket(const struct pi_docker *d)
{
	return d->socket;
}

/* ---- transport ---- */

struct body_src {
	const char *p;
	size_t len, off;
	int fd;
};

static size_t read_body(char *buf, size_t size, size_t nmemb, void *userdata)
{
	struct body_src *s = userdata;
	size_t want = size * nmemb;
	if (s->fd >= 0) {
		for (;;) {
			ssize_t n = read(s->fd, buf, want);
			if (n >= 0)
				return (size_t)n;
			if (errno != EINTR)
				return CURL_READFUNC_ABORT;
		}
	}
	size_t left = s->len - s->off;
	if (want > left)
		want = left;
	memcpy(buf, s->p + s->off, want);
	s->off += want;
	return want;
}

struct sink {
	const struct pi_http_req *req;
	struct pi_buf *body;
};

static size_t write_body(char *p, size_t size, size_t nmemb, void *userdata)
{
	struct sink *s = userdata;
	size_t n = size * nmemb;
	if (s->req->on_data)
		return s->req->on_data(s->req->ctx, p, n);
	pi_buf_write(s->body, p, n);
	return n;
}

static void report_transport(struct pi_docker *d, CURLcode cc, long os_errno, const char *errbuf,
			     struct pi_diag *diag, int *rc)
{
	const char *sock = d->socket;
	bool is_default = strcmp(sock, PI_DOCKER_DEFAULT_SOCKET) == 0;
	char hint[768];
	if (cc == CURLE_COULDNT_CONNECT && os_errno == EACCES) {
		snprintf(hint, sizeof(hint),
			 "run pocketinternet as root (sudo), or add your user to the docker group "
			 "(`usermod -aG docker $USER`, then log in again)");
		diag_add(diag, hint, "permission denied on the Docker engine socket %s", sock);
		*rc = -EACCES;
		return;
	}
	if (cc == CURLE_COULDNT_CONNECT || cc == CURLE_RECV_ERROR || cc == CURLE_SEND_ERROR ||
	    cc == CURLE_GOT_NOTHING) {
		if (is_default)
			snprintf(hint, sizeof(hint),
				 "start it: `systemctl start docker` (with systemd), or `dockerd "
				 ">/var/log/dockerd.log 2>&1 &` without systemd, or run "
				 "scripts/start-dockerd.sh; if Docker is not installed, run "
				 "scripts/install-deps.sh");
		else
			snprintf(hint, sizeof(hint),
				 "DOCKER_HOST=%s: check that this socket is the engine's, or unset "
				 "DOCKER_HOST to use %s; start the engine with scripts/start-dockerd.sh",
				 d->host, PI_DOCKER_DEFAULT_SOCKET);
		diag_add(diag, hint, "cannot reach the Docker engine at %s: is dockerd running? (%s)",
			 sock, os_errno ? strerror((int)os_errno) : (errbuf[0] ? errbuf : curl_easy_strerror(cc)));
		*rc = -ECONNREFUSED;
		return;
	}
	if (cc == CURLE_OPERATION_TIMEDOUT) {
		diag_add(diag, "the engine may be overloaded or stuck; check `journalctl -u docker` or /var/log/dockerd.log",
			 "the Docker engine at %s did not answer in time", sock);
		*rc = -ETIMEDOUT;
		return;
	}
	if (cc == CURLE_ABORTED_BY_CALLBACK || cc == CURLE_WRITE_ERROR) {
		*rc = -ECANCELED;
		diag_add(diag, NULL, "request to the Docker engine was aborted");
		return;
	}
	diag_add(diag, NULL, "talking to the Docker engine at %s failed: %s", sock,
		 errbuf[0] ? errbuf : curl_easy_strerror(cc));
	*rc = -EIO;
}

int pi_docker_http(struct pi_docker *d, const struct pi_http_req *req, struct pi_http_resp *resp,
		   struct pi_diag *diag)
{
	int rc = 0;
	struct curl_slist *hdrs = NULL;
	char errbuf[CURL_ERROR_SIZE] = "";
	struct pi_buf url;
	pi_buf_init(&url);
	CURL *c = curl_easy_init();
	if (!c) {
		diag_add(diag, NULL, "cannot create a curl handle");
		rc = -ENOMEM;
		goto out;
	}
	/* The host part is ignored over a unix socket, but must be valid. */
	pi_buf_printf(&url, "http://localhost%s", req->path);
	curl_easy_setopt(c, CURLOPT_URL, pi_buf_str(&url));
	curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, d->socket);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L); /* required with threads */
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
	if (req->timeout_s > 0)
		curl_easy_setopt(c, CURLOPT_TIMEOUT, req->timeout_s);

	struct body_src src = { req->body, req->body_len, 0, req->body_fd };
	/* A plain "Expect:" stops curl waiting a second for 100-continue. */
	hdrs = curl_slist_append(hdrs, "Expect:");
	if (req->content_type) {
		char ct[128];
		snprintf(ct, sizeof(ct), "Content-Type: %s", req->content_type);
		hdrs = curl_slist_append(hdrs, ct);
	}
	if (strcmp(req->method, "POST") == 0) {
		curl_easy_setopt(c, CURLOPT_POST, 1L);
		if (req->body_fd >= 0) {
			hdrs = curl_slist_append(hdrs, "Transfer-Encoding: chunked");
			curl_easy_setopt(c, CURLOPT_READFUNCTION, read_body);
			curl_easy_setopt(c, CURLOPT_READDATA, &src);
		} else if (req->body) {
			curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
			curl_easy_setopt(c, CURLOPT_READFUNCTION, read_body);
			curl_easy_setopt(c, CURLOPT_READDATA, &src);
		} else {
			curl_easy_setopt(c, CURLOPT_POSTFIELDS, "");
			curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, 0L);
		}
	} else if (strcmp(req->method, "GET") != 0) {
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, req->method);
	}
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	struct sink sink = { req, &resp->body };
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, write_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink);

	CURLcode cc = curl_easy_perform(c);
	if (cc != CURLE_OK) {
		long os_errno = 0;
		curl_easy_getinfo(c, CURLINFO_OS_ERRNO, &os_errno);
		report_transport(d, cc, os_errno, errbuf, diag, &rc);
		goto out;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp->status);
	pi_log_debug("docker", "%s %s -> %ld", req->method, req->path, resp->status);
out:
	if (c)
		curl_easy_cleanup(c);
	curl_slist_free_all(hdrs);
	pi_buf_free(&url);
	return rc;
}

int pi_docker_status_error(long status, const char *body, const char *what, struct pi_diag *diag)
{
	char msg[1024] = "";
	json_t *j = body && *body ? json_loads(body, 0, NULL) : NULL;
	if (j)
		pi_json_copy(j, "message", msg, sizeof(msg));
	if (!msg[0] && body) {
		/* Some errors come as plain text. */
		snprintf(msg, sizeof(msg), "%s", body);
		size_t n = strlen(msg);
		while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
			msg[--n] = '\0';
	}
	json_decref(j);
	int rc;
	const char *hint = NULL;
	switch (status) {
	case 404: rc = -ENOENT; break;
	case 409: rc = -EEXIST; break;
	case 400: rc = -EINVAL; break;
	case 401:
	case 403: rc = -EACCES; break;
	default: rc = -EIO; break;
	}
	if (status == 404 && strstr(msg, "No such image"))
		hint = "build the node image with `pocketinternet image build`";
	if (status == 409 && strstr(msg, "is not running")) {
		/* exec into a stopped container: not a name clash. */
		rc = -ESRCH;
		hint = "the node's container has stopped; `pocketinternet status` shows the lab";
	}
	diag_add(diag, hint, "%s: %s (HTTP %ld)", what, msg[0] ? msg : "no message from the engine", status);
	return rc;
}

int pi_docker_call(struct pi_docker *d, const char *method, const char *path, json_t *body,
		   json_t **out_json, const char *what, struct pi_diag *diag)
{
	return pi_docker_call_timeout(d, method, path, body, out_json, what, PI_DOCKER_CALL_TIMEOUT, diag);
}

int pi_docker_call_timeout(struct pi_docker *d, const char *method, const char *path, json_t *body,
			   json_t **out_json, const char *what, long timeout_s, struct pi_diag *diag)
{
	struct pi_http_resp resp = { 0 };
	pi_buf_init(&resp.body);
	char *text = NULL;
	int rc;
	if (out_json)
		*out_json = NULL;
	if (body)
		text = json_dumps(body, JSON_COMPACT);
	struct pi_http_req req = {
		.method = method,
		.path = path,
		.content_type = body ? "application/json" : NULL,
		.body = text,
		.body_len = text ? strlen(text) : 0,
		.body_fd = -1,
		.timeout_s = timeout_s,
	};
	rc = pi_docker_http(d, &req, &resp, diag);
	if (rc)
		goto out;
	if (resp.status < 200 || resp.status > 299) {
		/* 304: already started / already stopped, which callers treat as done. */
		if (resp.status == 304)
			goto out;
		rc = pi_docker_status_error(resp.status, pi_buf_str(&resp.body), what, diag);
		goto out;
	}
	if (out_json && resp.body.len) {
		json_error_t jerr;
		*out_json = json_loadb(resp.body.data, resp.body.len, 0, &jerr);
		if (!*out_json) {
			diag_add(diag, NULL, "%s: the engine sent malformed JSON (%s)", what, jerr.text);
			rc = -EPROTO;
		}
	}
out:
	free(text);
	pi_buf_free(&resp.body);
	return rc;
}

int pi_docker_call_at(struct pi_docker *d, const struct pi_docker_at *at, json_t **out_json,
		      struct pi_diag *diag, const char *what_fmt, ...)
{
	struct pi_buf path, what;
	pi_buf_init(&path);
	pi_buf_init(&what);
	pi_buf_puts(&path, "/v" PI_DOCKER_API);
	pi_buf_puts(&path, at->base);
	if (at->image)
		pi_url_escape_image(&path, at->id);
	else
		pi_url_escape(&path, at->id);
	if (at->suffix)
		pi_buf_puts(&path, at->suffix);
	va_list ap;
	va_start(ap, what_fmt);
	pi_buf_vprintf(&what, what_fmt, ap);
	va_end(ap);
	int rc = pi_docker_call_timeout(d, at->method, pi_buf_str(&path), at->body, out_json,
					pi_buf_str(&what), at->timeout_s ? at->timeout_s : PI_DOCKER_CALL_TIMEOUT, diag);
	pi_buf_free(&path);
	pi_buf_free(&what);
	return rc;
}

void pi_docker_keep_head(struct pi_buf *raw, const char *p, size_t n)
{
	if (raw->len < 4096)
		pi_buf_write(raw, p, n < 4096 ? n : 4096);
}

void pi_url_escape_image(struct pi_buf *b, const char *s)
{
	for (const char *p = s; *p; p++) {
		if (*p == '/' || *p == ':') {
			pi_buf_putc(b, *p);
		} else {
			char one[2] = { *p, 0 };
			pi_url_escape(b, one);
		}
	}
}

void pi_url_escape(struct pi_buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		    *p == '-' || *p == '_' || *p == '.' || *p == '~') {
			pi_buf_putc(b, (char)*p);
		} else {
			pi_buf_putc(b, '%');
			pi_buf_putc(b, hex[*p >> 4]);
			pi_buf_putc(b, hex[*p & 15]);
		}
	}
}

void pi_json_copy(json_t *obj, const char *key, char *buf, size_t len)
{
	const char *s = json_string_value(json_object_get(obj, key));
	snprintf(buf, len, "%s", s ? s : "");
}

/* ---- ping, version ---- */

int pi_docker_ping(struct pi_docker *d, struct pi_diag *diag)
{
	struct pi_http_resp resp = { 0 };
	pi_buf_init(&resp.body);
	struct pi_http_req req = { .method = "GET", .path = "/_ping", .body_fd = -1, .timeout_s = 15 };
	int rc = pi_docker_http(d, &req, &resp, diag);
	if (rc)
		goto out;
	if (resp.status != 200 || strcmp(pi_buf_str(&resp.body), "OK") != 0) {
		rc = pi_docker_status_error(resp.status, pi_buf_str(&resp.body), "the Docker engine's /_ping", diag);
		goto out;
	}
out:
	pi_buf_free(&resp.body);
	return rc;
}

int pi_docker_api_cmp(const char *a, const char *b)
{
	unsigned amaj = 0, amin = 0, bmaj = 0, bmin = 0;
	int na = a ? sscanf(a, "%u.%u", &amaj, &amin) : 0;
	int nb = b ? sscanf(b, "%u.%u", &bmaj, &bmin) : 0;
	if (na != 2 || nb != 2)
		return (na == 2) - (nb == 2);
	if (amaj != bmaj)
		return amaj < bmaj ? -1 : 1;
	if (amin != bmin)
		return amin < bmin ? -1 : 1;
	return 0;
}

int pi_docker_version(struct pi_docker *d, struct pi_docker_version *out, struct pi_diag *diag)
{
	json_t *j = NULL;
	memset(out, 0, sizeof(*out));
	int rc = pi_docker_call(d, "GET", "/version", NULL, &j, "asking the Docker engine's version", diag);
	if (rc)
		goto out;
	pi_json_copy(j, "Version", out->engine, sizeof(out->engine));
	pi_json_copy(j, "ApiVersion", out->api, sizeof(out->api));
	pi_json_copy(j, "MinAPIVersion", out->min_api, sizeof(out->min_api));
	pi_json_copy(j, "Os", out->os, sizeof(out->os));
	pi_json_copy(j, "Arch", out->arch, sizeof(out->arch));
	pi_json_copy(j, "KernelVersion", out->kernel, sizeof(out->kernel));
out:
	json_decref(j);
	return rc;
}

int pi_docker_open(const char *host, struct pi_docker **out, struct pi_diag *diag)
{
	struct pi_docker *d = NULL;
	struct pi_docker_version v;
	int rc = pi_docker_new(host, &d, diag);
	if (rc)
		goto out;
	rc = pi_docker_version(d, &v, diag);
	if (rc)
		goto out;
	if (pi_docker_api_cmp(v.api, PI_DOCKER_API) < 0) {
		diag_add(diag,
			 "upgrade Docker to 20.10 or newer (Debian 12: `apt-get install docker.io`; "
			 "or scripts/install-deps.sh)",
			 "the Docker engine %s speaks API %s, but pocketinternet needs API %s or newer",
			 v.engine[0] ? v.engine : "(unknown)", v.api[0] ? v.api : "(unknown)", PI_DOCKER_API);
		rc = -EPROTONOSUPPORT;
		goto out;
	}
	if (v.min_api[0] && pi_docker_api_cmp(v.min_api, PI_DOCKER_API) > 0) {
		diag_add(diag, "use a Docker release that still supports API " PI_DOCKER_API,
			 "the Docker engine %s no longer accepts API %s (minimum %s)", v.engine,
			 PI_DOCKER_API, v.min_api);
		rc = -EPROTONOSUPPORT;
		goto out;
	}
	*out = d;
	d = NULL;
out:
	pi_docker_free(d);
	return rc;
}

/* ---- exec stream demultiplexer ---- */

/* Without a callback: into the two buffers, up to the cap. */
static int demux_to_bufs(void *ctx, int stream, const char *p, size_t n)
{
	struct pi_demux *m = ctx;
	struct pi_buf *dst = stream == 1 ? m->out : m->err;
	size_t keep = n;
	/* A command that floods its output must not eat the host's memory. */
	if (m->cap && dst->len + keep > m->cap) {
		keep = dst->len < m->cap ? m->cap - dst->len : 0;
		m->truncated = true;
	}
	if (keep)
		pi_buf_write(dst, p, keep);
	return 0;
}

void pi_demux_init(struct pi_demux *m, struct pi_buf *out, struct pi_buf *err)
{
	memset(m, 0, sizeof(*m));
	m->out = out;
	m->err = err;
	m->fn = demux_to_bufs;
	m->ctx = m;
}

void pi_demux_init_fn(struct pi_demux *m, pi_demux_fn fn, void *ctx)
{
	memset(m, 0, sizeof(*m));
	m->fn = fn;
	m->ctx = ctx;
}

/* Takes header bytes; 1 when the header is complete, 0 when more are needed. */
static int demux_header(struct pi_demux *m, const char **p, size_t *n)
{
	size_t take = 8 - m->hdr_have;
	if (take > *n)
		take = *n;
	memcpy(m->hdr + m->hdr_have, *p, take);
	m->hdr_have += take;
	*p += take;
	*n -= take;
	if (m->hdr_have < 8)
		return 0;
	m->hdr_have = 0;
	if (m->hdr[0] > 3 || m->hdr[1] || m->hdr[2] || m->hdr[3]) {
		m->stopped = -EPROTO;
		return 0;
	}
	m->stream = m->hdr[0];
	m->remaining = ((size_t)m->hdr[4] << 24) | ((size_t)m->hdr[5] << 16) | ((size_t)m->hdr[6] << 8) |
		       (size_t)m->hdr[7];
	return 1;
}

int pi_demux_feed(struct pi_demux *m, const char *p, size_t n)
{
	while (n && !m->stopped) {
		if (m->remaining == 0) {
			demux_header(m, &p, &n);
			continue;
		}
		size_t take = m->remaining < n ? m->remaining : n;
		if (m->stream != 0)
			m->stopped = m->fn(m->ctx, m->stream, p, take);
		m->remaining -= take;
		p += take;
		n -= take;
	}
	return m->stopped;
}

/* ---- JSON lines (build and import progress) ---- */

void pi_jsonlines_init(struct pi_jsonlines *jl, pi_docker_progress_fn progress, void *ctx)
{
	memset(jl, 0, sizeof(*jl));
	pi_buf_init(&jl->partial);
	jl->progress = progress;
	jl->ctx = ctx;
}

static void emit_text(struct pi_jsonlines *jl, const char *s)
{
	/* A "stream" member may hold several lines or end mid-line. */
	while (*s) {
		const char *nl = strchr(s, '\n');
		size_t n = nl ? (size_t)(nl - s) : strlen(s);
		while (n && s[n - 1] == '\r')
			n--;
		if (n && jl->progress) {
			char *line = pi_xmalloc(n + 1);
			memcpy(line, s, n);
			line[n] = '\0';
			jl->progress(jl->ctx, line);
			free(line);
		}
		if (!nl)
			break;
		s = nl + 1;
	}
}

static void handle_line(struct pi_jsonlines *jl, const char *line, size_t n)
{
	if (n == 0)
		return;
	json_t *j = json_loadb(line, n, 0, NULL);
	if (!j) {
		/* Not JSON: pass it on as it is. */
		char *copy = pi_xmalloc(n + 1);
		memcpy(copy, line, n);
		copy[n] = '\0';
		emit_text(jl, copy);
		free(copy);
		return;
	}
	const char *err = json_string_value(json_object_get(j, "error"));
	if (!err)
		err = json_string_value(json_object_get(json_object_get(j, "errorDetail"), "message"));
	if (err && !jl->error)
		jl->error = pi_xstrdup(err);
	const char *stream = json_string_value(json_object_get(j, "stream"));
	if (stream)
		emit_text(jl, stream);
	const char *status = json_string_value(json_object_get(j, "status"));
	if (status) {
		const char *prog = json_string_value(json_object_get(j, "progress"));
		char buf[512];
		snprintf(buf, sizeof(buf), "%s%s%s", status, prog ? " " : "", prog ? prog : "");
		emit_text(jl, buf);
	}
	const char *aux_id = json_string_value(json_object_get(json_object_get(j, "aux"), "ID"));
	if (aux_id) {
		free(jl->last_id);
		jl->last_id = pi_xstrdup(aux_id);
	}
	json_decref(j);
}

void pi_jsonlines_feed(struct pi_jsonlines *jl, const char *p, size_t n)
{
	pi_buf_write(&jl->partial, p, n);
	size_t start = 0;
	const char *d = jl->partial.data;
	for (size_t i = 0; i < jl->partial.len; i++) {
		if (d[i] == '\n') {
			handle_line(jl, d + start, i - start);
			start = i + 1;
		}
	}
	if (start) {
		size_t left = jl->partial.len - start;
		memmove(jl->partial.data, d + start, left);
		jl->partial.len = left;
		jl->partial.data[left] = '\0';
	}
}

void pi_jsonlines_finish(struct pi_jsonlines *jl)
{
	if (jl->partial.len)
		handle_line(jl, jl->partial.data, jl->partial.len);
	pi_buf_reset(&jl->partial);
}

void pi_jsonlines_free(struct pi_jsonlines *jl)
{
	pi_buf_free(&jl->partial);
	free(jl->error);
	free(jl->last_id);
}

/* ---- ustar writer ---- */

void pi_tar_add_file(struct pi_buf *tar, const char *name, const void *data, size_t len, unsigned mode)
{
	unsigned char h[512];
	memset(h, 0, sizeof(h));
	snprintf((char *)h, 100, "%s", name);
	snprintf((char *)h + 100, 8, "%07o", mode & 07777);
	snprintf((char *)h + 108, 8, "%07o", 0);
	snprintf((char *)h + 116, 8, "%07o", 0);
	snprintf((char *)h + 124, 12, "%011llo", (unsigned long long)len);
	snprintf((char *)h + 136, 12, "%011o", 0);
	h[156] = '0';
	memcpy(h + 257, "ustar", 6);
	memcpy(h + 263, "00", 2);
	/* The checksum is computed with its own field as spaces. */
	memset(h + 148, ' ', 8);
	unsigned sum = 0;
	for (size_t i = 0; i < sizeof(h); i++)
		sum += h[i];
	snprintf((char *)h + 148, 8, "%06o", sum);
	h[155] = ' ';
	pi_buf_write(tar, h, sizeof(h));
	pi_buf_write(tar, data, len);
	static const char zeros[512];
	if (len % 512)
		pi_buf_write(tar, zeros, 512 - len % 512);
}

void pi_tar_finish(struct pi_buf *tar)
{
	static const char zeros[1024];
	pi_buf_write(tar, zeros, sizeof(zeros));
}
