/*
 * Link impairments and link state on a live kernel (suite 'netlink', needs
 * root; exits 77, "skipped", otherwise). Each test makes throwaway named
 * namespaces "pitest-hB-<pid>-*", a veth pair in them, and deletes them.
 * The impairment is read back through the module's own dump decoder.
 */
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
#include <linux/if.h>

#include "pocketinternet/impair.h"
#include "pocketinternet/netlink.h"

struct fx {
	char ns[2][40];
	struct pi_nl *h[2];
};

static void ok(struct pi_nl *nl, int rc)
{
	if (rc != 0)
		fail_msg("netlink: %d %s", rc, pi_nl_strerror(nl));
}

static int fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	for (int i = 0; i < 2; i++) {
		snprintf(f->ns[i], sizeof(f->ns[i]), "pitest-hB-%d-%c", (int)getpid(), 'a' + i);
		pi_nl_netns_delete(f->ns[i]); /* a crashed run's leftover */
		if (pi_nl_netns_create(f->ns[i]) || pi_nl_open_netns_name(f->ns[i], &f->h[i]))
			return -1;
	}
	/* qa in ns a, qb in ns b; qa up, qb down for now. */
	if (pi_nl_veth_create(f->h[0], &(struct pi_nl_veth){ .name = "qa", .peer = "qb", .ns_fd = -1,
							     .peer_ns_fd = pi_nl_ns_fd(f->h[1]), .up = true }))
		return -1;
	*state = f;
	return 0;
}

static int fx_teardown(void **state)
{
	struct fx *f = *state;

	for (int i = 0; i < 2; i++) {
		pi_nl_close(f->h[i]);
		pi_nl_netns_delete(f->ns[i]);
	}
	free(f);
	return 0;
}

static struct pi_impair get(struct pi_nl *nl, const char *ifname, char kind[16])
{
	struct pi_impair imp;
	ok(nl, pi_nl_qdisc_get(nl, ifname, &imp, kind));
	return imp;
}

static void test_tbf_apply_get_reset(void **state)
{
	struct fx *f = *state;
	struct pi_nl *h = f->h[0];
	struct pi_impair imp;
	char kind[16], buf[PI_IMPAIR_FMT_MAX];

	/* A fresh veth runs the kernel's default (noqueue): none. */
	imp = get(h, "qa", kind);
	assert_string_equal(kind, "");
	assert_true(pi_impair_is_none(&imp));
	ok(h, pi_nl_qdisc_apply(h, "qa", &(struct pi_impair){ .rate_bps = 10000000 }));
	imp = get(h, "qa", kind);
	assert_string_equal(kind, "tbf");
	assert_string_equal(pi_impair_format(&imp, buf, sizeof(buf)), "rate 10Mbit");
	/* Replacing swaps, it does not stack; above 32 bits works too. */
	ok(h, pi_nl_qdisc_apply(h, "qa", &(struct pi_impair){ .rate_bps = 40000000000ull }));
	imp = get(h, "qa", kind);
	assert_string_equal(pi_impair_format(&imp, buf, sizeof(buf)), "rate 40Gbit");
	ok(h, pi_nl_qdisc_apply(h, "qa", &(struct pi_impair){ .rate_bps = 2000000 }));
	imp = get(h, "qa", kind);
	assert_int_equal(imp.rate_bps, 2000000);
	/* Reset: deleted, the default is back; resetting again is fine. */
	ok(h, pi_nl_qdisc_apply(h, "qa", &(struct pi_impair){ 0 }));
	imp = get(h, "qa", kind);
	assert_string_equal(kind, "");
	assert_true(pi_impair_is_none(&imp));
	ok(h, pi_nl_qdisc_apply(h, "qa", &(struct pi_impair){ 0 }));
	/* Batched like everything else. */
	ok(h, pi_nl_batch_begin(h));
	ok(h, pi_nl_qdisc_apply(h, "qa", &(struct pi_impair){ .rate_bps = 64000 }));
	assert_int_equal(pi_nl_batch_pending(h), 1);
	ok(h, pi_nl_batch_end(h));
	assert_int_equal(get(h, "qa", kind).rate_bps, 64000);
	/* Errors. */
	assert_int_equal(pi_nl_qdisc_apply(h, "nosuch", &(struct pi_impair){ .rate_bps = 64000 }), -ENODEV);
	assert_int_equal(pi_nl_qdisc_get(h, "nosuch", &imp, kind), -ENODEV);
	assert_int_equal(pi_nl_qdisc_apply(h, "qa", &(struct pi_impair){ .reorder_ppm = 10 }), -EINVAL);
	assert_non_null(strstr(pi_nl_strerror(h), "reorder needs a delay"));
}

