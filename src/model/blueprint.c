/*
 * blueprint: blueprints/<name>.yml -> struct pi_blueprint.
 *
 * A blueprint is data, not code: every rule about what a pod may contain is
 * checked here against the schema (docs/lab-format.md), so adding a fifth
 * blueprint is adding a file. Problems are reported with the blueprint
 * file's positions, all of them, and the blueprint is still filled as far as
 * it could be read so that the lab's own checks can go on.
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "model.h"

static const char *const service_names[] = {
	"router", "ebgp", "route-server", "resolver", "auth-dns",
	"dhcp",   "nat44", "nat64",       "http",     "client", "rpki", NULL,
};

unsigned pi_service_from_name(const char *name)
{
	for (unsigned i = 0; service_names[i]; i++)
		if (name && strcmp(service_names[i], name) == 0)
			return 1u << i;
	return 0;
}

const char *pi_service_name(unsigned bit)
{
	if (bit == PI_SVC_SPEAKER) /* the model's own: no blueprint role may ask for it */
		return "speaker";
	for (unsigned i = 0; service_names[i]; i++)
		if (bit == 1u << i)
			return service_names[i];
	return NULL;
}

const struct pi_bp_role *pi_blueprint_role(const struct pi_blueprint *bp, const char *name)
{
	for (size_t i = 0; bp && name && i < bp->n_roles; i++)
		if (bp->roles[i].name && strcmp(bp->roles[i].name, name) == 0)
			return &bp->roles[i];
	return NULL;
}

static const char *const bp_keys[] = { "description", "tier", "providers", "ixps", "anycast",
				       "roles",       "links", "lans",      NULL };
static const char *const role_keys[] = { "description", "services", "count", "min", "max", "v4_hosts", NULL };
static const char *const range_keys[] = { "min", "max", NULL };
static const char *const link_keys[] = { "between", "pattern", "ring", NULL };
static const char *const lan_keys[] = { "name", "ipv4", "ipv6", "members", "subscriber", "cgnat", "nat64", NULL };
static const char *const tier_names[] = { "transit", "stub", "ixp", NULL }; /* enum pi_tier order */

const char *pi_tier_name(enum pi_tier t)
{
	if (t == PI_TIER_EXTERNAL) /* not a word blueprint files may use */
		return "external";
	return (unsigned)t < PI_ARRAY_LEN(tier_names) - 1 ? tier_names[t] : "?";
}
static const char *const pattern_names[] = { "full", "chain", "pair", NULL };

/* Role-name lookup that also says what exists when it fails. */
static const struct pi_bp_role *role_ref(struct pi_ld *ld, const struct pi_blueprint *bp, const struct pi_ynode *n,
					 const char *what)
{
	const char *name;
	if (!pi_y_str(ld, n, what, &name))
		return NULL;
	const struct pi_bp_role *r = pi_blueprint_role(bp, name);
	if (r)
		return r;
	const char **names = pi_arena_alloc(&ld->tmp, (bp->n_roles + 1) * sizeof(*names));
	size_t k = 0;
	for (size_t i = 0; i < bp->n_roles; i++)
		if (bp->roles[i].name)
			names[k++] = bp->roles[i].name;
	const char *near = pi_nearest(name, names, k);
	const char *list = pi_ld_join(ld, names, k, k);
	pi_ld_err(ld, n->pos,
		  near ? pi_ld_fmt(ld, "did you mean '%s'? roles: %s", near, list)
		       : pi_ld_fmt(ld, "name a role defined under roles: (%s)", list),
		  "%s: unknown role '%s'", what, pi_ld_val(ld, name));
	return NULL;
}

