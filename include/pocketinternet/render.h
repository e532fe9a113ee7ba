/*
 * render: plan in, text out. Pure: no I/O, no clock, no randomness. Each
 * node gets a set of files, written by the CLI under DIR/<node>/ and bind-
 * mounted read-only into the node's container by the backend.
 *
 * Paths inside a node's set are relative and mirror where the file is used
 * in the container, under /etc/pocketinternet/ (see docs/render.md):
 *   bird.conf, unbound.conf, zones/<zone>.zone, dnsmasq.conf, nft.conf,
 *   tayga.conf, www/index.html, lighttpd.conf, resolv.conf, hosts,
 *   root.hints, start.sh (run by the backend to start the node's daemons).
 */
#ifndef POCKETINTERNET_RENDER_H
#define POCKETINTERNET_RENDER_H

#include <stdbool.h>
#include <stddef.h>
#include "plan.h"
#include "util.h"

/* Where a node's rendered directory is mounted inside its container. */
#define PI_NODE_CONF_DIR "/etc/pocketinternet"
/* An external speaker's writable directory: config/ in its set (written
 * only when absent, so the tester's edits stay), mounted read-write here. */
#define PI_SPEAKER_SUBDIR "config"
#define PI_SPEAKER_DIR "/config"
/* Where start.sh and the daemons log, and keep pid files and sockets. */
#define PI_NODE_LOG_DIR "/var/log/pocketinternet"
#define PI_NODE_RUN_DIR "/run/pocketinternet"
/* The NAT64 well-known prefix (RFC 6052); see pi_render_nat64_prefix. */
#define PI_NAT64_PREFIX "64:ff9b::/96"

/*
 * Routing policy constants (docs/routing-policy.md). Every route learned
 * over eBGP is tagged with the large community (ASN, PI_LC_REL, kind) of
 * the AS that learned it and gets the matching local preference.
 */
#define PI_LC_REL 1
enum pi_lc_kind {
	PI_LC_FROM_CUSTOMER = 1,
	PI_LC_FROM_PEER = 2, /* private peers and route servers */
	PI_LC_FROM_PROVIDER = 3,
};
#define PI_LP_CUSTOMER 200
#define PI_LP_PEER 100
#define PI_LP_PROVIDER 50

/*
 * Paths the rendered files name. The defaults are the container's view;
 * the checker tests point them at a temporary directory so that the
 * daemons' own checkers can load the files on the host.
 */
struct pi_render_opts {
	const char *conf_dir; /* PI_NODE_CONF_DIR */
	const char *log_dir;  /* PI_NODE_LOG_DIR */
	const char *run_dir;  /* PI_NODE_RUN_DIR: pid files, control sockets, tayga's data dir */
};
void pi_render_opts_default(struct pi_render_opts *o);
/* sshd_config of a node of a team's pod (sshd.c; docs/security.md): the
 * team's keys from <run_dir>/ssh/authorized_keys or root's password; the
 * host key under run_dir; no forwarding but the agent. */
void pi_render_sshd_config(const struct pi_plan *plan, uint32_t node, const struct pi_render_opts *o, struct pi_buf *b);
/* The sshd the gateway runs in inetd mode inside a node. */
#define PI_NODE_SSHD "/usr/sbin/sshd"

struct pi_render_file {
	char *path; /* relative to the node's directory, owned */
	char *data; /* owned, NUL-terminated */
	size_t len;
	unsigned mode; /* 0644 or 0755 */
};

struct pi_render_set {
	struct pi_vec files; /* struct pi_render_file */
};

void pi_render_set_init(struct pi_render_set *s);
void pi_render_set_free(struct pi_render_set *s);
/* Adds a file, taking ownership of buf's contents (buf is reset). */
void pi_render_set_add(struct pi_render_set *s, const char *path, struct pi_buf *buf, unsigned mode);

