/*
 * lab: the user's intent, validated, nothing derived yet.
 *
 * A lab file (labs/NAME.yml) and the blueprints it names (blueprints/NAME.yml) are
 * loaded with libyaml into these types. Every element keeps the position it
 * came from, so later stages (the planner) can still point at the line that
 * caused a problem. Loading never touches the system beyond reading files.
 *
 * Two lab formats are accepted (see docs/lab-format.md):
 *  - the native format (name, seed, address_space, pods, relationships);
 *  - the original Pocket Internet format (pods with number "X.Y", kind,
 *    routing, stacks; peerings). It is recognised by its pods' `number:`
 *    key and kept in struct pi_legacy; the planner maps it onto blueprints
 *    with that project's addressing.
 */
#ifndef POCKETINTERNET_LAB_H
#define POCKETINTERNET_LAB_H

#include <stdbool.h>
#include <stdint.h>
#include "diag.h"
#include "impair.h"
#include "prefix.h"
#include "util.h"

/* What a node of a role runs. A role lists these as `services: [...]`. */
enum pi_service {
	PI_SVC_ROUTER = 1u << 0,   /* "router": OSPF + iBGP inside its pod */
	PI_SVC_EBGP = 1u << 1,     /* "ebgp": also holds the pod's eBGP sessions (border) */
	PI_SVC_RS = 1u << 2,       /* "route-server": IXP route server */
	PI_SVC_RESOLVER = 1u << 3, /* "resolver": Unbound recursive resolver (+DNS64) */
	PI_SVC_AUTHDNS = 1u << 4,  /* "auth-dns": Unbound authoritative for the pod's zones */
	PI_SVC_DHCP = 1u << 5,     /* "dhcp": dnsmasq DHCPv4/DHCPv6/RA on subscriber LANs */
	PI_SVC_NAT44 = 1u << 6,    /* "nat44": nftables carrier-grade NAT */
	PI_SVC_NAT64 = 1u << 7,    /* "nat64": tayga, 64:ff9b::/96 */
	PI_SVC_HTTP = 1u << 8,     /* "http": web server */
	PI_SVC_CLIENT = 1u << 9,   /* "client": subscriber host, addresses by DHCP/RA */
	PI_SVC_RPKI = 1u << 10,    /* "rpki": RPKI cache (stayrtr) serving the lab's VRPs over RTR */
	/* "speaker": an external BGP speaker (a lab's `external:`), never in a
	 * blueprint: it runs what its entry says, not the router daemon. */
	PI_SVC_SPEAKER = 1u << 11,
};
/* Name <-> bit; pi_service_from_name returns 0 for an unknown name. */
unsigned pi_service_from_name(const char *name);
const char *pi_service_name(unsigned bit);

/* How a pod of a blueprint takes part in the AS graph. */
enum pi_tier {
	PI_TIER_TRANSIT, /* "transit": the transit clique; sells transit */
	PI_TIER_STUB,    /* "stub": buys transit from providers_min..max, joins ixps_min..max IXPs */
	PI_TIER_IXP,     /* "ixp": a peering LAN with a route server */
	PI_TIER_EXTERNAL, /* "external": one speaker of a lab's `external:`; never in a blueprint file */
};
/* "transit", "stub", "ixp"; pi_service_name's table likewise lives with the
 * blueprint loader, the one place these words are defined. */
const char *pi_tier_name(enum pi_tier t);

/* Limits the loader enforces (docs/lab-format.md). Names end up in container,
 * interface and DNS names, hence the short lengths. */
