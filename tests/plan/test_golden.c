/*
 * Golden plans: every lab in labs/ planned and compared byte for byte with
 * tests/golden/plan/<lab>.json. After an intended change, regenerate with
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
#include <cmocka.h>
#include "check.h"
#include "pocketinternet/lab.h"
#include "pocketinternet/plan.h"

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void test_golden(void **state)
{
	(void)state;
	const char *src = getenv("PI_SOURCE_DIR");
	assert_non_null(src);
	bool update = getenv("PI_UPDATE_GOLDEN") && strcmp(getenv("PI_UPDATE_GOLDEN"), "1") == 0;
	char dir[4096], bps[4096];
	snprintf(dir, sizeof(dir), "%s/labs", src);
	snprintf(bps, sizeof(bps), "%s/blueprints", src);
	DIR *d = opendir(dir);
	assert_non_null(d);
	char *names[256];
	size_t n = 0;
	struct dirent *e;
	while ((e = readdir(d)) && n < 256) {
		size_t l = strlen(e->d_name);
		if (l > 4 && strcmp(e->d_name + l - 4, ".yml") == 0)
			names[n++] = strndup(e->d_name, l - 4);
	}
	closedir(d);
	qsort(names, n, sizeof(*names), cmp_str);
	assert_true(n >= 1);
	unsigned mismatches = 0;
	for (size_t i = 0; i < n; i++) {
		char path[8300], gold[8300];
		snprintf(path, sizeof(path), "%s/%s.yml", dir, names[i]);
		snprintf(gold, sizeof(gold), "%s/tests/golden/plan/%s.json", src, names[i]);
		struct pi_diag diag;
		pi_diag_init(&diag);
		struct pi_lab *lab = NULL;
		struct pi_plan *plan = NULL;
		if (pi_lab_load(path, bps, &lab, &diag) || pi_plan_build(lab, &plan, &diag)) {
			pi_diag_print(&diag, stderr);
			fail_msg("%s does not plan", path);
		}
		pi_diag_free(&diag);
		check_plan_ex(plan, true); /* labs may fix ASNs */
		struct pi_buf out;
		pi_buf_init(&out);
		assert_int_equal(pi_plan_write_json(plan, &out), 0);
		if (update) {
			assert_int_equal(pi_write_file(gold, out.data, out.len, 0644), 0);
		} else {
			char *want = NULL;
			size_t wl = 0;
			if (pi_read_file(gold, &want, &wl)) {
				fprintf(stderr, "missing %s (run with PI_UPDATE_GOLDEN=1)\n", gold);
				mismatches++;
			} else if (wl != out.len || memcmp(want, out.data, wl) != 0) {
				fprintf(stderr, "plan of %s differs from %s (PI_UPDATE_GOLDEN=1 regenerates)\n", path, gold);
				mismatches++;
			}
			free(want);
		}
		pi_buf_free(&out);
		pi_plan_free(plan);
		pi_lab_free(lab);
		free(names[i]);
	}
	assert_int_equal(mismatches, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = { cmocka_unit_test(test_golden) };
	return cmocka_run_group_tests(tests, NULL, NULL);
}
