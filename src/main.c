/*
 * pocketinternet: command dispatch (after iproute2's ip/ip.c). Global
 * options come before the command; everything from the command name on is
 * handed to its handler.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli/cli.h"
#include "pi_config.h"
#include "pocketinternet/log.h"

const struct pi_command pi_commands[] = {
	{ "plan", pi_cmd_plan, "show the Internet a lab file describes (no root, no Docker)", PI_PLAN_USAGE },
	/* -- more commands: keep one line each, alphabetical after plan -- */
	{ "render", pi_cmd_render, "write every node's configuration files into a directory", PI_RENDER_USAGE },
	{ "setup", pi_cmd_setup, "bring the lab up in Docker and wait until it has converged", PI_SETUP_USAGE },
	{ "status", pi_cmd_status, "show nodes, BGP sessions and resolvers of a running lab", PI_STATUS_USAGE },
	{ "exec", pi_cmd_exec, "run a command in a node: exec NODE -- CMD...", PI_EXEC_USAGE },
	{ "shell", pi_cmd_shell, "open an interactive shell in a node", PI_SHELL_USAGE },
	{ "teardown", pi_cmd_teardown, "remove a lab: containers, links, namespaces, state", PI_TEARDOWN_USAGE },
	{ "configure-docker", pi_cmd_configure_docker, "move Docker's own networks out of the lab's address space", PI_CONFIGURE_DOCKER_USAGE },
	{ "link", pi_cmd_link, "list links; take them down or up; shape them (rate, delay, loss)", PI_LINK_USAGE },
	{ "monitor", pi_cmd_monitor, "watch the running lab's paths and report failures as they happen", PI_MONITOR_USAGE },
	{ "verify", pi_cmd_verify, "prove the running lab works: reachability matrix, routing policy, sessions", PI_VERIFY_USAGE },
	{ "incident", pi_cmd_incident, "stage a hijack, a route leak or a session failure; list and clear them", PI_INCIDENT_USAGE },
	{ "node", pi_cmd_node, "stop, start or restart one node of the running lab", PI_NODE_USAGE },
	{ "attach", pi_cmd_attach, "add an external BGP speaker (exabgp, gobgpd, FRR, your image) to the running lab", PI_ATTACH_USAGE },
	{ "detach", pi_cmd_detach, "remove an external speaker that attach added", PI_DETACH_USAGE },
	{ "lg", pi_cmd_lg, "looking glass: a router's routes and why it chose them, or its BGP sessions", PI_LG_USAGE },
	{ "paths", pi_cmd_paths, "every path between two nodes, the allowed ones, BGP's choice and a traceroute", PI_PATHS_USAGE },
	{ "labs", pi_cmd_labs, "list the labs running on this host", PI_LABS_USAGE },
	{ "trace", pi_cmd_trace, "follow one packet hop by hop and say where it stopped (BPF)", PI_TRACE_USAGE },
	{ "image", pi_cmd_image, "build or show the node image (no registry needed)", PI_IMAGE_USAGE },
	{ "serve", pi_cmd_serve, "the lab in a browser: map, matrix, looking glass, terminals, captures", PI_SERVE_USAGE },
	{ "capture", pi_cmd_capture, "capture packets on nodes, links and LANs as pcapng (for Wireshark)", PI_CAPTURE_USAGE },
	{ "ssh-gateway", pi_cmd_ssh_gateway, "SSH per team: one port each, landing on the team's border router", PI_SSHGW_USAGE },
	{ "teams", pi_cmd_teams, "list the lab's teams, their pods and how each logs in", PI_TEAMS_USAGE },
	{ "save", pi_cmd_save, "keep the router configs of a pod or team (every save is kept)", PI_SAVE_USAGE },
	{ "restore", pi_cmd_restore, "put a saved pod or team config back and reconfigure", PI_RESTORE_USAGE },
	{ "reset", pi_cmd_reset, "return a pod to its generated (skeleton) router config", PI_RESET_USAGE },
	{ "check", pi_cmd_check, "grade exercise pods: sessions, announcements, policy, reachability", PI_CHECK_USAGE },
	{ NULL, NULL, NULL, NULL },
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: pocketinternet [-c LAB.yml | --lab NAME] [-B DIR] [-v|-q] COMMAND [ARGS]\n"
		"       pocketinternet COMMAND --help\n"
		"\n"
		"Builds a procedurally generated miniature Internet (BGP, DNS, HTTP, DHCP,\n"
		"NAT64) in Docker containers on this host.\n"
		"\n"
		"Commands:\n");
	for (const struct pi_command *c = pi_commands; c->name; c++)
		fprintf(out, "  %-18s %s\n", c->name, c->summary);
	fprintf(out,
		"\n"
		"Options:\n"
		"  -c, --config FILE     lab file (default: labs/lab.yml)\n"
		"  -l, --lab NAME        a running lab by name (commands on a running lab)\n"
		"  -B, --blueprints DIR  blueprint directory (default: %s)\n"
		"  -v, --verbose         each node's steps; -vv also every Engine API and netlink request\n"
		"  -q, --quiet           only errors\n"
		"  -h, --help            this help\n"
		"  -V, --version         print the version\n"
		"\n"
		"Exit status: 0 success, 1 runtime failure, 2 usage or input error.\n",
		pi_default_blueprint_dir());
}

