/*
 * http: a native HTTP/1.0 GET from inside a node's netns. The TCP socket
 * is created inside the node's netns (pi_apply_ns_socket) and driven from
 * the calling thread, non-blocking, under one deadline for connect, send
 * and read: a server that accepts and never answers costs timeout_ms, no
 * more.
 *
 * The response is written by whatever listens on the node (a student can
 * run anything there), so the parser is a pure function over the bytes
 * received so far, bounded by PI_HTTP_HEAD_MAX + PI_HTTP_BODY_MAX, that
 * never reads past len and never needs a NUL. It is re-run after every
 * read: the whole buffer is at most 12 KiB, so re-parsing costs nothing
 * and headers split anywhere across reads need no state.
 *
 * Which node answered: the lab's pages (render/http.c) carry
 * PI_HTTP_NODE_META; lighttpd's "Server: pocketinternet <node>" is the
 * fallback for a page a student replaced.
 */
#include <assert.h>
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>
#include "apply_int.h"

#define HTTP_SERVER_TAG "pocketinternet "
#define HTTP_PATH_MAX 2048
#define HTTP_HOST_MAX 255

/* ---- parsing ---- */

/* The offset of the first '\n' in [from, to), or SIZE_MAX. */
static size_t find_nl(const char *buf, size_t from, size_t to)
{
	const char *nl = from < to ? memchr(buf + from, '\n', to - from) : NULL;
	return nl ? (size_t)(nl - buf) : SIZE_MAX;
}

/* "HTTP/d.d NNN[ reason]" in [0, n) (without the line end). */
static int parse_status_line(const char *s, size_t n)
{
	if (n < 12 || memcmp(s, "HTTP/", 5) != 0 || s[5] < '0' || s[5] > '9' || s[6] != '.' || s[7] < '0' ||
	    s[7] > '9' || s[8] != ' ')
		return -EBADMSG;
	size_t i = 8;
	while (i < n && s[i] == ' ')
		i++;
	if (n - i < 3)
		return -EBADMSG;
	int status = 0;
	for (size_t k = 0; k < 3; k++) {
		if (s[i + k] < '0' || s[i + k] > '9')
			return -EBADMSG;
		status = status * 10 + (s[i + k] - '0');
	}
	if (i + 3 < n && s[i + 3] != ' ')
		return -EBADMSG; /* "2000" */
	return status >= 100 && status <= 599 ? status : -EBADMSG;
}

/* Copies a node name (the characters in [A-Za-z0-9._-] at s, at most
 * cap - 1) into out when term follows it (term 0: the end of [s, s + n) or
 * a space); "" otherwise, so a cut or odd name is never half taken. */
static void take_node(const char *s, size_t n, char term, char *out, size_t cap)
{
	size_t k = 0;
	while (k < n && (s[k] == '-' || s[k] == '.' || s[k] == '_' || (s[k] >= '0' && s[k] <= '9') ||
			 (s[k] >= 'a' && s[k] <= 'z') || (s[k] >= 'A' && s[k] <= 'Z')))
		k++;
	bool ended = term ? k < n && s[k] == term : k == n || s[k] == ' ';
	if (k == 0 || k >= cap || !ended)
		k = 0;
	memcpy(out, s, k);
	out[k] = '\0';
}

struct http_head {
	size_t end;          /* first body byte */
	long long clen;      /* Content-Length, -1 when absent */
	char server[128];    /* the node a "Server: pocketinternet <node>" names */
};

/* One header line [s, s + n) without its line end. */
static int parse_header(const char *s, size_t n, struct http_head *h)
{
	const char *colon = memchr(s, ':', n);
	if (!colon)
		return n == 0 || s[0] == ' ' || s[0] == '\t' ? 0 : -EBADMSG; /* folded lines are ignored */
	size_t nl = (size_t)(colon - s), v = nl + 1;
	while (v < n && (s[v] == ' ' || s[v] == '\t'))
		v++;
	size_t vn = n - v;
	while (vn && (s[v + vn - 1] == ' ' || s[v + vn - 1] == '\t'))
		vn--;
	if (nl == 14 && strncasecmp(s, "Content-Length", 14) == 0) {
		long long c = 0;
		if (vn == 0 || vn > 12)
			return -EBADMSG;
		for (size_t k = 0; k < vn; k++) {
			if (s[v + k] < '0' || s[v + k] > '9')
				return -EBADMSG;
			c = c * 10 + (s[v + k] - '0');
		}
		if (h->clen >= 0 && h->clen != c)
			return -EBADMSG; /* two different lengths: which body is it? */
		h->clen = c;
	} else if (nl == 6 && strncasecmp(s, "Server", 6) == 0 && vn > strlen(HTTP_SERVER_TAG) &&
		   memcmp(s + v, HTTP_SERVER_TAG, strlen(HTTP_SERVER_TAG)) == 0) {
		size_t t = strlen(HTTP_SERVER_TAG);
		take_node(s + v + t, vn - t, 0, h->server, sizeof(h->server));
	}
	return 0;
}

