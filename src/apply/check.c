/*
 * apply/check: grading an exercise pod against what its generated
 * configuration would achieve (docs/workshop.md, "Checking"). Everything is
 * read from the host, as verify and the looking glass read it: the routers'
 * daemons over their control sockets, reachability as ICMP from each
 * node's netns. So nothing a team does inside its nodes can fake a pass.
 *
 * The items, per pod: every planned eBGP session Established; exports to
 * peers, providers and route servers no bigger than the pod's cone; every
 * eBGP route with its relationship's local preference; the pod's
 * aggregates in the RIB of every neighbour AS and every transit pod; every
 * pair of nodes involving the pod reachable; no valley through the pod in
 * any RIB of the lab. Each item says what to do when it fails.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "apply_int.h"
#include "pocketinternet/render.h"

const char *pi_check_kind_name(enum pi_check_kind k)
{
	static const char *const names[] = { "session", "announced", "reach", "local-pref", "export", "valley-free",
					     "filter" };
	return (unsigned)k < PI_ARRAY_LEN(names) ? names[k] : "?";
}

void pi_check_result_init(struct pi_check_result *r)
{
	memset(r, 0, sizeof(*r));
	r->items = (struct pi_vec)PI_VEC_INIT(struct pi_check_item);
}

void pi_check_result_free(struct pi_check_result *r)
{
	pi_vec_free(&r->items);
}

static struct pi_check_item *item(struct pi_check_result *r, uint32_t pod, enum pi_check_kind k, bool pass)
{
	struct pi_check_item *it = pi_vec_push(&r->items);
	memset(it, 0, sizeof(*it));
	it->pod = pod;
	it->kind = k;
	it->pass = pass;
	if (pass)
		r->passed++;
	else
		r->failed++;
	return it;
}

/* Routes the pod may send to a peer, provider or route server: its cone's
 * aggregates of the family, and the anycast prefix when it originates it. */
static unsigned cone_routes(const struct pi_plan *plan, uint32_t pod, uint8_t family)
{
	const struct pi_plan_pod *p = &plan->pods[pod];
	unsigned n = 0;
	for (uint32_t i = 0; i < p->n_cone; i++) {
		const struct pi_plan_pod *c = &plan->pods[p->cone[i]];
		n += pi_prefix_is_set(family == PI_AF_V4 ? &c->v4 : &c->v6);
		n += c->anycast;
	}
	return n;
}

static void session_item(const struct pi_plan *plan, uint32_t node, const struct pi_lg_session *s,
			 struct pi_check_result *res)
{
	const struct pi_plan_node *n = &plan->nodes[node];
	const struct pi_plan_node *rn = &plan->nodes[s->neighbor];
	const struct pi_plan_pod *rp = &plan->pods[rn->pod];
	struct pi_check_item *it = item(res, n->pod, PI_CHECK_SESSION, s->st.established);
	snprintf(it->what, sizeof(it->what), "session %s of %s with %s %s (AS %u)", s->st.name, n->name,
		 pi_rel_name(s->rel), rn->name, rp->asn);
	if (strcmp(s->st.state, "absent") == 0) {
		snprintf(it->detail, sizeof(it->detail), "not configured");
		snprintf(it->hint, sizeof(it->hint),
			 "add `protocol bgp %s` to %s's bird.conf as its TODO block says, then birdc configure",
			 s->st.name, n->name);
		return;
	}
	snprintf(it->detail, sizeof(it->detail), "%s%s%s", s->st.state, s->st.info[0] ? " " : "", s->st.info);
	if (!it->pass)
		snprintf(it->hint, sizeof(it->hint),
			 "check the local address, `neighbor ... as %u` and the interface; then in the node: "
			 "birdc show protocols all %s",
			 rp->asn, s->st.name);
}

