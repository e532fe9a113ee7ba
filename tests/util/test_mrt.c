/*
 * The MRT reader: a dump built here read back route by route, the same
 * dump read by bgpdump (when installed) giving the same prefixes and paths,
 * and every truncation of it refused without reading past the end.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "pocketinternet/mrt.h"
#include "mrt_fixture.h"

struct seen {
	char lines[16][256];
	size_t n;
};

static int collect(void *ctx, const struct pi_prefix *net, const uint32_t *path, size_t n)
{
	struct seen *s = ctx;
	if (s->n == 16)
		return 1;
	char b[PI_PREFIX_STRLEN];
	int off = snprintf(s->lines[s->n], sizeof(s->lines[0]), "%s|", pi_prefix_fmt(net, b));
	for (size_t i = 0; i < n; i++)
		off += snprintf(s->lines[s->n] + off, sizeof(s->lines[0]) - (size_t)off, "%s%u", i ? " " : "", path[i]);
	s->n++;
	return 0;
}

static void build(struct pi_buf *b)
{
	static const uint32_t p1[] = { 65010, 3333 }, p2[] = { 65010, 174, 15169 }, p3[] = { 65010, 4200000001u };
	pi_buf_init(b);
	mrt_peer_index(b, 65010);
	mrt_rib(b, 0, "193.0.0.0/21", p1, 2);
	mrt_rib(b, 1, "2001:4860::/32", p2, 3);
	mrt_rib(b, 2, "8.8.8.0/24", p3, 2);
}

static void test_read(void **state)
{
	(void)state;
	struct pi_buf b;
	build(&b);
	struct seen s = { .n = 0 };
	struct pi_mrt_stats st;
	char err[160] = "";
	assert_int_equal(pi_mrt_read((const uint8_t *)b.data, b.len, collect, &s, &st, err, sizeof(err)), 0);
	assert_int_equal(st.records, 4);
	assert_int_equal(st.routes, 3);
	assert_int_equal(st.skipped, 0);
	assert_int_equal(s.n, 3);
	assert_string_equal(s.lines[0], "193.0.0.0/21|65010 3333");
	assert_string_equal(s.lines[1], "2001:4860::/32|65010 174 15169");
	assert_string_equal(s.lines[2], "8.8.8.0/24|65010 4200000001");
	pi_buf_free(&b);
}

/* bgpdump -m prints TABLE_DUMP2|time|B|peer|peer AS|prefix|path|...: the same routes. */
static void test_bgpdump_agrees(void **state)
{
	(void)state;
	if (system("command -v bgpdump >/dev/null 2>&1") != 0)
		skip();
	struct pi_buf b;
	build(&b);
	char path[] = "/tmp/pi-mrt-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, b.data, b.len), (ssize_t)b.len);
	close(fd);
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "bgpdump -m %s 2>/dev/null", path);
	FILE *f = popen(cmd, "r");
	assert_non_null(f);
	struct seen s = { .n = 0 };
	assert_int_equal(pi_mrt_read((const uint8_t *)b.data, b.len, collect, &s, NULL, NULL, 0), 0);
	char line[1024];
	size_t k = 0;
	while (fgets(line, sizeof(line), f)) {
		char *fld[8] = { 0 };
		char *p = line;
		for (int i = 0; i < 8 && p; i++) {
			fld[i] = p;
			p = strchr(p, '|');
			if (p)
				*p++ = '\0';
		}
		assert_non_null(fld[6]);
		char want[256];
		snprintf(want, sizeof(want), "%s|%s", fld[5], fld[6]);
		assert_true(k < s.n);
		assert_string_equal(s.lines[k], want);
		k++;
	}
	assert_int_equal(pclose(f), 0);
	assert_int_equal(k, s.n);
	unlink(path);
	pi_buf_free(&b);
}

/* Every proper prefix of the dump is refused (or, cut at a record
 * boundary, read as far as it goes); never a read past the end. */
static void test_truncated(void **state)
{
	(void)state;
	struct pi_buf b;
	build(&b);
	for (size_t len = 0; len < b.len; len++) {
		uint8_t *copy = malloc(len + 1); /* exact size: ASan/valgrind see an overread */
		memcpy(copy, b.data, len);
		struct seen s = { .n = 0 };
		char err[160] = "";
		int rc = pi_mrt_read(copy, len, collect, &s, NULL, err, sizeof(err));
		assert_true(rc == 0 || rc == -EINVAL);
		if (rc)
			assert_non_null(strstr(err, "byte "));
		free(copy);
	}
	pi_buf_free(&b);
}

/* A record that claims more than it holds, a prefix length over the
 * family's, and something that is not MRT at all. */
static void test_malformed(void **state)
{
	(void)state;
	struct pi_buf b;
	build(&b);
	char err[160];
	uint8_t *d = (uint8_t *)b.data;
	/* The first RIB record's prefix length (after its 12-byte header and a 4-byte sequence). */
	size_t rib0 = 12 + (size_t)(d[8] << 24 | d[9] << 16 | d[10] << 8 | d[11]);
	d[rib0 + 12 + 4] = 33;
	assert_int_equal(pi_mrt_read(d, b.len, collect, &(struct seen){ .n = 0 }, NULL, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "prefix length"));
	d[rib0 + 12 + 4] = 21;
	d[rib0 + 11] = 0xff; /* record length past the end */
	assert_int_equal(pi_mrt_read(d, b.len, collect, &(struct seen){ .n = 0 }, NULL, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "past the end"));
	assert_int_equal(pi_mrt_read((const uint8_t *)"hello", 5, collect, NULL, NULL, err, sizeof(err)), -EINVAL);
	assert_int_equal(pi_mrt_read((const uint8_t *)"", 0, collect, NULL, NULL, err, sizeof(err)), -EINVAL);
	pi_buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_read),
		cmocka_unit_test(test_bgpdump_agrees),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_malformed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
