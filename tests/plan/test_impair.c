/*
 * The planner's link impairments (src/plan/impair.c) on the default lab
 * (labs/lab.yml) with an `impairments:` section added: which links each
 * match key selects, that the first matching rule wins, that rules
 * matching nothing are warnings, and that the outputs show it.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "pi_config.h"
#include "pocketinternet/plan.h"

static const char *src_dir(void)
{
	const char *s = getenv("PI_SOURCE_DIR");
	return s && *s ? s : PI_SOURCE_DIR;
}

/* labs/lab.yml followed by extra, planned; diag is the caller's. */
static struct pi_plan *plan_with(const char *extra, struct pi_lab **labp, struct pi_diag *d)
{
	char path[4096], bdir[4096], *text, *all;
	struct pi_plan *plan = NULL;
	size_t len;

	snprintf(path, sizeof(path), "%s/labs/lab.yml", src_dir());
	snprintf(bdir, sizeof(bdir), "%s/blueprints", src_dir());
	assert_int_equal(pi_read_file(path, &text, &len), 0);
	all = malloc(len + strlen(extra) + 2);
	snprintf(all, len + strlen(extra) + 2, "%s\n%s", text, extra);
	pi_diag_init(d);
	if (pi_lab_load_mem("lab.yml", all, strlen(all), bdir, labp, d)) {
		pi_diag_print(d, stderr);
		fail();
	}
	if (pi_plan_build(*labp, &plan, d)) {
		pi_diag_print(d, stderr);
		fail();
	}
	free(text);
	free(all);
	return plan;
}

static enum pi_rel rel_of_link(const struct pi_plan *plan, uint32_t l, bool *found)
{
	for (uint32_t i = 0; i < plan->n_rels; i++) {
		if (plan->rels[i].link == l) {
			*found = true;
			return plan->rels[i].rel;
		}
	}
	*found = false;
	return PI_REL_IBGP;
}

static bool has_tier(const struct pi_plan *plan, const struct pi_plan_link *lk, enum pi_tier t)
{
	for (uint32_t i = 0; i < lk->n_ifaces; i++)
		if (plan->pods[plan->nodes[plan->ifaces[lk->ifaces[i]].node].pod].tier == t)
			return true;
	return false;
}

/* The first external transit-transit peering link of the plain lab. */
static const char *transit_peering(const struct pi_plan *plan, char *name, size_t len)
{
	for (uint32_t l = 0; l < plan->n_links; l++) {
		bool found;
		const struct pi_plan_link *lk = &plan->links[l];
		if (lk->scope == PI_SCOPE_EXTERNAL && rel_of_link(plan, l, &found) == PI_REL_PEER && found &&
		    has_tier(plan, lk, PI_TIER_TRANSIT)) {
			snprintf(name, len, "%s", lk->name);
			return name;
		}
	}
	fail_msg("the default lab has no transit peering");
	return NULL;
}

static unsigned warnings_with(const struct pi_diag *d, const char *text, unsigned line)
{
	unsigned n = 0;
	for (size_t i = 0; i < pi_diag_count(d); i++) {
		const struct pi_diag_entry *e = pi_vec_at(&d->entries, i);
		n += e->severity == PI_DIAG_WARNING && strstr(e->msg, text) && (!line || e->pos.line == line);
	}
	return n;
}

