/*
 * diag: collected user-facing errors, each with a position (OpenBGPD's
 * yyerror counts and goes on; BIRD's cf_error records line and column).
 * Loading and planning never stop at the first problem: they add to a
 * pi_diag and the CLI prints all of them, in the form
 *
 *     FILE:LINE:COL: error: MESSAGE
 *       hint: WHAT TO DO
 *
 * line/col are 1-based; 0 means "no position" (e.g. a whole-lab problem).
 */
#ifndef POCKETINTERNET_DIAG_H
#define POCKETINTERNET_DIAG_H

#include <stdio.h>
#include "util.h"

struct pi_pos {
	const char *file; /* not owned: points into a model arena or a literal */
	unsigned line;
	unsigned col;
};

struct pi_diag_entry {
	struct pi_pos pos;
	char *msg;  /* owned */
	char *hint; /* owned, may be NULL */
};

struct pi_diag {
	struct pi_vec entries; /* struct pi_diag_entry */
};

void pi_diag_init(struct pi_diag *d);
void pi_diag_free(struct pi_diag *d);
void pi_diag_add(struct pi_diag *d, struct pi_pos pos, const char *hint, const char *fmt, ...) PI_PRINTF(4, 5);
size_t pi_diag_count(const struct pi_diag *d);
/* Moves every entry of src to the end of dst (dst may be NULL: they are
 * dropped); src is left empty and initialised. */
void pi_diag_move(struct pi_diag *dst, struct pi_diag *src);
void pi_diag_print(const struct pi_diag *d, FILE *out);

#endif