static void parse_range(struct pi_ld *ld, const struct pi_ynode *n, const char *what, unsigned lo, unsigned hi,
			struct pi_count *c)
{
	if (!pi_y_is(ld, n, PI_Y_MAP, what))
		return;
	pi_y_keys(ld, n, range_keys, what);
	uint64_t v;
	const struct pi_ynode *mn = pi_y_get(n, "min"), *mx = pi_y_get(n, "max");
	if (mn && pi_y_uint(ld, mn, pi_ld_fmt(ld, "%s min", what), lo, hi, &v))
		c->min = (unsigned)v;
	if (mx && pi_y_uint(ld, mx, pi_ld_fmt(ld, "%s max", what), lo, hi, &v))
		c->max = (unsigned)v;
	if (mn && !mx && c->max < c->min)
		c->max = c->min;
	if (mx && !mn && c->min > c->max)
		c->min = c->max;
	if (c->min > c->max)
		pi_ld_err(ld, (mx ? mx : n)->pos, "make min at most max", "%s: min %u is above max %u", what, c->min,
			  c->max);
	c->value = c->min;
}

static void parse_role(struct pi_ld *ld, const struct pi_ynode *key, const struct pi_ynode *val,
		       struct pi_bp_role *r)
{
	r->pos = key->pos;
	const char *name;
	if (!pi_y_str(ld, key, "a role name", &name))
		return;
	if (!pi_y_name_ok(name, PI_ROLE_NAME_MAX, true))
		pi_ld_err(ld, key->pos,
			  pi_ld_fmt(ld, "use lowercase letters, digits and '-', starting with a letter, at most %d chars",
				    PI_ROLE_NAME_MAX),
			  "invalid role name '%s'", pi_ld_val(ld, name));
	r->name = name;
	const char *where = pi_ld_fmt(ld, "role '%s'", name);
	if (!pi_y_is(ld, val, PI_Y_MAP, where))
		return;
	pi_y_keys(ld, val, role_keys, where);
	const struct pi_ynode *n;
	if ((n = pi_y_get(val, "description")))
		pi_y_str(ld, n, pi_ld_fmt(ld, "%s description", where), &r->description);
	n = pi_y_get(val, "services");
	if (!n) {
		pi_ld_err(ld, key->pos, "add services: [router] (or another service list)",
			  "%s has no 'services'", where);
	} else if (pi_y_is(ld, n, PI_Y_SEQ, pi_ld_fmt(ld, "%s services", where))) {
		if (n->n == 0)
			pi_ld_err(ld, n->pos, "list at least one service", "%s: empty services list", where);
		for (size_t i = 0; i < n->n; i++) {
			const struct pi_ynode *s = n->kids[i];
			unsigned idx;
			if (!pi_y_enum(ld, s, "service", service_names, &idx))
				continue;
			if (r->services & (1u << idx))
				pi_ld_err(ld, s->pos, "list each service once", "%s: service '%s' listed twice", where,
					  s->str);
			r->services |= 1u << idx;
		}
	}
	uint64_t v;
	r->count = (struct pi_count){ 1, 1, 1 };
	const struct pi_ynode *c = pi_y_get(val, "count"), *mn = pi_y_get(val, "min"), *mx = pi_y_get(val, "max");
	if (c && pi_y_uint(ld, c, pi_ld_fmt(ld, "%s count", where), 0, PI_ROLE_COUNT_MAX, &v))
		r->count.value = (unsigned)v;
	r->count.min = r->count.max = r->count.value;
	if (mn && pi_y_uint(ld, mn, pi_ld_fmt(ld, "%s min", where), 0, PI_ROLE_COUNT_MAX, &v))
		r->count.min = (unsigned)v;
	if (mx && pi_y_uint(ld, mx, pi_ld_fmt(ld, "%s max", where), 1, PI_ROLE_COUNT_MAX, &v))
		r->count.max = (unsigned)v;
	if (r->count.min > r->count.value)
		pi_ld_err(ld, (mn ? mn : val)->pos, "make min at most count",
			  "%s: min %u is above count %u", where, r->count.min, r->count.value);
	else if (r->count.value > r->count.max)
		pi_ld_err(ld, (mx ? mx : c ? c : val)->pos, "make max at least count",
			  "%s: count %u is above max %u", where, r->count.value, r->count.max);
	if ((n = pi_y_get(val, "v4_hosts")) && pi_y_uint(ld, n, pi_ld_fmt(ld, "%s v4_hosts", where), 0, 1024, &v))
		r->v4_hosts = (unsigned)v;

