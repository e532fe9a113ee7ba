/*
 * link: find a link the way a user names it, and take it down or up.
 *
 * Names: the plan's link name ("transit1-border1--transit2-border1", a LAN's
 * bridge name), a node pair "a--b" in either order, or "node:iface" for one
 * port (of a LAN; on a p2p link it names the link). Down is carrier down at
 * every end: each end is set administratively down inside its node (and a LAN
 * port's bridge side too), so the routing daemons see the interface fail as
 * a cut cable would look. The state goes in ops.json, so a node started later
 * gets its links back as they were left.
 */
#include <errno.h>
#include <linux/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "setup_int.h"
#include "pocketinternet/log.h"

#define NEAR_MAX 5

static void link_names(const struct pi_plan *plan, const char **names)
{
	for (uint32_t l = 0; l < plan->n_links; l++)
		names[l] = plan->links[l].name;
}

/* "unknown link 'x'; did you mean: a, b?" */
static int unknown(const struct pi_plan *plan, const char *spec, const char *what, const char *const *names,
		   size_t n, struct pi_diag *diag)
{
	const char *near[NEAR_MAX];
	size_t k = pi_near_matches(spec, names, n, near, NEAR_MAX);
	struct pi_buf hint;
	pi_buf_init(&hint);
	if (k) {
		pi_buf_puts(&hint, "did you mean: ");
		for (size_t i = 0; i < k; i++)
			pi_buf_printf(&hint, "%s%s", i ? ", " : "", near[i]);
		pi_buf_puts(&hint, "?");
	} else {
		pi_buf_printf(&hint, "'pocketinternet link list' shows the links of lab %s", plan->lab_name);
	}
	pi_diag_add(diag, (struct pi_pos){ 0 }, pi_buf_str(&hint), "unknown %s '%s'", what, spec);
	pi_buf_free(&hint);
	return -ENOENT;
}

static uint32_t find_node(const struct pi_plan *plan, const char *name, size_t len)
{
	char buf[256];
	if (len >= sizeof(buf))
		return PI_NONE;
	memcpy(buf, name, len);
	buf[len] = 0;
	return pi_plan_node_by_name(plan, buf);
}

/* node:iface */
static int find_port(const struct pi_plan *plan, const char *spec, const char *colon, struct pi_link_ref *out,
		     struct pi_diag *diag)
{
	uint32_t node = find_node(plan, spec, (size_t)(colon - spec));
	if (node == PI_NONE) {
		const char **names = pi_xcalloc(plan->n_nodes + 1, sizeof(char *));
		for (uint32_t i = 0; i < plan->n_nodes; i++)
			names[i] = plan->nodes[i].name;
		char nb[256];
		snprintf(nb, sizeof(nb), "%.*s", (int)(colon - spec), spec);
		int rc = unknown(plan, nb, "node", names, plan->n_nodes, diag);
		free(names);
		return rc;
	}
	const struct pi_plan_node *n = &plan->nodes[node];
	const char **names = pi_xcalloc(n->n_ifaces + 1, sizeof(char *));
	for (uint32_t i = 0; i < n->n_ifaces; i++) {
		const struct pi_plan_iface *f = &plan->ifaces[n->first_iface + i];
		names[i] = f->name;
		if (strcmp(f->name, colon + 1) == 0) {
			out->link = f->link;
			out->iface = plan->links[f->link].kind == PI_LINK_LAN ? n->first_iface + i : PI_NONE;
			free(names);
			return 0;
		}
	}
	int rc = unknown(plan, colon + 1, "interface", names, n->n_ifaces, diag);
	free(names);
	return rc;
}

/* a--b in either order: the p2p link between the two nodes. */
static int find_pair(const struct pi_plan *plan, const char *spec, const char *dash, struct pi_link_ref *out)
{
	uint32_t a = find_node(plan, spec, (size_t)(dash - spec)), b = pi_plan_node_by_name(plan, dash + 2);
	if (a == PI_NONE || b == PI_NONE)
		return -ENOENT;
	const struct pi_plan_node *n = &plan->nodes[a];
	for (uint32_t i = 0; i < n->n_ifaces; i++) {
		const struct pi_plan_iface *f = &plan->ifaces[n->first_iface + i];
		uint32_t peer = pi_plan_peer_iface(plan, n->first_iface + i);
		if (peer != PI_NONE && plan->ifaces[peer].node == b) {
			out->link = f->link;
			out->iface = PI_NONE;
			return 0;
		}
	}
	return -ENOENT;
}

