/* Shared by the plan and render fuzz targets: load bytes as a lab and plan
 * it, checking the loader's and planner's contracts (abort on a breach). */
#ifndef PI_FUZZ_COMMON_H
#define PI_FUZZ_COMMON_H

#include <stdint.h>
#include <stdlib.h>
#include "pi_config.h"
#include "pocketinternet/lab.h"
#include "pocketinternet/plan.h"

/* Labs above this many pods are only loaded: their plans take seconds under
 * ASan (the size limits themselves are tested in tests/plan). */
#define FUZZ_MAX_PODS 1000

static inline struct pi_lab *fuzz_load_plan(const uint8_t *data, size_t size, struct pi_diag *d,
					     struct pi_plan **plan)
{
	const char *dir = getenv("POCKETINTERNET_BLUEPRINTS");
	struct pi_lab *lab = NULL;
	pi_diag_init(d);
	*plan = NULL;
	int rc = pi_lab_load_mem("fuzz.yml", (const char *)data, size, dir ? dir : PI_SOURCE_DIR "/blueprints", &lab,
				 d);
	if ((rc == 0) != (lab != NULL) || (rc != 0 && pi_diag_errors(d) == 0) || (rc == 0 && pi_diag_errors(d)))
		abort();
	if (!lab)
		return NULL;
	size_t pods = 0;
	for (size_t i = 0; i < lab->n_pods; i++)
		pods += lab->pods[i].name ? 1 : lab->pods[i].count;
	if (pods > FUZZ_MAX_PODS)
		return lab;
	rc = pi_plan_build(lab, plan, d);
	if ((rc == 0) != (*plan != NULL) || (rc != 0 && pi_diag_errors(d) == 0))
		abort();
	return lab;
}

/* The tiny lab (labs/tiny.yml) and its plan, loaded once: the fixed lab the
 * pins, ops and incident targets run hostile input against. Aborts when it
 * does not load or plan (the fuzz build is then broken, not the input). */
static inline const struct pi_plan *fuzz_tiny(const struct pi_lab **lab_out)
{
	static struct pi_lab *lab;
	static struct pi_plan *plan;
	if (!plan) {
		const char *dir = getenv("POCKETINTERNET_BLUEPRINTS");
		struct pi_diag d;
		pi_diag_init(&d);
		if (pi_lab_load(PI_SOURCE_DIR "/labs/tiny.yml", dir ? dir : PI_SOURCE_DIR "/blueprints", &lab, &d) ||
		    pi_plan_build(lab, &plan, &d))
			abort();
		pi_diag_free(&d);
	}
	if (lab_out)
		*lab_out = lab;
	return plan;
}

#endif
