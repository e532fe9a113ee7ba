/*
 * Golden plans: every lab in labs/ planned and compared byte for byte with
 * tests/golden/plan/<lab>.json, and the original project's files in
 * tests/data/original/ with original-<name>.json. A golden file that no lab
 * produces fails the test. After an intended change, regenerate (which also
 * removes stale files) with
 *   PI_UPDATE_GOLDEN=1 meson test -C BUILD --suite plan golden
 * and review the diff like code.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "check.h"
#include "pocketinternet/lab.h"
#include "pocketinternet/plan.h"

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

#define MAX_LABS 256

/* A lab to plan and the golden file it is compared with. */
struct golden {
	char lab[4096];
	char name[256]; /* tests/golden/plan/<name>.json */
};

/* Adds every .yml file of dir, sorted, as golden PREFIX<stem>; files whose stem
 * ends in SKIP are left out (they are not labs). */
static void collect(const char *dir, const char *prefix, const char *skip, struct golden *g, size_t *n)
{
	DIR *d = opendir(dir);
	assert_non_null(d);
	char *names[MAX_LABS];
	size_t m = 0;
	struct dirent *e;
	while ((e = readdir(d)) && m < MAX_LABS) {
		size_t l = strlen(e->d_name);
		if (l > 4 && strcmp(e->d_name + l - 4, ".yml") == 0)
			names[m++] = strndup(e->d_name, l - 4);
	}
	closedir(d);
	qsort(names, m, sizeof(*names), cmp_str);
	for (size_t i = 0; i < m; i++) {
		size_t l = strlen(names[i]), ls = skip ? strlen(skip) : 0;
		if (!(skip && l >= ls && strcmp(names[i] + l - ls, skip) == 0) && *n < MAX_LABS) {
			snprintf(g[*n].lab, sizeof(g[*n].lab), "%s/%s.yml", dir, names[i]);
			snprintf(g[*n].name, sizeof(g[*n].name), "%s%s", prefix, names[i]);
			(*n)++;
		}
		free(names[i]);
	}
}

/* 0 when the plan of g matches its golden file (or was written), else 1. */
static unsigned check_one(const char *src, const char *bps, const struct golden *g, bool update)
{
	char gold[8300];
	snprintf(gold, sizeof(gold), "%s/tests/golden/plan/%s.json", src, g->name);
	struct pi_diag diag;
	pi_diag_init(&diag);
	struct pi_lab *lab = NULL;
	struct pi_plan *plan = NULL;
	if (pi_lab_load(g->lab, bps, &lab, &diag) || pi_plan_build(lab, &plan, &diag)) {
		pi_diag_print(&diag, stderr);
		fail_msg("%s does not plan", g->lab);
	}
	pi_diag_free(&diag);
	check_plan_ex(plan, true); /* labs may fix ASNs */
	struct pi_buf out;
	pi_buf_init(&out);
	assert_int_equal(pi_plan_write_json(plan, &out), 0);
	unsigned bad = 0;
	if (update) {
		assert_int_equal(pi_write_file(gold, out.data, out.len, 0644), 0);
	} else {
		char *want = NULL;
		size_t wl = 0;
		if (pi_read_file(gold, &want, &wl)) {
			fprintf(stderr, "missing %s (run with PI_UPDATE_GOLDEN=1)\n", gold);
			bad = 1;
		} else if (wl != out.len || memcmp(want, out.data, wl) != 0) {
			fprintf(stderr, "plan of %s differs from %s (PI_UPDATE_GOLDEN=1 regenerates)\n", g->lab, gold);
			bad = 1;
		}
		free(want);
	}
	pi_buf_free(&out);
	pi_plan_free(plan);
	pi_lab_free(lab);
	return bad;
}

/* Golden files no lab produces any more: an error (a renamed lab would
 * otherwise leave a file that tests nothing), removed when regenerating. */
static unsigned stale(const char *src, const struct golden *g, size_t n, bool update)
{
	char dir[4200];
	snprintf(dir, sizeof(dir), "%s/tests/golden/plan", src);
	DIR *d = opendir(dir);
	assert_non_null(d);
	unsigned found = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		size_t l = strlen(e->d_name);
		if (l <= 5 || strcmp(e->d_name + l - 5, ".json") != 0)
			continue;
		bool used = false;
		for (size_t i = 0; i < n && !used; i++)
			used = strlen(g[i].name) == l - 5 && strncmp(g[i].name, e->d_name, l - 5) == 0;
		if (used)
			continue;
		char path[8400];
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (update) {
			assert_int_equal(unlink(path), 0);
		} else {
			fprintf(stderr, "stale golden file %s: no lab produces it (PI_UPDATE_GOLDEN=1 removes it)\n", path);
			found++;
		}
	}
	closedir(d);
	return found;
}

static void test_golden(void **state)
{
	(void)state;
	const char *src = getenv("PI_SOURCE_DIR");
	assert_non_null(src);
	bool update = getenv("PI_UPDATE_GOLDEN") && strcmp(getenv("PI_UPDATE_GOLDEN"), "1") == 0;
	char dir[4096], bps[4096];
	snprintf(bps, sizeof(bps), "%s/blueprints", src);
	static struct golden g[2 * MAX_LABS];
	size_t n = 0;
	snprintf(dir, sizeof(dir), "%s/labs", src);
	collect(dir, "", NULL, g, &n);
	assert_true(n >= 1);
	/* The original project's files, as published (its compose file is no lab). */
	snprintf(dir, sizeof(dir), "%s/tests/data/original", src);
	collect(dir, "original-", "docker-compose", g, &n);
	unsigned mismatches = 0;
	for (size_t i = 0; i < n; i++)
		mismatches += check_one(src, bps, &g[i], update);
	mismatches += stale(src, g, n, update);
	assert_int_equal(mismatches, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = { cmocka_unit_test(test_golden) };
	return cmocka_run_group_tests(tests, NULL, NULL);
}
