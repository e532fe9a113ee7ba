/*
 * libFuzzer target: any bytes as a lab's plan.json (the state setup keeps
 * on disk), read as pins. Pins that load are then used as setup uses them:
 * diffed against the tiny lab's plan and planned with (tiny lab, pins).
 * Pins name pods, nodes, interfaces and links by index and by name; hostile
 * ones must be refused or ignored, never crash, leak or trip a sanitizer,
 * and the pinned plan must keep pi_plan_build's contract.
 */
#include <stdint.h>
#include <stdlib.h>
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void diff_and_write(const struct pi_plan_pins *pins, const struct pi_plan *plan)
{
	struct pi_plan_diff diff;
	if (pi_plan_diff(pins, plan, &diff) != 0)
		abort();
	struct pi_buf b;
	pi_buf_init(&b);
	pi_plan_diff_write_text(&diff, &b);
	if (pi_plan_diff_write_json(&diff, &b) != 0)
		abort();
	pi_buf_free(&b);
	pi_plan_diff_free(&diff);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct pi_lab *lab;
	const struct pi_plan *tiny = fuzz_tiny(&lab);
	struct pi_diag d;
	struct pi_plan_pins *pins = NULL;
	pi_diag_init(&d);
	int rc = pi_plan_pins_load((const char *)data, size, &pins, &d);
	if ((rc == 0) != (pins != NULL) || (rc != 0 && pi_diag_errors(&d) == 0))
		abort();
	if (pins) {
		diff_and_write(pins, tiny);
		struct pi_plan *plan = NULL;
		rc = pi_plan_build_pinned(lab, pins, &plan, &d);
		if ((rc == 0) != (plan != NULL) || (rc != 0 && pi_diag_errors(&d) == 0))
			abort();
		if (plan) {
			diff_and_write(pins, plan);
			struct pi_buf b;
			pi_buf_init(&b);
			if (pi_plan_write_json(plan, &b) != 0)
				abort();
			pi_buf_free(&b);
		}
		pi_plan_free(plan);
	}
	pi_plan_pins_free(pins);
	pi_diag_free(&d);
	return 0;
}
