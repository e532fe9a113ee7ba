/*
 * reconcile: setup on a lab that runs, after its lab file changed. Only the
 * difference is applied (pi_plan_diff between the running plan, read back
 * from the state's plan.json as pins, and the new plan built with them):
 *   1. nodes gone from the plan are removed (their links cut first), and the
 *      ends kept nodes had on links that are gone or changed are deleted;
 *   2. the new files are written (the state directory is what nodes mount),
 *      active incidents re-rendered into them;
 *   3. new nodes are created, started and wired with setup's own steps, and
 *      so are kept nodes' new or changed interfaces (setup_int.h);
 *   4. kept nodes whose files changed are reconfigured, not restarted: the
 *      router daemon over its control socket, the others by the reload
 *      script render makes (pi_render_reload_script); then the new nodes'
 *      daemons start;
 *   5. convergence waits for the sessions of new and reconfigured nodes
 *      and the new resolvers.
 * Unchanged nodes keep their containers.
 */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "setup_int.h"
#include "pocketinternet/log.h"

struct recon {
	struct setup s;
	const struct pi_plan_pins *pins;
	struct pi_plan_diff diff;
	bool *want, *iface_want, *kept;
	struct pi_vec *changed; /* per node of the new plan: char * paths that changed */
};

/* The files of kept node i that render would write differently now. */
static void changed_files(struct recon *r, uint32_t i)
{
	struct pi_render_set set;
	pi_render_set_init(&set);
	pi_render_node(r->s.plan, i, &set);
	r->changed[i] = (struct pi_vec)PI_VEC_INIT(char *);
	for (size_t k = 0; k < set.files.len; k++) {
		const struct pi_render_file *f = pi_vec_at(&set.files, k);
		if (strncmp(f->path, PI_SPEAKER_SUBDIR "/", sizeof(PI_SPEAKER_SUBDIR)) == 0)
			continue; /* an external speaker's own files: the tester's, never rewritten */
		char path[8192], *old = NULL;
		size_t len = 0;
		if (pi_apply_students_file(r->s.plan, i, f->path))
			continue; /* the team's work: kept (write.c), never "changed" */
		snprintf(path, sizeof(path), "%s/%s/%s", r->s.state_dir, r->s.plan->nodes[i].name, f->path);
		if (pi_read_file(path, &old, &len) != 0 || len != f->len || memcmp(old, f->data, len) != 0) {
			*(char **)pi_vec_push(&r->changed[i]) = pi_xstrdup(f->path);
			pi_log_debug("changed", "%s/%s", r->s.plan->nodes[i].name, f->path);
		}
		free(old);
	}
	pi_render_set_free(&set);
}

/* Old iface (pins) by node and iface name, or PI_NONE. */
static uint32_t pin_iface(const struct pi_plan_pins *pins, const char *node, const char *name)
{
	for (uint32_t i = 0; i < pins->n_ifaces; i++) {
		const struct pi_pin_iface *f = &pins->ifaces[i];
		if (strcmp(f->name, name) == 0 && strcmp(pins->nodes[f->node].name, node) == 0)
			return i;
	}
	return PI_NONE;
}

static bool same_addr(const struct pi_prefix *a, const struct pi_prefix *b)
{
	return pi_prefix_is_set(a) == pi_prefix_is_set(b) && (!pi_prefix_is_set(a) || pi_prefix_equal(a, b));
}

/* Kept nodes' interfaces to (re)make: new ones, and those whose link or
 * addresses changed. */
static void mark_ifaces(struct recon *r)
{
	const struct pi_plan *p = r->s.plan;
	for (uint32_t f = 0; f < p->n_ifaces; f++) {
		const struct pi_plan_iface *x = &p->ifaces[f];
		if (!r->kept[x->node])
			continue;
		uint32_t o = pin_iface(r->pins, p->nodes[x->node].name, x->name);
		const struct pi_pin_iface *of = o == PI_NONE ? NULL : &r->pins->ifaces[o];
		r->iface_want[f] = !of || !same_addr(&of->v4, &x->v4) || !same_addr(&of->v6, &x->v6) ||
				   strcmp(r->pins->links[of->link].name, p->links[x->link].name) != 0;
		if (!r->iface_want[f] && p->links[x->link].kind == PI_LINK_P2P) {
			for (uint32_t k = 0; k < r->diff.n_links_changed; k++)
				r->iface_want[f] |= r->diff.links_changed[k] == x->link;
		}
	}
}