#define PI_LAB_NAME_MAX 16    /* lab and pod names: [a-z][a-z0-9-]* */
#define PI_BP_NAME_MAX 12     /* blueprint names (file stems) */
#define PI_ROLE_NAME_MAX 12   /* role names */
#define PI_LAN_NAME_MAX 6     /* LAN names: [a-z][a-z0-9]*, part of interface names */
#define PI_ROLE_COUNT_MAX 32  /* nodes of one role in one pod */
#define PI_LAB_MAX_PODS 20000 /* pods in a lab, explicit and generated together (bench: 10,000) */
#define PI_LAB_MAX_RELS 4096  /* relationships entries (and legacy peerings) */
#define PI_BP_MAX_ROLES 32    /* roles in a blueprint */
#define PI_BP_MAX_LINKS 128   /* links entries in a blueprint */
#define PI_BP_MAX_LANS 32     /* LANs in a blueprint */
#define PI_LAB_TITLE_MAX 120  /* bytes of a lab's title: printable text */
#define PI_LAB_FILE_MAX (16 * 1024 * 1024) /* bytes of a lab file (-c) */

/* Containment classes of nodes, by what they run (the keys of a lab's
 * `limits:`, with "default"): routers (router or route-server), resolvers,
 * clients, and every other server. */
enum pi_node_class {
	PI_CLASS_ROUTER,
	PI_CLASS_RESOLVER,
	PI_CLASS_SERVER,
	PI_CLASS_CLIENT,
	PI_CLASS_DEFAULT, /* "default": every class the lab does not name */
	PI_CLASS_COUNT
};
/* "router", "resolver", "server", "client", "default". */
const char *pi_node_class_name(enum pi_node_class c);
/* The class of a node with these enum pi_service bits (never DEFAULT). */
enum pi_node_class pi_node_class_of(unsigned services);

/* A lab's `limits:` (0 = not given: the planner's default for the class). */
struct pi_lab_limits {
	uint32_t mem_mb[PI_CLASS_COUNT];
	uint32_t pids[PI_CLASS_COUNT];
	struct pi_pos pos;
};
#define PI_LIMIT_MEM_MIN_MB 32u
#define PI_LIMIT_MEM_MAX_MB 65536u
#define PI_LIMIT_PIDS_MIN 16u
#define PI_LIMIT_PIDS_MAX 65536u

struct pi_count {
	unsigned value, min, max;
};

struct pi_bp_role {
	const char *name; /* "border", "core", "rs", "resolver", ... */
	const char *description;
	unsigned services; /* enum pi_service bits */
	struct pi_count count; /* default count and the bounds a lab may override within */
	unsigned v4_hosts;     /* addresses a node of this role needs besides its interfaces (e.g. NAT pools), 0 = none */
	struct pi_pos pos;
};

enum pi_bp_pattern {
	PI_PAT_FULL,  /* every node of a with every node of b (a==b: full mesh, no self links) */
	PI_PAT_CHAIN, /* a==b only: n1-n2, n2-n3, ... (a ring when ring:true) */
	PI_PAT_PAIR,  /* a[i] with b[i mod |b|] */
};

/* A point-to-point link pattern between two roles. */
struct pi_bp_link {
	const char *a, *b; /* role names */
	enum pi_bp_pattern pattern;
	bool ring;
	struct pi_pos pos;
};

/* A multi-access LAN inside the pod: a bridge that some roles attach to. */
struct pi_bp_lan {
	const char *name;      /* short: used in interface and bridge names */
	const char **members;  /* role names */
	unsigned n_members;
	unsigned v4_len;       /* IPv4 prefix length for the LAN; 0 = IPv6-only LAN */
	unsigned v6_len;       /* IPv6 prefix length; normally 64 */
	bool subscriber;       /* hosts on it are subscribers served by the pod's dhcp role */
	bool cgnat;            /* its IPv4 comes from 100.64.0.0/10 and is NATed to a public pool */
	bool nat64;            /* IPv6-only segment reaching IPv4 through NAT64/DNS64 */
	struct pi_pos pos;
};

