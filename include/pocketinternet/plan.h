/*
 * plan: every decision about the Internet, made once, deterministically
 * from the lab and its seed. Nothing after this stage chooses anything:
 * render turns it into text, the backend into containers and links.
 *
 * All arrays are owned by the plan (its arena); elements refer to each
 * other by index (uint32_t), PI_NONE when absent. Order is deterministic
 * and part of the contract (golden files depend on it):
 *   pods in lab order; nodes grouped by pod, in blueprint role order;
 *   ifaces grouped by node; sessions, links and zones in creation order.
 *
 * Addressing choices (docs/addressing.md): IPv4 point-to-point links are
 * /31 (RFC 3021), IPv6 point-to-point links /127 (RFC 6164); loopbacks are
 * /32 and /128; subscriber LANs /64 for IPv6.
 */
#ifndef POCKETINTERNET_PLAN_H
#define POCKETINTERNET_PLAN_H

#include <stdbool.h>
#include <stdint.h>
#include "diag.h"
#include "lab.h"
#include "prefix.h"
#include "util.h"

#define PI_NONE UINT32_MAX
#define PI_IFNAMSIZ 16 /* Linux IFNAMSIZ: 15 bytes + NUL */

/* What the remote end of a BGP session is to the local end. */
enum pi_rel {
	PI_REL_CUSTOMER,  /* remote is our customer: we give it everything */
	PI_REL_PEER,      /* settlement-free peer */
	PI_REL_PROVIDER,  /* remote sells us transit */
	PI_REL_RS,        /* remote is an IXP route server (we are a member) */
	PI_REL_RS_CLIENT, /* remote is a member of our route server (we are the RS) */
	PI_REL_IBGP,      /* same AS */
};
const char *pi_rel_name(enum pi_rel r);  /* "customer", "peer", ... */

enum pi_rel pi_rel_invert(enum pi_rel r); /* customer<->provider, rs<->rs-client */

/* What a pod announces beyond its aggregates (a lab's `announce:`;
 * docs/testing-bgp.md, "Full tables"). */
struct pi_plan_troute {
	struct pi_prefix net;
	uint32_t path_off, n_path; /* MRT: its path in pi_plan_table.asns (neighbour first, origin
				    * last), before the pod's own ASN; generated: 0, 0 (the pod originates it) */
};
struct pi_plan_table {
	bool mrt;                        /* replayed from an MRT dump; else generated */
	struct pi_prefix block4, block6; /* generated: the blocks of PI_TABLE_SPACE4/6 they lie in */
	struct pi_plan_troute *routes;   /* IPv4 (n4 of them) first, then IPv6 (n6) */
	uint32_t n4, n6;
	uint32_t *asns;
	uint8_t maxlen4, maxlen6;        /* the longest prefix of each family (0: none) */
};

struct pi_plan_pod {
	const char *name;   /* [a-z0-9-], unique: "transit1", "bb3", or the lab's name */
	const struct pi_blueprint *bp;
	enum pi_tier tier;
	uint32_t asn;
	struct pi_prefix v4, v6; /* the aggregates this AS announces in BGP */
	const char *domain;      /* "<name>.<tld>." (absolute) */
	uint32_t first_node, n_nodes;
	uint32_t first_zone, n_zones; /* its own zones, contiguous in plan->zones (0 zones: none) */
	/* Broadband services (unset prefixes when the blueprint asks for none). */
	struct pi_prefix cgnat_pool;  /* inside 100.64.0.0/10, on subscriber LANs */
	struct pi_prefix nat44_pool;  /* public pool (inside v4) that CGNAT translates to */
	struct pi_prefix nat64_pool;  /* IPv4 pool (inside v4) tayga maps onto */
	bool anycast;                 /* originates the lab's anycast prefixes */
	/* Customer cone: this pod and every pod below it (indexes, sorted). */
	uint32_t *cone;
	uint32_t n_cone;
	enum pi_exercise exercise; /* students configure it (lab's `configure:`); NONE: generated */
	const char *team;          /* the team owning it (lab's `teams:`), or NULL */
	const struct pi_plan_table *table; /* NULL: it announces its aggregates only */
	bool rov;                          /* its borders drop RPKI-invalid routes (lab `rpki: {rov:}`) */
	struct pi_pos pos; /* the lab entry it came from */
	/* External speakers (tier PI_TIER_EXTERNAL; docs/lab-format.md, "external"):
	 * what runs, and the prefixes it may announce besides v4 and v6 (the
	 * lab side accepts these too: its cone holds them). */
	enum pi_speaker speaker;
	const char *image;     /* PI_SPEAKER_IMAGE: the image; else NULL */
	const char **command;  /* PI_SPEAKER_IMAGE: its argv */
	uint32_t n_command;
	struct pi_prefix *extra;
	uint32_t n_extra;
	const char *netns;     /* wired into this host netns, not a container; else NULL */
};

