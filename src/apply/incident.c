/*
 * incident: set off and clear the teaching incidents (docs/operations.md).
 *
 * Hijacks and leaks are configuration: the router daemon's incidents file of
 * every node an incident touches is rewritten on the host (it is in the
 * node's bind-mounted config directory) for all the lab's active incidents,
 * and the daemon is told to reconfigure: no restart, sessions that did not
 * change stay up. A session-down is the daemon's disable command at both
 * ends, sent again whenever a reconfigure or restart would bring it back.
 * The active incidents are kept in ops.json; a failure part way puts every
 * touched node back as it was.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "apply_int.h"
#include "pocketinternet/log.h"

static int load(json_t *ops, struct pi_vec *out, struct pi_diag *diag)
{
	char *text = json_dumps(json_object_get(ops, "incidents"), 0);
	int rc = text ? pi_incidents_from_json(text, "ops.json", out, diag) : -ENOMEM;
	free(text);
	return rc;
}

static void store(json_t *ops, const struct pi_vec *v)
{
	struct pi_buf b;
	pi_buf_init(&b);
	pi_incidents_to_json(v->data, v->len, &b);
	json_t *arr = json_loads(pi_buf_str(&b), 0, NULL);
	json_object_set_new(ops, "incidents", arr ? arr : json_array());
	pi_buf_free(&b);
}

/* Writes node's incidents file for the active incidents, on the host. */
static int write_file(const struct pi_plan *plan, const char *state_root, uint32_t node, const struct pi_vec *v,
		      struct pi_diag *diag)
{
	const struct pi_router_daemon *d = pi_router_daemon_of(plan, node);
	char dir[4096], path[4400];
	pi_state_dir(state_root, plan->lab_name, dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/%s/%s", dir, plan->nodes[node].name, d->incidents_file);
	struct pi_buf b;
	pi_buf_init(&b);
	d->render_incidents(plan, node, v->data, v->len, &b);
	int rc = pi_write_file_safe(path, pi_buf_str(&b), b.len, 0644, diag);
	pi_buf_free(&b);
	return rc;
}

/* Sends cmd to node's daemon, waiting out a reconfiguration in progress. */
static int command(const struct pi_plan *plan, uint32_t node, int pid, const char *cmd, struct pi_diag *diag)
{
	char why[256];
	int rc = -EBUSY;
	for (int t = 0; t < 50 && rc == -EBUSY; t++) {
		rc = pi_apply_ctl_command(plan, node, pid, cmd, why, sizeof(why));
		if (rc == -EBUSY)
			usleep(100000);
	}
	if (rc)
		pi_diag_add(diag, (struct pi_pos){ 0 }, "look at the daemon's log in the node: pocketinternet shell NODE",
			    "'%s' on %s: %s", cmd, plan->nodes[node].name, why);
	return rc;
}

/* Every session-down incident's end on node goes (or stays) down. */
static int redisable(const struct pi_plan *plan, uint32_t node, int pid, const struct pi_vec *v, struct pi_diag *diag)
{
	const struct pi_router_daemon *d = pi_router_daemon_of(plan, node);
	int rc = 0;
	for (size_t i = 0; i < v->len && rc == 0; i++) {
		const struct pi_incident *in = pi_vec_at(v, i);
		uint32_t k = in->kind == PI_INCIDENT_SESSION_DOWN ? pi_incident_session(plan, in) : PI_NONE;
		if (k == PI_NONE || (plan->sessions[k].a != node && plan->sessions[k].b != node))
			continue;
		char cmd[128];
		d->disable_cmd(plan, k, node, cmd, sizeof(cmd));
		rc = command(plan, node, pid, cmd, diag);
	}
	return rc;
}

/* Brings node's daemon to the active incidents: file, reconfigure, disables.
 * A stopped node only gets the file (its daemon reads it when it starts). */
static int sync_node(struct pi_backend *b, const struct pi_plan *plan, const char *state_root, uint32_t node,
		     const struct pi_vec *v, struct pi_diag *diag)
{
	int pid, rc = write_file(plan, state_root, node, v, diag);
	struct pi_diag quiet;
	pi_diag_init(&quiet);
	bool running = rc == 0 && pi_apply_node_pid(b, plan, node, &pid, &quiet) == 0;
	pi_diag_free(&quiet);
	if (!running)
		return rc;
	rc = command(plan, node, pid, pi_router_daemon_of(plan, node)->reconfigure_cmd, diag);
	return rc ? rc : redisable(plan, node, pid, v, diag);
}

/* Is node touched by any of the incidents? */
static bool touched(const struct pi_plan *plan, uint32_t node, const struct pi_incident *inc, size_t n)
{
	if (!pi_router_daemon_of(plan, node))
		return false;
	for (size_t i = 0; i < n; i++)
		if (pi_incident_touches(plan, &inc[i], node))
			return true;
	return false;
}

/* Syncs every node the changed incidents touch; on a failure, puts the ones
 * done back to the previous list. */
static int sync_all(struct pi_backend *b, const struct pi_plan *plan, const char *state_root,
		    const struct pi_incident *changed, size_t n_changed, const struct pi_vec *now,
		    const struct pi_vec *before, struct pi_diag *diag)
{
	uint32_t done = 0;
	int rc = 0;
	for (; done < plan->n_nodes && rc == 0; done++)
		if (touched(plan, done, changed, n_changed))
			rc = sync_node(b, plan, state_root, done, now, diag);
	if (rc) {
		for (uint32_t i = 0; i < done; i++)
			if (touched(plan, i, changed, n_changed))
				sync_node(b, plan, state_root, i, before, diag);
		pi_diag_add(diag, (struct pi_pos){ 0 }, NULL, "every router was put back as it was before");
	}
	return rc;
}

/* A cleared session-down: its session comes back at both running ends,
 * unless another active incident still holds it down. */
static void enable_session(struct pi_backend *b, const struct pi_plan *plan, const struct pi_incident *gone,
			   const struct pi_vec *now, struct pi_diag *diag)
{
	uint32_t k = pi_incident_session(plan, gone);
	if (k == PI_NONE)
		return;
	for (size_t i = 0; i < now->len; i++) {
		const struct pi_incident *in = pi_vec_at(now, i);
		if (in->kind == PI_INCIDENT_SESSION_DOWN && pi_incident_session(plan, in) == k)
			return;
	}
	uint32_t ends[2] = { plan->sessions[k].a, plan->sessions[k].b };
	for (int e = 0; e < 2; e++) {
		int pid;
		if (!pi_router_daemon_of(plan, ends[e]))
			continue; /* an external speaker's end: the tester's */
		struct pi_diag quiet;
		pi_diag_init(&quiet);
		if (pi_apply_node_pid(b, plan, ends[e], &pid, &quiet) == 0) {
			char cmd[128];
			pi_router_daemon_of(plan, ends[e])->enable_cmd(plan, k, ends[e], cmd, sizeof(cmd));
			command(plan, ends[e], pid, cmd, diag);
		}
		pi_diag_free(&quiet);
	}
}

int pi_apply_incident_list(const struct pi_plan *plan, const char *state_root, struct pi_vec *out,
			   struct pi_diag *diag)
{
	json_t *ops = pi_ops_load(state_root, plan->lab_name, diag);
	int rc = load(ops, out, diag);
	json_decref(ops);
	return rc;
}

int pi_apply_incident_add(struct pi_backend *b, const struct pi_plan *plan, const char *state_root,
			  struct pi_incident *inc, struct pi_diag *diag)
{
	int rc = pi_incident_check(plan, inc, diag);
	if (rc)
		return rc;
	json_t *ops = pi_ops_load(state_root, plan->lab_name, diag);
	struct pi_vec before = PI_VEC_INIT(struct pi_incident), now = PI_VEC_INIT(struct pi_incident);
	if ((rc = load(ops, &before, diag)) == 0) {
		json_t *next = json_object_get(ops, "next_incident");
		inc->id = json_is_integer(next) ? (unsigned)json_integer_value(next) : 1;
		for (size_t i = 0; i < before.len; i++) {
			unsigned id = ((struct pi_incident *)pi_vec_at(&before, i))->id;
			if (id >= inc->id)
				inc->id = id + 1;
		}
		inc->since = (long long)time(NULL);
		for (size_t i = 0; i < before.len; i++)
			*(struct pi_incident *)pi_vec_push(&now) = *(struct pi_incident *)pi_vec_at(&before, i);
		*(struct pi_incident *)pi_vec_push(&now) = *inc;
		rc = sync_all(b, plan, state_root, inc, 1, &now, &before, diag);
	}
	if (rc == 0) {
		char text[512];
		pi_incident_describe(plan, inc, text, sizeof(text));
		pi_log_info("incident", "%s", text);
		store(ops, &now);
		json_object_set_new(ops, "next_incident", json_integer(inc->id + 1));
		rc = pi_ops_save(state_root, plan->lab_name, ops, diag);
	}
	pi_vec_free(&before);
	pi_vec_free(&now);
	json_decref(ops);
	return rc;
}

/* Splits the active list by id (0: all) into what stays and what goes. */
static size_t split(const struct pi_vec *all, unsigned id, struct pi_vec *keep, struct pi_vec *gone)
{
	for (size_t i = 0; i < all->len; i++) {
		const struct pi_incident *in = pi_vec_at(all, i);
		*(struct pi_incident *)pi_vec_push(id == 0 || in->id == id ? gone : keep) = *in;
	}
	return gone->len;
}

int pi_apply_incident_clear(struct pi_backend *b, const struct pi_plan *plan, const char *state_root, unsigned id,
			    unsigned *cleared, struct pi_diag *diag)
{
	json_t *ops = pi_ops_load(state_root, plan->lab_name, diag);
	struct pi_vec all = PI_VEC_INIT(struct pi_incident), keep = PI_VEC_INIT(struct pi_incident),
		      gone = PI_VEC_INIT(struct pi_incident);
	*cleared = 0;
	int rc = load(ops, &all, diag);
	if (rc == 0 && split(&all, id, &keep, &gone) == 0 && id) {
		pi_diag_add(diag, (struct pi_pos){ 0 }, "'pocketinternet incident list' shows the active incidents",
			    "lab %s has no incident #%u", plan->lab_name, id);
		rc = -ENOENT;
	}
	if (rc == 0 && gone.len)
		rc = sync_all(b, plan, state_root, gone.data, gone.len, &keep, &all, diag);
	for (size_t i = 0; rc == 0 && i < gone.len; i++) {
		const struct pi_incident *in = pi_vec_at(&gone, i);
		if (in->kind == PI_INCIDENT_SESSION_DOWN)
			enable_session(b, plan, in, &keep, diag);
	}
	if (rc == 0) {
		*cleared = (unsigned)gone.len;
		store(ops, &keep);
		rc = pi_ops_save(state_root, plan->lab_name, ops, diag);
	}
	pi_vec_free(&all);
	pi_vec_free(&keep);
	pi_vec_free(&gone);
	json_decref(ops);
	return rc;
}

int pi_apply_incidents_reapply(struct pi_backend *b, const struct pi_plan *plan, const char *state_root,
			       json_t *ops, const bool *nodes, struct pi_diag *diag)
{
	struct pi_vec v = PI_VEC_INIT(struct pi_incident);
	int rc = load(ops, &v, diag);
	for (uint32_t i = 0; rc == 0 && v.len && i < plan->n_nodes; i++)
		if ((!nodes || nodes[i]) && touched(plan, i, v.data, v.len))
			rc = sync_node(b, plan, state_root, i, &v, diag);
	pi_vec_free(&v);
	return rc;
}
