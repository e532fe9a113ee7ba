/*
 * status and labs: what runs, as structs; the CLI (and later the web
 * server) only formats them. Nothing here spawns a process: sessions come
 * from the router daemons' control sockets, resolvers get one DNS query.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "apply_int.h"

#define STATUS_PROBE_MS 1500

struct status_ctx {
	struct pi_backend *b;
	const struct pi_plan *plan;
	struct pi_status *st;
	struct pi_vec *bgp; /* per node: struct pi_bgp_state */
	struct pi_diag *diag;
	pthread_mutex_t lock;
};

static int status_one(void *ctx, size_t i)
{
	struct status_ctx *c = ctx;
	const struct pi_plan_node *n = &c->plan->nodes[i];
	struct pi_status_node *sn = &c->st->nodes[i];
	const char *netns = (n->services & PI_SVC_SPEAKER) ? c->plan->pods[n->pod].netns : NULL;
	c->bgp[i] = (struct pi_vec)PI_VEC_INIT(struct pi_bgp_state);
	if (netns) { /* the tester's namespace: there or not, and nothing of ours runs in it */
		char path[128];
		snprintf(path, sizeof(path), "/run/netns/%s", netns);
		sn->running = access(path, F_OK) == 0;
		snprintf(sn->state, sizeof(sn->state), "%s", sn->running ? "netns" : "netns-gone");
		return 0;
	}
	struct pi_node_state ns;
	struct pi_diag local;
	pi_diag_init(&local);
	/* A node that is not there is a state ("absent"), not an error. */
	if (c->b->ops->inspect(c->b, c->plan->lab_name, n->name, &ns, &local) != -ENOENT && c->diag)
		pi_apply_diag_merge(c->diag, &local, &c->lock);
	pi_diag_free(&local);
	snprintf(sn->state, sizeof(sn->state), "%s", ns.state[0] ? ns.state : "unknown");
	sn->running = ns.running;
	sn->pid = ns.running ? ns.pid : 0;
	c->bgp[i] = (struct pi_vec)PI_VEC_INIT(struct pi_bgp_state);
	if (sn->pid && pi_apply_node_sessions(c->plan, (uint32_t)i, sn->pid, &c->bgp[i]) < 0)
		pi_vec_free(&c->bgp[i]);
	if (sn->pid && (n->services & PI_SVC_RESOLVER))
		c->st->answers[i] = pi_apply_resolver_answers(c->plan, (uint32_t)i, sn->pid, STATUS_PROBE_MS);
	return 0;
}

/* The state node reports for session k, or "down"; true when Established. */
static bool session_end(const struct pi_plan *plan, uint32_t k, const struct pi_vec *bgp, char *buf, size_t len)
{
	char name[64];
	bool up = false;
	pi_apply_session_name(plan, k, name, sizeof(name));
	snprintf(buf, len, "down");
	for (size_t j = 0; j < bgp->len; j++) {
		const struct pi_bgp_state *b = pi_vec_at(bgp, j);
		if (strcmp(b->name, name) == 0) {
			snprintf(buf, len, "%s", b->info[0] ? b->info : b->state);
			up = b->established;
		}
	}
	return up;
}

int pi_apply_status(struct pi_backend *b, const struct pi_plan *plan, unsigned parallel, struct pi_status *out,
		    struct pi_diag *diag)
{
	size_t n = plan->n_nodes ? plan->n_nodes : 1;
	memset(out, 0, sizeof(*out));
	out->nodes = pi_xcalloc(n, sizeof(*out->nodes));
	out->sessions = pi_xcalloc(plan->n_sessions ? plan->n_sessions : 1, sizeof(*out->sessions));
	out->answers = pi_xcalloc(n, sizeof(bool));
	struct status_ctx c = { .b = b, .plan = plan, .st = out, .bgp = pi_xcalloc(n, sizeof(struct pi_vec)),
				.diag = diag };
	pthread_mutex_init(&c.lock, NULL);
	/* Several nodes at a time; every probe is bounded by its own timeout. */
	pi_pool_run(plan->n_nodes, parallel ? parallel : 8, status_one, NULL, &c, NULL);
	for (uint32_t i = 0; i < plan->n_nodes; i++) {
		out->running += out->nodes[i].running;
		if (plan->nodes[i].services & PI_SVC_RESOLVER) {
			out->resolvers++;
			out->answering += out->answers[i];
		}
	}
	for (uint32_t k = 0; k < plan->n_sessions; k++) {
		struct pi_status_session *ss = &out->sessions[k];
		bool a = session_end(plan, k, &c.bgp[plan->sessions[k].a], ss->state[0], sizeof(ss->state[0]));
		bool z = session_end(plan, k, &c.bgp[plan->sessions[k].b], ss->state[1], sizeof(ss->state[1]));
		/* An external speaker's end is the tester's daemon, which no table
		 * reads: the lab's end says whether the session is up. */
		bool xa = (plan->nodes[plan->sessions[k].a].services & PI_SVC_SPEAKER) != 0;
		bool xb = (plan->nodes[plan->sessions[k].b].services & PI_SVC_SPEAKER) != 0;
		if (xa)
			snprintf(ss->state[0], sizeof(ss->state[0]), "external");
		if (xb)
			snprintf(ss->state[1], sizeof(ss->state[1]), "external");
		ss->established = (a || xa) && (z || xb) && !(xa && xb);
		out->established += ss->established;
	}
	for (uint32_t i = 0; i < plan->n_nodes; i++)
		pi_vec_free(&c.bgp[i]);
	free(c.bgp);
	pthread_mutex_destroy(&c.lock);
	out->all_up = out->running == plan->n_nodes && out->established == plan->n_sessions &&
		      out->answering == out->resolvers;
	return 0;
}

void pi_status_free(struct pi_status *st)
{
	free(st->nodes);
	free(st->sessions);
	free(st->answers);
	memset(st, 0, sizeof(*st));
}

/* ---- labs ---- */

static struct pi_lab_summary *lab_entry(struct pi_vec *out, const struct pi_node_state *n)
{
	for (size_t i = 0; i < out->len; i++) {
		struct pi_lab_summary *l = pi_vec_at(out, i);
		if (strcmp(l->name, n->lab) == 0)
			return l;
	}
	struct pi_lab_summary *l = pi_vec_push(out);
	memset(l, 0, sizeof(*l));
	snprintf(l->name, sizeof(l->name), "%s", n->lab);
	l->created = n->created;
	return l;
}

static int cmp_lab(const void *a, const void *b)
{
	return strcmp(((const struct pi_lab_summary *)a)->name, ((const struct pi_lab_summary *)b)->name);
}

int pi_apply_labs(struct pi_backend *b, struct pi_vec *out, struct pi_diag *diag)
{
	struct pi_vec nodes = PI_VEC_INIT(struct pi_node_state);
	int rc = b->ops->list(b, NULL, &nodes, diag);
	for (size_t i = 0; !rc && i < nodes.len; i++) {
		const struct pi_node_state *n = pi_vec_at(&nodes, i);
		if (!n->lab[0])
			continue;
		struct pi_lab_summary *l = lab_entry(out, n);
		l->nodes++;
		l->running += n->running;
		if (n->lab_file[0] && !l->lab_file[0])
			snprintf(l->lab_file, sizeof(l->lab_file), "%s", n->lab_file);
		if (n->created && (!l->created || n->created < l->created))
			l->created = n->created;
	}
	if (out->len > 1)
		qsort(out->data, out->len, out->elem, cmp_lab);
	pi_vec_free(&nodes);
	return rc;
}
