/*
 * render/incident: the incidents a trainer sets off (render.h): names,
 * JSON, checks against a plan and which routers they change. The daemon
 * configuration that makes each happen is the router daemon's (BIRD's in
 * bird_incidents.c); the policy it implements is in docs/routing-policy.md.
 */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "render_int.h"

static const char *const kind_names[] = { "hijack", "leak", "session-down" };

const char *pi_incident_kind_name(enum pi_incident_kind k)
{
	return (unsigned)k < PI_ARRAY_LEN(kind_names) ? kind_names[k] : "?";
}

int pi_incident_kind_parse(const char *s, enum pi_incident_kind *out)
{
	for (size_t i = 0; i < PI_ARRAY_LEN(kind_names); i++) {
		if (strcmp(s, kind_names[i]) == 0) {
			*out = (enum pi_incident_kind)i;
			return 0;
		}
	}
	return -EINVAL;
}

/* ---- plan lookups ---- */

bool pi_r_is_border(const struct pi_plan *plan, uint32_t node)
{
	const struct pi_plan_node *me = &plan->nodes[node];
	if (me->services & PI_SVC_EBGP)
		return true;
	for (uint32_t k = 0; k < me->n_session_idx; k++) {
		const struct pi_plan_session *s = &plan->sessions[me->session_idx[k]];
		enum pi_rel r = s->a == node ? s->rel : pi_rel_invert(s->rel);
		if (r != PI_REL_IBGP && r != PI_REL_RS_CLIENT)
			return true;
	}
	return false;
}

/* "NAME" or "POD/NAME" (session names of iBGP repeat from pod to pod). *n_match: how many match. */
static uint32_t session_lookup(const struct pi_plan *plan, const char *name, unsigned *n_match)
{
	const char *slash = strchr(name, '/');
	const char *sn = slash ? slash + 1 : name;
	uint32_t found = PI_NONE;
	*n_match = 0;
	for (uint32_t i = 0; i < plan->n_sessions; i++) {
		const struct pi_plan_session *s = &plan->sessions[i];
		if (!s->name || strcmp(s->name, sn) != 0)
			continue;
		const char *pod = plan->pods[plan->nodes[s->a].pod].name;
		if (slash && (strlen(pod) != (size_t)(slash - name) || strncmp(pod, name, (size_t)(slash - name)) != 0))
			continue;
		if (!(*n_match)++)
			found = i;
	}
	return *n_match == 1 ? found : PI_NONE;
}

uint32_t pi_incident_session(const struct pi_plan *plan, const struct pi_incident *inc)
{
	unsigned n;
	return session_lookup(plan, inc->session, &n);
}

/* Has node an eBGP (or route server) session with a node of pod? */
static bool session_with_pod(const struct pi_plan *plan, uint32_t node, uint32_t pod)
{
	const struct pi_plan_node *me = &plan->nodes[node];
	for (uint32_t k = 0; k < me->n_session_idx; k++) {
		const struct pi_plan_session *s = &plan->sessions[me->session_idx[k]];
		uint32_t other = s->a == node ? s->b : s->a;
		if (s->rel != PI_REL_IBGP && plan->nodes[other].pod == pod)
			return true;
	}
	return false;
}

/* Does node hear pod through a route server (both members of one IXP)? */
static bool rs_peer_of(const struct pi_plan *plan, uint32_t node, uint32_t pod)
{
	const struct pi_plan_node *me = &plan->nodes[node];
	for (uint32_t k = 0; k < me->n_session_idx; k++) {
		const struct pi_plan_session *s = &plan->sessions[me->session_idx[k]];
		enum pi_rel r = s->a == node ? s->rel : pi_rel_invert(s->rel);
		if (r == PI_REL_RS && session_with_pod(plan, s->a == node ? s->b : s->a, pod))
			return true;
	}
	return false;
}

bool pi_r_incident_neighbour(const struct pi_plan *plan, uint32_t node, uint32_t pod)
{
	return plan->nodes[node].pod != pod && (session_with_pod(plan, node, pod) || rs_peer_of(plan, node, pod));
}

