/* apply internals shared by setup, teardown and status. */
#ifndef PI_APPLY_INT_H
#define PI_APPLY_INT_H

#include <jansson.h>
#include <pthread.h>
#include <sys/socket.h>
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
/* Sends cmd to node's router daemon and checks its reply (ctl_reply_check):
 * 0, -EBUSY, -EPROTO (why: the daemon's words), or -errno. */
int pi_apply_ctl_command(const struct pi_plan *plan, uint32_t node, int pid, const char *cmd, char *why,
			 size_t whylen);
/* Sends cmd and appends the reply's text to out. */
int pi_apply_ctl_text(const struct pi_plan *plan, uint32_t node, int pid, const char *cmd, struct pi_buf *out);
/* The name the router daemons give plan session k. */
void pi_apply_session_name(const struct pi_plan *plan, uint32_t k, char *buf, size_t len);

/* ---- dnsq.c: sockets inside a node's netns, shared with http.c ---- */
/* An fd of /proc/<pid>/ns/net (O_CLOEXEC), or -errno. */
int pi_apply_pid_netns(int pid);
/* A socket (type may carry SOCK_NONBLOCK) of addr's family created inside
 * the netns behind nsfd, and addr:port as a sockaddr in ss/sl. The calling
 * thread does not stay in that netns. fd or -errno (-EINVAL: no address or
 * port). */
int pi_apply_ns_socket(int nsfd, const struct pi_prefix *addr, unsigned port, int type,
		       struct sockaddr_storage *ss, socklen_t *sl);

/* ---- opstate.c: what operations changed, in <state>/<lab>/ops.json ---- */
/* Never NULL: an empty document when there is none (a broken one is a warning). */
json_t *pi_ops_load(const char *state_root, const char *lab, struct pi_diag *diag);
int pi_ops_save(const char *state_root, const char *lab, json_t *ops, struct pi_diag *diag);
/* The entry of a link (borrowed), created when asked; NULL when absent. */
json_t *pi_ops_link(json_t *ops, const char *link, bool create);
void pi_ops_link_tidy(json_t *ops, const char *link);

/* The pid of a running node; -ESRCH with a diagnostic when it is stopped,
 * -ENOENT when it does not exist. */
int pi_apply_node_pid(struct pi_backend *b, const struct pi_plan *plan, uint32_t node, int *pid,
		      struct pi_diag *diag);

/* save.c: the file of an exercise router that its students own (bird.conf);
 * rewriting a running lab's files keeps such a file where it is a regular
 * file in the node's directory nfd (it is dropped from set), so a setup on
 * a running lab never loses a team's work. reset and restore write it. */
bool pi_apply_students_file(const struct pi_plan *plan, uint32_t node, const char *path);
struct pi_render_set;
void pi_apply_keep_students_files(const struct pi_plan *plan, uint32_t node, int nfd, struct pi_render_set *set);
/* "lab L has no node 'name'" with the near matches (term.c): -ENOENT. */
int pi_apply_unknown_node(const struct pi_plan *plan, const char *node, struct pi_diag *diag);

/* link.c */
void pi_apply_port_name(const struct pi_plan *p, uint32_t iface, char buf[PI_IFNAMSIZ]);
/* The same from the node's and the interface's names (a node of an older plan). */
void pi_apply_port_name_of(const char *node, const char *iface, char buf[PI_IFNAMSIZ]);
int pi_apply_links_reapply(struct pi_backend *b, const struct pi_plan *plan, json_t *ops, uint32_t node,
			   struct pi_diag *diag);
/* After node started: the shaping link set recorded for its links. */
int pi_apply_impair_reapply(struct pi_backend *b, const struct pi_plan *plan, json_t *ops, uint32_t node,
			    struct pi_diag *diag);
/* The active incidents put back on nodes (NULL: every node) they touch:
 * files rewritten, daemons reconfigured, sessions disabled again. */
int pi_apply_incidents_reapply(struct pi_backend *b, const struct pi_plan *plan, const char *state_root,
			       json_t *ops, const bool *nodes, struct pi_diag *diag);
/* Every link's egresses as the lab file's impairments and link set say
 * (reconcile: a changed impairments: section takes effect). check: change
 * nothing, return 1 at the first egress that differs (0: all as they should be). */
int pi_apply_impair_sync(struct pi_backend *b, const struct pi_plan *plan, const char *state_root, bool check,
			 struct pi_diag *diag);
/* Fills e->qdisc and e->impair from the interface's root qdisc (impair.c). */
struct pi_nl;
void pi_apply_end_impair(struct pi_nl *nl, const char *ifname, struct pi_link_end *e);

#endif
