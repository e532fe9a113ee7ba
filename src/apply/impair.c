/*
 * impair: shaping links (link set / reset), the lab file's default
 * impairments at setup, and reading what is in force.
 *
 * A link is shaped where packets leave: a qdisc on an egress. A p2p link has
 * two, its ends ("a" and "b" in plan order: dir a shapes what end a sends).
 * A LAN port has two as well: the node's interface (what the node sends,
 * "a") and the port's bridge side in the lab netns (what the LAN sends to the
 * node, "b"). Changes are recorded in ops.json per egress ("node:iface", or
 * "node:iface@lan" for a bridge side) over the lab file's defaults, and put
 * back when a node starts again. Nothing is half-applied: a failure puts back
 * what the egresses had.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "setup_int.h"
#include "pocketinternet/log.h"

#define EG_MAX 512

struct eg {
	uint32_t iface;
	bool bridge; /* the bridge side of a LAN port */
};

static size_t egresses(const struct pi_plan *plan, const struct pi_link_ref *ref, int dir, struct eg *out)
{
	const struct pi_plan_link *lk = &plan->links[ref->link];
	size_t n = 0;
	for (uint32_t k = 0; k < lk->n_ifaces && n + 2 <= EG_MAX; k++) {
		uint32_t f = lk->ifaces[k];
		if (ref->iface != PI_NONE && f != ref->iface)
			continue;
		if (lk->kind == PI_LINK_P2P) {
			if (dir == 0 || dir == (int)k + 1)
				out[n++] = (struct eg){ f, false };
			continue;
		}
		if (dir != 2)
			out[n++] = (struct eg){ f, false };
		if (dir != 1)
			out[n++] = (struct eg){ f, true };
	}
	return n;
}

static void eg_label(const struct pi_plan *plan, const struct eg *e, char *buf, size_t len)
{
	char l[300];
	pi_apply_iface_label(plan, e->iface, l, sizeof(l));
	snprintf(buf, len, "%s%s", l, e->bridge ? "@lan" : "");
}

/* Opens the netns holding egress e (its node's, or the lab's) and names the
 * interface. -ESRCH when its node is stopped. */
static int eg_open(struct pi_backend *b, const struct pi_plan *plan, const struct eg *e, struct pi_nl **nl,
		   char ifname[PI_IFNAMSIZ], struct pi_diag *diag)
{
	int pid, rc = pi_apply_node_pid(b, plan, plan->ifaces[e->iface].node, &pid, diag);
	if (rc)
		return rc;
	if (e->bridge) {
		char ns[128];
		pi_lab_netns_name(plan->lab_name, ns, sizeof(ns));
		pi_apply_port_name(plan, e->iface, ifname);
		return pi_nl_open_netns_name(ns, nl);
	}
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/ns/net", pid);
	snprintf(ifname, PI_IFNAMSIZ, "%s", plan->ifaces[e->iface].name);
	return pi_nl_open_netns_path(path, nl);
}

static int eg_apply(struct pi_backend *b, const struct pi_plan *plan, const struct eg *e,
		    const struct pi_impair *imp, struct pi_diag *diag)
{
	struct pi_nl *nl = NULL;
	char ifname[PI_IFNAMSIZ], label[320];
	int rc = eg_open(b, plan, e, &nl, ifname, diag);
	if (!rc && (rc = pi_nl_qdisc_apply(nl, ifname, imp))) {
		eg_label(plan, e, label, sizeof(label));
		pi_diag_add(diag, (struct pi_pos){ 0 }, NULL, "shaping %s: %s", label, pi_nl_strerror(nl));
	}
	pi_nl_close(nl);
	return rc;
}

static int eg_get(struct pi_backend *b, const struct pi_plan *plan, const struct eg *e, struct pi_impair *imp)
{
	struct pi_nl *nl = NULL;
	char ifname[PI_IFNAMSIZ], kind[16];
	struct pi_diag quiet;
	pi_diag_init(&quiet);
	memset(imp, 0, sizeof(*imp));
	int rc = eg_open(b, plan, e, &nl, ifname, &quiet);
	if (!rc)
		rc = pi_nl_qdisc_get(nl, ifname, imp, kind);
	pi_nl_close(nl);
	pi_diag_free(&quiet);
	return rc;
}

/* A request that needs netem on a kernel without it: refused, nothing set. */
static int netem_check(const struct pi_impair *imp, struct pi_diag *diag)
{
	char why[256];
	if (!pi_impair_needs_netem(imp) || pi_nl_netem_available(why, sizeof(why)))
		return 0;
	pi_diag_add(diag, (struct pi_pos){ 0 }, why,
		    "delay, jitter, loss, duplication, corruption and reordering need the netem qdisc "
		    "(kernel module sch_netem), which this kernel does not offer; nothing was changed "
		    "(a rate limit alone works without it)");
	return -EOPNOTSUPP;
}

/* Applies imp on every egress (none on a stopped node: recorded only); on a
 * failure puts back what the others had. */