static int delete_in(struct recon *r, int nsfd, const char *ifname)
{
	struct pi_nl *nl = NULL;
	int rc = pi_nl_open_netns_fd(nsfd, &nl);
	if (!rc && (rc = pi_nl_link_delete(nl, ifname)) && rc != -ENODEV && rc != -ENOENT)
		pi_setup_nl_fail(&r->s, nl, ifname, rc);
	else
		rc = 0;
	pi_nl_close(nl);
	return rc;
}

/* A node the new plan no longer has: links cut, container removed. */
/* A node without a container (a speaker in the tester's netns) leaves its
 * LAN ports on the lab's bridges: they go with it. Its p2p ends go with the
 * kept neighbour's end (cut_old_ends). */
static int remove_ports(struct recon *r, const char *name)
{
	char ns[128];
	pi_lab_netns_name(r->s.plan->lab_name, ns, sizeof(ns));
	struct pi_nl *lab = NULL;
	if (pi_nl_open_netns_name(ns, &lab) != 0)
		return 0;
	for (uint32_t i = 0; i < r->pins->n_ifaces; i++)
		if (strcmp(r->pins->nodes[r->pins->ifaces[i].node].name, name) == 0) {
			char port[PI_IFNAMSIZ];
			pi_apply_port_name_of(name, r->pins->ifaces[i].name, port);
			pi_nl_link_delete(lab, port); /* a p2p iface has none: -ENODEV, fine */
		}
	pi_nl_close(lab);
	return 0;
}

static int remove_node(struct recon *r, const char *name)
{
	struct pi_node_state st;
	struct setup *s = &r->s;
	int rc = s->b->ops->inspect(s->b, s->plan->lab_name, name, &st, s->diag);
	if (rc == -ENOENT)
		return remove_ports(r, name); /* no container: a speaker's netns (or gone already) */
	if (rc == 0 && st.running && st.pid > 0) {
		char path[64];
		snprintf(path, sizeof(path), "/proc/%d/ns/net", st.pid);
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		for (uint32_t i = 0; fd >= 0 && i < r->pins->n_ifaces && rc == 0; i++)
			if (strcmp(r->pins->nodes[r->pins->ifaces[i].node].name, name) == 0)
				rc = delete_in(r, fd, r->pins->ifaces[i].name);
		if (fd >= 0)
			close(fd);
	}
	pi_log_info("remove", "%s", name);
	if (rc == 0)
		rc = s->b->ops->remove(s->b, s->plan->lab_name, name, s->diag);
	s->res->removed += rc == 0;
	return rc;
}

/* Ends of kept nodes on links that are gone or remade; bridges of LANs that are gone. */
static int cut_old_ends(struct recon *r)
{
	const struct pi_plan *p = r->s.plan;
	int rc = 0;
	for (uint32_t i = 0; i < r->pins->n_ifaces && rc == 0; i++) {
		const struct pi_pin_iface *f = &r->pins->ifaces[i];
		uint32_t node = pi_plan_node_by_name(p, r->pins->nodes[f->node].name);
		if (node == PI_NONE || !r->kept[node] || r->s.rt[node].nsfd < 0)
			continue;
		const struct pi_plan_node *n = &p->nodes[node];
		bool keep = false;
		for (uint32_t k = 0; k < n->n_ifaces; k++)
			if (strcmp(p->ifaces[n->first_iface + k].name, f->name) == 0)
				keep = !r->iface_want[n->first_iface + k];
		if (!keep)
			rc = delete_in(r, r->s.rt[node].nsfd, f->name);
	}
	char ns[128];
	pi_lab_netns_name(p->lab_name, ns, sizeof(ns));
	struct pi_nl *lab = NULL;
	if (rc == 0 && r->diff.n_links_removed && pi_nl_open_netns_name(ns, &lab) == 0)
		for (uint32_t k = 0; k < r->diff.n_links_removed; k++)
			pi_nl_link_delete(lab, r->diff.links_removed[k]); /* a LAN's bridge; p2p: none */
	pi_nl_close(lab);
	return rc;
}

