/* setup / teardown: the trainer's two main commands. */
#include <errno.h>
#include <getopt.h>
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

struct display {
	bool tty;
	bool quiet;
	enum pi_phase last;
	double phase_start;
	size_t last_done;
	char last_detail[256];
};

/* One line per phase; on a terminal it redraws in place with a bar. */
static void show_progress(void *ctx, enum pi_phase phase, size_t done, size_t total, const char *detail)
{
	struct display *d = ctx;
	if (d->quiet)
		return;
	double now = pi_monotonic();
	if (phase != d->last) {
		if (d->tty && d->last != PI_PHASE_COUNT)
			fputc('\n', stderr);
		d->last = phase;
		d->phase_start = now;
		d->last_done = (size_t)-1;
		if (!d->tty) {
			fprintf(stderr, "[%d/%d] %-8s %s\n", phase + 1, PI_PHASE_COUNT, pi_phase_name(phase),
				detail ? detail : "");
			d->last_done = done;
			snprintf(d->last_detail, sizeof(d->last_detail), "%s", detail ? detail : "");
			return;
		}
	}
	if (d->tty) {
		char bar[21];
		size_t fill = total ? done * 20 / total : 0;
		for (size_t i = 0; i < 20; i++)
			bar[i] = i < fill ? '#' : '.';
		bar[20] = '\0';
		fprintf(stderr, "\r[%d/%d] %-8s [%s] %zu/%zu %5.1fs %s\033[K", phase + 1, PI_PHASE_COUNT,
			pi_phase_name(phase), bar, done, total, now - d->phase_start, detail ? detail : "");
	} else if ((phase == PI_PHASE_CONVERGE || phase == PI_PHASE_IMAGE) && detail &&
		   (done != d->last_done || strcmp(detail, d->last_detail) != 0)) {
		/* Plain logs (CI): convergence and image-build steps, only when
		 * something changed. */
		fprintf(stderr, "         %5.1fs %s\n", now - d->phase_start, detail);
	}
	d->last_done = done;
	snprintf(d->last_detail, sizeof(d->last_detail), "%s", detail ? detail : "");
	fflush(stderr);
}

