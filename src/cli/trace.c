/* trace SRC DST: one probe packet followed hop by hop (library: src/apply/trace.c). */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli.h"

static volatile int interrupted;

static void on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

struct trace_args {
	const char *src, *dst;
	int family;
	unsigned ttl, timeout_ms;
	bool json;
};

static int parse_uint(const char *opt, const char *s, unsigned lo, unsigned hi, unsigned *out)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);
	if (!*s || *end || v < lo || v > hi)
		return pi_cli_usage_error("trace", "%s takes a number from %u to %u, not '%s'", opt, lo, hi, s);
	*out = (unsigned)v;
	return PI_EXIT_OK;
}

static int parse_args(int argc, char **argv, struct trace_args *a)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "json", no_argument, NULL, 'J' },
		{ "ttl", required_argument, NULL, 't' },
		{ "timeout", required_argument, NULL, 'w' },
		{ NULL, 0, NULL, 0 },
	};
	int c, rc = PI_EXIT_OK;
	/* 0, not 1: glibc then starts afresh and permutes, so options may
	 * follow SRC DST (main's "+" scan left it in order-only mode). */
	optind = 0;
	while (rc == PI_EXIT_OK && (c = getopt_long(argc, argv, "46f:t:w:", opts, NULL)) != -1) {
		if (c == '4' || c == '6')
			a->family = c - '0';
		else if (c == 'J')
			a->json = true;
		else if (c == 'f')
			rc = pi_cli_format_json("trace", optarg, &a->json) ? PI_EXIT_OK : PI_EXIT_USAGE;
		else if (c == 't')
			rc = parse_uint("--ttl", optarg, 1, 255, &a->ttl);
		else if (c == 'w')
			rc = parse_uint("--timeout", optarg, 10, 60000, &a->timeout_ms);
		else
			rc = pi_cli_usage_error("trace", "bad option");
	}
	if (rc)
		return rc;
	if (argc - optind != 2)
		return pi_cli_usage_error("trace", "expected a source node and a destination (node or address)");
	a->src = argv[optind];
	a->dst = argv[optind + 1];
	return PI_EXIT_OK;
}

static const char *dir_word(const struct pi_trace_event *e)
{
	return e->egress ? "out" : "in";
}

/* The nodes the request visited, in order. */
static json_t *path_json(const struct pi_trace_result *r)
{
	json_t *arr = json_array();
	const char *last = "";
	for (size_t i = 0; i < r->n_events; i++) {
		const struct pi_trace_event *e = &r->events[i];
		if (e->kind == PI_TRACE_REQUEST && strcmp(e->node, last) != 0)
			json_array_append_new(arr, json_string(last = e->node));
	}
	return arr;
}

static void print_json(const struct pi_plan *plan, const struct trace_args *a, const struct pi_trace_result *r)
{
	json_t *ev = json_array();
	for (size_t i = 0; i < r->n_events; i++) {
		const struct pi_trace_event *e = &r->events[i];
		json_t *o = json_pack("{s:f, s:s, s:s, s:s, s:s, s:i}", "t_us", e->t_us, "node", e->node, "iface",
				      e->iface, "dir", dir_word(e), "kind", pi_trace_kind_name(e->kind), "ttl", e->ttl);
		if (e->kind == PI_TRACE_TIME_EXCEEDED || e->kind == PI_TRACE_UNREACHABLE)
			json_object_set_new(o, "code", json_integer(e->code));
		if (e->fib >= 0)
			json_object_set_new(o, "fib", json_pack("{s:i, s:s}", "result", e->fib, "out", e->fib_dev));
		json_array_append_new(ev, o);
	}
	json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:i, s:i, s:s, s:{s:s, s:s}, s:s, s:o, s:o, s:i}", "lab",
			      plan->lab_name, "src", a->src, "dst", a->dst, "address", r->dst, "ttl", r->ttl,
			      "interfaces_watched", r->ifaces, "end", pi_trace_end_name(r->end), "stopped_at", "node",
			      r->end_node, "iface", r->end_iface, "why", r->why, "path", path_json(r), "events", ev,
			      "leftovers_removed", r->leftovers);
	char *t = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	printf("%s\n", t);
	free(t);
	json_decref(j);
}