struct pi_plan_node {
	const char *name; /* unique in the lab, [a-z0-9-], e.g. "transit1-border1" */
	const char *role; /* blueprint role name */
	unsigned services; /* enum pi_service bits, from the role (+ DNS duties below) */
	uint32_t pod;
	uint32_t index;        /* 1-based within its role in its pod */
	struct pi_prefix lo4, lo6; /* loopbacks /32 and /128 (routers and servers; unset for clients) */
	const char *fqdn;      /* "<node-short>.<pod domain>" absolute */
	uint32_t first_iface, n_ifaces;
	uint32_t first_route, n_routes; /* its static routes in plan->routes (grouped by node) */
	uint32_t *session_idx;          /* indexes into plan->sessions of the sessions it is a or b of, */
	uint32_t n_session_idx;         /* in session order */
	bool route_reflector;  /* iBGP: this router reflects for the pod (large pods) */
	bool root_dns;         /* also serves the root zone "." */
	bool tld_dns;          /* also serves the TLD and the reverse parent zones */
	/* Hosts/servers: the default gateway inside the lab (never toward the host). */
	struct pi_prefix gw4, gw6;
	/* The recursive resolver this node's /etc/resolv.conf names. */
	struct pi_prefix resolver4, resolver6;
	struct pi_prefix anycast4, anycast6; /* web nodes of anycast pods: extra loopback addresses */
	/* Containment (cgroup memory.max and pids.max of its container): the
	 * defaults of its class (PI_PLAN_DEFAULT_*), or the lab's `limits:`. */
	uint32_t mem_limit_mb;
	uint32_t pids_limit;
};

enum pi_link_kind { PI_LINK_P2P, PI_LINK_LAN };
enum pi_link_scope {
	PI_SCOPE_INTERNAL,   /* inside one pod: runs the IGP */
	PI_SCOPE_EXTERNAL,   /* between two pods: eBGP */
	PI_SCOPE_IXP,        /* an IXP peering LAN */
	PI_SCOPE_SUBSCRIBER, /* a broadband subscriber LAN (DHCP/RA) */
	PI_SCOPE_BACKBONE,   /* the legacy format's shared backbone LAN */
};

const char *pi_link_scope_name(enum pi_link_scope s); /* "internal", "external", "ixp", ... */

struct pi_plan_link {
	enum pi_link_kind kind;
	enum pi_link_scope scope;
	/* Bridge name for LANs: "<pod>-<lan>" when it fits 15 bytes, else a
	 * shortened "<pod>-<hash>" form; unique in the lab (bridges live in the
	 * lab's own netns). "a--b" (node names) for p2p links. */
	const char *name;
	uint32_t pod;      /* the pod whose aggregate numbers it (external links: the provider,
			    * or the lower-ASN peer; IXP LANs: the IXP); PI_NONE for the legacy backbone */
	const char *lan;   /* blueprint LAN name, or NULL */
	struct pi_prefix v4, v6; /* subnet; unset when the link has no such family */
	uint32_t *ifaces;
	uint32_t n_ifaces;
	unsigned mtu;
	bool cgnat, nat64; /* subscriber LAN flags from the blueprint */
	struct pi_impair impair; /* from the lab's `impairments:` (first matching rule); zero: none */
};

struct pi_plan_iface {
	char name[PI_IFNAMSIZ]; /* valid Linux name, deterministic */
	uint32_t node, link;
	struct pi_prefix v4, v6; /* address with the subnet's len; unset if none */
	uint8_t mac[6];          /* locally administered, derived from the seed and the name */
	bool dhcp4;              /* v4 comes from DHCP (plan still records the reserved address) */
	bool ra6;                /* v6 comes from RA (SLAAC): v6 is the EUI-64 address of mac */
	const char *fqdn;        /* "<ifname>.<node fqdn>" */
};