static void test_default_lab_rules(void **state)
{
	struct pi_lab *lab0, *lab;
	struct pi_diag d0, d;
	struct pi_plan *plain = plan_with("", &lab0, &d0);
	char peering[64], rules[1024], buf[PI_IMPAIR_FMT_MAX];
	unsigned peer_hits = 0, sub_hits = 0, cust_hits = 0;
	struct pi_buf text;

	(void)state;
	/* Without rules nothing is impaired and the text has no section. */
	for (uint32_t l = 0; l < plain->n_links; l++)
		assert_true(pi_impair_is_none(&plain->links[l].impair));
	pi_buf_init(&text);
	pi_plan_write_text(plain, &text);
	assert_null(strstr(pi_buf_str(&text), "\nimpairments:"));
	pi_buf_free(&text);
	transit_peering(plain, peering, sizeof(peering));
	snprintf(rules, sizeof(rules),
		 "impairments:\n"
		 "  - {match: {relationship: peer, tier: transit}, delay: 20ms}\n" /* line +2 */
		 "  - {match: {link: %s}, loss: 1%%}\n"                           /* shadowed by the first */
		 "  - {match: {scope: subscriber}, rate: 5mbit}\n"
		 "  - {match: {scope: subscriber}, rate: 1mbit}\n"                /* shadowed: warning */
		 "  - {match: {relationship: customer, pod: transit1}, loss: 0.5%%}\n"
		 "  - {match: {pod: transit9}, rate: 1mbit}\n"                    /* no such pod */
		 "  - {match: {scope: subscriber, tier: transit}, rate: 1mbit}\n", /* transit has no subscribers */
		 peering);
	struct pi_plan *plan = plan_with(rules, &lab, &d);
	assert_int_equal(plan->n_links, plain->n_links);
	for (uint32_t l = 0; l < plan->n_links; l++) {
		const struct pi_plan_link *lk = &plan->links[l];
		const struct pi_impair *im = &lk->impair;
		bool found;
		enum pi_rel rel = rel_of_link(plan, l, &found);
		pi_impair_format(im, buf, sizeof(buf));
		if (lk->scope == PI_SCOPE_EXTERNAL && found && rel == PI_REL_PEER && has_tier(plan, lk, PI_TIER_TRANSIT)) {
			assert_string_equal(buf, "delay 20ms"); /* the first rule, also for the named link */
			peer_hits++;
		} else if (lk->scope == PI_SCOPE_SUBSCRIBER) {
			assert_string_equal(buf, "rate 5Mbit"); /* never the later 1mbit rule */
			sub_hits++;
		} else if (lk->scope == PI_SCOPE_EXTERNAL && found && (rel == PI_REL_CUSTOMER || rel == PI_REL_PROVIDER) &&
			   (!strncmp(lk->name, "transit1-", 9) || strstr(lk->name, "--transit1-"))) {
			assert_string_equal(buf, "loss 0.5%");
			cust_hits++;
		} else {
			if (!pi_impair_is_none(im))
				fail_msg("link %s: %s, want none", lk->name, buf);
		}
	}
	assert_true(peer_hits > 0);
	assert_true(sub_hits > 0);
	assert_true(cust_hits > 0);
	/* The named link was impaired by the first rule, so rule 2 took
	 * nothing, like rule 4; rule 6 names a pod that does not exist;
	 * rule 7 selects nothing. All warnings, no errors. */
	assert_int_equal(pi_diag_errors(&d), 0);
	assert_int_equal(warnings_with(&d, "matches no link", 0), 3);
	assert_int_equal(warnings_with(&d, "no pod named 'transit9'", 0), 1);
	assert_int_equal(pi_diag_count(&d), 4);
	/* The outputs show it. */
	pi_buf_init(&text);
	pi_plan_write_text(plan, &text);
	snprintf(rules, sizeof(rules), "  %-34s delay 20ms\n", peering);
	assert_non_null(strstr(pi_buf_str(&text), "\nimpairments:\n"));
	assert_non_null(strstr(pi_buf_str(&text), rules));
	pi_buf_reset(&text);
	assert_int_equal(pi_plan_write_json(plan, &text), 0);
	assert_non_null(strstr(pi_buf_str(&text), "\"text\": \"rate 5Mbit\""));
	assert_non_null(strstr(pi_buf_str(&text), "\"delay_us\": 20000"));
	pi_buf_free(&text);
	pi_plan_free(plan);
	pi_plan_free(plain);
	pi_lab_free(lab);
	pi_lab_free(lab0);
	pi_diag_free(&d);
	pi_diag_free(&d0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_lab_rules),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
