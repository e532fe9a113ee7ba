/* apply internals shared by setup, teardown and status. */
#ifndef PI_APPLY_INT_H
#define PI_APPLY_INT_H

#include <pthread.h>
#include "pocketinternet/apply.h"

/* Moves every entry of src into dst under lock (worker threads each fill
 * their own diag). src is left empty. */
void pi_apply_diag_merge(struct pi_diag *dst, struct pi_diag *src, pthread_mutex_t *lock);
/* "pi-<lab>" */
void pi_lab_netns_name(const char *lab, char *buf, size_t len);

#endif
