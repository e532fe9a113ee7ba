/* Unit tests of the impairment spec (util/impair.c): tc(8) units, exact
 * decimal scaling, helpful errors, formatting that parses back, and no
 * crash or acceptance on hostile input. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "pocketinternet/impair.h"

static uint64_t rate(const char *s)
{
	uint64_t v = 0;
	char err[PI_IMPAIR_ERR_MAX];
	if (pi_impair_parse_rate(s, &v, err, sizeof(err)) != 0)
		fail_msg("rate \"%s\": %s", s, err);
	return v;
}

static uint32_t usec(const char *s)
{
	uint32_t v = 0;
	char err[PI_IMPAIR_ERR_MAX];
	if (pi_impair_parse_time(s, &v, err, sizeof(err)) != 0)
		fail_msg("time \"%s\": %s", s, err);
	return v;
}

static uint32_t ppm(const char *s)
{
	uint32_t v = 0;
	char err[PI_IMPAIR_ERR_MAX];
	if (pi_impair_parse_percent(s, &v, err, sizeof(err)) != 0)
		fail_msg("percent \"%s\": %s", s, err);
	return v;
}

static void test_rates(void **state)
{
	(void)state;
	assert_int_equal(rate("5mbit"), 5000000);
	assert_int_equal(rate("5Mbit"), 5000000);
	assert_int_equal(rate("5Mbit/s"), 5000000);
	assert_int_equal(rate("100kbit"), 100000);
	assert_int_equal(rate("1gbit"), 1000000000);
	assert_int_equal(rate("1.5mbit"), 1500000);
	assert_int_equal(rate("800kbps"), 6400000); /* bytes per second, as in tc */
	assert_int_equal(rate("1bps"), 8);
	assert_int_equal(rate("2mbps"), 16000000);
	assert_int_equal(rate("5M"), 5000000);      /* SI shorthand: bits */
	assert_int_equal(rate("10G"), 10000000000ull);
	assert_int_equal(rate("1kibit"), 1024);
	assert_int_equal(rate("1mibps"), 8 * 1048576);
	assert_int_equal(rate("64bit"), 64);
	assert_int_equal(rate("40gbit"), 40000000000ull); /* above 32 bits */
	assert_int_equal(rate("007kbit"), 7000);
	assert_int_equal(rate("0.5kbit"), 500);
	assert_int_equal(rate("1.0005kbit"), 1001); /* rates round to the nearest bit */
}

static void expect_bad_rate(const char *s, const char *needle)
{
	uint64_t v = 42;
	char err[PI_IMPAIR_ERR_MAX] = "";
	assert_int_equal(pi_impair_parse_rate(s, &v, err, sizeof(err)), -EINVAL);
	assert_int_equal(v, 42); /* untouched */
	if (!strstr(err, needle))
		fail_msg("rate \"%s\": error \"%s\" lacks \"%s\"", s ? s : "(null)", err, needle);
}

static void test_rate_errors(void **state)
{
	(void)state;
	expect_bad_rate("5", "\"5\": no unit (bits or bytes?)");
	expect_bad_rate("5", "kbit");          /* says what is accepted */
	expect_bad_rate("5mbitz", "unknown rate unit \"mbitz\"");
	expect_bad_rate("5mbps/s", "unknown rate unit");
	expect_bad_rate("mbit", "not a rate");
	expect_bad_rate("", "not a rate");
	expect_bad_rate(NULL, "not a rate");
	expect_bad_rate("-5mbit", "not a rate");
	expect_bad_rate(" 5mbit", "not a rate");
	expect_bad_rate("5 mbit", "unknown rate unit");
	expect_bad_rate("1e6bit", "unknown rate unit");
	expect_bad_rate("4bit", "below 8 bit/s");
	expect_bad_rate("0mbit", "below 8 bit/s");
	expect_bad_rate("99999999999999999999bit", "not a rate"); /* 20 digits */
	expect_bad_rate("18446744073709551616bit", "not a rate"); /* UINT64_MAX + 1 */
	expect_bad_rate("0.00000000000000000001tbit", "not a rate"); /* 20 fraction digits */
	expect_bad_rate("9999999999999999999tbps", "too large");
	expect_bad_rate("5\x1b[2Jmbit", "5?[2Jmbit"); /* control bytes never echoed */
}

static void test_times(void **state)
{
	(void)state;
	assert_int_equal(usec("20ms"), 20000);
	assert_int_equal(usec("1s"), 1000000);
	assert_int_equal(usec("500us"), 500);
	assert_int_equal(usec("2.5ms"), 2500);
	assert_int_equal(usec("0.001s"), 1000);
	assert_int_equal(usec("3msec"), 3000);
	assert_int_equal(usec("3usecs"), 3);
	assert_int_equal(usec("0ms"), 0);
	assert_int_equal(usec("3600s"), 3600000000u);
	assert_int_equal(usec("20MS"), 20000);
}