static void export_item(const struct pi_plan *plan, uint32_t node, const struct pi_lg_session *s,
			struct pi_check_result *res)
{
	uint32_t pod = plan->nodes[node].pod;
	unsigned max = cone_routes(plan, pod, s->family);
	bool pass = s->st.exported <= max;
	struct pi_check_item *it = item(res, pod, PI_CHECK_EXPORT, pass);
	int f = s->family == PI_AF_V6 ? 6 : 4;
	snprintf(it->what, sizeof(it->what), "export of %s to %s %s", s->st.name, pi_rel_name(s->rel),
		 plan->nodes[s->neighbor].name);
	snprintf(it->detail, sizeof(it->detail), "%u routes exported (at most %u: own prefixes and customers')",
		 s->st.exported, max);
	if (!pass)
		snprintf(it->hint, sizeof(it->hint),
			 "a %s must get only your own and your customers' routes: export filter export_own_and_customers%d",
			 pi_rel_name(s->rel), f);
}

void pi_check_sessions(const struct pi_plan *plan, uint32_t node, const struct pi_vec *sessions,
		       struct pi_check_result *res)
{
	const struct pi_plan_node *n = &plan->nodes[node];
	for (size_t i = 0; i < sessions->len; i++) {
		const struct pi_lg_session *s = pi_vec_at(sessions, i);
		if (s->session == PI_NONE) {
			if (s->st.internal)
				continue;
			struct pi_check_item *it = item(res, n->pod, PI_CHECK_SESSION, false);
			snprintf(it->what, sizeof(it->what), "session %s of %s", s->st.name, n->name);
			snprintf(it->detail, sizeof(it->detail), "not planned: nobody expects it");
			snprintf(it->hint, sizeof(it->hint),
				 "name sessions as the TODO blocks in bird.conf do; the neighbours know only those");
			continue;
		}
		if (s->rel == PI_REL_IBGP || s->neighbor == PI_NONE)
			continue;
		session_item(plan, node, s, res);
		bool up_export = s->rel == PI_REL_PEER || s->rel == PI_REL_PROVIDER || s->rel == PI_REL_RS;
		if (up_export && s->st.established && s->st.has_routes)
			export_item(plan, node, s, res);
	}
}

static uint32_t expected_lp(enum pi_rel rel)
{
	return rel == PI_REL_CUSTOMER ? PI_LP_CUSTOMER : rel == PI_REL_PROVIDER ? PI_LP_PROVIDER : PI_LP_PEER;
}

void pi_check_local_pref(const struct pi_plan *plan, uint32_t node, const struct pi_vec *routes,
			 struct pi_check_result *res)
{
	const struct pi_lg_route *bad = NULL;
	unsigned checked = 0, wrong = 0;
	enum pi_rel bad_rel = PI_REL_PEER;
	for (size_t i = 0; i < routes->len; i++) {
		const struct pi_lg_route *r = pi_vec_at(routes, i);
		if (!r->r.bgp || r->session == PI_NONE)
			continue;
		const struct pi_plan_session *s = &plan->sessions[r->session];
		enum pi_rel rel = s->a == node ? s->rel : pi_rel_invert(s->rel);
		if (rel == PI_REL_IBGP || rel == PI_REL_RS_CLIENT)
			continue;
		checked++;
		if (r->r.local_pref != expected_lp(rel)) {
			wrong++;
			if (!bad)
				bad = r, bad_rel = rel;
		}
	}
	if (!checked)
		return;
	struct pi_check_item *it = item(res, plan->nodes[node].pod, PI_CHECK_LOCAL_PREF, wrong == 0);
	snprintf(it->what, sizeof(it->what), "local preference of %s's eBGP routes", plan->nodes[node].name);
	if (!bad) {
		snprintf(it->detail, sizeof(it->detail), "%u routes, each by its relationship (customer %d, peer %d, provider %d)",
			 checked, PI_LP_CUSTOMER, PI_LP_PEER, PI_LP_PROVIDER);
		return;
	}
	char nb[PI_PREFIX_STRLEN];
	snprintf(it->detail, sizeof(it->detail), "%u of %u wrong, e.g. %s from a %s with %u (want %u)", wrong, checked,
		 pi_prefix_fmt(&bad->r.net, nb), pi_rel_name(bad_rel), bad->r.local_pref, expected_lp(bad_rel));
	snprintf(it->hint, sizeof(it->hint),
		 "prefer customers, then peers, then providers: call learned_from(FROM_..., LP_...) in each import filter");
}

