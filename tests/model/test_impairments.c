/*
 * The lab's `impairments:` section in the model: rules load with their
 * match keys and values, and every mistake is an error at its line:col
 * with a hint (unknown keys get the nearest allowed one).
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

static char *bp_dir(void)
{
	const char *s = getenv("PI_SOURCE_DIR");
	char *p = malloc(4096);
	snprintf(p, 4096, "%s/blueprints", s && *s ? s : PI_SOURCE_DIR);
	return p;
}

static int load(const char *text, struct pi_lab **lab, struct pi_diag *d)
{
	char *bdir = bp_dir();
	int rc;

	pi_diag_init(d);
	rc = pi_lab_load_mem("t.yml", text, strlen(text), bdir, lab, d);
	free(bdir);
	return rc;
}

static void test_rules_load(void **state)
{
	const char *text = "pods: {transit: 2, broadband: 1}\n"
			   "impairments:\n"
			   "  - {match: {relationship: peer, tier: transit}, delay: 20ms, jitter: 2ms}\n"
			   "  - {match: {scope: subscriber}, rate: 5mbit}\n"
			   "  - match: {link: transit1-border1--transit2-border1}\n"
			   "    loss: 1%\n"
			   "    reorder: 25%\n"
			   "    delay: 10ms\n"
			   "  - {match: {pod: broadband1, scope: external}, corrupt: 0.1%, duplicate: 0.5%}\n"
			   "  - {rate: 100mbit}\n";
	struct pi_lab *lab = NULL;
	struct pi_diag d;
	char buf[PI_IMPAIR_FMT_MAX];

	(void)state;
	if (load(text, &lab, &d) != 0) {
		pi_diag_print(&d, stderr);
		fail();
	}
	assert_int_equal(pi_diag_count(&d), 0);
	assert_int_equal(lab->n_impairments, 5);
	const struct pi_lab_impair_rule *r = lab->impairments;
	assert_int_equal(r[0].rel, PI_LAB_MATCH_REL_PEER);
	assert_int_equal(r[0].tier, PI_TIER_TRANSIT);
	assert_int_equal(r[0].scope, PI_LAB_SCOPE_ANY);
	assert_null(r[0].pod);
	assert_string_equal(pi_impair_format(&r[0].impair, buf, sizeof(buf)), "delay 20ms jitter 2ms");
	assert_int_equal(r[0].pos.line, 3);
	assert_int_equal(r[0].pos.col, 5);
	assert_int_equal(r[1].scope, PI_LAB_SCOPE_SUBSCRIBER);
	assert_int_equal(r[1].tier, -1);
	assert_int_equal(r[1].impair.rate_bps, 5000000);
	assert_string_equal(r[2].link, "transit1-border1--transit2-border1");
	assert_string_equal(pi_impair_format(&r[2].impair, buf, sizeof(buf)), "delay 10ms loss 1% reorder 25%");
	assert_int_equal(r[2].pos.line, 5);
	assert_string_equal(r[3].pod, "broadband1");
	assert_int_equal(r[3].scope, PI_LAB_SCOPE_EXTERNAL);
	assert_int_equal(r[3].impair.corrupt_ppm, 1000);
	assert_int_equal(r[3].impair.duplicate_ppm, 5000);
	/* No match: every link. */
	assert_int_equal(r[4].scope, PI_LAB_SCOPE_ANY);
	assert_int_equal(r[4].rel, PI_LAB_MATCH_REL_ANY);
	assert_int_equal(r[4].impair.rate_bps, 100000000);
	pi_lab_free(lab);
	pi_diag_free(&d);

	/* An empty section is no rules. */
	assert_int_equal(load("pods: {transit: 1}\nimpairments:\n", &lab, &d), 0);
	assert_int_equal(lab->n_impairments, 0);
	pi_lab_free(lab);
	pi_diag_free(&d);
}