struct pi_plan_session {
	/* Session (routing protocol instance) name, the same at both ends and unique on each router:
	 * "ebgp_transit1_bb2_v4" (a's pod, b's pod), "ibgp_border1_core2_v6",
	 * "rs_ixp1_rs1_bb2_v4" (IXP, RS node, member pod). [A-Za-z0-9_], <= 63. */
	const char *name;
	uint32_t a, b;   /* nodes */
	uint8_t family;  /* PI_AF_V4 or PI_AF_V6: transport and channel */
	struct pi_prefix a_addr, b_addr; /* host addresses (len = full) */
	uint32_t a_iface, b_iface;       /* PI_NONE for loopback (iBGP) sessions */
	enum pi_rel rel;                 /* what b is to a; b sees pi_rel_invert(rel) */
	/* Import limits each side applies (docs/plan.md): customer/peer/RS client:
	 * 2 * cone + 10; RS: 2 * (sum of members' cones) + 10; provider:
	 * PI_PLAN_PROVIDER_LIMIT; iBGP: 0 = no limit. */
	uint32_t a_max_prefix, b_max_prefix;
	bool b_is_rr_client;             /* iBGP: a reflects for b */
};

enum pi_rr_type { PI_RR_SOA, PI_RR_NS, PI_RR_A, PI_RR_AAAA, PI_RR_PTR, PI_RR_CNAME };
const char *pi_rr_type_name(enum pi_rr_type t);

struct pi_plan_rr {
	const char *owner; /* absolute, trailing dot */
	enum pi_rr_type type;
	const char *data;  /* presentation form: address, or absolute name, or SOA rdata */
};

enum pi_zone_kind { PI_ZONE_ROOT, PI_ZONE_TLD, PI_ZONE_FORWARD, PI_ZONE_REVERSE4, PI_ZONE_REVERSE6 };

struct pi_plan_zone {
	const char *name; /* absolute, "." for the root */
	enum pi_zone_kind kind;
	uint32_t pod;     /* PI_NONE for root/TLD/reverse parents */
	uint32_t *servers; /* nodes serving it authoritatively */
	uint32_t n_servers;
	struct pi_plan_rr *rrs; /* SOA first, apex NS, then records, delegations and glue */
	uint32_t n_rrs;
};

#define PI_PLAN_PROVIDER_LIMIT 1000000u

/* Size bounds: a lab whose estimated plan exceeds one is refused before
 * anything is allocated (docs/lab-format.md, "Limits"). They keep a plan
 * within seconds and a few hundred MB; 10,000 pods of the stock blueprints
 * need about 55,000 nodes and 50,000 sessions. */
#define PI_PLAN_MAX_NODES 250000u
#define PI_PLAN_MAX_LINKS 200000u
#define PI_PLAN_MAX_SESSIONS 200000u
#define PI_PLAN_MAX_ERRORS 200

/* Default containment per node class (enum pi_node_class): enough for the
 * routing daemon, resolver, DHCP, web and NAT64 daemons with room, small enough that a fork
 * bomb or a leak in one node stops there. */
#define PI_PLAN_DEFAULT_MEM_ROUTER_MB 256u
#define PI_PLAN_DEFAULT_MEM_RESOLVER_MB 256u
#define PI_PLAN_DEFAULT_MEM_SERVER_MB 128u
#define PI_PLAN_DEFAULT_MEM_CLIENT_MB 128u
#define PI_PLAN_DEFAULT_PIDS_ROUTER 256u
#define PI_PLAN_DEFAULT_PIDS_RESOLVER 256u
#define PI_PLAN_DEFAULT_PIDS_SERVER 128u
#define PI_PLAN_DEFAULT_PIDS_CLIENT 128u /* reported per build, then "too many errors" */

/*
 * One AS-level relationship, explicit in the plan whether the lab asked for
 * it or the generator chose it. Sessions carry the same information per
 * router pair; this is the pod-level view (dot output, summaries).
 */
struct pi_plan_rel {
	uint32_t a, b;   /* pods */
	enum pi_rel rel; /* what b is to a: CUSTOMER (a sells b transit), PEER, or RS (b is an IXP a joined) */
	bool from_lab;   /* written in the lab's relationships (else generated) */
	uint32_t link;   /* the external p2p link, or the IXP's peering LAN */
	uint32_t a_iface, b_iface; /* their ends on it (b_iface PI_NONE for IXP memberships) */
};

