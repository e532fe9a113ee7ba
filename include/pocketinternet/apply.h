/*
 * apply: the only layer that changes the system. It takes a plan (and the
 * files render made from it) and brings the lab up through a backend
 * (backend.h), wires it over netlink, starts the daemons and waits for
 * convergence; it also reports status and tears labs down.
 *
 * Names (teardown finds everything by these, with no state on disk):
 *   nodes         found by (lab, node) through the backend (Docker: the
 *                 containers pi-<lab>-<node>, labelled pocketinternet.*)
 *   lab netns     pi-<lab> under /run/netns: holds every LAN bridge and
 *                 the bridge-side ends of LAN veths, so deleting it
 *                 removes them all; p2p veths live only inside the two
 *                 containers' netns and die with them
 *   state         $POCKETINTERNET_STATE or /var/lib/pocketinternet, then
 *                 <lab>/ with plan.json and one directory per node
 */
#ifndef POCKETINTERNET_APPLY_H
#define POCKETINTERNET_APPLY_H

#include <stdbool.h>
#include "diag.h"
#include "backend.h"
#include "plan.h"
#include "render.h"
#include "impair.h"

#define PI_STATE_ROOT "/var/lib/pocketinternet"
#define PI_NAME_PREFIX "pi-"

enum pi_phase {
	PI_PHASE_PLAN,
	PI_PHASE_RENDER,
	PI_PHASE_IMAGE,
	PI_PHASE_CREATE,
	PI_PHASE_START,
	PI_PHASE_WIRE,
	PI_PHASE_DAEMONS,
	PI_PHASE_CONVERGE,
	PI_PHASE_COUNT,
};
const char *pi_phase_name(enum pi_phase p);

/* Progress: a phase starts (done=0), advances, ends (done=total). Called
 * from one thread at a time. */
typedef void (*pi_apply_progress_fn)(void *ctx, enum pi_phase phase, size_t done, size_t total,
				     const char *detail);

struct pi_apply_opts {
	const char *state_root;  /* NULL: pi_state_root() */
	const char *image;       /* NULL: pi_image_default_tag() */
	unsigned parallel;       /* 0: 8 */
	unsigned converge_timeout_s; /* 0: 180 */
	bool build_image;        /* build the image when missing (else fail) */
	volatile int *cancel;    /* set asynchronously (SIGINT) to stop early */
	bool rollback;           /* on failure or cancel, remove what was made */
	bool start_only;         /* create and start the nodes, nothing more (tests) */
	const char *lab_file;    /* recorded on the nodes, so commands find the lab */
	pi_apply_progress_fn progress;
	void *ctx;
};

struct pi_apply_result {
	double phase_s[PI_PHASE_COUNT];
	double total_s;
	unsigned containers;
	unsigned links;
	unsigned sessions_total, sessions_up;
	unsigned resolvers_total, resolvers_up;
	bool converged;
	bool already_up; /* the lab was running: nothing was changed */
	bool rolled_back; /* it failed and what it made was removed */
	/* reconcile: */
	bool reconciled;  /* the lab ran: only the difference was applied */
	unsigned removed, reconfigured, kept; /* nodes */
};

const char *pi_state_root(void);
/* "<root>/<lab>" into buf. */
void pi_state_dir(const char *root, const char *lab, char *buf, size_t len);

/*
 * Brings the planned lab up (render already written by the caller, or done
 * here: the state directory is (re)rendered at the start). Idempotence: when
 * every planned container already runs, returns 0 with already_up set and
 * changes nothing; when some but not all exist, returns -EEXIST (the user
 * should run teardown). On failure or cancel, what was made is removed
 * when opts->rollback is set, else left for inspection and
 * pi_apply_teardown. Returns 0 also when convergence timed out: check
 * result->converged.
 */
int pi_apply_setup(struct pi_backend *b, const struct pi_plan *plan, const struct pi_apply_opts *opts,
		   struct pi_apply_result *res, struct pi_diag *diag);

/*
 * Setup on a running lab whose file changed: applies only the difference
 * between the running plan (pins, from its state's plan.json) and plan
 * (built with those pins). Removed nodes go, new ones are created and wired,
 * kept nodes keep their containers and are reconfigured where their files
 * changed (never restarted), and the whole lab must converge again. res as
 * for setup, with reconciled set and removed/reconfigured/kept counted;
 * res->containers counts the nodes created. Not rolled back on failure: the
 * lab stays as far as it got, and the diagnostics say where.
 */
