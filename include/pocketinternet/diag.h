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
 * A warning is printed the same way with "warning:" and does not make an
 * operation fail: callers decide failure from their return code, and count
 * failures with pi_diag_errors().
 *
 * Messages and hints quote lab files, which must not reach a terminal as
 * control sequences: every entry is stored with control characters escaped
 * (\xNN) and cut to PI_DIAG_MSG_MAX bytes.
 */
#ifndef POCKETINTERNET_DIAG_H
#define POCKETINTERNET_DIAG_H

#include <stdarg.h>
#include <stdio.h>
#include "util.h"

#define PI_DIAG_MSG_MAX 512 /* bytes of a stored message or hint, then "..." */
#define PI_DIAG_VALUE_MAX 64 /* bytes of one echoed value (pi_diag_value), then "..." */

enum pi_diag_severity { PI_DIAG_ERROR, PI_DIAG_WARNING };

struct pi_pos {
	const char *file; /* not owned: points into a model arena or a literal */
	unsigned line;
	unsigned col;
};

struct pi_diag_entry {
	struct pi_pos pos;
	char *msg;  /* owned */
	char *hint; /* owned, may be NULL */
	enum pi_diag_severity severity;
};

struct pi_diag {
	struct pi_vec entries; /* struct pi_diag_entry */
};

void pi_diag_init(struct pi_diag *d);
void pi_diag_free(struct pi_diag *d);
void pi_diag_add(struct pi_diag *d, struct pi_pos pos, const char *hint, const char *fmt, ...) PI_PRINTF(4, 5);
void pi_diag_vadd(struct pi_diag *d, struct pi_pos pos, const char *hint, const char *fmt, va_list ap)
	PI_PRINTF(4, 0);
/* pi_diag_vadd under a budget: *count counts the caller's errors; once max
 * are added, one "too many errors" note follows and the rest are dropped. */
void pi_diag_vadd_capped(struct pi_diag *d, unsigned *count, unsigned max, struct pi_pos pos, const char *hint,
			 const char *fmt, va_list ap) PI_PRINTF(6, 0);
/* A diagnostic that does not fail the operation (an ignored key, a slip read
 * as what was meant). */
void pi_diag_warn(struct pi_diag *d, struct pi_pos pos, const char *hint, const char *fmt, ...) PI_PRINTF(4, 5);
/* An error without a position into d, which may be NULL (then nothing). */
void pi_diag_note(struct pi_diag *d, const char *hint, const char *fmt, ...) PI_PRINTF(3, 4);
void pi_diag_vwarn(struct pi_diag *d, struct pi_pos pos, const char *hint, const char *fmt, va_list ap)
	PI_PRINTF(4, 0);
/* Every entry, warnings included. */
size_t pi_diag_count(const struct pi_diag *d);
/* Entries that are errors. */
size_t pi_diag_errors(const struct pi_diag *d);
/* A value from an input file made safe to echo in a message: control
 * characters escaped, at most PI_DIAG_VALUE_MAX bytes then "...". Writes into
 * buf (PI_DIAG_VALUE_BUF bytes) and returns it. */
#define PI_DIAG_VALUE_BUF (4 * PI_DIAG_VALUE_MAX + 8)
const char *pi_diag_value(char buf[PI_DIAG_VALUE_BUF], const char *s);
/* Moves every entry of src to the end of dst (dst may be NULL: they are
 * dropped); src is left empty and initialised. */
void pi_diag_move(struct pi_diag *dst, struct pi_diag *src);
void pi_diag_print(const struct pi_diag *d, FILE *out);

#endif