/* A static route a node needs besides what its routing daemon learns: hosts' default
 * routes (dst 0.0.0.0/0, ::/0 via their gateway), and on the gateway router
 * of an anycast web node the anycast prefixes via that node's LAN address
 * (one route per web node: ECMP). */
struct pi_plan_route {
	uint32_t node;
	struct pi_prefix dst; /* 0.0.0.0/0 or ::/0 for defaults */
	struct pi_prefix via; /* a lab address on a directly connected link */
};

/* RPKI (docs/testing-bgp.md, "RPKI"): one route origin authorisation. */
struct pi_plan_roa {
	struct pi_prefix net;
	uint8_t max_len;
	uint32_t asn;
	uint32_t pod; /* whose prefix it is about */
};
#define PI_RPKI_RTR_PORT 323

/* Route origin validation (RFC 6811) against the plan's ROAs. NONE: the
 * lab has no RPKI. */
enum pi_roa_state { PI_ROA_NONE, PI_ROA_UNKNOWN, PI_ROA_VALID, PI_ROA_INVALID };
const char *pi_roa_state_name(enum pi_roa_state s); /* "", "unknown", "valid", "invalid" */

struct pi_plan {
	struct pi_arena arena;
	const char *lab_name;
	const char *lab_file;
	const char *title; /* the lab's title (printable, <= PI_LAB_TITLE_MAX), or NULL */
	const char *tld; /* "pocket" */
	uint64_t seed;
	struct pi_prefix v4, v6;
	bool legacy;
	struct pi_prefix anycast4, anycast6; /* the CDN prefixes (unset when no pod is anycast) */
	struct pi_plan_pod *pods;
	uint32_t n_pods;
	struct pi_plan_node *nodes;
	uint32_t n_nodes;
	struct pi_plan_iface *ifaces;
	uint32_t n_ifaces;
	struct pi_plan_link *links;
	uint32_t n_links;
	struct pi_plan_session *sessions;
	uint32_t n_sessions;
	/* The lab-wide zones (root, TLD, reverse parents: pod PI_NONE) come
	 * first, n_lab_zones of them; then each pod's zones, in pod order. Every
	 * pod zone lies below a lab-wide zone. */
	struct pi_plan_zone *zones;
	uint32_t n_zones;
	uint32_t n_lab_zones;
	struct pi_plan_route *routes;
	uint32_t n_routes;
	struct pi_plan_rel *rels;
	uint32_t n_rels;
	/* RPKI: the lab has an `rpki:` section; its ROAs (pod order: aggregates,
	 * anycast, generated blocks), and the cache node serving them. */
	bool rpki;
	struct pi_plan_roa *roas;
	uint32_t n_roas;
	uint32_t rpki_cache; /* node running the RPKI cache, PI_NONE without rpki */
	uint64_t table_routes4, table_routes6; /* every pod's table together */
};

/* The validation state of a route to net whose AS path ends in origin
 * (RFC 6811): VALID when a ROA covering it names origin and allows its
 * length, INVALID when ROAs cover it but none does, UNKNOWN when none
 * covers it; PI_ROA_NONE when plan->rpki is false. */
enum pi_roa_state pi_plan_roa_state(const struct pi_plan *plan, const struct pi_prefix *net, uint32_t origin);
/* The address ROV routers reach the cache at (the cache node's first
 * address of that family); unset when there is no cache or none. */
struct pi_prefix pi_plan_rpki_cache_addr(const struct pi_plan *plan, uint8_t family);

/* Builds the plan. On error returns -EINVAL with every problem in diag.
 * The same as pi_plan_build_pinned(lab, NULL, out, diag). */
int pi_plan_build(const struct pi_lab *lab, struct pi_plan **out, struct pi_diag *diag);
void pi_plan_free(struct pi_plan *plan);

/* Sets every link's impair from lab->impairments, the first matching rule
 * winning; a rule that matches no link (or names a pod or link the plan
 * lacks) is a warning in diag. pi_plan_build calls it last (src/plan/impair.c). */
void pi_plan_impairments(struct pi_plan *plan, const struct pi_lab *lab, struct pi_diag *diag);

