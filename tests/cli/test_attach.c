/*
 * cli: attach and detach argument errors (exit 2, one line saying what to
 * give), their --help, and `plan` of a lab with external speakers: the
 * speakers are pods of tier external, and a bad entry is reported at its
 * line and column. Nothing here needs a running lab.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "pocketinternet/util.h"
#include "cli_run.h"

static void expect_usage(const char *const *argv, const char *msg)
{
	struct pi_buf out;
	pi_buf_init(&out);
	int rc = cli_run(&out, argv);
	if (rc != 2 || !strstr(pi_buf_str(&out), msg))
		fprintf(stderr, "rc %d, output:\n%s\n(expected '%s')\n", rc, pi_buf_str(&out), msg);
	assert_int_equal(rc, 2);
	assert_non_null(strstr(pi_buf_str(&out), msg));
	pi_buf_free(&out);
}

static void test_help(void **state)
{
	(void)state;
	struct pi_buf out;
	pi_buf_init(&out);
	assert_int_equal(cli_run(&out, (const char *[]){ "--help", NULL }), 0);
	assert_non_null(strstr(pi_buf_str(&out), "  attach "));
	assert_non_null(strstr(pi_buf_str(&out), "  detach "));
	assert_int_equal(cli_run(&out, (const char *[]){ "attach", "--help", NULL }), 0);
	assert_non_null(strstr(pi_buf_str(&out), "usage: pocketinternet attach NAME --asn N"));
	assert_int_equal(cli_run(&out, (const char *[]){ "detach", "--help", NULL }), 0);
	assert_non_null(strstr(pi_buf_str(&out), "usage: pocketinternet detach NAME"));
	pi_buf_free(&out);
}

static void test_usage_errors(void **state)
{
	(void)state;
	expect_usage((const char *[]){ "attach", NULL }, "expected one NAME");
	expect_usage((const char *[]){ "attach", "t", "--asn", "65001", NULL }, "give --asn N and --speaker");
	expect_usage((const char *[]){ "attach", "t", "--asn", "x1", "--speaker", "frr", NULL }, "--asn takes a number");
	expect_usage((const char *[]){ "attach", "t", "--asn", "65001", "--speaker", "bird", "--ixp", "ixp1", NULL },
		     "--speaker takes exabgp, gobgpd, frr or image, not 'bird'");
	expect_usage((const char *[]){ "attach", "t", "--asn", "65001", "--speaker", "frr", NULL },
		     "exactly one of --ixp, --customer-of");
	expect_usage((const char *[]){ "attach", "t", "--asn", "65001", "--speaker", "frr", "--ixp", "i", "--peer-of",
				       "p", NULL },
		     "exactly one of --ixp, --customer-of");
	expect_usage((const char *[]){ "attach", "t", "--asn", "65001", "--speaker", "image", "--ixp", "i", NULL },
		     "--speaker image needs --image NAME");
	expect_usage((const char *[]){ "attach", "t", "--asn", "65001", "--speaker", "exabgp", "--image", "x", "--ixp",
				       "i", NULL },
		     "--image and --command go with --speaker image");
	expect_usage((const char *[]){ "attach", "t", "--asn", "65001", "--speaker", "frr", "--ixp", "i", "--prefix",
				       "10.0.0.1/8", NULL },
		     "--prefix takes a network");
	expect_usage((const char *[]){ "attach", "t", "--asn", "65001", "--speaker", "frr", "--ixp", "i", "--format",
				       "xml", NULL },
		     "--format takes text or json");
	expect_usage((const char *[]){ "attach", "t", "--asn", "65001", "--speaker", "frr", "--ixp", "i", "--netns",
				       "a/b", NULL },
		     "--netns takes a name of /run/netns");
	expect_usage((const char *[]){ "attach", "t", "--asn", "65001", "--speaker", "image", "--image", "x", "--ixp",
				       "i", "--netns", "ns1", NULL },
		     "--netns runs what you started there");
	expect_usage((const char *[]){ "detach", NULL }, "expected the NAME");
	expect_usage((const char *[]){ "detach", "a", "b", NULL }, "expected the NAME");
	expect_usage((const char *[]){ "detach", "a", "--format", "yaml", NULL }, "--format takes text or json");
}

static void test_plan_shows_externals(void **state)
{
	(void)state;
	char path[] = "/tmp/pi-cli-ext-XXXXXX.yml";
	int fd = mkstemps(path, 4);
	assert_true(fd >= 0);
	static const char lab[] = "name: ext\nseed: 7\npods: {transit: 2, ixp: 1, broadband: 2}\nexternal:\n"
				  "  - {name: tester, asn: 65001, speaker: exabgp, attach: {ixp: ixp1}}\n"
				  "  - {name: cust, asn: 65002, speaker: gobgpd, attach: {customer_of: transit9}}\n";
	assert_int_equal(write(fd, lab, sizeof(lab) - 1), (ssize_t)sizeof(lab) - 1);
	close(fd);
	struct pi_buf out;
	pi_buf_init(&out);
	/* transit9 does not exist: the error points at it, and names transit1. */
	assert_int_equal(cli_run(&out, (const char *[]){ "-c", path, "plan", NULL }), 2);
	char want[128];
	snprintf(want, sizeof(want), "%s:6:69: error: external 'cust' attaches to unknown pod 'transit9'", path);
	assert_non_null(strstr(pi_buf_str(&out), want));
	assert_non_null(strstr(pi_buf_str(&out), "did you mean 'transit1'?"));
	/* Fixed, the plan lists the speakers as pods of their own. */
	char *text = strdup(lab);
	memcpy(strstr(text, "transit9"), "transit1", 8);
	assert_int_equal(pi_write_file(path, text, strlen(text), 0644), 0);
	free(text);
	assert_int_equal(cli_run(&out, (const char *[]){ "-c", path, "plan", NULL }), 0);
	assert_non_null(strstr(pi_buf_str(&out), "AS65001      external"));
	assert_non_null(strstr(pi_buf_str(&out), "tester-speaker1"));
	assert_non_null(strstr(pi_buf_str(&out), "cust buys transit from transit1 (lab)"));
	pi_buf_free(&out);
	unlink(path);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: test-cli-attach PATH-TO-pocketinternet\n");
		return 2;
	}
	cli_bin = argv[1];
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_help),
		cmocka_unit_test(test_usage_errors),
		cmocka_unit_test(test_plan_shows_externals),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
