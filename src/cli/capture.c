/* capture WHAT...: packets of a running lab as pcapng (or pcap), streamed. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli.h"
#include "pocketinternet/pcapng.h"

static volatile int interrupted;

static void on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

struct capture_args {
	const char *out;  /* NULL: stdout when it is not a terminal */
	struct pi_capture_opts opts;
	bool pcap, quiet, json;
	const char *const *specs;
	size_t n_specs;
};

/* The progress line on stderr: redrawn in place on a terminal. */
struct progress {
	bool on, tty, drawn;
	double last, start;
	uint64_t packets;
	size_t n_ifaces;
	struct pi_capture *c;
	struct pi_pcap_writer *w;
};

static bool parse_number(const char *opt, const char *s, double max, double *out)
{
	char *end;
	errno = 0;
	*out = strtod(s, &end);
	if (errno || end == s || *end || !(*out > 0) || *out > max) {
		pi_cli_usage_error("capture", "%s takes a positive number up to %.0f, not '%s'", opt, max, s);
		return false;
	}
	return true;
}

static int parse_option(int c, struct capture_args *a)
{
	double v;
	switch (c) {
	case 'w':
		a->out = optarg;
		return PI_EXIT_OK;
	case 'f':
		a->opts.filter = optarg;
		return PI_EXIT_OK;
	case 'c':
		if (!parse_number("-c", optarg, 1e15, &v))
			return PI_EXIT_USAGE;
		if (v != (double)(uint64_t)v)
			return pi_cli_usage_error("capture", "-c takes a whole number of packets, not '%s'", optarg);
		a->opts.count = (uint64_t)v;
		return PI_EXIT_OK;
	case 'd':
		return parse_number("--duration", optarg, 1e7, &a->opts.duration_s) ? PI_EXIT_OK : PI_EXIT_USAGE;
	case 's':
		if (!parse_number("-s", optarg, PI_PCAP_SNAPLEN_DEFAULT, &v))
			return PI_EXIT_USAGE;
		if (v < 64 || v != (double)(uint32_t)v)
			return pi_cli_usage_error("capture", "-s takes 64 to %u bytes", PI_PCAP_SNAPLEN_DEFAULT);
		a->opts.snaplen = (uint32_t)v;
		return PI_EXIT_OK;
	case 'p':
		a->pcap = true;
		return PI_EXIT_OK;
	case 'q':
		a->quiet = true;
		return PI_EXIT_OK;
	case 'F':
		return pi_cli_format_json("capture", optarg, &a->json) ? PI_EXIT_OK : PI_EXIT_USAGE;
	default:
		return pi_cli_usage_error("capture", "bad option");
	}
}

static int parse_args(int argc, char **argv, struct capture_args *a)
{
	static const struct option opts[] = {
		{ "write", required_argument, NULL, 'w' },   { "filter", required_argument, NULL, 'f' },
		{ "count", required_argument, NULL, 'c' },   { "duration", required_argument, NULL, 'd' },
		{ "snaplen", required_argument, NULL, 's' }, { "pcap", no_argument, NULL, 'p' },
		{ "quiet", no_argument, NULL, 'q' },         { "format", required_argument, NULL, 'F' },
		{ "json", no_argument, NULL, 'J' },          { NULL, 0, NULL, 0 },
	};
	int c, rc;
	/* 0, not 1: glibc then forgets main's "+" (stop at the first
	 * non-option) and takes options after the names too. */
	optind = 0;
	while ((c = getopt_long(argc, argv, "w:f:c:d:s:q", opts, NULL)) != -1)
		if (c == 'J')
			a->json = true;
		else if ((rc = parse_option(c, a)))
			return rc;
	if (optind >= argc)
		return pi_cli_usage_error("capture", "say what to capture: NODE:IFACE, NODE, a link or a LAN "
						     "('pocketinternet link list' shows them)");
	a->specs = (const char *const *)argv + optind;
	a->n_specs = (size_t)(argc - optind);
	if (!a->out && isatty(STDOUT_FILENO)) {
		fprintf(stderr, "pocketinternet capture: not writing binary pcapng to a terminal\n"
				"  hint: use -w FILE, or pipe it: ... | tshark -r -   or   ... | wireshark -k -i -\n");
		return PI_EXIT_USAGE;
	}
	if (!a->out)
		a->out = "-";
	if (strcmp(a->out, "-") == 0 && isatty(STDOUT_FILENO)) {
		fprintf(stderr, "pocketinternet capture: -w - writes binary pcapng, and stdout is a terminal\n"
				"  hint: use -w FILE, or pipe it into tshark -r - or wireshark -k -i -\n");
		return PI_EXIT_USAGE;
	}
	return PI_EXIT_OK;
}