/* Every file one node needs (default paths). */
void pi_render_node(const struct pi_plan *plan, uint32_t node, struct pi_render_set *out);
void pi_render_node_opts(const struct pi_plan *plan, uint32_t node, const struct pi_render_opts *opts,
			 struct pi_render_set *out);
/* The file in a set with this path, or NULL. */
const struct pi_render_file *pi_render_set_find(const struct pi_render_set *s, const char *path);

/* Renderers of files that are no daemon's own; each appends to out. */
void pi_render_zone(const struct pi_plan *plan, uint32_t zone, struct pi_buf *out);
/* The plan's ROAs as the VRP JSON the RPKI cache (stayrtr) serves:
 * {"metadata":{...},"roas":[{"prefix":"10.0.0.0/16","maxLength":16,"asn":"AS64500"}, ...]}. */
void pi_render_vrps_json(const struct pi_plan *plan, struct pi_buf *out);
void pi_render_nft(const struct pi_plan *plan, uint32_t node, struct pi_buf *out);
void pi_render_resolv(const struct pi_plan *plan, uint32_t node, struct pi_buf *out);
void pi_render_hosts(const struct pi_plan *plan, uint32_t node, struct pi_buf *out);
void pi_render_start(const struct pi_plan *plan, uint32_t node, struct pi_buf *out);
/*
 * The NAT64 prefix of a pod, shared by tayga, Unbound's DNS64 and the
 * routes toward the NAT64 node. The well-known 64:ff9b::/96 when the lab's
 * IPv4 space is public; otherwise a network-specific /96, the last /96 of
 * the pod's IPv6 aggregate: RFC 6052 section 3.1 forbids private IPv4
 * addresses behind the well-known prefix, and tayga (0.9.2) enforces it,
 * while labs use 10.0.0.0/8 by default.
 */
void pi_render_nat64_prefix(const struct pi_plan *plan, uint32_t pod, struct pi_prefix *out);
/* The script (for sh) a running node runs when the files named in changed
 * (paths in its set, e.g. "zones/x.zone") were rewritten: daemons that
 * reload are signalled, the others stopped, then start.sh runs again. The
 * router daemon's files are not its business (apply reconfigures it over
 * its control socket). False when none of changed needs anything. */
bool pi_render_reload_script(const struct pi_plan *plan, uint32_t node, const char *const *changed, size_t n,
			     struct pi_buf *out);
/* Root hints naming only the pocket root servers (from the plan's root zone). */
void pi_render_root_hints(const struct pi_plan *plan, struct pi_buf *out);
/* A zone's file name inside a node's set: "zones/<name>.zone", "zones/root.zone" for ".". */
void pi_render_zone_path(const struct pi_plan *plan, uint32_t zone, char *buf, size_t bufsz);

/*
 * Incidents a trainer sets off in a running lab (docs/routing-policy.md,
 * "Incidents"): a prefix hijack, a route leak, a BGP session taken down.
 * Pure here: the model, its JSON form (the lab's state), its validation
 * against a plan and, through the router daemon table below, the daemon
 * configuration that makes it happen. Incidents name pods and sessions, not
 * plan indexes, so a saved list survives a re-plan (and is re-checked).
 */
enum pi_incident_kind { PI_INCIDENT_HIJACK, PI_INCIDENT_LEAK, PI_INCIDENT_SESSION_DOWN };
#define PI_INCIDENT_NAME_MAX 64

struct pi_incident {
	unsigned id;	  /* 1, 2, ...: what `incident clear ID` names; 0 before apply numbers it */
	enum pi_incident_kind kind;
	/* hijack: the attacker pod originates the victim pod's aggregates (v4 and v6), or with
	 * more_specific both halves (len + 1) of each */
	char attacker[PI_INCIDENT_NAME_MAX], victim[PI_INCIDENT_NAME_MAX];
	bool more_specific;
	char pod[PI_INCIDENT_NAME_MAX];	    /* leak: the pod that leaks */
	char session[PI_INCIDENT_NAME_MAX]; /* session-down: the plan's session name */
	/* hijack and leak: the neighbours filter as the lab's policy says, so the
	 * incident stops at them; false: they "forgot" and accept it */
	bool filtered;
	long long since; /* Unix time it was set off (apply's; render ignores it) */
};

