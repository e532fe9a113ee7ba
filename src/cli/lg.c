/* lg NODE [PREFIX|ADDRESS] [--sessions]: the looking glass (library: src/apply/lg.c). */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "pocketinternet/report.h"

struct lg_args {
	const char *node, *what;
	bool sessions, json;
	struct pi_prefix dst;
};

/* "5382 325722" and, where every ASN is a pod, "(transit1 broadband1)". */
static void path_words(const struct pi_plan *plan, const struct pi_rib_route *r, char *buf, size_t len)
{
	size_t off = 0;
	buf[0] = '\0';
	for (unsigned i = 0; i < r->as_path_len && off + 12 < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%u", i ? " " : "", r->as_path[i]);
	if (r->as_path_truncated && off + 5 < len)
		off += (size_t)snprintf(buf + off, len - off, " ...");
	if (!r->as_path_len) {
		snprintf(buf, len, "(empty: originated in this AS)");
		return;
	}
	for (unsigned i = 0; i < r->as_path_len && off + 2 < len; i++) {
		uint32_t p = pi_plan_pod_by_asn(plan, r->as_path[i]);
		off += (size_t)snprintf(buf + off, len - off, "%s%s", i ? " " : "  (", p == PI_NONE ? "?" : plan->pods[p].name);
	}
	if (off + 2 < len)
		snprintf(buf + off, len - off, ")");
}

static void print_route(const struct pi_plan *plan, const struct pi_lg_route *g)
{
	const struct pi_rib_route *r = &g->r;
	char a[PI_PREFIX_STRLEN], path[512];
	printf("  %s %s", r->best ? "*" : " ", r->type);
	if (pi_prefix_is_set(&r->next_hop))
		printf(" via %s", pi_prefix_fmt_addr(&r->next_hop, a));
	if (r->iface[0])
		printf(" on %s", r->iface);
	printf("  [%s", r->proto);
	if (g->neighbor != PI_NONE)
		printf(", from %s", plan->nodes[g->neighbor].name);
	printf("]  preference %u\n", r->preference);
	if (r->bgp) {
		path_words(plan, r, path, sizeof(path));
		printf("      AS path %s\n", path);
		printf("      origin %s, local preference %u", pi_rib_origin_name(r->origin), r->local_pref);
		if (r->has_med)
			printf(", MED %u", r->med);
		printf("%s%s\n", r->from_kind[0] ? ", learned from: " : "", r->from_kind);
		if (g->rpki != PI_ROA_NONE)
			printf("      RPKI %s\n", pi_roa_state_name(g->rpki));
	}
	for (unsigned i = 0; i < r->n_large; i++)
		printf("      community (%u, %u, %u): %s\n", r->large[i].a, r->large[i].b, r->large[i].c,
		       g->comm_known[i] ? g->comm[i] : "not the lab's");
	for (unsigned i = 0; i < r->n_comm; i++)
		printf("      community (%u,%u)\n", r->communities[i][0], r->communities[i][1]);
	printf("      %s%s\n", r->best ? "" : "not best: ", r->best ? "best" : g->why);
}

static void print_routes_text(const struct pi_plan *plan, uint32_t node, const struct lg_args *a, const struct pi_vec *v)
{
	const struct pi_plan_node *n = &plan->nodes[node];
	printf("%s (%s, AS %u): %s%s\n", n->name, plan->pods[n->pod].name, plan->pods[n->pod].asn,
	       a->what ? "routes for " : "every route", a->what ? a->what : "");
	if (!v->len)
		printf("  no route%s\n", a->what ? " matches" : "");
	for (size_t i = 0; i < v->len; i++) {
		const struct pi_lg_route *g = pi_vec_at(v, i);
		char b[PI_PREFIX_STRLEN];
		if (i == 0 || !pi_prefix_equal(&g->r.net, &((const struct pi_lg_route *)pi_vec_at(v, i - 1))->r.net))
			printf("%s\n", pi_prefix_fmt(&g->r.net, b));
		print_route(plan, g);
	}
}

static int run_routes(struct pi_backend *b, const struct pi_plan *plan, uint32_t node, const struct lg_args *a)
{
	struct pi_vec v = PI_VEC_INIT(struct pi_lg_route);
	struct pi_diag diag;
	pi_diag_init(&diag);
	int rc = pi_apply_lg_routes(b, plan, node, a->what ? &a->dst : NULL, &v, &diag);
	pi_diag_print(&diag, stderr);
	pi_diag_free(&diag);
	if (rc == 0 && a->json) {
		pi_report_print(pi_report_lg_routes(plan, node, a->what, &v), stdout);
	} else if (rc == 0) {
		print_routes_text(plan, node, a, &v);
	}
	pi_vec_free(&v);
	return rc == -ENOTSUP ? PI_EXIT_USAGE : rc ? PI_EXIT_FAIL : PI_EXIT_OK;
}

static void session_text(const struct pi_plan *plan, const struct pi_lg_session *s)
{
	uint32_t nb = s->neighbor;
	char asn[16] = "-", routes[48] = "-";
	if (nb != PI_NONE)
		snprintf(asn, sizeof(asn), "%u", plan->pods[plan->nodes[nb].pod].asn);
	else if (s->st.neighbor_as)
		snprintf(asn, sizeof(asn), "%u", s->st.neighbor_as);
	if (s->st.has_routes)
		snprintf(routes, sizeof(routes), "%u/%u/%u", s->st.imported, s->st.exported, s->st.preferred);
	printf("%-32s %-20s %-12s %-8s %-10s %-12s %s\n", s->st.name, nb == PI_NONE ? "(not planned)" : plan->nodes[nb].name,
	       nb == PI_NONE ? "-" : plan->pods[plan->nodes[nb].pod].name, asn,
	       s->session == PI_NONE ? "-" : pi_rel_name(s->rel), s->st.info[0] ? s->st.info : s->st.state, routes);
}

static int run_sessions(struct pi_backend *b, const struct pi_plan *plan, uint32_t node, bool json)
{
	struct pi_vec v = PI_VEC_INIT(struct pi_lg_session);
	struct pi_diag diag;
	pi_diag_init(&diag);
	int rc = pi_apply_lg_sessions(b, plan, node, &v, &diag);
	pi_diag_print(&diag, stderr);
	pi_diag_free(&diag);
	const struct pi_plan_node *n = &plan->nodes[node];
	unsigned up = 0;
	for (size_t i = 0; i < v.len; i++)
		up += ((struct pi_lg_session *)pi_vec_at(&v, i))->st.established;
	if (rc == 0 && json) {
		pi_report_print(pi_report_lg_sessions(plan, node, &v), stdout);
	} else if (rc == 0) {
		printf("%s (%s, AS %u): %u of %zu BGP sessions Established\n", n->name, plan->pods[n->pod].name,
		       plan->pods[n->pod].asn, up, v.len);
		printf("%-32s %-20s %-12s %-8s %-10s %-12s %s\n", "SESSION", "NEIGHBOUR", "POD", "ASN", "REL", "STATE",
		       "ROUTES imp/exp/best");
		for (size_t i = 0; i < v.len; i++)
			session_text(plan, pi_vec_at(&v, i));
	}
	pi_vec_free(&v);
	return rc == -ENOTSUP ? PI_EXIT_USAGE : rc ? PI_EXIT_FAIL : PI_EXIT_OK;
}

static int parse_args(int argc, char **argv, struct lg_args *a)
{
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--sessions") == 0 || strcmp(argv[i], "-s") == 0)
			a->sessions = true;
		else if (argv[i][0] == '-')
			return pi_cli_usage_error("lg", "unknown option '%s'", argv[i]);
		else if (!a->node)
			a->node = argv[i];
		else if (!a->what)
			a->what = argv[i];
		else
			return pi_cli_usage_error("lg", "unexpected '%s'", argv[i]);
	}
	if (!a->node)
		return pi_cli_usage_error("lg", "which router? lg NODE [PREFIX|ADDRESS]");
	if (a->what && a->sessions)
		return pi_cli_usage_error("lg", "--sessions takes no prefix");
	if (a->what && pi_prefix_parse(a->what, &a->dst) != 0)
		return pi_cli_usage_error("lg", "'%s' is neither a prefix (10.0.0.0/24, 2001:db8::/48) nor an address",
					  a->what);
	return PI_EXIT_OK;
}

int pi_cmd_lg(struct pi_cli *cli, int argc, char **argv)
{
	struct lg_args a = { 0 };
	int rc = pi_cli_take_format("lg", &argc, &argv, &a.json);
	if (rc || (rc = parse_args(argc, argv, &a)))
		return rc;
	struct pi_backend b;
	struct pi_lab *lab = NULL;
	struct pi_plan *plan = NULL;
	if ((rc = pi_cli_backend(&b)))
		return rc;
	if ((rc = pi_cli_current_plan(cli, &b, &lab, &plan)) == 0) {
		uint32_t node = pi_cli_find_node(plan, a.node);
		if (node == PI_NONE)
			rc = PI_EXIT_USAGE;
		else
			rc = a.sessions ? run_sessions(&b, plan, node, a.json) : run_routes(&b, plan, node, &a);
	}
	pi_plan_free(plan);
	pi_lab_free(lab);
	pi_backend_close(&b);
	return rc;
}
