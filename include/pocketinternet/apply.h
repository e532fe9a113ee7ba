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

/*
 * External speakers on a running lab (src/apply/attach.c; docs/testing-bgp.md).
 * Speakers added by attach are kept in the lab's state (externals.json) and
 * merged into the lab wherever the running lab is planned. Both calls
 * reconcile the running lab (pins: pi_apply_load_pins) to the lab with the
 * speaker added or removed: its neighbour is reconfigured, every other
 * container keeps its ID. 0, or a negative errno with diag filled (an
 * unknown pod or speaker with near matches, an ASN in use, a lab that does
 * not run, a speaker of the lab file, which only the file removes).
 */
int pi_apply_attach(struct pi_backend *b, struct pi_lab *lab, const struct pi_plan_pins *pins,
		    const struct pi_lab_external *ext, const struct pi_apply_opts *opts, struct pi_apply_result *res,
		    struct pi_diag *diag);
int pi_apply_detach(struct pi_backend *b, struct pi_lab *lab, const struct pi_plan_pins *pins, const char *name,
		    const struct pi_apply_opts *opts, struct pi_apply_result *res, struct pi_diag *diag);
/* Adds the speakers stored in the lab's state to lab (ones the lab file
 * also names are skipped: the file wins). 0 when there are none. */
int pi_apply_externals_load(const char *state_root, struct pi_lab *lab, struct pi_diag *diag);
/* The same from text (file names it in diagnostics); fuzzed. */
int pi_apply_externals_from_json(const char *text, size_t len, const char *file, struct pi_lab *lab,
				 struct pi_diag *diag);

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

/* ---- verify: does the whole Internet work? (verify.c, verify_reach.c) ---- */

enum pi_verify_part { PI_VERIFY_REACH4 = 1, PI_VERIFY_DNS = 2, PI_VERIFY_HTTP = 4, PI_VERIFY_POLICY = 8,
		      PI_VERIFY_REACH6 = 16, PI_VERIFY_REACH = PI_VERIFY_REACH4 | PI_VERIFY_REACH6, PI_VERIFY_ALL = 31 };