static void test_errors_positioned(void **state)
{
	const char *text = "pods: {transit: 1}\n"                                    /* 1 */
			   "impairments:\n"                                          /* 2 */
			   "  - {match: {scope: subscribers}, rate: 5mbit}\n"        /* 3 */
			   "  - {match: {relation: peer}, delay: 20ms}\n"            /* 4 */
			   "  - {match: {scope: internal}, delay: 20}\n"             /* 5 */
			   "  - {match: {tier: stub}, lose: 1%}\n"                   /* 6 */
			   "  - {match: {scope: internal}}\n"                        /* 7 */
			   "  - {loss: 1.5}\n"                                       /* 8 */
			   "  - {reorder: 5%}\n"                                     /* 9 */
			   "  - {match: {relationship: rs, scope: external}, rate: 1gbit}\n" /* 10 */
			   "  - {rate: [5mbit]}\n"                                   /* 11 */
			   "  - {match: {pod: Bad_Pod}, rate: 1gbit}\n";             /* 12 */
	static const struct {
		unsigned line, col;
		const char *text, *hint;
	} want[] = {
		{ 3, 21, "unknown match scope 'subscribers'", "did you mean 'subscriber'?" },
		{ 4, 14, "unknown key 'relation' in an impairments match", "did you mean 'relationship'?" },
		{ 5, 39, "impairments delay: \"20\": no unit; a time is a number with a unit", NULL },
		{ 6, 27, "unknown key 'lose' in an impairments entry", "did you mean 'loss'?" },
		{ 7, 5, "this impairments entry impairs nothing", "e.g. delay: 20ms" },
		{ 8, 12, "\"1.5\" is not a percentage", NULL },
		{ 9, 5, "reorder needs a delay", NULL },
		{ 10, 13, "can never hold: relationship rs with scope external", "drop one" },
		{ 11, 12, "rate must be a single value, not a list", NULL },
		{ 12, 19, "'Bad_Pod' is not a pod name", NULL },
	};
	struct pi_lab *lab = (struct pi_lab *)1;
	struct pi_diag d;

	(void)state;
	assert_int_equal(load(text, &lab, &d), -EINVAL);
	assert_null(lab);
	if (pi_diag_count(&d) != PI_ARRAY_LEN(want)) {
		pi_diag_print(&d, stderr);
		fail_msg("%zu diagnostics, want %zu", pi_diag_count(&d), PI_ARRAY_LEN(want));
	}
	for (size_t i = 0; i < PI_ARRAY_LEN(want); i++) {
		const struct pi_diag_entry *e = pi_vec_at(&d.entries, i);
		if (e->pos.line != want[i].line || e->pos.col != want[i].col || !strstr(e->msg, want[i].text) ||
		    (want[i].hint && (!e->hint || !strstr(e->hint, want[i].hint)))) {
			pi_diag_print(&d, stderr);
			fail_msg("entry %zu: %u:%u %s (hint %s)", i, e->pos.line, e->pos.col, e->msg,
				 e->hint ? e->hint : "-");
		}
	}
	pi_diag_free(&d);
}

static void test_not_a_list(void **state)
{
	struct pi_lab *lab = NULL;
	struct pi_diag d;

	(void)state;
	assert_int_equal(load("pods: {transit: 1}\nimpairments: {delay: 20ms}\n", &lab, &d), -EINVAL);
	const struct pi_diag_entry *e = pi_vec_at(&d.entries, 0);
	assert_int_equal(e->pos.line, 2);
	assert_non_null(strstr(e->msg, "impairments"));
	pi_diag_free(&d);
	/* A misspelt section name gets the nearest key. */
	assert_int_equal(load("pods: {transit: 1}\nimpairment: []\n", &lab, &d), -EINVAL);
	e = pi_vec_at(&d.entries, 0);
	assert_non_null(e->hint);
	assert_non_null(strstr(e->hint, "impairments"));
	pi_diag_free(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rules_load),
		cmocka_unit_test(test_errors_positioned),
		cmocka_unit_test(test_not_a_list),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