/* Is path one of the router daemon's own files for node? */
static bool daemon_file(const struct pi_plan *plan, uint32_t node, const char *path)
{
	const struct pi_router_daemon *d = pi_router_daemon_of(plan, node);
	if (!d)
		return false;
	struct pi_render_set set;
	pi_render_set_init(&set);
	struct pi_render_opts o;
	pi_render_opts_default(&o);
	d->render(plan, node, &o, &set);
	bool mine = pi_render_set_find(&set, path) != NULL || strcmp(path, d->incidents_file) == 0;
	pi_render_set_free(&set);
	return mine;
}

static int reload_node(struct recon *r, uint32_t i)
{
	struct setup *s = &r->s;
	const struct pi_vec *ch = &r->changed[i];
	const char **rest = pi_xcalloc(ch->len + 1, sizeof(char *));
	size_t n = 0;
	bool daemon = false;
	int rc = 0;
	for (size_t k = 0; k < ch->len; k++) {
		const char *path = *(char **)pi_vec_at(ch, k);
		if (daemon_file(s->plan, i, path))
			daemon = true;
		else
			rest[n++] = path;
	}
	char why[256];
	if (daemon && (rc = pi_apply_ctl_command(s->plan, i, s->rt[i].pid,
						 pi_router_daemon_of(s->plan, i)->reconfigure_cmd, why, sizeof(why))))
		pi_diag_add(s->diag, (struct pi_pos){ 0 }, NULL, "reconfiguring %s: %s", s->plan->nodes[i].name, why);
	struct pi_buf script;
	pi_buf_init(&script);
	if (rc == 0 && n && pi_render_reload_script(s->plan, i, rest, n, &script)) {
		const char *argv[] = { "sh", "-c", pi_buf_str(&script) };
		struct pi_exec_result res;
		pi_exec_result_init(&res);
		rc = s->b->ops->exec(s->b, s->plan->lab_name, s->plan->nodes[i].name, argv, 3, NULL, &res, s->diag);
		if (rc == 0 && res.exit_code != 0) {
			pi_diag_add(s->diag, (struct pi_pos){ 0 }, "look at /var/log/pocketinternet/start.log in the node",
				    "reloading %s failed (exit %d)", s->plan->nodes[i].name, res.exit_code);
			rc = -EIO;
		}
		pi_exec_result_free(&res);
	}
	pi_buf_free(&script);
	free(rest);
	s->res->reconfigured += rc == 0;
	return rc;
}

static int reload_one(void *ctx, size_t i)
{
	struct recon *r = ctx;
	if (!r->kept[i] || r->s.rt[i].pid <= 0 || r->changed[i].len == 0)
		return 0;
	pi_log_info("reconfigure", "%s", r->s.plan->nodes[i].name);
	return reload_node(r, (uint32_t)i);
}

/* The running nodes by name: kept ones must all exist (stopped is fine). */
static int check_running(struct recon *r)
{
	struct setup *s = &r->s;
	struct pi_vec found = PI_VEC_INIT(struct pi_node_state);
	int rc = s->b->ops->list(s->b, s->plan->lab_name, &found, s->diag);
	for (uint32_t k = 0; rc == 0 && k < r->diff.n_nodes_kept; k++) {
		if (setup_netns(s->plan, r->diff.nodes_kept[k]))
			continue; /* the tester's namespace, no container */
		const char *name = s->plan->nodes[r->diff.nodes_kept[k]].name;
		bool there = false;
		for (size_t i = 0; i < found.len && !there; i++)
			there = strcmp(((struct pi_node_state *)pi_vec_at(&found, i))->node, name) == 0;
		if (!there) {
			pi_diag_add(s->diag, (struct pi_pos){ 0 }, "run 'pocketinternet teardown' for this lab, then setup again",
				    "lab '%s' is partly up: node %s of the running lab does not exist",
				    s->plan->lab_name, name);
			rc = -EEXIST;
		}
	}
	pi_vec_free(&found);
	return rc;
}

