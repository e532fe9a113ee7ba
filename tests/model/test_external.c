/*
 * model: a lab's `external:` speakers. Each error at its line and column,
 * with a near-match hint where there is one; a good entry becomes a pod of
 * tier external and one relationship, after all others; attach and detach
 * on a loaded lab.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "pi_config.h"
#include "pocketinternet/lab.h"

static char bdir[4096];

#define HEAD "name: t\nseed: 1\npods:\n  - {name: transit1, blueprint: transit, asn: 64500}\n" \
	     "  - {name: transit2, blueprint: transit}\n  - {name: ixp1, blueprint: ixp}\n" \
	     "  - {name: bb1, blueprint: broadband}\nexternal:\n"

static struct pi_lab *load(const char *ext, struct pi_diag *d, int *rc)
{
	char text[4096];
	snprintf(text, sizeof(text), "%s%s", HEAD, ext);
	struct pi_lab *lab = NULL;
	*rc = pi_lab_load_mem("t.yml", text, strlen(text), bdir, &lab, d);
	return lab;
}

#define HEAD_LINES 8

/* The load fails with an error whose message holds msg (and hint, if
 * given), at the first place marker occurs in ext's line-th line (1-based). */
static void expect_error(const char *ext, unsigned line, const char *marker, const char *msg, const char *hint)
{
	const char *l = ext;
	for (unsigned k = 1; k < line; k++)
		l = strchr(l, '\n') + 1;
	unsigned col = (unsigned)(strstr(l, marker) - l) + 1;
	line += HEAD_LINES;
	struct pi_diag d;
	int rc;
	pi_diag_init(&d);
	struct pi_lab *lab = load(ext, &d, &rc);
	assert_null(lab);
	assert_int_equal(rc, -EINVAL);
	bool found = false;
	for (size_t i = 0; i < pi_diag_count(&d); i++) {
		const struct pi_diag_entry *e = pi_vec_at(&d.entries, i);
		if (strstr(e->msg, msg) && e->pos.line == line && e->pos.col == col &&
		    (!hint || (e->hint && strstr(e->hint, hint))))
			found = true;
		else
			fprintf(stderr, "other: %u:%u %s (%s)\n", e->pos.line, e->pos.col, e->msg, e->hint ? e->hint : "");
	}
	if (!found)
		fprintf(stderr, "expected %u:%u '%s'\n", line, col, msg);
	assert_true(found);
	pi_diag_free(&d);
}