	/* Service combinations that cannot work on one node. */
	if ((r->services & PI_SVC_CLIENT) && (r->services & ~PI_SVC_CLIENT))
		pi_ld_err(ld, key->pos, "make the clients a role of their own",
			  "%s: 'client' cannot be combined with other services", where);
	if ((r->services & PI_SVC_EBGP) && !(r->services & PI_SVC_ROUTER))
		pi_ld_err(ld, key->pos, "add 'router' to the services", "%s: 'ebgp' needs 'router'", where);
	if ((r->services & PI_SVC_RS) && (r->services & (PI_SVC_ROUTER | PI_SVC_EBGP)))
		pi_ld_err(ld, key->pos, "a route server does not forward traffic; give routing to another role",
			  "%s: 'route-server' cannot be combined with 'router' or 'ebgp'", where);
}

static void parse_link(struct pi_ld *ld, const struct pi_ynode *n, struct pi_blueprint *bp, struct pi_bp_link *l)
{
	l->pos = n ? n->pos : pi_ld_pos(ld, 0, 0);
	if (!pi_y_is(ld, n, PI_Y_MAP, "a links entry"))
		return;
	pi_y_keys(ld, n, link_keys, "a links entry");
	const struct pi_ynode *b = pi_y_get(n, "between");
	const struct pi_bp_role *ra = NULL, *rb = NULL;
	if (!b) {
		pi_ld_err(ld, n->pos, "add between: [roleA, roleB]", "link without 'between'");
	} else if (pi_y_is(ld, b, PI_Y_SEQ, "between")) {
		if (b->n != 2) {
			pi_ld_err(ld, b->pos, "name exactly two roles (the same one twice links a role's nodes together)",
				  "between must name 2 roles, not %zu", b->n);
		} else {
			ra = role_ref(ld, bp, b->kids[0], "between");
			rb = role_ref(ld, bp, b->kids[1], "between");
		}
	}
	l->a = ra ? ra->name : NULL;
	l->b = rb ? rb->name : NULL;
	unsigned pat = PI_PAT_FULL;
	const struct pi_ynode *p = pi_y_get(n, "pattern"), *ring = pi_y_get(n, "ring");
	if (p)
		pi_y_enum(ld, p, "link pattern", pattern_names, &pat);
	l->pattern = (enum pi_bp_pattern)pat;
	if (ring)
		pi_y_bool(ld, ring, "ring", &l->ring);
	if (ra && rb) {
		if (l->pattern == PI_PAT_CHAIN && ra != rb)
			pi_ld_err(ld, p->pos, "use pattern: full or pair between two roles",
				  "pattern chain links one role's nodes in a row; %s and %s are different roles", ra->name,
				  rb->name);
		if (l->pattern == PI_PAT_PAIR && ra == rb)
			pi_ld_err(ld, p->pos, "use pattern: chain or full within one role",
				  "pattern pair needs two different roles");
		if ((ra->services | rb->services) & (PI_SVC_CLIENT | PI_SVC_RS))
			pi_ld_err(ld, b->pos, "put clients on a subscriber LAN (lans:); the IXP LAN holds the route server",
				  "clients and route servers are not linked point-to-point");
	}
	if (l->ring && l->pattern != PI_PAT_CHAIN)
		pi_ld_err(ld, ring->pos, "remove ring, or use pattern: chain", "ring: true only applies to pattern chain");
}

static bool lan_holds(const struct pi_blueprint *bp, const struct pi_bp_lan *lan, unsigned svc)
{
	for (unsigned i = 0; i < lan->n_members; i++) {
		const struct pi_bp_role *r = pi_blueprint_role(bp, lan->members[i]);
		if (r && (r->services & svc))
			return true;
	}
	return false;
}

