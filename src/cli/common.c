/* common: what every command shares: loading the plan, help, usage errors. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "cli.h"
#include "pocketinternet/apply.h"
#include <stdlib.h>

bool pi_cli_wants_help(const struct pi_command *cmd, int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			break;
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			fputs(cmd->usage, stdout);
			return true;
		}
	}
	return false;
}

int pi_cli_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "pocketinternet %s: ", cmd);
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\nTry 'pocketinternet %s --help'.\n", cmd);
	va_end(ap);
	return PI_EXIT_USAGE;
}

int pi_cli_load_plan(struct pi_cli *cli, struct pi_lab **lab, struct pi_plan **plan)
{
	struct pi_diag diag;
	pi_diag_init(&diag);
	const char *file = cli->lab_file ? cli->lab_file : pi_default_lab_file();
	*lab = NULL;
	*plan = NULL;
	int rc = pi_lab_load(file, cli->blueprint_dir, lab, &diag);
	/* Speakers `attach` added to the running lab are part of it (attach.c). */
	if (rc == 0)
		rc = pi_apply_externals_load(NULL, *lab, &diag);
	if (rc == 0 && cli->pinned) {
		/* What the running lab decided stays decided (docs/plan.md). */
		struct pi_diag quiet;
		pi_diag_init(&quiet);
		if (pi_apply_load_pins(NULL, (*lab)->name, &cli->pins, &quiet) != 0)
			cli->pins = NULL;
		pi_diag_move(&diag, &quiet);
		pi_diag_free(&quiet);
	}
	if (rc == 0)
		rc = pi_plan_build_pinned(*lab, cli->pins, plan, &diag);
	if (pi_diag_count(&diag) > 0)
		pi_diag_print(&diag, stderr);
	if (rc) {
		size_t n = pi_diag_errors(&diag);
		if (n == 0)
			fprintf(stderr, "pocketinternet: %s: %s\n", file, strerror(-rc));
		else
			fprintf(stderr, "pocketinternet: %zu error%s in %s\n", n, n == 1 ? "" : "s", file);
		pi_diag_free(&diag);
		if (*lab) {
			pi_lab_free(*lab);
			*lab = NULL;
		}
		/* A file we could not read is a usage problem too: the user named it. */
		return PI_EXIT_USAGE;
	}
	pi_diag_free(&diag);
	return PI_EXIT_OK;
}

int pi_cli_backend(struct pi_backend *b)
{
	const char *name = getenv("POCKETINTERNET_BACKEND");
	const struct pi_backend_ops *ops = pi_backend_find(name && *name ? name : "docker");
	if (!ops) {
		fprintf(stderr, "pocketinternet: unknown backend '%s' (POCKETINTERNET_BACKEND)\n"
				"  hint: unset it to use Docker\n", name);
		return PI_EXIT_FAIL;
	}
	struct pi_diag diag;
	pi_diag_init(&diag);
	int rc = pi_backend_open(b, ops, &diag);
	if (rc)
		pi_diag_print(&diag, stderr);
	pi_diag_free(&diag);
	return rc ? PI_EXIT_FAIL : PI_EXIT_OK;
}

/* The lab of a lab file (loading only, no plan). */
static int lab_name_of_file(struct pi_cli *cli, char *buf, size_t len)
{
	struct pi_diag diag;
	struct pi_lab *lab;
	pi_diag_init(&diag);
	const char *file = cli->lab_file ? cli->lab_file : pi_default_lab_file();
	int rc = pi_lab_load(file, cli->blueprint_dir, &lab, &diag);
	pi_diag_print(&diag, stderr);
	pi_diag_free(&diag);
	if (rc)
		return PI_EXIT_USAGE;
	snprintf(buf, len, "%s", lab->name);
	pi_lab_free(lab);
	return PI_EXIT_OK;
}

static void list_labs(FILE *out, const struct pi_vec *labs)
{
	for (size_t i = 0; i < labs->len; i++) {
		const struct pi_lab_summary *l = pi_vec_at(labs, i);
		fprintf(out, "  %-20s %u/%u nodes running  %s\n", l->name, l->running, l->nodes,
			l->lab_file[0] ? l->lab_file : "");
	}
}

int pi_cli_current_lab(struct pi_cli *cli, struct pi_backend *b, bool default_when_none, char *buf, size_t len)
{
	if (cli->lab_name) {
		snprintf(buf, len, "%s", cli->lab_name);
		return PI_EXIT_OK;
	}
	if (cli->lab_file)
		return lab_name_of_file(cli, buf, len);
	struct pi_vec labs = PI_VEC_INIT(struct pi_lab_summary);
	struct pi_diag diag;
	pi_diag_init(&diag);
	int rc = pi_apply_labs(b, &labs, &diag) ? PI_EXIT_FAIL : PI_EXIT_OK;
	pi_diag_print(&diag, stderr);
	pi_diag_free(&diag);
	if (rc == PI_EXIT_OK && labs.len == 1) {
		const struct pi_lab_summary *l = pi_vec_at(&labs, 0);
		snprintf(buf, len, "%s", l->name);
		if (l->lab_file[0])
			cli->lab_file = pi_xstrdup(l->lab_file); /* lives until exit */
	} else if (rc == PI_EXIT_OK && labs.len == 0 && default_when_none) {
		rc = lab_name_of_file(cli, buf, len);
	} else if (rc == PI_EXIT_OK && labs.len == 0) {
		fprintf(stderr, "pocketinternet: no lab is running\n"
				"  hint: start one with 'pocketinternet setup -c LAB.yml', or name one with -c or --lab\n");
		rc = PI_EXIT_FAIL;
	} else if (rc == PI_EXIT_OK) {
		fprintf(stderr, "pocketinternet: %zu labs are running; say which with --lab NAME:\n", labs.len);
		list_labs(stderr, &labs);
		rc = PI_EXIT_USAGE;
	}
	pi_vec_free(&labs);
	return rc;
}