static int step_remove(struct recon *r)
{
	char detail[64];
	snprintf(detail, sizeof(detail), "removing %u nodes", r->diff.n_nodes_removed);
	pi_setup_progress(&r->s, 0, r->diff.n_nodes_removed, detail);
	int rc = pi_setup_open_netns(&r->s);
	if (rc == 0)
		rc = cut_old_ends(r);
	for (uint32_t k = 0; rc == 0 && k < r->diff.n_nodes_removed; k++)
		rc = remove_node(r, r->diff.nodes_removed[k]);
	return rc;
}

static int step_write(struct recon *r)
{
	return pi_apply_write_lab(r->s.plan, r->s.state_dir, r->s.diag);
}

/* Reads what changed; true when nothing did and every node runs (setup
 * again on an unchanged lab changes nothing). */
static bool unchanged(struct recon *r)
{
	const struct pi_plan_diff *d = &r->diff;
	bool same = !d->n_nodes_added && !d->n_nodes_removed && !d->n_links_added && !d->n_links_removed &&
		    !d->n_links_changed && !d->n_sessions_added && !d->n_sessions_removed;
	for (uint32_t k = 0; k < d->n_nodes_kept; k++) {
		changed_files(r, d->nodes_kept[k]);
		same &= r->changed[d->nodes_kept[k]].len == 0;
	}
	struct pi_vec found = PI_VEC_INIT(struct pi_node_state);
	if (same && r->s.b->ops->list(r->s.b, r->s.plan->lab_name, &found, NULL) == 0)
		for (size_t i = 0; i < found.len; i++)
			same &= ((struct pi_node_state *)pi_vec_at(&found, i))->running;
	same &= found.len == setup_n_containers(r->s.plan);
	pi_vec_free(&found);
	/* The impairments: section may have changed alone. */
	return same && pi_apply_impair_sync(r->s.b, r->s.plan, r->s.opts->state_root, true, NULL) == 0;
}

static int step_add(struct recon *r)
{
	struct setup *s = &r->s;
	int rc = 0;
	if (r->diff.n_nodes_added) {
		rc = pi_setup_pool(s, PI_PHASE_CREATE, pi_setup_create_one);
		if (rc == 0)
			rc = pi_setup_pool(s, PI_PHASE_START, pi_setup_start_one);
		s->res->containers = r->diff.n_nodes_added;
	}
	s->phase = PI_PHASE_WIRE;
	if (rc == 0)
		rc = pi_setup_wire(s);
	return rc;
}

/* The new nodes' daemons start only once the kept nodes were reconfigured:
 * a new router's first connect then finds its sessions configured at the
 * far end, instead of a refusal that would put it into BGP's error wait. */
static int step_start_daemons(struct recon *r)
{
	return r->diff.n_nodes_added ? pi_setup_daemons(&r->s) : 0;
}

static int step_reload(struct recon *r)
{
	struct setup *s = &r->s;
	s->phase = PI_PHASE_DAEMONS;
	int rc = pi_pool_run(s->plan->n_nodes, s->opts->parallel ? s->opts->parallel : 8, reload_one, NULL, r, NULL);
	if (rc == 0) {
		json_t *ops = pi_ops_load(s->opts->state_root, s->plan->lab_name, s->diag);
		rc = pi_apply_incidents_reapply(s->b, s->plan, s->opts->state_root, ops, NULL, s->diag);
		json_decref(ops);
	}
	if (rc == 0)
		rc = pi_apply_impair_sync(s->b, s->plan, s->opts->state_root, false, s->diag);
	return rc;
}

/* Waits for what the change touched: the sessions of new and reconfigured
 * nodes (at both ends) and the new nodes' resolvers; the rest ran as it did. */