static void test_good(void **state)
{
	(void)state;
	struct pi_diag d;
	int rc;
	pi_diag_init(&d);
	struct pi_lab *lab = load("  - {name: tester, asn: 65001, speaker: exabgp, attach: {ixp: ixp1}}\n"
				  "  - {name: cust, asn: 65002, speaker: gobgpd, attach: {customer_of: transit1},"
				  " prefixes: [192.0.2.0/24]}\n"
				  "  - {name: own, asn: 65003, speaker: image, image: my/bgp, command: [bgpd, -d],"
				  " attach: {provider_of: bb1}}\n"
				  "  - {name: inns, asn: 65004, speaker: gobgpd, attach: {peer_of: bb1}, netns: tester.1}\n",
				  &d, &rc);
	assert_int_equal(rc, 0);
	assert_non_null(lab);
	assert_int_equal(lab->n_externals, 4);
	assert_string_equal(lab->externals[3].netns, "tester.1");
	assert_null(lab->externals[0].netns);
	assert_string_equal(lab->externals[1].to, "transit1");
	assert_int_equal(lab->externals[1].attach, PI_ATTACH_CUSTOMER_OF);
	assert_int_equal(lab->externals[1].n_prefixes, 1);
	assert_int_equal(lab->externals[2].n_command, 2);
	/* Pods and relationships after every other one. */
	assert_int_equal(lab->n_pods, 8);
	assert_ptr_equal(lab->pods[4].bp, pi_external_blueprint());
	assert_string_equal(lab->pods[6].name, "own");
	assert_int_equal(lab->pods[6].asn, 65003);
	assert_int_equal(lab->n_rels, 4);
	assert_int_equal(lab->rels[0].kind, PI_LAB_REL_IXP);
	assert_string_equal(lab->rels[1].a, "transit1"); /* provider first */
	assert_string_equal(lab->rels[2].a, "own");
	assert_string_equal(lab->rels[2].b, "bb1");

	/* attach and detach on the loaded lab. */
	struct pi_lab_external e = { .name = "late", .asn = 65010, .speaker = PI_SPEAKER_FRR,
				     .attach = PI_ATTACH_PEER_OF, .to = "bb1", .pos = { "attach", 0, 0 } };
	assert_int_equal(pi_lab_add_external(lab, &e, &d), 0);
	assert_int_equal(lab->n_pods, 9);
	e.name = "late2";
	e.to = "bb2"; /* unknown: a hint names bb1 */
	assert_int_equal(pi_lab_add_external(lab, &e, &d), -EINVAL);
	e.to = "bb1";
	e.netns = "../x"; /* not a name of /run/netns */
	assert_int_equal(pi_lab_add_external(lab, &e, &d), -EINVAL);
	assert_int_equal(lab->n_pods, 9);
	assert_int_equal(pi_lab_remove_external(lab, "cust"), 0);
	assert_int_equal(pi_lab_remove_external(lab, "cust"), -ENOENT);
	assert_int_equal(lab->n_pods, 8);
	assert_int_equal(lab->n_rels, 4);
	assert_null(pi_lab_external(lab, "cust"));
	for (size_t i = 0; i < lab->n_rels; i++)
		assert_true(strcmp(lab->rels[i].b, "cust") != 0 && strcmp(lab->rels[i].a, "cust") != 0);
	pi_lab_free(lab);
	pi_diag_free(&d);
}

static void test_errors(void **state)
{
	(void)state;
		expect_error("  - {name: x1, asn: 65001, speaker: exabgp, attach: {ixp: ipx1}}\n", 1, "ipx1",
		     "unknown pod 'ipx1'", "did you mean 'ixp1'");
	expect_error("  - {name: x1, asn: 65001, speaker: exabgp, attach: {ixp: bb1}}\n", 1, "bb1}", "is no IXP", NULL);
	expect_error("  - {name: x1, asn: 65001, speaker: exabgp, attach: {peer_of: ixp1}}\n", 1, "ixp1}",
		     "is an IXP", "attach: {ixp: ixp1}");
	expect_error("  - {name: x1, asn: 64500, speaker: exabgp, attach: {ixp: ixp1}}\n", 1, "64500",
		     "asn 64500 is also pod 'transit1'", NULL);
	expect_error("  - {name: bb1, asn: 65001, speaker: exabgp, attach: {ixp: ixp1}}\n", 1, "bb1",
		     "has the name of a pod", NULL);
	expect_error("  - {name: x1, asn: 65001, speaker: exabgp, attach: {ixp: ixp1}}\n"
		     "  - {name: x1, asn: 65002, speaker: exabgp, attach: {ixp: ixp1}}\n",
		     2, "x1", "duplicate external name 'x1'", NULL);
	expect_error("  - {name: x1, asn: 65001, speaker: exabgp, attach: {ixp: ixp1}}\n"
		     "  - {name: x2, asn: 65001, speaker: exabgp, attach: {ixp: ixp1}}\n",
		     2, "65001", "asn 65001 is also external 'x1'", NULL);
	expect_error("  - {name: x1, asn: 65001, speaker: exabpg, attach: {ixp: ixp1}}\n", 1, "exabpg", "speaker", "exabgp");
	expect_error("  - {name: x1, asn: 65001, speaker: image, attach: {ixp: ixp1}}\n", 1, "image,", "needs an image",
		     NULL);
	expect_error("  - {name: x1, asn: 65001, speaker: gobgpd, image: x, attach: {ixp: ixp1}}\n", 1, "image:",
		     "'image' is for speaker: image", NULL);
	expect_error("  - {name: x1, asn: 65001, speaker: frr, attach: {custmer_of: bb1}}\n", 1, "custmer_of",
		     "unknown key 'custmer_of'", "customer_of");
	expect_error("  - {name: x1, asn: 65001, speaker: frr, attach: {ixp: ixp1, peer_of: bb1}}\n", 1, "{ixp",
		     "more than one place", NULL);
	expect_error("  - {name: x1, asn: 65001, speaker: frr, attach: {ixp: ixp1}, prefixes: [10.0.0.1/8]}\n", 1, "10.0.0.1",
		     "host bits", "10.0.0.0/8");
	expect_error("  - {name: x1, asn: 65001, speaker: frr, attach: {ixp: ixp1}}\n"
		     "  - {name: x2, asn: 65002, speaker: frr, attach: {customer_of: x1}}\n",
		     2, "x1}", "'x1' is an external speaker", NULL);
	expect_error("  - {name: x1, asn: 65001, speaker: frr, attach: {ixp: ixp1}, netns: ../etc}\n", 1, "../etc",
		     "invalid netns name", NULL);
	expect_error("  - {name: x1, asn: 65001, speaker: image, image: i, attach: {ixp: ixp1}, netns: ns1}\n", 1,
		     "ns1", "netns and speaker: image exclude each other", NULL);
	expect_error("  - {name: x1, asn: 65001, speaker: frr, atach: {ixp: ixp1}}\n", 1, "atach", "unknown key 'atach'",
		     "attach");
}

