/*
 * libFuzzer target: any bytes as a blueprint file.
 */
#include <stdint.h>
#include <stdlib.h>
#include "pocketinternet/lab.h"
#include "../../src/model/model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pi_diag d;
	pi_diag_init(&d);
	int rc = pi_blueprint_check_mem("fuzz", "fuzz.yml", (const char *)data, size, &d);
	if ((rc == 0) != (pi_diag_count(&d) == 0))
		abort();
	pi_diag_free(&d);
	return 0;
}