struct pi_blueprint {
	const char *name; /* file stem: blueprints/<name>.yml */
	const char *file;
	const char *description;
	enum pi_tier tier;
	struct pi_count providers; /* stub: how many transit providers (multihoming) */
	struct pi_count ixps;      /* stub: how many IXPs to join */
	bool anycast;              /* pods originate the lab's anycast (CDN) prefixes */
	struct pi_bp_role *roles;
	size_t n_roles;
	struct pi_bp_link *links;
	size_t n_links;
	struct pi_bp_lan *lans;
	size_t n_lans;
	struct pi_pos pos;
};

/* A role count override, from a lab's pod entry: `roles: {host: 3}`. */
struct pi_role_override {
	const char *role;
	unsigned count;
	struct pi_pos pos;
};

/* What a pod's students configure themselves (docs/lab-format.md, "teams"):
 * an explicit pod entry's `configure: students` (= bgp) or
 * `configure: {students: bgp|all}`. */
enum pi_exercise {
	PI_EXERCISE_NONE, /* generated configuration, as every other pod */
	PI_EXERCISE_BGP,  /* "bgp": addresses, OSPF and iBGP given; no eBGP sessions, no origination */
	PI_EXERCISE_ALL,  /* "all": addresses only; no OSPF, no BGP */
};
/* "none", "bgp", "all" */
const char *pi_exercise_name(enum pi_exercise e);
/* ---- full tables (docs/lab-format.md, "announce") ---- */

/* The reserved spaces generated tables come from (docs/testing-bgp.md,
 * "Full tables"): never a lab's address space (the loader refuses a lab
 * whose space overlaps them), never a bogon. */
#define PI_TABLE_SPACE4 "32.0.0.0/3"
#define PI_TABLE_SPACE6 "3000::/8"
#define PI_TABLE_MAX4 2000000u /* generated prefixes of one family in a lab */
#define PI_TABLE_MAX6 2000000u
#define PI_MRT_FILE_MAX (1024u * 1024 * 1024) /* bytes of an MRT dump */

/* One route of a replayed MRT dump: its prefix and the AS path the
 * collector saw (neighbour first, origin last). */
struct pi_lab_mrt_route {
	struct pi_prefix net;
	uint32_t path_off, n_path; /* into pi_lab_announce.asns */
};

/* A pod's `announce:`: generated prefixes (count4/count6 > 0), or an MRT
 * dump's routes (mrt set), besides its aggregates. */
struct pi_lab_announce {
	uint32_t count4, count6;
	unsigned len4, len6;  /* fixed prefix length, 0 = realistic (mostly /24 and /48) */
	const char *mrt;      /* the file as written, or NULL */
	struct pi_lab_mrt_route *routes; /* read at load time, in file order */
	uint32_t n_routes;
	uint32_t *asns;
	uint32_t n_asns;
	struct pi_pos pos;
};

/* The length of the block of PI_TABLE_SPACE4/6 that holds count generated
 * prefixes of one family (fixed_len: their fixed length, 0 realistic): room
 * for twice as many, and for the shortest realistic length (/16, /29). */
unsigned pi_lab_table_block_len(uint8_t family, uint32_t count, unsigned fixed_len);

/* ---- RPKI (docs/lab-format.md, "rpki") ---- */

enum pi_rpki_mistake_kind {
	PI_RPKI_WRONG_ORIGIN,     /* "wrong-origin": the ROAs name another AS: the pod's routes are invalid */
	PI_RPKI_TOO_SHORT_MAXLEN, /* "too-short-maxlen": a covering ROA whose maxLength stops short: invalid */
	PI_RPKI_MISSING,          /* "missing": no ROA: the pod's routes are unknown */
};
struct pi_lab_rpki_mistake {
	const char *pod;
	enum pi_rpki_mistake_kind kind;
	struct pi_pos pos;
};
struct pi_lab_rpki {
	bool enabled;        /* the lab has an `rpki:` section */
	bool rov_all;        /* rov: all */
	const char **rov;    /* pod names doing route origin validation */
	struct pi_pos *rov_pos;
	size_t n_rov;
	const char *cache;   /* the pod holding the cache node; NULL: the first transit pod */
	struct pi_pos cache_pos;
	struct pi_lab_rpki_mistake *mistakes;
	size_t n_mistakes;
	struct pi_pos pos;
};
const char *pi_rpki_mistake_name(enum pi_rpki_mistake_kind k);

