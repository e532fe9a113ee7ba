/*
 * render/incident_check: can an incident happen in this plan? Every
 * problem goes to the diag with what to do instead, near matches for a
 * mistyped pod or session name.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "render_int.h"

#define NEAR_MAX 4

static const struct pi_pos no_pos = { "incident", 0, 0 };

/* "did you mean 'a' or 'b'? " + rest, into buf. */
static const char *near_hint(const char *word, const char *const *names, size_t n, const char *rest, char *buf,
			     size_t len)
{
	const char *near[NEAR_MAX];
	size_t k = pi_near_matches(word, names, n, near, NEAR_MAX);
	size_t w = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < k && w < len; i++)
		w += (size_t)snprintf(buf + w, len - w, "%s'%s'", i == 0 ? "did you mean " : i + 1 == k ? " or " : ", ",
				      near[i]);
	if (k && w < len)
		w += (size_t)snprintf(buf + w, len - w, "? ");
	if (w < len)
		snprintf(buf + w, len - w, "%s", rest);
	return buf;
}

static uint32_t need_pod(const struct pi_plan *plan, const char *name, const char *what, struct pi_diag *diag)
{
	uint32_t p = pi_plan_pod_by_name(plan, name);
	if (p != PI_NONE)
		return p;
	const char **names = pi_xcalloc(plan->n_pods ? plan->n_pods : 1, sizeof(*names));
	for (uint32_t i = 0; i < plan->n_pods; i++)
		names[i] = plan->pods[i].name;
	char hint[512], v[PI_DIAG_VALUE_BUF];
	pi_diag_add(diag, no_pos,
		    near_hint(name, names, plan->n_pods, "`pocketinternet plan` lists the lab's pods", hint, sizeof(hint)),
		    "%s: no pod '%s' in lab %s", what, pi_diag_value(v, name), plan->lab_name);
	free(names);
	return PI_NONE;
}

static uint32_t need_session(const struct pi_plan *plan, const char *name, struct pi_diag *diag)
{
	char v[PI_DIAG_VALUE_BUF], hint[512];
	struct pi_incident probe = { .kind = PI_INCIDENT_SESSION_DOWN };
	snprintf(probe.session, sizeof(probe.session), "%s", name);
	uint32_t s = pi_incident_session(plan, &probe);
	if (s != PI_NONE)
		return s;
	unsigned n_match = 0;
	for (uint32_t i = 0; i < plan->n_sessions; i++)
		n_match += plan->sessions[i].name && strcmp(plan->sessions[i].name, name) == 0;
	if (n_match > 1) {
		pi_diag_add(diag, no_pos, "prefix it with the pod of its first router, e.g. transit1/NAME",
			    "session-down: %u pods have a session named '%s'", n_match, pi_diag_value(v, name));
		return PI_NONE;
	}
	const char **names = pi_xcalloc(plan->n_sessions ? plan->n_sessions : 1, sizeof(*names));
	for (uint32_t i = 0; i < plan->n_sessions; i++)
		names[i] = plan->sessions[i].name ? plan->sessions[i].name : "";
	pi_diag_add(diag, no_pos,
		    near_hint(name, names, plan->n_sessions,
			      "`pocketinternet plan` lists the sessions; `status` shows their state", hint, sizeof(hint)),
		    "session-down: no BGP session '%s' in lab %s", pi_diag_value(v, name), plan->lab_name);
	free(names);
	return PI_NONE;
}

static bool has_border(const struct pi_plan *plan, uint32_t pod)
{
	const struct pi_plan_pod *p = &plan->pods[pod];
	for (uint32_t n = p->first_node; n < p->first_node + p->n_nodes; n++)
		if (pi_router_daemon_of(plan, n) && pi_r_is_border(plan, n))
			return true;
	return false;
}

/* Providers, peers and IXPs of pod: where it can leak to and from. */
static unsigned upstreams(const struct pi_plan *plan, uint32_t pod)
{
	unsigned n = 0;
	for (uint32_t i = 0; i < plan->n_rels; i++) {
		const struct pi_plan_rel *r = &plan->rels[i];
		n += (r->rel == PI_REL_CUSTOMER && r->b == pod) || (r->rel == PI_REL_PEER && (r->a == pod || r->b == pod)) ||
		     (r->rel == PI_REL_RS && r->a == pod);
	}
	return n;
}

