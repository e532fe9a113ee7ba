/*
 * render/bird_incidents: incidents.conf, the file every bird.conf includes
 * and `pocketinternet incident` rewrites before `birdc configure`
 * (docs/routing-policy.md, "Incidents"). bird.conf's policy calls what it
 * defines, so bird.conf itself never changes per incident:
 *
 *   protocol static incident_origin4/6   routes originated as if our own (hijack)
 *   incident_own4/6()       own_route4/6 also exports these
 *   incident_leak4/6()      export_own_and_customers4/6 also passes these (leak)
 *   incident_accept4/6()    import filters also accept these outside the cone
 *   INCIDENT_LIMIT_EXTRA    added to every import limit (a leak is more routes)
 *
 * With no incident each is a no-op: the static protocols hold no route,
 * the functions return false, the extra limit is 0.
 */
#include <stdio.h>
#include <string.h>
#include "render_int.h"

static void comment_active(struct pi_buf *b, const struct pi_plan *plan, uint32_t node, const struct pi_incident *inc,
			   size_t n)
{
	bool any = false;
	for (size_t i = 0; i < n; i++) {
		if (!pi_incident_touches(plan, &inc[i], node))
			continue;
		char d[512];
		pi_incident_describe(plan, &inc[i], d, sizeof(d));
		pi_buf_printf(b, "%s#   %s\n", any ? "" : "#\n# Incidents that change this router:\n", d);
		any = true;
	}
	if (!any)
		pi_buf_puts(b, "#\n# No incident changes this router: everything below is a no-op.\n");
}

static uint32_t pod_of(const struct pi_plan *plan, const char *name)
{
	return pi_plan_pod_by_name(plan, name);
}

/* The hijacked prefixes of one family this node originates, as static routes. */
static void emit_origin(struct pi_buf *b, const struct pi_plan *plan, uint32_t node, const struct pi_incident *inc,
			size_t n, int f)
{
	pi_buf_printf(b, "protocol static incident_origin%d {\n\tipv%d;\n", f, f);
	for (size_t i = 0; i < n; i++) {
		if (inc[i].kind != PI_INCIDENT_HIJACK || pod_of(plan, inc[i].attacker) != plan->nodes[node].pod)
			continue;
		struct pi_vec v = PI_VEC_INIT(struct pi_prefix);
		pi_incident_hijack_prefixes(plan, &inc[i], &v);
		for (size_t k = 0; k < v.len; k++) {
			const struct pi_prefix *p = pi_vec_at(&v, k);
			char pb[PI_PREFIX_STRLEN];
			if (p->family == (f == 4 ? PI_AF_V4 : PI_AF_V6))
				pi_buf_printf(b, "\troute %s unreachable;\t# incident #%u: hijack of %s\n",
					      pi_prefix_fmt(p, pb), inc[i].id, inc[i].victim);
		}
		pi_vec_free(&v);
	}
	pi_buf_printf(b, "}\nfunction incident_own%d()\n{\n\treturn proto = \"incident_origin%d\";\n}\n", f, f);
}

static void emit_leak(struct pi_buf *b, const struct pi_plan *plan, uint32_t node, const struct pi_incident *inc,
		      size_t n, int f)
{
	const struct pi_incident *leak = NULL;
	for (size_t i = 0; i < n && !leak; i++)
		if (inc[i].kind == PI_INCIDENT_LEAK && pod_of(plan, inc[i].pod) == plan->nodes[node].pod)
			leak = &inc[i];
	pi_buf_printf(b, "function incident_leak%d()\n{\n", f);
	if (leak)
		pi_buf_printf(b, "\t# incident #%u: leak routes learned from providers and peers\n"
				 "\treturn (MY_AS, 1, FROM_PROVIDER) ~ bgp_large_community ||\n"
				 "\t\t(MY_AS, 1, FROM_PEER) ~ bgp_large_community;\n",
			      leak->id);
	else
		pi_buf_puts(b, "\treturn false;\n");
	pi_buf_puts(b, "}\n");
}