static void progress_line(struct progress *p, bool final)
{
	double now = pi_monotonic();
	if (!p->on || (!final && (!p->tty || now - p->last < 0.2)))
		return;
	p->last = now;
	fprintf(stderr, "%scapturing on %zu interface%s ... %llu packet%s%s", p->tty ? "\r" : "", p->n_ifaces,
		p->n_ifaces == 1 ? "" : "s", (unsigned long long)p->packets, p->packets == 1 ? "" : "s",
		final || !p->tty ? "\n" : "");
	p->drawn = p->tty && !final;
}

static int on_packet(void *ctx, const struct pi_capture_packet *pkt)
{
	struct progress *p = ctx;
	int rc = pi_apply_capture_write_packet(p->w, pkt);
	if (rc == 0) {
		p->packets++;
		progress_line(p, false);
	}
	return rc;
}

static void on_note(void *ctx, uint32_t iface, const char *what)
{
	struct progress *p = ctx;
	if (p->drawn)
		fputc('\n', stderr);
	p->drawn = false;
	fprintf(stderr, "pocketinternet capture: %s %s\n", pi_apply_capture_target(p->c, iface)->label, what);
}

static void start_banner(const struct capture_args *a, struct progress *p)
{
	if (!p->on)
		return;
	fprintf(stderr, "capturing on %zu interface%s:", p->n_ifaces, p->n_ifaces == 1 ? "" : "s");
	for (size_t i = 0; i < p->n_ifaces; i++)
		fprintf(stderr, " %s", pi_apply_capture_target(p->c, i)->label);
	fprintf(stderr, "%s%s%s (%s to %s; Ctrl-C stops)\n", a->opts.filter ? ", filter '" : "",
		a->opts.filter ? a->opts.filter : "", a->opts.filter ? "'" : "", a->pcap ? "pcap" : "pcapng",
		strcmp(a->out, "-") == 0 ? "stdout" : a->out);
}

static const char *stop_word(int rc, const struct pi_capture_stats *st)
{
	if (rc == -EPIPE)
		return "reader-closed";
	if (rc)
		return "error";
	switch (st->stop) {
	case PI_CAPTURE_COUNT:
		return "count";
	case PI_CAPTURE_DURATION:
		return "duration";
	case PI_CAPTURE_CANCEL:
		return "interrupted";
	default:
		return "error";
	}
}

static void summary(const struct capture_args *a, struct progress *p, const struct pi_capture_stats *st,
		    int rc, double secs)
{
	FILE *out = strcmp(a->out, "-") == 0 ? stderr : stdout;
	if (a->json) {
		json_t *ifs = json_array();
		for (size_t i = 0; i < p->n_ifaces; i++) {
			const struct pi_capture_target *t = pi_apply_capture_target(p->c, i);
			json_array_append_new(ifs, json_pack("{s:s, s:s}", "name", t->label, "description", t->descr));
		}
		json_t *j = json_pack("{s:s, s:s, s:o, s:I, s:I, s:f, s:s}", "file", a->out, "format",
				      a->pcap ? "pcap" : "pcapng", "interfaces", ifs, "packets", (json_int_t)st->packets,
				      "dropped", (json_int_t)st->drops, "seconds", secs, "stopped_by", stop_word(rc, st));
		char *text = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		fprintf(out, "%s\n", text);
		free(text);
		json_decref(j);
		return;
	}
	progress_line(p, true);
	if (p->on && st->drops)
		fprintf(stderr, "pocketinternet capture: the kernel dropped %llu packets (the output was too slow)\n",
			(unsigned long long)st->drops);
}