static void print_text(const struct trace_args *a, const struct pi_trace_result *r)
{
	printf("trace %s -> %s (%s), TTL %u, %u interfaces watched\n", a->src, a->dst, r->dst, r->ttl, r->ifaces);
	if (r->leftovers)
		printf("(removed %u filters/qdiscs an interrupted trace had left)\n", r->leftovers);
	printf("%10s  %-28s %-15s %-3s  %s\n", "T(us)", "NODE", "IFACE", "DIR", "WHAT");
	for (size_t i = 0; i < r->n_events; i++) {
		const struct pi_trace_event *e = &r->events[i];
		printf("%10.1f  %-28s %-15s %-3s  %s ttl %u", e->t_us, e->node, e->iface, dir_word(e),
		       pi_trace_kind_name(e->kind), e->ttl);
		if (e->kind == PI_TRACE_TIME_EXCEEDED || e->kind == PI_TRACE_UNREACHABLE)
			printf(" code %u", e->code);
		if (e->fib_dev[0] && e->fib >= 0)
			printf("  (routed out of %s)", e->fib_dev);
		printf("\n");
	}
	printf("%s%s%s: %s\n", pi_trace_end_name(r->end), r->end_node[0] ? " at " : "", r->end_node, r->why);
}

/* DST: an address, or a node's name. */
static int resolve(const struct pi_plan *plan, const struct trace_args *a, struct pi_trace_lab_opts *o)
{
	if ((o->src = pi_cli_find_node(plan, a->src)) == PI_NONE)
		return PI_EXIT_USAGE;
	o->dst = PI_NONE;
	if (pi_prefix_parse(a->dst, &o->dst_addr) == 0) {
		if (o->dst_addr.len != pi_prefix_maxlen(&o->dst_addr))
			return pi_cli_usage_error("trace", "'%s' is a prefix: give an address", a->dst);
		if (a->family && a->family != o->dst_addr.family)
			return pi_cli_usage_error("trace", "-%d does not go with the address %s", a->family, a->dst);
		return PI_EXIT_OK;
	}
	return (o->dst = pi_cli_find_node(plan, a->dst)) == PI_NONE ? PI_EXIT_USAGE : PI_EXIT_OK;
}

static int run(const struct pi_plan *plan, struct pi_backend *b, const struct trace_args *a)
{
	struct pi_trace_lab_opts o = { .family = a->family, .ttl = a->ttl, .timeout_ms = a->timeout_ms,
				       .cancel = &interrupted };
	int rc = resolve(plan, a, &o);
	if (rc)
		return rc;
	struct sigaction sa = { .sa_handler = on_signal }; /* no SA_RESTART: polls wake up */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	struct pi_trace_result r;
	struct pi_diag diag;
	pi_diag_init(&diag);
	rc = pi_apply_trace(b, plan, &o, &r, &diag);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	pi_diag_print(&diag, stderr);
	pi_diag_free(&diag);
	if (rc == -EINTR)
		fprintf(stderr, "pocketinternet trace: interrupted; every filter and qdisc it added is removed\n");
	if (rc == 0) {
		if (a->json)
			print_json(plan, a, &r);
		else
			print_text(a, &r);
	}
	bool delivered = rc == 0 && r.end == PI_TRACE_DELIVERED;
	pi_trace_result_free(&r);
	return delivered ? PI_EXIT_OK : PI_EXIT_FAIL;
}

int pi_cmd_trace(struct pi_cli *cli, int argc, char **argv)
{
	struct trace_args a = { 0 };
	char why[256];
	int rc = parse_args(argc, argv, &a);
	if (rc)
		return rc;
	if (!pi_trace_available(why, sizeof(why))) {
		fprintf(stderr, "pocketinternet trace: %s\n", why);
		return PI_EXIT_FAIL;
	}
	if (geteuid() != 0) {
		fprintf(stderr, "pocketinternet trace: needs root (BPF programs and the nodes' network namespaces)\n"
				"  hint: run it with sudo\n");
		return PI_EXIT_FAIL;
	}
	struct pi_backend b;
	if ((rc = pi_cli_backend(&b)))
		return rc;
	struct pi_lab *lab = NULL;
	struct pi_plan *plan = NULL;
	if ((rc = pi_cli_current_plan(cli, &b, &lab, &plan)) == 0)
		rc = run(plan, &b, &a);
	pi_plan_free(plan);
	pi_lab_free(lab);
	pi_backend_close(&b);
	return rc;
}