int pi_cmd_setup(struct pi_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "parallel", required_argument, NULL, 'j' },
		{ "timeout", required_argument, NULL, 't' },
		{ "image", required_argument, NULL, 'i' },
		{ "no-build", no_argument, NULL, 'n' },
		{ "keep-on-error", no_argument, NULL, 'k' },
		{ NULL, 0, NULL, 0 },
	};
	struct pi_apply_opts ao = { .build_image = true };
	bool keep = false;
	int c;
	while ((c = getopt_long(argc, argv, "c:j:t:i:nk", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			cli->lab_file = optarg;
			break;
		case 'j':
			ao.parallel = (unsigned)atoi(optarg);
			if (ao.parallel < 1 || ao.parallel > 64)
				return pi_cli_usage_error("setup", "--parallel takes 1 to 64");
			break;
		case 't':
			ao.converge_timeout_s = (unsigned)atoi(optarg);
			if (ao.converge_timeout_s < 1)
				return pi_cli_usage_error("setup", "--timeout takes seconds (> 0)");
			break;
		case 'i':
			ao.image = optarg;
			break;
		case 'n':
			ao.build_image = false;
			break;
		case 'k':
			keep = true;
			break;
		default:
			return pi_cli_usage_error("setup", "bad option");
		}
	}
	if (optind < argc)
		return pi_cli_usage_error("setup", "unexpected argument '%s'", argv[optind]);
	if (geteuid() != 0) {
		fprintf(stderr, "pocketinternet setup: must run as root (it creates network namespaces and veths)\n"
				"  hint: sudo pocketinternet setup\n");
		return PI_EXIT_USAGE;
	}

	double t0 = pi_monotonic();
	struct pi_lab *lab;
	struct pi_plan *plan;
	int rc = pi_cli_load_plan(cli, &lab, &plan);
	if (rc)
		return rc;
	double plan_s = pi_monotonic() - t0;

	struct pi_docker *d = pi_cli_docker();
	if (!d) {
		rc = PI_EXIT_FAIL;
		pi_plan_free(plan);
		pi_lab_free(lab);
		return rc;
	}
	struct pi_diag diag;
	pi_diag_init(&diag);
	/* Docker's own bridges must not sit inside the lab's address space. */
	int clash = pi_docker_check_clash(d, &plan->v4, &plan->v6, &diag);
	if (!clash && plan->legacy) {
		/* The original format's flat backbone lives outside the lab's 10/8. */
		struct pi_prefix bb4, bb6;
		pi_prefix_parse("172.16.0.0/12", &bb4);
		pi_prefix_parse("fd00::/16", &bb6);
		clash = pi_docker_check_clash(d, &bb4, &bb6, &diag);
	}
	if (clash) {
		pi_diag_print(&diag, stderr);
		fprintf(stderr, "pocketinternet setup: Docker's networks overlap the lab's address space\n"
				"  hint: run 'pocketinternet -c %s configure-docker' (as root), then setup again\n",
			plan->lab_file);
		rc = clash == -EADDRINUSE ? PI_EXIT_USAGE : PI_EXIT_FAIL;
		goto out;
	}

	struct display disp = { .tty = isatty(2), .quiet = cli->quiet, .last = PI_PHASE_COUNT };
	ao.progress = show_progress;
	ao.ctx = &disp;
	ao.cancel = &interrupted;
	struct sigaction sa = { .sa_handler = on_sigint };
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (!cli->quiet)
		fprintf(stderr, "pocketinternet: bringing up lab '%s': %u pods, %u nodes, %u links, %u BGP sessions\n",
			plan->lab_name, plan->n_pods, plan->n_nodes, plan->n_links, plan->n_sessions);
	struct pi_apply_result res;
	int arc = pi_apply_setup(d, plan, &ao, &res, &diag);
	res.phase_s[PI_PHASE_PLAN] = plan_s;
	if (disp.tty && !cli->quiet)
		fputc('\n', stderr);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	pi_diag_print(&diag, stderr);

	if (res.already_up) {
		printf("lab '%s' is already up (%u nodes running): nothing to do.\n"
		       "  pocketinternet status    to see its state\n"
		       "  pocketinternet teardown  to remove it\n",
		       plan->lab_name, plan->n_nodes);
		rc = PI_EXIT_OK;
		goto out;
	}
	if (arc) {
		if (arc == -EEXIST) {
			rc = PI_EXIT_FAIL;
			goto out;
		}
		fprintf(stderr, "pocketinternet setup: %s\n",
			arc == -ECANCELED ? "interrupted" : "failed");
		if (keep) {
			fprintf(stderr, "  kept what was made (--keep-on-error); remove it with 'pocketinternet teardown --lab %s'\n",
				plan->lab_name);
		} else {
			struct pi_teardown_result tr;
			struct pi_diag td;
			pi_diag_init(&td);
			fprintf(stderr, "  removing what was made...\n");
			if (pi_apply_teardown(d, plan->lab_name, NULL, ao.parallel, &tr, &td)) {
				pi_diag_print(&td, stderr);
				fprintf(stderr, "  hint: run 'pocketinternet teardown --lab %s'\n", plan->lab_name);
			} else {
				fprintf(stderr, "  removed %u containers\n", tr.containers);
			}
			pi_diag_free(&td);
		}
		rc = PI_EXIT_FAIL;
		goto out;
	}

	printf("\nlab '%s' is up in %.1fs%s\n", plan->lab_name, pi_monotonic() - t0,
	       res.converged ? "" : " (NOT converged)");
	printf("  nodes      %u containers, %u links\n", res.containers, res.links);
	printf("  ASes       %u pods\n", plan->n_pods);
	printf("  BGP        %u/%u sessions Established\n", res.sessions_up, res.sessions_total);
	printf("  DNS        %u/%u resolvers answer through the pocket root\n", res.resolvers_up, res.resolvers_total);
	printf("  phases    ");
	for (int p = 0; p < PI_PHASE_COUNT; p++)
		printf(" %s %.1fs", pi_phase_name((enum pi_phase)p), res.phase_s[p]);
	printf("\n\n");
	uint32_t client = PI_NONE;
	for (uint32_t i = 0; i < plan->n_nodes && client == PI_NONE; i++)
		if (plan->nodes[i].services & PI_SVC_CLIENT)
			client = i;
	const char *example = client != PI_NONE ? plan->nodes[client].name : plan->n_nodes ? plan->nodes[0].name : "NODE";
	printf("Get a shell:   pocketinternet shell %s\n", example);
	printf("Run a command: pocketinternet exec %s -- traceroute www.%s.%s\n", example,
	       plan->n_pods ? plan->pods[plan->n_pods - 1].name : "pod", plan->tld);
	printf("State:         pocketinternet status    Remove: pocketinternet teardown\n");
	if (!res.converged) {
		fprintf(stderr, "pocketinternet setup: the lab did not converge within the timeout; see 'pocketinternet status'\n");
		rc = PI_EXIT_FAIL;
	}
out:
	pi_diag_free(&diag);
	pi_docker_free(d);
	pi_plan_free(plan);
	pi_lab_free(lab);
	return rc;
}

