/* verify: the whole Internet checked, failures first, a pod matrix per family. */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "pocketinternet/report.h"

#define SHOW_MAX 20
#define MATRIX_PODS 32

static const char *fam_name(const struct pi_verify_reach *r)
{
	return r->family == PI_AF_V6 ? "IPv6" : "IPv4";
}

static bool pair_ok(const struct pi_plan *p, const struct pi_verify_reach *r, uint32_t s, uint32_t t)
{
	return r->ok[(size_t)s * p->n_nodes + t];
}

/* Failures first, grouped the way they are likely caused: a target nobody
 * reaches (its link or node is down), a source that reaches nothing (it is
 * cut off), then single pairs. */
static void failure_counts(const struct pi_plan *p, const struct pi_verify_reach *r, unsigned *by_src, unsigned *by_dst)
{
	for (uint32_t s = 0; s < p->n_nodes; s++)
		for (uint32_t t = 0; r->source[s] && t < p->n_nodes; t++)
			if (pi_verify_reach_expected(p, r, s, t) && !pair_ok(p, r, s, t)) {
				by_src[s]++;
				by_dst[t]++;
			}
}

static void look_at(const struct pi_plan *p, const struct pi_verify_reach *r, uint32_t s, uint32_t t)
{
	char a[PI_PREFIX_STRLEN];
	printf("       look at: pocketinternet exec %s -- traceroute -n %s\n", p->nodes[s].name,
	       pi_prefix_fmt_addr(&r->addr[t], a));
}

static uint32_t first_fail(const struct pi_plan *p, const struct pi_verify_reach *r, uint32_t s, uint32_t t)
{
	for (uint32_t k = 0; k < p->n_nodes; k++) {
		if (s != PI_NONE && pi_verify_reach_expected(p, r, s, k) && !pair_ok(p, r, s, k))
			return k;
		if (t != PI_NONE && pi_verify_reach_expected(p, r, k, t) && !pair_ok(p, r, k, t))
			return k;
	}
	return PI_NONE;
}

static unsigned print_failures(const struct pi_plan *p, const struct pi_verify_reach *r)
{
	unsigned *by_src = pi_xcalloc(p->n_nodes + 1, sizeof(unsigned)), *by_dst = pi_xcalloc(p->n_nodes + 1, sizeof(unsigned));
	failure_counts(p, r, by_src, by_dst);
	unsigned shown = 0;
	for (uint32_t t = 0; t < p->n_nodes && shown < SHOW_MAX; t++)
		if (by_dst[t] && 2 * by_dst[t] >= r->n_sources) {
			uint32_t s = first_fail(p, r, PI_NONE, t);
			printf("  FAIL %s: %s does not answer %u of %u sources, e.g. %s\n", fam_name(r), p->nodes[t].name,
			       by_dst[t], r->n_sources, p->nodes[s].name);
			look_at(p, r, s, t);
			shown++;
		}
	for (uint32_t s = 0; s < p->n_nodes && shown < SHOW_MAX; s++)
		if (by_src[s] && 2 * by_src[s] >= r->n_targets) {
			uint32_t t = first_fail(p, r, s, PI_NONE);
			printf("  FAIL %s: %s gets no answer from %u of %u targets%s, e.g. %s\n", fam_name(r), p->nodes[s].name,
			       by_src[s], r->n_targets, r->down && r->down[s] ? " (it could not ping: stopped?)" : "",
			       p->nodes[t].name);
			look_at(p, r, s, t);
			shown++;
		}
	for (uint32_t s = 0; s < p->n_nodes && shown < SHOW_MAX; s++)
		for (uint32_t t = 0; r->source[s] && t < p->n_nodes && shown < SHOW_MAX; t++)
			if (pi_verify_reach_expected(p, r, s, t) && !pair_ok(p, r, s, t) && 2 * by_dst[t] < r->n_sources &&
			    2 * by_src[s] < r->n_targets) {
				printf("  FAIL %s: %s gets no answer from %s\n", fam_name(r), p->nodes[s].name, p->nodes[t].name);
				look_at(p, r, s, t);
				shown++;
			}
	free(by_src);
	free(by_dst);
	return shown;
}