int pi_apply_reconcile(struct pi_backend *b, const struct pi_plan_pins *pins, const struct pi_plan *plan,
		       const struct pi_apply_opts *opts, struct pi_apply_result *res, struct pi_diag *diag);
/* The pins of the running lab from its state directory's plan.json; -ENOENT
 * when it has none (not set up, or set up before pins existed). */
int pi_apply_load_pins(const char *state_root, const char *lab, struct pi_plan_pins **out, struct pi_diag *diag);

struct pi_teardown_result {
	unsigned containers, netns, state_dirs;
};
/*
 * Removes the lab's containers (by label), its netns and its state
 * directory. lab NULL removes every pocketinternet lab. Safe to repeat and
 * after a crash at any point: absent objects are not errors. parallel 0
 * removes one node at a time: Debian 12's Docker can deadlock when it
 * handles two container exits at once (see teardown.c).
 */
int pi_apply_teardown(struct pi_backend *b, const char *lab, const char *state_root, unsigned parallel,
		      struct pi_teardown_result *res, struct pi_diag *diag);

/* ---- observing a running lab ---- */

struct pi_status_node {
	char state[32]; /* the backend's: "running", "exited", "absent", ... */
	bool running;
	int pid;
};
struct pi_status_session {
	char state[2][64]; /* at a and at b: "Established", "Active", "down", ... */
	bool established;  /* at both ends */
};
struct pi_status {
	struct pi_status_node *nodes;       /* plan->n_nodes, in plan order */
	struct pi_status_session *sessions; /* plan->n_sessions */
	bool *answers;                      /* per node: its resolver answers (resolvers only) */
	unsigned running, established, resolvers, answering;
	bool all_up;
};
/*
 * The state of a running lab: every node from the backend, every planned
 * BGP session at both ends from the router daemons' control sockets, and
 * whether each resolver answers through the pocket root. Every probe has
 * a timeout, so one stuck node cannot hang it. Free with pi_status_free.
 */
int pi_apply_status(struct pi_backend *b, const struct pi_plan *plan, unsigned parallel, struct pi_status *out,
		    struct pi_diag *diag);
void pi_status_free(struct pi_status *st);
/* Whether node's resolver answers a query that needs the pocket root
 * (the TLD's SOA), asked from inside the node whose first process is pid.
 * Shared by convergence and status. */
bool pi_apply_resolver_answers(const struct pi_plan *plan, uint32_t node, int pid, unsigned timeout_ms);

/* Running labs, for `labs` and for finding the current lab. */
struct pi_lab_summary {
	char name[64];
	char lab_file[512];
	unsigned nodes, running;
	long long created; /* the oldest node's, unix time */
};
/* Appends struct pi_lab_summary for every lab the backend holds, by name. */
int pi_apply_labs(struct pi_backend *b, struct pi_vec *out, struct pi_diag *diag);

/* Sends one DNS query for name/type from inside the netns of pid to server
 * (an address of that node's lab). 0 when a NOERROR answer with at least one
 * record comes back within timeout_ms, -ETIMEDOUT, or -EPROTO. */
int pi_dns_probe(int pid, const struct pi_prefix *server, const char *name, unsigned qtype,
		 unsigned timeout_ms);

/* ---- operating a running lab (link.c, node.c) ---- */

/* A link as a user names it: every end (iface PI_NONE) or one LAN port. */
struct pi_link_ref {
	uint32_t link;
	uint32_t iface;
};
/* Resolves a plan link name, a node pair "a--b" (either order) or
 * "node:iface". -ENOENT with the near matches in diag. */
int pi_apply_link_find(const struct pi_plan *plan, const char *spec, struct pi_link_ref *out, struct pi_diag *diag);
/* "node:iface" of an interface, for messages and ops.json. */
void pi_apply_iface_label(const struct pi_plan *plan, uint32_t iface, char *buf, size_t len);
/* Carrier down (up) at every end the reference names, recorded in the lab's
 * state. Ends on stopped nodes are recorded only. On failure, the ends
 * already changed are put back. Idempotent. */
