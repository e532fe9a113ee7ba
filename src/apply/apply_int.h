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

/* The BGP sessions node's router daemon reports (struct pi_bgp_state
 * into out), asked over its control socket through /proc/<pid>/root.
 * 0, or -errno when the daemon could not be asked. */
int pi_apply_node_sessions(const struct pi_plan *plan, uint32_t node, int pid, struct pi_vec *out);
/* The name the router daemons give plan session k. */
void pi_apply_session_name(const struct pi_plan *plan, uint32_t k, char *buf, size_t len);

#endif