static int open_output(const char *path)
{
	if (strcmp(path, "-") == 0)
		return STDOUT_FILENO;
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		fprintf(stderr, "pocketinternet capture: %s: %s\n  hint: name a file you can write with -w FILE\n", path,
			strerror(errno));
	return fd;
}

static void catch_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal }; /* no SA_RESTART: poll returns at once */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN); /* a reader that went away is -EPIPE: a normal end */
}

/* Writes the header, captures, reports. */
static int run(const struct capture_args *a, struct pi_capture *c, struct progress *p)
{
	struct pi_pcap_writer w;
	p->c = c; /* the note callback's ctx is p too */
	p->w = &w;
	p->n_ifaces = pi_apply_capture_count(c);
	p->start = pi_monotonic();
	int fd = open_output(a->out);
	if (fd < 0)
		return PI_EXIT_FAIL;
	int rc = pi_apply_capture_writer_begin(c, &w, a->pcap, pi_pcap_write_fd, &fd);
	struct pi_capture_stats st = { 0 };
	start_banner(a, p);
	if (rc == 0)
		rc = pi_apply_capture_run(c, on_packet, p, &st);
	summary(a, p, &st, rc, pi_monotonic() - p->start);
	if (rc && rc != -EPIPE)
		fprintf(stderr, "pocketinternet capture: %s: %s\n", strcmp(a->out, "-") ? a->out : "output",
			strerror(-rc));
	pi_pcap_writer_free(&w);
	if (fd != STDOUT_FILENO && close(fd) && rc == 0) {
		fprintf(stderr, "pocketinternet capture: %s: %s\n", a->out, strerror(errno));
		rc = -errno;
	}
	return rc && rc != -EPIPE ? PI_EXIT_FAIL : PI_EXIT_OK;
}

static int open_capture(struct capture_args *a, struct pi_backend *b, struct pi_plan *plan,
			struct pi_capture **c)
{
	struct pi_diag diag;
	pi_diag_init(&diag);
	int rc = pi_apply_capture_open(b, plan, a->specs, a->n_specs, &a->opts, c, &diag);
	pi_diag_print(&diag, stderr);
	pi_diag_free(&diag);
	if (rc)
		return rc == -ENOENT || rc == -EINVAL ? PI_EXIT_USAGE : PI_EXIT_FAIL;
	size_t n = pi_apply_capture_count(*c);
	if (a->pcap && n != 1) {
		pi_apply_capture_close(*c);
		*c = NULL;
		return pi_cli_usage_error("capture", "--pcap holds one interface, and %zu were named; leave --pcap "
						     "out for pcapng",
					  n);
	}
	return PI_EXIT_OK;
}

int pi_cmd_capture(struct pi_cli *cli, int argc, char **argv)
{
	struct capture_args a = { .quiet = cli->quiet };
	int rc = parse_args(argc, argv, &a);
	if (rc)
		return rc;
	struct pi_backend b;
	struct pi_lab *lab = NULL;
	struct pi_plan *plan = NULL;
	struct pi_capture *c = NULL;
	struct progress p = { .on = !a.quiet, .tty = isatty(STDERR_FILENO) };
	if ((rc = pi_cli_backend(&b)))
		return rc;
	catch_signals();
	a.opts.cancel = &interrupted;
	a.opts.note = on_note;
	a.opts.note_ctx = &p;
	if ((rc = pi_cli_current_plan(cli, &b, &lab, &plan)) == 0 && (rc = open_capture(&a, &b, plan, &c)) == 0)
		rc = run(&a, c, &p);
	pi_apply_capture_close(c);
	pi_plan_free(plan);
	pi_lab_free(lab);
	pi_backend_close(&b);
	return rc;
}
