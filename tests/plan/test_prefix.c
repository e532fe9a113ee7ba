/* Prefix arithmetic and the aligned allocator: the planner's foundations. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "pocketinternet/prefix.h"
#include "pocketinternet/util.h"

static struct pi_prefix P(const char *s)
{
	struct pi_prefix p;
	assert_int_equal(pi_prefix_parse(s, &p), 0);
	return p;
}

static void assert_fmt(const struct pi_prefix *p, const char *want)
{
	char buf[PI_PREFIX_STRLEN];
	assert_string_equal(pi_prefix_fmt(p, buf), want);
}

static void test_parse_format(void **state)
{
	(void)state;
	struct pi_prefix p = P("10.1.2.3/24");
	assert_int_equal(p.family, PI_AF_V4);
	assert_int_equal(p.len, 24);
	assert_fmt(&p, "10.1.2.3/24"); /* host bits kept as written */
	assert_true(pi_prefix_has_host_bits(&p));
	struct pi_prefix n = pi_prefix_network(&p);
	assert_fmt(&n, "10.1.2.0/24");
	assert_false(pi_prefix_has_host_bits(&n));

	p = P("192.0.2.1");
	assert_int_equal(p.len, 32);
	p = P("2001:DB8::1/64");
	assert_int_equal(p.family, PI_AF_V6);
	assert_fmt(&p, "2001:db8::1/64");
	p = P("::");
	assert_int_equal(p.len, 128);
	p = P("0.0.0.0/0");
	assert_int_equal(p.len, 0);

	struct pi_prefix bad;
	const char *bads[] = { "", "10.0.0.0/33", "10.0.0.0/", "10.0.0.0/-1", "10.0.0.0/+8", "10.0.0/8",
			       "2001:db8::/129", "banana", "10.0.0.0/8x", "1.2.3.4.5", "2001:db8:::1/64" };
	for (size_t i = 0; i < PI_ARRAY_LEN(bads); i++)
		assert_int_equal(pi_prefix_parse(bads[i], &bad), -EINVAL);

	char buf[PI_PREFIX_STRLEN];
	p = P("2001:db8:ffff:ffff:ffff:ffff:ffff:ffff/128");
	assert_string_equal(pi_prefix_fmt_addr(&p, buf), "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff");
	struct pi_prefix unset = { 0 };
	assert_false(pi_prefix_is_set(&unset));
}

static void test_contains_overlap(void **state)
{
	(void)state;
	struct pi_prefix a = P("10.0.0.0/8"), b = P("10.200.0.0/16"), c = P("11.0.0.0/8"), d = P("10.200.3.4/32");
	assert_true(pi_prefix_contains(&a, &b));
	assert_false(pi_prefix_contains(&b, &a));
	assert_true(pi_prefix_contains(&a, &a));
	assert_true(pi_prefix_contains(&b, &d));
	assert_false(pi_prefix_contains(&a, &c));
	assert_true(pi_prefix_overlaps(&a, &b));
	assert_true(pi_prefix_overlaps(&b, &a));
	assert_false(pi_prefix_overlaps(&a, &c));
	struct pi_prefix v6 = P("2001:db8::/32"), v6b = P("2001:db8:1::/48"), v6c = P("2001:db9::/48");
	assert_true(pi_prefix_contains(&v6, &v6b));
	assert_false(pi_prefix_overlaps(&v6, &v6c));
	/* Different families never contain or overlap. */
	struct pi_prefix zero4 = P("0.0.0.0/0"), zero6 = P("::/0");
	assert_false(pi_prefix_overlaps(&zero4, &zero6));
	assert_true(pi_prefix_contains(&zero6, &v6));
	/* Ordering: family, then address, then length. */
	assert_true(pi_prefix_cmp(&a, &b) < 0);
	assert_true(pi_prefix_cmp(&a, &c) < 0);
	assert_true(pi_prefix_cmp(&c, &v6) < 0);
	struct pi_prefix a16 = P("10.0.0.0/16");
	assert_true(pi_prefix_cmp(&a, &a16) < 0);
	assert_true(pi_prefix_equal(&a, &a));
	assert_false(pi_prefix_equal(&a, &a16));
}