int pi_apply_link_find(const struct pi_plan *plan, const char *spec, struct pi_link_ref *out, struct pi_diag *diag)
{
	out->link = out->iface = PI_NONE;
	for (uint32_t l = 0; l < plan->n_links; l++)
		if (strcmp(plan->links[l].name, spec) == 0) {
			out->link = l;
			return 0;
		}
	const char *colon = strchr(spec, ':');
	if (colon)
		return find_port(plan, spec, colon, out, diag);
	const char *dash = strstr(spec, "--");
	if (dash && find_pair(plan, spec, dash, out) == 0)
		return 0;
	const char **names = pi_xcalloc(plan->n_links + 1, sizeof(char *));
	link_names(plan, names);
	int rc = unknown(plan, spec, "link", names, plan->n_links, diag);
	free(names);
	return rc;
}

void pi_apply_iface_label(const struct pi_plan *plan, uint32_t iface, char *buf, size_t len)
{
	const struct pi_plan_iface *f = &plan->ifaces[iface];
	snprintf(buf, len, "%s:%s", plan->nodes[f->node].name, f->name);
}

/* The ends a reference names. */
static size_t ref_ends(const struct pi_plan *plan, const struct pi_link_ref *ref, uint32_t *ends, size_t max)
{
	if (ref->iface != PI_NONE) {
		ends[0] = ref->iface;
		return 1;
	}
	const struct pi_plan_link *lk = &plan->links[ref->link];
	size_t n = 0;
	for (uint32_t k = 0; k < lk->n_ifaces && n < max; k++)
		ends[n++] = lk->ifaces[k];
	return n;
}

/* Sets one end (and its LAN port's bridge side) up or down. */
static int set_end(const struct pi_plan *plan, uint32_t iface, int pid, bool up, struct pi_diag *diag)
{
	const struct pi_plan_iface *f = &plan->ifaces[iface];
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/ns/net", pid);
	struct pi_nl *nl = NULL;
	int rc = pi_nl_open_netns_path(path, &nl);
	if (!rc)
		rc = up ? pi_nl_link_set_up(nl, f->name) : pi_nl_link_set_down(nl, f->name);
	/* The kernel drops IPv6 addresses on a link that goes down (unless
	 * keep_addr_on_down): put the plan's back. */
	if (!rc && up && pi_prefix_is_set(&f->v6) && !f->ra6)
		rc = pi_nl_addr_add(nl, f->name, &f->v6);
	if (!rc && up && pi_prefix_is_set(&f->v4) && !f->dhcp4)
		rc = pi_nl_addr_add(nl, f->name, &f->v4);
	if (!rc && plan->links[f->link].kind == PI_LINK_LAN) {
		char ns[128], port[PI_IFNAMSIZ];
		struct pi_nl *lab = NULL;
		pi_lab_netns_name(plan->lab_name, ns, sizeof(ns));
		pi_apply_port_name(plan, iface, port);
		rc = pi_nl_open_netns_name(ns, &lab);
		if (!rc)
			rc = up ? pi_nl_link_set_up(lab, port) : pi_nl_link_set_down(lab, port);
		if (rc && lab)
			pi_diag_add(diag, (struct pi_pos){ 0 }, NULL, "bridge port %s of %s: %s", port, f->name,
				    pi_nl_strerror(lab));
		pi_nl_close(lab);
	} else if (rc) {
		pi_diag_add(diag, (struct pi_pos){ 0 }, NULL, "%s of %s: %s", f->name, plan->nodes[f->node].name,
			    nl ? pi_nl_strerror(nl) : strerror(-rc));
	}
	pi_nl_close(nl);
	return rc;
}

