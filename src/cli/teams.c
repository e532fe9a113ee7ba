/* teams: the lab's teams, their pods and how each logs in; the trainer's
 * team sheet (--passwords), password resets and team keys (docs/workshop.md). */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "pocketinternet/web.h"

struct teams_args {
	bool json, passwords;
	const char *reset, *key_team, *key_file, *pw_team;
	unsigned base_port;
};

static const char *password_of(const struct pi_vec *pw, const char *team)
{
	for (size_t i = 0; pw && i < pw->len; i++)
		if (strcmp(((struct pi_web_team_login *)pi_vec_at(pw, i))->team, team) == 0)
			return ((struct pi_web_team_login *)pi_vec_at(pw, i))->password;
	return NULL;
}

static json_t *team_json(const struct pi_plan *plan, const struct pi_team_info *t, unsigned port, const char *pw)
{
	json_t *pods = json_array();
	for (size_t k = 0; k < t->pods.len; k++) {
		const struct pi_plan_pod *p = &plan->pods[*(uint32_t *)pi_vec_at(&t->pods, k)];
		json_array_append_new(pods, json_pack("{s:s, s:s, s:i, s:s}", "name", p->name, "blueprint", p->bp->name,
						      "asn", (json_int_t)p->asn, "configure", pi_exercise_name(p->exercise)));
	}
	uint32_t entry = pi_apply_team_entry(plan, t);
	return json_pack("{s:s, s:o, s:{s:s, s:s, s:s, s:s?, s:i, s:s?}}", "name", t->name, "pods", pods, "login", "web",
			 t->web, "ssh", t->ssh, "user", t->name, "password", pw, "ssh_port", (json_int_t)port, "ssh_node",
			 entry == PI_NONE ? NULL : plan->nodes[entry].name);
}

static void print_text(const struct pi_plan *plan, const struct pi_vec *teams, unsigned base, const struct pi_vec *pw)
{
	if (!teams->len) {
		printf("lab %s has no teams (add a teams: section: docs/workshop.md)\n", plan->lab_name);
		return;
	}
	printf("%-12s %-34s %-42s %s\n", "TEAM", "PODS (students configure)", "WEB LOGIN", "SSH (ssh-gateway)");
	for (size_t i = 0; i < teams->len; i++) {
		const struct pi_team_info *t = pi_vec_at(teams, i);
		char pods[512] = "", web[128];
		size_t off = 0;
		for (size_t k = 0; k < t->pods.len && off < sizeof(pods); k++) {
			const struct pi_plan_pod *p = &plan->pods[*(uint32_t *)pi_vec_at(&t->pods, k)];
			off += (size_t)snprintf(pods + off, sizeof(pods) - off, "%s%s (%s)", k ? ", " : "", p->name,
						pi_exercise_name(p->exercise));
		}
		const char *p = password_of(pw, t->name);
		snprintf(web, sizeof(web), "user %s%s%s", t->name, p ? " password " : "", p ? p : "");
		uint32_t entry = pi_apply_team_entry(plan, t);
		printf("%-12s %-34s %-42s port %u -> %s\n", t->name, pods, web, base + (unsigned)i,
		       entry == PI_NONE ? "(no border router)" : plan->nodes[entry].name);
	}
}

static int parse(int argc, char **argv, struct teams_args *a)
{
	static const struct option opts[] = { { "format", required_argument, NULL, 'f' },
					      { "passwords", no_argument, NULL, 'P' },
					      { "reset-password", required_argument, NULL, 'R' },
					      { "ssh-key", required_argument, NULL, 'K' },
					      { "ssh-password", required_argument, NULL, 'S' },
					      { "base-port", required_argument, NULL, 'b' },
					      { NULL, 0, NULL, 0 } };
	int c;
	a->base_port = PI_SSHGW_BASE_PORT;
	while ((c = getopt_long(argc, argv, "f:", opts, NULL)) != -1) {
		if (c == 'P')
			a->passwords = true;
		else if (c == 'R')
			a->reset = optarg;
		else if (c == 'K')
			a->key_team = optarg;
		else if (c == 'S')
			a->pw_team = optarg;
		else if (c == 'b' && (a->base_port = (unsigned)strtoul(optarg, NULL, 10)) > 0 && a->base_port < 65536)
			continue;
		else if (c != 'f' || !pi_cli_format_json("teams", optarg, &a->json))
			return c == 'f' ? PI_EXIT_USAGE : pi_cli_usage_error("teams", "bad option");
	}
	if (a->key_team && optind < argc)
		a->key_file = argv[optind++];
	if (a->key_team && !a->key_file)
		return pi_cli_usage_error("teams", "--ssh-key TEAM takes the team's public key file after it");
	if (optind != argc)
		return pi_cli_usage_error("teams", "unexpected argument '%s'", argv[optind]);
	return PI_EXIT_OK;
}

/* --reset-password and --passwords: the web accounts (made when missing). */
static int accounts(const struct pi_plan *plan, const struct teams_args *a, struct pi_vec *pw)
{
	char state[4096];
	pi_state_dir(pi_state_root(), plan->lab_name, state, sizeof(state));
	struct pi_diag d;
	pi_diag_init(&d);
	int rc = a->reset ? pi_web_team_reset(state, plan, a->reset, &d) : pi_web_teams_ensure(state, plan, &d);
	if (!rc)
		rc = pi_web_team_passwords(state, pw, &d);
	pi_diag_print(&d, stderr);
	pi_diag_free(&d);
	if (!rc && a->reset && !a->json)
		printf("team %s has a new web password (a running serve takes it at once)\n", a->reset);
	return rc == -ENOENT || rc == -EINVAL ? PI_EXIT_USAGE : rc ? PI_EXIT_FAIL : PI_EXIT_OK;
}