/* One accept line for incident i in family f; true when the line accepts a leak. */
static bool accept_line(struct pi_buf *b, const struct pi_plan *plan, uint32_t node, const struct pi_incident *in,
			int f)
{
	bool hijack = in->kind == PI_INCIDENT_HIJACK;
	if (in->filtered || (!hijack && in->kind != PI_INCIDENT_LEAK))
		return false;
	uint32_t pod = pod_of(plan, hijack ? in->attacker : in->pod);
	if (pod == PI_NONE || !pi_r_incident_neighbour(plan, node, pod))
		return false;
	uint32_t as = plan->pods[pod].asn;
	if (!hijack) {
		pi_buf_printf(b, "\tif bgp_path.first = %u then return true;\t# incident #%u: leak by %s\n", as, in->id,
			      in->pod);
		return true;
	}
	struct pi_vec v = PI_VEC_INIT(struct pi_prefix);
	pi_incident_hijack_prefixes(plan, in, &v);
	struct pi_buf set;
	pi_buf_init(&set);
	for (size_t k = 0; k < v.len; k++) {
		const struct pi_prefix *p = pi_vec_at(&v, k);
		char pb[PI_PREFIX_STRLEN];
		if (p->family == (f == 4 ? PI_AF_V4 : PI_AF_V6))
			pi_buf_printf(&set, "%s%s", set.len ? ", " : "", pi_prefix_fmt(p, pb));
	}
	if (set.len)
		pi_buf_printf(b, "\tif bgp_path.first = %u && net ~ [ %s ] then return true;\t# incident #%u: hijack by %s\n",
			      as, pi_buf_str(&set), in->id, in->attacker);
	pi_buf_free(&set);
	pi_vec_free(&v);
	return false;
}

void pi_bird_render_incidents(const struct pi_plan *plan, uint32_t node, const struct pi_incident *inc, size_t n,
			      struct pi_buf *b)
{
	bool border = pi_r_is_border(plan, node);
	bool rs = (plan->nodes[node].services & PI_SVC_RS) != 0;
	pi_r_header(b, "#", plan, node, "BIRD incidents (included by bird.conf)");
	pi_buf_puts(b, "# `pocketinternet incident` rewrites this file and runs `birdc configure`\n"
		       "# (docs/routing-policy.md, \"Incidents\").\n");
	comment_active(b, plan, node, inc, n);
	if (!border && !rs) {
		pi_buf_puts(b, "\n# No eBGP on this router: incidents never change it.\n");
		return;
	}
	bool leak_in = false;
	for (int f = 4; f <= 6; f += 2) {
		if (border) {
			pi_buf_printf(b, "\n# IPv%d: routes originated as if they were our own (hijacks).\n", f);
			emit_origin(b, plan, node, inc, n, f);
			pi_buf_puts(b, "# Routes from providers and peers passed to providers and peers too (a leak).\n");
			emit_leak(b, plan, node, inc, n, f);
		}
		pi_buf_printf(b, "%s# Routes accepted outside the neighbour's cone (filters someone forgot).\n"
				 "function incident_accept%d()\n{\n",
			      border ? "" : "\n", f);
		for (size_t i = 0; i < n; i++)
			leak_in |= accept_line(b, plan, node, &inc[i], f);
		pi_buf_puts(b, "\treturn false;\n}\n");
	}
	/* A leak can carry every full table of the lab too (announce:). */
	uint64_t extra = (uint64_t)PI_PLAN_PROVIDER_LIMIT + plan->table_routes4 + plan->table_routes6;
	pi_buf_printf(b, "\n# Added to every import limit: a leak accepted here is more routes than\n"
			 "# the plan's limits allow for.\ndefine INCIDENT_LIMIT_EXTRA = %u;\n",
		      leak_in ? (unsigned)(extra > 2000000000u ? 2000000000u : extra) : 0u);
}
