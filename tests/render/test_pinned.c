/*
 * Pinned plans render the same on the next setup (docs/plan.md, "Stable
 * plans and pins"): labs/lab.yml is planned, changed (one more broadband
 * pod, one fewer), planned with the first plan's pins, and planned once
 * more with the pins of that plan, as a second `setup` would. Both give
 * the same plan.json and the same files for every node, so the second
 * setup reconfigures nothing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "common.h"

static char *json_of(const struct pi_plan *plan)
{
	struct pi_buf b;
	pi_buf_init(&b);
	assert_int_equal(pi_plan_write_json(plan, &b), 0);
	return pi_buf_steal(&b);
}

/* lab planned with the pins read back from plan's plan.json. */
static struct pi_plan *replan(const struct pi_lab *lab, const struct pi_plan *plan)
{
	char *js = json_of(plan);
	struct pi_diag d;
	pi_diag_init(&d);
	struct pi_plan_pins *pins = NULL;
	struct pi_plan *out = NULL;
	int rc = pi_plan_pins_load(js, strlen(js), &pins, &d);
	if (rc == 0)
		rc = pi_plan_build_pinned(lab, pins, &out, &d);
	if (rc)
		pi_diag_print(&d, stderr);
	assert_int_equal(rc, 0);
	pi_diag_free(&d);
	pi_plan_pins_free(pins);
	free(js);
	return out;
}

/* a and b have the same nodes and render the same files for each. */
static void same_files(const struct pi_plan *a, const struct pi_plan *b, const char *what)
{
	assert_int_equal(a->n_nodes, b->n_nodes);
	for (uint32_t n = 0; n < a->n_nodes; n++) {
		assert_string_equal(a->nodes[n].name, b->nodes[n].name);
		struct pi_render_set x, y;
		pi_render_set_init(&x);
		pi_render_set_init(&y);
		pi_render_node(a, n, &x);
		pi_render_node(b, n, &y);
		assert_int_equal(x.files.len, y.files.len);
		for (size_t i = 0; i < x.files.len; i++) {
			const struct pi_render_file *f = pi_vec_at(&x.files, i);
			const struct pi_render_file *g = pi_render_set_find(&y, f->path);
			if (!g || f->len != g->len || memcmp(f->data, g->data, f->len) != 0 || f->mode != g->mode)
				fail_msg("%s: %s's %s differs on the second pinned plan", what, a->nodes[n].name, f->path);
		}
		pi_render_set_free(&x);
		pi_render_set_free(&y);
	}
}

/* labs/lab.yml with its broadband count moved by delta: P1 unpinned, P2
 * pinned from P1, P3 pinned from P2; P2 and P3 must be the same. */
static void check_broadband(int delta, const char *what)
{
	struct pi_lab *lab = NULL;
	struct pi_plan *p1 = load_lab_plan("lab", &lab);
	struct pi_lab_pod *bb = NULL;
	for (size_t i = 0; i < lab->n_pods; i++)
		if (!lab->pods[i].name && strcmp(lab->pods[i].blueprint, "broadband") == 0)
			bb = &lab->pods[i];
	assert_non_null(bb);
	bb->count = (unsigned)((int)bb->count + delta);
	struct pi_plan *p2 = replan(lab, p1);
	struct pi_plan *p3 = replan(lab, p2);
	char *j2 = json_of(p2), *j3 = json_of(p3);
	if (strcmp(j2, j3) != 0)
		fail_msg("%s: the second pinned plan's plan.json differs", what);
	same_files(p2, p3, what);
	free(j2);
	free(j3);
	pi_plan_free(p3);
	pi_plan_free(p2);
	pi_plan_free(p1);
	pi_lab_free(lab);
}

static void test_broadband_added(void **state)
{
	(void)state;
	check_broadband(+1, "broadband+1");
}

static void test_broadband_removed(void **state)
{
	(void)state;
	check_broadband(-1, "broadband-1");
}

/* The unchanged lab planned with its own pins renders as it did. */
static void test_own_pins(void **state)
{
	(void)state;
	struct pi_lab *lab = NULL;
	struct pi_plan *p1 = load_lab_plan("lab", &lab);
	struct pi_plan *p2 = replan(lab, p1);
	same_files(p1, p2, "own pins");
	pi_plan_free(p2);
	pi_plan_free(p1);
	pi_lab_free(lab);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_broadband_added),
		cmocka_unit_test(test_broadband_removed),
		cmocka_unit_test(test_own_pins),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
