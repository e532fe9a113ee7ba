/* The web tests' HTTP client: one request per call, body and headers kept. */
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <cmocka.h>
#include <curl/curl.h>
#include "web_client.h"

static size_t on_data(char *p, size_t size, size_t n, void *ctx)
{
	pi_buf_write(ctx, p, size * n);
	return size * n;
}

long web_request(const char *base, struct web_reply *r, const char *method, const char *path, const char *cookie,
		 const char *body)
{
	char url[512];
	snprintf(url, sizeof(url), "%s%s", base, path);
	pi_buf_init(&r->body);
	pi_buf_init(&r->headers);
	CURL *c = curl_easy_init();
	assert_non_null(c);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &r->body);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &r->headers);
	if (cookie)
		curl_easy_setopt(c, CURLOPT_COOKIE, cookie);
	if (strcmp(method, "POST") == 0)
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body ? body : "");
	assert_int_equal(curl_easy_perform(c), CURLE_OK);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	curl_easy_cleanup(c);
	return r->status;
}

void web_reply_free(struct web_reply *r)
{
	pi_buf_free(&r->body);
	pi_buf_free(&r->headers);
}

/* Reads the reply into first: up to the end of the headers, and after a 101
 * up to the first frame if frame. */
static size_t read_reply(int fd, char *first, size_t len, bool frame)
{
	size_t off = 0;
	ssize_t k;
	first[0] = '\0';
	while (off + 1 < len && (k = read(fd, first + off, len - 1 - off)) > 0) {
		off += (size_t)k;
		first[off] = '\0';
		char *end = strstr(first, "\r\n\r\n");
		if (end && (!frame || strncmp(first, "HTTP/1.1 101", 12) != 0 || (size_t)(end - first) + 6 < off))
			break;
	}
	return off;
}

int web_upgrade(int port, const char *path, const char *cookie, const char *origin, char *first, size_t len)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	char req[1024];
	int n = snprintf(req, sizeof(req),
			 "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
			 "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n%s%s%s%s%s%s\r\n",
			 path, port, origin ? "Origin: " : "", origin ? origin : "", origin ? "\r\n" : "",
			 cookie ? "Cookie: " : "", cookie ? cookie : "", cookie ? "\r\n" : "");
	assert_int_equal(write(fd, req, (size_t)n), n);
	struct timeval tv = { .tv_sec = 20 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	char head[2048];
	if (first)
		read_reply(fd, first, len, true);
	else
		read_reply(fd, first = head, sizeof(head), false);
	close(fd);
	int code = 0;
	sscanf(first, "HTTP/%*s %d", &code);
	return code;
}