/* One explicit pod, or one entry of generated pods (`count` > 0 and no name). */
struct pi_lab_pod {
	const char *name;      /* NULL for generated pods: the planner names them <blueprint><n> */
	const char *blueprint; /* name; resolved to bp at load time. A generated
				* pod always has one: an entry without it is an
				* error and is not kept */
	const struct pi_blueprint *bp;
	uint32_t asn;          /* 0 = let the planner choose */
	unsigned count;        /* 1 for explicit pods */
	/* Generated pods are named <blueprint><n> (<blueprint>-<n> when the blueprint
	 * name ends in a digit) for n = first_index .. first_index+count-1: numbering
	 * is per blueprint, starting at 1, over the generated entries in file order
	 * (explicit pods do not take numbers; a named pod may not take a generated
	 * name, so the planner's numbering gives the same names). Relationships may
	 * name them. 0 for explicit pods. */
	unsigned first_index;
	struct pi_role_override *overrides;
	size_t n_overrides;
	enum pi_exercise exercise; /* explicit pods only */
	struct pi_lab_announce *announce; /* explicit pods only; NULL: just the aggregates */
	struct pi_pos pos;
};

/* A team of students and the pods it owns (`teams:`); the generator form
 * {per_pod: BLUEPRINT} is expanded at load into one team per pod, named
 * after the pod. Every pod belongs to at most one team. */
#define PI_LAB_MAX_TEAMS 1024
struct pi_lab_team {
	const char *name;  /* [a-z][a-z0-9-]*, at most PI_LAB_NAME_MAX */
	const char **pods; /* pod names, as the planner names them */
	size_t n_pods;
	struct pi_pos pos;
};

enum pi_lab_rel_kind {
	PI_LAB_REL_PROVIDER, /* a is the provider of b (b buys transit from a) */
	PI_LAB_REL_PEER,     /* a and b peer settlement-free on a private link */
	PI_LAB_REL_IXP,      /* a is a member of IXP pod b */
};

struct pi_lab_rel {
	enum pi_lab_rel_kind kind;
	const char *a, *b; /* pod names */
	struct pi_pos pos;
};

/* ---- impairments: link defaults (docs/lab-format.md, "impairments") ---- */

/* Which links a rule of `impairments:` matches; every key given must hold
 * (AND), a key not given matches anything. */
enum pi_lab_scope {
	PI_LAB_SCOPE_ANY,
	PI_LAB_SCOPE_INTERNAL,   /* "internal": inside one pod (IGP links and LANs) */
	PI_LAB_SCOPE_EXTERNAL,   /* "external": a private link between two pods (eBGP) */
	PI_LAB_SCOPE_IXP,        /* "ixp": an IXP peering LAN */
	PI_LAB_SCOPE_SUBSCRIBER, /* "subscriber": a broadband subscriber LAN */
};
enum pi_lab_match_rel {
	PI_LAB_MATCH_REL_ANY,
	PI_LAB_MATCH_REL_CUSTOMER, /* "customer": a transit (provider-customer) link */
	PI_LAB_MATCH_REL_PEER,     /* "peer": a private settlement-free peering */
	PI_LAB_MATCH_REL_RS,       /* "rs": an IXP LAN (members and route server) */
};
#define PI_LAB_MAX_IMPAIR_RULES 256

