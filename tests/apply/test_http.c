/*
 * The HTTP response parser (pi_http_parse_response): status line variants,
 * headers cut anywhere (the parser is re-run on every longer prefix), no
 * body, bodies longer than kept, garbage, and the node marker of the lab's
 * own rendered page. No root, no network.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "pocketinternet/apply.h"

static struct pi_http_result res;

/* Parses a private heap copy of exactly len bytes: ASan sees any overread. */
static int parse(const char *s, size_t len, bool eof)
{
	char *copy = malloc(len ? len : 1);
	if (len)
		memcpy(copy, s, len);
	int rc = pi_http_parse_response(copy, len, eof, &res);
	free(copy);
	return rc;
}

static int parse_s(const char *s, bool eof)
{
	return parse(s, strlen(s), eof);
}

/* Every proper prefix needs more (or, closed there, is refused when the
 * headers did not end); the whole is parsed. */
static void every_prefix(const char *s, size_t complete_at)
{
	size_t n = strlen(s);
	for (size_t len = 0; len < complete_at; len++)
		assert_int_equal(parse(s, len, false), -EAGAIN);
	for (size_t len = complete_at; len <= n; len++)
		assert_int_equal(parse(s, len, false), 0);
}

static void test_content_length(void **state)
{
	(void)state;
	const char *r = "HTTP/1.0 200 OK\r\nServer: pocketinternet a-web1\r\nContent-Length: 5\r\n"
			"Content-Type: text/html\r\n\r\nhello";
	every_prefix(r, strlen(r));
	assert_int_equal(res.status, 200);
	assert_int_equal(res.body_len, 5);
	assert_string_equal(res.body, "hello");
	assert_string_equal(res.server_node, "a-web1"); /* from Server: no marker in the page */
	/* Bytes after Content-Length are not body. */
	assert_int_equal(parse_s("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhello", false), 0);
	assert_string_equal(res.body, "he");
	/* Closed early: what came is the body. */
	assert_int_equal(parse_s("HTTP/1.1 200 OK\r\nContent-Length: 20\r\n\r\nhello", true), 0);
	assert_int_equal(res.body_len, 5);
	/* Closed inside the headers: not a response. */
	for (size_t len = 0; len < strlen(r) - 5; len++)
		assert_int_equal(parse(r, len, true), -EBADMSG);
}

static void test_status_lines(void **state)
{
	(void)state;
	static const struct {
		const char *line;
		int status;
	} ok[] = {
		{ "HTTP/1.0 200 OK", 200 },	   { "HTTP/1.1 404 Not Found", 404 }, { "HTTP/1.1 302", 302 },
		{ "HTTP/1.1 503 ", 503 },	   { "HTTP/1.0  301  Moved", 301 },   { "HTTP/2.0 599 x", 599 },
		{ "HTTP/1.1 100 Continue", 100 },
	};
	static const char *const bad[] = {
		"HTTP/1.1 20 OK",  "HTTP/1.1 2000 OK", "HTTP/1.1 099 x", "HTTP/1.1 600 x", "HTTP/x.1 200 OK",
		"HTTP/1.1 abc OK", "HTTP/1.1200 OK",   "HTTP/11 200 OK", "ICY 200 OK",     "http/1.1 200 OK",
		"HTTP/1.1",	   "",
	};
	char buf[256];
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		snprintf(buf, sizeof(buf), "%s\r\nContent-Length: 0\r\n\r\n", ok[i].line);
		assert_int_equal(parse_s(buf, false), 0);
		assert_int_equal(res.status, ok[i].status);
		/* LF alone ends lines too. */
		snprintf(buf, sizeof(buf), "%s\nContent-Length: 0\n\n", ok[i].line);
		assert_int_equal(parse_s(buf, false), 0);
		assert_int_equal(res.status, ok[i].status);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(buf, sizeof(buf), "%s\r\nContent-Length: 0\r\n\r\n", bad[i]);
		if (parse_s(buf, false) != -EBADMSG)
			fail_msg("accepted status line '%s'", bad[i]);
		assert_int_equal(res.status, 0);
	}
}

/* 204, 304 and 1xx have no body whatever follows; a 200 without a length
 * has one up to the close. */
