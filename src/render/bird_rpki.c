/*
 * render/bird_rpki: route origin validation on the borders of the pods a
 * lab's `rpki: {rov: ...}` names (docs/testing-bgp.md, "RPKI"): two ROA
 * tables, an RPKI-to-Router session to the lab's cache node, and one line
 * in every eBGP import filter that drops ROA_INVALID routes (unknown ones
 * pass). BIRD re-runs the filters when the ROA tables change (automatic
 * reload since 2.0.8), which needs the channel's import table: the price
 * is one more copy of what each eBGP session sends.
 */
#include <stdio.h>
#include "render_int.h"

bool pi_bird_rov_on(const struct pi_plan *plan, uint32_t node)
{
	return plan->rpki && plan->rpki_cache != PI_NONE && pi_r_pod(plan, node)->rov && pi_r_is_border(plan, node);
}

void pi_bird_emit_rpki(struct pi_buf *b, const struct pi_plan *plan, uint32_t node)
{
	if (!pi_bird_rov_on(plan, node))
		return;
	char ab[PI_PREFIX_STRLEN];
	struct pi_prefix a = pi_plan_rpki_cache_addr(plan, PI_AF_V4);
	if (!pi_prefix_is_set(&a))
		a = pi_plan_rpki_cache_addr(plan, PI_AF_V6);
	if (!pi_prefix_is_set(&a))
		return;
	pi_buf_printf(b,
		      "\n# ---- Route origin validation (RPKI) ----\n\n"
		      "# The lab's ROAs, from the cache node %s over RTR; eBGP imports drop\n"
		      "# what they make invalid.\n"
		      "roa4 table r4;\nroa6 table r6;\n"
		      "protocol rpki rpki_cache {\n"
		      "\troa4 { table r4; };\n\troa6 { table r6; };\n"
		      "\tremote %s port %u;\n"
		      "\tretry keep 5;\t# lab timers: the cache starts with the lab\n"
		      "\trefresh keep 30;\n\texpire keep 600;\n}\n",
		      plan->nodes[plan->rpki_cache].name, pi_r_addr(&a, ab), PI_RPKI_RTR_PORT);
}

void pi_bird_rov_filter(struct pi_buf *flt, const struct pi_plan *plan, uint32_t node, int f)
{
	if (!pi_bird_rov_on(plan, node))
		return;
	pi_buf_printf(flt, "\t\t\t# RPKI: an origin the ROAs do not allow (unknown passes).\n"
			   "\t\t\tif roa_check(r%d, net, bgp_path.last) = ROA_INVALID then reject;\n",
		      f);
}

void pi_bird_rov_channel(struct pi_buf *b, const struct pi_plan *plan, uint32_t node)
{
	if (pi_bird_rov_on(plan, node))
		pi_buf_puts(b, "\t\timport table on;\t# RPKI: re-filtered when the ROAs change\n");
}
