/* Helpers shared by the render tests (common.c). */
#ifndef PI_TEST_RENDER_COMMON_H
#define PI_TEST_RENDER_COMMON_H

#include <stdbool.h>
#include "pocketinternet/lab.h"
#include "pocketinternet/plan.h"
#include "pocketinternet/render.h"

/* Loads labs/<name>.yml from the source tree and plans it; fails the test on error. */
struct pi_plan *load_lab_plan(const char *name, struct pi_lab **lab);
/* The names of every lab file in labs/ (without .yml), NULL-terminated; caller frees with free_names. */
char **list_labs(void);
void free_names(char **names);
/* One rendered file of a node (default paths), as a malloc'd string, or NULL. */
char *render_file(const struct pi_plan *plan, uint32_t node, const char *path);
/* The text of `protocol bgp NAME ...` up to its closing brace, malloc'd, or NULL. */
char *bird_protocol_block(const char *conf, const char *name);

#endif