/* Reads and checks the LAN's name; returns how messages should call the LAN. */
static const char *parse_lan_name(struct pi_ld *ld, const struct pi_ynode *n, struct pi_blueprint *bp,
				  struct pi_bp_lan *lan, size_t index)
{
	const struct pi_ynode *v;
	const char *where = "a LAN";
	if (!(v = pi_y_get(n, "name"))) {
		pi_ld_err(ld, n->pos, "add name: (up to 6 letters/digits, e.g. svc)", "LAN without a name");
	} else if (pi_y_str(ld, v, "LAN name", &lan->name)) {
		if (!pi_y_name_ok(lan->name, PI_LAN_NAME_MAX, false))
			pi_ld_err(ld, v->pos,
				  pi_ld_fmt(ld, "use 1 to %d lowercase letters and digits, starting with a letter (it "
						"becomes part of interface names)",
					    PI_LAN_NAME_MAX),
				  "invalid LAN name '%s'", pi_ld_val(ld, lan->name));
		for (size_t i = 0; i < index; i++)
			if (bp->lans[i].name && strcmp(bp->lans[i].name, lan->name) == 0)
				pi_ld_err(ld, v->pos, "give each LAN its own name", "duplicate LAN name '%s' (first at line %u)",
					  lan->name, bp->lans[i].pos.line);
		where = pi_ld_fmt(ld, "LAN '%s'", lan->name);
	}
	return where;
}

/* Reads the LAN's member roles, each once; returns the members node (NULL if absent). */
static const struct pi_ynode *parse_lan_members(struct pi_ld *ld, const struct pi_ynode *n, struct pi_blueprint *bp,
						struct pi_bp_lan *lan, const char *where)
{
	const struct pi_ynode *v;
	if (!(v = pi_y_get(n, "members"))) {
		pi_ld_err(ld, n->pos, "add members: [role, ...]", "%s has no 'members'", where);
	} else if (pi_y_is(ld, v, PI_Y_SEQ, pi_ld_fmt(ld, "%s members", where))) {
		if (v->n == 0)
			pi_ld_err(ld, v->pos, "name at least one role", "%s has no members", where);
		size_t m = pi_y_cap(ld, v, PI_BP_MAX_ROLES, "LAN members");
		lan->members = pi_arena_alloc(ld->arena, (m ? m : 1) * sizeof(*lan->members));
		for (size_t i = 0; i < m && !pi_ld_full(ld); i++) {
			const struct pi_bp_role *r = role_ref(ld, bp, v->kids[i], pi_ld_fmt(ld, "%s members", where));
			if (!r)
				continue;
			bool dup = false;
			for (unsigned j = 0; j < lan->n_members && !dup; j++)
				dup = strcmp(lan->members[j], r->name) == 0;
			if (dup) {
				pi_ld_err(ld, v->kids[i]->pos, "list each role once", "%s: role '%s' listed twice", where,
					  r->name);
				continue;
			}
			lan->members[lan->n_members++] = r->name;
		}
	}
	return v;
}

/* Reads the optional prefix lengths and the subscriber/cgnat/nat64 flags. */
static void parse_lan_options(struct pi_ld *ld, const struct pi_ynode *n, struct pi_bp_lan *lan, const char *where)
{
	uint64_t x;
	const struct pi_ynode *v4 = pi_y_get(n, "ipv4"), *v6 = pi_y_get(n, "ipv6");
	if (v4 && pi_y_uint(ld, v4, pi_ld_fmt(ld, "%s ipv4 prefix length", where), 16, 30, &x))
		lan->v4_len = (unsigned)x;
	if (v6 && pi_y_uint(ld, v6, pi_ld_fmt(ld, "%s ipv6 prefix length", where), 48, 124, &x))
		lan->v6_len = (unsigned)x;
	const struct pi_ynode *sub = pi_y_get(n, "subscriber"), *cg = pi_y_get(n, "cgnat"), *n64 = pi_y_get(n, "nat64");
	if (sub)
		pi_y_bool(ld, sub, "subscriber", &lan->subscriber);
	if (cg)
		pi_y_bool(ld, cg, "cgnat", &lan->cgnat);
	if (n64)
		pi_y_bool(ld, n64, "nat64", &lan->nat64);
}

