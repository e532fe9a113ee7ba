/*
 * configure-docker: moves Docker's own networks (docker0 and the pools new
 * networks come from) out of the lab's address space and the host's routes
 * by editing /etc/docker/daemon.json, then restarts the engine so it takes
 * effect. This file parses arguments and prints; the work is
 * pi_docker_configure() in the runtime module.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli.h"
#include "pocketinternet/backend.h"

static const char restart_by_hand[] =
	"dockerd is not managed by systemd here; restart it so it reads the new file:\n"
	"  scripts/start-dockerd.sh --restart\n"
	"or by hand:\n"
	"  kill $(cat /var/run/docker.pid)   # then wait until dockerd has exited\n"
	"  nohup dockerd >/var/log/dockerd.log 2>&1 &\n";

struct args {
	struct pi_docker_configure_opts o;
	bool json;
};

static int parse_args(int argc, char **argv, struct args *a)
{
	static const struct option opts[] = {
		{ "dry-run", no_argument, NULL, 'n' },
		{ "file", required_argument, NULL, 'f' },
		{ "no-restart", no_argument, NULL, 'R' },
		{ "force", no_argument, NULL, 'F' },
		{ "format", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "nf:", opts, NULL)) != -1) {
		switch (c) {
		case 'n': a->o.dry_run = true; break;
		/* Another file is not the running engine's: never restart for it. */
		case 'f': a->o.path = optarg; a->o.no_restart = true; break;
		case 'R': a->o.no_restart = true; break;
		case 'F': a->o.force = true; break;
		case 'o':
			if (strcmp(optarg, "json") && strcmp(optarg, "text"))
				return pi_cli_usage_error("configure-docker", "unknown format '%s' (use text or json)",
							  optarg);
			a->json = strcmp(optarg, "json") == 0;
			break;
		default:
			return pi_cli_usage_error("configure-docker", "unknown option");
		}
	}
	if (optind < argc)
		return pi_cli_usage_error("configure-docker", "unexpected argument '%s'", argv[optind]);
	return PI_EXIT_OK;
}

/* Every address space the lab's plan uses (the default lab without -c). */
static int lab_avoid(struct pi_cli *cli, struct pi_vec *avoid, char *desc, size_t desc_len)
{
	struct pi_lab *lab = NULL;
	struct pi_plan *plan = NULL;
	int rc = pi_cli_load_plan(cli, &lab, &plan);
	if (rc)
		return rc;
	pi_plan_address_spaces(plan, avoid);
	int n = snprintf(desc, desc_len, "lab %s (", plan->lab_name);
	for (size_t i = 0; i < avoid->len && n > 0 && (size_t)n < desc_len; i++) {
		char p[PI_PREFIX_STRLEN];
		n += snprintf(desc + n, desc_len - (size_t)n, "%s%s", i ? ", " : "",
			      pi_prefix_fmt(pi_vec_at(avoid, i), p));
	}
	if (n > 0 && (size_t)n < desc_len)
		snprintf(desc + n, desc_len - (size_t)n, ")");
	pi_plan_free(plan);
	pi_lab_free(lab);
	return PI_EXIT_OK;
}

static void print_names(const char *what, const struct pi_vec *v)
{
	printf("%zu %s container%s running:", v->len, what, v->len == 1 ? " is" : "s are");
	for (size_t i = 0; i < v->len; i++)
		printf("%s %s", i ? "," : "", ((struct pi_container_summary *)pi_vec_at(v, i))->name);
	printf("\n");
}

static void print_restart(const struct pi_docker_configure_result *r, const char *why_not)
{
	switch (r->restart.decision) {
	case PI_DOCKER_RESTART_NOT_NEEDED:
		break;
	case PI_DOCKER_RESTART_NOT_ASKED:
		printf("the engine was not restarted (%s); it reads the file when it next starts\n", why_not);
		break;
	case PI_DOCKER_RESTART_REFUSED_LAB:
		print_names("pocketinternet", &r->restart.lab);
		printf("The engine was not restarted, it would stop them: run `pocketinternet teardown`, then "
		       "`systemctl restart docker` (or configure-docker --force).\n");
		break;
	case PI_DOCKER_RESTART_REFUSED_OTHER:
		print_names("other", &r->restart.other);
		printf("The engine was not restarted, it would stop them (live-restore is off): stop them first, "
		       "or run configure-docker --force, or restart the engine yourself when convenient.\n");
		break;
	case PI_DOCKER_RESTART_BY_HAND:
		fputs(restart_by_hand, stdout);
		break;
	case PI_DOCKER_RESTART_SYSTEMCTL:
		printf("restarted the engine (systemctl restart docker)%s\n",
		       r->restarted ? "; it is back with the new settings" : ", but it did not come back");
		break;
	}
}

