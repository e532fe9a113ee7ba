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

/* ---- native probes from inside a node's netns (dnsq.c, http.c) ---- */
/*
 * Each probe opens a socket inside the node's network namespace (found
 * through /proc/<pid>/ns/net, or given as an fd of it) and does its I/O
 * from the calling thread, which never stays in the node's netns: no exec,
 * nothing runs inside the node. Safe to call from many threads at once.
 * What comes back is written by the node (by students): every parser here
 * is bounded and checked, and fuzzed (tests/fuzz/fuzz_dns.c, fuzz_http.c).
 */

/* Sends one DNS query for name/type from inside the netns of pid to server
 * (an address of that node's lab). 0 when a NOERROR answer with at least one
 * record comes back within timeout_ms, -ETIMEDOUT, or -EPROTO (another
 * rcode, no answer records, or a malformed reply). One try, no retry:
 * convergence polls it. */
int pi_dns_probe(int pid, const struct pi_prefix *server, const char *name, unsigned qtype,
		 unsigned timeout_ms);

#define PI_DNS_TYPE_A 1
#define PI_DNS_TYPE_NS 2
#define PI_DNS_TYPE_CNAME 5
#define PI_DNS_TYPE_SOA 6
#define PI_DNS_TYPE_PTR 12
#define PI_DNS_TYPE_AAAA 28
#define PI_DNS_MAX_RR 16
/* The answer section of a DNS reply. Names are absolute, in presentation
 * form with the trailing dot ("web1.content1.pocket.", the root is "."),
 * their case as the server sent it; bytes outside [!-~] and '.' or '\\'
 * inside a label are written as \DDD (RFC 1035 5.1). */
struct pi_dns_answer {
	unsigned rcode; /* 0 NOERROR, 2 SERVFAIL, 3 NXDOMAIN, ... (header, 4 bits) */
	unsigned n;     /* records in rr, in the order the server sent them */
	struct pi_dns_rr {
		unsigned type;            /* PI_DNS_TYPE_*, or any other the server sent */
		char name[256];           /* the owner */
		struct pi_prefix addr;    /* A (/32) and AAAA (/128); family 0 otherwise */
		char target[256];         /* PTR, CNAME, NS; "" otherwise */
	} rr[PI_DNS_MAX_RR];
	bool truncated; /* TC was set (rr holds what fitted), or the answer
			 * section had more than PI_DNS_MAX_RR records (rr holds
			 * the first ones) */
};
/*
 * Parses a DNS reply (a pure function; msg is untrusted). 0 when msg is a
 * reply (QR) to query id and well formed up to the end of the answer
 * section, out filled (whatever its rcode); -ENOMSG when it is not a reply
 * to id (keep waiting); -EBADMSG when it is malformed: out of bounds, a
 * compression pointer not strictly backwards (so no loops), a name over 255
 * bytes (or over 255 characters escaped), a reserved label type, an A/AAAA
 * of the wrong size or rdata not ending where its length says. A reply
 * with TC set that ends inside the answer section gives 0, truncated, and
 * the records before the cut. Class is not checked; records of other types
 * keep only type and name.
 */
int pi_dns_parse_answer(const uint8_t *msg, size_t len, uint16_t id, struct pi_dns_answer *out);
/*
 * Asks server (port 53, UDP) for name ("a.b." or "a.b"; at most 253
 * characters) and qtype (PI_DNS_TYPE_*, RD set, no EDNS so replies stop at
 * 512 bytes) from inside the netns of pid. Waits timeout_ms, then sends the
 * query once more and waits timeout_ms again (a late reply to the first
 * send is taken too). 0 with out filled when a reply came (check
 * out->rcode and out->n), -ETIMEDOUT, -ECONNREFUSED (ICMP port unreachable:
 * nothing listens), -EBADMSG (a malformed reply), -EINVAL (a bad name,
 * qtype, server or pid), -ENETUNREACH and others from the socket, or
 * -ENOENT/-EACCES when /proc/<pid>/ns/net cannot be opened. The first
 * packet to a neighbour not yet resolved (IPv6 ND on a fresh link) can
 * take a second: a timeout under that needs the retry.
 */
int pi_dns_query(int pid, const struct pi_prefix *server, const char *name, unsigned qtype, unsigned timeout_ms,
		 struct pi_dns_answer *out);
/* The same from inside the netns behind nsfd (an fd of /proc/<pid>/ns/net
 * or of a named netns; not taken over), for callers holding the fds. */
int pi_dns_query_fd(int nsfd, const struct pi_prefix *server, const char *name, unsigned qtype,
		    unsigned timeout_ms, struct pi_dns_answer *out);

/* The marker in every lab web page (render/http.c): which node served it. */
#define PI_HTTP_NODE_META "<meta name=\"pocketinternet-node\" content=\""
#define PI_HTTP_BODY_MAX 4096
/* The most header bytes a response may have before its body. */
#define PI_HTTP_HEAD_MAX 8192
struct pi_http_result {
	int status;            /* 200, 404, ...; 0 when no status line came */
	char server_node[128]; /* the node named by the page's PI_HTTP_NODE_META, else by a
				* "Server: pocketinternet <node>" header; "" when neither */
	size_t body_len;       /* bytes in body (at most PI_HTTP_BODY_MAX - 1) */
	char body[PI_HTTP_BODY_MAX]; /* the body's first bytes, NUL-terminated */
	double seconds;        /* from before the connect to the last byte read (or failure) */
};
/*
 * Parses the bytes of an HTTP response received so far (a pure function;
 * buf is untrusted and need not be NUL-terminated). eof: the peer closed
 * the connection after them. 0 when the response is complete as far as a
 * probe cares (headers read and the body's first PI_HTTP_BODY_MAX - 1
 * bytes, its Content-Length, or the close), out's status, server_node,
 * body and body_len filled (seconds untouched); -EAGAIN when more bytes
 * are needed (only while len < PI_HTTP_HEAD_MAX + PI_HTTP_BODY_MAX);
 * -EBADMSG when it is not an HTTP/1.x response: no "HTTP/d.d NNN" status
 * line (100..599), headers over PI_HTTP_HEAD_MAX, a bad Content-Length, or
 * a close before the headers ended. Lines may end in CRLF or LF.
 */
int pi_http_parse_response(const char *buf, size_t len, bool eof, struct pi_http_result *out);
/*
 * GET http://host/path (HTTP/1.0, "Host: host", Connection: close) from
 * inside the netns of pid, over TCP to addr:port; host NULL uses addr's
 * literal. connect, send and read are all bounded by timeout_ms in total.
 * 0 with out filled when a response came (check out->status), -ETIMEDOUT
 * (out holds what arrived, status 0 if no status line), -ECONNREFUSED,
 * -EHOSTUNREACH, -ENETUNREACH, -ECONNRESET, -EBADMSG (not HTTP), -EINVAL
 * (host or path empty or holding spaces or control characters; path must
 * start with '/'; port 0; a bad pid), or -ENOENT/-EACCES for
 * /proc/<pid>/ns/net.
 */
int pi_http_get(int pid, const struct pi_prefix *addr, unsigned port, const char *host, const char *path,
		unsigned timeout_ms, struct pi_http_result *out);
/* The same from inside the netns behind nsfd (not taken over). */
int pi_http_get_fd(int nsfd, const struct pi_prefix *addr, unsigned port, const char *host, const char *path,
		   unsigned timeout_ms, struct pi_http_result *out);

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
