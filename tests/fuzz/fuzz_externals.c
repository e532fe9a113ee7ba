/*
 * libFuzzer target: any bytes as a lab's externals.json (the speakers
 * `attach` added, kept in the lab's state), merged into the tiny lab as
 * every command on a running lab does, then planned. Hostile entries must
 * be refused with a diagnostic or ignored, never crash, leak or trip a
 * sanitizer; what merges must plan or be refused by the planner with a
 * diagnostic.
 */
#include <stdint.h>
#include <stdlib.h>
#include "fuzz_common.h"
#include "pocketinternet/apply.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *dir = getenv("POCKETINTERNET_BLUEPRINTS");
	struct pi_diag d;
	struct pi_lab *lab = NULL;
	pi_diag_init(&d);
	/* A fresh lab each time: merging changes it. */
	if (pi_lab_load(PI_SOURCE_DIR "/labs/tiny.yml", dir ? dir : PI_SOURCE_DIR "/blueprints", &lab, &d))
		abort();
	size_t before = lab->n_pods;
	int rc = pi_apply_externals_from_json((const char *)data, size, "externals.json", lab, &d);
	if (rc != 0 && pi_diag_errors(&d) == 0)
		abort();
	if (lab->n_pods != before + lab->n_externals)
		abort();
	struct pi_plan *plan = NULL;
	rc = pi_plan_build(lab, &plan, &d);
	if ((rc == 0) != (plan != NULL) || (rc != 0 && pi_diag_errors(&d) == 0))
		abort();
	pi_plan_free(plan);
	pi_lab_free(lab);
	pi_diag_free(&d);
	return 0;
}
