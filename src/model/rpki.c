/*
 * rpki: the lab's `rpki:` section (docs/lab-format.md, "rpki"): which pods
 * validate origins, where the cache lives, and the mistakes an exercise
 * wants in the ROAs. Pod names are checked by the planner, which knows the
 * generated ones (transit1, ...); here only the shape.
 */
#include <string.h>
#include "model.h"

static const char *const rpki_keys[] = { "rov", "cache", "mistakes", NULL };
static const char *const mistake_keys[] = { "pod", "kind", NULL };
static const char *const mistake_names[] = { "wrong-origin", "too-short-maxlen", "missing", NULL };

const char *pi_rpki_mistake_name(enum pi_rpki_mistake_kind k)
{
	return k <= PI_RPKI_MISSING ? mistake_names[k] : "?";
}

static void parse_rov(struct pi_ld *ld, const struct pi_ynode *n, struct pi_lab_rpki *r)
{
	if (n->kind == PI_Y_SCALAR && strcmp(n->str, "all") == 0) {
		r->rov_all = true;
		return;
	}
	if (n->kind != PI_Y_SEQ) {
		pi_ld_err(ld, n->pos, "write rov: all, or rov: [transit1, transit2]", "rov must be 'all' or a list of pods");
		return;
	}
	size_t m = pi_y_cap(ld, n, PI_LAB_MAX_PODS, "rov");
	r->rov = pi_arena_alloc(ld->arena, (m + 1) * sizeof(*r->rov));
	r->rov_pos = pi_arena_alloc(ld->arena, (m + 1) * sizeof(*r->rov_pos));
	for (size_t i = 0; i < m; i++) {
		const char *s;
		if (!pi_y_str(ld, n->kids[i], "a pod name", &s))
			continue;
		for (size_t j = 0; j < r->n_rov; j++)
			if (strcmp(r->rov[j], s) == 0) {
				pi_ld_err(ld, n->kids[i]->pos, "name each pod once", "pod '%s' listed twice in rov",
					  pi_ld_val(ld, s));
				s = NULL;
				break;
			}
		if (!s)
			continue;
		r->rov_pos[r->n_rov] = n->kids[i]->pos;
		r->rov[r->n_rov++] = s;
	}
}

static void parse_mistakes(struct pi_ld *ld, const struct pi_ynode *n, struct pi_lab_rpki *r)
{
	if (!pi_y_is(ld, n, PI_Y_SEQ, "mistakes"))
		return;
	size_t m = pi_y_cap(ld, n, PI_LAB_MAX_PODS, "mistakes");
	r->mistakes = pi_arena_alloc(ld->arena, (m + 1) * sizeof(*r->mistakes));
	for (size_t i = 0; i < m; i++) {
		const struct pi_ynode *e = n->kids[i];
		if (!pi_y_is(ld, e, PI_Y_MAP, "a mistakes entry"))
			continue;
		pi_y_keys(ld, e, mistake_keys, "a mistakes entry");
		const struct pi_ynode *pod = pi_y_get(e, "pod"), *kind = pi_y_get(e, "kind");
		struct pi_lab_rpki_mistake mk = { .pos = e->pos };
		unsigned k;
		if (!pod || !kind) {
			pi_ld_err(ld, e->pos, "e.g. {pod: content1, kind: wrong-origin}", "a mistake needs pod and kind");
			continue;
		}
		if (!pi_y_str(ld, pod, "pod", &mk.pod) || !pi_y_enum(ld, kind, "kind", mistake_names, &k))
			continue;
		mk.kind = (enum pi_rpki_mistake_kind)k;
		r->mistakes[r->n_mistakes++] = mk;
	}
}

void pi_lab_parse_rpki(struct pi_ld *ld, const struct pi_ynode *n, struct pi_lab *lab)
{
	struct pi_lab_rpki *r = &lab->rpki;
	r->pos = n->pos;
	r->enabled = true;
	if (n->kind == PI_Y_NULL)
		return; /* `rpki:` alone: ROAs and a cache, no ROV */
	if (!pi_y_is(ld, n, PI_Y_MAP, "rpki"))
		return;
	pi_y_keys(ld, n, rpki_keys, "rpki");
	const struct pi_ynode *k;
	if ((k = pi_y_get(n, "rov")))
		parse_rov(ld, k, r);
	if ((k = pi_y_get(n, "cache")) && pi_y_str(ld, k, "cache", &r->cache))
		r->cache_pos = k->pos;
	if ((k = pi_y_get(n, "mistakes")))
		parse_mistakes(ld, k, r);
}
