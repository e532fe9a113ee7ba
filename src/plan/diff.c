/*
 * diff: what changed between an old plan (its pins) and a new one, by
 * name: pods, nodes, links (added, removed, changed) and sessions. Pure;
 * setup applies it to a running lab, `setup --dry-run` prints it
 * (docs/plan.md, "Plan diff").
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "internal.h"

/* Growable arrays of the diff. */
static void push_u32(uint32_t **v, uint32_t *n, uint32_t x)
{
	if ((*n & (*n - 1)) == 0 || *n == 0) /* at 0, 1, 2, 4, ...: grow */
		*v = pi_xrealloc(*v, ((size_t)(*n ? *n * 2 : 1)) * sizeof(**v));
	(*v)[(*n)++] = x;
}

static void push_ptr(const void ***v, uint32_t *n, const void *x)
{
	if ((*n & (*n - 1)) == 0 || *n == 0)
		*v = pi_xrealloc(*v, ((size_t)(*n ? *n * 2 : 1)) * sizeof(**v));
	(*v)[(*n)++] = x;
}

/* One endpoint of a link as text: node, interface and addresses. */
static void endpoint(char *buf, size_t n, const char *node, const char *ifname, const struct pi_prefix *v4,
		     const struct pi_prefix *v6)
{
	char a[PI_PREFIX_STRLEN] = "-", b[PI_PREFIX_STRLEN] = "-";
	if (pi_prefix_is_set(v4))
		pi_prefix_fmt(v4, a);
	if (pi_prefix_is_set(v6))
		pi_prefix_fmt(v6, b);
	snprintf(buf, n, "%s/%s/%s/%s", node, ifname, a, b);
}

/* Whether old link ol and new link nl have the same subnets and endpoints
 * (as sets: the order of a LAN's members does not matter). */
static bool link_same(const struct pi_plan_pins *old, const struct pi_pin_link *ol, const struct pi_plan *np,
		      const struct pi_plan_link *nl)
{
	if (!pi_prefix_equal(&ol->v4, &nl->v4) || !pi_prefix_equal(&ol->v6, &nl->v6) || ol->n_ifaces != nl->n_ifaces)
		return false;
	struct pl_map m;
	struct pi_arena tmp = { 0 };
	pl_map_init(&m, ol->n_ifaces + 1);
	char buf[512];
	for (uint32_t k = 0; k < ol->n_ifaces; k++) {
		const struct pi_pin_iface *f = &old->ifaces[ol->ifaces[k]];
		endpoint(buf, sizeof(buf), old->nodes[f->node].name, f->name, &f->v4, &f->v6);
		pl_map_put(&m, pi_arena_strdup(&tmp, buf), 0);
	}
	bool same = true;
	for (uint32_t k = 0; k < nl->n_ifaces && same; k++) {
		const struct pi_plan_iface *f = &np->ifaces[nl->ifaces[k]];
		endpoint(buf, sizeof(buf), np->nodes[f->node].name, f->name, &f->v4, &f->v6);
		same = pl_map_get(&m, buf) != PI_NONE;
	}
	pl_map_free(&m);
	pi_arena_free(&tmp);
	return same;
}

static void diff_pods_nodes(const struct pi_plan_pins *old, const struct pi_plan *np, struct pi_plan_diff *d)
{
	struct pl_map m;
	pl_map_init(&m, np->n_pods + 1);
	for (uint32_t p = 0; p < np->n_pods; p++)
		pl_map_put(&m, np->pods[p].name, p);
	for (uint32_t p = 0; old && p < old->n_pods; p++)
		if (pl_map_get(&m, old->pods[p].name) == PI_NONE)
			push_ptr((const void ***)&d->pods_removed, &d->n_pods_removed, old->pods[p].name);
	pl_map_free(&m);
	pl_map_init(&m, (old ? old->n_pods : 0) + 1);
	for (uint32_t p = 0; old && p < old->n_pods; p++)
		pl_map_put(&m, old->pods[p].name, p);
	for (uint32_t p = 0; p < np->n_pods; p++)
		if (pl_map_get(&m, np->pods[p].name) == PI_NONE)
			push_u32(&d->pods_added, &d->n_pods_added, p);
	pl_map_free(&m);

	pl_map_init(&m, (old ? old->n_nodes : 0) + 1);
	for (uint32_t n = 0; old && n < old->n_nodes; n++)
		pl_map_put(&m, old->nodes[n].name, n);
	for (uint32_t n = 0; n < np->n_nodes; n++) {
		if (pl_map_get(&m, np->nodes[n].name) == PI_NONE)
			push_u32(&d->nodes_added, &d->n_nodes_added, n);
		else
			push_u32(&d->nodes_kept, &d->n_nodes_kept, n);
	}
	pl_map_free(&m);
	pl_map_init(&m, np->n_nodes + 1);
	for (uint32_t n = 0; n < np->n_nodes; n++)
		pl_map_put(&m, np->nodes[n].name, n);
	for (uint32_t n = 0; old && n < old->n_nodes; n++)
		if (pl_map_get(&m, old->nodes[n].name) == PI_NONE)
			push_ptr((const void ***)&d->nodes_removed, &d->n_nodes_removed, old->nodes[n].name);
	pl_map_free(&m);
}