/*
 * Pins (docs/plan.md, "Stable plans and pins"): what an earlier plan of the
 * same lab decided, read back from the plan.json pi_plan_write_json wrote
 * (setup keeps it in the lab's state directory). Planning with pins keeps,
 * for every pod in both (same name and blueprint), its ASN, aggregates and
 * pools, its generated relationships with other surviving pods and the
 * borders and subnets of the links between them; so node, interface and
 * link names and addresses of everything that survives are identical. New
 * pods, links and interfaces take free space around them. The lab file
 * wins over a pin it contradicts (an explicit asn, a changed blueprint, a
 * relationship taken out of the file, a changed address space).
 * Everything here is owned by the pins' arena; indexes are into these arrays.
 */
struct pi_pin_pod {
	const char *name, *blueprint;
	uint32_t asn;
	struct pi_prefix v4, v6, cgnat_pool;
};
struct pi_pin_node {
	const char *name;
	uint32_t pod; /* index into pins->pods */
	uint32_t first_iface, n_ifaces;
};
struct pi_pin_iface {
	const char *name;
	uint32_t node, link;
	struct pi_prefix v4, v6; /* address with the subnet's len, or unset */
};
struct pi_pin_link {
	const char *name;
	struct pi_prefix v4, v6;
	uint32_t *ifaces; /* into pins->ifaces */
	uint32_t n_ifaces;
};
struct pi_pin_rel {
	const char *a, *b; /* pod names */
	enum pi_rel rel;   /* what b is to a: CUSTOMER, PEER or RS */
	bool from_lab;
	uint32_t a_iface, b_iface; /* into pins->ifaces; PI_NONE when absent (b of an IXP membership) */
};
struct pi_pin_session {
	const char *name, *a, *b; /* session name, node names */
};
struct pi_plan_pins {
	struct pi_arena arena;
	uint64_t seed;
	struct pi_prefix v4, v6;
	struct pi_pin_pod *pods;
	uint32_t n_pods;
	struct pi_pin_node *nodes;
	uint32_t n_nodes;
	struct pi_pin_iface *ifaces;
	uint32_t n_ifaces;
	struct pi_pin_link *links;
	uint32_t n_links;
	struct pi_pin_rel *rels;
	uint32_t n_rels;
	struct pi_pin_session *sessions;
	uint32_t n_sessions;
};

/* Parses a plan.json (pi_plan_write_json's output). -EINVAL with the
 * problem in diag (position: "plan.json", line and column) when it is not
 * one; a plan of the original format (legacy) gives pins with no pods. */
int pi_plan_pins_load(const char *json, size_t len, struct pi_plan_pins **out, struct pi_diag *diag);
void pi_plan_pins_free(struct pi_plan_pins *pins);
/* pi_plan_build keeping what pins (NULL: none) decided, as far as the lab allows. */
int pi_plan_build_pinned(const struct pi_lab *lab, const struct pi_plan_pins *pins, struct pi_plan **out,
			 struct pi_diag *diag);

/*
 * The difference between an old plan (its pins) and a new plan: what
 * setup on a running lab must add, remove or redo. Pure. Old things are
 * named (strings into the pins), new things are indexes into the new plan.
 * Nodes and pods are matched by name; links by name, "changed" when their
 * endpoints (node and interface names) or subnets differ; sessions by
 * (name, a node, b node). Lists are in plan order (old order for removed).
 */
struct pi_plan_diff {
	uint32_t *nodes_added, n_nodes_added;       /* new node indexes */
	const char **nodes_removed; uint32_t n_nodes_removed;
	uint32_t *nodes_kept, n_nodes_kept;         /* new node indexes */
	uint32_t *links_added, n_links_added;       /* new link indexes */
	const char **links_removed; uint32_t n_links_removed;
	uint32_t *links_changed, n_links_changed;   /* new link indexes */
	uint32_t *sessions_added, n_sessions_added; /* new session indexes */
	const struct pi_pin_session **sessions_removed; uint32_t n_sessions_removed;
	uint32_t *pods_added, n_pods_added;         /* new pod indexes */
	const char **pods_removed; uint32_t n_pods_removed;
	const struct pi_plan *plan; /* the new plan (not owned) */
};
/* old NULL: everything in new is added. 0, or -ENOMEM. */
int pi_plan_diff(const struct pi_plan_pins *old, const struct pi_plan *new_plan, struct pi_plan_diff *out);
void pi_plan_diff_free(struct pi_plan_diff *d);
/* "+ node X", "- node Y", "~ link L", ... then a counts line. */
void pi_plan_diff_write_text(const struct pi_plan_diff *d, struct pi_buf *out);
/* {"pods":{"added":[...],"removed":[...]}, "nodes":{...,"kept":n}, "links":{...,"changed":[...]},
 *  "sessions":{...}} with names; jansson. 0 or -ENOMEM. */
