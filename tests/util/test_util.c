/* Unit tests of the util layer: arena, buf, vec, rng, pool, files. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "pocketinternet/diag.h"
#include "pocketinternet/util.h"

static void test_arena(void **state)
{
	(void)state;
	struct pi_arena a = { 0 };
	char *s = pi_arena_strdup(&a, "hello");
	assert_string_equal(s, "hello");
	assert_string_equal(pi_arena_printf(&a, "%s-%d", "x", 42), "x-42");
	/* Many allocations and one oversized allocation all stay valid. */
	char *ptrs[5000];
	for (int i = 0; i < 5000; i++)
		ptrs[i] = pi_arena_printf(&a, "item%d", i);
	char *big = pi_arena_alloc(&a, 200000);
	memset(big, 'x', 200000);
	char *after = pi_arena_strdup(&a, "after");
	for (int i = 0; i < 5000; i++) {
		char want[32];
		snprintf(want, sizeof(want), "item%d", i);
		assert_string_equal(ptrs[i], want);
	}
	assert_string_equal(s, "hello");
	assert_string_equal(after, "after");
	assert_int_equal((uintptr_t)pi_arena_alloc(&a, 3) % 16, 0);
	pi_arena_free(&a);
	assert_null(a.head);
}

static void test_buf(void **state)
{
	(void)state;
	struct pi_buf b;
	pi_buf_init(&b);
	assert_string_equal(pi_buf_str(&b), "");
	pi_buf_puts(&b, "abc");
	pi_buf_putc(&b, '-');
	for (int i = 0; i < 1000; i++)
		pi_buf_printf(&b, "%04d", i);
	assert_int_equal(b.len, 4 + 4000);
	assert_memory_equal(b.data + 4 + 4 * 999, "0999", 4);
	char *s = pi_buf_steal(&b);
	assert_int_equal(b.len, 0);
	assert_int_equal(strncmp(s, "abc-0000", 8), 0);
	free(s);
	pi_buf_free(&b);
}

static void test_vec(void **state)
{
	(void)state;
	struct pi_vec v = PI_VEC_INIT(uint64_t);
	for (uint64_t i = 0; i < 100; i++)
		*(uint64_t *)pi_vec_push(&v) = i * i;
	assert_int_equal(v.len, 100);
	assert_int_equal(*(uint64_t *)pi_vec_at(&v, 99), 9801);
	pi_vec_free(&v);
}

static void test_rng(void **state)
{
	(void)state;
	struct pi_rng a, b, c;
	pi_rng_seed(&a, 42);
	pi_rng_seed(&b, 42);
	pi_rng_seed(&c, 43);
	int same = 0;
	for (int i = 0; i < 100; i++) {
		uint64_t x = pi_rng_next(&a);
		assert_int_equal(x, pi_rng_next(&b));
		same += x == pi_rng_next(&c);
	}
	assert_int_equal(same, 0);
	/* A known value pins the generator: plans must not change across builds. */
	pi_rng_seed(&a, 1);
	assert_int_equal(pi_rng_next(&a), 0xe99ff867dbf682c9ull);
	unsigned hist[5] = { 0 };
	for (int i = 0; i < 5000; i++) {
		uint32_t r = pi_rng_below(&a, 5);
		assert_true(r < 5);
		hist[r]++;
	}
	for (int i = 0; i < 5; i++)
		assert_true(hist[i] > 800);
	assert_int_not_equal(pi_hash64("a", 1, 0), pi_hash64("b", 1, 0));
	assert_int_equal(pi_hash64("abc", 3, 7), pi_hash64("abc", 3, 7));
}

struct pool_ctx {
	int hits[1000];
	size_t ticks;
};

static int pool_item(void *ctx, size_t i)
{
	struct pool_ctx *c = ctx;
	c->hits[i]++;
	return i == 500 ? -EIO : 0;
}

static void pool_tick(void *ctx, size_t done, size_t total)
{
	struct pool_ctx *c = ctx;
	assert_true(done <= total);
	c->ticks++;
}

static void test_pool(void **state)
{
	(void)state;
	struct pool_ctx *c = calloc(1, sizeof(*c));
	int rc = pi_pool_run(1000, 4, pool_item, pool_tick, c, NULL);
	assert_int_equal(rc, -EIO);
	for (int i = 0; i < 1000; i++)
		assert_int_equal(c->hits[i], 1);
	assert_int_equal(c->ticks, 1000);
	volatile int cancel = 1;
	memset(c, 0, sizeof(*c));
	assert_int_equal(pi_pool_run(10, 2, pool_item, NULL, c, &cancel), -ECANCELED);
	assert_int_equal(c->hits[0], 0);
	free(c);
}

