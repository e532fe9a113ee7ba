/*
 * ycheck: typed reads of the YAML tree for the schema walkers. Every reader
 * reports its own problem at the node's position, with a hint, so walkers
 * stay a flat list of "read this, check that".
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "model.h"
#include "pocketinternet/log.h"

const char *pi_y_kind_name(const struct pi_ynode *n)
{
	if (!n)
		return "nothing";
	switch (n->kind) {
	case PI_Y_NULL:
		return "nothing";
	case PI_Y_SCALAR:
		return "a single value";
	case PI_Y_SEQ:
		return "a list";
	case PI_Y_MAP:
		return "a mapping";
	}
	return "?";
}

static const char *kind_want(enum pi_ykind k)
{
	switch (k) {
	case PI_Y_SEQ:
		return "a list ([a, b] or lines starting with '- ')";
	case PI_Y_MAP:
		return "a mapping (key: value)";
	default:
		return "a single value";
	}
}

bool pi_y_is(struct pi_ld *ld, const struct pi_ynode *n, enum pi_ykind k, const char *what)
{
	if (n && n->kind == k)
		return true;
	pi_ld_err(ld, n ? n->pos : pi_ld_pos(ld, 0, 0), pi_ld_fmt(ld, "write %s here", kind_want(k)),
		  "%s must be %s, not %s", what, kind_want(k), pi_y_kind_name(n));
	return false;
}

/* Index of key's pair in map, or NO_KEY when it is not there (or map is no
 * mapping): pi_y_key and pi_y_get differ only in which half they return. */
#define NO_KEY ((size_t)-1)
static size_t key_index(const struct pi_ynode *map, const char *key)
{
	if (!map || map->kind != PI_Y_MAP)
		return NO_KEY;
	for (size_t i = 0; i < map->n; i++) {
		struct pi_ynode *k = map->kids[2 * i];
		if (k->kind == PI_Y_SCALAR && strcmp(k->str, key) == 0)
			return i;
	}
	return NO_KEY;
}

struct pi_ynode *pi_y_key(const struct pi_ynode *map, const char *key)
{
	size_t i = key_index(map, key);
	return i == NO_KEY ? NULL : map->kids[2 * i];
}

struct pi_ynode *pi_y_get(const struct pi_ynode *map, const char *key)
{
	size_t i = key_index(map, key);
	return i == NO_KEY ? NULL : map->kids[2 * i + 1];
}

const char *pi_ld_join(struct pi_ld *ld, const char *const *words, size_t n, size_t limit)
{
	struct pi_buf b;
	pi_buf_init(&b);
	for (size_t i = 0; i < n && i < limit; i++)
		pi_buf_printf(&b, "%s%s", i ? ", " : "", words[i]);
	if (n > limit)
		pi_buf_puts(&b, ", ...");
	char *s = pi_arena_strdup(&ld->tmp, pi_buf_str(&b));
	pi_buf_free(&b);
	return s;
}

size_t pi_y_cap(struct pi_ld *ld, const struct pi_ynode *n, size_t max, const char *what)
{
	if (n->n <= max)
		return n->n;
	pi_ld_err(ld, n->pos, pi_ld_fmt(ld, "use at most %zu", max), "too many %s (%zu)", what, n->n);
	return max;
}

void pi_y_keys(struct pi_ld *ld, const struct pi_ynode *map, const char *const *allowed, const char *where)
{
	if (!map || map->kind != PI_Y_MAP)
		return;
	size_t n_allowed = 0;
	while (allowed[n_allowed])
		n_allowed++;
	/* First occurrence of each allowed key: duplicates cost O(keys), not O(keys^2);
	 * a repeated unknown key is reported as unknown each time. */
	const struct pi_ynode *seen[32] = { NULL };
	if (n_allowed > PI_ARRAY_LEN(seen))
		pi_fatal("pi_y_keys: too many allowed keys");
	for (size_t i = 0; i < map->n && !pi_ld_full(ld); i++) {
		const struct pi_ynode *k = map->kids[2 * i];
		if (k->kind != PI_Y_SCALAR) {
			pi_ld_err(ld, k->pos, "write keys as plain words", "a key in %s must be a word, not %s",
				  where, pi_y_kind_name(k));
			continue;
		}
		size_t j = 0;
		while (j < n_allowed && strcmp(allowed[j], k->str) != 0)
			j++;
		if (j < n_allowed && seen[j]) {
			pi_ld_err(ld, k->pos, "remove one of them; only the first would be used",
				  "duplicate key '%s' in %s (first at line %u)", pi_ld_val(ld, k->str), where, seen[j]->pos.line);
			continue;
		}
		if (j < n_allowed) {
			seen[j] = k;
			continue;
		}
		const char *near = pi_nearest(k->str, allowed, n_allowed);
		const char *list = pi_ld_join(ld, allowed, n_allowed, n_allowed);
		pi_ld_err(ld, k->pos,
			  near ? pi_ld_fmt(ld, "did you mean '%s'? allowed keys: %s", near, list)
			       : pi_ld_fmt(ld, "allowed keys: %s", list),
			  "unknown key '%s' in %s", pi_ld_val(ld, k->str), where);
	}
}

