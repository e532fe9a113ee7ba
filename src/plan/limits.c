/*
 * limits: bounded cost for any lab. The planner's arrays grow with nodes,
 * links and sessions; the transit clique alone grows with the square of the
 * transit pods (20,000 of them would be 200 million peerings). So the sizes
 * are estimated from the lab's counts first, in time linear in its entries,
 * and a lab over a bound is refused with an error naming the limit.
 */
#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include "internal.h"

void pl_err(struct pl_ctx *c, struct pi_pos pos, const char *hint, const char *fmt, ...)
{
	if (!pos.line && c->lab) {
		pos = c->lab->pods_pos;
		if (!pos.file)
			pos.file = c->lab->file;
	}
	va_list ap;
	va_start(ap, fmt);
	pi_diag_vadd_capped(c->diag, &c->errors, PI_PLAN_MAX_ERRORS, pos, hint, fmt, ap);
	va_end(ap);
}

/* Upper bounds of one pod of a lab entry. */
struct pod_size {
	uint64_t nodes, links, routers;
};

static unsigned role_count(const struct pi_lab_pod *lp, const struct pi_bp_role *r)
{
	for (size_t o = 0; o < lp->n_overrides; o++)
		if (strcmp(lp->overrides[o].role, r->name) == 0)
			return lp->overrides[o].count;
	return r->count.value;
}

static unsigned count_of(const struct pi_lab_pod *lp, const char *role)
{
	const struct pi_bp_role *r = pi_blueprint_role(lp->bp, role);
	return r ? role_count(lp, r) : 0;
}

static struct pod_size pod_size(const struct pi_lab_pod *lp)
{
	const struct pi_blueprint *bp = lp->bp;
	struct pod_size z = { 0 };
	for (size_t r = 0; r < bp->n_roles; r++) {
		unsigned n = role_count(lp, &bp->roles[r]);
		z.nodes += n;
		if (bp->roles[r].services & PI_SVC_ROUTER)
			z.routers += n;
	}
	for (size_t l = 0; l < bp->n_links; l++) {
		const struct pi_bp_link *bl = &bp->links[l];
		uint64_t na = count_of(lp, bl->a), nb = count_of(lp, bl->b);
		if (bl->pattern == PI_PAT_FULL)
			z.links += strcmp(bl->a, bl->b) == 0 ? na * (na ? na - 1 : 0) / 2 : na * nb;
		else
			z.links += na;
	}
	z.links += bp->n_lans + 1;
	return z;
}

/* iBGP sessions of a pod: a full mesh up to 4 routers, else two reflectors
 * (one pair plus two per client); both families. */
static uint64_t ibgp_sessions(uint64_t r)
{
	return 2 * (r > 4 ? 2 * r - 3 : r * (r ? r - 1 : 0) / 2);
}

struct lab_size {
	uint64_t nodes, links, sessions, transit;
	const struct pi_lab_pod *biggest, *biggest_transit; /* entries to point at */
	uint64_t biggest_nodes, biggest_transit_n;
};

static void measure(const struct pi_lab *lab, struct lab_size *s)
{
	uint64_t ext = lab->n_rels;
	for (size_t i = 0; i < lab->n_pods; i++) {
		const struct pi_lab_pod *lp = &lab->pods[i];
		if (!lp->bp)
			continue;
		uint64_t cnt = lp->name ? 1 : lp->count;
		struct pod_size z = pod_size(lp);
		s->nodes += cnt * z.nodes;
		s->links += cnt * z.links;
		s->sessions += cnt * ibgp_sessions(z.routers);
		if (cnt * z.nodes > s->biggest_nodes) {
			s->biggest_nodes = cnt * z.nodes;
			s->biggest = lp;
		}
		if (lp->bp->tier == PI_TIER_TRANSIT) {
			s->transit += cnt;
			if (cnt > s->biggest_transit_n) {
				s->biggest_transit_n = cnt;
				s->biggest_transit = lp;
			}
		} else if (lp->bp->tier == PI_TIER_STUB) {
			ext += cnt * ((uint64_t)lp->bp->providers.max + lp->bp->ixps.max);
		} else {
			ext += 2 * cnt; /* an IXP is given two members when it has fewer */
		}
	}
	ext += s->transit * (s->transit ? s->transit - 1 : 0) / 2; /* the clique */
	s->links += ext;
	s->sessions += 2 * ext; /* IPv4 and IPv6 */
}