int pi_cmd_teardown(struct pi_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "lab", required_argument, NULL, 'l' },
		{ "all", no_argument, NULL, 'a' },
		{ NULL, 0, NULL, 0 },
	};
	const char *lab_name = NULL;
	bool all = false;
	int c;
	while ((c = getopt_long(argc, argv, "c:l:a", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			cli->lab_file = optarg;
			cli->lab_file_given = true;
			break;
		case 'l':
			lab_name = optarg;
			break;
		case 'a':
			all = true;
			break;
		default:
			return pi_cli_usage_error("teardown", "bad option");
		}
	}
	if (optind < argc)
		return pi_cli_usage_error("teardown", "unexpected argument '%s'", argv[optind]);
	if ((all && lab_name) || (all && cli->lab_file_given) || (lab_name && cli->lab_file_given))
		return pi_cli_usage_error("teardown", "give only one of -c FILE, --lab NAME and --all");
	if (geteuid() != 0) {
		fprintf(stderr, "pocketinternet teardown: must run as root\n  hint: sudo pocketinternet teardown\n");
		return PI_EXIT_USAGE;
	}
	struct pi_lab *lab = NULL;
	if (!all && !lab_name) {
		/* Only the name is needed: a lab file that no longer plans still names its lab. */
		struct pi_diag diag;
		pi_diag_init(&diag);
		const char *file = cli->lab_file ? cli->lab_file : pi_default_lab_file();
		if (pi_lab_load(file, cli->blueprint_dir, &lab, &diag)) {
			pi_diag_print(&diag, stderr);
			fprintf(stderr, "  hint: 'pocketinternet teardown --lab NAME' or '--all' need no lab file\n");
			pi_diag_free(&diag);
			return PI_EXIT_USAGE;
		}
		pi_diag_free(&diag);
		lab_name = lab->name;
	}
	int rc = PI_EXIT_OK;
	struct pi_docker *d = pi_cli_docker();
	if (!d) {
		rc = PI_EXIT_FAIL;
		pi_lab_free(lab);
		return rc;
	}
	struct pi_diag diag;
	pi_diag_init(&diag);
	struct pi_teardown_result res;
	int trc = pi_apply_teardown(d, all ? NULL : lab_name, NULL, 0, &res, &diag);
	pi_diag_print(&diag, stderr);
	if (!cli->quiet)
		printf("%s %s: removed %u containers, %u network namespaces, %u state directories\n",
		       trc ? "partly tore down" : "tore down", all ? "all labs" : lab_name, res.containers, res.netns,
		       res.state_dirs);
	pi_diag_free(&diag);
	pi_docker_free(d);
	pi_lab_free(lab);
	return trc ? PI_EXIT_FAIL : PI_EXIT_OK;
}
