/* Between trace.c (probe, events, verdict) and trace_tc.c (BPF programs,
 * tc attachments, the state file). */
#ifndef PI_TRACE_INT_H
#define PI_TRACE_INT_H

#include <jansson.h>
#include "pocketinternet/apply.h"
#include "bpf/trace_ev.h"

struct pi_nl;
struct pi_trace_set;

/* Locks opts->state_file, removes leftovers of a killed trace, loads one
 * program set per target and attaches it to every interface but lo,
 * recording clsacts it adds in the state file first. On failure nothing
 * stays attached. *leftovers counts what was cleaned. */
int pi_trace_set_open(const struct pi_trace_opts *o, struct pi_trace_set **out, unsigned *leftovers,
		      struct pi_diag *diag);
/* Starts matching the probe with this nonce. */
int pi_trace_set_arm(struct pi_trace_set *s, uint32_t nonce);
/* Waits up to timeout_ms for events, calling cb for each: count or -errno. */
typedef void (*pi_trace_ev_fn)(void *ctx, const struct pi_trace_ev *ev);
int pi_trace_set_poll(struct pi_trace_set *s, int timeout_ms, pi_trace_ev_fn cb, void *ctx);
/* The netlink handle on target i (owned by the set). */
struct pi_nl *pi_trace_set_nl(struct pi_trace_set *s, uint32_t i);
/* The name of ifindex in target i, "if<N>" when unknown. */
void pi_trace_set_ifname(const struct pi_trace_set *s, uint32_t i, uint32_t ifindex, char buf[PI_IFNAMSIZ]);
unsigned pi_trace_set_ifaces(const struct pi_trace_set *s);
/* Detaches everything, removes the clsacts it added, the state file. NULL is fine. */
void pi_trace_set_close(struct pi_trace_set *s);


/* trace_tc.c */
/* Opens and locks the state file (-EBUSY: a trace holds it). */
int pi_trace_state_lock(const char *path, int *fd, struct pi_diag *diag);
int pi_trace_state_write(int fd, json_t *j);
/* Removes what the state file behind fd lists, then our filters on every
 * target; *removed counts. */
int pi_trace_clean_leftovers(int fd, const struct pi_trace_target *t, size_t n, unsigned *removed);
/* pi_nl_ns_call callback: our filters off every clsact of the netns, and
 * the clsacts of interfaces named in own once nothing is attached there. */
struct pi_trace_sweep {
	const char *const *own;
	size_t n_own;
	unsigned removed;
};
int pi_trace_sweep_cb(void *arg);
/* ifindexes (int) with a clsact qdisc, in the calling thread's netns. */
int pi_trace_clsacts(struct pi_vec *out);

#endif
