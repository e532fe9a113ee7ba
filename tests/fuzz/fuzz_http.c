/*
 * libFuzzer target: any bytes as an HTTP response to
 * pi_http_parse_response, whole (open and closed) and as a prefix, as a
 * probe re-parses after each read. The server is a node students control:
 * no crash, no read past the bytes, and the documented contract holds:
 * closed input is never "need more", "need more" only below the buffer a
 * reader keeps, and a response complete at a prefix stays complete, with
 * the same status and body, when more bytes follow.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "pocketinternet/apply.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct pi_http_result r[3];

static void check(int rc, const struct pi_http_result *x, size_t len, bool eof)
{
	if (rc != 0 && rc != -EAGAIN && rc != -EBADMSG)
		abort();
	if (rc == -EAGAIN && (eof || len >= PI_HTTP_HEAD_MAX + PI_HTTP_BODY_MAX))
		abort();
	if (rc != 0)
		return;
	if (x->status < 100 || x->status > 599 || x->body_len >= sizeof(x->body) || x->body[x->body_len] != '\0' ||
	    strnlen(x->server_node, sizeof(x->server_node)) == sizeof(x->server_node))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	size_t cut = size ? data[0] % (size + 1) : 0; /* a prefix the input picks */
	int whole = pi_http_parse_response(buf, size, false, &r[0]);
	check(whole, &r[0], size, false);
	check(pi_http_parse_response(buf, size, true, &r[1]), &r[1], size, true);
	int part = pi_http_parse_response(buf, cut, false, &r[2]);
	check(part, &r[2], cut, false);
	if (part == 0 && (whole != 0 || r[0].status != r[2].status || r[0].body_len != r[2].body_len ||
			  memcmp(r[0].body, r[2].body, r[0].body_len) != 0))
		abort();
	return 0;
}
