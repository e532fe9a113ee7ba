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
#include "pcapng.h"

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

/* ---- verify: does the whole Internet work? (verify.c, verify_reach.c) ---- */

enum pi_verify_part { PI_VERIFY_REACH = 1, PI_VERIFY_DNS = 2, PI_VERIFY_HTTP = 4, PI_VERIFY_POLICY = 8,
		      PI_VERIFY_ALL = 15 };
/* One family's reachability matrix, over plan node indexes. */
struct pi_verify_reach {
	uint8_t family;
	struct pi_prefix *addr;  /* per node: the address it is pinged at (unset: none) */
	bool *target, *source;   /* per node */
	const char **why_not;    /* per node: why it is not a target (static text), or NULL */
	bool *down;              /* per node: a source that could not ping (stopped) */
	bool *ok;                /* [source * n_nodes + target]: the target answered */
	unsigned n_sources, n_targets;
	unsigned long pairs, failed;
	double seconds;
};
struct pi_verify {
	unsigned parts;                   /* what was checked */
	struct pi_verify_reach reach[2];  /* IPv4, IPv6 */
	struct pi_vec violations;         /* struct pi_policy_violation */
	unsigned routes_checked;
	const char *policy_note;          /* why the RIBs' paths were not judged, or NULL */
	struct pi_status status;          /* sessions at both ends (policy) */
	bool passed;
};
/* Checks the running lab: reachability (every source pings every target,
 * IPv4 and IPv6, natively from the host in each source's netns), and the
 * policy (every route in every router's live RIB valley-free, every planned
 * session Established at both ends). parts: PI_VERIFY_* bits. Free with
 * pi_verify_free. 0, or -errno when it could not check at all. */
int pi_apply_verify(struct pi_backend *b, const struct pi_plan *plan, unsigned parts, unsigned parallel,
		    struct pi_verify *out, struct pi_diag *diag);
void pi_verify_free(struct pi_verify *v);

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

/* ---- packet capture (capture.c) ---- */
/*
 * Captures from the host through each node's network namespace (no process
 * in the node): an AF_PACKET socket created inside the namespace, bound to
 * the interface, with the filter compiled by libpcap attached in the kernel
 * (SO_ATTACH_FILTER; it also cuts packets to the snap length), kernel
 * nanosecond timestamps (SO_TIMESTAMPNS) and the original length and
 * direction of every packet. Packets read together are handed over in time
 * order. pcapng.h writes them to a file or pipe.
 */
struct pi_capture;

/* One interface as the host reaches it. */
struct pi_capture_target {
	char netns[192];          /* "/proc/<pid>/ns/net", "/run/netns/<name>" */
	char ifname[PI_IFNAMSIZ];
	char label[160];          /* "node:iface" (pcapng if_name) */
	char descr[256];          /* what it is (if_description), or "" */
	bool promisc;             /* a bridge: sees forwarded frames only so */
};

struct pi_capture_opts {
	const char *filter;   /* pcap-filter(7) syntax; NULL or "": every packet */
	uint32_t snaplen;     /* 0: PI_PCAP_SNAPLEN_DEFAULT (262144) */
	uint64_t count;       /* stop after this many packets; 0: no limit */
	double duration_s;    /* stop after this many seconds; 0: no limit */
	volatile int *cancel; /* set asynchronously (SIGINT) to stop */
	/* Something happened to interface iface that the user should know
	 * ("went down": a link down or its node stopped). May be NULL. */
	void (*note)(void *ctx, uint32_t iface, const char *what);
	void *note_ctx;
};

struct pi_capture_packet {
	uint32_t iface;       /* index among the capture's interfaces */
	uint64_t ts_ns;       /* kernel receive time, ns since the epoch */
	const uint8_t *data;  /* caplen bytes of an Ethernet frame */
	uint32_t caplen, len; /* captured and original length */
	bool outgoing;        /* sent by that interface (else received) */
};
/* Gets every packet; returning nonzero stops the capture, and run returns
 * that value (e.g. -EPIPE when the reader of the output went away). */