static void expect_bad_time(const char *s, const char *needle)
{
	uint32_t v = 42;
	char err[PI_IMPAIR_ERR_MAX] = "";
	assert_int_equal(pi_impair_parse_time(s, &v, err, sizeof(err)), -EINVAL);
	assert_int_equal(v, 42);
	if (!strstr(err, needle))
		fail_msg("time \"%s\": error \"%s\" lacks \"%s\"", s ? s : "(null)", err, needle);
}

static void test_time_errors(void **state)
{
	(void)state;
	expect_bad_time("20", "\"20\": no unit;");
	expect_bad_time("20", "20ms");
	expect_bad_time("20min", "unknown time unit \"min\"");
	expect_bad_time("0.5us", "finer than a microsecond");
	expect_bad_time("3601s", "longer than an hour");
	expect_bad_time("99999999999999999s", "longer than an hour");
	expect_bad_time("ms", "not a time");
	expect_bad_time(NULL, "not a time");
}

static void test_percent(void **state)
{
	uint32_t v = 42;
	char err[PI_IMPAIR_ERR_MAX] = "";

	(void)state;
	assert_int_equal(ppm("1%"), 10000);
	assert_int_equal(ppm("0.5%"), 5000);
	assert_int_equal(ppm("0.0001%"), 1);
	assert_int_equal(ppm("100%"), 1000000);
	assert_int_equal(ppm("100.0%"), 1000000);
	assert_int_equal(ppm("0%"), 0);
	assert_int_equal(pi_impair_parse_percent("1", &v, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "e.g. 1%"));
	assert_int_equal(pi_impair_parse_percent("100.5%", &v, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "above 100%"));
	assert_int_equal(pi_impair_parse_percent("0.00001%", &v, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "finer than 0.0001%"));
	assert_int_equal(pi_impair_parse_percent("1%%", &v, err, sizeof(err)), -EINVAL);
	assert_int_equal(pi_impair_parse_percent("1 %", &v, NULL, 0), -EINVAL); /* err may be NULL */
	assert_int_equal(v, 42);
}

static void test_set_and_check(void **state)
{
	struct pi_impair imp = { 0 };
	char err[PI_IMPAIR_ERR_MAX];

	(void)state;
	assert_int_equal(pi_impair_set(&imp, "rate", "5mbit", err, sizeof(err)), 0);
	assert_int_equal(pi_impair_set(&imp, "loss", "1%", err, sizeof(err)), 0);
	assert_int_equal(pi_impair_set(&imp, "reorder", "25%", err, sizeof(err)), 0);
	assert_int_equal(pi_impair_set(&imp, "latency", "5ms", err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "delay"));
	assert_int_equal(pi_impair_set(&imp, NULL, "5ms", err, sizeof(err)), -ENOENT);
	assert_int_equal(imp.rate_bps, 5000000);
	assert_int_equal(imp.loss_ppm, 10000);
	/* netem reorders only relative to delayed packets */
	assert_int_equal(pi_impair_check(&imp, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "reorder needs a delay"));
	assert_int_equal(pi_impair_set(&imp, "delay", "10ms", err, sizeof(err)), 0);
	assert_int_equal(pi_impair_check(&imp, err, sizeof(err)), 0);
	imp.loss_ppm = 1000001;
	assert_int_equal(pi_impair_check(&imp, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "loss above 100%"));
	imp = (struct pi_impair){ .rate_bps = 7 };
	assert_int_equal(pi_impair_check(&imp, err, sizeof(err)), -EINVAL);
}

