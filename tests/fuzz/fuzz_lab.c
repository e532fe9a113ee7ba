/*
 * libFuzzer target: any bytes as a lab file, against the shipped blueprints.
 * The loader must return 0 with a lab or an error with diagnostics, and
 * never crash or leak (ASan/UBSan/LeakSanitizer watch).
 */
#include <stdint.h>
#include <stdlib.h>
#include "pi_config.h"
#include "pocketinternet/lab.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *dir = getenv("POCKETINTERNET_BLUEPRINTS");
	struct pi_diag d;
	struct pi_lab *lab = NULL;
	pi_diag_init(&d);
	int rc = pi_lab_load_mem("fuzz.yml", (const char *)data, size, dir ? dir : PI_SOURCE_DIR "/blueprints", &lab, &d);
	/* The contract: success and errors never come together (warnings may). */
	if ((rc == 0) != (lab != NULL) || (rc == 0 && pi_diag_errors(&d) != 0) || (rc != 0 && pi_diag_errors(&d) == 0))
		abort();
	pi_lab_free(lab);
	pi_diag_free(&d);
	return 0;
}