typedef int (*pi_capture_fn)(void *ctx, const struct pi_capture_packet *pkt);

enum pi_capture_stop { PI_CAPTURE_CANCEL, PI_CAPTURE_COUNT, PI_CAPTURE_DURATION, PI_CAPTURE_CALLBACK };
struct pi_capture_stats {
	uint64_t packets;          /* handed to the callback */
	uint64_t drops;            /* dropped by the kernel (receive buffer full) */
	enum pi_capture_stop stop; /* why run returned */
};

/*
 * Opens a capture on a running lab. Each spec is "NODE:IFACE" (one
 * interface), "NODE" (all its interfaces in the plan), a link's name or a
 * node pair "a--b" (a p2p link: both ends; a LAN: its bridge in the lab's
 * netns, promiscuous, which sees every frame crossing the LAN once).
 * Everything is checked before anything is captured: unknown names (with
 * near matches), stopped nodes (-ESRCH), interfaces absent from a running
 * node (-ENODEV), a filter that does not compile (-EINVAL): 0 or -errno
 * with diagnostics. Needs CAP_NET_RAW and CAP_SYS_ADMIN (setns).
 */
int pi_apply_capture_open(struct pi_backend *b, const struct pi_plan *plan, const char *const *specs, size_t n,
			  const struct pi_capture_opts *opts, struct pi_capture **out, struct pi_diag *diag);
/* The same on explicit interfaces (tests; tools outside a lab). */
int pi_apply_capture_open_targets(const struct pi_capture_target *t, size_t n, const struct pi_capture_opts *opts,
				  struct pi_capture **out, struct pi_diag *diag);
/* The interfaces captured on, in order (duplicates among the specs are
 * captured once); valid until close. */
size_t pi_apply_capture_count(const struct pi_capture *c);
const struct pi_capture_target *pi_apply_capture_target(const struct pi_capture *c, size_t i);
uint32_t pi_apply_capture_snaplen(const struct pi_capture *c);
/* Captures until opts->count packets, opts->duration_s, *opts->cancel or
 * the callback says stop. 0 (st->stop says why), the callback's nonzero
 * value, or -errno when reading failed. st may be NULL. */
int pi_apply_capture_run(struct pi_capture *c, pi_capture_fn fn, void *ctx, struct pi_capture_stats *st);
/* Starts w (pcapng.h) on the capture's interfaces: one pcapng interface
 * per target, named by its label, described by descr; classic pcap needs
 * exactly one. 0 or -errno (the write callback's, or -EINVAL). */
int pi_apply_capture_writer_begin(const struct pi_capture *c, struct pi_pcap_writer *w, bool classic,
				  pi_pcap_write_fn write, void *ctx);
/* A pi_capture_fn that writes each packet, with its direction, to the
 * struct pi_pcap_writer passed as ctx: at once, so a pipe reader sees it. */
int pi_apply_capture_write_packet(void *writer, const struct pi_capture_packet *p);
/* Closes the sockets (a bridge leaves promiscuous mode). NULL is fine. */
void pi_apply_capture_close(struct pi_capture *c);

enum pi_node_op { PI_NODE_STOP, PI_NODE_START, PI_NODE_RESTART };
const char *pi_node_op_name(enum pi_node_op op);
/* Stops, starts or restarts one node. A start rewires its links, sets its
 * addresses and routes, starts its daemons, puts back recorded link states
 * and waits (opts->converge_timeout_s) for its sessions: res as for setup
 * (res->converged, sessions_*). Idempotent: res->already_up when nothing
 * had to change. */
int pi_apply_node(struct pi_backend *b, const struct pi_plan *plan, uint32_t node, enum pi_node_op op,
		  const struct pi_apply_opts *opts, struct pi_apply_result *res, struct pi_diag *diag);

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
