/* web/parse: the Cookie header, query strings and JSON bodies (no server). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "src/web/web_int.h"

static void test_query(void **state)
{
	(void)state;
	char v[16];
	assert_int_equal(pi_web_query_get("from=a&to=b%2Fc+d", "to", v, sizeof(v)), 0);
	assert_string_equal(v, "b/c d");
	assert_int_equal(pi_web_query_get("from=a&to=b", "from", v, sizeof(v)), 0);
	assert_string_equal(v, "a");
	assert_int_equal(pi_web_query_get("xfrom=a", "from", v, sizeof(v)), -ENOENT);
	assert_int_equal(pi_web_query_get("", "q", v, sizeof(v)), -ENOENT);
	assert_int_equal(pi_web_query_get("q", "q", v, sizeof(v)), 0);
	assert_string_equal(v, "");
	assert_int_equal(pi_web_query_get("q=%zz", "q", v, sizeof(v)), -EINVAL);
	assert_int_equal(pi_web_query_get("q=%4", "q", v, sizeof(v)), -EINVAL);
	assert_int_equal(pi_web_query_get("q=%00", "q", v, sizeof(v)), -EINVAL); /* no NUL inside */
	assert_int_equal(pi_web_query_get("q=0123456789abcdef", "q", v, sizeof(v)), -EINVAL); /* too long */
	assert_int_equal(pi_web_query_get("q=0123456789abcde", "q", v, sizeof(v)), 0);
}

static void test_cookie(void **state)
{
	(void)state;
	char v[70];
	assert_int_equal(pi_web_cookie_get("a=1; pi_session=abc; b=2", "pi_session", v, sizeof(v)), 0);
	assert_string_equal(v, "abc");
	assert_int_equal(pi_web_cookie_get("xpi_session=abc", "pi_session", v, sizeof(v)), -ENOENT);
	assert_int_equal(pi_web_cookie_get("pi_session=", "pi_session", v, sizeof(v)), 0);
	assert_string_equal(v, ""); /* present and empty: no session matches it */
	char small[4];
	assert_int_equal(pi_web_cookie_get("pi_session=abcd", "pi_session", small, sizeof(small)), -EINVAL);
}

static void test_bodies(void **state)
{
	(void)state;
	struct pi_web_login_req l;
	const char *ok = "{\"user\":\"trainer\",\"password\":\"pw\"}";
	assert_int_equal(pi_web_parse_login(ok, strlen(ok), &l), 0);
	assert_string_equal(l.user, "trainer");
	assert_string_equal(l.password, "pw");
	const char *dup = "{\"user\":\"a\",\"user\":\"b\",\"password\":\"pw\"}";
	assert_int_equal(pi_web_parse_login(dup, strlen(dup), &l), -EINVAL);
	const char *nul = "{\"user\":\"a\\u0000b\",\"password\":\"pw\"}";
	assert_int_equal(pi_web_parse_login(nul, strlen(nul), &l), -EINVAL);
	struct pi_web_capture_req c;
	const char *cap = "{\"node\":\"n1\",\"iface\":null,\"filter\":\"icmp\"}";
	assert_int_equal(pi_web_parse_capture(cap, strlen(cap), &c), 0);
	assert_false(c.has_iface);
	assert_true(c.has_filter);
	assert_string_equal(c.filter, "icmp");
	unsigned cols, rows;
	const char *rs = "{\"resize\":[120,40]}";
	assert_int_equal(pi_web_parse_resize(rs, strlen(rs), &cols, &rows), 0);
	assert_int_equal(cols, 120);
	assert_int_equal(rows, 40);
	const char *neg = "{\"resize\":[-1,40]}";
	assert_int_equal(pi_web_parse_resize(neg, strlen(neg), &cols, &rows), -EINVAL);
	assert_true(pi_web_name_ok("transit1-border1"));
	assert_true(pi_web_name_ok("2001:db8::/32"));
	assert_false(pi_web_name_ok("a b"));
	assert_false(pi_web_name_ok(""));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_query),
		cmocka_unit_test(test_cookie),
		cmocka_unit_test(test_bodies),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