static void test_subnet_host(void **state)
{
	(void)state;
	struct pi_prefix p = P("10.0.0.0/8"), o;
	assert_int_equal(pi_prefix_subnet(&p, 24, 0, &o), 0);
	assert_fmt(&o, "10.0.0.0/24");
	assert_int_equal(pi_prefix_subnet(&p, 24, 65535, &o), 0);
	assert_fmt(&o, "10.255.255.0/24");
	assert_int_equal(pi_prefix_subnet(&p, 24, 65536, &o), -ERANGE);
	assert_int_equal(pi_prefix_subnet(&p, 7, 0, &o), -ERANGE);
	assert_int_equal(pi_prefix_subnet(&p, 33, 0, &o), -ERANGE);
	assert_int_equal(pi_prefix_subnet(&p, 31, 3, &o), 0);
	assert_fmt(&o, "10.0.0.6/31");

	struct pi_prefix v6 = P("2001:db8::/32");
	assert_int_equal(pi_prefix_subnet(&v6, 48, 0x1234, &o), 0);
	assert_fmt(&o, "2001:db8:1234::/48");
	assert_int_equal(pi_prefix_subnet(&v6, 127, 5, &o), 0);
	assert_fmt(&o, "2001:db8::a/127");
	/* A 2^96-subnet space: any 64-bit index fits. */
	assert_int_equal(pi_prefix_subnet(&v6, 128, UINT64_MAX, &o), 0);
	assert_fmt(&o, "2001:db8::ffff:ffff:ffff:ffff/128");

	struct pi_prefix lan = P("192.0.2.0/28");
	assert_int_equal(pi_prefix_host(&lan, 1, &o), 0);
	assert_fmt(&o, "192.0.2.1/28");
	assert_int_equal(pi_prefix_host(&lan, 15, &o), 0);
	assert_fmt(&o, "192.0.2.15/28");
	assert_int_equal(pi_prefix_host(&lan, 16, &o), -ERANGE);
	struct pi_prefix h = pi_prefix_as_host(&o);
	assert_fmt(&h, "192.0.2.15/32");
	struct pi_prefix l6 = P("2001:db8:1::/64");
	assert_int_equal(pi_prefix_host(&l6, 0x101, &o), 0);
	assert_fmt(&o, "2001:db8:1::101/64");

	assert_int_equal(pi_prefix_count(&p, 24), 65536);
	assert_int_equal(pi_prefix_count(&p, 8), 1);
	assert_int_equal(pi_prefix_count(&p, 7), 0);
	assert_int_equal(pi_prefix_count(&v6, 128), UINT64_MAX); /* saturated */
	assert_int_equal(pi_prefix_len_for(PI_AF_V4, 1), 32);
	assert_int_equal(pi_prefix_len_for(PI_AF_V4, 2), 31);
	assert_int_equal(pi_prefix_len_for(PI_AF_V4, 3), 30);
	assert_int_equal(pi_prefix_len_for(PI_AF_V4, 256), 24);
	assert_int_equal(pi_prefix_len_for(PI_AF_V4, 257), 23);
	assert_int_equal(pi_prefix_len_for(PI_AF_V6, 65536), 112);
}

static void test_ptr_names(void **state)
{
	(void)state;
	char buf[128];
	struct pi_prefix a = P("10.1.2.3");
	assert_string_equal(pi_prefix_ptr_name(&a, buf, sizeof(buf)), "3.2.1.10.in-addr.arpa.");
	struct pi_prefix b = P("2001:db8::567:89ab");
	assert_string_equal(pi_prefix_ptr_name(&b, buf, sizeof(buf)),
			    "b.a.9.8.7.6.5.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa.");
	struct pi_prefix z = P("10.0.0.0/8");
	assert_string_equal(pi_prefix_rev_zone(&z, buf, sizeof(buf)), "10.in-addr.arpa.");
	z = P("10.20.30.0/24");
	assert_string_equal(pi_prefix_rev_zone(&z, buf, sizeof(buf)), "30.20.10.in-addr.arpa.");
	z = P("2001:db8::/32");
	assert_string_equal(pi_prefix_rev_zone(&z, buf, sizeof(buf)), "8.b.d.0.1.0.0.2.ip6.arpa.");
	z = P("2001:db8:12::/48");
	assert_string_equal(pi_prefix_rev_zone(&z, buf, sizeof(buf)), "2.1.0.0.8.b.d.0.1.0.0.2.ip6.arpa.");
}