int pi_apply_link_updown(struct pi_backend *b, const struct pi_plan *plan, const char *state_root,
			 const struct pi_link_ref *ref, bool up, struct pi_diag *diag);
/* Shapes the egresses the reference names (dir 0 both, 1 what end a
 * sends, 2 what end b sends; on a LAN port a is the node's side, b the
 * LAN's) with imp, or with NULL back to the lab file's default for the link
 * (link reset). A request that needs netem on a kernel without it changes
 * nothing and says what is missing. Recorded in the lab's state. */
int pi_apply_link_shape(struct pi_backend *b, const struct pi_plan *plan, const char *state_root,
			const struct pi_link_ref *ref, const struct pi_impair *imp, int dir, struct pi_diag *diag);
/* What link list shows: per end, what the node's netns holds. */
struct pi_link_end {
	uint32_t iface;
	bool present;   /* the node runs and the interface exists */
	bool admin_up, carrier;
	char qdisc[16]; /* root qdisc kind when the tool's shaping is in force, else "" */
	char impair[128]; /* the impairment in force, as text ("rate 5Mbit"), "" when none */
};
struct pi_link_status {
	uint32_t link;
	const char *state; /* "up", "down", "partial" (some ends down), "absent" (no end present) */
	struct pi_link_end *ends;
	size_t n_ends;
};
/* Appends struct pi_link_status for every link (node PI_NONE) or node's
 * links, in plan order. Free with pi_link_status_free. */
int pi_apply_link_list(struct pi_backend *b, const struct pi_plan *plan, uint32_t node, struct pi_vec *out,
		       struct pi_diag *diag);
void pi_link_status_free(struct pi_vec *v);
/* Puts back what operations recorded for node's links (after it started). */
int pi_apply_ops_reapply(struct pi_backend *b, const struct pi_plan *plan, const char *state_root, uint32_t node,
			 struct pi_diag *diag);

/* ---- incidents (incident.c) ---- */
/* Sets off an incident (render.h, struct pi_incident): checked against the
 * plan, applied through the router daemons of every node it touches (a
 * reconfigure, not a restart), and recorded in the lab's state; inc->id and
 * ->since are set. On failure every touched node is put back. */
int pi_apply_incident_add(struct pi_backend *b, const struct pi_plan *plan, const char *state_root,
			  struct pi_incident *inc, struct pi_diag *diag);
/* Clears incident id (0: all of them); *cleared says how many went. -ENOENT for an unknown id. */
int pi_apply_incident_clear(struct pi_backend *b, const struct pi_plan *plan, const char *state_root, unsigned id,
			    unsigned *cleared, struct pi_diag *diag);
/* The active incidents (struct pi_incident) into out. */
int pi_apply_incident_list(const struct pi_plan *plan, const char *state_root, struct pi_vec *out,
			   struct pi_diag *diag);

/* ---- routing policy in the live RIBs (policy.c) ---- */
struct pi_policy_violation {
	uint32_t node;             /* the router holding the route */
	struct pi_prefix net;
	bool best;                 /* the route it selected */
	uint32_t path[PI_RIB_MAX_PATH]; /* its AS path, neighbour first */
	unsigned path_len;
	char why[256];             /* pi_plan_path_valley_free's reason */
};
/* Reads every border router's and route server's RIB through its router
 * daemon and appends struct pi_policy_violation for every BGP route whose
 * AS path (behind the router's own AS) is not valley-free with respect to
 * the plan. *routes counts the routes checked. Stopped routers are skipped. */
int pi_apply_policy_check(struct pi_backend *b, const struct pi_plan *plan, unsigned parallel, struct pi_vec *out,
			  unsigned *routes, struct pi_diag *diag);

enum pi_node_op { PI_NODE_STOP, PI_NODE_START, PI_NODE_RESTART };
const char *pi_node_op_name(enum pi_node_op op);
/* Stops, starts or restarts one node. A start rewires its links, sets its
 * addresses and routes, starts its daemons, puts back recorded link states
 * and waits (opts->converge_timeout_s) for its sessions: res as for setup
 * (res->converged, sessions_*). Idempotent: res->already_up when nothing
 * had to change. */
