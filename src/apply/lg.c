/*
 * lg: the looking glass. A router's routes and BGP sessions, read from its
 * router daemon over the control socket through the daemon table (never
 * by running a command in the node), explained with render's pure reading
 * (pi_rib_explain, pi_rib_large_meaning) and tied to the plan: which
 * session, which neighbour node, which pod originated the route.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "apply_int.h"

/* The running router's pid and daemon; diagnostics when there is none. */
static int router_of(struct pi_backend *b, const struct pi_plan *plan, uint32_t node, int *pid,
		     const struct pi_router_daemon **d, struct pi_diag *diag)
{
	const struct pi_plan_node *n = &plan->nodes[node];
	*d = pi_router_daemon_of(plan, node);
	if (!*d) {
		uint32_t gw = pi_plan_gateway(plan, node);
		char hint[320];
		if ((n->services & PI_SVC_SPEAKER) && n->n_session_idx) {
			/* The tester's speaker: its own tool answers; the lab sees it from its neighbour. */
			const struct pi_plan_session *s = &plan->sessions[n->session_idx[0]];
			static const char *const own[] = { "exabgpcli show adj-rib out", "gobgp global rib",
							   "vtysh -c 'show bgp all'", "your speaker's own CLI" };
			snprintf(hint, sizeof(hint), "ask its neighbour: pocketinternet lg %s --sessions; or the speaker: "
						     "pocketinternet exec %s -- %s",
				 plan->nodes[s->a == node ? s->b : s->a].name, n->name,
				 own[plan->pods[n->pod].speaker <= PI_SPEAKER_IMAGE ? plan->pods[n->pod].speaker : 3]);
			pi_diag_add(diag, (struct pi_pos){ 0 }, hint, "node %s is external speaker %s (%s), not a lab router",
				    n->name, plan->pods[n->pod].name, pi_speaker_name(plan->pods[n->pod].speaker));
			return -ENOTSUP;
		}
		if (gw != PI_NONE && gw != node)
			snprintf(hint, sizeof(hint), "ask its gateway: pocketinternet lg %s", plan->nodes[gw].name);
		else
			snprintf(hint, sizeof(hint), "ask a border router of pod %s", plan->pods[n->pod].name);
		pi_diag_add(diag, (struct pi_pos){ 0 }, hint, "node %s (%s) runs no router daemon", n->name, n->role);
		return -ENOTSUP;
	}
	return pi_apply_node_pid(b, plan, node, pid, diag);
}

static int ask(const struct pi_plan *plan, uint32_t node, int pid, const char *cmd, struct pi_buf *text,
	       struct pi_diag *diag)
{
	const struct pi_router_daemon *d = pi_router_daemon_of(plan, node);
	int rc = pi_apply_ctl_text(plan, node, pid, cmd, text);
	if (rc) {
		char hint[160];
		snprintf(hint, sizeof(hint), "is its daemon up? try: pocketinternet exec %s -- %s", plan->nodes[node].name,
			 d->user_sessions_cmd);
		pi_diag_add(diag, (struct pi_pos){ 0 }, hint, "cannot ask %s's %s '%s': %s", plan->nodes[node].name,
			    d->name, cmd, strerror(-rc));
	}
	return rc;
}

/* The plan session of node that the daemon calls name, or PI_NONE. */
static uint32_t session_named(const struct pi_plan *plan, uint32_t node, const char *name)
{
	const struct pi_router_daemon *d = pi_router_daemon_of(plan, node);
	const struct pi_plan_node *n = &plan->nodes[node];
	char buf[64];
	for (uint32_t i = 0; i < n->n_session_idx; i++) {
		d->session_name(plan, n->session_idx[i], buf, sizeof(buf));
		if (strcmp(buf, name) == 0)
			return n->session_idx[i];
	}
	return PI_NONE;
}

static uint32_t other_end(const struct pi_plan *plan, uint32_t session, uint32_t node)
{
	if (session == PI_NONE)
		return PI_NONE;
	return plan->sessions[session].a == node ? plan->sessions[session].b : plan->sessions[session].a;
}

/* Moves each network's best route to the front of its group. */
static void best_first(struct pi_vec *v, size_t from)
{
	for (size_t i = from; i < v->len;) {
		struct pi_lg_route *g = pi_vec_at(v, i);
		size_t end = i + 1;
		while (end < v->len && pi_prefix_equal(&((struct pi_lg_route *)pi_vec_at(v, end))->r.net, &g->r.net))
			end++;
		for (size_t k = i + 1; k < end; k++) {
			struct pi_lg_route *r = pi_vec_at(v, k);
			if (!r->r.best)
				continue;
			struct pi_lg_route tmp = *r;
			memmove((struct pi_lg_route *)pi_vec_at(v, i) + 1, g, (k - i) * sizeof(tmp));
			*g = tmp;
			break;
		}
		i = end;
	}
}