/* One family's reachability matrix, over plan node indexes. */
struct pi_verify_reach {
	uint8_t family;
	struct pi_prefix *addr;  /* per node: the address it is pinged at (unset: none) */
	bool *target, *source;   /* per node */
	const char **why_not;    /* per node: why it is not a target (static text), or NULL */
	bool *down;              /* per node: a source that could not ping (stopped) */
	bool *ok;                /* [source * n_nodes + target]: the target answered */
	uint32_t *island;        /* per pod: pods with the same value are joined by sessions of the family */
	unsigned n_sources, n_targets;
	unsigned long pairs, failed;
	unsigned long unexpected; /* pairs in different islands: no route of the family can join them */
	double seconds;
};
/* One DNS or HTTP check: who asked what, and how it went. */
struct pi_verify_check {
	uint32_t node;       /* who asked (resolver, subscriber) */
	uint32_t target;     /* the node asked about (a web server, a zone's server), or PI_NONE */
	char what[200];      /* "A www.content1.pocket.", "GET http://... over IPv6" */
	bool ok;
	char detail[200];    /* the answer, or what went wrong */
};
struct pi_verify {
	unsigned parts;                   /* what was checked */
	struct pi_vec dns, http;          /* struct pi_verify_check */
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
 * pi_verify_free. DNS: every resolver resolves a sample of every zone (an A,
 * an AAAA, a PTR, or its SOA) and a DNS64 answer for an IPv6-only
 * subscriber; HTTP: every subscriber fetches every web server's page by
 * name over each family it has (NAT64 for the IPv6-only), and the CDN name
 * from one of its anycast instances. 0, or -errno when it could not check at all. */
int pi_apply_verify(struct pi_backend *b, const struct pi_plan *plan, unsigned parts, unsigned parallel,
		    struct pi_verify *out, struct pi_diag *diag);
void pi_verify_free(struct pi_verify *v);
/* Is the pair (s, t) expected to answer: a source and a target in the same island? */
bool pi_verify_reach_expected(const struct pi_plan *p, const struct pi_verify_reach *r, uint32_t s, uint32_t t);

/* ---- monitor: watching paths and reporting failures (monitor.c, monitor_detect.c) ---- */
/*
 * `pocketinternet monitor` (docs/observe.md, "monitor"). The live part
 * (monitor.c) probes every pair each interval; the detection
 * (monitor_detect.c) is pure: it is fed one observation per pair and the
 * sessions' states per interval, and turns them into events.
 */
#define PI_MON_MAX_PATH 32
enum pi_mon_check { PI_MON_LOSS, PI_MON_LATENCY, PI_MON_PATH, PI_MON_DNS, PI_MON_HTTP, PI_MON_SESSION,
		    PI_MON_CHECKS };
const char *pi_mon_check_name(enum pi_mon_check c); /* "loss", "latency", "path", "dns", "http", "session" */

/* A pair's path as pods: BGP's (the vantage's pod, then the AS path's) and the traceroute's. */
struct pi_mon_path {
	bool as_known;       /* the border router's RIB was read */
	bool as_route;       /* ... and a route covers the target (else as_pods is empty: no route) */
	uint32_t as_pods[PI_MON_MAX_PATH];
	unsigned n_as;
	bool trace_known;    /* a traceroute ran this interval */
	bool trace_reached;  /* ... and reached the target */
	uint32_t trace_pods[PI_MON_MAX_PATH];
	unsigned n_trace;
};
/* Two paths differ where both are known (BGP: its route or pods; traceroute: its pods or whether it arrived). */
bool pi_mon_path_differs(const struct pi_mon_path *a, const struct pi_mon_path *b);

/* What one pair saw in one interval. A check not run (sent 0, *_checked false) changes nothing. */
struct pi_mon_obs {
	unsigned sent, received; /* ICMP echoes */
	double rtt_ms;           /* their mean round trip, when received > 0 */
	bool dns_checked, dns_ok;
	bool http_checked, http_ok;
	char dns_detail[128], http_detail[128]; /* the answer or what went wrong */
	struct pi_mon_path path;
};
/* A watched pair: a vantage node and a target node, probed at addr. */
struct pi_mon_pair {
	uint32_t from, to;
	struct pi_prefix addr;
	bool web;      /* the target serves HTTP */
	char name[256]; /* the target's DNS name ("" when it has none) */
};
/* A planned BGP session, as detection needs it: its name and the pods at its ends. */
struct pi_mon_session {
	char name[64];
	uint32_t pod[2];
};
struct pi_mon_detect_opts {
	double loss_pct;        /* loss over this opens a loss event; 0: 50 */
	double latency_ms;      /* an RTT over this opens a latency event; 0: only the baseline factor */
	double baseline_factor; /* ... or over this times the pair's baseline median; 0: 5 */
	unsigned baseline_min;  /* samples before the baseline is used; 0: 3 */
	unsigned settle;        /* intervals a new path must work before it is the pair's normal; 0: 3 */
	const char *const *pod_names;  /* for paths in text and JSON; NULL: pod numbers */
	const char *const *node_names; /* for pairs; NULL: node numbers */
};
struct pi_mon_event {
	unsigned id;              /* 1, 2, ... */
	double start;             /* the time given to the step that opened it */
	double recovered_at;      /* 0 while open */
	enum pi_mon_check check;
	int pair;                 /* index into the pairs; -1 for a session event */
	uint32_t from, to;        /* the pair's nodes (PI_NONE for a session event) */
	uint32_t session;         /* a session event's session; else the session that explains it, PI_NONE */
	char what[200];           /* what failed, in words ("loss 100% (0 of 3 echoes)") */
	char explain[256];        /* the BGP change that explains it, "" when none is known */
	struct pi_mon_path last_good, first_bad;
};
struct pi_mon_detect;
/* pairs and sessions are copied. NULL opts: the defaults. */
struct pi_mon_detect *pi_mon_detect_new(const struct pi_mon_pair *pairs, size_t n_pairs,
					const struct pi_mon_session *sessions, size_t n_sessions,
					const struct pi_mon_detect_opts *opts);
void pi_mon_detect_free(struct pi_mon_detect *d);
/*
 * Feeds one interval at time now: obs[n_pairs] and, per session,
 * whether it is Established (NULL: not known this interval). Appends a
 * copy (struct pi_mon_event) of every event opened or recovered by it to
 * out (recovered ones have recovered_at set). The first interval with
 * session states is their baseline: a session already down then is no
 * event. Returns how many were appended.
 */
size_t pi_mon_detect_step(struct pi_mon_detect *d, double now, const struct pi_mon_obs *obs, const bool *sessions_up,
			  struct pi_vec *out);
/* Events still open (struct pi_mon_event copies appended to out); their count. */
size_t pi_mon_detect_open(const struct pi_mon_detect *d, struct pi_vec *out);
/* Per pair: RTT samples, their mean and max, and events opened. */
struct pi_mon_pair_stats {
	unsigned samples, events;
	double mean_ms, max_ms;
};
void pi_mon_detect_stats(const struct pi_mon_detect *d, size_t pair, struct pi_mon_pair_stats *out);
/* The event as one line of JSON (no newline; malloc'd), with names from opts. */
char *pi_mon_event_json(const struct pi_mon_detect *d, const struct pi_mon_event *e);
/* The event as one line of text for a terminal (no newline). */
void pi_mon_event_text(const struct pi_mon_detect *d, const struct pi_mon_event *e, char *buf, size_t len);

/*
 * The pairs to watch: from and to are comma lists of node or pod names
 * (a pod stands for its nodes of the kind: from, its subscribers; to,
 * its web servers and resolvers); NULL: from one subscriber of every stub
 * pod with subscribers (one with IPv4 and IPv6 when it has one), to every
 * web server and every resolver. A pair's address is the target's IPv4
 * address when both ends have IPv4 (the vantage's may be CGNAT), else its
 * IPv6. Appends struct pi_mon_pair to out; -ENOENT (diag names the near
 * matches) for an unknown name, -EINVAL when no pair is left.
 */
int pi_monitor_pairs(const struct pi_plan *plan, const char *from, const char *to, struct pi_vec *out,
		     struct pi_diag *diag);

struct pi_monitor_opts {
	double interval_s;        /* 0: 5 */
	const char *from, *to;    /* pi_monitor_pairs */
	struct pi_mon_detect_opts detect;
	unsigned parallel;        /* 0: 8 */
	unsigned max_intervals;   /* 0: until *cancel */
	volatile int *cancel;     /* set from a SIGINT handler: stop after the interval */
	/* Every event opened or recovered, as it happens (e's JSON in json). */
	void (*event)(void *ctx, const struct pi_mon_detect *d, const struct pi_mon_event *e, const char *json);
	/* After every interval (may be NULL): reap children, flush. */
	void (*tick)(void *ctx, unsigned interval);
	void *ctx;
};
struct pi_monitor_result {
	struct pi_vec pairs;          /* struct pi_mon_pair */
	struct pi_vec stats;          /* struct pi_mon_pair_stats, per pair */
	unsigned intervals, events, open;
};
/*
 * Watches the running lab until cancelled (or max_intervals): per pair and
 * interval, pi_apply_paths_live from the vantage (the AS path from its
 * pod's border router's RIB, and a traceroute whose echoes at the target's
 * hop are the pair's loss and RTT), a DNS query for the target's name
 * through the vantage's resolver, and an HTTP GET of a web target by name;
 * per interval pi_apply_status for the sessions. Events go to o->event.
 * 0 (res filled; free with pi_monitor_result_free), or -errno with diag.
 */
int pi_apply_monitor(struct pi_backend *b, const struct pi_plan *plan, const struct pi_monitor_opts *o,
		     struct pi_monitor_result *res, struct pi_diag *diag);
void pi_monitor_result_free(struct pi_monitor_result *r);

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
/* ---- a capture in the background, into a file (capture_job.c) ---- */
/*
 * The capture above on a thread of its own, writing pcapng to a file: its
 * header first, then each packet block with one write(2) as it comes, so
 * that the file's first file_bytes bytes are always a whole pcapng file
 * (serve that prefix while it runs). For the web page's captures.
 */
struct pi_capture_job;
struct pi_capture_job_stats {
	bool running;        /* false once stopped, or ended by an error */
	uint64_t packets;    /* written to the file */
	uint64_t bytes;      /* their length on the wire */
	uint64_t file_bytes; /* the file's length in whole blocks */
	int error;           /* 0, or the -errno that ended it (a write failed) */
};
/*
 * Captures on node's interface iface (NULL: all the node's interfaces in
 * the plan) of the running lab, through filter (pcap-filter(7), NULL:
 * every packet), into path (created or truncated, mode 0600, not through
 * a symlink). Refuses as pi_apply_capture_open does, before anything
 * runs: unknown names with near matches (-ENOENT), a stopped node
 * (-ESRCH), a bad filter (-EINVAL). Needs root.
 */
int pi_apply_capture_job_start(struct pi_backend *b, const struct pi_plan *plan, const char *node, const char *iface,
			       const char *filter, const char *path, struct pi_capture_job **out, struct pi_diag *diag);
/* The same on explicit interfaces (tests). */
int pi_apply_capture_job_start_targets(const struct pi_capture_target *t, size_t n, const char *filter,
				       const char *path, struct pi_capture_job **out, struct pi_diag *diag);
/* A snapshot; safe from any thread while the job exists. */
void pi_apply_capture_job_stats(const struct pi_capture_job *j, struct pi_capture_job_stats *st);
/* Stops the capture (within about 100 ms) and joins its thread; the file
 * stays. 0, or the error that had ended it. Repeating it is fine. */
int pi_apply_capture_job_stop(struct pi_capture_job *j);
/* Stops if needed, closes the file and frees j (NULL is fine). */
void pi_apply_capture_job_free(struct pi_capture_job *j);

/* ---- a terminal in a node (term.c) ---- */
#define PI_TERM_MAX 4096 /* columns and rows at most */
/*
 * Opens a login shell (bash -l where the node has bash, else sh -l) with
 * TERM=xterm-256color on a cols x rows terminal in node (a plan name) of
 * the running lab: pi_tty_fd(*out) carries its raw bytes both ways (see
 * the backend's tty_open). -ENOENT with the near matches for an unknown
 * name, or when the lab is not up; -ESRCH for a stopped node; -EINVAL for
 * a size out of range.
 */
int pi_apply_term_open(struct pi_backend *b, const struct pi_plan *plan, const char *node, unsigned cols,
		       unsigned rows, struct pi_tty **out, struct pi_diag *diag);
int pi_apply_term_resize(struct pi_backend *b, struct pi_tty *t, unsigned cols, unsigned rows, struct pi_diag *diag);
/* Ends the shell (a hang-up; nothing it ran in the foreground lingers) and
 * frees t. Returns the shell's exit status when it had ended by itself,
 * else -1. NULL is fine. */
int pi_apply_term_close(struct pi_backend *b, struct pi_tty *t);
/*
 * Relays a user's own terminal to t (`shell`): what in_fd gives goes to
 * the session, what the session writes goes to out_fd, until the session
 * ends (0) or in_fd does (0). Whenever *winch changes (a SIGWINCH handler
 * counts; may be NULL) the session takes out_fd's size (TIOCGWINSZ); once
 * *cancel is set (SIGHUP, SIGTERM; may be NULL) it returns -ECANCELED. The
 * caller puts the terminal in raw mode and closes t after. 0 or -errno.
 */
int pi_apply_term_relay(struct pi_backend *b, struct pi_tty *t, int in_fd, int out_fd, volatile int *winch,
			volatile int *cancel);

/* ---- the looking glass (lg.c) ---- */
/* One candidate route at a router, explained (render's pi_rib_why and pi_rib_large_meaning). */
struct pi_lg_route {
	struct pi_rib_route r;
	uint32_t session;  /* the plan session it was learned over (by the daemon's name), PI_NONE */
	uint32_t neighbor; /* the node at that session's other end, PI_NONE */
	uint32_t origin_pod; /* the pod of the AS path's origin (the router's own pod for an empty
			      * path or a route of its own), PI_NONE when outside the lab */
	enum pi_rib_crit crit; /* not best: the first criterion on which its network's best route wins */
	/* BGP routes of a lab with RPKI: the origin's validation state against the
	 * plan's ROAs (the VRPs the lab's cache serves; pi_plan_roa_state), as a
	 * validating router sees it; PI_ROA_NONE otherwise. */
	enum pi_roa_state rpki;
	char why[256];         /* "best", or the reason it lost, e.g. "local preference 200 (customer) beats 100 (peer)" */
	char comm[PI_RIB_MAX_COMM][128]; /* what r.large[i] means here, or the community raw */
	bool comm_known[PI_RIB_MAX_COMM]; /* comm[i] is a meaning (the lab's), not raw */
};
/*
 * The routes node's router daemon holds, read over its control socket
 * (the table's rib_cmd, parse_rib, sessions_all_cmd): dst an address gives
 * the routes of its best matching network, a prefix that network's (the
 * daemon's "for" lookup), NULL every route of both families. Appends
 * struct pi_lg_route to out, a network's routes together, best first.
 * -ENOTSUP when node runs no router daemon (diag names its gateway),
 * -ESRCH/-ENOENT when it does not run, -errno when the daemon cannot be asked.
 */
int pi_apply_lg_routes(struct pi_backend *b, const struct pi_plan *plan, uint32_t node, const struct pi_prefix *dst,
		       struct pi_vec *out, struct pi_diag *diag);
/* A router's size, read over its control socket (routerstat.c). */
struct pi_router_stat {
	uint64_t networks4, networks6;      /* networks in its IPv4 and IPv6 tables */
	uint64_t mem_effective, mem_overhead; /* the daemon's own memory, bytes */
};
/* 0, -ENOTSUP (no router daemon), -ESRCH/-ENOENT (not running), -EPROTO (a reply not understood),
 * or -errno; diag says which. */
int pi_apply_router_stat(struct pi_backend *b, const struct pi_plan *plan, uint32_t node, struct pi_router_stat *out,
			 struct pi_diag *diag);
/* One BGP session of a router: what its daemon says, and what the plan says it is. */
struct pi_lg_session {
	struct pi_bgp_state st; /* st.state "absent" when the plan has it but the daemon does not */
	uint32_t session;	/* plan session, PI_NONE when the daemon has one the plan lacks */
	uint32_t neighbor;	/* the node at its other end, PI_NONE */
	enum pi_rel rel;	/* what that neighbour is to node */
	uint8_t family;		/* PI_AF_V4 / PI_AF_V6 */
};
/* node's BGP sessions (struct pi_lg_session into out): the daemon's in its order, then the
 * planned ones it does not report. Errors as pi_apply_lg_routes. */
int pi_apply_lg_sessions(struct pi_backend *b, const struct pi_plan *plan, uint32_t node, struct pi_vec *out,
			 struct pi_diag *diag);

/* ---- a native traceroute (probe.c) ---- */
#define PI_TROUTE_MAX_PROBES 8
enum pi_troute_reply {
	PI_TROUTE_NONE,		/* no answer to any probe ("*") */
	PI_TROUTE_TIME_EXCEEDED, /* a router on the way */
	PI_TROUTE_ECHO_REPLY,	/* the destination */
	PI_TROUTE_UNREACHABLE,	/* a router (or the destination) said it cannot deliver: the trace ends */
};
const char *pi_troute_reply_name(enum pi_troute_reply r); /* "none", "time-exceeded", "echo-reply", "unreachable" */
struct pi_troute_hop {
	unsigned ttl;		   /* 1, 2, ...: the hop limit of its probes */
	struct pi_prefix addr;	   /* who answered (host length); unset when nobody did */
	enum pi_troute_reply reply;
	uint8_t icmp_code;	   /* of an unreachable */
	unsigned probes, answers;  /* sent, and answered */
	double rtt_ms[PI_TROUTE_MAX_PROBES]; /* per probe, < 0 unanswered */
	uint32_t node, iface, pod; /* the plan's holder of addr (pi_apply_traceroute), else PI_NONE */
};
struct pi_troute_opts {
	unsigned max_hops;	/* 0: 30 (at most 64) */
	unsigned timeout_ms;	/* how long to wait for answers after the probes went out; 0: 2000 */
	unsigned probes;	/* per hop, 0: 3 (at most PI_TROUTE_MAX_PROBES) */
	struct pi_prefix src;	/* source address (bound); unset: the kernel's choice */
};
struct pi_nl;
/*
 * ICMP echo traceroute from inside nl's network namespace to dst (an
 * address; its family picks ICMP or ICMPv6): raw sockets made in the netns
 * (pi_nl_socket), every probe of every hop limit 1..max_hops sent at once
 * with IP_TTL / IPV6_UNICAST_HOPS, answers (time exceeded, unreachable,
 * echo reply) matched by ICMP id and sequence. out[0..*n) gets one entry
 * per hop limit up to the first that reached dst (or said unreachable),
 * else max_hops entries. 0 when dst answered, -EHOSTUNREACH when an
 * unreachable ended it, -ETIMEDOUT when dst never answered, -errno when
 * the probe could not be sent (-EINVAL: dst not an address).
 */
int pi_troute_run(struct pi_nl *nl, const struct pi_prefix *dst, const struct pi_troute_opts *o, struct pi_troute_hop *out,
		 size_t max_out, size_t *n);
/*
 * pi_troute_run from node of the running lab (in its netns, through
 * /proc/<pid>/ns/net), from o->src when set, else from a router's loopback
 * of dst's family (other nodes' loopbacks are not routed: the kernel's
 * choice). Each hop's
 * address is mapped to its node, interface and pod in the plan. Returns as
 * pi_troute_run, or -ESRCH/-ENOENT (with diag) when node does not run.
 */
int pi_apply_traceroute(struct pi_backend *b, const struct pi_plan *plan, uint32_t node, const struct pi_prefix *dst,
			const struct pi_troute_opts *o, struct pi_troute_hop *out, size_t max_out, size_t *n,
			struct pi_diag *diag);

/* ---- paths between two nodes, live (paths.c) ---- */
#define PI_PATHS_MAX_HOPS 32
/* One family's view: what BGP chose at the source's border router and where packets went. */
struct pi_paths_family {
	uint8_t family;		/* PI_AF_V4 or PI_AF_V6 */
	struct pi_prefix dst;	/* the address traced and looked up; unset: DST has none of this family */
	uint32_t dst_node;	/* the node holding it: DST, or its gateway when DST has only a CGNAT address */
	/* (c) BGP */
	uint32_t border;	/* the router whose RIB was read (pi_plan_pod_border of SRC), PI_NONE */
	int bgp_rc;		/* 0: read; -errno: could not ask (why in diag) */
	bool bgp_found;		/* a best route covers dst */
	struct pi_rib_route best; /* that route */
	uint32_t bgp_pods[PI_RIB_MAX_PATH + 1]; /* SRC's pod, then the AS path's pods (prepends once) */
	unsigned n_bgp_pods;	/* 0 when an ASN of the path is no pod of the lab */
	char why[256];		/* why BGP's path is not the shortest allowed one (pi_plan_as_path_why), "" when it is */
	/* (d) traceroute from SRC */
	int trace_rc;		/* pi_apply_traceroute's */
	struct pi_troute_hop hops[PI_PATHS_MAX_HOPS];
	size_t n_hops;
	uint32_t trace_pods[PI_PATHS_MAX_HOPS]; /* pods the answering hops belong to, in order, repeats once */
	unsigned n_trace_pods;
	bool trace_matches_bgp; /* the traceroute's pods are BGP's AS path (SRC's pod first) */
};
/*
 * The live parts of `paths SRC DST` for IPv4 ([0]) and IPv6 ([1]): the
 * best route for DST's address in the RIB of SRC's pod's border router,
 * as pods, compared with the shortest allowed AS path (as_paths from
 * pi_plan_as_paths, may be NULL), and a traceroute from SRC. DST's address
 * of a family: a router's loopback, else its first interface address; a CGNAT
 * (100.64.0.0/10) address is not reachable from other pods, so its
 * gateway's loopback stands in. Problems of one part (a stopped router, a
 * daemon that does not answer) are in diag and that part's rc; the
 * return value is 0 unless SRC itself does not run (-ESRCH/-ENOENT).
 */
int pi_apply_paths_live(struct pi_backend *b, const struct pi_plan *plan, uint32_t src, uint32_t dst,
			const struct pi_plan_paths *as_paths, const struct pi_troute_opts *trace,
			struct pi_paths_family out[2], struct pi_diag *diag);

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

/*
 * The kernel's ARP and NDP tables are shared by every namespace of the host
 * and capped by net.ipv{4,6}.neigh.default.gc_thresh3 (1024 by default),
 * which a 40-pod lab's IPv6 alone exceeds. pi_plan_neigh_need estimates a
 * plan's entries; _raise records the lab's need in
 * <state_root>/host-neigh.json and raises gc_thresh2/3 (under proc_root,
 * NULL: /proc/sys) to fit every recorded lab, never lowering them; _release
 * forgets a lab (NULL: all) and, when none is left, restores the values the
 * first raise found. Setup and teardown call them for backends whose nodes
 * share the host's kernel. 0 or -errno with a diagnostic.
 */
struct pi_neigh_need {
	unsigned v4, v6;
};
void pi_plan_neigh_need(const struct pi_plan *plan, struct pi_neigh_need *out);
int pi_apply_host_neigh_raise(const struct pi_plan *plan, const char *proc_root, const char *state_root,
			      struct pi_diag *diag);
int pi_apply_host_neigh_release(const char *lab, const char *proc_root, const char *state_root,
				struct pi_diag *diag);
/* ---- teams and exercise pods (save.c, check.c; docs/workshop.md) ---- */
/*
 * A team's work is its exercise pods' router configs. save copies them out
 * of the nodes into <state root>/saves/<lab>/<owner>/<stamp>/<node>/ (owner:
 * the team, or the pod when one pod is saved; stamp: UTC, e.g.
 * 20261130T214000Z), outside the lab's state directory so teardown keeps
 * it; restore writes a save back and reconfigures the daemons; reset puts
 * the rendered (skeleton) config back. Only nodes of the pods asked for are
 * read or written, by their plan names.
 */
#define PI_SAVE_STAMP_MAX 32
struct pi_save_opts {
	const char *state_root; /* NULL: pi_state_root() */
	const char *pod;        /* one pod, or ... */
	const char *team;       /* ... every pod of a team (exactly one of the two) */
	const char *copy_dir;   /* save: also copy the save here (-o), NULL: no */
	const char *from;       /* restore: a stamp of the owner's saves, or a directory; NULL: the latest */
	const char *stamp;      /* save: NULL: now (tests pass one) */
};
struct pi_save_result {
	char owner[64];                    /* team or pod */
	char stamp[PI_SAVE_STAMP_MAX];
	char dir[4096];                    /* the save's directory */
	unsigned nodes, files;             /* saved, restored or reset */
	unsigned reconfigured;             /* daemons told to reread their config */
	struct pi_vec not_reconfigured;    /* char[128] each: "node: why" (stopped, refused) */
};
void pi_save_result_init(struct pi_save_result *r);
void pi_save_result_free(struct pi_save_result *r);
/* The pods opts names (uint32_t into out); -ENOENT with a hint when the pod
 * or team is unknown, -EINVAL when neither or both are given. */
int pi_apply_exercise_pods(const struct pi_plan *plan, const struct pi_save_opts *o, struct pi_vec *out,
			   struct pi_diag *diag);
int pi_apply_save(struct pi_backend *b, const struct pi_plan *plan, const struct pi_save_opts *o,
		  struct pi_save_result *res, struct pi_diag *diag);
int pi_apply_restore(struct pi_backend *b, const struct pi_plan *plan, const struct pi_save_opts *o,
		     struct pi_save_result *res, struct pi_diag *diag);
/* Every router node of the pods back to what render makes (the skeleton
 * for exercise pods), then reconfigured. */
int pi_apply_reset(struct pi_backend *b, const struct pi_plan *plan, const struct pi_save_opts *o,
		   struct pi_save_result *res, struct pi_diag *diag);
/* The current router daemon config of node (*file: "bird.conf"), read as
 * save reads it (from the running node, else its config directory under
 * state_root, NULL: pi_state_root()); *out is malloc'd. -ENOENT for a node
 * without a router daemon. 0 or -errno with a diagnostic. */
int pi_apply_node_config(struct pi_backend *b, const struct pi_plan *plan, uint32_t node, const char *state_root,
			 const char **file, char **out, size_t *len, struct pi_diag *diag);
struct pi_save_entry {
	char owner[64];
	char stamp[PI_SAVE_STAMP_MAX];
	unsigned nodes;
};
/* The lab's saves (struct pi_save_entry into out), by owner then stamp;
 * owner NULL: every owner. A lab never saved has none (0). */
int pi_apply_save_list(const char *state_root, const char *lab, const char *owner, struct pi_vec *out,
		       struct pi_diag *diag);

/* A team and how it logs in (`pocketinternet teams`). */
struct pi_team_info {
	const char *name;
	struct pi_vec pods;  /* uint32_t */
	const char *web;     /* how the team logs in on the web page */
	const char *ssh;     /* ... and over SSH */
};
/* The plan's teams in first-pod order (struct pi_team_info into out; free
 * each one's pods). */
void pi_apply_teams(const struct pi_plan *plan, struct pi_vec *out);
void pi_apply_teams_free(struct pi_vec *teams);

/* ---- SSH per team (sshgw.c, sshkey.c; docs/security.md) ---- */
/*
 * The gateway listens on one TCP port per team (base + the team's index in
 * pi_apply_teams order) and runs, for each connection, `sshd -i` inside
 * the team's border router through the backend's exec_stream, relaying
 * the bytes. No network path joins the host and the lab.
 */
#define PI_SSHGW_BASE_PORT 2200
struct pi_sshgw_opts {
	const char *listen;       /* an IPv4 or IPv6 address; NULL: 127.0.0.1 */
	unsigned base_port;       /* 0: PI_SSHGW_BASE_PORT */
	bool any_port;            /* tests: every port chosen by the kernel */
	const char *const *argv;  /* tests: run this instead of sshd -i (argc words) */
	size_t argc;
};
struct pi_sshgw;
/* The team's landing node: the border router of its first pod that has one. */
uint32_t pi_apply_team_entry(const struct pi_plan *plan, const struct pi_team_info *t);
/* Binds every team's port (nothing is accepted before pi_sshgw_run).
 * -ENOENT when the lab has no teams, -EADDRINUSE etc. with a diagnostic. */
int pi_sshgw_start(struct pi_backend *b, const struct pi_plan *plan, const struct pi_sshgw_opts *o,
		   struct pi_sshgw **out, struct pi_diag *diag);
size_t pi_sshgw_teams(const struct pi_sshgw *g);
/* Team i's port, name and landing node. */
int pi_sshgw_port(const struct pi_sshgw *g, size_t team, const char **name, const char **node);
/* Accepts and relays until pi_sshgw_stop; then ends every connection. */
int pi_sshgw_run(struct pi_sshgw *g);
/* Async-signal-safe: a flag and a pipe write. */
void pi_sshgw_stop(struct pi_sshgw *g);
void pi_sshgw_free(struct pi_sshgw *g);

/* OpenSSH public keys, one "TYPE BASE64 [COMMENT]" line each (blank
 * lines and # comments skipped; no options): each key's blob must decode
 * and name its type. The keys, one per line, into out. 0, or -EINVAL with
 * the line of the first bad key. Fuzzed (tests/fuzz/fuzz_sshkey.c). */
int pi_apply_ssh_keys_parse(const char *text, size_t len, struct pi_buf *out, struct pi_diag *diag);
/* Checks and keeps team's keys (<state_dir>/ssh/<team>.keys, 0600) and
 * writes them into its running nodes (*pushed of them; stopped ones get
 * them from pi_apply_team_ssh_keys_push later). 0 or -errno. */
int pi_apply_team_ssh_key_set(struct pi_backend *b, const struct pi_plan *plan, const char *state_dir,
			      const char *team, const char *text, size_t len, unsigned *pushed, struct pi_diag *diag);
/* password's yescrypt hash ("$y$...", a fresh salt) into out. 0 or -EINVAL. */
int pi_apply_ssh_password_hash(const char *password, char *out, size_t len);
/* Team's SSH password (12 characters at least): its hash is kept
 * (<state_dir>/ssh/<team>.hash, 0600) and set as root's password in the
 * team's running nodes (chpasswd -e). The password is not kept. */
int pi_apply_team_ssh_password_set(struct pi_backend *b, const struct pi_plan *plan, const char *state_dir,
				   const char *team, const char *password, unsigned *pushed, struct pi_diag *diag);
/* Every team's kept keys and password hash into its running nodes (the gateway's start). */
int pi_apply_team_ssh_keys_push(struct pi_backend *b, const struct pi_plan *plan, const char *state_dir,
				unsigned *pushed, struct pi_diag *diag);

/* ---- check: grading an exercise pod (check.c) ---- */
enum pi_check_kind {
	PI_CHECK_SESSION,    /* a planned eBGP session is Established */
	PI_CHECK_ANNOUNCED,  /* the pod's prefix is in another AS's RIB */
	PI_CHECK_REACH,      /* the pod's nodes reach and are reached from everywhere */
	PI_CHECK_LOCAL_PREF, /* routes learned over eBGP get the relationship's local preference */
	PI_CHECK_EXPORT,     /* exports to peers and providers: own prefixes and customers' only */
	PI_CHECK_VALLEY,     /* no route in the lab's RIBs passed through the pod as a valley */
	PI_CHECK_FILTER,     /* routes from customers and peers lie in their customer cones */
};
const char *pi_check_kind_name(enum pi_check_kind k); /* "session", "announced", ... */
struct pi_check_item {
	uint32_t pod;
	enum pi_check_kind kind;
	bool pass;
	char what[160];   /* "session ebgp_transit2_red_isp_v4 with provider transit2-border2" */
	char detail[256]; /* what was found */
	char hint[256];   /* what to do when it fails, "" when it passes */
};
struct pi_check_result {
	struct pi_vec items; /* struct pi_check_item, pod by pod */
	unsigned passed, failed;
};
void pi_check_result_init(struct pi_check_result *r);
void pi_check_result_free(struct pi_check_result *r);
/* Grades pods[0..n) of the running lab: every planned eBGP session of
 * their routers Established (pi_apply_lg_sessions), their aggregates in
 * the RIB of every neighbour AS and of every transit pod, every pair of
 * nodes involving the pod reachable (pi_apply_verify, IPv4 and IPv6), the
 * local preference of every eBGP route by relationship, routes from
 * customers and peers within their cones (import filters), the export counts
 * to peers and providers within the pod's cone, and no policy violation
 * through the pod (pi_apply_policy_check). 0 when it could grade (look at
 * res->failed), -errno when it could not ask at all. */
int pi_apply_check(struct pi_backend *b, const struct pi_plan *plan, const uint32_t *pods, size_t n,
		   struct pi_check_result *res, struct pi_diag *diag);
/* The pure part, for tests: the items for node's sessions as its daemon
 * reported them (struct pi_lg_session). */
void pi_check_sessions(const struct pi_plan *plan, uint32_t node, const struct pi_vec *sessions,
		       struct pi_check_result *res);
/* ... and for its eBGP routes (struct pi_lg_route): local preference by relationship, ... */
void pi_check_local_pref(const struct pi_plan *plan, uint32_t node, const struct pi_vec *routes,
			 struct pi_check_result *res);
/* ... and import filters: every route held from a customer or a peer
 * originates in that neighbour's customer cone (a leak a neighbour makes,
 * e.g. a trainer's incident, stops at a pod whose filters are in place). */
void pi_check_import_filters(const struct pi_plan *plan, uint32_t node, const struct pi_vec *routes,
			     struct pi_check_result *res);

#endif