/* The status line and headers: the status, or -EAGAIN, or -EBADMSG. */
static int parse_head(const char *buf, size_t len, bool eof, struct http_head *h)
{
	size_t lim = len < PI_HTTP_HEAD_MAX ? len : PI_HTTP_HEAD_MAX;
	size_t pre = len < 5 ? len : 5;
	if (memcmp(buf, "HTTP/", pre) != 0)
		return -EBADMSG; /* garbage is known from its first bytes */
	size_t e = find_nl(buf, 0, lim);
	int status = -EAGAIN;
	if (e != SIZE_MAX)
		status = parse_status_line(buf, e && buf[e - 1] == '\r' ? e - 1 : e);
	for (size_t at = e + 1; status >= 0; at = e + 1) {
		e = find_nl(buf, at, lim);
		if (e == SIZE_MAX) {
			status = -EAGAIN;
			break;
		}
		size_t n = e - at - (e > at && buf[e - 1] == '\r');
		if (n == 0) {
			h->end = e + 1;
			return status;
		}
		int rc = parse_header(buf + at, n, h);
		if (rc)
			return rc;
	}
	if (status == -EAGAIN && (eof || len >= PI_HTTP_HEAD_MAX))
		return -EBADMSG; /* closed, or headers without end */
	return status;
}

int pi_http_parse_response(const char *buf, size_t len, bool eof, struct pi_http_result *out)
{
	out->status = 0;
	out->server_node[0] = out->body[0] = '\0';
	out->body_len = 0;
	if (!buf)
		return eof ? -EBADMSG : -EAGAIN;
	struct http_head h = { .clen = -1 };
	int status = parse_head(buf, len, eof, &h);
	if (status < 0)
		return status;
	size_t cap = sizeof(out->body) - 1, avail = len - h.end, want = cap;
	if (status < 200 || status == 204 || status == 304)
		want = 0; /* no body, whatever follows */
	else if (h.clen >= 0 && (unsigned long long)h.clen < want)
		want = (size_t)h.clen;
	if (avail < want && !eof)
		return -EAGAIN;
	out->status = status;
	out->body_len = avail < want ? avail : want;
	memcpy(out->body, buf + h.end, out->body_len);
	out->body[out->body_len] = '\0';
	const char *m = memmem(out->body, out->body_len, PI_HTTP_NODE_META, strlen(PI_HTTP_NODE_META));
	if (m) {
		size_t at = (size_t)(m - out->body) + strlen(PI_HTTP_NODE_META);
		take_node(out->body + at, out->body_len - at, '"', out->server_node, sizeof(out->server_node));
	}
	if (!out->server_node[0])
		snprintf(out->server_node, sizeof(out->server_node), "%s", h.server);
	return 0;
}

/* ---- the request ---- */

/* 1..max printable characters, no space. */
static bool token_ok(const char *s, size_t max)
{
	size_t n = s ? strnlen(s, max + 1) : 0;
	if (n == 0 || n > max)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] <= ' ' || (unsigned char)s[i] >= 0x7f)
			return false;
	return true;
}

