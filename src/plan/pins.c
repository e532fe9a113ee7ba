/*
 * pins: an earlier plan read back from its plan.json (pi_plan_write_json),
 * so a new plan of the changed lab keeps what survives (docs/plan.md,
 * "Stable plans and pins"). Only what the planner and the diff need is
 * kept: pods, nodes, interfaces, links, relationships and sessions.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "internal.h"

struct pctx {
	struct pi_plan_pins *pins;
	struct pi_diag *diag;
	const char *what; /* the element being read, for messages */
	bool bad;
};

/* "plan.json: <what> '<arg>'" */
static void bad(struct pctx *p, const char *what, const char *arg)
{
	if (!p->bad)
		pi_diag_add(p->diag, (struct pi_pos){ "plan.json", 0, 0 },
			    "remove the lab's plan.json (setup then plans from scratch)", "plan.json: %s '%s'", what, arg);
	p->bad = true;
}

static const char *str(struct pctx *p, json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	if (!s) {
		bad(p, "an entry lacks the string", key);
		return "";
	}
	return pi_arena_strdup(&p->pins->arena, s);
}

static struct pi_prefix pfx(struct pctx *p, json_t *o, const char *key)
{
	struct pi_prefix r = { 0 };
	json_t *v = json_object_get(o, key);
	if (!v || json_is_null(v))
		return r;
	if (!json_is_string(v) || pi_prefix_parse(json_string_value(v), &r)) {
		bad(p, "not a prefix:", key);
		memset(&r, 0, sizeof(r));
	}
	return r;
}

/* An index below n, or PI_NONE for null/absent. */
static uint32_t idx(struct pctx *p, json_t *o, const char *key, uint32_t n)
{
	json_t *v = json_object_get(o, key);
	if (!v || json_is_null(v))
		return PI_NONE;
	if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) >= n) {
		bad(p, "not a valid index:", key);
		return PI_NONE;
	}
	return (uint32_t)json_integer_value(v);
}

static json_t *arr(struct pctx *p, json_t *root, const char *key)
{
	json_t *a = json_object_get(root, key);
	if (!json_is_array(a)) {
		bad(p, "missing or not a list:", key);
		return NULL;
	}
	return a;
}

static void load_pods(struct pctx *p, json_t *a)
{
	struct pi_plan_pins *pins = p->pins;
	pins->n_pods = (uint32_t)json_array_size(a);
	pins->pods = pi_arena_alloc(&pins->arena, (pins->n_pods + 1) * sizeof(*pins->pods));
	for (uint32_t i = 0; i < pins->n_pods; i++) {
		json_t *o = json_array_get(a, i);
		struct pi_pin_pod *pp = &pins->pods[i];
		pp->name = str(p, o, "name");
		pp->blueprint = str(p, o, "blueprint");
		json_int_t asn = json_integer_value(json_object_get(o, "asn"));
		pp->asn = asn > 0 && asn <= UINT32_MAX ? (uint32_t)asn : 0;
		pp->v4 = pfx(p, o, "v4");
		pp->v6 = pfx(p, o, "v6");
		pp->cgnat_pool = pfx(p, o, "cgnat_pool");
	}
}

/* Nodes and their interfaces (which plan.json nests, with global indexes). */
static void load_nodes(struct pctx *p, json_t *a)
{
	struct pi_plan_pins *pins = p->pins;
	pins->n_nodes = (uint32_t)json_array_size(a);
	pins->nodes = pi_arena_alloc(&pins->arena, (pins->n_nodes + 1) * sizeof(*pins->nodes));
	size_t n_if = 0;
	for (uint32_t i = 0; i < pins->n_nodes; i++)
		n_if += json_array_size(json_object_get(json_array_get(a, i), "ifaces"));
	pins->n_ifaces = (uint32_t)n_if;
	pins->ifaces = pi_arena_alloc(&pins->arena, (n_if + 1) * sizeof(*pins->ifaces));
	uint32_t f = 0;
	for (uint32_t i = 0; i < pins->n_nodes; i++) {
		json_t *o = json_array_get(a, i);
		struct pi_pin_node *nd = &pins->nodes[i];
		nd->name = str(p, o, "name");
		nd->pod = idx(p, o, "pod", pins->n_pods);
		json_t *ifs = json_object_get(o, "ifaces");
		nd->first_iface = f;
		nd->n_ifaces = (uint32_t)json_array_size(ifs);
		for (uint32_t k = 0; k < nd->n_ifaces; k++, f++) {
			json_t *fo = json_array_get(ifs, k);
			struct pi_pin_iface *pf = &pins->ifaces[f];
			if (idx(p, fo, "index", pins->n_ifaces) != f)
				bad(p, "interfaces out of order on node", nd->name);
			pf->name = str(p, fo, "name");
			pf->node = i;
			pf->link = json_integer_value(json_object_get(fo, "link")) >= 0
					   ? (uint32_t)json_integer_value(json_object_get(fo, "link"))
					   : PI_NONE;
			pf->v4 = pfx(p, fo, "v4");
			pf->v6 = pfx(p, fo, "v6");
		}
	}
}

