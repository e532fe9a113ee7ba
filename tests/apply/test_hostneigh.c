/*
 * The host's neighbour-table caps (src/apply/hostneigh.c) against a fake
 * /proc/sys tree in a temporary directory: estimate, raise for two labs,
 * never lower, release one, restore on the last.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include "lab_fixture.h"
#include "pocketinternet/apply.h"
#include "pocketinternet/diag.h"

static char root[256], proc[300], state[300];

static void put(const char *fam, int i, unsigned v)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/net/%s/neigh/default/gc_thresh%d", proc, fam, i);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "%u\n", v);
	fclose(f);
}

static unsigned get(const char *fam, int i)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/net/%s/neigh/default/gc_thresh%d", proc, fam, i);
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	unsigned v = 0;
	assert_int_equal(fscanf(f, "%u", &v), 1);
	fclose(f);
	return v;
}

static int tree_setup(void **st)
{
	(void)st;
	snprintf(root, sizeof(root), "/tmp/pi-hostneigh-XXXXXX");
	if (!mkdtemp(root))
		return -1;
	snprintf(proc, sizeof(proc), "%s/sys", root);
	snprintf(state, sizeof(state), "%s/state", root);
	const char *dirs[] = { "sys", "sys/net", "sys/net/ipv4", "sys/net/ipv4/neigh", "sys/net/ipv4/neigh/default",
			       "sys/net/ipv6", "sys/net/ipv6/neigh", "sys/net/ipv6/neigh/default", "state" };
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		char p[512];
		snprintf(p, sizeof(p), "%s/%s", root, dirs[i]);
		if (mkdir(p, 0755))
			return -1;
	}
	for (int i = 1; i <= 3; i++) {
		put("ipv4", i, 64u << i);
		put("ipv6", i, 64u << i);
	}
	return 0;
}

static int tree_teardown(void **st)
{
	(void)st;
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	return system(cmd) == 0 ? 0 : -1;
}

/* The default lab needs more IPv6 than IPv4 entries, and some of each. */
static void need_estimate(void **st)
{
	(void)st;
	struct pi_neigh_need n;
	pi_plan_neigh_need(plan, &n);
	assert_true(n.v4 > 0);
	assert_true(n.v6 > n.v4);
}

static void raise_and_restore(void **st)
{
	(void)st;
	struct pi_neigh_need n;
	pi_plan_neigh_need(plan, &n);
	struct pi_diag d;
	pi_diag_init(&d);
	assert_int_equal(pi_apply_host_neigh_raise(plan, proc, state, &d), 0);
	assert_int_equal(get("ipv6", 3), 1024 + 2 * n.v6);
	assert_int_equal(get("ipv6", 2), 512 + n.v6);
	assert_int_equal(get("ipv4", 3), 1024 + 2 * n.v4);
	assert_int_equal(get("ipv6", 1), 128); /* untouched */
	/* Idempotent: the same lab again changes nothing. */
	assert_int_equal(pi_apply_host_neigh_raise(plan, proc, state, &d), 0);
	assert_int_equal(get("ipv6", 3), 1024 + 2 * n.v6);
	/* A second lab adds its need; releasing it keeps the first's. */
	const char *saved = plan->lab_name;
	plan->lab_name = "other";
	assert_int_equal(pi_apply_host_neigh_raise(plan, proc, state, &d), 0);
	plan->lab_name = saved;
	assert_int_equal(get("ipv6", 3), 1024 + 4 * n.v6);
	assert_int_equal(pi_apply_host_neigh_release("other", proc, state, &d), 0);
	assert_int_equal(get("ipv6", 3), 1024 + 4 * n.v6); /* never lowered while a lab runs */
	/* The last lab goes: the values found first come back, the file goes. */
	assert_int_equal(pi_apply_host_neigh_release(saved, proc, state, &d), 0);
	assert_int_equal(get("ipv6", 3), 512);
	assert_int_equal(get("ipv6", 2), 256);
	assert_int_equal(get("ipv4", 3), 512);
	char path[512];
	snprintf(path, sizeof(path), "%s/host-neigh.json", state);
	assert_int_not_equal(access(path, F_OK), 0);
	/* Nothing recorded: release is a no-op. */
	put("ipv6", 3, 4096);
	assert_int_equal(pi_apply_host_neigh_release(NULL, proc, state, &d), 0);
	assert_int_equal(get("ipv6", 3), 4096);
	assert_int_equal(pi_diag_count(&d), 0);
	pi_diag_free(&d);
}

/* Caps already above the need stay as they are. */
static void never_lowers(void **st)
{
	(void)st;
	put("ipv6", 3, 1u << 20);
	put("ipv6", 2, 1u << 19);
	struct pi_diag d;
	pi_diag_init(&d);
	assert_int_equal(pi_apply_host_neigh_raise(plan, proc, state, &d), 0);
	assert_int_equal(get("ipv6", 3), 1u << 20);
	assert_int_equal(get("ipv6", 2), 1u << 19);
	assert_int_equal(pi_apply_host_neigh_release(NULL, proc, state, &d), 0);
	assert_int_equal(get("ipv6", 3), 1u << 20);
	pi_diag_free(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(need_estimate),
		cmocka_unit_test_setup_teardown(raise_and_restore, tree_setup, tree_teardown),
		cmocka_unit_test_setup_teardown(never_lowers, tree_setup, tree_teardown),
	};
	return cmocka_run_group_tests(tests, apply_fixture_setup, apply_fixture_teardown);
}
