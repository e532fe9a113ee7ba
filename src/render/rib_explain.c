/*
 * render/rib_explain: the looking glass's reading of a RIB, pure.
 *
 * Why a route won follows BIRD 2.0's selection order: nest/rt-table.c
 * rte_better compares the sources' preferences, then for two BGP routes
 * proto/bgp/attrs.c bgp_rte_better goes through a resolvable next hop,
 * local preference, AS path length, origin, MED (only between routes from
 * the same neighbouring AS: BIRD's default), eBGP over iBGP, IGP metric,
 * router ID (a reflected route's ORIGINATOR_ID instead), cluster list
 * length and the neighbour's address. The first that separates two routes
 * is the answer. The IGP metric is not in `show route all`; it is skipped.
 *
 * Communities: every eBGP route carries (ASN, PI_LC_REL, kind) of each AS
 * of the lab that learned it (docs/routing-policy.md); the one with our
 * own ASN says where we learned it, the others where the ASes before us did.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "render_int.h"

const char *pi_rib_crit_name(enum pi_rib_crit c)
{
	switch (c) {
	case PI_RIB_CRIT_NONE: return "none";
	case PI_RIB_CRIT_PREFERENCE: return "preference";
	case PI_RIB_CRIT_RESOLVABLE: return "next hop";
	case PI_RIB_CRIT_LOCAL_PREF: return "local preference";
	case PI_RIB_CRIT_AS_PATH: return "AS path length";
	case PI_RIB_CRIT_ORIGIN: return "origin";
	case PI_RIB_CRIT_MED: return "MED";
	case PI_RIB_CRIT_EBGP: return "eBGP over iBGP";
	case PI_RIB_CRIT_IGP_METRIC: return "IGP metric";
	case PI_RIB_CRIT_ROUTER_ID: return "router ID";
	case PI_RIB_CRIT_CLUSTER: return "cluster list";
	case PI_RIB_CRIT_NEIGHBOR: return "neighbour address";
	}
	return "?";
}

const char *pi_rib_origin_name(uint8_t origin)
{
	return origin == PI_RIB_ORIGIN_IGP ? "IGP" : origin == PI_RIB_ORIGIN_EGP ? "EGP" : "incomplete";
}

const struct pi_bgp_state *pi_bgp_state_find(const struct pi_vec *v, const char *name)
{
	for (size_t i = 0; v && i < v->len; i++) {
		const struct pi_bgp_state *s = pi_vec_at(v, i);
		if (strcmp(s->name, name) == 0)
			return s;
	}
	return NULL;
}

/* "200 (customer)" or "200". */
static void lp_text(const struct pi_rib_route *r, char *buf, size_t len)
{
	const char *k = r->from_kind;
	if (strcmp(k, "rs") == 0)
		k = "route server";
	if (k[0] && strcmp(k, "own") != 0)
		snprintf(buf, len, "%u (%s)", r->local_pref, k);
	else
		snprintf(buf, len, "%u", r->local_pref);
}