/* The lab file no longer says what runs: operations act on the nodes both know. */
static void warn_changed(struct pi_cli *cli, const struct pi_plan *plan)
{
	struct pi_plan_diff d;
	if (pi_plan_diff(cli->pins, plan, &d) != 0)
		return;
	if (d.n_nodes_added || d.n_nodes_removed || d.n_links_added || d.n_links_removed || d.n_links_changed)
		fprintf(stderr, "pocketinternet: warning: %s changed since lab '%s' was set up (%u nodes added, %u removed)\n"
				"  hint: 'pocketinternet setup --dry-run' shows the difference; 'pocketinternet setup' applies it\n",
			plan->lab_file, plan->lab_name, d.n_nodes_added, d.n_nodes_removed);
	pi_plan_diff_free(&d);
}

int pi_cli_current_plan(struct pi_cli *cli, struct pi_backend *b, struct pi_lab **lab, struct pi_plan **plan)
{
	char name[128];
	int rc = pi_cli_current_lab(cli, b, false, name, sizeof(name));
	if (rc)
		return rc;
	if (cli->lab_name && !cli->lab_file) {
		/* --lab alone: the lab file recorded on its nodes. */
		struct pi_vec labs = PI_VEC_INIT(struct pi_lab_summary);
		pi_apply_labs(b, &labs, NULL);
		for (size_t i = 0; i < labs.len; i++) {
			const struct pi_lab_summary *l = pi_vec_at(&labs, i);
			if (strcmp(l->name, name) == 0 && l->lab_file[0])
				cli->lab_file = pi_xstrdup(l->lab_file);
		}
		pi_vec_free(&labs);
		if (!cli->lab_file) {
			fprintf(stderr, "pocketinternet: lab '%s' is not running, or its lab file is unknown\n"
					"  hint: name its lab file with -c FILE\n", name);
			return PI_EXIT_FAIL;
		}
	}
	cli->pinned = true;
	rc = pi_cli_load_plan(cli, lab, plan);
	if (rc == PI_EXIT_OK && cli->pins)
		warn_changed(cli, *plan);
	if (rc == PI_EXIT_OK && strcmp((*plan)->lab_name, name) != 0) {
		fprintf(stderr, "pocketinternet: %s describes lab '%s', not '%s'\n", cli->lab_file, (*plan)->lab_name,
			name);
		pi_plan_free(*plan);
		pi_lab_free(*lab);
		rc = PI_EXIT_USAGE;
	}
	return rc;
}

bool pi_cli_format_json(const char *cmd, const char *arg, bool *json)
{
	if (strcmp(arg, "json") == 0 || strcmp(arg, "text") == 0) {
		*json = arg[0] == 'j';
		return true;
	}
	pi_cli_usage_error(cmd, "--format takes text or json, not '%s'", arg);
	return false;
}

int pi_cli_getopt(int argc, char **argv, const char *optstring, const struct option *opts, struct pi_cli_pos *pos)
{
	while (optind < argc) {
		int c = getopt_long(argc, argv, optstring, opts, NULL);
		if (c != -1)
			return c;
		if (pos->n < 2)
			pos->v[pos->n] = argv[optind];
		pos->n++;
		optind++;
	}
	return -1;
}

uint32_t pi_cli_find_node(const struct pi_plan *plan, const char *name)
{
	uint32_t n = pi_plan_node_by_name(plan, name);
	if (n != PI_NONE)
		return n;
	const char **names = pi_xcalloc(plan->n_nodes + 1, sizeof(char *));
	for (uint32_t i = 0; i < plan->n_nodes; i++)
		names[i] = plan->nodes[i].name;
	const char *near[5];
	size_t k = pi_near_matches(name, names, plan->n_nodes, near, 5);
	fprintf(stderr, "pocketinternet: lab '%s' has no node '%s'\n", plan->lab_name, name);
	if (k) {
		fprintf(stderr, "  hint: did you mean ");
		for (size_t i = 0; i < k; i++)
			fprintf(stderr, "%s%s", i ? ", " : "", near[i]);
		fprintf(stderr, "?\n");
	} else {
		fprintf(stderr, "  hint: 'pocketinternet status' lists the nodes\n");
	}
	free(names);
	return PI_NONE;
}

/* --format F (-f F, --format=F) anywhere; removed from argv, which then
 * starts at the action. */
int pi_cli_take_format(const char *cmd, int *argc, char ***argv, bool *json)
{
	int out = 0;
	char **v = *argv;
	for (int i = 1; i < *argc; i++) {
		const char *val = NULL;
		if ((strcmp(v[i], "--format") == 0 || strcmp(v[i], "-f") == 0) && i + 1 < *argc)
			val = v[++i];
		else if (strncmp(v[i], "--format=", 9) == 0)
			val = v[i] + 9;
		else if (strcmp(v[i], "--json") == 0)
			val = "json";
		if (!val) {
			v[out++] = v[i];
			continue;
		}
		if (!pi_cli_format_json(cmd, val, json))
			return PI_EXIT_USAGE;
	}
	*argc = out;
	return PI_EXIT_OK;
}