int pi_apply_node(struct pi_backend *b, const struct pi_plan *plan, uint32_t node, enum pi_node_op op,
		  const struct pi_apply_opts *opts, struct pi_apply_result *res, struct pi_diag *diag);

/* ---- tracing one probe packet hop by hop (trace.c, trace_tc.c) ---- */
/*
 * `pocketinternet trace`: BPF programs at tc ingress and egress (a clsact
 * qdisc and cls_bpf filters, direct-action) of every interface of every
 * watched netns report each sighting of one ICMP/ICMPv6 echo request
 * marked by a payload magic and a nonce (src/apply/bpf/trace_ev.h), of its
 * reply, and of ICMP errors quoting it, into one ring buffer shared by all.
 * Attached only for the trace: the filters carry handle PI_TRACE_TC_HANDLE
 * and priority PI_TRACE_TC_PRIO; a clsact qdisc the trace added is
 * recorded in a state file before it is added and removed afterwards;
 * one found there is left. A trace that was killed is cleaned up by the
 * next one (or by pi_trace_cleanup). docs/observe.md, "trace".
 */
#define PI_TRACE_TC_HANDLE 0x70697472u /* "pitr" */
#define PI_TRACE_TC_PRIO 0x7069u       /* "pi" */

/* Whether this build and kernel can trace; why says what is missing. */
bool pi_trace_available(char *why, size_t len);

/* One network namespace to watch. */
struct pi_trace_target {
	const char *path;  /* /proc/<pid>/ns/net or /run/netns/<name> */
	const char *label; /* the node's name, for reports */
};

enum pi_trace_kind { PI_TRACE_REQUEST, PI_TRACE_REPLY, PI_TRACE_TIME_EXCEEDED, PI_TRACE_UNREACHABLE };
const char *pi_trace_kind_name(enum pi_trace_kind k); /* "request", "reply", "time-exceeded", "unreachable" */

struct pi_trace_event {
	double t_us;             /* since the probe was sent */
	uint32_t ns;             /* index of the target it was seen in */
	char node[64];           /* that target's label */
	char iface[PI_IFNAMSIZ]; /* the interface, "if<N>" if it vanished */
	bool egress;             /* leaving (tc egress), else arriving (ingress) */
	enum pi_trace_kind kind;
	unsigned ttl;            /* TTL / hop limit as seen there */
	unsigned code;           /* ICMP code of an error */
	/* At ingress of a request: what the node's FIB said (bpf_fib_lookup's
	 * BPF_FIB_LKUP_RET_*: 0 forward, 1 blackhole, 2 unreachable, 3
	 * prohibit, 4 not forwarded (local, or no route), 5 forwarding off,
	 * 7 no neighbour yet), -1 when not asked; fib_dev its way out. */
	int fib;
	char fib_dev[PI_IFNAMSIZ];
};

enum pi_trace_end {
	PI_TRACE_DELIVERED,   /* it reached the destination (and a reply came back) */
	PI_TRACE_NO_ROUTE,    /* a node had no route for it (or a blackhole/unreachable one) */
	PI_TRACE_TTL_EXPIRED, /* its TTL ran out at a node */
	PI_TRACE_FILTERED,    /* administratively prohibited (an ICMP error said so) */
	PI_TRACE_DROPPED,     /* routed at a node but never left it */
	PI_TRACE_LOST,        /* left a node and was never seen again (link, or an unwatched node) */
	PI_TRACE_NOT_SENT,    /* the source could not send it */
};
const char *pi_trace_end_name(enum pi_trace_end e); /* "delivered", "no-route", "ttl-expired", ... */

struct pi_trace_result {
	struct pi_trace_event *events; /* in time order */
	size_t n_events;
	enum pi_trace_end end;
	uint32_t end_ns;        /* the target where it stopped, PI_NONE if unknown */
	char end_node[64];      /* its label, "" if unknown */
	char end_iface[PI_IFNAMSIZ]; /* the interface involved, "" if none */
	char why[256];          /* one sentence for the user */
	char dst[PI_PREFIX_STRLEN]; /* the address probed */
	unsigned ttl;           /* the probe's initial TTL */
	unsigned ifaces;        /* interfaces watched */
	unsigned leftovers;     /* filters and qdiscs of an earlier, killed trace removed first */
};
void pi_trace_result_free(struct pi_trace_result *r);

