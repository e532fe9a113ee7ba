/* The apply tests' lab (lab_fixture.h). */
#include <stdio.h>
#include <stdlib.h>
#include "lab_fixture.h"

struct pi_lab *lab;
struct pi_plan *plan;

int apply_fixture_load(const char *name)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/labs/%s.yml", getenv("PI_SOURCE_DIR"), name);
	struct pi_diag d;
	pi_diag_init(&d);
	int rc = pi_lab_load(path, getenv("POCKETINTERNET_BLUEPRINTS"), &lab, &d);
	if (!rc)
		rc = pi_plan_build(lab, &plan, &d);
	pi_diag_print(&d, stderr);
	pi_diag_free(&d);
	return rc ? -1 : 0;
}

int apply_fixture_setup(void **state)
{
	(void)state;
	return apply_fixture_load("lab");
}

int apply_fixture_teardown(void **state)
{
	(void)state;
	pi_plan_free(plan);
	pi_lab_free(lab);
	return 0;
}
