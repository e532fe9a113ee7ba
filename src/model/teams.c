/*
 * model/teams: a lab's `teams:` (which team of students owns which pods)
 * and a pod entry's `configure:` (which pods the students configure
 * themselves). docs/lab-format.md, "teams"; docs/workshop.md.
 *
 * Teams are read after the pods, so pod names resolve against the names
 * the planner will give: explicit names, and <blueprint><n> for generated
 * pods. A pod in two teams, an unknown pod and a bad name are errors at
 * their position; the generator form is expanded here, so later stages see
 * only concrete teams.
 */
#include <stdint.h>
#include <string.h>
#include "model.h"

static const char *const team_keys[] = { "name", "pods", "per_pod", NULL };
static const char *const configure_words[] = { "students", NULL };
static const char *const configure_keys[] = { "students", NULL };
static const char *const level_words[] = { "bgp", "all", NULL };

const char *pi_exercise_name(enum pi_exercise e)
{
	static const char *const names[] = { "none", "bgp", "all" };
	return (unsigned)e < PI_ARRAY_LEN(names) ? names[e] : "?";
}

void pi_lab_parse_configure(struct pi_ld *ld, const struct pi_ynode *n, bool named, struct pi_lab_pod *pod)
{
	unsigned w;
	if (!named) {
		pi_ld_err(ld, n->pos, "add name: to make it one named pod; exercise pods are named",
			  "only a named pod can have configure:");
		return;
	}
	if (n->kind == PI_Y_SCALAR) {
		if (pi_y_enum(ld, n, "configure", configure_words, &w))
			pod->exercise = PI_EXERCISE_BGP;
		return;
	}
	if (n->kind != PI_Y_MAP) {
		pi_ld_err(ld, n->pos, "write configure: students, or configure: {students: bgp} (or all)",
			  "configure must be 'students' or a mapping, not %s", pi_y_kind_name(n));
		return;
	}
	pi_y_keys(ld, n, configure_keys, "configure");
	const struct pi_ynode *lv = pi_y_get(n, "students");
	if (!lv) {
		pi_ld_err(ld, n->pos, "write configure: {students: bgp} (or all)", "configure without 'students'");
		return;
	}
	if (pi_y_enum(ld, lv, "configure level", level_words, &w))
		pod->exercise = w == 0 ? PI_EXERCISE_BGP : PI_EXERCISE_ALL;
}

/* The pods of the lab as the planner names them, with their blueprints. */
struct tpod {
	const char *name, *bp;
	size_t team; /* index of its team, SIZE_MAX: none yet */
	struct pi_pos team_pos;
};

static struct tpod *pod_table(struct pi_ld *ld, const struct pi_lab *lab, size_t *n)
{
	size_t total = 0;
	for (size_t i = 0; i < lab->n_pods; i++)
		total += lab->pods[i].name ? 1 : lab->pods[i].count;
	struct tpod *t = pi_arena_alloc(&ld->tmp, (total ? total : 1) * sizeof(*t));
	size_t k = 0;
	for (size_t i = 0; i < lab->n_pods; i++) {
		const struct pi_lab_pod *p = &lab->pods[i];
		if (p->name) {
			t[k++] = (struct tpod){ .name = p->name, .bp = p->blueprint, .team = SIZE_MAX };
			continue;
		}
		size_t bl = strlen(p->blueprint);
		const char *dash = bl && p->blueprint[bl - 1] >= '0' && p->blueprint[bl - 1] <= '9' ? "-" : "";
		for (unsigned c = 0; c < p->count; c++)
			t[k++] = (struct tpod){ .name = pi_arena_printf(ld->arena, "%s%s%u", p->blueprint, dash,
									p->first_index + c),
						.bp = p->blueprint, .team = SIZE_MAX };
	}
	*n = k;
	return t;
}

static struct tpod *find_pod(struct tpod *t, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(t[i].name, name) == 0)
			return &t[i];
	return NULL;
}

/* Gives pod p to team ti; a pod already owned is an error at pos. */
static bool claim(struct pi_ld *ld, struct tpod *p, size_t ti, const char *team, struct pi_pos pos,
		  const struct pi_vec *teams)
{
	if (p->team != SIZE_MAX) {
		const struct pi_lab_team *o = pi_vec_at(teams, p->team);
		pi_ld_err(ld, pos, "give every pod to one team", "pod '%s' of team '%s' is already in team '%s' (line %u)",
			  p->name, team, o->name, p->team_pos.line);
		return false;
	}
	p->team = ti;
	p->team_pos = pos;
	return true;
}

static bool team_name_ok(struct pi_ld *ld, const struct pi_ynode *n, const char **out)
{
	if (!pi_y_str(ld, n, "team name", out))
		return false;
	if (pi_y_name_ok(*out, PI_LAB_NAME_MAX, true))
		return true;
	pi_ld_err(ld, n->pos,
		  pi_ld_fmt(ld, "use lowercase letters, digits and '-', starting with a letter, at most %d chars "
				"(it names the team's web account)",
			    PI_LAB_NAME_MAX),
		  "invalid team name '%s'", pi_ld_val(ld, *out));
	return false;
}

static void unknown_pod(struct pi_ld *ld, const struct pi_ynode *n, struct tpod *t, size_t np)
{
	const char **names = pi_arena_alloc(&ld->tmp, (np ? np : 1) * sizeof(*names));
	for (size_t i = 0; i < np; i++)
		names[i] = t[i].name;
	const char *near = np <= 2000 ? pi_nearest(n->str, names, np) : NULL;
	pi_ld_err(ld, n->pos,
		  near	? pi_ld_fmt(ld, "did you mean '%s'?", near)
		  : np	? pi_ld_fmt(ld, "name a pod of this lab: %s", pi_ld_join(ld, names, np, 12))
			: "add the pod under pods: first",
		  "team: unknown pod '%s'", pi_ld_val(ld, n->str));
}