bool pi_incident_touches(const struct pi_plan *plan, const struct pi_incident *inc, uint32_t node)
{
	if (node >= plan->n_nodes || !pi_router_daemon_of(plan, node))
		return false;
	if (inc->kind == PI_INCIDENT_SESSION_DOWN) {
		uint32_t s = pi_incident_session(plan, inc);
		return s != PI_NONE && (plan->sessions[s].a == node || plan->sessions[s].b == node);
	}
	uint32_t pod = pi_plan_pod_by_name(plan, inc->kind == PI_INCIDENT_HIJACK ? inc->attacker : inc->pod);
	if (pod == PI_NONE || (inc->kind == PI_INCIDENT_HIJACK && pi_plan_pod_by_name(plan, inc->victim) == PI_NONE))
		return false;
	if (plan->nodes[node].pod == pod)
		return pi_r_is_border(plan, node);
	return !inc->filtered && pi_r_incident_neighbour(plan, node, pod);
}

void pi_incident_hijack_prefixes(const struct pi_plan *plan, const struct pi_incident *inc, struct pi_vec *out)
{
	uint32_t v = pi_plan_pod_by_name(plan, inc->victim);
	if (inc->kind != PI_INCIDENT_HIJACK || v == PI_NONE)
		return;
	const struct pi_prefix *agg[] = { &plan->pods[v].v4, &plan->pods[v].v6 };
	for (size_t i = 0; i < PI_ARRAY_LEN(agg); i++) {
		if (!pi_prefix_is_set(agg[i]))
			continue;
		struct pi_prefix net = pi_prefix_network(agg[i]), half;
		if (!inc->more_specific || net.len >= pi_prefix_maxlen(&net)) {
			*(struct pi_prefix *)pi_vec_push(out) = net;
			continue;
		}
		for (uint64_t h = 0; h < 2; h++)
			if (pi_prefix_subnet(&net, net.len + 1u, h, &half) == 0)
				*(struct pi_prefix *)pi_vec_push(out) = half;
	}
}

/* ---- description ---- */

static void pod_label(const struct pi_plan *plan, const char *name, char *buf, size_t len)
{
	uint32_t p = plan ? pi_plan_pod_by_name(plan, name) : PI_NONE;
	if (p == PI_NONE)
		snprintf(buf, len, "%s", name);
	else
		snprintf(buf, len, "%s (AS %u)", name, plan->pods[p].asn);
}

void pi_incident_describe(const struct pi_plan *plan, const struct pi_incident *inc, char *buf, size_t len)
{
	char id[32] = "", a[96], what[256] = "";
	const char *filt = inc->filtered ? "its neighbours filter it" : "its neighbours forgot to filter";
	if (inc->id)
		snprintf(id, sizeof(id), "#%u ", inc->id);
	switch (inc->kind) {
	case PI_INCIDENT_HIJACK: {
		pod_label(plan, inc->attacker, a, sizeof(a));
		struct pi_vec v = PI_VEC_INIT(struct pi_prefix);
		if (plan)
			pi_incident_hijack_prefixes(plan, inc, &v);
		size_t w = 0;
		for (size_t i = 0; i < v.len && w + PI_PREFIX_STRLEN + 2 < sizeof(what); i++) {
			char pb[PI_PREFIX_STRLEN];
			w += (size_t)snprintf(what + w, sizeof(what) - w, "%s%s", i ? ", " : " ",
					      pi_prefix_fmt(pi_vec_at(&v, i), pb));
		}
		pi_vec_free(&v);
		snprintf(buf, len, "%shijack: %s announces %s's %s%s (%s)", id, a, inc->victim,
			 inc->more_specific ? "more specifics" : "prefixes", what, filt);
		break;
	}
	case PI_INCIDENT_LEAK:
		pod_label(plan, inc->pod, a, sizeof(a));
		snprintf(buf, len, "%sleak: %s passes routes from its providers and peers on to its providers and peers "
				   "(%s)", id, a, inc->filtered ? "they filter them" : "they forgot to filter");
		break;
	case PI_INCIDENT_SESSION_DOWN: {
		uint32_t s = plan ? pi_incident_session(plan, inc) : PI_NONE;
		if (s != PI_NONE)
			snprintf(what, sizeof(what), " (%s -- %s)", plan->nodes[plan->sessions[s].a].name,
				 plan->nodes[plan->sessions[s].b].name);
		snprintf(buf, len, "%ssession-down: %s%s", id, inc->session, what);
		break;
	}
	default:
		snprintf(buf, len, "%sunknown incident", id);
	}
}
