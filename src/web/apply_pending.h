/*
 * web: the apply calls terminals and captures use. They are apply's
 * (include/pocketinternet/apply.h) once the terminal and capture-job work
 * lands there; until then this header declares them with exactly those
 * signatures, term.c and capture.c are compiled against it (so they keep
 * building) but not linked, and the two endpoints answer 501 (pending.c).
 * meson sets PI_HAVE_APPLY_TERM when apply.h declares pi_apply_term_open.
 */
#ifndef PI_WEB_APPLY_PENDING_H
#define PI_WEB_APPLY_PENDING_H

#include "pi_config.h"
#include "pocketinternet/apply.h"

#if !PI_HAVE_APPLY_TERM
#include <stdint.h>
struct pi_tty;
struct pi_capture_job;
struct pi_capture_job_stats {
	bool running;
	uint64_t packets, bytes;
};
int pi_apply_term_open(struct pi_backend *b, const struct pi_plan *plan, const char *node, unsigned cols,
		       unsigned rows, struct pi_tty **out, struct pi_diag *diag);
int pi_tty_fd(const struct pi_tty *t);
int pi_apply_term_resize(struct pi_backend *b, struct pi_tty *t, unsigned cols, unsigned rows, struct pi_diag *diag);
void pi_apply_term_close(struct pi_backend *b, struct pi_tty *t);
int pi_apply_capture_job_start(struct pi_backend *b, const struct pi_plan *plan, const char *node, const char *iface,
			       const char *filter, const char *path, struct pi_capture_job **out, struct pi_diag *diag);
void pi_apply_capture_job_stats(const struct pi_capture_job *j, struct pi_capture_job_stats *st);
int pi_apply_capture_job_stop(struct pi_capture_job *j);
void pi_apply_capture_job_free(struct pi_capture_job *j);
#endif

#endif