static void test_alloc_basic(void **state)
{
	(void)state;
	struct pi_alloc a;
	struct pi_prefix pool = P("10.0.0.0/24"), o;
	pi_alloc_init(&a, &pool);
	assert_int_equal(pi_alloc_remaining(&a), 256);
	assert_int_equal(pi_alloc_take(&a, 25, &o), 0);
	assert_fmt(&o, "10.0.0.0/25");
	assert_int_equal(pi_alloc_take(&a, 31, &o), 0);
	assert_fmt(&o, "10.0.0.128/31");
	/* Alignment skips the hole: a /28 lands on a 16 boundary. */
	assert_int_equal(pi_alloc_take(&a, 28, &o), 0);
	assert_fmt(&o, "10.0.0.144/28");
	assert_int_equal(pi_alloc_take(&a, 23, &o), -ENOSPC); /* larger than the pool */
	assert_int_equal(pi_alloc_take(&a, 33, &o), -ENOSPC);
	assert_int_equal(pi_alloc_take(&a, 26, &o), 0);
	assert_fmt(&o, "10.0.0.192/26");
	assert_int_equal(pi_alloc_remaining(&a), 0);
	assert_int_equal(pi_alloc_take(&a, 32, &o), -ENOSPC);

	/* Largest first fills a pool exactly. */
	pi_alloc_init(&a, &pool);
	unsigned lens[] = { 25, 26, 27, 28, 29, 30, 31, 32, 32 };
	for (size_t i = 0; i < PI_ARRAY_LEN(lens); i++)
		assert_int_equal(pi_alloc_take(&a, lens[i], &o), 0);
	assert_int_equal(pi_alloc_remaining(&a), 0);
	assert_int_equal(pi_alloc_take(&a, 32, &o), -ENOSPC);

	struct pi_prefix p6 = P("2001:db8::/32");
	pi_alloc_init(&a, &p6);
	assert_int_equal(pi_alloc_take(&a, 48, &o), 0);
	assert_fmt(&o, "2001:db8::/48");
	assert_int_equal(pi_alloc_take(&a, 64, &o), 0);
	assert_fmt(&o, "2001:db8:1::/64");
	assert_int_equal(pi_alloc_take(&a, 48, &o), 0);
	assert_fmt(&o, "2001:db8:2::/48");
	assert_int_equal(pi_alloc_remaining(&a), UINT64_MAX);
}

static int cmp_pfx(const void *a, const void *b)
{
	return pi_prefix_cmp(a, b);
}

/* Random request sequences: whatever comes back is inside the pool and
 * never overlaps anything else; the allocator says -ENOSPC only when it
 * really cannot place the request. */
static void test_alloc_random(void **state)
{
	(void)state;
	struct pi_rng rng;
	pi_rng_seed(&rng, 12345);
	const char *pools[] = { "10.0.0.0/16", "172.16.0.0/20", "2001:db8::/40", "192.0.2.0/24" };
	for (int round = 0; round < 400; round++) {
		struct pi_prefix pool = P(pools[round % 4]);
		unsigned max = pi_prefix_maxlen(&pool);
		struct pi_alloc a;
		pi_alloc_init(&a, &pool);
		struct pi_prefix got[600];
		size_t n = 0;
		bool sorted_desc = round % 2 == 0;
		unsigned last = pool.len;
		for (int k = 0; k < 600; k++) {
			unsigned span = max - pool.len < 16 ? max - pool.len : 16;
			unsigned len = pool.len + 1 + pi_rng_below(&rng, span);
			if (len > max)
				len = max;
			if (sorted_desc) { /* the planner's usage: largest first */
				if (len < last)
					len = last;
				last = len;
			}
			uint64_t before = pi_alloc_remaining(&a);
			struct pi_prefix o;
			int rc = pi_alloc_take(&a, len, &o);
			if (rc) {
				assert_int_equal(rc, -ENOSPC);
				if (sorted_desc) /* no holes: failure means really full */
					assert_true(before < ((uint64_t)1 << (max - len > 63 ? 63 : max - len)));
				continue;
			}
			assert_int_equal(o.len, len);
			assert_true(pi_prefix_contains(&pool, &o));
			assert_false(pi_prefix_has_host_bits(&o));
			got[n++] = o;
		}
		qsort(got, n, sizeof(got[0]), cmp_pfx);
		for (size_t i = 1; i < n; i++)
			assert_false(pi_prefix_overlaps(&got[i - 1], &got[i]));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_format), cmocka_unit_test(test_contains_overlap),
		cmocka_unit_test(test_subnet_host),  cmocka_unit_test(test_ptr_names),
		cmocka_unit_test(test_alloc_basic),  cmocka_unit_test(test_alloc_random),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
