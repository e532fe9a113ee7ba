/*
 * plan internals: the build context shared by the planner's stages
 * (limits.c, graph.c, topo.c, addr.c, session.c, hosts.c, dns.c, legacy.c),
 * which build.c runs. Calls go one way: build.c calls the stages; legacy.c
 * uses topo, session, hosts and dns; dns uses hosts; nothing calls build.c.
 * Nothing here is public.
 *
 * The stages run in a fixed order (build.c: pi_plan_build):
 *   pods -> AS graph -> nodes -> links/ifaces -> addresses -> sessions
 *   -> gateways/resolvers -> DNS -> copy into the plan's arena.
 * Every choice is a pure function of the lab (and of the pins, when
 * given): a pod's own choices (ASN, providers, IXPs, counts) draw from its
 * own pi_rng keyed by (seed, pod name), and choices between pods (border,
 * slot, position) hash the names involved, so adding or removing a pod
 * does not move the others (stable.c, docs/plan.md "Stable plans").
 */
#ifndef PI_PLAN_INTERNAL_H
#define PI_PLAN_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include "pocketinternet/log.h"
#include "pocketinternet/plan.h"

/* ---- string -> uint32 map (membership and lookup only: never iterated,
 * so its layout cannot leak into the plan's order) ---- */
struct pl_map {
	const char **keys;
	uint32_t *vals;
	size_t cap, len;
};
void pl_map_init(struct pl_map *m, size_t hint);
void pl_map_free(struct pl_map *m);
/* Returns the value, or PI_NONE. */
uint32_t pl_map_get(const struct pl_map *m, const char *key);
/* Inserts key (not copied: must outlive the map). false if already present. */
bool pl_map_put(struct pl_map *m, const char *key, uint32_t val);

/* ---- uint64 set ---- */
struct pl_set64 {
	uint64_t *keys; /* 0 is the empty slot: callers store key+1 */
	size_t cap, len;
};
void pl_set64_init(struct pl_set64 *s, size_t hint);
void pl_set64_free(struct pl_set64 *s);
bool pl_set64_has(const struct pl_set64 *s, uint64_t key);
bool pl_set64_add(struct pl_set64 *s, uint64_t key); /* false if present */

/* Internal relationship kinds (a and b are pods). */
enum pl_rel_kind {
	PL_TRANSIT, /* a sells transit to b */
	PL_PEER,    /* private settlement-free peering */
	PL_IXP,     /* a is a member of IXP b */
};

struct pl_rel {
	enum pl_rel_kind kind;
	uint32_t a, b;
	bool from_lab;
	struct pi_pos pos;
	uint32_t link;                /* created link (p2p) or IXP LAN */
	uint32_t pin;                 /* index in pins->rels it was kept from, or PI_NONE */
	uint32_t a_border, b_border;  /* chosen border nodes */
	uint32_t a_if, b_if;          /* their ifaces (creation index, then final) */
};

/* How a link gets its addresses (addr.c). */
enum pl_link_src {
	PL_SRC_INTERNAL, /* /31 + /127 from the pod's internal blocks */
	PL_SRC_EXTERNAL, /* /31 + /127 from the owner pod's external blocks */
	PL_SRC_LAN,      /* blueprint LAN (index in bp->lans) */
	PL_SRC_IXP,      /* the IXP peering LAN */
	PL_SRC_FIXED,    /* legacy: addresses already set */
};

struct pl_link {
	enum pl_link_src src;
	uint32_t lan; /* PL_SRC_LAN: blueprint LAN index */
	struct pi_prefix pin4, pin6; /* PL_SRC_EXTERNAL: the subnets pins gave it (unset: none) */
};

/* An interface before its final name and position are known. */
struct pl_iface {
	uint32_t node, link;
	const char *pfx;  /* static prefix: "to-", "eth-", "ixp-" or "" */
	const char *base; /* the readable part */
	uint32_t host;    /* host number on a LAN (1-based), or p2p end (0/1) */
	struct pi_prefix v4, v6; /* legacy: preset */
	uint32_t pin_host;       /* IXP LAN member: host number pins gave it, or PI_NONE */
};

