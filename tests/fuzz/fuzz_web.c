/*
 * libFuzzer target: what a browser sends serve that serve parses itself
 * (src/web/parse.c): the bytes as a Cookie header, a query string, and the
 * login, capture and terminal-resize JSON bodies. Anyone who can reach the
 * port sends these before logging in: no crash, no read past the bytes,
 * every output NUL-terminated within its buffer.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "src/web/web_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_str(const char *s, size_t len)
{
	if (strnlen(s, len) == len)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1); /* headers and queries arrive NUL-terminated */
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	char v[65], small[3];
	static const char *const keys[] = { "q", "from", "to", "only", "pi_session" };
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (pi_web_query_get(text, keys[i], v, sizeof(v)) == 0)
			check_str(v, sizeof(v));
		if (pi_web_cookie_get(text, keys[i], v, sizeof(v)) == 0)
			check_str(v, sizeof(v));
		if (pi_web_query_get(text, keys[i], small, sizeof(small)) == 0)
			check_str(small, sizeof(small));
	}
	struct pi_web_login_req l;
	if (pi_web_parse_login((const char *)data, size, &l) == 0) {
		check_str(l.user, sizeof(l.user));
		check_str(l.password, sizeof(l.password));
		if (!l.user[0])
			abort();
	}
	struct pi_web_capture_req c;
	if (pi_web_parse_capture((const char *)data, size, &c) == 0) {
		check_str(c.node, sizeof(c.node));
		check_str(c.iface, sizeof(c.iface));
		check_str(c.filter, sizeof(c.filter));
	}
	unsigned cols = 0, rows = 0;
	if (pi_web_parse_resize((const char *)data, size, &cols, &rows) == 0 &&
	    (cols == 0 || rows == 0 || cols > 1000 || rows > 1000))
		abort();
	pi_web_name_ok(text);
	free(text);
	return 0;
}