static void print_text(struct pi_cli *cli, const struct args *a, const struct pi_docker_configure_result *r,
		       const char *lab_desc)
{
	const char *path = a->o.path ? a->o.path : PI_DAEMON_JSON;
	char p[PI_PREFIX_STRLEN];
	FILE *info = a->o.dry_run ? stderr : stdout;
	if (!cli->quiet) {
		fprintf(info, "keeping Docker out of 10.0.0.0/8, 100.64.0.0/10, 172.16.0.0/12, %s", lab_desc);
		for (size_t i = 0; i < r->host_avoid.len; i++)
			fprintf(info, "%s%s", i ? ", " : " and the host's routes ", pi_prefix_fmt(pi_vec_at(&r->host_avoid, i), p));
		fprintf(info, "\n");
		if (r->changed)
			fprintf(info, "%s%s:\n", a->o.dry_run ? "would change " : "changes to ", path);
		for (const char *s = r->changes.data ? r->changes.data : ""; *s;) {
			size_t n = strcspn(s, "\n");
			fprintf(info, "  %.*s\n", (int)n, s);
			s += n + (s[n] == '\n');
		}
	}
	if (a->o.dry_run) {
		if (r->bom)
			fputs("\xEF\xBB\xBF", stdout);
		fputs(r->json, stdout);
		return;
	}
	if (!r->changed) {
		printf("%s already keeps Docker out of the lab's space and the host's routes; nothing to do\n", path);
		return;
	}
	if (r->backup[0])
		printf("backup of the previous file: %s\n", r->backup);
	printf("wrote %s\n", r->target);
	print_restart(r, a->o.path ? "--file given" : "--no-restart");
}

int pi_cmd_configure_docker(struct pi_cli *cli, int argc, char **argv)
{
	struct args a = { { 0 }, false };
	struct pi_docker_configure_result res;
	struct pi_diag diag;
	struct pi_vec avoid = PI_VEC_INIT(struct pi_prefix);
	char lab_desc[256];
	pi_docker_configure_result_init(&res);
	pi_diag_init(&diag);

	int rc = PI_EXIT_OK;
	if (pi_cli_wants_help(pi_cli_find("configure-docker"), argc, argv))
		goto out;
	rc = parse_args(argc, argv, &a);
	if (rc)
		goto out;
	if (!a.o.dry_run && geteuid() != 0) {
		fprintf(stderr, "error: configure-docker rewrites %s and restarts the Docker engine\n"
				"  hint: run it as root (sudo pocketinternet configure-docker), or add --dry-run to see the result\n",
			a.o.path ? a.o.path : PI_DAEMON_JSON);
		rc = PI_EXIT_FAIL;
		goto out;
	}
	rc = lab_avoid(cli, &avoid, lab_desc, sizeof(lab_desc));
	if (rc)
		goto out;
	a.o.avoid = avoid.data;
	a.o.n_avoid = avoid.len;
	int crc = pi_docker_configure(&a.o, &res, &diag);
	pi_diag_print(&diag, stderr);
	/* A refused restart leaves a written file: report it all the same. */
	if (crc && !res.written) {
		rc = crc == -EINVAL || crc == -EILSEQ ? PI_EXIT_USAGE : PI_EXIT_FAIL;
		goto out;
	}
	if (a.json) {
		char *s = pi_docker_configure_result_json(&res);
		puts(s);
		free(s);
	} else {
		print_text(cli, &a, &res, lab_desc);
	}
	rc = crc ? PI_EXIT_FAIL : PI_EXIT_OK;
out:
	pi_vec_free(&avoid);
	pi_docker_configure_result_free(&res);
	pi_diag_free(&diag);
	return rc;
}
