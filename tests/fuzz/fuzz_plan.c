/*
 * libFuzzer target: any bytes as a lab file, loaded and planned. A lab that
 * loads must plan or fail with diagnostics (never crash, leak or trip a
 * sanitizer), and a plan must write as JSON.
 */
#include <stdint.h>
#include <stdlib.h>
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pi_diag d;
	struct pi_plan *plan = NULL;
	struct pi_lab *lab = fuzz_load_plan(data, size, &d, &plan);
	if (plan) {
		struct pi_buf b;
		pi_buf_init(&b);
		if (pi_plan_write_json(plan, &b) != 0)
			abort();
		pi_plan_write_text(plan, &b);
		pi_plan_write_dot(plan, &b);
		pi_buf_free(&b);
	}
	pi_plan_free(plan);
	pi_lab_free(lab);
	pi_diag_free(&d);
	return 0;
}