/* What the flags promise must be deliverable by the members. */
static void check_lan_flags(struct pi_ld *ld, const struct pi_ynode *n, const struct pi_blueprint *bp,
			    const struct pi_bp_lan *lan, const char *where)
{
	const struct pi_ynode *v4 = pi_y_get(n, "ipv4"), *v6 = pi_y_get(n, "ipv6");
	const struct pi_ynode *sub = pi_y_get(n, "subscriber"), *cg = pi_y_get(n, "cgnat"), *n64 = pi_y_get(n, "nat64");
	if (lan->subscriber && lan->v6_len != 64)
		pi_ld_err(ld, v6->pos, "use ipv6: 64 (SLAAC needs a /64)", "%s: a subscriber LAN needs an IPv6 /64",
			  where);
	if (lan->subscriber && !lan_holds(bp, lan, PI_SVC_DHCP))
		pi_ld_err(ld, sub->pos, "add a role with the 'dhcp' service to members",
			  "%s: subscriber LAN without a dhcp role", where);
	if (lan->cgnat) {
		if (!lan->subscriber)
			pi_ld_err(ld, cg->pos, "add subscriber: true", "%s: cgnat only applies to a subscriber LAN", where);
		if (!lan->v4_len)
			pi_ld_err(ld, cg->pos, "give the LAN an ipv4 prefix length, or remove cgnat",
				  "%s: cgnat on a LAN without IPv4", where);
		if (!lan_holds(bp, lan, PI_SVC_NAT44))
			pi_ld_err(ld, cg->pos, "add a role with the 'nat44' service to members",
				  "%s: cgnat LAN without a nat44 role", where);
	}
	if (lan->nat64) {
		if (!lan->subscriber)
			pi_ld_err(ld, n64->pos, "add subscriber: true", "%s: nat64 only applies to a subscriber LAN", where);
		if (lan->v4_len)
			pi_ld_err(ld, v4->pos, "remove ipv4: a nat64 LAN is IPv6-only", "%s: nat64 LAN with IPv4", where);
		if (!lan_holds(bp, lan, PI_SVC_NAT64))
			pi_ld_err(ld, n64->pos, "add a role with the 'nat64' service to members",
				  "%s: nat64 LAN without a nat64 role", where);
	}
}

/* Which roles may sit on the LAN, and whether its IPv4 prefix holds them all.
 * members is the members node, v4 the ipv4 node (both for error positions). */
static void check_lan_roles(struct pi_ld *ld, const struct pi_blueprint *bp, const struct pi_bp_lan *lan,
			    const struct pi_ynode *members, const struct pi_ynode *v4, const char *where)
{
	unsigned hosts = 0;
	for (unsigned i = 0; i < lan->n_members; i++) {
		const struct pi_bp_role *r = pi_blueprint_role(bp, lan->members[i]);
		hosts += r ? r->count.max : 0;
		if (r && (r->services & PI_SVC_CLIENT) && !lan->subscriber)
			pi_ld_err(ld, members->pos, "add subscriber: true, or move the client role to a subscriber LAN",
				  "%s: client role '%s' on a LAN that is not a subscriber LAN", where, r->name);
		if (r && (r->services & PI_SVC_RS))
			pi_ld_err(ld, members->pos, "remove it: the planner puts route servers on the IXP peering LAN",
				  "%s: route-server role '%s' on a pod LAN", where, r->name);
	}
	if (lan->v4_len && hosts > (1u << (32 - lan->v4_len)) - 2)
		pi_ld_err(ld, v4->pos, pi_ld_fmt(ld, "use ipv4: %u or shorter", pi_prefix_len_for(PI_AF_V4, hosts + 2)),
			  "%s: an IPv4 /%u holds %u hosts but up to %u nodes join it", where, lan->v4_len,
			  (1u << (32 - lan->v4_len)) - 2, hosts);
}