static void check_hijack(const struct pi_plan *plan, const struct pi_incident *inc, struct pi_diag *diag)
{
	uint32_t a = need_pod(plan, inc->attacker, "hijack: attacker", diag);
	uint32_t v = need_pod(plan, inc->victim, "hijack: victim", diag);
	if (a == PI_NONE || v == PI_NONE)
		return;
	const struct pi_plan_pod *ap = &plan->pods[a], *vp = &plan->pods[v];
	if (a == v)
		pi_diag_add(diag, no_pos, "name another pod as the victim", "hijack: %s cannot hijack its own prefixes",
			    ap->name);
	if (ap->tier == PI_TIER_EXTERNAL)
		pi_diag_add(diag, no_pos, "announce the victim's prefixes from the speaker itself (docs/testing-bgp.md)",
			    "hijack: %s is an external speaker; the lab does not configure it", ap->name);
	else if (ap->tier == PI_TIER_IXP || !has_border(plan, a))
		pi_diag_add(diag, no_pos, "pick an attacker with eBGP sessions (a transit, broadband or content pod)",
			    "hijack: %s has no border router to announce anything from", ap->name);
	if (vp->tier == PI_TIER_IXP)
		pi_diag_add(diag, no_pos, "pick a victim that announces its prefixes (not an IXP)",
			    "hijack: %s is an IXP; its peering LAN's prefix is not in BGP", vp->name);
	else if (!pi_prefix_is_set(&vp->v4) && !pi_prefix_is_set(&vp->v6))
		pi_diag_add(diag, no_pos, NULL, "hijack: %s has no prefixes", vp->name);
	const struct pi_prefix *agg[] = { &vp->v4, &vp->v6 };
	for (size_t i = 0; inc->more_specific && i < PI_ARRAY_LEN(agg); i++) {
		char pb[PI_PREFIX_STRLEN];
		if (pi_prefix_is_set(agg[i]) && agg[i]->len >= pi_prefix_maxlen(agg[i]))
			pi_diag_add(diag, no_pos, "hijack it without --more-specific",
				    "hijack: %s's %s has no more specific half", vp->name, pi_prefix_fmt(agg[i], pb));
	}
}

static void check_leak(const struct pi_plan *plan, const struct pi_incident *inc, struct pi_diag *diag)
{
	uint32_t p = need_pod(plan, inc->pod, "leak", diag);
	if (p == PI_NONE)
		return;
	const struct pi_plan_pod *pp = &plan->pods[p];
	if (plan->legacy) {
		pi_diag_add(diag, no_pos, "leaks need a lab with relationships (providers, peers)",
			    "leak: original-format labs pass every route on already; there is nothing to leak");
		return;
	}
	if (pp->tier == PI_TIER_EXTERNAL) {
		pi_diag_add(diag, no_pos, "configure the leak in the speaker itself (docs/testing-bgp.md)",
			    "leak: %s is an external speaker; the lab does not configure it", pp->name);
		return;
	}
	if (pp->tier == PI_TIER_IXP || !has_border(plan, p)) {
		pi_diag_add(diag, no_pos, "pick a pod with eBGP sessions (not an IXP)",
			    "leak: %s has no border router to leak from", pp->name);
		return;
	}
	unsigned up = upstreams(plan, p);
	if (up >= 2)
		return;
	char hint[256] = "pick a pod with two or more, e.g.";
	size_t w = strlen(hint), shown = 0;
	for (uint32_t i = 0; i < plan->n_pods && shown < 3 && w < sizeof(hint); i++)
		if (plan->pods[i].tier != PI_TIER_IXP && upstreams(plan, i) >= 2)
			w += (size_t)snprintf(hint + w, sizeof(hint) - w, "%s %s", shown++ ? "," : "", plan->pods[i].name);
	pi_diag_add(diag, no_pos, shown ? hint : NULL,
		    "leak: %s has %u provider/peer/IXP neighbour%s; a leak needs one to learn routes from and another "
		    "to leak them to",
		    pp->name, up, up == 1 ? "" : "s");
}

int pi_incident_check(const struct pi_plan *plan, const struct pi_incident *inc, struct pi_diag *diag)
{
	size_t before = pi_diag_errors(diag);
	switch (inc->kind) {
	case PI_INCIDENT_HIJACK:
		check_hijack(plan, inc, diag);
		break;
	case PI_INCIDENT_LEAK:
		check_leak(plan, inc, diag);
		break;
	case PI_INCIDENT_SESSION_DOWN:
		need_session(plan, inc->session, diag);
		break;
	default:
		pi_diag_add(diag, no_pos, "one of: hijack, leak, session-down", "unknown incident kind %d", (int)inc->kind);
	}
	return pi_diag_errors(diag) > before ? -EINVAL : 0;
}