static bool in_cone(const struct pi_plan *plan, uint32_t pod, uint32_t member)
{
	for (uint32_t i = 0; i < plan->pods[pod].n_cone; i++)
		if (plan->pods[pod].cone[i] == member)
			return true;
	return false;
}

void pi_check_import_filters(const struct pi_plan *plan, uint32_t node, const struct pi_vec *routes,
			     struct pi_check_result *res)
{
	const struct pi_lg_route *bad = NULL;
	unsigned checked = 0, wrong = 0;
	for (size_t i = 0; i < routes->len; i++) {
		const struct pi_lg_route *r = pi_vec_at(routes, i);
		if (!r->r.bgp || r->session == PI_NONE || r->neighbor == PI_NONE)
			continue;
		const struct pi_plan_session *s = &plan->sessions[r->session];
		enum pi_rel rel = s->a == node ? s->rel : pi_rel_invert(s->rel);
		if (rel != PI_REL_CUSTOMER && rel != PI_REL_PEER)
			continue;
		checked++;
		if (r->origin_pod == PI_NONE || !in_cone(plan, plan->nodes[r->neighbor].pod, r->origin_pod)) {
			if (!wrong++)
				bad = r;
		}
	}
	if (!checked)
		return;
	struct pi_check_item *it = item(res, plan->nodes[node].pod, PI_CHECK_FILTER, wrong == 0);
	snprintf(it->what, sizeof(it->what), "import filters of %s toward customers and peers", plan->nodes[node].name);
	if (!bad) {
		snprintf(it->detail, sizeof(it->detail), "%u routes, each from its neighbour's customer cone", checked);
		return;
	}
	char nb[PI_PREFIX_STRLEN];
	snprintf(it->detail, sizeof(it->detail), "%u of %u outside the cone, e.g. %s from %s", wrong, checked,
		 pi_prefix_fmt(&bad->r.net, nb), plan->nodes[bad->neighbor].name);
	snprintf(it->hint, sizeof(it->hint),
		 "accept from a customer or peer only its cone: if ! (net ~ [ its prefixes+ ]) then reject; "
		 "(the TODO block lists them)");
}

/* Who must hold the pod's aggregates: the other ends of its eBGP sessions
 * (route servers aside: they pass routes on, the members hold them) and
 * one border of every transit pod. */
static void observers(const struct pi_plan *plan, uint32_t pod, struct pi_vec *out)
{
	bool *seen = pi_xcalloc(plan->n_nodes + 1, sizeof(bool));
	for (uint32_t k = 0; k < plan->n_sessions; k++) {
		const struct pi_plan_session *s = &plan->sessions[k];
		uint32_t far = plan->nodes[s->a].pod == pod ? s->b : plan->nodes[s->b].pod == pod ? s->a : PI_NONE;
		if (far == PI_NONE || plan->nodes[far].pod == pod || (plan->nodes[far].services & PI_SVC_RS) ||
		    plan->pods[plan->nodes[far].pod].exercise != PI_EXERCISE_NONE)
			continue;
		seen[far] = true;
	}
	for (uint32_t q = 0; q < plan->n_pods; q++) {
		if (q == pod || plan->pods[q].tier != PI_TIER_TRANSIT)
			continue;
		for (uint32_t n = plan->pods[q].first_node; n < plan->pods[q].first_node + plan->pods[q].n_nodes; n++)
			if (plan->nodes[n].services & PI_SVC_EBGP) {
				seen[n] = true;
				break;
			}
	}
	for (uint32_t n = 0; n < plan->n_nodes; n++)
		if (seen[n])
			*(uint32_t *)pi_vec_push(out) = n;
	free(seen);
}