/* Pods by pods: '#' every pair answered, 'x' some did not, 'X' none did. */
static void print_matrix(const struct pi_plan *p, const struct pi_verify_reach *r)
{
	if (p->n_pods > MATRIX_PODS) {
		printf("  (%u pods: too many for a matrix of 80 columns; --format json has every pair)\n", p->n_pods);
		return;
	}
	printf("\n  %s: rows ping, columns answer   # all   x some fail   X all fail   . none to test\n", fam_name(r));
	printf("  %-14s", ""); /* column numbers, tens over units */
	for (uint32_t c = 0; c < p->n_pods; c++)
		printf(" %c", (c + 1) >= 10 ? (char)('0' + (c + 1) / 10) : ' ');
	printf("\n  %-14s", "");
	for (uint32_t c = 0; c < p->n_pods; c++)
		printf(" %c", (char)('0' + (c + 1) % 10));
	printf("\n");
	for (uint32_t a = 0; a < p->n_pods; a++) {
		printf("  %2u %-11.11s", a + 1, p->pods[a].name);
		for (uint32_t c = 0; c < p->n_pods; c++) {
			unsigned ok = 0, all = 0;
			for (uint32_t s = 0; s < p->n_nodes; s++)
				for (uint32_t t = 0; p->nodes[s].pod == a && r->source[s] && t < p->n_nodes; t++)
					if (p->nodes[t].pod == c && pi_verify_reach_expected(p, r, s, t)) {
						all++;
						ok += pair_ok(p, r, s, t);
					}
			printf(" %c", !all ? '.' : ok == all ? '#' : ok ? 'x' : 'X');
		}
		printf("\n");
	}
}

static void print_excluded(const struct pi_plan *p, const struct pi_verify_reach *r)
{
	for (uint32_t i = 0; i < p->n_nodes; i++) {
		if (!r->why_not[i])
			continue;
		unsigned n = 0;
		for (uint32_t j = 0; j < p->n_nodes; j++)
			n += r->why_not[j] == r->why_not[i];
		bool first = true;
		for (uint32_t j = 0; j < i && first; j++)
			first = r->why_not[j] != r->why_not[i];
		if (first)
			printf("  not an %s target: %u nodes: %s (e.g. %s)\n", fam_name(r), n, r->why_not[i], p->nodes[i].name);
	}
}

static void print_policy(const struct pi_plan *p, const struct pi_verify *v)
{
	unsigned shown = 0;
	for (size_t i = 0; i < v->violations.len && shown < SHOW_MAX; i++, shown++) {
		const struct pi_policy_violation *x = pi_vec_at(&v->violations, i);
		char pfx[PI_PREFIX_STRLEN];
		printf("  FAIL policy: %s holds %s with a path that is not valley-free: %s\n"
		       "       look at: pocketinternet incident list; pocketinternet exec %s -- birdc show route for %s all\n",
		       p->nodes[x->node].name, pi_prefix_fmt(&x->net, pfx), x->why, p->nodes[x->node].name, pfx);
	}
	for (uint32_t k = 0; k < p->n_sessions && shown < SHOW_MAX; k++)
		if (!v->status.sessions[k].established) {
			const struct pi_plan_session *s = &p->sessions[k];
			printf("  FAIL session %s: %s %s, %s %s\n       look at: pocketinternet status; pocketinternet link list %s\n",
			       s->name, p->nodes[s->a].name, v->status.sessions[k].state[0], p->nodes[s->b].name,
			       v->status.sessions[k].state[1], p->nodes[s->a].name);
			shown++;
		}
}

static void print_reach_counts(const struct pi_plan *p, const struct pi_verify_reach *r)
{
	printf("reach %s: %lu of %lu pairs answer (%u sources, %u targets, %.1f s)\n", fam_name(r), r->pairs - r->failed,
	       r->pairs, r->n_sources, r->n_targets, r->seconds);
	if (r->unexpected)
		printf("  not tested: %lu pairs whose pods no %s BGP session joins (the lab gives some pods one family only)\n",
		       r->unexpected, fam_name(r));
	print_excluded(p, r);
}

static unsigned fails_of(const struct pi_vec *v)
{
	unsigned n = 0;
	for (size_t i = 0; i < v->len; i++)
		n += !((const struct pi_verify_check *)pi_vec_at(v, i))->ok;
	return n;
}

static void print_checks(const struct pi_plan *p, const struct pi_vec *v, const char *part, const char *look)
{
	unsigned shown = 0;
	for (size_t i = 0; i < v->len && shown < SHOW_MAX; i++) {
		const struct pi_verify_check *c = pi_vec_at(v, i);
		if (c->ok)
			continue;
		printf("  FAIL %s: %s asked %s: %s\n       look at: pocketinternet exec %s -- %s\n", part, p->nodes[c->node].name,
		       c->what, c->detail, p->nodes[c->node].name, look);
		shown++;
	}
}