struct pi_lab_impair_rule {
	enum pi_lab_scope scope;
	enum pi_lab_match_rel rel;
	int tier;          /* enum pi_tier of either end's pod, or -1: any */
	const char *pod;   /* either end's pod is this one; NULL: any */
	const char *link;  /* the plan's link name ("a--b", a LAN bridge); NULL: any */
	struct pi_impair impair; /* checked with pi_impair_check */
	struct pi_pos pos; /* the rule (list item) */
};

/* ---- the original Pocket Internet format ---- */
enum pi_legacy_kind { PI_LEGACY_BASE, PI_LEGACY_DNS, PI_LEGACY_WEB };

struct pi_legacy_pod {
	unsigned x, y; /* number "X.Y": 16 <= X <= 31, 1 <= Y <= 255 */
	enum pi_legacy_kind kind;
	unsigned routers; /* routing.count (or routing.number in older files) */
	bool v4, v6;      /* stacks */
	struct pi_pos pos;
};

struct pi_legacy_peering {
	unsigned left_x, left_y, left_router;
	unsigned right_x, right_y, right_router;
	struct pi_pos pos;
};

struct pi_legacy {
	struct pi_legacy_pod *pods;
	size_t n_pods;
	struct pi_legacy_peering *peerings;
	size_t n_peerings;
};

/* ---- external speakers (docs/lab-format.md, "external") ---- */
enum pi_speaker {
	PI_SPEAKER_EXABGP, /* "exabgp", shipped in the node image */
	PI_SPEAKER_GOBGPD, /* "gobgpd", likewise */
	PI_SPEAKER_FRR,    /* "frr": FRR's bgpd, likewise */
	PI_SPEAKER_IMAGE,  /* "image": any local image, with its command */
};
const char *pi_speaker_name(enum pi_speaker s);
/* 0 and *out, or -EINVAL for an unknown word. */
int pi_speaker_parse(const char *s, enum pi_speaker *out);

/* Where an external speaker attaches (what it is to the named pod). */
enum pi_attach {
	PI_ATTACH_IXP,         /* "ixp": a member of IXP pod `to` (route-server client) */
	PI_ATTACH_CUSTOMER_OF, /* "customer_of": buys transit from `to` */
	PI_ATTACH_PEER_OF,     /* "peer_of": peers settlement-free with `to` */
	PI_ATTACH_PROVIDER_OF, /* "provider_of": sells transit to `to` */
};
const char *pi_attach_name(enum pi_attach a);
int pi_attach_parse(const char *s, enum pi_attach *out);

#define PI_EXT_MAX 64          /* external speakers in a lab */
#define PI_EXT_MAX_PREFIXES 64 /* prefixes: an entry may list */
#define PI_EXT_MAX_ARGS 32     /* command: words */

struct pi_lab_external {
	const char *name;       /* a pod name: [a-z][a-z0-9-]*, unique among pods */
	uint32_t asn;           /* fixed: no pod nor other external has it */
	enum pi_speaker speaker;
	const char *image;      /* PI_SPEAKER_IMAGE: the local image; else NULL */
	const char **command;   /* PI_SPEAKER_IMAGE: argv (may be empty: the image's own) */
	size_t n_command;
	enum pi_attach attach;
	const char *to;         /* the pod it attaches to */
	/* More prefixes it may announce besides the aggregates the plan gives
	 * it (the lab side accepts these too); unusual lengths are allowed. */
	struct pi_prefix *prefixes;
	size_t n_prefixes;
	/* A network namespace the tester already runs on the host (a name in
	 * /run/netns, as `ip netns` makes): the speaker is wired into it
	 * instead of a container. NULL: a container. */
	const char *netns;
	struct pi_pos pos;
};
#define PI_NETNS_NAME_MAX 64 /* [A-Za-z0-9_.-], not "." or ".." */
/* Is s a netns name attach accepts? */
bool pi_netns_name_ok(const char *s);

/* The blueprint every external speaker's pod uses: tier external, one node
 * of role "speaker" (services ebgp and speaker), no links or LANs. */
