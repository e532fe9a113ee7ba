/* setup / teardown: the trainer's two main commands. */
#include <errno.h>
#include <limits.h>
#include <getopt.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli.h"
#include "pocketinternet/apply.h"
#include "pocketinternet/log.h"

static volatile int interrupted;

static void on_sigint(int sig)
{
	(void)sig;
	interrupted = 1;
}

static void print_summary(const struct pi_plan *plan, const struct pi_apply_result *res, double total_s,
			  const char *lab_opt)
{
	printf("\nlab '%s' is up in %.1fs%s\n", plan->lab_name, total_s, res->converged ? "" : " (NOT converged)");
	if (res->reconciled)
		printf("  changed    %u nodes created, %u removed, %u reconfigured, %u kept as they ran\n",
		       res->containers, res->removed, res->reconfigured, res->kept);
	else
		printf("  nodes      %u nodes, %u links\n", res->containers, res->links);
	printf("  ASes       %u pods\n", plan->n_pods);
	printf("  BGP        %u/%u sessions Established\n", res->sessions_up, res->sessions_total);
	printf("  DNS        %u/%u resolvers answer through the pocket root\n", res->resolvers_up, res->resolvers_total);
	printf("  phases    ");
	for (int p = 0; p < PI_PHASE_COUNT; p++)
		printf(" %s %.1fs", pi_phase_name((enum pi_phase)p), res->phase_s[p]);
	printf("\n\n");
	uint32_t client = PI_NONE;
	for (uint32_t i = 0; i < plan->n_nodes && client == PI_NONE; i++)
		if (plan->nodes[i].services & PI_SVC_CLIENT)
			client = i;
	const char *example = client != PI_NONE ? plan->nodes[client].name : plan->n_nodes ? plan->nodes[0].name : "NODE";
	/* A name that resolves: the last web server's. */
	const char *web = NULL;
	for (uint32_t i = 0; i < plan->n_nodes; i++)
		if ((plan->nodes[i].services & PI_SVC_HTTP) && plan->nodes[i].fqdn)
			web = plan->nodes[i].fqdn;
	printf("Get a shell:   pocketinternet%s shell %s\n", lab_opt, example);
	if (web) {
		int len = (int)strlen(web);
		len -= len && web[len - 1] == '.'; /* the absolute name without its root dot */
		printf("Run a command: pocketinternet%s exec %s -- traceroute %.*s\n", lab_opt, example, len, web);
	}
	printf("State:         pocketinternet%s status    Remove: pocketinternet%s teardown\n", lab_opt, lab_opt);
}

struct setup_args {
	struct pi_apply_opts ao;
	bool keep, json, dry_run, verify;
	const struct pi_plan_pins *pins; /* the lab runs: reconcile against these */
};