static int apply_all(struct pi_backend *b, const struct pi_plan *plan, const struct eg *eg, size_t n,
		     const struct pi_impair *imp, struct pi_diag *diag)
{
	struct pi_impair *before = pi_xcalloc(n + 1, sizeof(*before));
	bool *live = pi_xcalloc(n + 1, sizeof(bool));
	int rc = 0;
	size_t done = 0;
	for (size_t k = 0; k < n; k++)
		live[k] = eg_get(b, plan, &eg[k], &before[k]) == 0;
	for (; done < n && rc == 0; done++)
		if (live[done])
			rc = eg_apply(b, plan, &eg[done], imp, diag);
	if (rc) {
		for (size_t k = 0; k + 1 < done; k++)
			if (live[k])
				eg_apply(b, plan, &eg[k], &before[k], diag);
		pi_diag_add(diag, (struct pi_pos){ 0 }, NULL, "link %s is shaped as it was before",
			    plan->links[plan->ifaces[eg[0].iface].link].name);
	}
	free(before);
	free(live);
	return rc;
}

static void record(json_t *ops, const struct pi_plan *plan, uint32_t link, const struct eg *eg, size_t n,
		   const struct pi_impair *imp)
{
	json_t *l = pi_ops_link(ops, plan->links[link].name, true);
	json_t *m = json_object_get(l, "impair");
	if (!json_is_object(m)) {
		m = json_object();
		json_object_set_new(l, "impair", m);
	}
	for (size_t k = 0; k < n; k++) {
		char label[320], text[PI_IMPAIR_FMT_MAX];
		eg_label(plan, &eg[k], label, sizeof(label));
		if (imp)
			json_object_set_new(m, label, json_string(pi_impair_format(imp, text, sizeof(text))));
		else
			json_object_del(m, label);
	}
	pi_ops_link_tidy(ops, plan->links[link].name);
}

int pi_apply_link_shape(struct pi_backend *b, const struct pi_plan *plan, const char *state_root,
			const struct pi_link_ref *ref, const struct pi_impair *imp, int dir, struct pi_diag *diag)
{
	struct eg eg[EG_MAX];
	const struct pi_impair *want = imp ? imp : &plan->links[ref->link].impair;
	size_t n = egresses(plan, ref, imp ? dir : 0, eg);
	char err[PI_IMPAIR_ERR_MAX];
	if (pi_impair_check(want, err, sizeof(err))) {
		pi_diag_add(diag, (struct pi_pos){ 0 }, NULL, "%s", err);
		return -EINVAL;
	}
	int rc = netem_check(want, diag);
	if (rc == 0)
		rc = apply_all(b, plan, eg, n, want, diag);
	if (rc)
		return rc;
	char text[PI_IMPAIR_FMT_MAX];
	pi_log_info("link set", "%s %s", plan->links[ref->link].name, pi_impair_format(want, text, sizeof(text)));
	json_t *ops = pi_ops_load(state_root, plan->lab_name, diag);
	record(ops, plan, ref->link, eg, n, imp);
	rc = pi_ops_save(state_root, plan->lab_name, ops, diag);
	json_decref(ops);
	return rc;
}

void pi_apply_end_impair(struct pi_nl *nl, const char *ifname, struct pi_link_end *e)
{
	struct pi_impair imp;
	e->qdisc[0] = e->impair[0] = '\0';
	if (pi_nl_qdisc_get(nl, ifname, &imp, e->qdisc) == 0 && !pi_impair_is_none(&imp))
		pi_impair_format(&imp, e->impair, sizeof(e->impair));
}

/* ---- the lab file's impairments, at setup and node start ---- */

int pi_setup_impair_preflight(const struct pi_plan *plan, struct pi_diag *diag)
{
	for (uint32_t l = 0; l < plan->n_links; l++)
		if (pi_impair_needs_netem(&plan->links[l].impair)) {
			int rc = netem_check(&plan->links[l].impair, diag);
			if (rc) {
				pi_diag_add(diag, (struct pi_pos){ plan->lab_file, 0, 0 },
					    "remove delay, jitter, loss, duplicate, corrupt and reorder from the lab's "
					    "impairments: (rate works everywhere)",
					    "the lab's impairments need netem for link %s", plan->links[l].name);
				return rc;
			}
		}
	return 0;
}

/* Both egresses of a wired iface with its link's default impairment. */
static int setup_impair_iface(struct setup *s, struct pi_nl *lab, uint32_t f)
{
	const struct pi_plan *p = s->plan;
	const struct pi_plan_iface *x = &p->ifaces[f];
	const struct pi_plan_link *lk = &p->links[x->link];
	struct pi_nl *nl = NULL;
	int rc = pi_nl_open_netns_fd(s->rt[x->node].nsfd, &nl);
	if (!rc && (rc = pi_nl_qdisc_apply(nl, x->name, &lk->impair)))
		pi_setup_nl_fail(s, nl, x->name, rc);
	pi_nl_close(nl);
	if (!rc && lk->kind == PI_LINK_LAN) {
		char port[PI_IFNAMSIZ];
		pi_apply_port_name(p, f, port);
		if ((rc = pi_nl_qdisc_apply(lab, port, &lk->impair)))
			pi_setup_nl_fail(s, lab, port, rc);
	}
	return rc;
}