static void test_no_body(void **state)
{
	(void)state;
	assert_int_equal(parse_s("HTTP/1.1 204 No Content\r\nServer: x\r\n\r\n", false), 0);
	assert_int_equal(res.body_len, 0);
	assert_int_equal(parse_s("HTTP/1.1 304 Not Modified\r\n\r\ntrailing", false), 0);
	assert_int_equal(res.body_len, 0);
	assert_string_equal(res.body, "");
	assert_int_equal(parse_s("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n", false), 0);
	assert_int_equal(res.body_len, 0);
	/* No headers at all. */
	assert_int_equal(parse_s("HTTP/1.0 200 OK\r\n\r\n", false), -EAGAIN);
	assert_int_equal(parse_s("HTTP/1.0 200 OK\r\n\r\n", true), 0);
	assert_int_equal(res.status, 200);
	assert_int_equal(parse_s("HTTP/1.0 200 OK\r\n\r\nabc", false), -EAGAIN);
	assert_int_equal(parse_s("HTTP/1.0 200 OK\r\n\r\nabc", true), 0);
	assert_string_equal(res.body, "abc");
}

/* Only the first PI_HTTP_BODY_MAX - 1 bytes are kept, NUL-terminated;
 * the response is complete as soon as they are there. */
static void test_long_body(void **state)
{
	(void)state;
	const char *h = "HTTP/1.0 200 OK\r\nContent-Length: 100000\r\n\r\n";
	size_t hn = strlen(h), n = hn + 10000;
	char *r = malloc(n);
	memcpy(r, h, hn);
	memset(r + hn, 'b', n - hn);
	assert_int_equal(parse(r, hn + PI_HTTP_BODY_MAX - 2, false), -EAGAIN);
	assert_int_equal(parse(r, hn + PI_HTTP_BODY_MAX - 1, false), 0);
	assert_int_equal(res.body_len, PI_HTTP_BODY_MAX - 1);
	assert_int_equal(strlen(res.body), PI_HTTP_BODY_MAX - 1);
	assert_int_equal(parse(r, n, false), 0);
	assert_int_equal(res.body_len, PI_HTTP_BODY_MAX - 1);
	free(r);
}

