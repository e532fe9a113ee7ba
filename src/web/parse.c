/*
 * web/parse: what a browser sends that the server reads itself: the
 * Cookie header, the query string and the JSON bodies. Pure and bounded:
 * every output has a caller's size and is always NUL-terminated; input is
 * any bytes (tests/fuzz/fuzz_web.c).
 */
#include <jansson.h>
#include <string.h>
#include "web_int.h"

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Percent-decodes in[0..n) into out; '+' is a space. -EINVAL for a bad
 * escape, a NUL byte or what does not fit. */
static int url_decode(const char *in, size_t n, char *out, size_t len)
{
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		int c = (unsigned char)in[i];
		if (c == '+') {
			c = ' ';
		} else if (c == '%') {
			if (i + 2 >= n || hexval(in[i + 1]) < 0 || hexval(in[i + 2]) < 0)
				return -EINVAL;
			c = hexval(in[i + 1]) * 16 + hexval(in[i + 2]);
			i += 2;
		}
		if (c == 0 || o + 1 >= len)
			return -EINVAL;
		out[o++] = (char)c;
	}
	out[o] = '\0';
	return 0;
}

int pi_web_query_get(const char *query, const char *key, char *out, size_t len)
{
	size_t klen = strlen(key);
	if (!len)
		return -EINVAL;
	out[0] = '\0';
	for (const char *p = query; p && *p;) {
		const char *end = strchr(p, '&');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		if (n > klen && strncmp(p, key, klen) == 0 && p[klen] == '=')
			return url_decode(p + klen + 1, n - klen - 1, out, len);
		if (n == klen && strncmp(p, key, klen) == 0)
			return 0; /* "key" alone: present, empty */
		p = end ? end + 1 : NULL;
	}
	return -ENOENT;
}

int pi_web_cookie_get(const char *header, const char *name, char *out, size_t len)
{
	size_t nlen = strlen(name);
	if (!len)
		return -EINVAL;
	out[0] = '\0';
	for (const char *p = header; p && *p;) {
		while (*p == ' ' || *p == '\t')
			p++;
		const char *end = strchr(p, ';');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		if (n > nlen && strncmp(p, name, nlen) == 0 && p[nlen] == '=') {
			size_t v = n - nlen - 1;
			if (v + 1 > len)
				return -EINVAL;
			memcpy(out, p + nlen + 1, v);
			out[v] = '\0';
			return 0;
		}
		p = end ? end + 1 : NULL;
	}
	return -ENOENT;
}

/* A string member of o (NULL when absent or JSON null); -EINVAL for another
 * type or one too long. */
static int json_str(json_t *o, const char *key, char *out, size_t len, bool *present)
{
	json_t *v = json_object_get(o, key);
	out[0] = '\0';
	*present = v && !json_is_null(v);
	if (!*present)
		return 0;
	if (!json_is_string(v) || json_string_length(v) + 1 > len || strlen(json_string_value(v)) != json_string_length(v))
		return -EINVAL;
	memcpy(out, json_string_value(v), json_string_length(v) + 1);
	return 0;
}

static json_t *load_object(const char *body, size_t n)
{
	json_t *o = json_loadb(body, n, JSON_REJECT_DUPLICATES, NULL);
	if (o && !json_is_object(o)) {
		json_decref(o);
		o = NULL;
	}
	return o;
}

int pi_web_parse_login(const char *body, size_t n, struct pi_web_login_req *out)
{
	memset(out, 0, sizeof(*out));
	json_t *o = load_object(body, n);
	bool u = false, p = false;
	int rc = o ? 0 : -EINVAL;
	if (!rc)
		rc = json_str(o, "user", out->user, sizeof(out->user), &u);
	if (!rc)
		rc = json_str(o, "password", out->password, sizeof(out->password), &p);
	if (!rc && (!u || !p || !out->user[0]))
		rc = -EINVAL;
	json_decref(o);
	return rc;
}

int pi_web_parse_capture(const char *body, size_t n, struct pi_web_capture_req *out)
{
	memset(out, 0, sizeof(*out));
	json_t *o = load_object(body, n);
	bool nd = false;
	int rc = o ? 0 : -EINVAL;
	if (!rc)
		rc = json_str(o, "node", out->node, sizeof(out->node), &nd);
	if (!rc)
		rc = json_str(o, "iface", out->iface, sizeof(out->iface), &out->has_iface);
	if (!rc)
		rc = json_str(o, "filter", out->filter, sizeof(out->filter), &out->has_filter);
	if (!rc && (!nd || !out->node[0]))
		rc = -EINVAL;
	json_decref(o);
	return rc;
}

int pi_web_parse_resize(const char *body, size_t n, unsigned *cols, unsigned *rows)
{
	json_t *o = load_object(body, n);
	json_t *r = json_object_get(o, "resize");
	int rc = -EINVAL;
	if (json_is_array(r) && json_array_size(r) == 2 && json_is_integer(json_array_get(r, 0)) &&
	    json_is_integer(json_array_get(r, 1))) {
		json_int_t c = json_integer_value(json_array_get(r, 0)), w = json_integer_value(json_array_get(r, 1));
		if (c > 0 && c <= 1000 && w > 0 && w <= 1000) {
			*cols = (unsigned)c;
			*rows = (unsigned)w;
			rc = 0;
		}
	}
	json_decref(o);
	return rc;
}

/* Only the characters a node name or a prefix use: the path segment is
 * then safe to echo and to look up. */
bool pi_web_name_ok(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '-' ||
		      *s == '_' || *s == '.' || *s == ':' || *s == '/'))
			return false;
	return true;
}