int pi_plan_diff_write_json(const struct pi_plan_diff *d, struct pi_buf *out);

/* Outputs. All deterministic; json is written with jansson. */
void pi_plan_write_text(const struct pi_plan *plan, struct pi_buf *out);
int pi_plan_write_json(const struct pi_plan *plan, struct pi_buf *out);
void pi_plan_write_dot(const struct pi_plan *plan, struct pi_buf *out);

/* Fills every node's session_idx from plan->sessions (pi_plan_build does
 * this; hand-built plans in tests call it themselves). */
void pi_plan_index_sessions(struct pi_plan *plan);

/* Appends to out (a pi_vec of struct pi_prefix) every address space the
 * plan uses, IPv4 then IPv6 each in a fixed order, none inside another:
 * the lab's spaces, the anycast prefixes, 100.64.0.0/10 when a pod has
 * CGNAT subscribers, 64:ff9b::/96 when one has NAT64, and the original
 * format's backbone (172.16.0.0/12). The single answer to "what must the
 * host and Docker keep clear of". */
void pi_plan_address_spaces(const struct pi_plan *plan, struct pi_vec *out);

/*
 * Exercise pods (src/plan/exercise.c, docs/workshop.md). Is session k's
 * configuration on node's side left to the students? Level bgp: every
 * eBGP session (customer, peer, provider, route server) of the pod's
 * routers; level all: every session, iBGP too. The other end of the
 * session is rendered as usual.
 */
bool pi_plan_session_by_students(const struct pi_plan *plan, uint32_t k, uint32_t node);
/* Does node's own routing config come as a skeleton (its pod is an
 * exercise pod and node runs a router daemon)? */
bool pi_plan_node_is_exercise(const struct pi_plan *plan, uint32_t node);
/* Appends (uint32_t) the pods team owns, in plan order; how many. */
size_t pi_plan_team_pods(const struct pi_plan *plan, const char *team, struct pi_vec *out);

/* Lookups. */
uint32_t pi_plan_node_by_name(const struct pi_plan *plan, const char *name);
uint32_t pi_plan_pod_by_name(const struct pi_plan *plan, const char *name);
static inline const struct pi_plan_iface *pi_plan_node_iface(const struct pi_plan *p, uint32_t node, uint32_t i)
{
	return &p->ifaces[p->nodes[node].first_iface + i];
}
/* The iface of the other end of a p2p link, or PI_NONE. */
uint32_t pi_plan_peer_iface(const struct pi_plan *plan, uint32_t iface);

/*
 * Policy checks over the plan's relationships (src/plan/policy.c).
 *
 * The pod whose AS number is asn, or PI_NONE.
 */
uint32_t pi_plan_pod_by_asn(const struct pi_plan *plan, uint32_t asn);
/*
 * Is an AS path valley-free with respect to the plan's relationships? asns
 * is the path as a RIB shows it: asns[0] the neighbour the route came
 * from, asns[n-1] the origin; repeated ASNs (prepending) count once. Read
 * from the origin, the route may climb customer->provider any number of
 * times, cross at most one peering (a private peering, or two members of
 * one IXP: route servers are transparent, their ASN never appears), then
 * only descend provider->customer. false when it does not, when an ASN is
 * no pod of the lab (external) or is an IXP's, or when two neighbouring
 * ASes have no relationship; why (may be NULL) then says which and where,
 * naming pods, e.g. "valley at broadband1 (AS 397540): it passed a route
 * learned from its provider transit1 (AS 3769) to its provider transit3
 * (AS 2242)". An empty path (our own route) is valley-free. The hop into
 * the AS whose RIB it is is not part of the path: a leaked route looks
 * fine in the RIB of the AS it leaked to. To judge that hop too, put that
 * AS's own number first (the path as it would announce it on).
 */
bool pi_plan_path_valley_free(const struct pi_plan *plan, const uint32_t *asns, size_t n, char *why, size_t whylen);

/*
 * Paths between two ends of the lab (src/plan/paths.c, pure), for
 * `pocketinternet paths`.
 *
 * The node holding addr (host form: the length is ignored): an interface
 * address, a loopback or an anycast address of a web node (the first such
 * node). *iface (may be NULL) gets the interface, PI_NONE for a loopback.
 * PI_NONE when no node holds it.
 */
