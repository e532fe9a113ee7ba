/* The apply tests' lab: labs/<name>.yml loaded and planned (no root, no Docker). */
#ifndef PI_APPLY_LAB_FIXTURE_H
#define PI_APPLY_LAB_FIXTURE_H

#include "pocketinternet/lab.h"
#include "pocketinternet/plan.h"

extern struct pi_lab *lab;
extern struct pi_plan *plan;

/* Loads and plans labs/<name>.yml into lab and plan: 0, or -1 (diagnostics printed). */
int apply_fixture_load(const char *name);
/* cmocka group fixtures for the default lab (labs/lab.yml). */
int apply_fixture_setup(void **state);
int apply_fixture_teardown(void **state);

#endif