struct pi_trace_opts {
	const struct pi_trace_target *targets;
	size_t n_targets;
	uint32_t src;           /* the target the probe is sent from */
	uint32_t dst_target;    /* the target holding dst, PI_NONE when none does */
	struct pi_prefix dst;   /* where to (IPv4 or IPv6, full length) */
	unsigned ttl;           /* 0: 64 */
	unsigned timeout_ms;    /* how long to wait for the probe's end; 0: 2000 */
	const char *state_file; /* where attachments are recorded (needed) */
	volatile int *cancel;   /* set from a SIGINT/SIGTERM handler: detach and return -EINTR */
	/* Tests: called once everything is attached, before the probe goes. */
	void (*attached)(void *ctx);
	void *ctx;
};
/* Attaches, sends one probe, collects the events until its end is known
 * (or timeout), detaches. 0 with *res filled (whatever the end), or
 * -errno with diag saying why (nothing is left attached either way). */
int pi_trace_run(const struct pi_trace_opts *o, struct pi_trace_result *res, struct pi_diag *diag);
/* What a killed trace left: the state file's clsacts (when nothing else is
 * attached to them) and every filter of ours on targets' interfaces.
 * *removed (may be NULL) counts them. -EBUSY when a trace holds the state file. */
int pi_trace_cleanup(const char *state_file, const struct pi_trace_target *targets, size_t n, unsigned *removed,
		     struct pi_diag *diag);
/* Over netlink (qdisc and filter dumps) in the netns at path: filters with
 * our handle and priority, and clsact qdiscs (anyone's). */
int pi_trace_residue(const char *path, unsigned *filters, unsigned *clsacts);
/* BPF programs named pi_trace_* loaded on this host (by anyone). */
int pi_trace_progs_loaded(unsigned *n);

/* The lab-level trace from node src toward node dst (its loopback for a
 * router, else its first address of the family) or toward dst_addr (dst
 * PI_NONE; the node holding it, if any, is found). Every running node is
 * watched. family 0: IPv4 when both ends have an IPv4 address outside
 * 100.64.0.0/10 (CGNAT), else IPv6. The state file is
 * <state_root>/<lab>/trace.json; leftovers of a killed trace on the lab
 * are removed first. -ESRCH (src stopped), -EADDRNOTAVAIL (no address of
 * the family), -ENOTSUP (no trace support: diag says what to install). */
struct pi_trace_lab_opts {
	uint32_t src;
	uint32_t dst;              /* node, or PI_NONE */
	struct pi_prefix dst_addr; /* when dst is PI_NONE */
	int family;                /* 0, 4 or 6 */
	unsigned ttl, timeout_ms;  /* 0: defaults (64, 2000) */
	const char *state_root;    /* NULL: pi_state_root() */
	volatile int *cancel;
};
int pi_apply_trace(struct pi_backend *b, const struct pi_plan *plan, const struct pi_trace_lab_opts *o,
		   struct pi_trace_result *res, struct pi_diag *diag);

/* ---- writing the lab's files ---- */
/* The marker in every directory the tool made; it holds "pocketinternet <lab>\n". */
#define PI_MARKER ".pocketinternet"
/*
 * Renders every node (pi_render_node, on every core) and writes
 * dir/<node>/..., dir/plan.json and the markers, creating dir when missing.
 * Follows no planted symlink, refuses an output directory not owned by the
 * user or writable by others, and one holding anything the tool did not
 * make; removes stale marked node directories (docs/security.md). 0 or
 * -errno with diagnostics naming the path and what to do.
 */
int pi_apply_write_lab(const struct pi_plan *plan, const char *dir, struct pi_diag *diag);
/*
 * Removes the state directories setup made in state_root: <lab> (or, lab
 * NULL, every entry) when it is a real directory owned by the user and
 * marked for that lab. Anything else stays; for a named lab that is a
 * diagnostic and -EPERM. *removed counts what went. 0 or -errno.
 */
int pi_apply_state_remove(const char *state_root, const char *lab /* NULL: all labs */, unsigned *removed,
			  struct pi_diag *diag);

#endif