static void test_format_roundtrip(void **state)
{
	char buf[PI_IMPAIR_FMT_MAX], err[PI_IMPAIR_ERR_MAX];
	struct pi_impair all = { .rate_bps = 5000000, .delay_us = 20000, .jitter_us = 5000, .loss_ppm = 10000,
				 .duplicate_ppm = 5000, .corrupt_ppm = 1000, .reorder_ppm = 250000 };
	struct pi_impair odd = { .rate_bps = 1500000, .delay_us = 1500, .jitter_us = 2000000, .loss_ppm = 1,
				 .corrupt_ppm = 1000000 };
	/* Above 10^19 bit/s and not whole kbit: 20 digits of "bit" (fuzz_ops
	 * found that they did not parse back, so ops.json could not be reread). */
	struct pi_impair huge = { .rate_bps = 12737559813695733760ull }, max = { .rate_bps = UINT64_MAX };
	struct pi_impair *cases[] = { &all, &odd, &huge, &max };
	struct pi_impair none = { 0 };

	(void)state;
	assert_string_equal(pi_impair_format(&none, buf, sizeof(buf)), "none");
	assert_true(pi_impair_is_none(&none));
	assert_false(pi_impair_needs_netem(&none));
	assert_string_equal(pi_impair_format(&all, buf, sizeof(buf)),
			    "rate 5Mbit delay 20ms jitter 5ms loss 1% duplicate 0.5% corrupt 0.1% reorder 25%");
	assert_string_equal(pi_impair_format(&odd, buf, sizeof(buf)),
			    "rate 1500Kbit delay 1500us jitter 2s loss 0.0001% corrupt 100%");
	assert_string_equal(pi_impair_format(&(struct pi_impair){ .rate_bps = 40000000000ull }, buf, sizeof(buf)),
			    "rate 40Gbit");
	assert_string_equal(pi_impair_format(&(struct pi_impair){ .rate_bps = 12345 }, buf, sizeof(buf)),
			    "rate 12345bit");
	assert_int_equal(rate("12147483648010mibit"), huge.rate_bps);
	assert_string_equal(pi_impair_format(&huge, buf, sizeof(buf)), "rate 12737559813695733760bit");
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		struct pi_impair back = { 0 };
		char *save, *key;
		pi_impair_format(cases[c], buf, sizeof(buf));
		for (key = strtok_r(buf, " ", &save); key; key = strtok_r(NULL, " ", &save)) {
			char *val = strtok_r(NULL, " ", &save);
			assert_non_null(val);
			if (pi_impair_set(&back, key, val, err, sizeof(err)))
				fail_msg("%s %s: %s", key, val, err);
		}
		assert_true(pi_impair_equal(&back, cases[c]));
	}
	/* Cut, never overrun. */
	memset(buf, 'x', sizeof(buf));
	pi_impair_format(&all, buf, 10);
	assert_string_equal(buf, "rate 5Mbi");
	assert_true(pi_impair_needs_netem(&(struct pi_impair){ .corrupt_ppm = 1 }));
	assert_false(pi_impair_needs_netem(&(struct pi_impair){ .rate_bps = 8 }));
	assert_false(pi_impair_is_none(&(struct pi_impair){ .rate_bps = 8 }));
}

static void test_merge(void **state)
{
	struct pi_impair base = { .rate_bps = 1000, .delay_us = 5 };
	(void)state;
	pi_impair_merge(&base, &(struct pi_impair){ .delay_us = 7, .loss_ppm = 3 });
	assert_true(pi_impair_equal(&base, &(struct pi_impair){ .rate_bps = 1000, .delay_us = 7, .loss_ppm = 3 }));
}

/* Random bytes and mutations of valid text: every call returns 0 or
 * -EINVAL, and the error is a NUL-terminated printable line. */
static void test_garbage(void **state)
{
	static const char alphabet[] = "0123456789.%/smkgtbipuMKGT \x01\xff";
	static const char *seeds[] = { "5mbit", "20ms", "0.5%", "800kbps", "1.5ms", "100%" };
	unsigned x = 12345;
	char s[40], err[PI_IMPAIR_ERR_MAX];

	(void)state;
	for (int i = 0; i < 20000; i++) {
		size_t n;
		uint64_t r;
		uint32_t t;
		x = x * 1103515245u + 12345u;
		if (i % 2) {
			n = (x >> 16) % (sizeof(s) - 1);
			for (size_t j = 0; j < n; j++) {
				x = x * 1103515245u + 12345u;
				s[j] = alphabet[(x >> 16) % (sizeof(alphabet) - 1)];
			}
			s[n] = '\0';
		} else {
			snprintf(s, sizeof(s), "%s", seeds[(x >> 16) % 6]);
			n = strlen(s);
			x = x * 1103515245u + 12345u;
			s[(x >> 16) % n] = alphabet[(x >> 8) % (sizeof(alphabet) - 1)];
		}
		int rc = pi_impair_parse_rate(s, &r, err, sizeof(err));
		assert_true(rc == 0 || rc == -EINVAL);
		if (rc)
			for (const char *p = err; *p; p++)
				assert_true(*p >= 0x20 && *p < 0x7f);
		rc = pi_impair_parse_time(s, &t, err, sizeof(err));
		assert_true(rc == 0 || rc == -EINVAL);
		rc = pi_impair_parse_percent(s, &t, err, 8); /* short buffer too */
		assert_true(rc == 0 || rc == -EINVAL);
		if (rc)
			assert_true(strlen(err) < 8);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rates),       cmocka_unit_test(test_rate_errors),
		cmocka_unit_test(test_times),       cmocka_unit_test(test_time_errors),
		cmocka_unit_test(test_percent),     cmocka_unit_test(test_set_and_check),
		cmocka_unit_test(test_format_roundtrip), cmocka_unit_test(test_merge),
		cmocka_unit_test(test_garbage),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