static void test_netem(void **state)
{
	struct fx *f = *state;
	struct pi_nl *h = f->h[0];
	struct pi_impair want = { .delay_us = 20000, .jitter_us = 2000, .loss_ppm = 10000, .rate_bps = 5000000 };
	struct pi_nl_stats before, after;
	struct pi_impair imp;
	char kind[16], why[400];
	int rc;

	ok(h, pi_nl_qdisc_apply(h, "qa", &(struct pi_impair){ .rate_bps = 3000000 }));
	pi_nl_stats(h, &before);
	rc = pi_nl_qdisc_apply(h, "qa", &want);
	pi_nl_stats(h, &after);
	imp = get(h, "qa", kind);
	if (pi_nl_netem_available(why, sizeof(why))) {
		ok(h, rc);
		assert_string_equal(kind, "netem");
		assert_true(pi_impair_equal(&imp, &want));
		return;
	}
	/* No sch_netem: refused before sending, the tbf left alone. */
	assert_int_equal(rc, -EOPNOTSUPP);
	assert_int_equal(after.requests, before.requests);
	assert_non_null(strstr(pi_nl_strerror(h), "sch_netem"));
	assert_non_null(strstr(pi_nl_strerror(h), "modprobe sch_netem"));
	assert_string_equal(kind, "tbf");
	assert_int_equal(imp.rate_bps, 3000000);
}

/* htb keeps rates in classes; one made by tc is read back from its
 * default class, and our tbf replaces it in one step. */
static void test_htb_read(void **state)
{
	struct fx *f = *state;
	struct pi_nl *h = f->h[0];
	struct pi_impair imp;
	char kind[16], cmd[512];

	snprintf(cmd, sizeof(cmd),
		 "tc -n %s qdisc add dev qa root handle 1: htb default 20 && "
		 "tc -n %s class add dev qa parent 1: classid 1:1 htb rate 9mbit && "
		 "tc -n %s class add dev qa parent 1:1 classid 1:20 htb rate 3mbit ceil 9mbit",
		 f->ns[0], f->ns[0], f->ns[0]);
	if (system(cmd) != 0)
		skip(); /* no tc binary or no sch_htb: nothing to read */
	imp = get(h, "qa", kind);
	assert_string_equal(kind, "htb");
	assert_int_equal(imp.rate_bps, 3000000);
	ok(h, pi_nl_qdisc_apply(h, "qa", &(struct pi_impair){ .rate_bps = 1000000 }));
	imp = get(h, "qa", kind);
	assert_string_equal(kind, "tbf");
	assert_int_equal(imp.rate_bps, 1000000);
}

static void expect_state(struct pi_nl *nl, const char *ifname, bool admin, bool carrier)
{
	bool a = !admin, c = !carrier;
	ok(nl, pi_nl_link_oper(nl, ifname, &a, &c));
	if (a != admin || c != carrier)
		fail_msg("%s: admin %d carrier %d, want %d %d", ifname, a, c, admin, carrier);
}

static void test_link_state(void **state)
{
	struct fx *f = *state;
	struct pi_nl *ha = f->h[0], *hb = f->h[1];
	struct pi_nl_link l;

	/* qa up, its peer qb down: no carrier on either end. */
	expect_state(ha, "qa", true, false);
	expect_state(hb, "qb", false, false);
	ok(hb, pi_nl_link_set_up(hb, "qb"));
	expect_state(ha, "qa", true, true);
	expect_state(hb, "qb", true, true);
	ok(ha, pi_nl_link_get(ha, "qa", &l));
	assert_true(l.carrier);
	assert_int_equal(l.operstate, IF_OPER_UP);
	/* `link down` on one end takes the carrier of the other away. */
	ok(ha, pi_nl_link_set_down(ha, "qa"));
	expect_state(ha, "qa", false, false);
	expect_state(hb, "qb", true, false);
	ok(hb, pi_nl_link_get(hb, "qb", &l));
	assert_false(l.carrier);
	assert_int_equal(l.operstate, IF_OPER_DOWN);
	ok(ha, pi_nl_link_set_up(ha, "qa"));
	expect_state(hb, "qb", true, true);
	/* NULL pointers are fine; a missing link is -ENODEV. */
	ok(ha, pi_nl_link_oper(ha, "qa", NULL, NULL));
	assert_int_equal(pi_nl_link_oper(ha, "nosuch", NULL, NULL), -ENODEV);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_tbf_apply_get_reset, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_netem, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_htb_read, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_link_state, fx_setup, fx_teardown),
	};
	if (geteuid() != 0) {
		fprintf(stderr, "test-qdisc: needs root (network namespaces); skipped\n");
		return 77;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
