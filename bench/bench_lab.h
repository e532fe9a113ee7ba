/* Generated labs for the benchmarks. */
#ifndef PI_BENCH_LAB_H
#define PI_BENCH_LAB_H

#include "pocketinternet/lab.h"
#include "pocketinternet/plan.h"

/* A lab of n pods shaped like the shipped ones (YAML text, malloc'd). */
char *bench_gen_lab(const char *name, unsigned n);
/* That lab with more_bb broadband and more_content content pods more. */
char *bench_gen_lab_more(const char *name, unsigned n, unsigned more_bb, unsigned more_content);
/* Loads and plans it; 0 or -errno (diagnostics printed). */
int bench_load_plan(const char *name, unsigned pods, struct pi_lab **lab, struct pi_plan **plan);

#endif