struct pl_pod {
	const struct pi_lab_pod *lp; /* NULL for legacy pods */
	uint32_t role_first; /* index into ctx.role_node: first node of each role */
	uint32_t border_off, n_borders; /* into ctx.borders */
	uint64_t key;        /* pl_key(seed, name): its streams and hashed positions */
	uint32_t pin;        /* index in pins->pods (same name and blueprint), or PI_NONE */
	uint32_t n_int_links, n_ext_owned;
	uint32_t n_lo;       /* nodes with loopbacks */
	bool v4, v6;         /* families the pod runs */
	uint32_t ixp_lan;    /* IXP pods: peering LAN link */
	uint32_t ixp_lan_bp; /* blueprint LAN used as the peering LAN, or PI_NONE */
	uint32_t n_members;  /* IXP pods */
	uint64_t members_cone;
	uint32_t resolver;   /* first resolver node, or PI_NONE */
	uint32_t first_auth, n_auth; /* into ctx.auth */
	struct pi_alloc lo4, int4, ext4; /* carved blocks being handed out */
	struct pi_prefix lo4_block, int4_block, ext4_block, nat44, nat64, cgnat;
	uint32_t lo_next, int_next, ext_next6, int_next6, lan6_next;
	bool pinned_providers, pinned_ixps; /* the lab lists them: no random ones */
	uint32_t n_providers, n_ixps;
};

struct pl_ctx {
	const struct pi_lab *lab;
	struct pi_plan *plan;
	struct pi_diag *diag;
	const struct pi_plan_pins *pins; /* NULL: none */
	struct pl_map pin_pods;          /* pins: pod name -> index in pins->pods */
	unsigned errors;

	struct pl_pod *px;
	uint32_t *role_node; /* per pod per role: first node index */
	uint32_t *role_count;
	struct pi_vec borders; /* uint32_t node indexes */
	struct pi_vec auth;    /* uint32_t node indexes */
	struct pi_vec rels;    /* struct pl_rel */
	struct pi_vec links;   /* struct pi_plan_link */
	struct pi_vec xlinks;  /* struct pl_link, parallel to links */
	struct pi_vec xifaces; /* struct pl_iface, creation order */
	struct pi_vec sessions;
	struct pi_vec routes;
	struct pl_map pods;    /* pod name -> index */
	struct pi_arena tmp;   /* scratch strings (map keys), freed after the build */
	uint32_t *iface_map;   /* creation index -> final iface index */
	struct pl_map names;   /* node names, bridge names, session keys */
	/* Per pod, the relationships touching it (CSR over rels). */
	uint32_t *adj_off, *adj;
	uint32_t n_transit;
	bool flat_dns; /* legacy: every record in the TLD and reverse parent zones */
	uint32_t rpki_pod; /* the pod holding the RPKI cache node, PI_NONE */
};

/* Adds an error (capped at PI_PLAN_MAX_ERRORS, like the loader's). A
 * position without a line (a lab-wide problem, or a default the lab relies
 * on) points at the lab's `pods` key. */
void pl_err(struct pl_ctx *c, struct pi_pos pos, const char *hint, const char *fmt, ...) PI_PRINTF(4, 5);
#define PL_ERR(c, pos, hint, ...) pl_err((c), (pos), (hint), __VA_ARGS__)

static inline uint32_t *pl_u32(const struct pi_vec *v, size_t i) { return pi_vec_at(v, i); }
/* An unordered pair of pods as one pl_set64 key. */
static inline uint64_t pl_pair_key(uint32_t a, uint32_t b)
{
	return a < b ? ((uint64_t)a << 32) | b : ((uint64_t)b << 32) | a;
}

/* ---- stable.c: hashing and hashed placement ---- */
uint64_t pl_mix64(uint64_t x);
/* The key of a name under the lab's seed (tag separates uses). */
uint64_t pl_key(uint64_t seed, const char *tag, const char *name);
/* A pod's own stream for one purpose (tag: "asn", "graph"). */
void pl_pod_rng(const struct pl_ctx *c, uint32_t pod, uint64_t tag, struct pi_rng *r);
/* Aligned blocks of a space, placed at a position keyed by a hash and
 * probed forward (wrapping) to the next free one; units of unit_len. */