/* "65004 65004" (at most a few ASNs, then "..."). */
static void path_text(const struct pi_rib_route *r, char *buf, size_t len)
{
	size_t off = 0;
	buf[0] = '\0';
	for (unsigned i = 0; i < r->as_path_len && off + 16 < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%u", i ? " " : "", r->as_path[i]);
	if (r->as_path_truncated && off + 4 < len)
		snprintf(buf + off, len - off, " ...");
}

/* Dotted-quad (or any address) text to a comparable number; false when absent or not IPv4. */
static bool id_value(const char *s, uint32_t *out)
{
	unsigned a, b, c, d;
	if (!s || sscanf(s, "%u.%u.%u.%u", &a, &b, &c, &d) != 4 || a > 255 || b > 255 || c > 255 || d > 255)
		return false;
	*out = a << 24 | b << 16 | c << 8 | d;
	return true;
}

/* The router ID BIRD compares: ORIGINATOR_ID when the route was reflected, else the neighbour's. */
static bool router_id(const struct pi_rib_route *r, const struct pi_bgp_state *s, uint32_t *out, char *text,
		      size_t len)
{
	if (pi_prefix_is_set(&r->originator_id) && r->originator_id.family == PI_AF_V4) {
		pi_prefix_fmt_addr(&r->originator_id, text);
		return id_value(text, out);
	}
	snprintf(text, len, "%s", s ? s->neighbor_id : "");
	return s && id_value(s->neighbor_id, out);
}

static enum pi_rib_crit why_bgp_late(const struct pi_rib_route *b, const struct pi_bgp_state *bs,
				     const struct pi_rib_route *o, const struct pi_bgp_state *os, char *why,
				     size_t len)
{
	char t1[PI_PREFIX_STRLEN], t2[PI_PREFIX_STRLEN];
	uint32_t ib, io;
	if (bs && os && bs->detailed && os->detailed && bs->internal != os->internal) {
		snprintf(why, len, "learned over eBGP (%s) beats iBGP (%s)", bs->internal ? o->proto : b->proto,
			 bs->internal ? b->proto : o->proto);
		return PI_RIB_CRIT_EBGP;
	}
	if (router_id(b, bs, &ib, t1, sizeof(t1)) && router_id(o, os, &io, t2, sizeof(t2)) && ib != io) {
		snprintf(why, len, "router ID %s beats %s (lower wins)", t1, t2);
		return PI_RIB_CRIT_ROUTER_ID;
	}
	if (b->cluster_len != o->cluster_len) {
		snprintf(why, len, "cluster list of %u beats %u (shorter wins)", b->cluster_len, o->cluster_len);
		return PI_RIB_CRIT_CLUSTER;
	}
	struct pi_prefix nb, no;
	if (bs && os && pi_prefix_parse(bs->neighbor_addr, &nb) == 0 && pi_prefix_parse(os->neighbor_addr, &no) == 0 &&
	    pi_prefix_cmp(&nb, &no) != 0) {
		snprintf(why, len, "neighbour address %s beats %s (lower wins)", bs->neighbor_addr, os->neighbor_addr);
		return PI_RIB_CRIT_NEIGHBOR;
	}
	snprintf(why, len, "equal by every criterion shown: the daemon's own tie-break");
	return PI_RIB_CRIT_NONE;
}

/* Both BGP, same preference, both resolvable. */
static enum pi_rib_crit why_bgp(const struct pi_rib_route *b, const struct pi_bgp_state *bs,
				const struct pi_rib_route *o, const struct pi_bgp_state *os, char *why, size_t len)
{
	char t1[64], t2[64];
	if (b->local_pref != o->local_pref) {
		lp_text(b, t1, sizeof(t1));
		lp_text(o, t2, sizeof(t2));
		snprintf(why, len, "local preference %s beats %s", t1, t2);
		return PI_RIB_CRIT_LOCAL_PREF;
	}
	if (b->as_path_total != o->as_path_total) {
		path_text(b, t1, sizeof(t1));
		path_text(o, t2, sizeof(t2));
		snprintf(why, len, "AS path length %u (%s) beats %u (%s)", b->as_path_total, t1[0] ? t1 : "empty",
			 o->as_path_total, t2[0] ? t2 : "empty");
		return PI_RIB_CRIT_AS_PATH;
	}
	if (b->origin != o->origin) {
		snprintf(why, len, "origin %s beats %s", pi_rib_origin_name(b->origin), pi_rib_origin_name(o->origin));
		return PI_RIB_CRIT_ORIGIN;
	}
	/* MED only between routes from the same neighbouring AS; a missing MED counts as 0. */
	uint32_t nb = b->as_path_len ? b->as_path[0] : 0, no = o->as_path_len ? o->as_path[0] : 0;
	uint32_t mb = b->has_med ? b->med : 0, mo = o->has_med ? o->med : 0;
	if (nb == no && mb != mo) {
		snprintf(why, len, "MED %u beats %u (lower wins; both from AS %u)", mb, mo, nb);
		return PI_RIB_CRIT_MED;
	}
	return why_bgp_late(b, bs, o, os, why, len);
}

enum pi_rib_crit pi_rib_why(const struct pi_rib_route *best, const struct pi_bgp_state *bs,
			    const struct pi_rib_route *other, const struct pi_bgp_state *os, char *why, size_t len)
{
	if (best->preference != other->preference) {
		snprintf(why, len, "preference %u (%s) beats %u (%s)", best->preference, best->bgp ? "BGP" : best->proto,
			 other->preference, other->bgp ? "BGP" : other->proto);
		return PI_RIB_CRIT_PREFERENCE;
	}
	if (!best->bgp || !other->bgp) {
		snprintf(why, len, "equal preference %u: the daemon orders different protocols itself",
			 best->preference);
		return PI_RIB_CRIT_NONE;
	}
	bool rb = strcmp(best->type, "unreachable") != 0, ro = strcmp(other->type, "unreachable") != 0;
	if (rb != ro) {
		snprintf(why, len, "its next hop is reachable; the other's (%s) is not", other->proto);
		return PI_RIB_CRIT_RESOLVABLE;
	}
	return why_bgp(best, bs, other, os, why, len);
}

static const char *kind_words(uint32_t kind)
{
	return kind == PI_LC_FROM_CUSTOMER ? "a customer" : kind == PI_LC_FROM_PEER ? "a peer" : "a provider";
}

static unsigned kind_lp(uint32_t kind)
{
	return kind == PI_LC_FROM_CUSTOMER ? PI_LP_CUSTOMER : kind == PI_LC_FROM_PEER ? PI_LP_PEER : PI_LP_PROVIDER;
}

bool pi_rib_large_meaning(const struct pi_plan *plan, uint32_t local_as, const struct pi_rib_route *r, unsigned i,
			  char *buf, size_t len)
{
	uint32_t a = r->large[i].a, b = r->large[i].b, c = r->large[i].c;
	if (b != PI_LC_REL || c < PI_LC_FROM_CUSTOMER || c > PI_LC_FROM_PROVIDER) {
		snprintf(buf, len, "(%u, %u, %u)", a, b, c);
		return false;
	}
	if (a == local_as && local_as) {
		bool rs = c == PI_LC_FROM_PEER && strcmp(r->from_kind, "rs") == 0;
		snprintf(buf, len, "learned here from %s (local preference %u)",
			 rs ? "a peer through an IXP route server" : kind_words(c), kind_lp(c));
		return true;
	}
	uint32_t pod = plan ? pi_plan_pod_by_asn(plan, a) : PI_NONE;
	if (pod != PI_NONE)
		snprintf(buf, len, "%s (AS %u) learned it from %s", plan->pods[pod].name, a, kind_words(c));
	else
		snprintf(buf, len, "AS %u learned it from %s", a, kind_words(c));
	return true;
}

void pi_rib_explain(const struct pi_rib_route *routes, size_t n, const struct pi_vec *sessions,
		    enum pi_rib_crit *crit, char (*why)[256])
{
	for (size_t i = 0; i < n;) {
		size_t end = i + 1, best = SIZE_MAX;
		while (end < n && pi_prefix_equal(&routes[end].net, &routes[i].net))
			end++;
		for (size_t k = i; k < end; k++)
			if (routes[k].best && best == SIZE_MAX)
				best = k;
		for (size_t k = i; k < end; k++) {
			crit[k] = PI_RIB_CRIT_NONE;
			if (k == best) {
				snprintf(why[k], sizeof(why[k]), "best");
			} else if (best == SIZE_MAX) {
				snprintf(why[k], sizeof(why[k]), "no best route");
			} else {
				const struct pi_rib_route *b = &routes[best], *o = &routes[k];
				crit[k] = pi_rib_why(b, pi_bgp_state_find(sessions, b->proto), o,
						     pi_bgp_state_find(sessions, o->proto), why[k], sizeof(why[k]));
			}
		}
		i = end;
	}
}
