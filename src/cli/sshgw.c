/* ssh-gateway: SSH per team, one port each, sshd -i in the team's border
 * router (library: src/apply/sshgw.c; docs/security.md). Also run by
 * `serve --ssh` (pi_cli_sshgw_start). */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"

static struct pi_sshgw *running;

static void on_signal(int sig)
{
	(void)sig;
	if (running)
		pi_sshgw_stop(running);
}

int pi_cli_sshgw_start(struct pi_backend *b, const struct pi_plan *plan, const struct pi_sshgw_opts *o, bool json,
		       struct pi_sshgw **out)
{
	char state[4096];
	unsigned pushed = 0;
	struct pi_diag d;
	pi_diag_init(&d);
	pi_state_dir(pi_state_root(), plan->lab_name, state, sizeof(state));
	/* The nodes' run directories start empty: the kept keys go in first. */
	pi_apply_team_ssh_keys_push(b, plan, state, &pushed, &d);
	int rc = pi_sshgw_start(b, plan, o, out, &d);
	pi_diag_print(&d, stderr);
	pi_diag_free(&d);
	if (rc)
		return rc == -EINVAL || rc == -ENOENT ? PI_EXIT_USAGE : PI_EXIT_FAIL;
	json_t *arr = json_array();
	for (size_t i = 0; i < pi_sshgw_teams(*out); i++) {
		const char *team, *node;
		int port = pi_sshgw_port(*out, i, &team, &node);
		if (json)
			json_array_append_new(arr, json_pack("{s:s, s:i, s:s}", "team", team, "port", (json_int_t)port, "node", node));
		else
			printf("team %-12s ssh -A -p %d root@%s   (lands on %s)\n", team, port,
			       o->listen ? o->listen : "127.0.0.1", node);
	}
	if (json) {
		json_t *j = json_pack("{s:s, s:s, s:o}", "lab", plan->lab_name, "listen", o->listen ? o->listen : "127.0.0.1",
				      "ssh", arr);
		char *t = json_dumps(j, JSON_COMPACT);
		printf("%s\n", t);
		free(t);
		json_decref(j);
	} else {
		json_decref(arr);
	}
	fflush(stdout);
	return PI_EXIT_OK;
}

int pi_cli_sshgw_opt(int c, const char *arg, struct pi_sshgw_opts *o)
{
	char *end;
	unsigned long v;
	if (c == 'L')
		o->listen = arg;
	else if (c == 'b' && (v = strtoul(arg, &end, 10)) > 0 && v < 65536 && !*end)
		o->base_port = (unsigned)v;
	else
		return pi_cli_usage_error("ssh-gateway", "--base-port takes a port (1-65535), not '%s'", arg);
	return PI_EXIT_OK;
}

int pi_cmd_ssh_gateway(struct pi_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = { { "listen", required_argument, NULL, 'L' },
					      { "base-port", required_argument, NULL, 'b' },
					      { "format", required_argument, NULL, 'f' },
					      { NULL, 0, NULL, 0 } };
	struct pi_sshgw_opts o = { 0 };
	bool json = false;
	int c, rc;
	while ((c = getopt_long(argc, argv, "f:", opts, NULL)) != -1) {
		if (c == 'f' && !pi_cli_format_json("ssh-gateway", optarg, &json))
			return PI_EXIT_USAGE;
		if (c == '?')
			return pi_cli_usage_error("ssh-gateway", "bad option");
		if (c != 'f' && (rc = pi_cli_sshgw_opt(c, optarg, &o)))
			return rc;
	}
	if (optind != argc)
		return pi_cli_usage_error("ssh-gateway", "unexpected argument '%s'", argv[optind]);
	struct pi_backend b;
	if ((rc = pi_cli_backend(&b)))
		return rc;
	struct pi_lab *lab = NULL;
	struct pi_plan *plan = NULL;
	struct pi_sshgw *g = NULL;
	if ((rc = pi_cli_current_plan(cli, &b, &lab, &plan)) == 0 && (rc = pi_cli_sshgw_start(&b, plan, &o, json, &g)) == 0) {
		struct sigaction sa = { .sa_handler = on_signal };
		running = g;
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
		signal(SIGPIPE, SIG_IGN);
		pi_sshgw_run(g);
		running = NULL;
	}
	pi_sshgw_free(g);
	pi_plan_free(plan);
	pi_lab_free(lab);
	pi_backend_close(&b);
	return rc;
}