static void test_files(void **state)
{
	(void)state;
	char dir[] = "/tmp/pi-test-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char path[256];
	snprintf(path, sizeof(path), "%s/a/b/c.txt", dir);
	assert_int_equal(pi_write_file(path, "data\n", 5, 0600), 0);
	char *s;
	size_t n;
	assert_int_equal(pi_read_file(path, &s, &n), 0);
	assert_int_equal(n, 5);
	assert_string_equal(s, "data\n");
	free(s);
	assert_int_equal(pi_read_file("/nonexistent/x", &s, &n), -ENOENT);
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

static void test_diag_move(void **state)
{
	(void)state;
	struct pi_diag a, b;
	pi_diag_init(&a);
	pi_diag_init(&b);
	pi_diag_add(&a, (struct pi_pos){ "a.yml", 1, 2 }, "hint a", "first %d", 1);
	pi_diag_add(&b, (struct pi_pos){ "b.yml", 3, 4 }, NULL, "second");
	pi_diag_add(&b, (struct pi_pos){ 0 }, "hint c", "third");
	pi_diag_move(&a, &b);
	assert_int_equal(pi_diag_count(&a), 3);
	assert_int_equal(pi_diag_count(&b), 0);
	struct pi_diag_entry *e = pi_vec_at(&a.entries, 1);
	assert_string_equal(e->msg, "second");
	assert_string_equal(e->pos.file, "b.yml");
	assert_int_equal(e->pos.col, 4);
	e = pi_vec_at(&a.entries, 2);
	assert_string_equal(e->hint, "hint c");
	/* b is reusable, and moving into NULL drops the entries. */
	pi_diag_add(&b, (struct pi_pos){ 0 }, NULL, "dropped");
	pi_diag_move(NULL, &b);
	assert_int_equal(pi_diag_count(&b), 0);
	pi_diag_free(&a);
	pi_diag_free(&b);
}

static void vadd(struct pi_diag *d, const char *fmt, ...) PI_PRINTF(2, 3);
static void vadd(struct pi_diag *d, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	pi_diag_vadd(d, (struct pi_pos){ "v.yml", 1, 1 }, "hint\x1b[2J", fmt, ap);
	va_end(ap);
}

/* Messages are stored escaped and capped; warnings do not count as errors. */
static void test_diag_escape(void **state)
{
	(void)state;
	struct pi_diag d;
	pi_diag_init(&d);
	vadd(&d, "bad '%s' and %d", "\x1b]0;t\x07" "caf\xc3\xa9\xc2\x9b\xff", 7);
	const struct pi_diag_entry *e = pi_vec_at(&d.entries, 0);
	/* ESC, BEL, the C1 CSI U+009B and a stray byte escaped; é kept */
	assert_string_equal(e->msg, "bad '\\x1b]0;t\\x07caf\xc3\xa9\\xc2\\x9b\\xff' and 7");
	assert_string_equal(e->hint, "hint\\x1b[2J");
	char big[2000];
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	pi_diag_warn(&d, (struct pi_pos){ 0 }, NULL, "%s", big);
	e = pi_vec_at(&d.entries, 1);
	assert_int_equal(strlen(e->msg), PI_DIAG_MSG_MAX + 3);
	assert_int_equal(e->severity, PI_DIAG_WARNING);
	assert_int_equal(pi_diag_count(&d), 2);
	assert_int_equal(pi_diag_errors(&d), 1);
	char buf[PI_DIAG_VALUE_BUF];
	assert_string_equal(pi_diag_value(buf, big + 1935), big + 1935); /* 64 bytes fit */
	const char *v = pi_diag_value(buf, big);
	assert_int_equal(strlen(v), PI_DIAG_VALUE_MAX + 3);
	assert_string_equal(v + PI_DIAG_VALUE_MAX, "...");
	pi_diag_free(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_arena), cmocka_unit_test(test_buf), cmocka_unit_test(test_vec),
		cmocka_unit_test(test_rng),   cmocka_unit_test(test_pool), cmocka_unit_test(test_files), cmocka_unit_test(test_diag_escape),
		cmocka_unit_test(test_diag_move),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
