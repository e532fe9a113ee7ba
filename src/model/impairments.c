/*
 * model: the lab's `impairments:` section, link defaults by kind:
 *
 *   impairments:
 *     - {match: {relationship: peer, tier: transit}, delay: 20ms}
 *     - {match: {scope: subscriber}, rate: 5mbit}
 *     - {match: {link: transit1-border1--transit2-border1}, loss: 1%}
 *
 * Each rule is a match (every key given must hold) and the impairment
 * (pi_impair_set's keys and units). The planner applies them: the first
 * rule matching a link wins. Names in a match (pod, link) are checked
 * there, against the plan, where generated names exist.
 */
#include <string.h>
#include "model.h"

static const char *const rule_keys[] = { "match", "rate", "delay", "jitter", "loss", "duplicate", "corrupt",
					 "reorder", NULL };
static const char *const match_keys[] = { "scope", "relationship", "tier", "pod", "link", NULL };
/* enum pi_lab_scope order, from PI_LAB_SCOPE_INTERNAL */
static const char *const scope_words[] = { "internal", "external", "ixp", "subscriber", NULL };
/* enum pi_lab_match_rel order, from PI_LAB_MATCH_REL_CUSTOMER */
static const char *const rel_words[] = { "customer", "peer", "rs", NULL };
static const char *const tier_words[] = { "transit", "stub", "ixp", NULL }; /* enum pi_tier order */

static void parse_match(struct pi_ld *ld, const struct pi_ynode *m, struct pi_lab_impair_rule *r)
{
	const struct pi_ynode *v;
	unsigned i;

	if (!pi_y_is(ld, m, PI_Y_MAP, "impairments match"))
		return;
	pi_y_keys(ld, m, match_keys, "an impairments match");
	if ((v = pi_y_get(m, "scope")) && pi_y_enum(ld, v, "match scope", scope_words, &i))
		r->scope = (enum pi_lab_scope)(i + PI_LAB_SCOPE_INTERNAL);
	if ((v = pi_y_get(m, "relationship")) && pi_y_enum(ld, v, "match relationship", rel_words, &i))
		r->rel = (enum pi_lab_match_rel)(i + PI_LAB_MATCH_REL_CUSTOMER);
	if ((v = pi_y_get(m, "tier")) && pi_y_enum(ld, v, "match tier", tier_words, &i))
		r->tier = (int)i;
	if ((v = pi_y_get(m, "pod")) && pi_y_str(ld, v, "match pod", &r->pod)) {
		if (!pi_y_name_ok(r->pod, PI_LAB_NAME_MAX + 8, true))
			pi_ld_err(ld, v->pos, "write a pod's name as `pocketinternet plan` shows it, e.g. transit1",
				  "'%s' is not a pod name", pi_ld_val(ld, r->pod));
	}
	if ((v = pi_y_get(m, "link")) && pi_y_str(ld, v, "match link", &r->link) && !r->link[0])
		pi_ld_err(ld, v->pos, "write a link's name as `pocketinternet plan` shows it, e.g. a-border1--b-border1",
			  "empty link name");
	/* A relationship implies where the link is: say so when both
	 * are given and cannot hold together. */
	if (r->rel != PI_LAB_MATCH_REL_ANY && r->scope != PI_LAB_SCOPE_ANY &&
	    r->scope != (r->rel == PI_LAB_MATCH_REL_RS ? PI_LAB_SCOPE_IXP : PI_LAB_SCOPE_EXTERNAL))
		pi_ld_err(ld, m->pos,
			  "customer and peer links are scope external, rs links scope ixp; drop one of the two keys",
			  "this match can never hold: relationship %s with scope %s", rel_words[r->rel - 1],
			  scope_words[r->scope - 1]);
}

static void parse_rule(struct pi_ld *ld, const struct pi_ynode *n, struct pi_lab_impair_rule *r)
{
	char err[PI_IMPAIR_ERR_MAX];
	const struct pi_ynode *v;
	bool any = false, ok = true;

	r->tier = -1;
	r->pos = n->pos;
	if (!pi_y_is(ld, n, PI_Y_MAP, "an impairments entry"))
		return;
	pi_y_keys(ld, n, rule_keys, "an impairments entry");
	if ((v = pi_y_get(n, "match")))
		parse_match(ld, v, r);
	/* Any key besides match counts: an unknown one is reported as such,
	 * not also as "impairs nothing". */
	any = n->n > (pi_y_get(n, "match") ? 1u : 0u);
	for (size_t k = 1; rule_keys[k]; k++) {
		const char *s;
		if (!(v = pi_y_get(n, rule_keys[k])))
			continue;
		if (!pi_y_str(ld, v, rule_keys[k], &s)) {
			ok = false;
		} else if (pi_impair_set(&r->impair, rule_keys[k], s, err, sizeof(err)) != 0) {
			pi_ld_err(ld, v->pos, NULL, "impairments %s: %s", rule_keys[k], err);
			ok = false;
		}
	}
	if (!any)
		pi_ld_err(ld, n->pos, "add at least one of rate, delay, jitter, loss, duplicate, corrupt, reorder "
			  "(e.g. delay: 20ms)", "this impairments entry impairs nothing");
	else if (ok && pi_impair_check(&r->impair, err, sizeof(err)) != 0)
		pi_ld_err(ld, n->pos, NULL, "impairments: %s", err);
}

void pi_lab_parse_impairments(struct pi_ld *ld, const struct pi_ynode *n, struct pi_lab *lab)
{
	size_t cnt;

	if (n->kind == PI_Y_NULL)
		return; /* `impairments:` with nothing under it */
	if (!pi_y_is(ld, n, PI_Y_SEQ, "impairments"))
		return;
	cnt = pi_y_cap(ld, n, PI_LAB_MAX_IMPAIR_RULES, "impairments entries");
	lab->impairments = pi_arena_alloc(ld->arena, (cnt ? cnt : 1) * sizeof(*lab->impairments));
	for (size_t i = 0; i < cnt && !pi_ld_full(ld); i++)
		parse_rule(ld, n->kids[i], &lab->impairments[lab->n_impairments++]);
}