/* PI_EXIT_OK to go on, or the exit code. */
static int parse_setup_args(int argc, char **argv, struct setup_args *a)
{
	static const struct option opts[] = {
		{ "parallel", required_argument, NULL, 'j' }, { "timeout", required_argument, NULL, 't' },
		{ "image", required_argument, NULL, 'i' },    { "no-build", no_argument, NULL, 'n' },
		{ "keep-on-error", no_argument, NULL, 'k' },  { "format", required_argument, NULL, 'f' },
		{ "dry-run", no_argument, NULL, 'D' },        { "verify", no_argument, NULL, 'v' },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	while ((c = getopt_long(argc, argv, "j:t:i:nkf:Dv", opts, NULL)) != -1) {
		if (c == 'j' && ((a->ao.parallel = (unsigned)atoi(optarg)) < 1 || a->ao.parallel > 64))
			return pi_cli_usage_error("setup", "--parallel takes 1 to 64");
		if (c == 't' && (a->ao.converge_timeout_s = (unsigned)atoi(optarg)) < 1)
			return pi_cli_usage_error("setup", "--timeout takes seconds (> 0)");
		if (c == 'f' && !pi_cli_format_json("setup", optarg, &a->json))
			return PI_EXIT_USAGE;
		if (c == 'i')
			a->ao.image = optarg;
		else if (c == 'n')
			a->ao.build_image = false;
		else if (c == 'k')
			a->keep = true;
		else if (c == 'D')
			a->dry_run = true;
		else if (c == 'v')
			a->verify = true;
		else if (c != 'j' && c != 't' && c != 'f')
			return pi_cli_usage_error("setup", "bad option");
	}
	if (optind < argc)
		return pi_cli_usage_error("setup", "unexpected argument '%s'", argv[optind]);
	if (geteuid() != 0 && !a->dry_run) {
		fprintf(stderr, "pocketinternet setup: must run as root (it creates network namespaces and veths)\n"
				"  hint: sudo pocketinternet setup\n");
		return PI_EXIT_USAGE;
	}
	return PI_EXIT_OK;
}

static int report_failure(const struct pi_plan *plan, int arc, const struct pi_apply_result *res, bool keep)
{
	if (arc == -EADDRINUSE)
		fprintf(stderr, "pocketinternet setup: the engine's networks overlap the lab's address space\n"
				"  hint: run 'pocketinternet -c %s configure-docker' (as root), then setup again\n",
			plan->lab_file);
	else if (arc != -EEXIST)
		fprintf(stderr, "pocketinternet setup: %s\n", arc == -ECANCELED ? "interrupted" : "failed");
	if (res->rolled_back)
		fprintf(stderr, "  removed what was made\n");
	else if (arc != -EEXIST && arc != -EADDRINUSE)
		fprintf(stderr, "  %s; remove it with 'pocketinternet teardown --lab %s'\n",
			keep ? "kept what was made (--keep-on-error)" : "could not remove all it made", plan->lab_name);
	return arc == -EADDRINUSE ? PI_EXIT_USAGE : PI_EXIT_FAIL;
}

/* setup --verify: the lab proven to work once it has converged (verify). */
struct verify_sum {
	bool ran, passed;
	double settle_s; /* from the first try to the last */
	unsigned long pairs, failed;
	size_t dns, dns_failed, http, http_failed, not_valley_free;
};

static size_t count_failed(const struct pi_vec *v)
{
	size_t n = 0;
	for (size_t i = 0; i < v->len; i++)
		n += !((const struct pi_verify_check *)pi_vec_at(v, i))->ok;
	return n;
}

/* Convergence means every session is up and every resolver answers; routes
 * may still be on their way for a moment. A failing verify is run again, up
 * to VERIFY_SETTLE_S seconds, and the summary says how long it took. */
#define VERIFY_SETTLE_S 20

static void run_verify(struct pi_backend *b, const struct pi_plan *plan, struct verify_sum *vs)
{
	struct pi_verify v;
	struct pi_diag diag;
	double t0 = pi_monotonic();
	for (;;) {
		pi_diag_init(&diag);
		pi_apply_verify(b, plan, PI_VERIFY_ALL, 8, &v, &diag);
		if (v.passed || pi_monotonic() - t0 > VERIFY_SETTLE_S)
			break;
		pi_diag_free(&diag);
		pi_verify_free(&v);
		sleep(2);
	}
	pi_diag_print(&diag, stderr);
	pi_diag_free(&diag);
	*vs = (struct verify_sum){ .ran = true, .passed = v.passed, .dns = v.dns.len, .http = v.http.len,
				   .settle_s = pi_monotonic() - t0,
				   .dns_failed = count_failed(&v.dns), .http_failed = count_failed(&v.http),
				   .not_valley_free = v.violations.len };
	for (int f = 0; f < 2; f++) {
		vs->pairs += v.reach[f].pairs;
		vs->failed += v.reach[f].failed;
	}
	pi_verify_free(&v);
}

static void print_verify(const struct verify_sum *vs, const char *lab_opt)
{
	printf("  verify     %s in %.1fs: %lu/%lu ping pairs, %zu/%zu DNS, %zu/%zu HTTP, %zu paths not valley-free\n",
	       vs->passed ? "passed" : "FAILED", vs->settle_s, vs->pairs - vs->failed, vs->pairs, vs->dns - vs->dns_failed,
	       vs->dns, vs->http - vs->http_failed, vs->http, vs->not_valley_free);
	if (!vs->passed)
		printf("             see 'pocketinternet%s verify' for what failed\n", lab_opt);
}

static void print_json_result(const struct pi_plan *plan, const struct pi_apply_result *res, int arc,
			      const struct verify_sum *vs)
{
	json_t *ph = json_object();
	for (int p = 0; p < PI_PHASE_COUNT; p++)
		json_object_set_new(ph, pi_phase_name((enum pi_phase)p), json_real(res->phase_s[p]));
	json_t *j = json_pack("{s:s, s:b, s:b, s:b, s:b, s:i, s:i, s:i, s:i, s:i, s:i, s:o, s:f}", "lab",
			      plan->lab_name, "ok", arc == 0 && (res->converged || res->already_up), "already_up",
			      res->already_up, "converged", res->converged, "rolled_back", res->rolled_back, "nodes",
			      res->containers, "links", res->links, "sessions", res->sessions_total, "established",
			      res->sessions_up, "resolvers", res->resolvers_total, "answering", res->resolvers_up,
			      "phases", ph, "total_s", res->total_s);
	json_object_set_new(j, "reconciled", json_boolean(res->reconciled));
	if (vs->ran)
		json_object_set_new(j, "verify", json_pack("{s:b, s:I, s:I, s:i, s:i, s:i, s:i, s:i}", "passed", vs->passed,
							   "ping_pairs", (json_int_t)vs->pairs, "ping_failed",
							   (json_int_t)vs->failed, "dns", (int)vs->dns, "dns_failed",
							   (int)vs->dns_failed, "http", (int)vs->http, "http_failed",
							   (int)vs->http_failed, "not_valley_free", (int)vs->not_valley_free));
	if (res->reconciled)
		json_object_set_new(j, "changes", json_pack("{s:i, s:i, s:i, s:i}", "created", res->containers, "removed",
							   res->removed, "reconfigured", res->reconfigured, "kept",
							   res->kept));
	char *text = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	printf("%s\n", text);
	free(text);
	json_decref(j);
}

/* " --lab NAME" when the lab is not the default lab or other labs run too,
 * so that the hints stay right whatever starts next; else "". */
static void lab_option(struct pi_backend *b, const struct pi_plan *plan, char *buf, size_t len)
{
	struct pi_vec labs = PI_VEC_INIT(struct pi_lab_summary);
	char mine[PATH_MAX], dflt[PATH_MAX];
	bool is_default = realpath(plan->lab_file, mine) && realpath(pi_default_lab_file(), dflt) &&
			  strcmp(mine, dflt) == 0;
	buf[0] = '\0';
	if (!is_default || (pi_apply_labs(b, &labs, NULL) == 0 && labs.len > 1))
		snprintf(buf, len, " --lab %s", plan->lab_name);
	pi_vec_free(&labs);
}

static int run_setup(struct pi_cli *cli, struct pi_backend *b, const struct pi_plan *plan, struct setup_args *a,
		     struct pi_apply_result *res)
{
	struct pi_diag diag;
	pi_diag_init(&diag);
	char lab_path[PATH_MAX];
	a->ao.lab_file = realpath(plan->lab_file, lab_path) ? lab_path : plan->lab_file;
	a->ao.rollback = !a->keep;
	struct pi_cli_display disp;
	pi_cli_display_init(&disp, cli->quiet);
	a->ao.progress = pi_cli_show_progress;
	a->ao.ctx = &disp;
	a->ao.cancel = &interrupted;
	struct sigaction sa = { .sa_handler = on_sigint };
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (!cli->quiet)
		fprintf(stderr, "pocketinternet: %s lab '%s': %u pods, %u nodes, %u links, %u BGP sessions\n",
			a->pins ? "changing the running" : "bringing up", plan->lab_name, plan->n_pods, plan->n_nodes,
			plan->n_links, plan->n_sessions);
	int arc = a->pins ? pi_apply_reconcile(b, a->pins, plan, &a->ao, res, &diag)
			  : pi_apply_setup(b, plan, &a->ao, res, &diag);
	if (disp.tty && !cli->quiet)
		fputc('\n', stderr);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	pi_diag_print(&diag, stderr);
	pi_diag_free(&diag);
	return arc;
}

/* Does any node of the plan's lab exist? Then setup reconciles. */
static bool lab_runs(struct pi_backend *b, const struct pi_plan *plan)
{
	struct pi_vec labs = PI_VEC_INIT(struct pi_lab_summary);
	bool runs = false;
	if (pi_apply_labs(b, &labs, NULL) == 0)
		for (size_t i = 0; i < labs.len; i++)
			runs |= strcmp(((struct pi_lab_summary *)pi_vec_at(&labs, i))->name, plan->lab_name) == 0;
	pi_vec_free(&labs);
	return runs;
}

/* setup --dry-run: what setup would change, touching nothing. */
static int dry_run(const struct pi_plan *plan, const struct pi_plan_pins *pins, bool json)
{
	struct pi_plan_diff d;
	if (pi_plan_diff(pins, plan, &d))
		return PI_EXIT_FAIL;
	struct pi_buf out;
	pi_buf_init(&out);
	if (json) {
		pi_plan_diff_write_json(&d, &out);
	} else {
		pi_buf_printf(&out, "lab '%s' %s; setup would change:\n", plan->lab_name,
			      pins ? "runs" : "does not run (or was set up without pins)");
		pi_plan_diff_write_text(&d, &out);
	}
	fputs(pi_buf_str(&out), stdout);
	if (out.len && pi_buf_str(&out)[out.len - 1] != '\n')
		fputc('\n', stdout);
	pi_buf_free(&out);
	pi_plan_diff_free(&d);
	return PI_EXIT_OK;
}

int pi_cmd_setup(struct pi_cli *cli, int argc, char **argv)
{
	struct setup_args a = { .ao = { .build_image = true } };
	int rc = parse_setup_args(argc, argv, &a);
	if (rc)
		return rc;
	double t0 = pi_monotonic();
	struct pi_lab *lab;
	struct pi_plan *plan;
	struct pi_backend b;
	cli->pinned = true;
	if ((rc = pi_cli_load_plan(cli, &lab, &plan)))
		return rc;
	double plan_s = pi_monotonic() - t0;
	if ((rc = pi_cli_backend(&b))) {
		pi_plan_free(plan);
		pi_lab_free(lab);
		return rc;
	}
	a.pins = lab_runs(&b, plan) ? cli->pins : NULL;
	if (a.dry_run) {
		rc = dry_run(plan, a.pins, a.json);
		pi_backend_close(&b);
		pi_plan_free(plan);
		pi_lab_free(lab);
		return rc;
	}
	struct pi_apply_result res;
	int arc = run_setup(cli, &b, plan, &a, &res);
	res.phase_s[PI_PHASE_PLAN] = plan_s;
	char lab_opt[160];
	lab_option(&b, plan, lab_opt, sizeof(lab_opt));
	struct verify_sum vs = { 0 };
	if (a.verify && arc == 0 && (res.converged || res.already_up))
		run_verify(&b, plan, &vs);
	if (a.json)
		print_json_result(plan, &res, arc, &vs);
	if (res.already_up && !a.json)
		printf("lab '%s' is already up as its file says (%u nodes running): nothing to do.\n"
		       "  pocketinternet%s status    to see its state\n"
		       "  pocketinternet%s teardown  to remove it\n",
		       plan->lab_name, plan->n_nodes, lab_opt, lab_opt);
	if (arc)
		rc = report_failure(plan, arc, &res, a.keep);
	else if (!res.already_up && !a.json)
		print_summary(plan, &res, pi_monotonic() - t0, lab_opt);
	if (vs.ran && !a.json)
		print_verify(&vs, lab_opt);
	if (vs.ran && !vs.passed)
		rc = PI_EXIT_FAIL;
	if (!arc && !res.already_up && !res.converged) {
		fprintf(stderr, "pocketinternet setup: the lab did not converge within the timeout; see 'pocketinternet%s status'\n",
			lab_opt);
		rc = PI_EXIT_FAIL;
	}
	pi_backend_close(&b);
	pi_plan_free(plan);
	pi_lab_free(lab);
	return rc;
}

int pi_cmd_teardown(struct pi_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "all", no_argument, NULL, 'a' },
		{ "format", required_argument, NULL, 'f' },
		{ "parallel", required_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	bool all = false, json = false;
	unsigned parallel = 0;
	int c;
	while ((c = getopt_long(argc, argv, "af:j:", opts, NULL)) != -1) {
		if (c == 'a')
			all = true;
		else if (c == 'j' && ((parallel = (unsigned)atoi(optarg)) < 1 || parallel > 64))
			return pi_cli_usage_error("teardown", "--parallel takes 1 to 64");
		else if (c == 'j')
			continue;
		else if (c != 'f')
			return pi_cli_usage_error("teardown", "bad option");
		else if (!pi_cli_format_json("teardown", optarg, &json))
			return PI_EXIT_USAGE;
	}
	if (optind < argc)
		return pi_cli_usage_error("teardown", "unexpected argument '%s'", argv[optind]);
	if (all && (cli->lab_name || cli->lab_file_given))
		return pi_cli_usage_error("teardown", "give only one of -c FILE, --lab NAME and --all");
	if (geteuid() != 0) {
		fprintf(stderr, "pocketinternet teardown: must run as root\n  hint: sudo pocketinternet teardown\n");
		return PI_EXIT_USAGE;
	}
	struct pi_backend b;
	char lab[128] = "";
	int rc = pi_cli_backend(&b);
	if (rc)
		return rc;
	/* --all, or one lab: named, the one running, or the default lab's when
	 * none runs (a crash may have left its netns and state). */
	if (!all && (rc = pi_cli_current_lab(cli, &b, true, lab, sizeof(lab)))) {
		pi_backend_close(&b);
		return rc;
	}
	struct pi_diag diag;
	pi_diag_init(&diag);
	struct pi_teardown_result res;
	int trc = pi_apply_teardown(&b, all ? NULL : lab, NULL, parallel, &res, &diag);
	pi_diag_print(&diag, stderr);
	if (json)
		printf("{\"lab\": %s%s%s, \"complete\": %s, \"nodes\": %u, \"netns\": %u, \"state_dirs\": %u}\n",
		       all ? "" : "\"", all ? "null" : lab, all ? "" : "\"", trc ? "false" : "true", res.containers,
		       res.netns, res.state_dirs);
	else if (!cli->quiet)
		printf("%s %s: removed %u nodes, %u network namespaces, %u state directories\n",
		       trc ? "partly tore down" : "tore down", all ? "all labs" : lab, res.containers, res.netns,
		       res.state_dirs);
	pi_diag_free(&diag);
	pi_backend_close(&b);
	return trc ? PI_EXIT_FAIL : PI_EXIT_OK;
}
