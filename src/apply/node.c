/*
 * node: stop, start and restart one node of a running lab.
 *
 * Stopping a container destroys its netns, and with it every veth it held:
 * the far ends vanish too, so neighbours see their links fail as a real
 * outage would look. Starting it again runs setup's own steps on that one
 * node (setup_int.h): the container starts (its command waits for the start
 * signal again), its links are rewired toward the neighbours that run (their
 * ends and addresses remade), addresses and routes set, the daemons started,
 * and convergence awaits its sessions. Both are idempotent: stopping a
 * stopped node or starting a running one changes nothing.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "setup_int.h"
#include "pocketinternet/log.h"

const char *pi_node_op_name(enum pi_node_op op)
{
	switch (op) {
	case PI_NODE_STOP: return "stop";
	case PI_NODE_START: return "start";
	case PI_NODE_RESTART: return "restart";
	}
	return "?";
}

static int node_state(struct setup *s, uint32_t node, struct pi_node_state *st)
{
	int rc = s->b->ops->inspect(s->b, s->plan->lab_name, s->plan->nodes[node].name, st, s->diag);
	if (rc == -ENOENT) {
		pi_diag_add(s->diag, (struct pi_pos){ 0 }, "run 'pocketinternet setup' to bring the lab up",
			    "node %s of lab %s does not exist", s->plan->nodes[node].name, s->plan->lab_name);
	}
	return rc;
}

/*
 * Its links go first, explicitly: a stopped container's netns can outlive it
 * (sockets the kernel still holds keep it alive), and the veths in it with
 * their far ends up, so neighbours would not see the failure and the node
 * could not be rewired. Deleting one end of a veth deletes both.
 */
static int cut_links(struct setup *s, uint32_t node, int pid)
{
	const struct pi_plan_node *n = &s->plan->nodes[node];
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/ns/net", pid);
	struct pi_nl *nl = NULL;
	int rc = pi_nl_open_netns_path(path, &nl);
	for (uint32_t k = 0; rc == 0 && k < n->n_ifaces; k++) {
		const char *ifname = s->plan->ifaces[n->first_iface + k].name;
		rc = pi_nl_link_delete(nl, ifname);
		if (rc == -ENODEV || rc == -ENOENT)
			rc = 0;
		if (rc)
			pi_setup_nl_fail(s, nl, ifname, rc);
	}
	pi_nl_close(nl);
	return rc;
}

static int stop_node(struct setup *s, uint32_t node, int pid)
{
	pi_log_info("stop", "%s", s->plan->nodes[node].name);
	int rc = cut_links(s, node, pid);
	return rc ? rc : s->b->ops->stop(s->b, s->plan->lab_name, s->plan->nodes[node].name, s->diag);
}

/* Setup's steps on the wanted node, with the running nodes around it. */
static int start_node(struct setup *s)
{
	static int (*const steps[])(struct setup *) = { pi_setup_open_netns, pi_setup_wire, pi_setup_daemons,
							pi_setup_converge };
	static const enum pi_phase phase[] = { PI_PHASE_START, PI_PHASE_WIRE, PI_PHASE_DAEMONS, PI_PHASE_CONVERGE };
	int rc = 0;
	for (size_t k = 0; k < PI_ARRAY_LEN(steps) && rc == 0; k++) {
		double t = pi_monotonic();
		s->phase = phase[k];
		rc = steps[k](s);
		s->res->phase_s[phase[k]] += pi_monotonic() - t;
		if (rc == 0 && pi_setup_cancelled(s))
			rc = -ECANCELED;
	}
	return rc;
}

static int start_container(struct setup *s, uint32_t node)
{
	s->phase = PI_PHASE_START;
	pi_setup_progress(s, 0, 1, s->plan->nodes[node].name);
	int rc = pi_setup_start_one(s, node);
	if (!rc) {
		s->res->containers = 1;
		pi_setup_progress(s, 1, 1, s->plan->nodes[node].name);
	}
	return rc;
}

int pi_apply_node(struct pi_backend *b, const struct pi_plan *plan, uint32_t node, enum pi_node_op op,
		  const struct pi_apply_opts *opts, struct pi_apply_result *res, struct pi_diag *diag)
{
	struct setup s;
	pi_setup_init(&s, b, plan, opts, res, diag);
	bool *want = pi_xcalloc(plan->n_nodes, sizeof(bool));
	want[node] = true;
	s.want = want;
	double t0 = pi_monotonic();
	struct pi_node_state st;
	int rc = node_state(&s, node, &st);
	if (rc == 0 && op != PI_NODE_START && st.running) {
		rc = stop_node(&s, node, st.pid);
		st.running = false;
	} else if (rc == 0 && op == PI_NODE_STOP) {
		res->already_up = true; /* nothing to do: it is stopped */
	}
	if (rc == 0 && op != PI_NODE_STOP) {
		if (st.running) {
			res->already_up = true;
		} else {
			rc = start_container(&s, node);
			if (rc == 0)
				rc = start_node(&s);
			if (rc == 0)
				rc = pi_apply_ops_reapply(b, plan, opts->state_root, node, diag);
		}
	}
	res->total_s = pi_monotonic() - t0;
	pi_setup_fini(&s);
	free(want);
	return rc;
}
