/*
 * apply: attach and detach before they reach the running lab (no root, no
 * Docker): what they refuse and why, and externals.json, the state that
 * keeps attached speakers, read back into a lab. The reconcile they end in
 * is setup's own, exercised end to end in tests/e2e/test_external.c.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "pi_config.h"
#include "pocketinternet/apply.h"

static char bdir[4096];
static char root[] = "/tmp/pi-attach-XXXXXX";

#define LAB "name: att\nseed: 3\npods: {transit: 2, ixp: 1, broadband: 1}\n" \
	    "external:\n  - {name: filed, asn: 65001, speaker: exabgp, attach: {ixp: ixp1}}\n"

static struct pi_lab *load(void)
{
	struct pi_diag d;
	struct pi_lab *lab = NULL;
	pi_diag_init(&d);
	assert_int_equal(pi_lab_load_mem("att.yml", LAB, strlen(LAB), bdir, &lab, &d), 0);
	pi_diag_free(&d);
	return lab;
}

static bool diag_has(const struct pi_diag *d, const char *text)
{
	for (size_t i = 0; i < pi_diag_count(d); i++) {
		const struct pi_diag_entry *e = pi_vec_at(&d->entries, i);
		if (strstr(e->msg, text) || (e->hint && strstr(e->hint, text)))
			return true;
	}
	return false;
}

static struct pi_plan_pins *pins_of(const struct pi_lab *lab)
{
	struct pi_plan *plan = NULL;
	struct pi_diag d;
	struct pi_buf j;
	struct pi_plan_pins *pins = NULL;
	pi_diag_init(&d);
	pi_buf_init(&j);
	assert_int_equal(pi_plan_build(lab, &plan, &d), 0);
	assert_int_equal(pi_plan_write_json(plan, &j), 0);
	assert_int_equal(pi_plan_pins_load(j.data, j.len, &pins, &d), 0);
	pi_plan_free(plan);
	pi_buf_free(&j);
	pi_diag_free(&d);
	return pins;
}

static void test_refusals(void **state)
{
	(void)state;
	struct pi_lab *lab = load();
	struct pi_plan_pins *pins = pins_of(lab);
	struct pi_apply_opts ao = { .state_root = root };
	struct pi_apply_result res = { 0 };
	struct pi_diag d;
	pi_diag_init(&d);
	struct pi_lab_external e = { .name = "late", .asn = 65010, .speaker = PI_SPEAKER_GOBGPD,
				     .attach = PI_ATTACH_CUSTOMER_OF, .to = "transit1", .pos = { "attach", 0, 0 } };
	/* Not running. */
	assert_int_equal(pi_apply_attach(NULL, lab, NULL, &e, &ao, &res, &d), -ENOENT);
	assert_true(diag_has(&d, "does not run"));
	/* A running pod's drawn ASN. */
	e.asn = pins->pods[0].asn;
	assert_int_equal(pi_apply_attach(NULL, lab, pins, &e, &ao, &res, &d), -EINVAL);
	assert_true(diag_has(&d, "in the running lab"));
	/* The lab's checks: an unknown pod, with the near one. */
	e.asn = 65010;
	e.to = "transit3";
	assert_int_equal(pi_apply_attach(NULL, lab, pins, &e, &ao, &res, &d), -EINVAL);
	assert_true(diag_has(&d, "did you mean 'transit1'"));
	assert_int_equal(lab->n_externals, 1);
	/* detach: unknown (near match), and one of the lab file's. */
	assert_int_equal(pi_apply_detach(NULL, lab, pins, "filde", &ao, &res, &d), -ENOENT);
	assert_true(diag_has(&d, "did you mean 'filed'"));
	assert_int_equal(pi_apply_detach(NULL, lab, pins, "filed", &ao, &res, &d), -EINVAL);
	assert_true(diag_has(&d, "comes from the lab file"));
	assert_int_equal(lab->n_externals, 1);
	/* Nothing was recorded by any of these. */
	char path[4200];
	snprintf(path, sizeof(path), "%s/att/externals.json", root);
	assert_int_not_equal(access(path, F_OK), 0);
	pi_diag_free(&d);
	pi_plan_pins_free(pins);
	pi_lab_free(lab);
}

static void test_state_roundtrip(void **state)
{
	(void)state;
	struct pi_lab *lab = load();
	struct pi_diag d;
	pi_diag_init(&d);
	/* No file: nothing to add. */
	assert_int_equal(pi_apply_externals_load(root, lab, &d), 0);
	assert_int_equal(lab->n_externals, 1);
	char dir[4200], path[4300];
	snprintf(dir, sizeof(dir), "%s/att", root);
	assert_int_equal(pi_mkdir_p(dir, 0755), 0);
	snprintf(path, sizeof(path), "%s/externals.json", dir);
	static const char text[] =
		"[{\"name\": \"late\", \"asn\": 65010, \"speaker\": \"image\", \"image\": \"my/bgp\", \"command\": [\"a\", \"b\"],"
		" \"attach\": \"peer_of\", \"to\": \"broadband1\", \"prefixes\": [\"10.250.0.0/24\"]},"
		" {\"name\": \"inns\", \"asn\": 65011, \"speaker\": \"frr\", \"attach\": \"ixp\", \"to\": \"ixp1\","
		" \"netns\": \"tester\"},"
		" {\"name\": \"filed\", \"asn\": 65001, \"speaker\": \"exabgp\", \"attach\": \"ixp\", \"to\": \"ixp1\"}]";
	assert_int_equal(pi_write_file(path, text, strlen(text), 0644), 0);
	assert_int_equal(pi_apply_externals_load(root, lab, &d), 0);
	assert_int_equal(pi_diag_errors(&d), 0);
	/* The lab file's "filed" wins; "late" is added, whole. */
	assert_int_equal(lab->n_externals, 3);
	assert_string_equal(pi_lab_external(lab, "inns")->netns, "tester");
	const struct pi_lab_external *x = pi_lab_external(lab, "late");
	assert_non_null(x);
	assert_int_equal(x->speaker, PI_SPEAKER_IMAGE);
	assert_string_equal(x->image, "my/bgp");
	assert_int_equal(x->n_command, 2);
	assert_string_equal(x->command[1], "b");
	assert_int_equal(x->n_prefixes, 1);
	assert_string_equal(x->pos.file, path);
	/* It plans, as a peer of broadband1. */
	struct pi_plan *plan = NULL;
	assert_int_equal(pi_plan_build(lab, &plan, &d), 0);
	assert_int_not_equal(pi_plan_node_by_name(plan, "late-speaker1"), PI_NONE);
	pi_plan_free(plan);
	pi_lab_free(lab);
	/* A broken file is reported at its line and column. */
	lab = load();
	assert_int_equal(pi_write_file(path, "[{\"name\": ", 10, 0644), 0);
	assert_int_equal(pi_apply_externals_load(root, lab, &d), -EINVAL);
	const struct pi_diag_entry *last = pi_vec_at(&d.entries, pi_diag_count(&d) - 1);
	assert_string_equal(last->pos.file, path);
	assert_int_equal(last->pos.line, 1);
	pi_lab_free(lab);
	pi_diag_free(&d);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	const char *s = getenv("PI_SOURCE_DIR");
	snprintf(bdir, sizeof(bdir), "%s/blueprints", s && *s ? s : PI_SOURCE_DIR);
	if (!mkdtemp(root))
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_state_roundtrip),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	rmdir(root);
	return rc;
}