static void load_links(struct pctx *p, json_t *a)
{
	struct pi_plan_pins *pins = p->pins;
	pins->n_links = (uint32_t)json_array_size(a);
	pins->links = pi_arena_alloc(&pins->arena, (pins->n_links + 1) * sizeof(*pins->links));
	for (uint32_t i = 0; i < pins->n_links; i++) {
		json_t *o = json_array_get(a, i);
		struct pi_pin_link *l = &pins->links[i];
		l->name = str(p, o, "name");
		l->v4 = pfx(p, o, "v4");
		l->v6 = pfx(p, o, "v6");
		json_t *ifs = json_object_get(o, "ifaces");
		l->n_ifaces = (uint32_t)json_array_size(ifs);
		l->ifaces = pi_arena_alloc(&pins->arena, (l->n_ifaces + 1) * sizeof(uint32_t));
		for (uint32_t k = 0; k < l->n_ifaces; k++) {
			json_int_t v = json_integer_value(json_array_get(ifs, k));
			if (v < 0 || v >= pins->n_ifaces)
				bad(p, "unknown interface on link", l->name);
			l->ifaces[k] = v >= 0 && v < pins->n_ifaces ? (uint32_t)v : 0;
		}
	}
	for (uint32_t f = 0; f < pins->n_ifaces; f++)
		if (pins->ifaces[f].link >= pins->n_links) {
			bad(p, "unknown link of interface", pins->ifaces[f].name);
			pins->ifaces[f].link = PI_NONE;
		}
}

static void load_rels(struct pctx *p, json_t *a)
{
	struct pi_plan_pins *pins = p->pins;
	pins->n_rels = (uint32_t)json_array_size(a);
	pins->rels = pi_arena_alloc(&pins->arena, (pins->n_rels + 1) * sizeof(*pins->rels));
	for (uint32_t i = 0; i < pins->n_rels; i++) {
		json_t *o = json_array_get(a, i);
		struct pi_pin_rel *r = &pins->rels[i];
		r->a = str(p, o, "a");
		r->b = str(p, o, "b");
		const char *k = str(p, o, "rel");
		r->rel = strcmp(k, "customer") == 0 ? PI_REL_CUSTOMER : strcmp(k, "peer") == 0 ? PI_REL_PEER : PI_REL_RS;
		r->from_lab = json_is_true(json_object_get(o, "from_lab"));
		/* Older plan.json files lack these: the relationship then keeps only its pods. */
		r->a_iface = idx(p, o, "a_iface", pins->n_ifaces);
		r->b_iface = idx(p, o, "b_iface", pins->n_ifaces);
	}
}

static void load_sessions(struct pctx *p, json_t *a)
{
	struct pi_plan_pins *pins = p->pins;
	pins->n_sessions = (uint32_t)json_array_size(a);
	pins->sessions = pi_arena_alloc(&pins->arena, (pins->n_sessions + 1) * sizeof(*pins->sessions));
	for (uint32_t i = 0; i < pins->n_sessions; i++) {
		json_t *o = json_array_get(a, i);
		pins->sessions[i] = (struct pi_pin_session){ str(p, o, "name"), str(p, o, "a"), str(p, o, "b") };
	}
}

static void load_root(struct pctx *p, json_t *root)
{
	json_t *seed = json_object_get(root, "seed");
	if (json_is_integer(seed))
		p->pins->seed = (uint64_t)json_integer_value(seed);
	else if (json_is_string(seed))
		p->pins->seed = strtoull(json_string_value(seed), NULL, 10);
	else
		bad(p, "missing:", "seed");
	p->pins->v4 = pfx(p, root, "v4");
	p->pins->v6 = pfx(p, root, "v6");
	json_t *a;
	if ((a = arr(p, root, "pods")))
		load_pods(p, a);
	if (!p->bad && (a = arr(p, root, "nodes")))
		load_nodes(p, a);
	if (!p->bad && (a = arr(p, root, "links")))
		load_links(p, a);
	if (!p->bad && (a = arr(p, root, "relationships")))
		load_rels(p, a);
	if (!p->bad && (a = arr(p, root, "sessions")))
		load_sessions(p, a);
}

int pi_plan_pins_load(const char *json, size_t len, struct pi_plan_pins **out, struct pi_diag *diag)
{
	*out = NULL;
	json_error_t err;
	json_t *root = json_loadb(json, len, 0, &err);
	if (!root || !json_is_object(root)) {
		pi_diag_add(diag, (struct pi_pos){ "plan.json", root ? 1 : (unsigned)err.line, root ? 1 : (unsigned)err.column },
			    "remove the lab's plan.json (setup then plans from scratch)", "plan.json is not a plan: %s",
			    root ? "not a JSON object" : err.text);
		json_decref(root);
		return -EINVAL;
	}
	struct pctx p = { .pins = pi_xcalloc(1, sizeof(struct pi_plan_pins)), .diag = diag };
	load_root(&p, root);
	json_decref(root);
	if (p.bad) {
		pi_plan_pins_free(p.pins);
		return -EINVAL;
	}
	*out = p.pins;
	return 0;
}

void pi_plan_pins_free(struct pi_plan_pins *pins)
{
	if (!pins)
		return;
	pi_arena_free(&pins->arena);
	free(pins);
}