/* The request into req; its length, or 0 when host or path is unusable. */
static size_t http_request(char *req, size_t cap, const struct pi_prefix *addr, unsigned port, const char *host,
			   const char *path)
{
	char lit[PI_PREFIX_STRLEN + 2], a[PI_PREFIX_STRLEN], hp[HTTP_HOST_MAX + 8];
	if (!host) {
		pi_prefix_fmt_addr(addr, a);
		snprintf(lit, sizeof(lit), addr->family == PI_AF_V6 ? "[%s]" : "%s", a);
		host = lit;
	}
	if (!token_ok(host, HTTP_HOST_MAX) || !token_ok(path, HTTP_PATH_MAX) || path[0] != '/')
		return 0;
	if (port == 80)
		snprintf(hp, sizeof(hp), "%s", host);
	else
		snprintf(hp, sizeof(hp), "%s:%u", host, port);
	int n = snprintf(req, cap,
			 "GET %s HTTP/1.0\r\nHost: %s\r\nUser-Agent: pocketinternet\r\nAccept: */*\r\n"
			 "Connection: close\r\n\r\n",
			 path, hp);
	return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

/* ---- the exchange ---- */

/* Waits for events on fd until deadline: 0, -ETIMEDOUT or -errno. */
static int wait_fd(int fd, short events, double deadline)
{
	for (;;) {
		int left = (int)((deadline - pi_monotonic()) * 1000.0 + 0.999); /* ms, rounded up */
		struct pollfd p = { .fd = fd, .events = events };
		int r = left > 0 ? poll(&p, 1, left) : 0;
		if (r > 0)
			return 0;
		if (r == 0)
			return -ETIMEDOUT;
		if (errno != EINTR)
			return -errno;
	}
}

static int http_connect(int fd, const struct sockaddr_storage *ss, socklen_t sl, double deadline)
{
	if (connect(fd, (const struct sockaddr *)ss, sl) == 0)
		return 0;
	if (errno != EINPROGRESS && errno != EINTR)
		return -errno;
	int rc = wait_fd(fd, POLLOUT, deadline);
	if (rc)
		return rc;
	int err = 0;
	socklen_t el = sizeof(err);
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0)
		return -errno;
	return -err;
}

static int http_send(int fd, const char *req, size_t len, double deadline)
{
	size_t off = 0;
	while (off < len) {
		ssize_t n = send(fd, req + off, len - off, MSG_NOSIGNAL);
		if (n > 0) {
			off += (size_t)n;
			continue;
		}
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			return -errno;
		int rc = wait_fd(fd, POLLOUT, deadline);
		if (rc)
			return rc;
	}
	return 0;
}

/* Reads until the parser is satisfied, the peer closes, or the deadline. */
static int http_read(int fd, double deadline, struct pi_http_result *out)
{
	static_assert(PI_HTTP_HEAD_MAX + PI_HTTP_BODY_MAX <= 16384, "the read buffer lives on the stack");
	char buf[PI_HTTP_HEAD_MAX + PI_HTTP_BODY_MAX];
	size_t len = 0;
	for (;;) {
		int rc = pi_http_parse_response(buf, len, false, out);
		if (rc != -EAGAIN)
			return rc;
		if (len == sizeof(buf))
			return -EBADMSG; /* cannot happen: the parser decides before */
		rc = wait_fd(fd, POLLIN, deadline);
		if (rc) {
			pi_http_parse_response(buf, len, true, out); /* what arrived, for the report */
			return rc;
		}
		ssize_t n = recv(fd, buf + len, sizeof(buf) - len, 0);
		if (n == 0)
			return pi_http_parse_response(buf, len, true, out);
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			return -errno;
		if (n > 0)
			len += (size_t)n;
	}
}

int pi_http_get_fd(int nsfd, const struct pi_prefix *addr, unsigned port, const char *host, const char *path,
		   unsigned timeout_ms, struct pi_http_result *out)
{
	memset(out, 0, sizeof(*out));
	double t0 = pi_monotonic(), deadline = t0 + timeout_ms / 1000.0;
	char req[HTTP_PATH_MAX + HTTP_HOST_MAX + 256];
	size_t len = addr && (addr->family == PI_AF_V4 || addr->family == PI_AF_V6)
			     ? http_request(req, sizeof(req), addr, port, host, path)
			     : 0;
	if (len == 0)
		return -EINVAL;
	struct sockaddr_storage ss;
	socklen_t sl;
	int fd = pi_apply_ns_socket(nsfd, addr, port, SOCK_STREAM | SOCK_NONBLOCK, &ss, &sl);
	if (fd < 0)
		return fd;
	int rc = http_connect(fd, &ss, sl, deadline);
	if (rc == 0)
		rc = http_send(fd, req, len, deadline);
	if (rc == 0)
		rc = http_read(fd, deadline, out);
	close(fd);
	out->seconds = pi_monotonic() - t0;
	return rc;
}

int pi_http_get(int pid, const struct pi_prefix *addr, unsigned port, const char *host, const char *path,
		unsigned timeout_ms, struct pi_http_result *out)
{
	int nsfd = pi_apply_pid_netns(pid);
	if (nsfd < 0) {
		memset(out, 0, sizeof(*out));
		return nsfd;
	}
	int rc = pi_http_get_fd(nsfd, addr, port, host, path, timeout_ms, out);
	close(nsfd);
	return rc;
}