/* Announcements in special-purpose space load, with a warning at each one
 * the routers' filters would drop; the lab's own space and public space
 * pass quietly. */
static void test_bogon_warning(void **state)
{
	(void)state;
	const char *ext = "  - {name: x1, asn: 65001, speaker: frr, attach: {ixp: ixp1},\n"
			  "     prefixes: [192.0.2.0/24, 10.99.0.0/16, 2a00:1::/32, 2001:db8:ff::/48,\n"
			  "                203.0.113.128/25, fc00:1::/48]}\n";
	struct pi_diag d;
	int rc;
	pi_diag_init(&d);
	struct pi_lab *lab = load(ext, &d, &rc);
	assert_int_equal(rc, 0);
	assert_non_null(lab);
	assert_int_equal(lab->externals[0].n_prefixes, 6);
	static const struct {
		unsigned line, col;
		const char *msg, *space;
	} want[] = { { HEAD_LINES + 2, 17, "192.0.2.0/24 is special-purpose space (in 192.0.2.0/24)", "10.0.0.0/8" },
		     { HEAD_LINES + 3, 17, "203.0.113.128/25 is special-purpose space (in 203.0.113.0/24)", "10.0.0.0/8" },
		     { HEAD_LINES + 3, 35, "fc00:1::/48 is special-purpose space (in fc00::/7)", "2001:db8::/32" } };
	assert_int_equal(pi_diag_count(&d), 3);
	for (size_t i = 0; i < 3; i++) {
		const struct pi_diag_entry *e = pi_vec_at(&d.entries, i);
		assert_int_equal(e->severity, PI_DIAG_WARNING);
		assert_int_equal(e->pos.line, want[i].line);
		assert_int_equal(e->pos.col, want[i].col);
		assert_non_null(strstr(e->msg, want[i].msg));
		assert_non_null(strstr(e->hint, "address_space ("));
		assert_non_null(strstr(e->hint, want[i].space));
	}
	pi_lab_free(lab);
	pi_diag_free(&d);
}

int main(void)
{
	const char *s = getenv("PI_SOURCE_DIR");
	snprintf(bdir, sizeof(bdir), "%s/blueprints", s && *s ? s : PI_SOURCE_DIR);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_bogon_warning),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
