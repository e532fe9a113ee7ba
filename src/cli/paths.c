/* paths SRC DST: every way between two nodes, the ones the policy allows, the one BGP chose and the one
 * packets take (library: src/plan/paths.c, src/apply/paths.c). */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "pocketinternet/report.h"

struct paths_args {
	const char *src, *dst;
	unsigned long max;
	bool json, plan_only;
};


static const char *fam_name(uint8_t f)
{
	return f == PI_AF_V6 ? "IPv6" : "IPv4";
}

/* "a > b > c" of pods into buf. */
static const char *pods_text(const struct pi_plan *plan, const uint32_t *pods, unsigned n, char *buf, size_t len)
{
	size_t off = 0;
	buf[0] = '\0';
	for (unsigned i = 0; i < n && off + 4 < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%s", i ? " > " : "", plan->pods[pods[i]].name);
	return buf;
}

static const uint32_t *as_path_at(const struct pi_plan_paths *as, size_t i, uint32_t *n)
{
	const struct pi_plan_path *p = pi_vec_at(&as->paths, i);
	*n = p->n;
	return pi_vec_at(&as->hops, p->first);
}

static void print_router_paths(const struct pi_report_paths *r)
{
	const struct pi_plan *plan = r->plan;
	printf("Router-level paths: %llu%s in all%s; the %zu shortest:\n", (unsigned long long)r->routers.total,
	       r->routers.capped ? " or more" : "", r->routers.capped ? " (the count stopped at its limit)" : "",
	       r->routers.paths.len);
	for (size_t i = 0; i < r->routers.paths.len; i++) {
		const struct pi_plan_path *p = pi_vec_at(&r->routers.paths, i);
		const struct pi_plan_hop *h = pi_vec_at(&r->routers.hops, p->first);
		printf("  %3zu. (%u hops)", i + 1, p->n - 1);
		for (uint32_t k = 0; k < p->n; k++) {
			/* An IXP's LAN is named: it may run beside a private link between the same two routers. */
			const struct pi_plan_link *l = k ? &plan->links[plan->ifaces[h[k].in_iface].link] : NULL;
			if (l && l->scope == PI_SCOPE_IXP && l->pod != PI_NONE)
				printf(" >[%s] ", plan->pods[l->pod].name);
			else
				printf("%s", k ? " > " : " ");
			printf("%s", plan->nodes[h[k].node].name);
		}
		printf("\n");
	}
}

static void print_as_paths(const struct pi_report_paths *r)
{
	const struct pi_plan *plan = r->plan;
	char buf[1024];
	size_t best = pi_report_shortest_allowed(&r->ases);
	printf("\nAS-level paths: %llu%s in all, %llu allowed by the routing policy (valley-free); the %zu best:\n",
	       (unsigned long long)r->ases.total, r->ases.capped ? " or more" : "", (unsigned long long)r->ases.allowed,
	       r->ases.paths.len);
	for (size_t i = 0; i < r->ases.paths.len; i++) {
		uint32_t n;
		const uint32_t *pods = as_path_at(&r->ases, i, &n);
		bool ok = ((const struct pi_plan_path *)pi_vec_at(&r->ases.paths, i))->valley_free;
		printf("  %3zu. %-9s %s%s\n", i + 1, ok ? "allowed" : "valley", pods_text(plan, pods, n, buf, sizeof(buf)),
		       i == best ? "   (shortest allowed)" : "");
	}
}

static void print_hop(const struct pi_plan *plan, const struct pi_troute_hop *h)
{
	char a[PI_PREFIX_STRLEN], where[160] = "";
	if (!pi_prefix_is_set(&h->addr)) {
		printf("    %2u  *\n", h->ttl);
		return;
	}
	if (h->node != PI_NONE)
		snprintf(where, sizeof(where), "%s%s%s (%s)", plan->nodes[h->node].name, h->iface != PI_NONE ? ":" : "",
			 h->iface != PI_NONE ? plan->ifaces[h->iface].name : "", plan->pods[h->pod].name);
	printf("    %2u  %-28s %-44s", h->ttl, pi_prefix_fmt_addr(&h->addr, a), where[0] ? where : "(not in the lab)");
	for (unsigned k = 0; k < h->probes; k++)
		h->rtt_ms[k] < 0 ? printf("  *") : printf("  %.3f ms", h->rtt_ms[k]);
	printf("%s\n", h->reply == PI_TROUTE_UNREACHABLE ? "  !unreachable" : "");
}

static void print_family(const struct pi_report_paths *r, const struct pi_paths_family *f)
{
	const struct pi_plan *plan = r->plan;
	char a[PI_PREFIX_STRLEN], buf[1024];
	if (!pi_prefix_is_set(&f->dst)) {
		printf("\n%s: %s has no address of this family\n", fam_name(f->family), plan->nodes[r->dst].name);
		return;
	}
	printf("\n%s to %s (%s%s):\n", fam_name(f->family), pi_prefix_fmt_addr(&f->dst, a), plan->nodes[f->dst_node].name,
	       f->dst_node != r->dst ? ", standing in for DST, whose IPv4 address is behind CGNAT" : "");
	if (f->bgp_found && f->n_bgp_pods) {
		char asns[512] = "";
		size_t off = 0;
		for (unsigned i = 0; i < f->best.as_path_len && off + 12 < sizeof(asns); i++)
			off += (size_t)snprintf(asns + off, sizeof(asns) - off, "%s%u", i ? " " : "", f->best.as_path[i]);
		printf("  BGP at %s chose: %s  (AS path %s, local preference %u%s%s)\n", plan->nodes[f->border].name,
		       pods_text(plan, f->bgp_pods, f->n_bgp_pods, buf, sizeof(buf)), off ? asns : "empty",
		       f->best.local_pref, f->best.from_kind[0] ? ", learned from a " : "", f->best.from_kind);
	}
	else if (f->border != PI_NONE)
		printf("  BGP at %s: %s\n", plan->nodes[f->border].name,
		       f->bgp_rc ? "could not be asked" : f->bgp_found ? "a route outside the lab's pods" : "no route");
	if (f->bgp_found && f->n_bgp_pods)
		printf("    %s\n", f->why[0] ? f->why : "= the shortest allowed AS path");
	printf("  traceroute from %s:%s\n", plan->nodes[r->src].name,
	       f->trace_rc == -ETIMEDOUT ? " (the destination did not answer)"
	       : f->trace_rc == -EHOSTUNREACH ? " (unreachable)"
	       : f->trace_rc && f->trace_rc != -ETIMEDOUT ? " (failed)" : "");
	for (size_t i = 0; i < f->n_hops; i++)
		print_hop(plan, &f->hops[i]);
	printf("    pods crossed: %s  %s\n", pods_text(plan, f->trace_pods, f->n_trace_pods, buf, sizeof(buf)),
	       f->trace_matches_bgp ? "= BGP's choice" : f->n_bgp_pods ? "(differs from BGP's choice)" : "");
}

static void print_side_by_side(const struct pi_report_paths *r)
{
	char buf[1024];
	size_t best = pi_report_shortest_allowed(&r->ases);
	printf("\nSide by side:\n");
	if (best != SIZE_MAX) {
		uint32_t n;
		const uint32_t *p = as_path_at(&r->ases, best, &n);
		printf("  %-22s %s\n", "shortest allowed", pods_text(r->plan, p, n, buf, sizeof(buf)));
	}
	for (int k = 0; r->have_live && k < 2; k++) {
		const struct pi_paths_family *f = &r->live[k];
		char label[40];
		snprintf(label, sizeof(label), "BGP chose (%s)", fam_name(f->family));
		printf("  %-22s %s\n", label, f->n_bgp_pods ? pods_text(r->plan, f->bgp_pods, f->n_bgp_pods, buf, sizeof(buf)) : "-");
		snprintf(label, sizeof(label), "traceroute (%s)", fam_name(f->family));
		printf("  %-22s %s\n", label, f->n_hops ? pods_text(r->plan, f->trace_pods, f->n_trace_pods, buf, sizeof(buf)) : "-");
	}
}

static void print_text(const struct pi_report_paths *r)
{
	printf("paths from %s (%s) to %s (%s), lab %s\n\n", r->plan->nodes[r->src].name,
	       r->plan->pods[r->plan->nodes[r->src].pod].name, r->plan->nodes[r->dst].name,
	       r->plan->pods[r->plan->nodes[r->dst].pod].name, r->plan->lab_name);
	print_router_paths(r);
	print_as_paths(r);
	for (int k = 0; r->have_live && k < 2; k++)
		print_family(r, &r->live[k]);
	print_side_by_side(r);
}

static int parse_args(int argc, char **argv, struct paths_args *a)
{
	a->max = 20;
	for (int i = 0; i < argc; i++) {
		char *end;
		if ((strcmp(argv[i], "--max") == 0 || strcmp(argv[i], "-m") == 0) && i + 1 < argc) {
			a->max = strtoul(argv[++i], &end, 10);
			if (*end || a->max == 0 || a->max > 10000)
				return pi_cli_usage_error("paths", "--max takes a number from 1 to 10000, not '%s'", argv[i]);
		} else if (strcmp(argv[i], "--plan-only") == 0) {
			a->plan_only = true;
		} else if (argv[i][0] == '-') {
			return pi_cli_usage_error("paths", "unknown option '%s'", argv[i]);
		} else if (!a->src) {
			a->src = argv[i];
		} else if (!a->dst) {
			a->dst = argv[i];
		} else {
			return pi_cli_usage_error("paths", "unexpected '%s'", argv[i]);
		}
	}
	if (!a->dst)
		return pi_cli_usage_error("paths", "give two nodes: paths SRC DST");
	return PI_EXIT_OK;
}

static int run(struct pi_backend *b, const struct pi_plan *plan, const struct paths_args *a)
{
	struct pi_report_paths r = { .plan = plan };
	if ((r.src = pi_cli_find_node(plan, a->src)) == PI_NONE || (r.dst = pi_cli_find_node(plan, a->dst)) == PI_NONE)
		return PI_EXIT_USAGE;
	uint32_t sp = plan->nodes[r.src].pod, dp = plan->nodes[r.dst].pod;
	pi_plan_paths_init(&r.routers, false);
	pi_plan_paths_init(&r.ases, true);
	pi_plan_router_paths(plan, r.src, r.dst, a->max, 0, &r.routers);
	if (plan->pods[sp].tier != PI_TIER_IXP && plan->pods[dp].tier != PI_TIER_IXP)
		pi_plan_as_paths(plan, sp, dp, a->max, 0, &r.ases);
	int rc = PI_EXIT_OK;
	if (b) {
		struct pi_diag diag;
		pi_diag_init(&diag);
		int lrc = pi_apply_paths_live(b, plan, r.src, r.dst, &r.ases, NULL, r.live, &diag);
		pi_diag_print(&diag, stderr);
		pi_diag_free(&diag);
		r.have_live = lrc == 0;
		rc = lrc ? PI_EXIT_FAIL : PI_EXIT_OK;
	}
	if (rc == PI_EXIT_OK)
		a->json ? pi_report_print(pi_report_paths(&r), stdout) : print_text(&r);
	pi_plan_paths_free(&r.routers);
	pi_plan_paths_free(&r.ases);
	return rc;
}

int pi_cmd_paths(struct pi_cli *cli, int argc, char **argv)
{
	struct paths_args a = { 0 };
	int rc = pi_cli_take_format("paths", &argc, &argv, &a.json);
	if (rc || (rc = parse_args(argc, argv, &a)))
		return rc;
	struct pi_lab *lab = NULL;
	struct pi_plan *plan = NULL;
	if (a.plan_only) {
		if ((rc = pi_cli_load_plan(cli, &lab, &plan)) == 0)
			rc = run(NULL, plan, &a);
	} else {
		struct pi_backend b;
		if ((rc = pi_cli_backend(&b)))
			return rc;
		if ((rc = pi_cli_current_plan(cli, &b, &lab, &plan)) == 0)
			rc = run(&b, plan, &a);
		pi_backend_close(&b);
	}
	pi_plan_free(plan);
	pi_lab_free(lab);
	return rc;
}