static void check_announced(struct pi_backend *b, const struct pi_plan *plan, uint32_t pod,
			    struct pi_check_result *res)
{
	struct pi_vec obs = PI_VEC_INIT(uint32_t);
	observers(plan, pod, &obs);
	const struct pi_plan_pod *p = &plan->pods[pod];
	for (int f = 0; f < 2; f++) {
		const struct pi_prefix *agg = f == 0 ? &p->v4 : &p->v6;
		if (!pi_prefix_is_set(agg))
			continue;
		for (size_t i = 0; i < obs.len; i++) {
			uint32_t n = *(uint32_t *)pi_vec_at(&obs, i);
			struct pi_vec routes = PI_VEC_INIT(struct pi_lg_route);
			struct pi_diag d;
			pi_diag_init(&d);
			int rc = pi_apply_lg_routes(b, plan, n, agg, &routes, &d);
			bool have = false;
			for (size_t k = 0; k < routes.len && !rc; k++) {
				const struct pi_lg_route *r = pi_vec_at(&routes, k);
				have |= r->origin_pod == pod && pi_prefix_equal(&r->r.net, agg);
			}
			char pb[PI_PREFIX_STRLEN];
			struct pi_check_item *it = item(res, pod, PI_CHECK_ANNOUNCED, have);
			snprintf(it->what, sizeof(it->what), "%s in the RIB of %s (AS %u)", pi_prefix_fmt(agg, pb),
				 plan->nodes[n].name, plan->pods[plan->nodes[n].pod].asn);
			snprintf(it->detail, sizeof(it->detail), "%s", rc ? "could not ask its daemon" : have ? "present" : "absent");
			if (!have)
				snprintf(it->hint, sizeof(it->hint),
					 "originate it (protocol static origin%d { route %s unreachable; }) and export it "
					 "on every eBGP session (own_route%d())",
					 f ? 6 : 4, pb, f ? 6 : 4);
			pi_vec_free(&routes);
			pi_diag_free(&d);
		}
	}
	pi_vec_free(&obs);
}

/* Is node in an exercise pod other than pod? */
static bool other_exercise(const struct pi_plan *plan, uint32_t pod, uint32_t node)
{
	uint32_t q = plan->nodes[node].pod;
	return q != pod && plan->pods[q].exercise != PI_EXERCISE_NONE;
}

static void check_reach(const struct pi_plan *plan, uint32_t pod, const struct pi_verify *v,
			struct pi_check_result *res)
{
	for (int f = 0; f < 2; f++) {
		const struct pi_verify_reach *r = &v->reach[f];
		if (!r->ok)
			continue;
		unsigned long pairs = 0, bad = 0;
		uint32_t bs = PI_NONE, bt = PI_NONE;
		for (uint32_t s = 0; s < plan->n_nodes; s++)
			for (uint32_t t = 0; t < plan->n_nodes && r->source[s]; t++) {
				if (s == t || !r->target[t] || (plan->nodes[s].pod != pod && plan->nodes[t].pod != pod))
					continue;
				if (other_exercise(plan, pod, s) || other_exercise(plan, pod, t))
					continue; /* another team's pod does not fail this one */
				pairs++;
				if (!r->ok[(size_t)s * plan->n_nodes + t] && bad++ == 0)
					bs = s, bt = t;
			}
		if (!pairs)
			continue;
		struct pi_check_item *it = item(res, pod, PI_CHECK_REACH, bad == 0);
		snprintf(it->what, sizeof(it->what), "IPv%d reachability to and from %s's nodes", f ? 6 : 4,
			 plan->pods[pod].name);
		snprintf(it->detail, sizeof(it->detail), "%lu of %lu pairs answer", pairs - bad, pairs);
		if (bad)
			snprintf(it->hint, sizeof(it->hint), "e.g. %s -> %s fails: pocketinternet trace %s %s",
				 plan->nodes[bs].name, plan->nodes[bt].name, plan->nodes[bs].name, plan->nodes[bt].name);
	}
}