/* "hijack", "leak", "session-down"; parse: 0 or -EINVAL. */
const char *pi_incident_kind_name(enum pi_incident_kind k);
int pi_incident_kind_parse(const char *s, enum pi_incident_kind *out);
/* A JSON array of incidents, kind-specific keys only, appended to out: 0 or -ENOMEM. */
int pi_incidents_to_json(const struct pi_incident *inc, size_t n, struct pi_buf *out);
/* Parses what pi_incidents_to_json wrote, appending to out (struct pi_incident). file names the
 * text in errors (file:line:col for syntax errors). 0, or -EINVAL with every problem in diag;
 * out is then left as it was. */
int pi_incidents_from_json(const char *text, const char *file, struct pi_vec *out, struct pi_diag *diag);
/* Can this incident happen in this plan? 0, or -EINVAL with the reasons in diag (unknown pod or
 * session with near matches, a hijack of itself, an attacker with no eBGP, a leak by a pod with
 * fewer than two upstream neighbours, a more-specific of a host route, ...). */
int pi_incident_check(const struct pi_plan *plan, const struct pi_incident *inc, struct pi_diag *diag);
/* Does the incident change node's router daemon? Hijack: the attacker's border routers, and unless
 * filtered every router with an eBGP session to the attacker, the route servers it is a member of
 * and their other members' border routers. Leak: likewise around the leaking pod. Session-down:
 * the session's two ends (where disable_cmd runs). false for unknown names. */
bool pi_incident_touches(const struct pi_plan *plan, const struct pi_incident *inc, uint32_t node);
/* One line, e.g. "#2 hijack: transit2 (AS 401) announces broadband1's prefixes 10.0.5.0/24
 * 2001:db8:5::/48 (neighbours do not filter)"; plan may be NULL (no ASNs, no prefixes). */
void pi_incident_describe(const struct pi_plan *plan, const struct pi_incident *inc, char *buf, size_t len);
/* The plan session a session-down incident names ("NAME" or "POD/NAME"), or PI_NONE. */
uint32_t pi_incident_session(const struct pi_plan *plan, const struct pi_incident *inc);
/* The prefixes a hijack announces (the victim's aggregates or their halves), appended to out
 * (struct pi_prefix); none when the names are unknown. */
void pi_incident_hijack_prefixes(const struct pi_plan *plan, const struct pi_incident *inc, struct pi_vec *out);

/*
 * Router daemons. Everything render and apply know about the daemon that
 * runs BGP (and OSPF) on routers and route servers is one table entry: its
 * files, its start.sh lines, where its control socket is, its control
 * protocol and how it reports BGP sessions. The entry is pure like the rest
 * of render: apply does the socket I/O generically (connect to ctl_socket
 * inside the node, read the greeting until ctl_reply_done(..., true), send
 * ctl_request(sessions_cmd), read until ctl_reply_done(..., false), then
 * ctl_reply_text and parse_sessions). A second daemon (FRR) is one more
 * entry and its render file; pi_router_daemon_of picks it.
 */
struct pi_bgp_state {		/* one BGP session as the daemon reports it */
	char name[64];		/* the daemon's name for it (see session_name) */
	char state[16];		/* daemon's protocol state, e.g. BIRD "up"/"start" */
	char info[64];		/* "Established", "Active", "Connect", ... */
	bool established;
	/* From sessions_all_cmd's longer reply only (zero from sessions_cmd's): */
	bool detailed;		/* the fields below were reported */
	char neighbor_addr[46];	/* the neighbour's address, "" when not reported */
	uint32_t neighbor_as;	/* 0 when not reported */
	char neighbor_id[46];	/* its router ID (dotted quad), "" until the session is up */
	bool internal;		/* iBGP (same AS) */
	bool has_routes;	/* the counts below were reported (channels summed) */
	unsigned imported, exported, preferred;
};