static void parse_lan(struct pi_ld *ld, const struct pi_ynode *n, struct pi_blueprint *bp, struct pi_bp_lan *lan,
		      size_t index)
{
	lan->pos = n ? n->pos : pi_ld_pos(ld, 0, 0);
	lan->v6_len = 64;
	if (!pi_y_is(ld, n, PI_Y_MAP, "a lans entry"))
		return;
	pi_y_keys(ld, n, lan_keys, "a lans entry");
	const char *where = parse_lan_name(ld, n, bp, lan, index);
	const struct pi_ynode *members = parse_lan_members(ld, n, bp, lan, where);
	parse_lan_options(ld, n, lan, where);
	check_lan_flags(ld, n, bp, lan, where);
	check_lan_roles(ld, bp, lan, members, pi_y_get(n, "ipv4"), where);
}

static bool role_connected(const struct pi_blueprint *bp, const char *name)
{
	for (size_t i = 0; i < bp->n_links; i++)
		if ((bp->links[i].a && strcmp(bp->links[i].a, name) == 0) ||
		    (bp->links[i].b && strcmp(bp->links[i].b, name) == 0))
			return true;
	for (size_t i = 0; i < bp->n_lans; i++)
		for (unsigned j = 0; j < bp->lans[i].n_members; j++)
			if (strcmp(bp->lans[i].members[j], name) == 0)
				return true;
	return false;
}

/* tier:, and the stub-only providers:/ixps: ranges it decides about; true
 * when the tier is known (the whole-blueprint rules need it). */
static bool parse_tier(struct pi_ld *ld, const struct pi_ynode *root, struct pi_blueprint *bp)
{
	const struct pi_ynode *n;
	unsigned tier = PI_TIER_STUB;
	bool tier_ok = false;
	if (!(n = pi_y_get(root, "tier")))
		pi_ld_err(ld, root->pos, "add tier: transit, stub or ixp", "the blueprint has no 'tier'");
	else
		tier_ok = pi_y_enum(ld, n, "tier", tier_names, &tier);
	bp->tier = (enum pi_tier)tier;

	const struct pi_ynode *prov = pi_y_get(root, "providers"), *ixps = pi_y_get(root, "ixps");
	if (bp->tier == PI_TIER_STUB) {
		bp->providers = (struct pi_count){ 1, 1, 1 };
		bp->ixps = (struct pi_count){ 0, 0, 1 };
		if (prov)
			parse_range(ld, prov, "providers", 1, 8, &bp->providers);
		if (ixps)
			parse_range(ld, ixps, "ixps", 0, 8, &bp->ixps);
	} else if (tier_ok) {
		if (prov)
			pi_ld_err(ld, pi_y_key(root, "providers")->pos, "remove it, or make the tier stub",
				  "providers only applies to stub blueprints");
		if (ixps)
			pi_ld_err(ld, pi_y_key(root, "ixps")->pos, "remove it, or make the tier stub",
				  "ixps only applies to stub blueprints");
	}
	return tier_ok;
}

static void parse_roles(struct pi_ld *ld, const struct pi_ynode *root, struct pi_blueprint *bp)
{
	const struct pi_ynode *n = pi_y_get(root, "roles");
	if (!n) {
		pi_ld_err(ld, root->pos, "add roles: with at least one role", "the blueprint has no 'roles'");
		return;
	}
	if (!pi_y_is(ld, n, PI_Y_MAP, "roles"))
		return;
	if (n->n == 0)
		pi_ld_err(ld, n->pos, "define at least one role", "roles is empty");
	size_t m = pi_y_cap(ld, n, PI_BP_MAX_ROLES, "roles");
	bp->roles = pi_arena_alloc(ld->arena, (m ? m : 1) * sizeof(*bp->roles));
	for (size_t i = 0; i < m && !pi_ld_full(ld); i++) {
		const struct pi_ynode *k = n->kids[2 * i];
		if (k->kind == PI_Y_SCALAR && pi_blueprint_role(bp, k->str)) {
			pi_ld_err(ld, k->pos, "give each role its own name", "duplicate role '%s'", pi_ld_val(ld, k->str));
			continue;
		}
		parse_role(ld, k, n->kids[2 * i + 1], &bp->roles[bp->n_roles++]);
	}
}