/* The team's web password (the account made when missing) into pw. */
static int web_password(const struct pi_plan *plan, const char *team, char *pw, size_t len)
{
	struct teams_args q = { .json = true };
	struct pi_vec v = PI_VEC_INIT(struct pi_web_team_login);
	int rc = accounts(plan, &q, &v);
	const char *p = rc ? NULL : password_of(&v, team);
	snprintf(pw, len, "%s", p ? p : "");
	pi_web_team_passwords_free(&v);
	if (!rc && !p)
		fprintf(stderr, "pocketinternet teams: lab %s has no team '%s'\n  hint: see the teams with: pocketinternet teams\n",
			plan->lab_name, team);
	return rc ? rc : p ? PI_EXIT_OK : PI_EXIT_USAGE;
}

/* --ssh-key TEAM FILE (text) or --ssh-password TEAM (text NULL): kept and
 * given to the team's running nodes. */
static int set_credential(struct pi_backend *b, const struct pi_plan *plan, const struct teams_args *a,
			  const char *text, size_t len)
{
	char state[4096], pw[64] = "";
	unsigned pushed = 0;
	pi_state_dir(pi_state_root(), plan->lab_name, state, sizeof(state));
	int rc = text ? 0 : web_password(plan, a->pw_team, pw, sizeof(pw));
	if (rc)
		return rc;
	struct pi_diag d;
	pi_diag_init(&d);
	int arc = text ? pi_apply_team_ssh_key_set(b, plan, state, a->key_team, text, len, &pushed, &d)
		       : pi_apply_team_ssh_password_set(b, plan, state, a->pw_team, pw, &pushed, &d);
	memset(pw, 0, sizeof(pw));
	pi_diag_print(&d, stderr);
	pi_diag_free(&d);
	if (!arc && a->json) {
		json_t *j = json_pack("{s:s, s:s, s:i}", "team", text ? a->key_team : a->pw_team, "set",
				      text ? "ssh-key" : "ssh-password", "nodes", (json_int_t)pushed);
		char *t = json_dumps(j, JSON_COMPACT);
		printf("%s\n", t);
		free(t);
		json_decref(j);
	} else if (!arc && text)
		printf("team %s's key is set (%u running nodes have it)\n", a->key_team, pushed);
	else if (!arc)
		printf("team %s's SSH password is its web password (%u running nodes have it)\n", a->pw_team, pushed);
	return arc == -EINVAL || arc == -ENOENT ? PI_EXIT_USAGE : arc ? PI_EXIT_FAIL : PI_EXIT_OK;
}

static int set_ssh(struct pi_cli *cli, const struct teams_args *a)
{
	char *text = NULL;
	size_t len = 0;
	if (a->key_team && pi_read_file(a->key_file, &text, &len) != 0) {
		fprintf(stderr, "pocketinternet teams: cannot read %s\n  hint: give the team's .pub file\n", a->key_file);
		return PI_EXIT_USAGE;
	}
	struct pi_backend b;
	struct pi_lab *lab = NULL;
	struct pi_plan *plan = NULL;
	int rc = pi_cli_backend(&b);
	if (rc) {
		free(text);
		return rc;
	}
	if ((rc = pi_cli_current_plan(cli, &b, &lab, &plan)) == 0)
		rc = set_credential(&b, plan, a, a->key_team ? text : NULL, len);
	free(text);
	pi_plan_free(plan);
	pi_lab_free(lab);
	pi_backend_close(&b);
	return rc;
}

static void print_json(const struct pi_plan *plan, const struct pi_vec *teams, unsigned base, const struct pi_vec *pw)
{
	json_t *arr = json_array();
	for (size_t i = 0; i < teams->len; i++) {
		const struct pi_team_info *t = pi_vec_at(teams, i);
		json_array_append_new(arr, team_json(plan, t, base + (unsigned)i, password_of(pw, t->name)));
	}
	json_t *j = json_pack("{s:s, s:o}", "lab", plan->lab_name, "teams", arr);
	char *txt = json_dumps(j, JSON_INDENT(2));
	printf("%s\n", txt);
	free(txt);
	json_decref(j);
}

/* The lab file given (-c), or with --lab the running lab's own. */
static int load(struct pi_cli *cli, struct pi_lab **lab, struct pi_plan **plan)
{
	if (!cli->lab_name || cli->lab_file)
		return pi_cli_load_plan(cli, lab, plan);
	struct pi_backend b;
	int rc = pi_cli_backend(&b);
	if (rc == 0) {
		rc = pi_cli_current_plan(cli, &b, lab, plan);
		pi_backend_close(&b);
	}
	return rc;
}

int pi_cmd_teams(struct pi_cli *cli, int argc, char **argv)
{
	struct teams_args a = { 0 };
	int rc = parse(argc, argv, &a);
	if (rc)
		return rc;
	if (a.key_team || a.pw_team)
		return set_ssh(cli, &a);
	struct pi_lab *lab = NULL;
	struct pi_plan *plan = NULL;
	if ((rc = load(cli, &lab, &plan)))
		return rc;
	struct pi_vec teams = PI_VEC_INIT(struct pi_team_info), pw = PI_VEC_INIT(struct pi_web_team_login);
	pi_apply_teams(plan, &teams);
	if (a.passwords || a.reset)
		rc = accounts(plan, &a, &pw);
	if (!rc && a.json)
		print_json(plan, &teams, a.base_port, &pw);
	else if (!rc)
		print_text(plan, &teams, a.base_port, &pw);
	pi_web_team_passwords_free(&pw);
	pi_apply_teams_free(&teams);
	pi_plan_free(plan);
	pi_lab_free(lab);
	return rc;
}
