/*
 * web/teams: one web account per team of the lab, named after the team,
 * owning the team's pods (pi_apply_teams), made on first use with a
 * generated password.
 *
 * The trainer hands the passwords out on a team sheet and is asked for
 * them again mid-course, so a password shown once (as the trainer's own)
 * would force a reset, and a reset logs the team out. The generated
 * passwords are therefore kept for the trainer in
 * <state dir>/web/team-passwords.json ({"red": "..."}), 0600 in the 0700
 * directory beside accounts.json: readable only by the account that runs
 * the lab, which already controls every node. Only the hash is what the
 * server checks; the file is for `pocketinternet teams --passwords`.
 */
#include <fcntl.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "web_int.h"

#define PASSWORDS_FILE "team-passwords.json"
#define PASSWORDS_MAX (1u << 20)


/* The passwords file as an object (absent: empty). */
static json_t *passwords_load(int fd)
{
	char *text = NULL;
	size_t len = 0;
	json_t *j = NULL;
	if (pi_file_read_at(fd, PASSWORDS_FILE, &text, &len, PASSWORDS_MAX) == 0)
		j = json_loadb(text, len, 0, NULL);
	if (text) {
		sodium_memzero(text, len);
		free(text);
	}
	if (!json_is_object(j)) {
		json_decref(j);
		j = json_object();
	}
	return j;
}

static int passwords_save(int fd, json_t *j, const char *state_dir, struct pi_diag *diag)
{
	char *text = json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS);
	int rc = pi_file_write_at(fd, PASSWORDS_FILE, text, strlen(text), 0600);
	sodium_memzero(text, strlen(text));
	free(text);
	if (rc)
		pi_diag_add(diag, (struct pi_pos){ 0 }, "check the permissions of the lab's state directory",
			    "cannot write %s/web/%s: %s", state_dir, PASSWORDS_FILE, strerror(-rc));
	return rc;
}

/* (Re)makes team t's account and records its password in pw (an object). */
static int team_set(const char *state_dir, const struct pi_plan *plan, const struct pi_team_info *t, json_t *pw,
		    struct pi_diag *diag)
{
	const char **pods = pi_xcalloc(t->pods.len ? t->pods.len : 1, sizeof(char *));
	for (size_t k = 0; k < t->pods.len; k++)
		pods[k] = plan->pods[*(uint32_t *)pi_vec_at(&t->pods, k)].name;
	char password[64];
	int rc = pi_web_account_set(state_dir, t->name, "team", pods, t->pods.len, password, sizeof(password), diag);
	free(pods);
	if (!rc)
		json_object_set_new(pw, t->name, json_string(password));
	sodium_memzero(password, sizeof(password));
	return rc;
}

static bool has_account(const struct pi_vec *accounts, const char *user)
{
	for (size_t i = 0; i < accounts->len; i++)
		if (strcmp(((const struct pi_web_account *)pi_vec_at(accounts, i))->user, user) == 0)
			return true;
	return false;
}

/* Makes the accounts of the teams named (team NULL: every team without one). */
static int teams_set(const char *state_dir, const struct pi_plan *plan, const char *team, struct pi_diag *diag)
{
	struct pi_vec teams = PI_VEC_INIT(struct pi_team_info), accounts, pods = PI_VEC_INIT(uint32_t);
	if (team && !pi_plan_team_pods(plan, team, &pods)) {
		pi_vec_free(&pods);
		pi_diag_add(diag, (struct pi_pos){ 0 }, "see the teams with: pocketinternet teams",
			    "lab %s has no team '%s'", plan->lab_name, team);
		return -ENOENT;
	}
	pi_vec_free(&pods);
	pi_apply_teams(plan, &teams);
	int rc = pi_web_accounts_load(state_dir, &accounts, diag);
	int fd = rc ? rc : web_dir_open(state_dir, true, diag);
	rc = fd < 0 ? fd : 0;
	json_t *pw = fd >= 0 ? passwords_load(fd) : NULL;
	bool changed = false;
	for (size_t i = 0; i < teams.len && !rc; i++) {
		const struct pi_team_info *t = pi_vec_at(&teams, i);
		bool want = team ? strcmp(team, t->name) == 0 : !has_account(&accounts, t->name);
		if (want && (rc = team_set(state_dir, plan, t, pw, diag)) == 0)
			changed = true;
	}
	if (changed) /* also after a failure: the accounts made so far need their passwords */
		rc = passwords_save(fd, pw, state_dir, diag) ? -EIO : rc;
	json_decref(pw);
	if (fd >= 0)
		close(fd);
	pi_web_accounts_free(&accounts);
	pi_apply_teams_free(&teams);
	return rc;
}

int pi_web_teams_ensure(const char *state_dir, const struct pi_plan *plan, struct pi_diag *diag)
{
	if (sodium_init() < 0)
		return -ENOMEM;
	return teams_set(state_dir, plan, NULL, diag);
}

int pi_web_team_reset(const char *state_dir, const struct pi_plan *plan, const char *team, struct pi_diag *diag)
{
	if (sodium_init() < 0)
		return -ENOMEM;
	return teams_set(state_dir, plan, team, diag);
}

int pi_web_team_passwords(const char *state_dir, struct pi_vec *out, struct pi_diag *diag)
{
	*out = (struct pi_vec)PI_VEC_INIT(struct pi_web_team_login);
	int fd = web_dir_open(state_dir, true, diag);
	if (fd < 0)
		return fd;
	json_t *pw = passwords_load(fd);
	close(fd);
	const char *team;
	json_t *v;
	json_object_foreach(pw, team, v)
	{
		if (!json_is_string(v) || strlen(team) >= PI_WEB_USER_MAX)
			continue;
		struct pi_web_team_login *l = pi_vec_push(out);
		snprintf(l->team, sizeof(l->team), "%s", team);
		snprintf(l->password, sizeof(l->password), "%s", json_string_value(v));
	}
	json_decref(pw);
	return 0;
}

void pi_web_team_passwords_free(struct pi_vec *v)
{
	if (v->data)
		sodium_memzero(v->data, v->len * sizeof(struct pi_web_team_login));
	pi_vec_free(v);
}