bool pi_y_str(struct pi_ld *ld, const struct pi_ynode *n, const char *what, const char **out)
{
	if (!n || n->kind != PI_Y_SCALAR) {
		pi_ld_err(ld, n ? n->pos : pi_ld_pos(ld, 0, 0),
			  pi_ld_fmt(ld, "write %s as one value (in quotes if it holds ':' or '#')", what),
			  "%s must be a single value, not %s", what, pi_y_kind_name(n));
		return false;
	}
	if (strlen(n->str) != n->len) {
		pi_ld_err(ld, n->pos, "remove the \\0 escape", "%s contains a NUL character", what);
		return false;
	}
	*out = pi_arena_strndup(ld->arena, n->str, n->len);
	return true;
}

static bool parse_u64(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	if (!*s)
		return false;
	if (*s == '+')
		s++;
	if (!*s)
		return false;
	for (; *s; s++) {
		if (*s == '_')
			continue; /* 1_000: YAML 1.1 digit grouping */
		if (*s < '0' || *s > '9')
			return false;
		unsigned d = (unsigned)(*s - '0');
		if (v > (UINT64_MAX - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*out = v;
	return true;
}

bool pi_y_uint(struct pi_ld *ld, const struct pi_ynode *n, const char *what, uint64_t lo, uint64_t hi,
	       uint64_t *out)
{
	uint64_t v;
	if (!n || n->kind != PI_Y_SCALAR) {
		pi_ld_err(ld, n ? n->pos : pi_ld_pos(ld, 0, 0),
			  pi_ld_fmt(ld, "write a whole number from %llu to %llu", (unsigned long long)lo,
				    (unsigned long long)hi),
			  "%s must be a number, not %s", what, pi_y_kind_name(n));
		return false;
	}
	if (!n->plain) {
		pi_ld_err(ld, n->pos, "remove the quotes around the number", "%s must be a number, not the string \"%s\"",
			  what, pi_ld_val(ld, n->str));
		return false;
	}
	bool neg = n->str[0] == '-';
	if (!parse_u64(n->str, &v) || neg) {
		bool numeric = neg && n->str[1] && strspn(n->str + 1, "0123456789_") == strlen(n->str + 1);
		pi_ld_err(ld, n->pos,
			  pi_ld_fmt(ld, "write a whole number from %llu to %llu", (unsigned long long)lo,
				    (unsigned long long)hi),
			  numeric ? "%s must not be negative (%s)" : "%s must be a whole number, not '%s'", what,
			  pi_ld_val(ld, n->str));
		return false;
	}
	if (v < lo || v > hi) {
		pi_ld_err(ld, n->pos,
			  pi_ld_fmt(ld, "use a value from %llu to %llu", (unsigned long long)lo,
				    (unsigned long long)hi),
			  "%s is %llu, outside %llu..%llu", what, (unsigned long long)v, (unsigned long long)lo,
			  (unsigned long long)hi);
		return false;
	}
	*out = v;
	return true;
}

bool pi_y_bool(struct pi_ld *ld, const struct pi_ynode *n, const char *what, bool *out)
{
	if (n && n->kind == PI_Y_SCALAR && n->plain) {
		if (strcmp(n->str, "true") == 0 || strcmp(n->str, "True") == 0 || strcmp(n->str, "TRUE") == 0) {
			*out = true;
			return true;
		}
		if (strcmp(n->str, "false") == 0 || strcmp(n->str, "False") == 0 || strcmp(n->str, "FALSE") == 0) {
			*out = false;
			return true;
		}
	}
	pi_ld_err(ld, n ? n->pos : pi_ld_pos(ld, 0, 0), "write true or false (without quotes)",
		  "%s must be true or false, not %s%s%s", what, n && n->kind == PI_Y_SCALAR ? "'" : "",
		  n && n->kind == PI_Y_SCALAR ? pi_ld_val(ld, n->str) : pi_y_kind_name(n), n && n->kind == PI_Y_SCALAR ? "'" : "");
	return false;
}

bool pi_y_enum(struct pi_ld *ld, const struct pi_ynode *n, const char *what, const char *const *words, unsigned *out)
{
	size_t nw = 0;
	while (words[nw])
		nw++;
	const char *list = pi_ld_join(ld, words, nw, nw);
	if (!n || n->kind != PI_Y_SCALAR) {
		pi_ld_err(ld, n ? n->pos : pi_ld_pos(ld, 0, 0), pi_ld_fmt(ld, "write one of: %s", list),
			  "%s must be one of %s, not %s", what, list, pi_y_kind_name(n));
		return false;
	}
	for (size_t i = 0; i < nw; i++) {
		if (strcmp(words[i], n->str) == 0) {
			*out = (unsigned)i;
			return true;
		}
	}
	const char *near = pi_nearest(n->str, words, nw);
	pi_ld_err(ld, n->pos,
		  near ? pi_ld_fmt(ld, "did you mean '%s'? one of: %s", near, list)
		       : pi_ld_fmt(ld, "write one of: %s", list),
		  "unknown %s '%s'", what, pi_ld_val(ld, n->str));
	return false;
}

bool pi_y_name_ok(const char *s, size_t max, bool dash)
{
	size_t len = strlen(s);
	if (len == 0 || len > max || s[0] < 'a' || s[0] > 'z' || s[len - 1] == '-')
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (dash && c == '-');
		if (!ok)
			return false;
	}
	return true;
}