int pl_check_size(struct pl_ctx *c)
{
	const struct pi_lab *lab = c->lab;
	struct lab_size s = { 0 };
	if (lab->is_legacy)
		return 0; /* bounded by the format: 4080 pods of at most 8 routers */
	measure(lab, &s);
	struct pi_pos at = s.biggest ? s.biggest->pos : lab->pods_pos;
	if (s.nodes > PI_PLAN_MAX_NODES)
		PL_ERR(c, at, "use fewer pods or smaller role counts",
		       "the lab would have %llu nodes; the limit is %u (PI_PLAN_MAX_NODES)", (unsigned long long)s.nodes,
		       PI_PLAN_MAX_NODES);
	/* The clique is what usually explodes: say so. */
	uint64_t clique = s.transit * (s.transit ? s.transit - 1 : 0) / 2;
	if (clique * 2 > PI_PLAN_MAX_SESSIONS / 2 && s.biggest_transit)
		at = s.biggest_transit->pos;
	char why[160] = "";
	if (clique > 1000)
		snprintf(why, sizeof(why), " (the %llu transit pods peer with each other: %llu peerings)",
			 (unsigned long long)s.transit, (unsigned long long)clique);
	if (s.links > PI_PLAN_MAX_LINKS)
		PL_ERR(c, at, "use fewer pods, fewer transit pods or smaller blueprints",
		       "the lab would have about %llu links%s; the limit is %u (PI_PLAN_MAX_LINKS)",
		       (unsigned long long)s.links, why, PI_PLAN_MAX_LINKS);
	if (s.sessions > PI_PLAN_MAX_SESSIONS)
		PL_ERR(c, at, "use fewer pods, fewer transit pods or fewer routers per pod",
		       "the lab would have about %llu BGP sessions%s; the limit is %u (PI_PLAN_MAX_SESSIONS)",
		       (unsigned long long)s.sessions, why, PI_PLAN_MAX_SESSIONS);
	return c->errors ? -EINVAL : 0;
}

void pl_node_limits(struct pl_ctx *c)
{
	static const uint32_t mem[PI_CLASS_DEFAULT] = { PI_PLAN_DEFAULT_MEM_ROUTER_MB, PI_PLAN_DEFAULT_MEM_RESOLVER_MB,
						      PI_PLAN_DEFAULT_MEM_SERVER_MB, PI_PLAN_DEFAULT_MEM_CLIENT_MB };
	static const uint32_t pids[PI_CLASS_DEFAULT] = { PI_PLAN_DEFAULT_PIDS_ROUTER, PI_PLAN_DEFAULT_PIDS_RESOLVER,
						       PI_PLAN_DEFAULT_PIDS_SERVER, PI_PLAN_DEFAULT_PIDS_CLIENT };
	const struct pi_lab_limits *lim = &c->lab->limits;
	for (uint32_t n = 0; n < c->plan->n_nodes; n++) {
		struct pi_plan_node *nd = &c->plan->nodes[n];
		enum pi_node_class k = pi_node_class_of(nd->services);
		/* The class's own entry, else the lab's default, else ours. */
		nd->mem_limit_mb = lim->mem_mb[k] ? lim->mem_mb[k] : lim->mem_mb[PI_CLASS_DEFAULT] ? lim->mem_mb[PI_CLASS_DEFAULT] : mem[k];
		nd->pids_limit = lim->pids[k] ? lim->pids[k] : lim->pids[PI_CLASS_DEFAULT] ? lim->pids[PI_CLASS_DEFAULT] : pids[k];
		/* Full tables (announce.c): routers hold every route; a lab that sets their memory decides. */
		if (k == PI_CLASS_ROUTER && !lim->mem_mb[k] && !lim->mem_mb[PI_CLASS_DEFAULT])
			nd->mem_limit_mb += pl_table_mem_mb(c->plan);
	}
}