static bool json_list_has(json_t *arr, const char *s)
{
	size_t i;
	json_t *v;
	json_array_foreach(arr, i, v)
		if (json_is_string(v) && strcmp(json_string_value(v), s) == 0)
			return true;
	return false;
}

/* Records ends as down (or no longer down) in the link's entry. */
static void record_down(json_t *ops, const struct pi_plan *plan, uint32_t link, const uint32_t *ends, size_t n,
			bool up)
{
	json_t *l = pi_ops_link(ops, plan->links[link].name, true);
	json_t *down = json_object_get(l, "down");
	if (!json_is_array(down)) {
		down = json_array();
		json_object_set_new(l, "down", down);
	}
	for (size_t k = 0; k < n; k++) {
		char label[300];
		pi_apply_iface_label(plan, ends[k], label, sizeof(label));
		for (size_t i = json_array_size(down); i-- > 0;)
			if (strcmp(json_string_value(json_array_get(down, i)), label) == 0)
				json_array_remove(down, i);
		if (!up)
			json_array_append_new(down, json_string(label));
	}
	if (json_array_size(down) == 0)
		json_object_del(l, "down");
	pi_ops_link_tidy(ops, plan->links[link].name);
}

int pi_apply_link_updown(struct pi_backend *b, const struct pi_plan *plan, const char *state_root,
			 const struct pi_link_ref *ref, bool up, struct pi_diag *diag)
{
	uint32_t ends[64];
	size_t n = ref_ends(plan, ref, ends, PI_ARRAY_LEN(ends)), done = 0;
	int pids[64], rc = 0;
	for (size_t k = 0; k < n && rc == 0; k++) {
		struct pi_diag local;
		pi_diag_init(&local);
		rc = pi_apply_node_pid(b, plan, plan->ifaces[ends[k]].node, &pids[k], &local);
		if (rc == -ESRCH) /* a stopped node's end is gone already: record it only */
			rc = 0;
		else
			pi_diag_move(diag, &local);
		pi_diag_free(&local);
	}
	for (; rc == 0 && done < n; done++)
		if (pids[done])
			rc = set_end(plan, ends[done], pids[done], up, diag);
	if (rc) { /* nothing half-done: put back the ends already changed */
		for (size_t k = 0; k + 1 < done; k++)
			if (pids[k])
				set_end(plan, ends[k], pids[k], !up, diag);
		pi_diag_add(diag, (struct pi_pos){ 0 }, NULL, "link %s is as it was before", plan->links[ref->link].name);
		return rc;
	}
	pi_log_info(up ? "link up" : "link down", "%s", plan->links[ref->link].name);
	json_t *ops = pi_ops_load(state_root, plan->lab_name, diag);
	record_down(ops, plan, ref->link, ends, n, up);
	rc = pi_ops_save(state_root, plan->lab_name, ops, diag);
	json_decref(ops);
	return rc;
}

/* After node started again: the ends of its links recorded as down go down
 * again (its own, and the far ends of p2p links that were just remade). */
int pi_apply_links_reapply(struct pi_backend *b, const struct pi_plan *plan, json_t *ops, uint32_t node,
			   struct pi_diag *diag)
{
	const struct pi_plan_node *n = &plan->nodes[node];
	int rc = 0;
	for (uint32_t i = 0; i < n->n_ifaces && rc == 0; i++) {
		const struct pi_plan_link *lk = &plan->links[plan->ifaces[n->first_iface + i].link];
		json_t *down = json_object_get(pi_ops_link(ops, lk->name, false), "down");
		for (uint32_t k = 0; down && k < lk->n_ifaces && rc == 0; k++) {
			uint32_t f = lk->ifaces[k];
			char label[300];
			pi_apply_iface_label(plan, f, label, sizeof(label));
			if (!json_list_has(down, label) || (lk->kind == PI_LINK_LAN && plan->ifaces[f].node != node))
				continue;
			int pid;
			if (pi_apply_node_pid(b, plan, plan->ifaces[f].node, &pid, diag) == 0)
				rc = set_end(plan, f, pid, false, diag);
		}
	}
	return rc;
}