/* One route of the daemon's RIB (parse_rib). */
enum { PI_RIB_ORIGIN_IGP = 0, PI_RIB_ORIGIN_EGP = 1, PI_RIB_ORIGIN_INCOMPLETE = 2 };
#define PI_RIB_MAX_PATH 32
#define PI_RIB_MAX_COMM 8
struct pi_rib_route {
	struct pi_prefix net;
	bool best;		     /* the route the daemon selected (BIRD's '*') */
	char proto[64];		     /* the protocol that brought it: a session name, "origin4", "ospf4" */
	char type[16];		     /* "unicast", "unreachable", "blackhole", ... */
	bool bgp;		     /* learned over BGP (the fields below are then meaningful) */
	struct pi_prefix next_hop;   /* the first gateway ("via"); unset for unreachable and device routes */
	char iface[16];		     /* its interface */
	uint32_t local_pref;	     /* 0 when absent */
	uint32_t as_path[PI_RIB_MAX_PATH]; /* neighbour first, origin last */
	unsigned preference;	     /* the daemon's preference of the route's source (BIRD's "(100)") */
	uint8_t origin;		     /* PI_RIB_ORIGIN_*: BGP origin (IGP best) */
	bool has_med;
	uint32_t med;		     /* multi-exit discriminator when has_med */
	struct pi_prefix originator_id; /* a reflected route's ORIGINATOR_ID (RFC 4456), unset when none */
	unsigned cluster_len;	     /* entries in its CLUSTER_LIST */
	unsigned as_path_len;	     /* entries in as_path ... */
	unsigned as_path_total;	     /* ... of this many in the real path (more: truncated) */
	bool as_path_truncated;
	struct { uint32_t a, b, c; } large[PI_RIB_MAX_COMM];
	unsigned n_large;
	uint32_t communities[PI_RIB_MAX_COMM][2];
	unsigned n_comm;
	bool comm_truncated;	     /* more (large) communities than fit */
	/* Where the local AS learned it, from its large community (local_as, PI_LC_REL, kind):
	 * "customer", "peer", "provider", "rs" (a peer route through a route server: the plan
	 * names those sessions rs_*), "own" (not BGP: static, OSPF, connected), "" unknown. */
	char from_kind[16];
};

struct pi_router_daemon {
	const char *name; /* "bird" */
	/* Adds the daemon's files for node to out (pure). */
	void (*render)(const struct pi_plan *plan, uint32_t node, const struct pi_render_opts *o,
		       struct pi_render_set *out);
	/* Appends the start.sh lines that start it. */
	void (*start_lines)(const struct pi_plan *plan, uint32_t node, const struct pi_render_opts *o,
			    struct pi_buf *out);
	const char *ctl_socket; /* unix stream socket path inside the node */
	/* The control protocol, pure: bytes to send for cmd ... */
	void (*ctl_request)(const char *cmd, struct pi_buf *out);
	/* ... whether raw holds one complete reply: 1 complete and ok, 0 need more, -EPROTO complete but an
	 * error reply. greeting: true while reading the greeting the daemon sends on connect (BIRD sends
	 * "0001 ... ready."); a daemon without a greeting returns 1 at once for greeting=true with len 0. */
	int (*ctl_reply_done)(const char *raw, size_t len, bool greeting);
	/* The reply's text without protocol framing (BIRD: strip the "NNNN-" codes), appended to out. */
	void (*ctl_reply_text)(const char *raw, size_t len, struct pi_buf *out);
	const char *sessions_cmd; /* "show protocols" */
	const char *sessions_all_cmd; /* the same with details: "show protocols all" */
	/* The BGP sessions in the reply text of sessions_cmd or sessions_all_cmd (which fills the
	 * detailed fields), appended to out (struct pi_bgp_state). */
	void (*parse_sessions)(const char *text, struct pi_vec *out /* struct pi_bgp_state */);
	/* The name the daemon gives plan session k (the same at both ends today). */
	void (*session_name)(const struct pi_plan *plan, uint32_t session, char *buf, size_t len);
	/* What a user types in the node to see the sessions, for hints: "birdc show protocols". */
	const char *user_sessions_cmd;