static void diff_links(const struct pi_plan_pins *old, const struct pi_plan *np, struct pi_plan_diff *d)
{
	struct pl_map m;
	pl_map_init(&m, (old ? old->n_links : 0) + 1);
	for (uint32_t l = 0; old && l < old->n_links; l++)
		pl_map_put(&m, old->links[l].name, l);
	for (uint32_t l = 0; l < np->n_links; l++) {
		uint32_t o = pl_map_get(&m, np->links[l].name);
		if (o == PI_NONE)
			push_u32(&d->links_added, &d->n_links_added, l);
		else if (!link_same(old, &old->links[o], np, &np->links[l]))
			push_u32(&d->links_changed, &d->n_links_changed, l);
	}
	pl_map_free(&m);
	pl_map_init(&m, np->n_links + 1);
	for (uint32_t l = 0; l < np->n_links; l++)
		pl_map_put(&m, np->links[l].name, l);
	for (uint32_t l = 0; old && l < old->n_links; l++)
		if (pl_map_get(&m, old->links[l].name) == PI_NONE)
			push_ptr((const void ***)&d->links_removed, &d->n_links_removed, old->links[l].name);
	pl_map_free(&m);
}

/* Sessions are named per router pair: the key is "a b name". */
static void diff_sessions(const struct pi_plan_pins *old, const struct pi_plan *np, struct pi_plan_diff *d)
{
	struct pi_arena tmp = { 0 };
	struct pl_map m;
	pl_map_init(&m, (old ? old->n_sessions : 0) + 1);
	for (uint32_t s = 0; old && s < old->n_sessions; s++) {
		const struct pi_pin_session *o = &old->sessions[s];
		pl_map_put(&m, pi_arena_printf(&tmp, "%s %s %s", o->a, o->b, o->name), s);
	}
	for (uint32_t s = 0; np && s < np->n_sessions; s++) {
		const struct pi_plan_session *n = &np->sessions[s];
		char *k = pi_arena_printf(&tmp, "%s %s %s", np->nodes[n->a].name, np->nodes[n->b].name, n->name);
		if (pl_map_get(&m, k) == PI_NONE)
			push_u32(&d->sessions_added, &d->n_sessions_added, s);
	}
	pl_map_free(&m);
	pl_map_init(&m, np->n_sessions + 1);
	for (uint32_t s = 0; s < np->n_sessions; s++) {
		const struct pi_plan_session *n = &np->sessions[s];
		pl_map_put(&m, pi_arena_printf(&tmp, "%s %s %s", np->nodes[n->a].name, np->nodes[n->b].name, n->name), s);
	}
	for (uint32_t s = 0; old && s < old->n_sessions; s++) {
		const struct pi_pin_session *o = &old->sessions[s];
		if (pl_map_get(&m, pi_arena_printf(&tmp, "%s %s %s", o->a, o->b, o->name)) == PI_NONE)
			push_ptr((const void ***)&d->sessions_removed, &d->n_sessions_removed, o);
	}
	pl_map_free(&m);
	pi_arena_free(&tmp);
}

int pi_plan_diff(const struct pi_plan_pins *old, const struct pi_plan *new_plan, struct pi_plan_diff *out)
{
	memset(out, 0, sizeof(*out));
	out->plan = new_plan;
	diff_pods_nodes(old, new_plan, out);
	diff_links(old, new_plan, out);
	diff_sessions(old, new_plan, out);
	return 0;
}

void pi_plan_diff_free(struct pi_plan_diff *d)
{
	if (!d)
		return;
	free(d->nodes_added);
	free(d->nodes_removed);
	free(d->nodes_kept);
	free(d->links_added);
	free(d->links_removed);
	free(d->links_changed);
	free(d->sessions_added);
	free(d->sessions_removed);
	free(d->pods_added);
	free(d->pods_removed);
	memset(d, 0, sizeof(*d));
}