static void parse_links_lans(struct pi_ld *ld, const struct pi_ynode *root, struct pi_blueprint *bp)
{
	const struct pi_ynode *n;
	if ((n = pi_y_get(root, "links")) && pi_y_is(ld, n, PI_Y_SEQ, "links")) {
		size_t m = pi_y_cap(ld, n, PI_BP_MAX_LINKS, "links");
		bp->links = pi_arena_alloc(ld->arena, (m ? m : 1) * sizeof(*bp->links));
		for (size_t i = 0; i < m && !pi_ld_full(ld); i++)
			parse_link(ld, n->kids[i], bp, &bp->links[bp->n_links++]);
	}
	if ((n = pi_y_get(root, "lans")) && pi_y_is(ld, n, PI_Y_SEQ, "lans")) {
		size_t m = pi_y_cap(ld, n, PI_BP_MAX_LANS, "lans");
		bp->lans = pi_arena_alloc(ld->arena, (m ? m : 1) * sizeof(*bp->lans));
		for (size_t i = 0; i < m && !pi_ld_full(ld); i++) {
			parse_lan(ld, n->kids[i], bp, &bp->lans[i], i);
			bp->n_lans++;
		}
	}
}

/* Whole-blueprint rules: the pod must be able to take part in its tier. */
static void check_tier_rules(struct pi_ld *ld, const struct pi_ynode *root, const struct pi_blueprint *bp)
{
	unsigned all = 0, border_min = 0;
	bool has_rs = false;
	for (size_t i = 0; i < bp->n_roles; i++) {
		const struct pi_bp_role *r = &bp->roles[i];
		all |= r->services;
		if (r->services & PI_SVC_EBGP)
			border_min += r->count.min;
		has_rs = has_rs || (r->services & PI_SVC_RS);
		if ((r->services & PI_SVC_RS) && bp->tier != PI_TIER_IXP)
			pi_ld_err(ld, r->pos, "only ixp blueprints run route servers",
				  "role '%s': route-server in a %s blueprint", r->name, tier_names[bp->tier]);
		/* An IXP pod's nodes sit on the peering LAN the planner makes. */
		if (bp->tier != PI_TIER_IXP && r->name && r->count.max > 0 && !role_connected(bp, r->name))
			pi_ld_err(ld, r->pos, "add the role to a links entry or to a LAN's members",
				  "role '%s' is not connected to anything", r->name);
	}
	if (bp->tier == PI_TIER_IXP && !has_rs)
		pi_ld_err(ld, root->pos, "add a role with services: [route-server]",
			  "an ixp blueprint needs a route-server role");
	if (bp->tier != PI_TIER_IXP && border_min == 0)
		pi_ld_err(ld, root->pos, "add a role with services: [router, ebgp] and min >= 1",
			  "a %s blueprint needs at least one border router (ebgp) in every pod", tier_names[bp->tier]);
	if ((all & PI_SVC_DHCP) && bp->n_lans) {
		bool served = false;
		for (size_t i = 0; i < bp->n_lans; i++)
			served = served || bp->lans[i].subscriber;
		if (!served)
			pi_ld_err(ld, root->pos, "add a LAN with subscriber: true for the dhcp role to serve",
				  "a dhcp role but no subscriber LAN");
	}
}

static void parse_root(struct pi_ld *ld, const struct pi_ynode *root, struct pi_blueprint *bp)
{
	if (!pi_y_is(ld, root, PI_Y_MAP, "a blueprint"))
		return;
	bp->pos = root->pos;
	pi_y_keys(ld, root, bp_keys, "the blueprint");
	const struct pi_ynode *n;
	if ((n = pi_y_get(root, "description")))
		pi_y_str(ld, n, "description", &bp->description);
	bool tier_ok = parse_tier(ld, root, bp);
	if ((n = pi_y_get(root, "anycast")))
		pi_y_bool(ld, n, "anycast", &bp->anycast);
	parse_roles(ld, root, bp);
	parse_links_lans(ld, root, bp);
	if (tier_ok && bp->n_roles)
		check_tier_rules(ld, root, bp);
}