static void parse_generator(struct pi_ld *ld, const struct pi_ynode *g, struct tpod *t, size_t np,
			    struct pi_vec *teams)
{
	const char *bp;
	if (!pi_y_str(ld, g, "per_pod", &bp))
		return;
	size_t made = 0;
	for (size_t i = 0; i < np; i++) {
		if (!t[i].bp || strcmp(t[i].bp, bp) != 0) /* a pod whose blueprint did not load */
			continue;
		size_t ti = teams->len;
		if (!claim(ld, &t[i], ti, t[i].name, g->pos, teams))
			continue;
		struct pi_lab_team *tm = pi_vec_push(teams);
		const char **one = pi_arena_alloc(ld->arena, sizeof(*one));
		one[0] = t[i].name;
		*tm = (struct pi_lab_team){ .name = t[i].name, .pods = one, .n_pods = 1, .pos = g->pos };
		made++;
	}
	if (!made)
		pi_ld_err(ld, g->pos, "name a blueprint the lab has pods of", "per_pod: the lab has no pods of blueprint '%s'",
			  pi_ld_val(ld, bp));
}

static void parse_team(struct pi_ld *ld, const struct pi_ynode *n, struct tpod *t, size_t np, struct pi_vec *teams)
{
	if (!pi_y_is(ld, n, PI_Y_MAP, "a teams entry"))
		return;
	pi_y_keys(ld, n, team_keys, "a teams entry");
	const struct pi_ynode *name = pi_y_get(n, "name"), *pods = pi_y_get(n, "pods"), *gen = pi_y_get(n, "per_pod");
	if (gen) {
		if (name || pods)
			pi_ld_err(ld, n->pos, "write {per_pod: BLUEPRINT} alone: it names its teams after the pods",
				  "per_pod cannot go with name or pods");
		else
			parse_generator(ld, gen, t, np, teams);
		return;
	}
	struct pi_lab_team tm = { .pos = n->pos };
	if (!name)
		pi_ld_err(ld, n->pos, "add name: red", "team without 'name'");
	else if (!team_name_ok(ld, name, &tm.name))
		return;
	if (!pods) {
		pi_ld_err(ld, n->pos, "add pods: [POD, ...]", "team without 'pods'");
		return;
	}
	if (!pi_y_is(ld, pods, PI_Y_SEQ, "a team's pods") || !tm.name)
		return;
	size_t ti = teams->len;
	tm.pods = pi_arena_alloc(ld->arena, (pods->n ? pods->n : 1) * sizeof(*tm.pods));
	for (size_t i = 0; i < pods->n; i++) {
		const struct pi_ynode *pn = pods->kids[i];
		const char *s;
		if (!pi_y_str(ld, pn, "a team's pod", &s))
			continue;
		struct tpod *p = find_pod(t, np, s);
		if (!p)
			unknown_pod(ld, pn, t, np);
		else if (claim(ld, p, ti, tm.name, pn->pos, teams))
			tm.pods[tm.n_pods++] = p->name;
	}
	if (!pods->n)
		pi_ld_err(ld, pods->pos, "list the team's pods: pods: [POD]", "team '%s' owns no pod", tm.name);
	*(struct pi_lab_team *)pi_vec_push(teams) = tm;
}

/* Team names are unique (they name web accounts). */
static void check_team_names(struct pi_ld *ld, const struct pi_vec *teams)
{
	for (size_t i = 0; i < teams->len; i++)
		for (size_t j = 0; j < i; j++) {
			const struct pi_lab_team *a = pi_vec_at(teams, i), *b = pi_vec_at(teams, j);
			if (strcmp(a->name, b->name) == 0) {
				pi_ld_err(ld, a->pos, "give every team its own name", "duplicate team name '%s' (first at line %u)",
					  a->name, b->pos.line);
				break;
			}
		}
}

void pi_lab_parse_teams(struct pi_ld *ld, const struct pi_ynode *n, struct pi_lab *lab)
{
	if (!pi_y_is(ld, n, PI_Y_SEQ, "teams"))
		return;
	size_t np;
	struct tpod *t = pod_table(ld, lab, &np);
	struct pi_vec teams = PI_VEC_INIT(struct pi_lab_team);
	size_t m = pi_y_cap(ld, n, PI_LAB_MAX_TEAMS, "teams entries");
	for (size_t i = 0; i < m && !pi_ld_full(ld); i++)
		parse_team(ld, n->kids[i], t, np, &teams);
	if (teams.len > PI_LAB_MAX_TEAMS)
		pi_ld_err(ld, n->pos, pi_ld_fmt(ld, "use at most %d teams", PI_LAB_MAX_TEAMS), "the lab has %zu teams",
			  teams.len);
	check_team_names(ld, &teams);
	lab->teams = pi_arena_alloc(ld->arena, (teams.len ? teams.len : 1) * sizeof(*lab->teams));
	if (teams.len)
		memcpy(lab->teams, teams.data, teams.len * sizeof(*lab->teams));
	lab->n_teams = teams.len;
	pi_vec_free(&teams);
}

const struct pi_lab_team *pi_lab_team_of_pod(const struct pi_lab *lab, const char *pod)
{
	for (size_t i = 0; i < lab->n_teams; i++)
		for (size_t k = 0; k < lab->teams[i].n_pods; k++)
			if (strcmp(lab->teams[i].pods[k], pod) == 0)
				return &lab->teams[i];
	return NULL;
}