static void print_text(const struct pi_plan *p, const struct pi_verify *v)
{
	printf("lab %s: %s\n", p->lab_name, v->passed ? "everything checked works" : "FAILED (failures first)");
	for (int f = 0; f < 2; f++)
		if (v->reach[f].addr)
		print_failures(p, &v->reach[f]);
	if (v->parts & PI_VERIFY_DNS)
		print_checks(p, &v->dns, "DNS", "dig NAME TYPE (and look at /var/log/pocketinternet/unbound.log)");
	if (v->parts & PI_VERIFY_HTTP)
		print_checks(p, &v->http, "HTTP", "curl -v URL");
	if (v->parts & PI_VERIFY_POLICY)
		print_policy(p, v);
	printf("\n");
	if (v->parts & PI_VERIFY_DNS)
		printf("dns: %zu of %zu queries answered as the plan says (every resolver, a sample of every zone; DNS64)\n",
		       v->dns.len - fails_of(&v->dns), v->dns.len);
	if (v->parts & PI_VERIFY_HTTP)
		printf("http: %zu of %zu fetches served by the right node (every subscriber to every web server by name; NAT64; the CDN)\n",
		       v->http.len - fails_of(&v->http), v->http.len);
	for (int f = 0; f < 2; f++)
		if (v->reach[f].addr)
			print_reach_counts(p, &v->reach[f]);
	if (v->parts & PI_VERIFY_POLICY && v->policy_note)
		printf("policy: %s; %u/%u sessions Established\n", v->policy_note, v->status.established, p->n_sessions);
	else if (v->parts & PI_VERIFY_POLICY)
		printf("policy: %u routes in the routers' RIBs checked, %zu not valley-free; %u/%u sessions Established\n",
		       v->routes_checked, v->violations.len, v->status.established, p->n_sessions);
	for (int f = 0; f < 2; f++)
		if (v->reach[f].addr)
		print_matrix(p, &v->reach[f]);
}

static int parse_only(const char *arg, unsigned *parts)
{
	static const struct { const char *name; unsigned bit; } names[] = {
		{ "reach", PI_VERIFY_REACH }, { "reach4", PI_VERIFY_REACH4 }, { "reach6", PI_VERIFY_REACH6 },
		{ "dns", PI_VERIFY_DNS },     { "http", PI_VERIFY_HTTP },     { "policy", PI_VERIFY_POLICY },
	};
	char buf[128];
	snprintf(buf, sizeof(buf), "%s", arg);
	char *save = NULL;
	for (char *w = strtok_r(buf, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
		bool known = false;
		for (size_t i = 0; i < PI_ARRAY_LEN(names); i++)
			if (strcmp(w, names[i].name) == 0) {
				*parts |= names[i].bit;
				known = true;
			}
		if (!known)
			return pi_cli_usage_error("verify", "--only takes reach (reach4, reach6), dns, http or policy (comma-separated), not '%s'", w);
	}
	return PI_EXIT_OK;
}

int pi_cmd_verify(struct pi_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = { { "format", required_argument, NULL, 'f' }, { "only", required_argument, NULL, 'o' },
					      { "parallel", required_argument, NULL, 'j' }, { NULL, 0, NULL, 0 } };
	bool json = false;
	unsigned parts = 0, parallel = 8;
	int c, rc = 0;
	while (rc == 0 && (c = getopt_long(argc, argv, "f:o:j:", opts, NULL)) != -1) {
		if (c == 'f')
			rc = pi_cli_format_json("verify", optarg, &json) ? 0 : PI_EXIT_USAGE;
		else if (c == 'o')
			rc = parse_only(optarg, &parts);
		else if (c == 'j')
			parallel = (unsigned)atoi(optarg) ? (unsigned)atoi(optarg) : 8;
		else
			rc = pi_cli_usage_error("verify", "bad option");
	}
	if (rc == 0 && optind < argc)
		rc = pi_cli_usage_error("verify", "unexpected argument '%s'", argv[optind]);
	struct pi_backend b;
	if (rc || (rc = pi_cli_backend(&b)))
		return rc;
	struct pi_lab *lab = NULL;
	struct pi_plan *plan = NULL;
	if ((rc = pi_cli_current_plan(cli, &b, &lab, &plan)) == 0) {
		struct pi_verify v;
		struct pi_diag diag;
		pi_diag_init(&diag);
		pi_apply_verify(&b, plan, parts, parallel, &v, &diag);
		pi_diag_print(&diag, stderr);
		pi_diag_free(&diag);
		if (json)
			pi_report_print(pi_report_verify(plan, &v), stdout);
		else
			print_text(plan, &v);
		rc = v.passed ? PI_EXIT_OK : PI_EXIT_FAIL;
		pi_verify_free(&v);
	}
	pi_plan_free(plan);
	pi_lab_free(lab);
	pi_backend_close(&b);
	return rc;
}