const struct pi_blueprint *pi_external_blueprint(void);

struct pi_lab {
	struct pi_arena arena; /* owns every string and array below */
	const char *file;      /* as given on the command line */
	const char *name;      /* lab name: [a-z0-9-], <= 16 chars (used in container names) */
	const char *title;     /* free text for people ("Main Demo Lab"), or NULL */
	const char *tld;       /* pocket top-level domain, default "pocket" ("lab" for legacy) */
	uint64_t seed;
	struct pi_prefix v4, v6; /* address space; defaults 10.0.0.0/8, 2001:db8::/32 */
	struct pi_pos v4_pos, v6_pos;
	struct pi_pos pods_pos; /* the `pods` key: where lab-wide planner errors point */
	struct pi_lab_limits limits;
	struct pi_lab_pod *pods; /* explicit pods first, in file order, then counts */
	size_t n_pods;
	struct pi_lab_rel *rels;
	size_t n_rels;
	struct pi_lab_impair_rule *impairments; /* `impairments:` in file order: the first */
	size_t n_impairments;                   /* rule matching a link gives its impairment */
	struct pi_lab_team *teams; /* `teams:` in file order, generated teams where their entry stood */
	size_t n_teams;
	/* `external:` in file order. Each is also a pod (after every other pod,
	 * blueprint pi_external_blueprint()) and a relationship (after the
	 * others), so the planner treats it as any AS. */
	struct pi_lab_external *externals;
	size_t n_externals;
	struct pi_blueprint *blueprints; /* the ones loaded, sorted by name */
	size_t n_blueprints;
	bool is_legacy;
	struct pi_legacy legacy;
	struct pi_lab_rpki rpki;
};

/*
 * Loads a lab and every blueprint in blueprint_dir (NULL: the default dir).
 * On any error returns -EINVAL (or -errno for I/O) with every problem in diag,
 * sorted by position within each file, and *out NULL. On success diag gets
 * no errors, only warnings (PI_DIAG_WARNING: keys of the original format
 * that are ignored, slips read as what was meant). Formats, rules and limits: docs/lab-format.md.
 */
int pi_lab_load(const char *path, const char *blueprint_dir, struct pi_lab **out, struct pi_diag *diag);
/* Same from memory; name is used as the file in positions (fuzzing, tests). */
int pi_lab_load_mem(const char *name, const char *text, size_t len, const char *blueprint_dir,
		    struct pi_lab **out, struct pi_diag *diag);
void pi_lab_free(struct pi_lab *lab);
const struct pi_blueprint *pi_lab_blueprint(const struct pi_lab *lab, const char *name);
/* The team that owns pod (by name), or NULL. */
const struct pi_lab_team *pi_lab_team_of_pod(const struct pi_lab *lab, const char *pod);
/* The external entry of this name, or NULL. */
const struct pi_lab_external *pi_lab_external(const struct pi_lab *lab, const char *name);
/*
 * Adds one external speaker to a loaded lab (`pocketinternet attach`), with
 * the checks `external:` gets (name, ASN, pod, kind of pod); its position
 * is ext->pos. 0, or -EINVAL with the problems in diag and the lab
 * unchanged. Strings are copied into the lab's arena.
 */
int pi_lab_add_external(struct pi_lab *lab, const struct pi_lab_external *ext, struct pi_diag *diag);
/* Removes the external speaker of this name (`detach`): 0, or -ENOENT. */
int pi_lab_remove_external(struct pi_lab *lab, const char *name);
const struct pi_bp_role *pi_blueprint_role(const struct pi_blueprint *bp, const char *name);

/* Where blueprints are looked for when no -B is given: $POCKETINTERNET_BLUEPRINTS,
 * then the source tree's blueprints/ (compiled in), then the installed data dir. */
const char *pi_default_blueprint_dir(void);
/* The default lab file when no -c is given. */
const char *pi_default_lab_file(void);

#endif