void pi_plan_diff_write_text(const struct pi_plan_diff *d, struct pi_buf *out)
{
	const struct pi_plan *p = d->plan;
	for (uint32_t i = 0; i < d->n_pods_removed; i++)
		pi_buf_printf(out, "- pod %s\n", d->pods_removed[i]);
	for (uint32_t i = 0; i < d->n_pods_added; i++)
		pi_buf_printf(out, "+ pod %s\n", p->pods[d->pods_added[i]].name);
	for (uint32_t i = 0; i < d->n_nodes_removed; i++)
		pi_buf_printf(out, "- node %s\n", d->nodes_removed[i]);
	for (uint32_t i = 0; i < d->n_nodes_added; i++)
		pi_buf_printf(out, "+ node %s\n", p->nodes[d->nodes_added[i]].name);
	for (uint32_t i = 0; i < d->n_links_removed; i++)
		pi_buf_printf(out, "- link %s\n", d->links_removed[i]);
	for (uint32_t i = 0; i < d->n_links_added; i++)
		pi_buf_printf(out, "+ link %s\n", p->links[d->links_added[i]].name);
	for (uint32_t i = 0; i < d->n_links_changed; i++)
		pi_buf_printf(out, "~ link %s\n", p->links[d->links_changed[i]].name);
	for (uint32_t i = 0; i < d->n_sessions_removed; i++)
		pi_buf_printf(out, "- session %s %s %s\n", d->sessions_removed[i]->name, d->sessions_removed[i]->a,
			      d->sessions_removed[i]->b);
	for (uint32_t i = 0; i < d->n_sessions_added; i++) {
		const struct pi_plan_session *s = &p->sessions[d->sessions_added[i]];
		pi_buf_printf(out, "+ session %s %s %s\n", s->name, p->nodes[s->a].name, p->nodes[s->b].name);
	}
	pi_buf_printf(out,
		      "pods +%u -%u, nodes +%u -%u (%u kept), links +%u -%u ~%u, sessions +%u -%u\n",
		      d->n_pods_added, d->n_pods_removed, d->n_nodes_added, d->n_nodes_removed, d->n_nodes_kept,
		      d->n_links_added, d->n_links_removed, d->n_links_changed, d->n_sessions_added,
		      d->n_sessions_removed);
}

/* ---- json ---- */

typedef const char *(*name_fn)(const struct pi_plan *p, uint32_t i);
static const char *pod_name(const struct pi_plan *p, uint32_t i) { return p->pods[i].name; }
static const char *node_name(const struct pi_plan *p, uint32_t i) { return p->nodes[i].name; }
static const char *link_name(const struct pi_plan *p, uint32_t i) { return p->links[i].name; }

static json_t *jnames(const struct pi_plan *p, const uint32_t *v, uint32_t n, name_fn f)
{
	json_t *a = json_array();
	for (uint32_t i = 0; i < n; i++)
		json_array_append_new(a, json_string(f(p, v[i])));
	return a;
}

static json_t *jstrs(const char *const *v, uint32_t n)
{
	json_t *a = json_array();
	for (uint32_t i = 0; i < n; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

static json_t *jsess(const char *name, const char *a, const char *b)
{
	json_t *o = json_object();
	json_object_set_new(o, "name", json_string(name));
	json_object_set_new(o, "a", json_string(a));
	json_object_set_new(o, "b", json_string(b));
	return o;
}

static json_t *jsessions(const struct pi_plan_diff *d)
{
	const struct pi_plan *p = d->plan;
	json_t *o = json_object(), *add = json_array(), *rem = json_array();
	for (uint32_t i = 0; i < d->n_sessions_added; i++) {
		const struct pi_plan_session *s = &p->sessions[d->sessions_added[i]];
		json_array_append_new(add, jsess(s->name, p->nodes[s->a].name, p->nodes[s->b].name));
	}
	for (uint32_t i = 0; i < d->n_sessions_removed; i++)
		json_array_append_new(rem, jsess(d->sessions_removed[i]->name, d->sessions_removed[i]->a,
						 d->sessions_removed[i]->b));
	json_object_set_new(o, "added", add);
	json_object_set_new(o, "removed", rem);
	return o;
}

int pi_plan_diff_write_json(const struct pi_plan_diff *d, struct pi_buf *out)
{
	const struct pi_plan *p = d->plan;
	json_t *root = json_object(), *o;
	o = json_object();
	json_object_set_new(o, "added", jnames(p, d->pods_added, d->n_pods_added, pod_name));
	json_object_set_new(o, "removed", jstrs(d->pods_removed, d->n_pods_removed));
	json_object_set_new(root, "pods", o);
	o = json_object();
	json_object_set_new(o, "added", jnames(p, d->nodes_added, d->n_nodes_added, node_name));
	json_object_set_new(o, "removed", jstrs(d->nodes_removed, d->n_nodes_removed));
	json_object_set_new(o, "kept", json_integer(d->n_nodes_kept));
	json_object_set_new(root, "nodes", o);
	o = json_object();
	json_object_set_new(o, "added", jnames(p, d->links_added, d->n_links_added, link_name));
	json_object_set_new(o, "removed", jstrs(d->links_removed, d->n_links_removed));
	json_object_set_new(o, "changed", jnames(p, d->links_changed, d->n_links_changed, link_name));
	json_object_set_new(root, "links", o);
	json_object_set_new(root, "sessions", jsessions(d));
	return pl_json_write(root, out);
}