	/* ---- incidents (docs/routing-policy.md, "Incidents") ----
	 * The daemon's main config always includes one file that render writes with no incident
	 * (the lab behaves as without it). To set off or clear incidents, apply rewrites that file on
	 * the host for every node pi_incident_touches, as render_incidents renders it for all the
	 * lab's active incidents, and sends reconfigure_cmd over the control socket. */
	const char *incidents_file; /* in the node's set: DIR/<node>/<incidents_file> on the host */
	const char *incidents_path; /* the same file inside the node, under PI_NODE_CONF_DIR */
	/* The file for node with the incidents inc[0..n) active (those that do not touch node are
	 * no-ops there). n = 0 gives the file render writes. */
	void (*render_incidents)(const struct pi_plan *plan, uint32_t node, const struct pi_incident *inc, size_t n,
				 struct pi_buf *out);
	const char *reconfigure_cmd; /* "configure": reread the config, keep sessions that did not change */
	/* Did the command whose whole raw reply this is (ctl_reply_done said complete) do its job?
	 * 0 yes; -EBUSY the daemon queued or ignored it (a reconfiguration in progress, shutting down);
	 * -EPROTO it refused (a config error, an unknown session): why gets the daemon's words. */
	int (*ctl_reply_check)(const char *raw, size_t len, char *why, size_t whylen);
	/* session-down: the command that takes plan session `session` down (or up again) at its end
	 * `node` (a or b of the session), into buf. Not a config change: a daemon restart brings the
	 * session back, so apply disables it again after one. */
	void (*disable_cmd)(const struct pi_plan *plan, uint32_t session, uint32_t node, char *buf, size_t len);
	void (*enable_cmd)(const struct pi_plan *plan, uint32_t session, uint32_t node, char *buf, size_t len);

	/* ---- the RIB ----
	 * The command that lists routes with all attributes, into buf: for dst (an address: the routes
	 * covering it; a prefix: that network) when dst is set, else every route of family (PI_AF_V4,
	 * PI_AF_V6, 0 both). BIRD: "show route all for X", "show route all table master6". */
	void (*rib_cmd)(const struct pi_prefix *dst, uint8_t family, char *buf, size_t len);
	/* The routes in the reply text (ctl_reply_text) of rib_cmd, appended to out (struct
	 * pi_rib_route). local_as: the node's ASN, to read from_kind; 0 takes the last
	 * (ASN, PI_LC_REL, kind) on the route. */
	void (*parse_rib)(const char *text, uint32_t local_as, struct pi_vec *out);
	const char *user_rib_cmd; /* for hints: "birdc show route all for" */

	/* ---- size (full tables; docs/testing-bgp.md) ---- */
	const char *memory_cmd; /* "show memory" */
	/* The daemon's own memory in bytes from memory_cmd's reply text: in use, and overhead. */
	bool (*parse_memory)(const char *text, uint64_t *effective, uint64_t *overhead);
	/* The command that counts the networks of one family's table, into buf ... */
	void (*count_cmd)(uint8_t family, char *buf, size_t len);
	/* ... and the count in its reply text. */
	bool (*parse_count)(const char *text, uint64_t *networks);
};

extern const struct pi_router_daemon pi_router_bird;
/* The router daemon of node, or NULL when the node runs none. */
const struct pi_router_daemon *pi_router_daemon_of(const struct pi_plan *plan, uint32_t node);