int pi_apply_ops_reapply(struct pi_backend *b, const struct pi_plan *plan, const char *state_root, uint32_t node,
			 struct pi_diag *diag)
{
	json_t *ops = pi_ops_load(state_root, plan->lab_name, diag);
	int rc = pi_apply_links_reapply(b, plan, ops, node, diag);
	if (rc == 0)
		rc = pi_apply_impair_reapply(b, plan, ops, node, diag);
	if (rc == 0) {
		bool *only = pi_xcalloc(plan->n_nodes, sizeof(bool));
		only[node] = true;
		/* Its sessions' other ends too: a session-down holds at both. */
		for (uint32_t k = 0; k < plan->nodes[node].n_session_idx; k++) {
			const struct pi_plan_session *x = &plan->sessions[plan->nodes[node].session_idx[k]];
			only[x->a] = only[x->b] = true;
		}
		rc = pi_apply_incidents_reapply(b, plan, state_root, ops, only, diag);
		free(only);
	}
	json_decref(ops);
	return rc;
}

/* ---- link list ---- */

static void end_state(const struct pi_plan *plan, uint32_t iface, int pid, struct pi_link_end *e)
{
	const struct pi_plan_iface *f = &plan->ifaces[iface];
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/ns/net", pid);
	struct pi_nl *nl = NULL;
	struct pi_nl_link l;
	if (pi_nl_open_netns_path(path, &nl) == 0 && pi_nl_link_get(nl, f->name, &l) == 0) {
		e->present = true;
		e->admin_up = (l.flags & IFF_UP) != 0;
		e->carrier = (l.flags & IFF_LOWER_UP) != 0;
		pi_apply_end_impair(nl, f->name, e);
	}
	pi_nl_close(nl);
}

static const char *link_state(const struct pi_link_status *ls)
{
	size_t up = 0, present = 0;
	for (size_t k = 0; k < ls->n_ends; k++) {
		present += ls->ends[k].present;
		up += ls->ends[k].present && ls->ends[k].admin_up && ls->ends[k].carrier;
	}
	if (present == 0)
		return "absent";
	if (up == ls->n_ends)
		return "up";
	return up == 0 ? "down" : "partial";
}

int pi_apply_link_list(struct pi_backend *b, const struct pi_plan *plan, uint32_t node, struct pi_vec *out,
		       struct pi_diag *diag)
{
	int *pids = pi_xcalloc(plan->n_nodes + 1, sizeof(int));
	bool *asked = pi_xcalloc(plan->n_nodes + 1, sizeof(bool));
	for (uint32_t l = 0; l < plan->n_links; l++) {
		const struct pi_plan_link *lk = &plan->links[l];
		bool mine = node == PI_NONE;
		for (uint32_t k = 0; k < lk->n_ifaces; k++)
			mine |= plan->ifaces[lk->ifaces[k]].node == node;
		if (!mine)
			continue;
		struct pi_link_status *ls = pi_vec_push(out);
		memset(ls, 0, sizeof(*ls));
		ls->link = l;
		ls->n_ends = lk->n_ifaces;
		ls->ends = pi_xcalloc(lk->n_ifaces + 1, sizeof(*ls->ends));
		for (uint32_t k = 0; k < lk->n_ifaces; k++) {
			uint32_t n = plan->ifaces[lk->ifaces[k]].node;
			struct pi_diag quiet;
			pi_diag_init(&quiet);
			if (!asked[n])
				pi_apply_node_pid(b, plan, n, &pids[n], &quiet);
			asked[n] = true;
			pi_diag_free(&quiet);
			ls->ends[k].iface = lk->ifaces[k];
			if (pids[n])
				end_state(plan, lk->ifaces[k], pids[n], &ls->ends[k]);
		}
		ls->state = link_state(ls);
	}
	free(pids);
	free(asked);
	return 0;
}

void pi_link_status_free(struct pi_vec *v)
{
	for (size_t i = 0; i < v->len; i++)
		free(((struct pi_link_status *)pi_vec_at(v, i))->ends);
	pi_vec_free(v);
}
