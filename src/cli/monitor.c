/*
 * monitor: watch the running lab's paths until Ctrl-C; events to stdout
 * and --report (JSON lines, fsync'd), --on-failure CMD fed each new
 * failure's JSON on its stdin without holding up the probing; a summary
 * at the end.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "cli.h"

static volatile int interrupted;

static void on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

struct mon_out {
	bool json;
	int report;            /* -1: none */
	const char *on_failure; /* NULL: none */
	unsigned children;
};

/* Runs the user's command with json on its stdin; reaped in tick. */
static void run_hook(struct mon_out *m, const char *json)
{
	int fds[2];
	if (pipe2(fds, O_CLOEXEC) < 0)
		return;
	pid_t pid = fork();
	if (pid == 0) {
		dup2(fds[0], STDIN_FILENO);
		execl("/bin/sh", "sh", "-c", m->on_failure, (char *)NULL);
		_exit(127);
	}
	close(fds[0]);
	if (pid > 0) {
		m->children++;
		fcntl(fds[1], F_SETFL, O_NONBLOCK); /* an event is far below a pipe's buffer */
		(void)!write(fds[1], json, strlen(json));
		(void)!write(fds[1], "\n", 1);
	}
	close(fds[1]);
}

static void reap(struct mon_out *m, bool wait_all)
{
	while (m->children && waitpid(-1, NULL, wait_all ? 0 : WNOHANG) > 0)
		m->children--;
}

static void on_event(void *ctx, const struct pi_mon_detect *d, const struct pi_mon_event *e, const char *json)
{
	struct mon_out *m = ctx;
	if (m->json) {
		printf("%s\n", json);
	} else {
		char line[1024];
		pi_mon_event_text(d, e, line, sizeof(line));
		printf("%s\n", line);
	}
	fflush(stdout);
	if (m->report >= 0) {
		(void)!write(m->report, json, strlen(json));
		(void)!write(m->report, "\n", 1);
		fsync(m->report);
	}
	if (m->on_failure && !e->recovered_at)
		run_hook(m, json);
}

static void on_tick(void *ctx, unsigned interval)
{
	(void)interval;
	reap(ctx, false);
}

static void summary(const struct pi_plan *plan, const struct pi_monitor_result *r)
{
	printf("\nmonitor: %u interval(s), %zu pair(s) watched, %u event(s), %u still open\n", r->intervals,
	       r->pairs.len, r->events, r->open);
	printf("  %-28s %-28s %8s %8s %7s\n", "from", "to", "mean ms", "max ms", "events");
	for (size_t i = 0; i < r->pairs.len; i++) {
		const struct pi_mon_pair *p = pi_vec_at(&r->pairs, i);
		const struct pi_mon_pair_stats *s = pi_vec_at(&r->stats, i);
		if (s->samples)
			printf("  %-28s %-28s %8.1f %8.1f %7u\n", plan->nodes[p->from].name, plan->nodes[p->to].name,
			       s->mean_ms, s->max_ms, s->events);
		else
			printf("  %-28s %-28s %8s %8s %7u\n", plan->nodes[p->from].name, plan->nodes[p->to].name, "-", "-",
			       s->events);
	}
}

static int parse(int argc, char **argv, struct pi_monitor_opts *o, struct mon_out *m, const char **report)
{
	static const struct option opts[] = {
		{ "interval", required_argument, NULL, 'i' }, { "from", required_argument, NULL, 'F' },
		{ "to", required_argument, NULL, 'T' },	      { "report", required_argument, NULL, 'r' },
		{ "on-failure", required_argument, NULL, 'x' }, { "loss", required_argument, NULL, 'l' },
		{ "latency", required_argument, NULL, 'L' },  { "format", required_argument, NULL, 'f' },
		{ "count", required_argument, NULL, 'n' },    { NULL, 0, NULL, 0 }
	};
	int c;
	while ((c = getopt_long(argc, argv, "i:F:T:r:x:l:L:f:n:", opts, NULL)) != -1) {
		char *end = NULL;
		double v = optarg ? strtod(optarg, &end) : 0;
		bool num = optarg && end != optarg && *end == '\0' && v >= 0;
		if (c == 'i' && num && v >= 0.5)
			o->interval_s = v;
		else if (c == 'l' && num && v <= 100)
			o->detect.loss_pct = v;
		else if (c == 'L' && num)
			o->detect.latency_ms = v;
		else if (c == 'n' && num)
			o->max_intervals = (unsigned)v;
		else if (c == 'F')
			o->from = optarg;
		else if (c == 'T')
			o->to = optarg;
		else if (c == 'r')
			*report = optarg;
		else if (c == 'x')
			m->on_failure = optarg;
		else if (c == 'f') {
			if (!pi_cli_format_json("monitor", optarg, &m->json))
				return PI_EXIT_USAGE;
		} else
			return pi_cli_usage_error("monitor", "bad option or value%s%s (--interval >= 0.5 s, --loss 0..100)",
						  optarg ? ": " : "", optarg ? optarg : "");
	}
	if (optind < argc)
		return pi_cli_usage_error("monitor", "unexpected argument '%s'", argv[optind]);
	return PI_EXIT_OK;
}

static int watch(struct pi_backend *b, const struct pi_plan *plan, struct pi_monitor_opts *o, struct mon_out *m)
{
	struct sigaction sa = { .sa_handler = on_signal };
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN); /* a hook that exits before reading its stdin must not end the monitor */
	o->cancel = &interrupted;
	o->event = on_event;
	o->tick = on_tick;
	o->ctx = m;
	struct pi_monitor_result r;
	struct pi_diag diag;
	pi_diag_init(&diag);
	if (!m->json)
		fprintf(stderr, "monitor: watching (Ctrl-C for the summary)\n");
	int rc = pi_apply_monitor(b, plan, o, &r, &diag);
	pi_diag_print(&diag, stderr);
	pi_diag_free(&diag);
	reap(m, true);
	if (rc)
		return rc == -ENOENT || rc == -EINVAL ? PI_EXIT_USAGE : PI_EXIT_FAIL;
	summary(plan, &r);
	pi_monitor_result_free(&r);
	return PI_EXIT_OK;
}

int pi_cmd_monitor(struct pi_cli *cli, int argc, char **argv)
{
	struct pi_monitor_opts o = { 0 };
	struct mon_out m = { .report = -1 };
	const char *report = NULL;
	int rc = parse(argc, argv, &o, &m, &report);
	if (rc)
		return rc;
	if (report && (m.report = open(report, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644)) < 0) {
		fprintf(stderr, "pocketinternet monitor: %s: %s (give a writable --report FILE)\n", report, strerror(errno));
		return PI_EXIT_FAIL;
	}
	struct pi_backend b;
	if ((rc = pi_cli_backend(&b)) == 0) {
		struct pi_lab *lab = NULL;
		struct pi_plan *plan = NULL;
		if ((rc = pi_cli_current_plan(cli, &b, &lab, &plan)) == 0)
			rc = watch(&b, plan, &o, &m);
		pi_plan_free(plan);
		pi_lab_free(lab);
		pi_backend_close(&b);
	}
	if (m.report >= 0)
		close(m.report);
	return rc;
}
