/*
 * render/bird_table: table.conf, the routes a pod announces beyond its
 * aggregates (a lab's `announce:`; docs/testing-bgp.md, "Full tables").
 * Every border of the pod includes it; one static protocol per family
 * holds them all, so a million routes cost BIRD one protocol, not a
 * process or a session each. Generated routes are the pod's own: own_route
 * exports them everywhere, neighbours' cone filters know their block.
 * Replayed (MRT) routes carry the dump's AS path, which eBGP export
 * prepends with the pod's ASN: they are routes learned from beyond this
 * AS, so only customers get them (table_replay, export_all).
 */
#include <stdio.h>
#include "render_int.h"

static void emit_routes(struct pi_buf *b, const struct pi_plan_table *t, uint8_t family)
{
	uint32_t from = family == PI_AF_V4 ? 0 : t->n4, to = family == PI_AF_V4 ? t->n4 : t->n4 + t->n6;
	char nb[PI_PREFIX_STRLEN];
	for (uint32_t i = from; i < to; i++) {
		const struct pi_plan_troute *r = &t->routes[i];
		pi_buf_printf(b, "\troute %s blackhole", pi_prefix_fmt(&r->net, nb));
		if (!t->mrt) {
			pi_buf_puts(b, ";\n");
			continue;
		}
		/* prepend() puts an ASN first: the origin goes in first. */
		pi_buf_puts(b, " {");
		for (uint32_t k = r->n_path; k-- > 0;)
			pi_buf_printf(b, " bgp_path.prepend(%u);", t->asns[r->path_off + k]);
		pi_buf_puts(b, " };\n");
	}
}

void pi_bird_render_table(const struct pi_plan *plan, uint32_t node, const struct pi_render_opts *o,
			  struct pi_buf *b)
{
	(void)o;
	const struct pi_plan_pod *pod = pi_r_pod(plan, node);
	const struct pi_plan_table *t = pod->table;
	pi_r_header(b, "#", plan, node, "BIRD table (included by bird.conf)");
	if (!t) {
		pi_buf_puts(b, "# This pod announces its aggregates only.\n");
		for (int f = 4; f <= 6; f += 2)
			pi_buf_printf(b, "function table_own%d() { return false; }\nfunction table_replay%d() { return false; }\n",
				      f, f);
		return;
	}
	pi_buf_printf(b, "# %s: %u IPv4 and %u IPv6 routes. Blackholes here: they are announced, and\n"
			 "# traffic toward them ends at this border.\n",
		      t->mrt ? "Replayed from an MRT dump, with their AS paths" : "Generated from the lab's seed",
		      t->n4, t->n6);
	for (int f = 4; f <= 6; f += 2) {
		uint8_t family = f == 4 ? PI_AF_V4 : PI_AF_V6;
		if ((family == PI_AF_V4 ? t->n4 : t->n6) == 0) {
			pi_buf_printf(b, "function table_own%d() { return false; }\nfunction table_replay%d() { return false; }\n",
				      f, f);
			continue;
		}
		pi_buf_printf(b, "\nprotocol static table%d {\n\tipv%d;\n", f, f);
		emit_routes(b, t, family);
		pi_buf_puts(b, "}\n");
		char own[32], replay[32];
		snprintf(own, sizeof(own), t->mrt ? "false" : "proto = \"table%d\"", f);
		snprintf(replay, sizeof(replay), t->mrt ? "proto = \"table%d\"" : "false", f);
		pi_buf_printf(b, "function table_own%d() { return %s; }\nfunction table_replay%d() { return %s; }\n", f, own,
			      f, replay);
	}
}