void pi_bp_parse(struct pi_ld *ld, const char *name, const char *file, const char *text, size_t len,
		 struct pi_blueprint *bp)
{
	const char *saved = ld->file;
	memset(bp, 0, sizeof(*bp));
	bp->name = pi_arena_strdup(ld->arena, name);
	bp->file = pi_arena_strdup(ld->arena, file);
	ld->file = bp->file;
	bp->pos = pi_ld_pos(ld, 1, 1);
	if (!pi_y_name_ok(name, PI_BP_NAME_MAX, true))
		pi_ld_err(ld, pi_ld_pos(ld, 0, 0),
			  pi_ld_fmt(ld, "rename the file: lowercase letters, digits and '-', at most %d chars, then .yml",
				    PI_BP_NAME_MAX),
			  "invalid blueprint name '%s'", pi_ld_val(ld, name));
	struct pi_ynode *root;
	if (pi_yaml_parse(ld, text, len, &root) == 0 && root)
		parse_root(ld, root, bp);
	ld->file = saved;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int pi_bp_load_dir(struct pi_ld *ld, const char *dir, struct pi_blueprint **out, size_t *n_out)
{
	struct pi_vec names = PI_VEC_INIT(char *);
	int rc = 0;
	*out = NULL;
	*n_out = 0;
	DIR *d = opendir(dir);
	if (!d) {
		rc = -errno;
		pi_ld_err(ld, (struct pi_pos){ .file = dir }, "give the blueprint directory with -B DIR or POCKETINTERNET_BLUEPRINTS",
			  "cannot open blueprint directory: %s", strerror(-rc));
		return rc;
	}
	struct dirent *e;
	while ((e = readdir(d))) {
		size_t l = strlen(e->d_name);
		if (e->d_name[0] == '.' || l <= 4 || strcmp(e->d_name + l - 4, ".yml") != 0)
			continue;
		/* Stems, so that sorting gives blueprint-name order ("a" before "a-b"). */
		*(char **)pi_vec_push(&names) = pi_arena_strndup(&ld->tmp, e->d_name, l - 4);
	}
	closedir(d);
	if (names.len == 0) {
		pi_ld_err(ld, (struct pi_pos){ .file = dir }, "put blueprint files (NAME.yml) in it, or use -B DIR",
			  "no blueprints (*.yml) in this directory");
		rc = -ENOENT;
		goto out;
	}
	qsort(names.data, names.len, sizeof(char *), cmp_str);
	struct pi_blueprint *bps = pi_arena_alloc(ld->arena, names.len * sizeof(*bps));
	size_t n = 0;
	for (size_t i = 0; i < names.len; i++) {
		const char *stem = *(char **)pi_vec_at(&names, i);
		char *path = pi_ld_fmt(ld, "%s/%s.yml", dir, stem);
		char *text;
		size_t len;
		int r = pi_read_file(path, &text, &len);
		if (r < 0) {
			pi_ld_err(ld, (struct pi_pos){ .file = path }, "check the file's permissions",
				  "cannot read blueprint: %s", strerror(-r));
			if (!rc)
				rc = r;
			continue;
		}
		pi_bp_parse(ld, stem, path, text, len, &bps[n++]);
		free(text);
	}
	*out = bps;
	*n_out = n;
out:
	pi_vec_free(&names);
	return rc;
}

int pi_blueprint_check_mem(const char *name, const char *file, const char *text, size_t len, struct pi_diag *diag)
{
	struct pi_arena arena = { 0 };
	struct pi_ld ld;
	struct pi_blueprint bp;
	size_t first = pi_diag_count(diag);
	pi_ld_init(&ld, &arena, diag);
	pi_bp_parse(&ld, name, file, text, len, &bp);
	pi_ld_sort(diag, first, PI_LD_SORT_END(&ld));
	int rc = ld.errors ? -EINVAL : 0;
	pi_ld_done(&ld);
	pi_arena_free(&arena);
	return rc;
}
