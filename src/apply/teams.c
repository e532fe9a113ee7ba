/*
 * apply/teams: the lab's teams and how each logs in, for `pocketinternet
 * teams` and the web server. The plan knows the teams (lab `teams:`);
 * the logins are what this build offers: a web account on `serve` named
 * after the team, and SSH with the team's key through `ssh-gateway`, one
 * port per team in this order (docs/workshop.md, docs/security.md).
 */
#include <string.h>
#include "apply_int.h"

void pi_apply_teams(const struct pi_plan *plan, struct pi_vec *out)
{
	for (uint32_t p = 0; p < plan->n_pods; p++) {
		const char *t = plan->pods[p].team;
		if (!t)
			continue;
		struct pi_team_info *ti = NULL;
		for (size_t i = 0; i < out->len && !ti; i++) {
			struct pi_team_info *x = pi_vec_at(out, i);
			if (strcmp(x->name, t) == 0)
				ti = x;
		}
		if (!ti) {
			ti = pi_vec_push(out);
			ti->name = t;
			ti->pods = (struct pi_vec)PI_VEC_INIT(uint32_t);
			ti->web = "web account (serve)";
			ti->ssh = "team key (teams --ssh-key) on the ssh-gateway port";
		}
		*(uint32_t *)pi_vec_push(&ti->pods) = p;
	}
}

void pi_apply_teams_free(struct pi_vec *teams)
{
	for (size_t i = 0; i < teams->len; i++)
		pi_vec_free(&((struct pi_team_info *)pi_vec_at(teams, i))->pods);
	pi_vec_free(teams);
}
