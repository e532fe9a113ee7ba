/* attach / detach: an external BGP speaker on the running lab. */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"

static volatile int interrupted;

static void on_sigint(int sig)
{
	(void)sig;
	interrupted = 1;
}

struct attach_args {
	struct pi_lab_external ext;
	const char *argv[PI_EXT_MAX_ARGS];
	struct pi_prefix px[PI_EXT_MAX_PREFIXES];
	bool json, have_asn, have_speaker;
	unsigned places;
};

static int take_place(struct attach_args *a, enum pi_attach where, const char *pod)
{
	a->ext.attach = where;
	a->ext.to = pod;
	a->places++;
	return PI_EXIT_OK;
}

static int take_option(struct attach_args *a, int c, const char *arg)
{
	char *end;
	switch (c) {
	case 'f': return pi_cli_format_json("attach", arg, &a->json) ? PI_EXIT_OK : PI_EXIT_USAGE;
	case 'a': {
		unsigned long long v = strtoull(arg, &end, 10);
		if (*end || !*arg || v < 1 || v > 4294967294ULL)
			return pi_cli_usage_error("attach", "--asn takes a number from 1 to 4294967294, not '%s'", arg);
		a->ext.asn = (uint32_t)v;
		a->have_asn = true;
		return PI_EXIT_OK;
	}
	case 's':
		if (pi_speaker_parse(arg, &a->ext.speaker) < 0)
			return pi_cli_usage_error("attach", "--speaker takes exabgp, gobgpd, frr or image, not '%s'", arg);
		a->have_speaker = true;
		return PI_EXIT_OK;
	case 'i': a->ext.image = arg; return PI_EXIT_OK;
	case 'N':
		if (!pi_netns_name_ok(arg))
			return pi_cli_usage_error("attach", "--netns takes a name of /run/netns, not '%s'", arg);
		a->ext.netns = arg;
		return PI_EXIT_OK;
	case 'C':
		if (a->ext.n_command >= PI_EXT_MAX_ARGS)
			return pi_cli_usage_error("attach", "at most %d --command words", PI_EXT_MAX_ARGS);
		a->argv[a->ext.n_command++] = arg;
		return PI_EXIT_OK;
	case 'p':
		if (a->ext.n_prefixes >= PI_EXT_MAX_PREFIXES || pi_prefix_parse(arg, &a->px[a->ext.n_prefixes]) < 0 ||
		    !strchr(arg, '/') || pi_prefix_has_host_bits(&a->px[a->ext.n_prefixes]))
			return pi_cli_usage_error("attach", "--prefix takes a network like 192.0.2.0/24, not '%s'", arg);
		a->ext.n_prefixes++;
		return PI_EXIT_OK;
	case 'X': return take_place(a, PI_ATTACH_IXP, arg);
	case 'U': return take_place(a, PI_ATTACH_CUSTOMER_OF, arg);
	case 'P': return take_place(a, PI_ATTACH_PEER_OF, arg);
	case 'V': return take_place(a, PI_ATTACH_PROVIDER_OF, arg);
	default: return pi_cli_usage_error("attach", "bad option");
	}
}

static int parse_attach(int argc, char **argv, struct attach_args *a)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },	 { "asn", required_argument, NULL, 'a' },
		{ "speaker", required_argument, NULL, 's' },	 { "image", required_argument, NULL, 'i' },
		{ "command", required_argument, NULL, 'C' },	 { "prefix", required_argument, NULL, 'p' },
		{ "ixp", required_argument, NULL, 'X' },	 { "customer-of", required_argument, NULL, 'U' },
		{ "peer-of", required_argument, NULL, 'P' },	 { "provider-of", required_argument, NULL, 'V' },
		{ "netns", required_argument, NULL, 'N' },
		{ NULL, 0, NULL, 0 },
	};
	int c, rc;
	a->ext.command = a->argv;
	a->ext.prefixes = a->px;
	optind = 0; /* glibc: start afresh and permute, so NAME may come first */
	while ((c = getopt_long(argc, argv, "f:a:s:i:C:p:", opts, NULL)) != -1)
		if ((rc = take_option(a, c, optarg)))
			return rc;
	if (argc - optind != 1)
		return pi_cli_usage_error("attach", "expected one NAME for the speaker");
	a->ext.name = argv[optind];
	if (!a->have_asn || !a->have_speaker)
		return pi_cli_usage_error("attach", "give --asn N and --speaker exabgp|gobgpd|frr|image");
	if (a->places != 1)
		return pi_cli_usage_error("attach", "give exactly one of --ixp, --customer-of, --peer-of, --provider-of");
	if ((a->ext.image || a->ext.n_command) && a->ext.speaker != PI_SPEAKER_IMAGE)
		return pi_cli_usage_error("attach", "--image and --command go with --speaker image");
	if (a->ext.speaker == PI_SPEAKER_IMAGE && !a->ext.image)
		return pi_cli_usage_error("attach", "--speaker image needs --image NAME");
	if (a->ext.netns && a->ext.speaker == PI_SPEAKER_IMAGE)
		return pi_cli_usage_error("attach", "--netns runs what you started there: give --speaker exabgp, gobgpd "
						    "or frr for its example configuration, not image");
	a->ext.pos = (struct pi_pos){ "attach", 0, 0 };
	return PI_EXIT_OK;
}