/*
 * The looking glass's reading of a RIB (src/render/rib_explain.c, pure):
 * what the lab's communities mean and why the daemon chose the route it
 * did. Route selection follows BIRD 2's order (nest's rte_better, then
 * bgp_rte_better), the order every criterion below is listed in.
 */
enum pi_rib_crit {
	PI_RIB_CRIT_NONE,	   /* no difference found (the daemon's tie-break, e.g. arrival) */
	PI_RIB_CRIT_PREFERENCE,	   /* the source's preference: static 200 over BGP 100 */
	PI_RIB_CRIT_RESOLVABLE,	   /* a next hop the daemon can reach over one it cannot */
	PI_RIB_CRIT_LOCAL_PREF,	   /* higher local preference */
	PI_RIB_CRIT_AS_PATH,	   /* shorter AS path */
	PI_RIB_CRIT_ORIGIN,	   /* lower origin: IGP, EGP, incomplete */
	PI_RIB_CRIT_MED,	   /* lower MED, only between routes from the same neighbouring AS */
	PI_RIB_CRIT_EBGP,	   /* eBGP over iBGP */
	PI_RIB_CRIT_IGP_METRIC,	   /* lower IGP metric to the next hop (when the daemon shows it) */
	PI_RIB_CRIT_ROUTER_ID,	   /* lower router ID (the ORIGINATOR_ID of a reflected route) */
	PI_RIB_CRIT_CLUSTER,	   /* shorter cluster list */
	PI_RIB_CRIT_NEIGHBOR,	   /* lower neighbour address */
};
/* "preference", "next hop", "local preference", "AS path length", "origin", "MED", "eBGP over iBGP",
 * "IGP metric", "router ID", "cluster list", "neighbour address", "none". */
const char *pi_rib_crit_name(enum pi_rib_crit c);
/* "IGP", "EGP", "incomplete". */
const char *pi_rib_origin_name(uint8_t origin);
/*
 * Why the daemon prefers best over other, two routes to one network: the
 * first criterion that separates them, and into why a sentence such as
 * "local preference 200 (customer) beats 100 (peer)" or "AS path length 1
 * beats 2 (65004 65004)". bs and os are the BGP sessions the routes came over
 * (from sessions_all_cmd: eBGP or iBGP, router ID, neighbour address), NULL
 * when unknown or not BGP; a criterion needing what is unknown is skipped.
 */
enum pi_rib_crit pi_rib_why(const struct pi_rib_route *best, const struct pi_bgp_state *bs,
			    const struct pi_rib_route *other, const struct pi_bgp_state *os, char *why, size_t len);
/* The session named name in v (struct pi_bgp_state), or NULL. */
const struct pi_bgp_state *pi_bgp_state_find(const struct pi_vec *v, const char *name);
/*
 * The lab's meaning of large community i of r: (ASN, PI_LC_REL, kind)
 * says where AS ASN learned the route, e.g. "learned here from a customer
 * (local preference 200)" when ASN is local_as, "transit1 (AS 3769)
 * learned it from a peer" for a pod of plan (plan may be NULL: "AS 3769
 * ..."); a peer route of ours over a route server session (from_kind "rs")
 * says so. false, with the community raw ("(a, b, c)"), for anything else.
 */
bool pi_rib_large_meaning(const struct pi_plan *plan, uint32_t local_as, const struct pi_rib_route *r, unsigned i,
			  char *buf, size_t len);
/*
 * For every route of routes[0..n) (as parse_rib gives them, a network's
 * routes together): why[i] and crit[i] explain why the best route of its
 * network beat it (pi_rib_why), "best" / PI_RIB_CRIT_NONE for the best
 * one itself, "no best route" when the network has none. sessions: the
 * node's struct pi_bgp_state from sessions_all_cmd (may be NULL).
 */
void pi_rib_explain(const struct pi_rib_route *routes, size_t n, const struct pi_vec *sessions,
		    enum pi_rib_crit *crit, char (*why)[256]);

#endif