struct pl_placer {
	struct pi_prefix space;
	unsigned unit_len;
	uint64_t n_units;
	struct pl_set64 used; /* unit index + 1 */
};
void pl_placer_init(struct pl_placer *pl, const struct pi_prefix *space, unsigned unit_len);
void pl_placer_free(struct pl_placer *pl);
/* Marks p taken; false (and nothing taken) when p is not inside the space,
 * is longer than a unit, or overlaps something taken. */
bool pl_placer_reserve(struct pl_placer *pl, const struct pi_prefix *p);
/* A free block of len at the first free aligned position from key's. -ENOSPC. */
int pl_placer_take(struct pl_placer *pl, unsigned len, uint64_t key, struct pi_prefix *out);
/* The last unit_len block of the space (the anycast prefixes live there). */
void pl_placer_last(const struct pl_placer *pl, struct pi_prefix *out);
/* The pins' view: is pod p kept from them. */
static inline bool pl_pinned(const struct pl_ctx *c, uint32_t p) { return c->px[p].pin != PI_NONE; }
/* A node of the plan by name, or PI_NONE (names are in ctx.names). */
uint32_t pl_node_named(const struct pl_ctx *c, const char *name);

/* limits.c: refuses a lab whose plan would exceed PI_PLAN_MAX_*, from
 * counts alone, before anything is allocated. */
int pl_check_size(struct pl_ctx *c);
/* Sets every node's mem_limit_mb and pids_limit from its class. */
void pl_node_limits(struct pl_ctx *c);

/* announce.c: the pods' tables (after addresses), then the import
 * limits that carry them (after sessions) and the routers' extra memory. */
void pl_tables(struct pl_ctx *c);
void pl_table_limits(struct pl_ctx *c);
uint32_t pl_table_mem_mb(const struct pi_plan *plan);
/* rpki.c: which pods validate and where the cache lives (after pods,
 * before nodes; returns the cache's pod or PI_NONE), then the ROAs and the
 * cache node (after tables). */
uint32_t pl_rpki_pods(struct pl_ctx *c);
void pl_roas(struct pl_ctx *c, uint32_t cache_pod);
bool pl_rpki_wants_node(const struct pl_ctx *c, uint32_t pod, const struct pi_bp_role *role);

/* graph.c */
int pl_pods(struct pl_ctx *c);
int pl_graph(struct pl_ctx *c);
/* External speakers' pods: speaker, image, command, extra prefixes (external.c). */
void pl_externals(struct pl_ctx *c);
/* topo.c */
int pl_nodes(struct pl_ctx *c);
int pl_links(struct pl_ctx *c);
uint32_t pl_link_new(struct pl_ctx *c, enum pi_link_kind kind, enum pi_link_scope scope, uint32_t pod,
		     enum pl_link_src src, const char *name);
uint32_t pl_iface_new(struct pl_ctx *c, uint32_t node, uint32_t link, const char *pfx, const char *base);
void pl_ifaces_finish(struct pl_ctx *c);
const char *pl_bridge_name(struct pl_ctx *c, const char *pod, const char *lan);
const char *pl_sym(struct pi_arena *a, const char *s);
/* A node's name without its pod's prefix ("border1" of "transit1-border1"). */
const char *pl_node_short(const struct pi_plan *p, uint32_t n);
/* session.c */
void pl_sessions(struct pl_ctx *c);
void pl_session_add(struct pl_ctx *c, const char *name_base, uint32_t a, uint32_t b, uint32_t ia, uint32_t ib,
		    unsigned family, enum pi_rel rel, uint32_t amax, uint32_t bmax, bool rr_client);
void pl_ibgp(struct pl_ctx *c, uint32_t p);
void pl_plan_rels(struct pl_ctx *c);
/* hosts.c */
void pl_hosts(struct pl_ctx *c);
struct pi_prefix pl_node_addr(const struct pi_plan *p, uint32_t node, unsigned family);
void pl_dns_duties(struct pl_ctx *c);
/* addr.c */
int pl_addresses(struct pl_ctx *c);
/* dns.c */
void pl_dns(struct pl_ctx *c, const struct pi_prefix *parents, unsigned n_parents);
/* legacy.c */
int pl_legacy(struct pl_ctx *c);

/* Writes root as the plan's JSON files are written (indented, ASCII, a final
 * newline) into out and releases it. 0 or -ENOMEM. (output.c) */
struct json_t;
int pl_json_write(struct json_t *root, struct pi_buf *out);

#endif
