/*
 * cli: the command table and what every command shares (like iproute2's
 * ip/ip.c). main.c parses the global options, then dispatches argv from the
 * command name on to the handler. Each command lives in its own file.
 *
 * Exit codes (enum pi_exit): 0 success, 1 runtime failure, 2 usage or input
 * error. Commands print their own diagnostics; library layers never print.
 */
#ifndef POCKETINTERNET_CLI_H
#define POCKETINTERNET_CLI_H

#include <stdbool.h>
#include "pocketinternet/lab.h"
#include "pocketinternet/plan.h"

enum pi_exit { PI_EXIT_OK = 0, PI_EXIT_FAIL = 1, PI_EXIT_USAGE = 2 };

struct pi_cli {
	const char *lab_file;      /* -c FILE, or the default lab */
	bool lab_file_given;
	const char *blueprint_dir; /* -B DIR, or the default */
	int verbose;               /* -v (repeatable) */
	bool quiet;                /* -q */
};

struct pi_command {
	const char *name;
	int (*run)(struct pi_cli *cli, int argc, char **argv); /* argv[0] is the command name */
	const char *summary; /* one line for `pocketinternet --help` */
	const char *usage;   /* full text for `pocketinternet CMD --help` */
};

/* Loads the lab and builds the plan, printing every diagnostic to stderr.
 * Returns PI_EXIT_OK with *lab and *plan set, or an exit code. */
int pi_cli_load_plan(struct pi_cli *cli, struct pi_lab **lab, struct pi_plan **plan);
/* True when argv has -h/--help before any "--"; prints the usage to stdout. */
bool pi_cli_wants_help(const struct pi_command *cmd, int argc, char **argv);
/* Prints "pocketinternet CMD: MSG" and the usage hint to stderr; returns PI_EXIT_USAGE. */
int pi_cli_usage_error(const char *cmd, const char *fmt, ...) PI_PRINTF(2, 3);
const struct pi_command *pi_cli_find(const char *name);

/* Handlers: one file each in src/cli/; usage texts next to them. */
int pi_cmd_plan(struct pi_cli *cli, int argc, char **argv);
#define PI_PLAN_USAGE \
	"usage: pocketinternet [-c LAB.yml] plan [--format text|json|dot] [-o FILE]\n" \
	"\n" \
	"Expands the lab into its deterministic plan and prints it: a summary\n" \
	"(text), the full plan (json) or the AS-level graph for Graphviz (dot).\n" \
	"Needs neither root nor Docker.\n" \
	"\n" \
	"  -c FILE            lab file (also accepted before the command)\n" \
	"  -f, --format F     text (default), json or dot\n" \
	"  -o, --output FILE  write to FILE instead of stdout\n"
/* -- more handlers: declare them here -- */

extern const struct pi_command pi_commands[];

#endif
