/*
 * web/exercise: a team's own work over the API (docs/web.md, "Exercise
 * pods"): GET check/POD grades a pod, POST save/POD and reset/POD keep or
 * undo its routers' configs, GET config/NODE reads a router's config. All
 * on the team's own pods only (pi_web_may), the trainer's on every pod.
 */
#include <stdlib.h>
#include <string.h>
#include "pocketinternet/report.h"
#include "web_int.h"

static json_t *first_error(const struct pi_diag *d, const char *fallback)
{
	const struct pi_diag_entry *e = NULL;
	for (size_t i = 0; i < d->entries.len && !e; i++)
		if (((const struct pi_diag_entry *)pi_vec_at(&d->entries, i))->severity == PI_DIAG_ERROR)
			e = pi_vec_at(&d->entries, i);
	return json_pack("{s:s, s:s?}", "error", e ? e->msg : fallback, "hint", e ? e->hint : NULL);
}

static void check_run(struct web_job *j)
{
	struct pi_diag d;
	struct pi_check_result res;
	pi_diag_init(&d);
	pi_check_result_init(&res);
	uint32_t pod = j->n;
	if (pi_apply_check(j->w->b, j->w->plan, &pod, 1, &res, &d) == 0)
		web_job_reply(j, 200, pi_report_check(j->w->plan, &pod, 1, &res));
	else
		web_job_reply(j, 409, first_error(&d, "the pod could not be checked"));
	pi_check_result_free(&res);
	pi_diag_free(&d);
}

static json_t *save_json(const struct pi_save_result *r, const char *what)
{
	json_t *not = json_array();
	for (size_t i = 0; i < r->not_reconfigured.len; i++)
		json_array_append_new(not, json_string(pi_vec_at(&r->not_reconfigured, i)));
	return json_pack("{s:s, s:s, s:s, s:i, s:i, s:o}", "done", what, "owner", r->owner, "stamp", r->stamp, "nodes",
			 (json_int_t)r->nodes, "reconfigured", (json_int_t)r->reconfigured, "not_reconfigured", not);
}

/* save (arg[1] "save") or reset of pod arg[0]. */
static void keep_run(struct web_job *j)
{
	struct pi_web *w = j->w;
	struct pi_diag d;
	struct pi_save_result res;
	pi_diag_init(&d);
	pi_save_result_init(&res);
	struct pi_save_opts o = { .state_root = w->state_root[0] ? w->state_root : NULL, .pod = j->arg[0] };
	bool save = strcmp(j->arg[1], "save") == 0;
	int rc = save ? pi_apply_save(w->b, w->plan, &o, &res, &d) : pi_apply_reset(w->b, w->plan, &o, &res, &d);
	if (rc)
		web_job_reply(j, 409, first_error(&d, save ? "the pod could not be saved" : "the pod could not be reset"));
	else
		web_job_reply(j, 200, save_json(&res, j->arg[1]));
	pi_save_result_free(&res);
	pi_diag_free(&d);
}

static void config_run(struct web_job *j)
{
	struct pi_web *w = j->w;
	struct pi_diag d;
	const char *file = NULL;
	char *text = NULL;
	size_t len = 0;
	pi_diag_init(&d);
	int rc = pi_apply_node_config(w->b, w->plan, j->n, w->state_root[0] ? w->state_root : NULL, &file, &text, &len, &d);
	if (rc)
		web_job_reply(j, rc == -ENOENT ? 404 : 409, first_error(&d, "the config could not be read"));
	else
		web_job_reply(j, 200, json_pack("{s:s, s:s, s:s%}", "node", j->arg[0], "file", file, "text", text, len));
	free(text);
	pi_diag_free(&d);
}

static void queue(struct pi_web *w, struct lws *wsi, struct web_conn *c, web_job_fn run, size_t account,
		  const char *a0, const char *a1, uint32_t n)
{
	struct web_job *j = web_job_new(w, wsi, run, NULL);
	j->account = account;
	snprintf(j->arg[0], sizeof(j->arg[0]), "%s", a0);
	snprintf(j->arg[1], sizeof(j->arg[1]), "%s", a1);
	j->n = n;
	c->job = j;
	web_job_queue(j);
}

/* The pod named after prefix in the URI, if the account may act on it. */
static bool pod_arg(struct pi_web *w, struct lws *wsi, struct web_conn *c, const struct pi_web_account *a,
		    const char *name, enum pi_web_action act, uint32_t *pod)
{
	*pod = pi_web_name_ok(name) ? pi_plan_pod_by_name(w->plan, name) : PI_NONE;
	if (*pod == PI_NONE) {
		web_reply_error(wsi, c, 404, "the lab has no such pod", "GET /api/v1/lab lists the pods");
		return false;
	}
	if (!pi_web_may(a, act, name)) {
		web_reply_error(wsi, c, 403, "this account may not do that on this pod", "a team acts on its own pods only");
		return false;
	}
	return true;
}

bool web_exercise_route(struct pi_web *w, struct lws *wsi, struct web_conn *c, const struct pi_web_account *a,
			size_t account)
{
	static const struct { const char *prefix; bool post; enum pi_web_action act; } routes[] = {
		{ "/api/v1/check/", false, PI_WEB_CHECK },
		{ "/api/v1/save/", true, PI_WEB_SAVE },
		{ "/api/v1/reset/", true, PI_WEB_RESET },
		{ "/api/v1/config/", false, PI_WEB_CONFIG },
	};
	for (size_t i = 0; i < PI_ARRAY_LEN(routes); i++) {
		size_t n = strlen(routes[i].prefix);
		if (strncmp(c->uri, routes[i].prefix, n) != 0 || c->post != routes[i].post)
			continue;
		const char *name = c->uri + n;
		uint32_t x;
		if (routes[i].act == PI_WEB_CONFIG) {
			const char *pod = pi_web_name_ok(name) ? web_node_pod(w, name, &x) : NULL;
			if (!pod)
				web_reply_error(wsi, c, 404, "the lab has no such node", "GET /api/v1/lab lists the nodes");
			else if (!pi_web_may(a, PI_WEB_CONFIG, pod))
				web_reply_error(wsi, c, 403, "this account may not read configs on this pod",
						"a team reads its own pods' configs only");
			else
				queue(w, wsi, c, config_run, account, name, "", x);
		} else if (pod_arg(w, wsi, c, a, name, routes[i].act, &x)) {
			queue(w, wsi, c, routes[i].act == PI_WEB_CHECK ? check_run : keep_run, account, name,
			      routes[i].act == PI_WEB_SAVE ? "save" : "reset", x);
		}
		return true;
	}
	return false;
}