const struct pi_command *pi_cli_find(const char *name)
{
	for (const struct pi_command *c = pi_commands; c->name; c++)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

/* Takes the lab-choosing options out of a command's argv: -c/--config FILE
 * and -l/--lab NAME are parsed here once for every command, wherever the
 * user put them before "--". short_c false leaves -c to the command
 * (capture's -c COUNT, as in tcpdump). Returns the new argc. */
static int take_lab_options(struct pi_cli *cli, int argc, char **argv, bool short_c)
{
	int out = 1;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char **dst = NULL;
		const char *val = NULL;
		if (strcmp(a, "--") == 0) {
			while (i < argc)
				argv[out++] = argv[i++];
			break;
		}
		if ((short_c && strcmp(a, "-c") == 0) || strcmp(a, "--config") == 0)
			dst = &cli->lab_file;
		else if (strcmp(a, "-l") == 0 || strcmp(a, "--lab") == 0)
			dst = &cli->lab_name;
		else if (strncmp(a, "--config=", 9) == 0)
			dst = &cli->lab_file, val = a + 9;
		else if (strncmp(a, "--lab=", 6) == 0)
			dst = &cli->lab_name, val = a + 6;
		if (!dst) {
			argv[out++] = argv[i];
			continue;
		}
		if (!val && i + 1 >= argc)
			return -1;
		*dst = val ? val : argv[++i];
	}
	cli->lab_file_given = cli->lab_file != NULL;
	argv[out] = NULL;
	return out;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "lab", required_argument, NULL, 'l' },
		{ "blueprints", required_argument, NULL, 'B' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct pi_cli cli = { 0 };
	int c;

	/* "+" stops at the first non-option: the command name. */
	while ((c = getopt_long(argc, argv, "+c:l:B:vqhV", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			cli.lab_file = optarg;
			break;
		case 'l':
			cli.lab_name = optarg;
			break;
		case 'B':
			cli.blueprint_dir = optarg;
			break;
		case 'v':
			cli.verbose++;
			break;
		case 'q':
			cli.quiet = true;
			break;
		case 'h':
			usage(stdout);
			return PI_EXIT_OK;
		case 'V':
			printf("pocketinternet %s\n", PI_VERSION);
			return PI_EXIT_OK;
		default:
			fprintf(stderr, "Try 'pocketinternet --help'.\n");
			return PI_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return PI_EXIT_USAGE;
	}
	pi_log_set_level(cli.quiet ? PI_LOG_ERROR : cli.verbose > 1 ? PI_LOG_DEBUG : cli.verbose ? PI_LOG_INFO : PI_LOG_WARN);
	if (!cli.blueprint_dir)
		cli.blueprint_dir = pi_default_blueprint_dir();

	const struct pi_command *cmd = pi_cli_find(argv[optind]);
	if (!cmd) {
		fprintf(stderr, "pocketinternet: unknown command '%s'\nTry 'pocketinternet --help'.\n", argv[optind]);
		return PI_EXIT_USAGE;
	}
	int cargc = argc - optind;
	char **cargv = argv + optind;
	if (pi_cli_wants_help(cmd, cargc, cargv))
		return PI_EXIT_OK;
	cargc = take_lab_options(&cli, cargc, cargv, strcmp(cmd->name, "capture") != 0);
	if (cargc < 0)
		return pi_cli_usage_error(cmd->name, "-c and --lab need a value");
	if (cli.lab_file_given && cli.lab_name)
		return pi_cli_usage_error(cmd->name, "give either -c FILE or --lab NAME, not both");
	/* getopt in handlers starts fresh on their own argv. */
	optind = 1;
	int rc = cmd->run(&cli, cargc, cargv);
	pi_plan_pins_free(cli.pins);
	return rc;
}