int pi_setup_impair(struct setup *s)
{
	const struct pi_plan *p = s->plan;
	struct pi_nl *lab = NULL;
	int rc = 0;
	for (uint32_t f = 0; f < p->n_ifaces && rc == 0; f++) {
		if (pi_impair_is_none(&p->links[p->ifaces[f].link].impair) || !pi_setup_iface_wired(s, f))
			continue;
		if (!lab) {
			char ns[128];
			pi_lab_netns_name(p->lab_name, ns, sizeof(ns));
			if ((rc = pi_nl_open_netns_name(ns, &lab)))
				break;
		}
		rc = setup_impair_iface(s, lab, f);
	}
	pi_nl_close(lab);
	return rc;
}

/* ---- after a node starts: what link set recorded ---- */

static int eg_of_label(const struct pi_plan *plan, uint32_t link, const char *label, struct eg *e)
{
	const struct pi_plan_link *lk = &plan->links[link];
	for (uint32_t k = 0; k < lk->n_ifaces; k++)
		for (int br = 0; br < 2; br++) {
			char l[320];
			struct eg c = { lk->ifaces[k], br == 1 };
			eg_label(plan, &c, l, sizeof(l));
			if (strcmp(l, label) == 0) {
				*e = c;
				return 0;
			}
		}
	return -ENOENT;
}

/* "rate 5Mbit delay 20ms" back into an impairment (pi_impair_format's text). */
static int impair_parse(const char *text, struct pi_impair *imp)
{
	char buf[PI_IMPAIR_FMT_MAX], *save = NULL;
	memset(imp, 0, sizeof(*imp));
	snprintf(buf, sizeof(buf), "%s", text);
	for (char *k = strtok_r(buf, " ", &save); k; k = strtok_r(NULL, " ", &save)) {
		char *v = strtok_r(NULL, " ", &save);
		if (!v || pi_impair_set(imp, k, v, NULL, 0))
			return -EINVAL;
	}
	return 0;
}

int pi_apply_impair_reapply(struct pi_backend *b, const struct pi_plan *plan, json_t *ops, uint32_t node,
			    struct pi_diag *diag)
{
	const struct pi_plan_node *n = &plan->nodes[node];
	int rc = 0;
	for (uint32_t i = 0; i < n->n_ifaces && rc == 0; i++) {
		uint32_t link = plan->ifaces[n->first_iface + i].link;
		json_t *m = json_object_get(pi_ops_link(ops, plan->links[link].name, false), "impair");
		const char *label;
		json_t *v;
		json_object_foreach(m, label, v) {
			struct eg e;
			struct pi_impair imp;
			if (eg_of_label(plan, link, label, &e) || impair_parse(json_string_value(v), &imp))
				continue;
			if (plan->links[link].kind == PI_LINK_LAN && plan->ifaces[e.iface].node != node)
				continue; /* other ports of a LAN were not remade */
			if ((rc = eg_apply(b, plan, &e, &imp, diag)))
				break;
		}
	}
	return rc;
}

/* ---- reconcile: every egress as the lab file and link set say ---- */

/* What egress e should have: what link set recorded for it, else the lab
 * file's default for its link. */
static void wanted(const struct pi_plan *plan, json_t *ops, const struct eg *e, struct pi_impair *out)
{
	const struct pi_plan_link *lk = &plan->links[plan->ifaces[e->iface].link];
	*out = lk->impair;
	char label[320];
	eg_label(plan, e, label, sizeof(label));
	json_t *v = json_object_get(json_object_get(pi_ops_link(ops, lk->name, false), "impair"), label);
	if (json_is_string(v))
		impair_parse(json_string_value(v), out);
}

int pi_apply_impair_sync(struct pi_backend *b, const struct pi_plan *plan, const char *state_root, bool check,
			 struct pi_diag *diag)
{
	json_t *ops = pi_ops_load(state_root, plan->lab_name, diag);
	int rc = 0;
	for (uint32_t f = 0; f < plan->n_ifaces && rc == 0; f++) {
		bool lan = plan->links[plan->ifaces[f].link].kind == PI_LINK_LAN;
		for (int br = 0; br <= (lan ? 1 : 0) && rc == 0; br++) {
			struct eg e = { f, br == 1 };
			struct pi_impair want, have;
			wanted(plan, ops, &e, &want);
			if (eg_get(b, plan, &e, &have) != 0 || pi_impair_equal(&want, &have))
				continue; /* a stopped node, or as it should be */
			if (check)
				rc = 1;
			else if ((rc = netem_check(&want, diag)) == 0)
				rc = eg_apply(b, plan, &e, &want, diag);
		}
	}
	json_decref(ops);
	return rc;
}