static int step_converge(struct recon *r)
{
	const struct pi_plan *p = r->s.plan;
	for (uint32_t i = 0; i < p->n_nodes; i++)
		r->want[i] |= r->kept[i] && r->changed[i].len > 0;
	r->s.want = r->want;
	return pi_setup_converge(&r->s);
}

static void recon_free(struct recon *r)
{
	for (uint32_t i = 0; r->changed && i < r->s.plan->n_nodes; i++) {
		for (size_t k = 0; k < r->changed[i].len; k++)
			free(*(char **)pi_vec_at(&r->changed[i], k));
		pi_vec_free(&r->changed[i]);
	}
	free(r->changed);
	free(r->want);
	free(r->iface_want);
	free(r->kept);
	pi_plan_diff_free(&r->diff);
}

static int recon_init(struct recon *r)
{
	const struct pi_plan *p = r->s.plan;
	int rc = pi_plan_diff(r->pins, p, &r->diff);
	r->want = pi_xcalloc(p->n_nodes + 1, sizeof(bool));
	r->kept = pi_xcalloc(p->n_nodes + 1, sizeof(bool));
	r->iface_want = pi_xcalloc(p->n_ifaces + 1, sizeof(bool));
	r->changed = pi_xcalloc(p->n_nodes + 1, sizeof(struct pi_vec));
	for (uint32_t k = 0; rc == 0 && k < r->diff.n_nodes_added; k++)
		r->want[r->diff.nodes_added[k]] = true;
	for (uint32_t k = 0; rc == 0 && k < r->diff.n_nodes_kept; k++)
		r->kept[r->diff.nodes_kept[k]] = true;
	if (rc == 0)
		mark_ifaces(r);
	r->s.want = r->want;
	r->s.iface_want = r->iface_want;
	return rc;
}

int pi_apply_reconcile(struct pi_backend *b, const struct pi_plan_pins *pins, const struct pi_plan *plan,
		       const struct pi_apply_opts *opts, struct pi_apply_result *res, struct pi_diag *diag)
{
	/* In setup's phase order, so progress reads as setup's does. */
	static int (*const steps[])(struct recon *) = { step_write, step_remove, step_add, step_reload,
							step_start_daemons, step_converge };
	static const enum pi_phase phase[] = { PI_PHASE_RENDER, PI_PHASE_CREATE, PI_PHASE_CREATE, PI_PHASE_DAEMONS,
					       PI_PHASE_DAEMONS, PI_PHASE_CONVERGE };
	struct recon r = { .pins = pins };
	pi_setup_init(&r.s, b, plan, opts, res, diag);
	res->reconciled = true;
	double t0 = pi_monotonic();
	int rc = recon_init(&r);
	if (rc == 0)
		rc = check_running(&r);
	if (rc == 0 && unchanged(&r))
		res->already_up = true;
	if (rc == 0 && !res->already_up && b->ops->host_kernel) /* added pods need neighbour entries too */
		rc = pi_apply_host_neigh_raise(plan, NULL, opts->state_root, diag);
	for (size_t k = 0; rc == 0 && !res->already_up && k < PI_ARRAY_LEN(steps); k++) {
		double t = pi_monotonic();
		r.s.phase = phase[k];
		pi_setup_progress(&r.s, 0, 1, NULL);
		rc = steps[k](&r);
		res->phase_s[phase[k]] += pi_monotonic() - t;
		if (rc == 0 && pi_setup_cancelled(&r.s))
			rc = -ECANCELED;
	}
	res->kept = r.diff.n_nodes_kept;
	res->total_s = pi_monotonic() - t0;
	recon_free(&r);
	pi_setup_fini(&r.s);
	return rc;
}

int pi_apply_load_pins(const char *state_root, const char *lab, struct pi_plan_pins **out, struct pi_diag *diag)
{
	char dir[4096], path[4200], *text = NULL;
	size_t len = 0;
	pi_state_dir(state_root, lab, dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/plan.json", dir);
	*out = NULL;
	int rc = pi_read_file(path, &text, &len);
	if (rc == 0)
		rc = pi_plan_pins_load(text, len, out, diag);
	free(text);
	return rc;
}