static void print_result(const char *cmd, const char *lab, const char *name, const struct pi_apply_result *res,
			 int arc, bool json)
{
	if (json) {
		json_t *j = json_pack("{s:s, s:s, s:s, s:b, s:i, s:i, s:i, s:i, s:f}", "lab", lab, "action", cmd, "speaker",
				      name, "ok", arc == 0, "created", res->containers, "removed", res->removed,
				      "reconfigured", res->reconfigured, "kept", res->kept, "seconds", res->total_s);
		char *t = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		printf("%s\n", t);
		free(t);
		json_decref(j);
	} else if (arc == 0) {
		printf("%s %s lab '%s' in %.1fs: %u node%s created, %u removed, %u reconfigured, %u kept as they ran\n",
		       name, strcmp(cmd, "attach") == 0 ? "attached to" : "detached from", lab, res->total_s,
		       res->containers, res->containers == 1 ? "" : "s", res->removed, res->reconfigured, res->kept);
		if (strcmp(cmd, "attach") == 0)
			printf("Its starting configuration and README: pocketinternet exec %s-speaker1 -- cat /config/README\n",
			       name);
	}
}

/* Loads the running lab (with what attach added before) and its pins, runs fn. */
static int on_running(struct pi_cli *cli, const char *cmd, bool json, const char *name,
		      int (*fn)(struct pi_backend *, struct pi_lab *, const struct pi_plan_pins *, const void *,
				const struct pi_apply_opts *, struct pi_apply_result *, struct pi_diag *),
		      const void *arg)
{
	struct pi_backend b;
	int rc = pi_cli_backend(&b);
	if (rc)
		return rc;
	struct pi_lab *lab = NULL;
	struct pi_plan *plan = NULL;
	cli->pinned = true;
	if ((rc = pi_cli_current_plan(cli, &b, &lab, &plan)))
		goto out;
	struct pi_cli_display disp;
	pi_cli_display_init(&disp, cli->quiet || json);
	char lab_path[4096];
	struct pi_apply_opts ao = { .progress = pi_cli_show_progress, .ctx = &disp, .cancel = &interrupted,
				    .lab_file = realpath(plan->lab_file, lab_path) ? lab_path : plan->lab_file };
	struct pi_apply_result res = { 0 };
	struct pi_diag diag;
	pi_diag_init(&diag);
	struct sigaction sa = { .sa_handler = on_sigint };
	sigaction(SIGINT, &sa, NULL);
	int arc = fn(&b, lab, cli->pins, arg, &ao, &res, &diag);
	signal(SIGINT, SIG_DFL);
	if (disp.tty && !disp.quiet && disp.last != PI_PHASE_COUNT)
		fputc('\n', stderr);
	pi_diag_print(&diag, stderr);
	rc = arc == -EINVAL || arc == -ENOENT ? PI_EXIT_USAGE : arc ? PI_EXIT_FAIL : PI_EXIT_OK;
	pi_diag_free(&diag);
	print_result(cmd, plan->lab_name, name, &res, arc, json);
out:
	pi_plan_free(plan);
	pi_lab_free(lab);
	pi_plan_pins_free(cli->pins);
	cli->pins = NULL;
	pi_backend_close(&b);
	return rc;
}

static int do_attach(struct pi_backend *b, struct pi_lab *lab, const struct pi_plan_pins *pins, const void *arg,
		     const struct pi_apply_opts *ao, struct pi_apply_result *res, struct pi_diag *diag)
{
	return pi_apply_attach(b, lab, pins, arg, ao, res, diag);
}

static int do_detach(struct pi_backend *b, struct pi_lab *lab, const struct pi_plan_pins *pins, const void *arg,
		     const struct pi_apply_opts *ao, struct pi_apply_result *res, struct pi_diag *diag)
{
	return pi_apply_detach(b, lab, pins, arg, ao, res, diag);
}

int pi_cmd_attach(struct pi_cli *cli, int argc, char **argv)
{
	struct attach_args a = { 0 };
	int rc = parse_attach(argc, argv, &a);
	if (rc)
		return rc;
	return on_running(cli, "attach", a.json, a.ext.name, do_attach, &a.ext);
}

int pi_cmd_detach(struct pi_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = { { "format", required_argument, NULL, 'f' }, { NULL, 0, NULL, 0 } };
	bool json = false;
	int c;
	optind = 0; /* glibc: start afresh and permute, so NAME may come first */
	while ((c = getopt_long(argc, argv, "f:", opts, NULL)) != -1)
		if (c != 'f')
			return pi_cli_usage_error("detach", "bad option");
		else if (!pi_cli_format_json("detach", optarg, &json))
			return PI_EXIT_USAGE;
	if (argc - optind != 1)
		return pi_cli_usage_error("detach", "expected the NAME of an attached speaker");
	return on_running(cli, "detach", json, argv[optind], do_detach, argv[optind]);
}
