/* verify internals: the parts of pi_apply_verify (verify.c). */
#ifndef PI_VERIFY_INT_H
#define PI_VERIFY_INT_H

#include "apply_int.h"

/* verify_reach.c */
void pi_verify_reach_init(const struct pi_plan *p, uint8_t fam, struct pi_verify_reach *r);
void pi_verify_reach_run(struct pi_backend *b, const struct pi_plan *p, unsigned parallel, struct pi_verify_reach *r);
void pi_verify_reach_free(struct pi_verify_reach *r);

#endif