/* Headers that never end, and lengths that lie or disagree. */
static void test_bad_headers(void **state)
{
	(void)state;
	size_t n = PI_HTTP_HEAD_MAX + PI_HTTP_BODY_MAX;
	char *r = malloc(n);
	memset(r, 'h', n);
	memcpy(r, "HTTP/1.0 200 OK\r\nX-Long: ", 26);
	/* Never -EAGAIN once the buffer a reader keeps is full. */
	assert_int_equal(parse(r, PI_HTTP_HEAD_MAX - 1, false), -EAGAIN);
	assert_int_equal(parse(r, PI_HTTP_HEAD_MAX, false), -EBADMSG);
	assert_int_equal(parse(r, n, false), -EBADMSG);
	/* Many short lines the same. */
	for (size_t i = 17; i + 4 < n; i += 4)
		memcpy(r + i, "a:b\n", 4);
	assert_int_equal(parse(r, n, false), -EBADMSG);
	free(r);
	static const char *const bad[] = {
		"HTTP/1.0 200 OK\r\nContent-Length: abc\r\n\r\n",
		"HTTP/1.0 200 OK\r\nContent-Length: -1\r\n\r\n",
		"HTTP/1.0 200 OK\r\nContent-Length:\r\n\r\n",
		"HTTP/1.0 200 OK\r\nContent-Length: 1 2\r\n\r\n",
		"HTTP/1.0 200 OK\r\nContent-Length: 99999999999999\r\n\r\n",
		"HTTP/1.0 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
		"HTTP/1.0 200 OK\r\nno colon here\r\n\r\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (parse_s(bad[i], true) != -EBADMSG)
			fail_msg("accepted '%s'", bad[i]);
	/* The same length twice, odd case, spaces: fine; folded lines ignored. */
	assert_int_equal(parse_s("HTTP/1.0 200 OK\r\ncontent-length:  3 \r\nCONTENT-LENGTH: 3\r\n"
				 "X-A: 1\r\n  folded\r\n\r\nabcdef",
				 false),
			 0);
	assert_string_equal(res.body, "abc");
}

/* Not HTTP at all is known from the first bytes, before any line end. */
static void test_garbage(void **state)
{
	(void)state;
	assert_int_equal(parse_s("S", false), -EBADMSG);
	assert_int_equal(parse_s("SSH-2.0-OpenSSH_9.2", false), -EBADMSG);
	assert_int_equal(parse_s("<html>", false), -EBADMSG);
	assert_int_equal(parse_s("HTTP", false), -EAGAIN);
	assert_int_equal(parse_s("HTTP", true), -EBADMSG);
	assert_int_equal(parse_s("", true), -EBADMSG);
	assert_int_equal(parse(NULL, 0, false), -EAGAIN);
	assert_int_equal(parse_s("HTTP/1.0 200 OK\r\n\0\r\n\r\n", false), -EAGAIN); /* stops at the NUL */
	char bin[64];
	for (size_t i = 0; i < sizeof(bin); i++)
		bin[i] = (char)(i * 37);
	assert_int_equal(parse(bin, sizeof(bin), true), -EBADMSG);
	/* NULs inside are just bytes. */
	static const char nul[] = "HTTP/1.0 200 OK\r\nX: a\0b\r\nContent-Length: 3\r\n\r\na\0c";
	assert_int_equal(parse(nul, sizeof(nul) - 1, false), 0);
	assert_int_equal(res.body_len, 3);
	assert_int_equal(res.body[1], '\0');
}

/* The marker wins over the Server header; a cut or odd name is not taken. */
static void test_node_marker(void **state)
{
	(void)state;
	assert_int_equal(parse_s("HTTP/1.0 200 OK\r\nServer: pocketinternet other\r\n\r\n<html><head>"
				 "<meta name=\"pocketinternet-node\" content=\"c1-web2\">",
				 true),
			 0);
	assert_string_equal(res.server_node, "c1-web2");
	assert_int_equal(parse_s("HTTP/1.0 200 OK\r\nServer: pocketinternet other\r\n\r\n"
				 "<meta name=\"pocketinternet-node\" content=\"c1-we",
				 true),
			 0);
	assert_string_equal(res.server_node, "other");
	assert_int_equal(parse_s("HTTP/1.0 200 OK\r\n\r\n<meta name=\"pocketinternet-node\" content=\"<b>\">",
				 true),
			 0);
	assert_string_equal(res.server_node, "");
	assert_int_equal(parse_s("HTTP/1.0 200 OK\r\nServer: lighttpd/1.4\r\n\r\n", true), 0);
	assert_string_equal(res.server_node, "");
	assert_int_equal(parse_s("HTTP/1.0 200 OK\r\nServer: pocketinternet \r\n\r\n", true), 0);
	assert_string_equal(res.server_node, "");
	char big[400];
	memset(big, 'a', sizeof(big));
	snprintf(big, sizeof(big), "HTTP/1.0 200 OK\r\n\r\n<meta name=\"pocketinternet-node\" content=\"%0200d\">", 7);
	assert_int_equal(parse_s(big, true), 0);
	assert_string_equal(res.server_node, ""); /* longer than server_node holds */
}

/* The page render/http.c makes (its golden) names its node where the parser finds it. */
static void test_rendered_page(void **state)
{
	(void)state;
	char path[4096], page[8192];
	snprintf(path, sizeof(path), "%s/tests/golden/render/tiny/content1-web2/www/index.html", getenv("PI_SOURCE_DIR"));
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	int hn = snprintf(page, sizeof(page), "HTTP/1.0 200 OK\r\nServer: pocketinternet content1-web2\r\n\r\n");
	size_t n = fread(page + hn, 1, sizeof(page) - (size_t)hn, f);
	fclose(f);
	/* Server says another node: the page's marker must be what is used. */
	memcpy(strstr(page, "content1-web2"), "content1-webX", 13);
	assert_int_equal(parse(page, (size_t)hn + n, true), 0);
	assert_int_equal(res.status, 200);
	assert_string_equal(res.server_node, "content1-web2");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_content_length), cmocka_unit_test(test_status_lines),
		cmocka_unit_test(test_no_body),	       cmocka_unit_test(test_long_body),
		cmocka_unit_test(test_bad_headers),    cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_node_marker),    cmocka_unit_test(test_rendered_page),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