/* Violations whose AS path passes through the pod and whose reason names it. */
static void check_valley(const struct pi_plan *plan, uint32_t pod, const struct pi_vec *viol, unsigned routes,
			 struct pi_check_result *res)
{
	const struct pi_plan_pod *p = &plan->pods[pod];
	const struct pi_policy_violation *first = NULL;
	unsigned n = 0;
	for (size_t i = 0; i < viol->len; i++) {
		const struct pi_policy_violation *v = pi_vec_at(viol, i);
		bool through = false;
		for (unsigned k = 0; k + 1 < v->path_len; k++)
			through |= v->path[k] == p->asn;
		if (!through || !strstr(v->why, p->name))
			continue;
		if (!n++)
			first = v;
	}
	struct pi_check_item *it = item(res, pod, PI_CHECK_VALLEY, n == 0);
	snprintf(it->what, sizeof(it->what), "no route leaked through %s (valley-free export)", p->name);
	if (!first) {
		snprintf(it->detail, sizeof(it->detail), "%u routes in the lab's RIBs checked", routes);
		return;
	}
	char nb[PI_PREFIX_STRLEN];
	snprintf(it->detail, sizeof(it->detail), "%u leaked routes, e.g. %s at %s: %.120s", n,
		 pi_prefix_fmt(&first->net, nb), plan->nodes[first->node].name, first->why);
	snprintf(it->hint, sizeof(it->hint),
		 "to peers, providers and route servers export only your own and your customers' routes "
		 "(export_own_and_customers4/6)");
}

static void check_routers(struct pi_backend *b, const struct pi_plan *plan, uint32_t pod, struct pi_check_result *res)
{
	const struct pi_plan_pod *p = &plan->pods[pod];
	for (uint32_t n = p->first_node; n < p->first_node + p->n_nodes; n++) {
		if (!pi_router_daemon_of(plan, n))
			continue;
		struct pi_vec sess = PI_VEC_INIT(struct pi_lg_session);
		struct pi_vec routes = PI_VEC_INIT(struct pi_lg_route);
		struct pi_diag d;
		pi_diag_init(&d);
		int rc = pi_apply_lg_sessions(b, plan, n, &sess, &d);
		if (rc) {
			struct pi_check_item *it = item(res, pod, PI_CHECK_SESSION, false);
			snprintf(it->what, sizeof(it->what), "the routing daemon of %s", plan->nodes[n].name);
			snprintf(it->detail, sizeof(it->detail), "cannot be asked: %s", strerror(-rc));
			snprintf(it->hint, sizeof(it->hint),
				 "a config with an error stops BIRD at start: bird -p -c /etc/pocketinternet/bird.conf "
				 "in the node, then restart it (pocketinternet node restart %s)",
				 plan->nodes[n].name);
		} else {
			pi_check_sessions(plan, n, &sess, res);
			if (pi_apply_lg_routes(b, plan, n, NULL, &routes, &d) == 0) {
				pi_check_local_pref(plan, n, &routes, res);
				pi_check_import_filters(plan, n, &routes, res);
			}
		}
		pi_vec_free(&sess);
		pi_vec_free(&routes);
		pi_diag_free(&d);
	}
}

int pi_apply_check(struct pi_backend *b, const struct pi_plan *plan, const uint32_t *pods, size_t n,
		   struct pi_check_result *res, struct pi_diag *diag)
{
	struct pi_verify v;
	memset(&v, 0, sizeof(v));
	int rc = pi_apply_verify(b, plan, PI_VERIFY_REACH, 0, &v, diag);
	if (rc) {
		pi_verify_free(&v);
		return rc;
	}
	struct pi_vec viol = PI_VEC_INIT(struct pi_policy_violation);
	unsigned routes = 0;
	rc = pi_apply_policy_check(b, plan, 0, &viol, &routes, diag);
	for (size_t i = 0; i < n && !rc; i++) {
		check_routers(b, plan, pods[i], res);
		check_announced(b, plan, pods[i], res);
		check_reach(plan, pods[i], &v, res);
		check_valley(plan, pods[i], &viol, routes, res);
	}
	pi_vec_free(&viol);
	pi_verify_free(&v);
	return rc;
}
