/* save, restore, reset: a team's router configs kept, put back, or
 * returned to the skeleton (docs/workshop.md, "Saving and restoring"). */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"

enum save_cmd { CMD_SAVE, CMD_RESTORE, CMD_RESET };
static const char *const cmd_names[] = { "save", "restore", "reset" };

struct save_args {
	enum save_cmd cmd;
	struct pi_save_opts o;
	bool json, list;
};

static int parse_args(int argc, char **argv, struct save_args *a)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' }, { "team", required_argument, NULL, 't' },
		{ "output", required_argument, NULL, 'o' }, { "from", required_argument, NULL, 'F' },
		{ "list", no_argument, NULL, 'L' },	    { NULL, 0, NULL, 0 },
	};
	const char *cmd = cmd_names[a->cmd];
	int c;
	struct pi_cli_pos pos = { 0 };
	/* Options may follow the pod (save red-isp --format json). */
	while ((c = pi_cli_getopt(argc, argv, "f:t:o:", opts, &pos)) != -1) {
		if (c == 'f' && !pi_cli_format_json(cmd, optarg, &a->json))
			return PI_EXIT_USAGE;
		else if (c == 't')
			a->o.team = optarg;
		else if (c == 'o' && a->cmd == CMD_SAVE)
			a->o.copy_dir = optarg;
		else if (c == 'F' && a->cmd == CMD_RESTORE)
			a->o.from = optarg;
		else if (c == 'L' && a->cmd == CMD_SAVE)
			a->list = true;
		else if (c != 'f')
			return pi_cli_usage_error(cmd, "bad option");
	}
	if (pos.n > 1)
		return pi_cli_usage_error(cmd, "unexpected argument '%s'", pos.v[1]);
	a->o.pod = pos.v[0];
	if (a->list)
		return PI_EXIT_OK;
	if (!a->o.pod == !a->o.team)
		return pi_cli_usage_error(cmd, a->o.pod ? "give a pod or --team, not both" : "expected a pod or --team TEAM");
	return PI_EXIT_OK;
}

static void print_json(json_t *j)
{
	char *t = json_dumps(j, JSON_INDENT(2));
	printf("%s\n", t);
	free(t);
	json_decref(j);
}

static void print_list(const struct pi_plan *plan, const struct pi_vec *list, bool json)
{
	if (json) {
		json_t *arr = json_array();
		for (size_t i = 0; i < list->len; i++) {
			const struct pi_save_entry *e = pi_vec_at(list, i);
			json_array_append_new(arr, json_pack("{s:s, s:s, s:i}", "owner", e->owner, "stamp", e->stamp, "nodes",
							     (json_int_t)e->nodes));
		}
		print_json(json_pack("{s:s, s:o}", "lab", plan->lab_name, "saves", arr));
		return;
	}
	if (!list->len)
		printf("lab %s has no saves yet\n", plan->lab_name);
	for (size_t i = 0; i < list->len; i++) {
		const struct pi_save_entry *e = pi_vec_at(list, i);
		printf("%-16s %-24s %u node%s\n", e->owner, e->stamp, e->nodes, e->nodes == 1 ? "" : "s");
	}
}

static void print_result(const struct save_args *a, const struct pi_save_result *r)
{
	if (a->json) {
		json_t *nr = json_array();
		for (size_t i = 0; i < r->not_reconfigured.len; i++)
			json_array_append_new(nr, json_string(pi_vec_at(&r->not_reconfigured, i)));
		print_json(json_pack("{s:s, s:s, s:s, s:s, s:i, s:i, s:o}", "action", cmd_names[a->cmd], "owner", r->owner,
				     "stamp", r->stamp, "dir", r->dir, "nodes", (json_int_t)r->nodes, "reconfigured",
				     (json_int_t)r->reconfigured, "not_reconfigured", nr));
		return;
	}
	if (a->cmd == CMD_SAVE)
		printf("saved %u router config%s of %s as %s (%s)%s%s\n", r->nodes, r->nodes == 1 ? "" : "s", r->owner,
		       r->stamp, r->dir, a->o.copy_dir ? ", copied to " : "", a->o.copy_dir ? a->o.copy_dir : "");
	else
		printf("%s %u router config%s of %s%s%s; %u reconfigured\n", a->cmd == CMD_RESET ? "reset" : "restored",
		       r->nodes, r->nodes == 1 ? "" : "s", r->owner, a->cmd == CMD_RESTORE ? " from " : "",
		       a->cmd == CMD_RESTORE ? r->dir : "", r->reconfigured);
	for (size_t i = 0; i < r->not_reconfigured.len; i++)
		printf("  not reconfigured: %s\n", (const char *)pi_vec_at(&r->not_reconfigured, i));
}

static int run(struct pi_cli *cli, int argc, char **argv, enum save_cmd cmd)
{
	struct save_args a = { .cmd = cmd };
	int rc = parse_args(argc, argv, &a);
	struct pi_backend b;
	if (rc || (rc = pi_cli_backend(&b)))
		return rc;
	struct pi_lab *lab = NULL;
	struct pi_plan *plan = NULL;
	if ((rc = pi_cli_current_plan(cli, &b, &lab, &plan)))
		goto out;
	struct pi_diag diag;
	pi_diag_init(&diag);
	struct pi_save_result res;
	pi_save_result_init(&res);
	int arc;
	if (a.list) {
		struct pi_vec list = PI_VEC_INIT(struct pi_save_entry);
		const char *owner = a.o.team ? a.o.team : a.o.pod;
		arc = pi_apply_save_list(NULL, plan->lab_name, owner, &list, &diag);
		if (!arc)
			print_list(plan, &list, a.json);
		pi_vec_free(&list);
	} else {
		arc = cmd == CMD_SAVE	   ? pi_apply_save(&b, plan, &a.o, &res, &diag)
		      : cmd == CMD_RESTORE ? pi_apply_restore(&b, plan, &a.o, &res, &diag)
					   : pi_apply_reset(&b, plan, &a.o, &res, &diag);
		if (!arc)
			print_result(&a, &res);
	}
	pi_diag_print(&diag, stderr);
	pi_diag_free(&diag);
	pi_save_result_free(&res);
	rc = arc == -EINVAL || arc == -ENOENT ? PI_EXIT_USAGE : arc ? PI_EXIT_FAIL : PI_EXIT_OK;
out:
	pi_plan_free(plan);
	pi_lab_free(lab);
	pi_backend_close(&b);
	return rc;
}

int pi_cmd_save(struct pi_cli *cli, int argc, char **argv)
{
	return run(cli, argc, argv, CMD_SAVE);
}

int pi_cmd_restore(struct pi_cli *cli, int argc, char **argv)
{
	return run(cli, argc, argv, CMD_RESTORE);
}

int pi_cmd_reset(struct pi_cli *cli, int argc, char **argv)
{
	return run(cli, argc, argv, CMD_RESET);
}