static void fill_route(const struct pi_plan *plan, uint32_t node, const struct pi_rib_route *r, enum pi_rib_crit crit,
		       const char *why, struct pi_lg_route *o)
{
	uint32_t own = plan->nodes[node].pod;
	memset(o, 0, sizeof(*o));
	o->r = *r;
	o->crit = crit;
	snprintf(o->why, sizeof(o->why), "%s", why);
	o->session = session_named(plan, node, r->proto);
	o->neighbor = other_end(plan, o->session, node);
	o->origin_pod = !r->bgp || r->as_path_len == 0 ? own
			: r->as_path_truncated	     ? PI_NONE
						     : pi_plan_pod_by_asn(plan, r->as_path[r->as_path_len - 1]);
	if (r->bgp && !r->as_path_truncated)
		o->rpki = pi_plan_roa_state(plan, &r->net, r->as_path_len ? r->as_path[r->as_path_len - 1]
									  : plan->pods[own].asn);
	for (unsigned i = 0; i < r->n_large; i++)
		o->comm_known[i] = pi_rib_large_meaning(plan, plan->pods[own].asn, r, i, o->comm[i], sizeof(o->comm[i]));
}

int pi_apply_lg_routes(struct pi_backend *b, const struct pi_plan *plan, uint32_t node, const struct pi_prefix *dst,
		       struct pi_vec *out, struct pi_diag *diag)
{
	const struct pi_router_daemon *d;
	int pid, rc = router_of(b, plan, node, &pid, &d, diag);
	if (rc)
		return rc;
	struct pi_buf text;
	pi_buf_init(&text);
	struct pi_vec rib = PI_VEC_INIT(struct pi_rib_route), sess = PI_VEC_INIT(struct pi_bgp_state);
	uint32_t asn = plan->pods[plan->nodes[node].pod].asn;
	char cmd[160];
	for (uint8_t fam = dst ? 0 : PI_AF_V4; rc == 0;) {
		pi_buf_reset(&text);
		d->rib_cmd(dst, fam, cmd, sizeof(cmd));
		if ((rc = ask(plan, node, pid, cmd, &text, diag)) == 0)
			d->parse_rib(pi_buf_str(&text), asn, &rib);
		if (dst || fam == PI_AF_V6)
			break;
		fam = PI_AF_V6;
	}
	pi_buf_reset(&text);
	if (rc == 0 && (rc = ask(plan, node, pid, d->sessions_all_cmd, &text, diag)) == 0)
		d->parse_sessions(pi_buf_str(&text), &sess);
	if (rc == 0 && rib.len) {
		enum pi_rib_crit *crit = pi_xcalloc(rib.len, sizeof(*crit));
		char(*why)[256] = pi_xcalloc(rib.len, sizeof(*why));
		pi_rib_explain(pi_vec_at(&rib, 0), rib.len, &sess, crit, why);
		size_t from = out->len;
		for (size_t i = 0; i < rib.len; i++)
			fill_route(plan, node, pi_vec_at(&rib, i), crit[i], why[i], pi_vec_push(out));
		best_first(out, from);
		free(crit);
		free(why);
	}
	pi_vec_free(&rib);
	pi_vec_free(&sess);
	pi_buf_free(&text);
	return rc;
}

int pi_apply_lg_sessions(struct pi_backend *b, const struct pi_plan *plan, uint32_t node, struct pi_vec *out,
			 struct pi_diag *diag)
{
	const struct pi_router_daemon *d;
	int pid, rc = router_of(b, plan, node, &pid, &d, diag);
	if (rc)
		return rc;
	struct pi_buf text;
	pi_buf_init(&text);
	struct pi_vec sess = PI_VEC_INIT(struct pi_bgp_state);
	if ((rc = ask(plan, node, pid, d->sessions_all_cmd, &text, diag)) == 0)
		d->parse_sessions(pi_buf_str(&text), &sess);
	const struct pi_plan_node *n = &plan->nodes[node];
	bool *seen = pi_xcalloc(n->n_session_idx + 1, sizeof(bool));
	size_t from = out->len;
	for (size_t i = 0; rc == 0 && i < sess.len; i++) {
		struct pi_lg_session *o = pi_vec_push(out);
		memset(o, 0, sizeof(*o));
		o->st = *(struct pi_bgp_state *)pi_vec_at(&sess, i);
		o->session = session_named(plan, node, o->st.name);
		o->neighbor = other_end(plan, o->session, node);
		for (uint32_t k = 0; k < n->n_session_idx; k++)
			seen[k] |= n->session_idx[k] == o->session;
	}
	for (uint32_t k = 0; rc == 0 && k < n->n_session_idx; k++) {
		if (seen[k])
			continue;
		struct pi_lg_session *o = pi_vec_push(out);
		memset(o, 0, sizeof(*o));
		o->session = n->session_idx[k];
		o->neighbor = other_end(plan, o->session, node);
		d->session_name(plan, o->session, o->st.name, sizeof(o->st.name));
		snprintf(o->st.state, sizeof(o->st.state), "absent");
	}
	for (size_t i = from; i < out->len; i++) {
		struct pi_lg_session *o = pi_vec_at(out, i);
		if (o->session == PI_NONE)
			continue;
		const struct pi_plan_session *s = &plan->sessions[o->session];
		o->rel = s->a == node ? s->rel : pi_rel_invert(s->rel);
		o->family = s->family;
	}
	free(seen);
	pi_vec_free(&sess);
	pi_buf_free(&text);
	return rc;
}