uint32_t pi_plan_node_by_addr(const struct pi_plan *plan, const struct pi_prefix *addr, uint32_t *iface);
/* Does node forward packets (a router, a NAT box)? Route servers do not. */
bool pi_plan_node_forwards(const struct pi_plan *plan, uint32_t node);
/* The router a node's packets leave through: node itself when it forwards,
 * else the node holding its gateway (gw4, else gw6); PI_NONE when none. */
uint32_t pi_plan_gateway(const struct pi_plan *plan, uint32_t node);
/* The border router (PI_SVC_EBGP) of node's pod nearest to node's gateway
 * inside the pod (fewest router hops, then plan order); PI_NONE when the
 * pod has none. */
uint32_t pi_plan_pod_border(const struct pi_plan *plan, uint32_t node);

/* One node on a router-level path. */
struct pi_plan_hop {
	uint32_t node;
	uint32_t in_iface;  /* its interface the packet arrives on, PI_NONE for the first node */
	uint32_t out_iface; /* its interface the packet leaves on, PI_NONE for the last */
};
struct pi_plan_path {
	uint32_t first, n; /* hops[first .. first + n) (or pods, for AS paths) */
	bool valley_free;  /* AS paths: the policy allows it */
};
struct pi_plan_paths {
	struct pi_vec paths; /* struct pi_plan_path, shortest first (ties: the order they were found in) */
	struct pi_vec hops;  /* struct pi_plan_hop (router paths) or uint32_t pods (AS paths) */
	uint64_t total;	     /* every simple path found ... */
	uint64_t allowed;    /* AS paths: ... of which the policy allows this many */
	bool capped;	     /* the search stopped at its limit: total is a lower bound */
};
void pi_plan_paths_init(struct pi_plan_paths *p, bool as_level);
void pi_plan_paths_free(struct pi_plan_paths *p);
/*
 * Every simple path from node src to node dst over the lab's links: p2p
 * links join their two ends, a LAN joins every pair of its members (a
 * clique: one hop at layer 3). Only nodes that forward (pi_plan_node_forwards)
 * are passed through; src and dst may be anything. The max shortest
 * paths (hop count, ties in the order found) are kept in out, all are
 * counted; the search stops after limit paths (0: 1,000,000) or a work
 * bound of 200 * limit steps, setting capped. src == dst gives the one
 * path of one node. 0, or -EINVAL for a node out of range.
 */
int pi_plan_router_paths(const struct pi_plan *plan, uint32_t src, uint32_t dst, size_t max, uint64_t limit,
			 struct pi_plan_paths *out);
/*
 * Every simple AS-level path from pod src to pod dst over the plan's
 * relationships (customer-provider, private peering, two members of one
 * IXP: the route server is transparent and its pod is on no path), hops
 * being pods (uint32_t) in the direction packets go, src first. Each is
 * marked valley_free when the route dst announces could come back along
 * it (pi_plan_path_valley_free of the path read from src) and counted in
 * allowed. Kept: the max best, allowed ones first, then by length. limit
 * as above. 0, or -EINVAL for a pod out of range or an IXP.
 */
int pi_plan_as_paths(const struct pi_plan *plan, uint32_t src, uint32_t dst, size_t max, uint64_t limit,
		     struct pi_plan_paths *out);
/*
 * Why BGP would take AS path a over b (pods, src first, the same ends):
 * at the first pod where they part, the local preference of each next
 * pod by its relationship, e.g. "at transit2 (AS 5347) local preference
 * 200 (customer broadband3) beats 100 (peer transit3)". Equal preferences:
 * says the later tie-breaks chose. "" when the paths are the same.
 */
void pi_plan_as_path_why(const struct pi_plan *plan, const uint32_t *a, size_t na, const uint32_t *b, size_t nb,
			 char *why, size_t len);
/* What pod b is to pod a by the plan's relationships, as local preference
 * sees it: PI_REL_CUSTOMER, PI_REL_PEER (also over an IXP), PI_REL_PROVIDER;
 * false when they have none. A pair with several (a provider that is also a
 * fellow IXP member) gives the best for b's routes: customer, peer, provider. */
bool pi_plan_pod_rel(const struct pi_plan *plan, uint32_t a, uint32_t b, enum pi_rel *out);

#endif
