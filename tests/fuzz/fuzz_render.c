/*
 * libFuzzer target: any bytes as a lab file, loaded, planned, and every
 * node rendered into memory with pi_render_node. Whatever plans must render
 * without crashing, leaking or tripping a sanitizer.
 */
#include <stdint.h>
#include <stdlib.h>
#include "fuzz_common.h"
#include "pocketinternet/render.h"

/* Rendering is linear in nodes; bigger plans only repeat what small ones
 * cover and would hit libFuzzer's per-input timeout under ASan. */
#define FUZZ_RENDER_MAX_NODES 2000

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pi_diag d;
	struct pi_plan *plan = NULL;
	struct pi_lab *lab = fuzz_load_plan(data, size, &d, &plan);
	for (uint32_t n = 0; plan && plan->n_nodes <= FUZZ_RENDER_MAX_NODES && n < plan->n_nodes; n++) {
		struct pi_render_set set;
		pi_render_set_init(&set);
		pi_render_node(plan, n, &set);
		if (set.files.len == 0)
			abort(); /* every node gets at least its start script */
		pi_render_set_free(&set);
	}
	pi_plan_free(plan);
	pi_lab_free(lab);
	pi_diag_free(&d);
	return 0;
}
