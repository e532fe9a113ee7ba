/*
 * web/api: the routes of /api/v1/ (docs/web.md). Login, logout and me are
 * answered on the loop (hashing goes to a worker); everything that asks
 * the lab goes to a worker. Every route asks pi_web_may first.
 */
#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "pocketinternet/report.h"
#include "web_int.h"

#define VERIFY_PARALLEL 8
#define LOGINS_MAX 8 /* password checks queued or running */

const struct pi_web_account *web_session_account(struct pi_web *w, struct lws *wsi, size_t *index)
{
	char cookie[2048], tok[WEB_TOKEN_HEX + 1];
	if (lws_hdr_copy(wsi, cookie, sizeof(cookie), WSI_TOKEN_HTTP_COOKIE) <= 0 ||
	    pi_web_cookie_get(cookie, "pi_session", tok, sizeof(tok)) != 0)
		return NULL;
	long a = web_session_find(w, tok);
	if (a < 0)
		return NULL;
	if (index)
		*index = (size_t)a;
	return pi_vec_at(&w->accounts, (size_t)a);
}

/* Origin must be scheme://Host as the browser sent Host. */
bool web_origin_ok(struct lws *wsi, bool tls)
{
	char origin[512], host[256], want[300];
	if (lws_hdr_copy(wsi, origin, sizeof(origin), WSI_TOKEN_ORIGIN) <= 0 ||
	    lws_hdr_copy(wsi, host, sizeof(host), WSI_TOKEN_HOST) <= 0)
		return false;
	snprintf(want, sizeof(want), "%s://%s", tls ? "https" : "http", host);
	return strcmp(origin, want) == 0;
}

const char *web_node_pod(const struct pi_web *w, const char *node, uint32_t *index)
{
	uint32_t n = pi_plan_node_by_name(w->plan, node);
	if (index)
		*index = n;
	return n == PI_NONE ? NULL : w->plan->pods[w->plan->nodes[n].pod].name;
}

/* A failed operation's first diagnostic as {"error", "hint"}. */
static json_t *diag_error(const struct pi_diag *d, const char *fallback)
{
	const struct pi_diag_entry *e = NULL;
	for (size_t i = 0; i < d->entries.len && !e; i++)
		if (((const struct pi_diag_entry *)pi_vec_at(&d->entries, i))->severity == PI_DIAG_ERROR)
			e = pi_vec_at(&d->entries, i);
	return json_pack("{s:s, s:s?}", "error", e ? e->msg : fallback, "hint", e ? e->hint : NULL);
}

static json_t *account_json(const struct pi_web_account *a)
{
	json_t *pods = json_null();
	if (a->role == PI_WEB_TEAM) {
		pods = json_array();
		for (size_t i = 0; i < a->n_pods; i++)
			json_array_append_new(pods, json_string(a->pods[i]));
	}
	return json_pack("{s:s, s:s, s:o}", "user", a->user, "role", pi_web_role_name(a->role), "pods", pods);
}

/* ---- login (the hash is slow on purpose: a worker checks it) ---- */

static const struct pi_web_account *find_user(const struct pi_vec *v, const char *user)
{
	for (size_t i = 0; i < v->len; i++)
		if (strcmp(((const struct pi_web_account *)pi_vec_at(v, i))->user, user) == 0)
			return pi_vec_at(v, i);
	return NULL;
}

static void login_run(struct web_job *j)
{
	struct pi_web *w = j->w;
	j->out = NULL;
	/* The hash comes from the file, so a reset (teams --reset-password)
	 * counts at once; who the account is and owns stays what serve loaded. */
	struct pi_vec disk;
	struct pi_diag d;
	pi_diag_init(&d);
	bool fresh = pi_web_accounts_load(w->state_dir, &disk, &d) == 0;
	pi_diag_free(&d);
	for (size_t i = 0; i < w->accounts.len; i++) {
		const struct pi_web_account *a = pi_vec_at(&w->accounts, i);
		const struct pi_web_account *h = fresh ? find_user(&disk, a->user) : a;
		if (strcmp(a->user, j->arg[0]) == 0 && h && pi_web_account_check(h, j->arg[1])) {
			j->out = (void *)(uintptr_t)(i + 1);
			web_job_reply(j, 200, account_json(a));
		}
	}
	if (fresh)
		pi_web_accounts_free(&disk);
	sodium_memzero(j->arg[1], sizeof(j->arg[1]));
	if (!j->out)
		web_job_reply(j, 401, json_pack("{s:s, s:s}", "error", "wrong user or password", "hint",
						"the trainer's password was printed when serve first ran"));
}

static void login_done(struct web_job *j)
{
	j->w->logins--;
	if (!j->out || !j->wsi)
		return;
	struct web_conn *c = lws_wsi_user(j->wsi);
	char hex[WEB_TOKEN_HEX];
	web_session_new(j->w, (size_t)(uintptr_t)j->out - 1, hex);
	snprintf(c->headers, sizeof(c->headers), "set-cookie: pi_session=%s; HttpOnly; SameSite=Strict; Path=/%s\r\n", hex,
		 j->w->tls ? "; Secure" : "");
	sodium_memzero(hex, sizeof(hex));
}

static void login(struct pi_web *w, struct lws *wsi, struct web_conn *c)
{
	struct pi_web_login_req r;
	if (!c->post || pi_web_parse_login(c->req ? c->req : "", c->req_len, &r) != 0) {
		web_reply_error(wsi, c, 400, "POST {\"user\": ..., \"password\": ...}", NULL);
		return;
	}
	if (w->logins >= LOGINS_MAX) {
		/* Each check takes a worker and 64 MB for ~0.1 s: a flood waits. */
		sodium_memzero(&r, sizeof(r));
		web_reply_error(wsi, c, 503, "too many logins at once", "try again in a second");
		return;
	}
	w->logins++;
	struct web_job *j = web_job_new(w, wsi, login_run, login_done);
	snprintf(j->arg[0], sizeof(j->arg[0]), "%s", r.user);
	snprintf(j->arg[1], sizeof(j->arg[1]), "%s", r.password);
	sodium_memzero(&r, sizeof(r));
	c->job = j;
	web_job_queue(j);
}

static void logout(struct pi_web *w, struct lws *wsi, struct web_conn *c)
{
	char cookie[2048], tok[WEB_TOKEN_HEX + 1];
	if (lws_hdr_copy(wsi, cookie, sizeof(cookie), WSI_TOKEN_HTTP_COOKIE) > 0 &&
	    pi_web_cookie_get(cookie, "pi_session", tok, sizeof(tok)) == 0)
		web_session_drop(w, tok);
	snprintf(c->headers, sizeof(c->headers),
		 "set-cookie: pi_session=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0%s\r\n", w->tls ? "; Secure" : "");
	web_reply(wsi, c, 204, "application/json", NULL, 0);
}

/* ---- the lab and what asks it (workers) ---- */

static void lab_run(struct web_job *j)
{
	struct pi_web *w = j->w;
	struct pi_diag d;
	struct pi_status st;
	struct pi_vec links = PI_VEC_INIT(struct pi_link_status), inc = PI_VEC_INIT(struct pi_incident);
	pi_diag_init(&d);
	int rc = pi_apply_status(w->b, w->plan, VERIFY_PARALLEL, &st, &d);
	pi_apply_link_list(w->b, w->plan, PI_NONE, &links, &d);
	pi_apply_incident_list(w->plan, NULL, &inc, &d);
	web_job_reply(j, 200, pi_report_lab(w->plan, rc ? NULL : &st, &links, &inc));
	if (!rc)
		pi_status_free(&st);
	pi_link_status_free(&links);
	pi_vec_free(&inc);
	pi_diag_free(&d);
}

static void verify_run(struct web_job *j)
{
	struct pi_web *w = j->w;
	struct pi_diag d;
	struct pi_verify v;
	pi_diag_init(&d);
	int rc = pi_apply_verify(w->b, w->plan, j->parts, VERIFY_PARALLEL, &v, &d);
	if (rc)
		web_job_reply(j, 500, diag_error(&d, "verify could not check the lab"));
	else
		web_job_reply(j, 200, pi_report_verify(w->plan, &v));
	if (!rc)
		pi_verify_free(&v);
	pi_diag_free(&d);
}

static int lg_status(int rc)
{
	return rc == -ENOTSUP ? 400 : rc == -ESRCH || rc == -ENOENT ? 409 : 500;
}

static void lg_run(struct web_job *j)
{
	struct pi_web *w = j->w;
	struct pi_diag d;
	struct pi_prefix dst;
	pi_diag_init(&d);
	bool routes = j->arg[1][0] != '\0';
	struct pi_vec v = routes ? (struct pi_vec)PI_VEC_INIT(struct pi_lg_route) : (struct pi_vec)PI_VEC_INIT(struct pi_lg_session);
	int rc = routes ? pi_prefix_parse(j->arg[1], &dst) : 0;
	if (rc) {
		web_job_reply(j, 400, json_pack("{s:s, s:s}", "error", "q is neither a prefix nor an address", "hint",
						"10.0.0.0/24, 2001:db8::/48 or an address"));
	} else {
		rc = routes ? pi_apply_lg_routes(w->b, w->plan, j->n, &dst, &v, &d)
			    : pi_apply_lg_sessions(w->b, w->plan, j->n, &v, &d);
		if (rc)
			web_job_reply(j, lg_status(rc), diag_error(&d, "the router's daemon could not be asked"));
		else
			web_job_reply(j, 200, routes ? pi_report_lg_routes(w->plan, j->n, j->arg[1], &v)
						     : pi_report_lg_sessions(w->plan, j->n, &v));
	}
	pi_vec_free(&v);
	pi_diag_free(&d);
}

static void paths_run(struct web_job *j)
{
	struct pi_web *w = j->w;
	const struct pi_plan *plan = w->plan;
	struct pi_report_paths *r = pi_xcalloc(1, sizeof(*r)); /* two traceroutes: too big for a stack */
	r->plan = plan;
	r->src = pi_plan_node_by_name(plan, j->arg[0]);
	r->dst = pi_plan_node_by_name(plan, j->arg[1]);
	uint32_t sp = plan->nodes[r->src].pod, dp = plan->nodes[r->dst].pod;
	pi_plan_paths_init(&r->routers, false);
	pi_plan_paths_init(&r->ases, true);
	pi_plan_router_paths(plan, r->src, r->dst, 20, 0, &r->routers);
	if (plan->pods[sp].tier != PI_TIER_IXP && plan->pods[dp].tier != PI_TIER_IXP)
		pi_plan_as_paths(plan, sp, dp, 20, 0, &r->ases);
	struct pi_diag d;
	pi_diag_init(&d);
	int rc = pi_apply_paths_live(w->b, plan, r->src, r->dst, &r->ases, NULL, r->live, &d);
	r->have_live = rc == 0;
	if (rc)
		web_job_reply(j, 409, diag_error(&d, "the source node does not run"));
	else
		web_job_reply(j, 200, pi_report_paths(r));
	pi_diag_free(&d);
	pi_plan_paths_free(&r->routers);
	pi_plan_paths_free(&r->ases);
	free(r);
}

static void start_job(struct pi_web *w, struct lws *wsi, struct web_conn *c, web_job_fn run, size_t account,
		      const char *a0, const char *a1, unsigned n, unsigned parts)
{
	struct web_job *j = web_job_new(w, wsi, run, NULL);
	j->account = account;
	snprintf(j->arg[0], sizeof(j->arg[0]), "%s", a0 ? a0 : "");
	snprintf(j->arg[1], sizeof(j->arg[1]), "%s", a1 ? a1 : "");
	j->n = n;
	j->parts = parts;
	c->job = j;
	web_job_queue(j);
}

static int parse_only(const char *arg, unsigned *parts)
{
	static const struct { const char *name; unsigned bit; } names[] = {
		{ "reach", PI_VERIFY_REACH }, { "reach4", PI_VERIFY_REACH4 }, { "reach6", PI_VERIFY_REACH6 },
		{ "dns", PI_VERIFY_DNS },     { "http", PI_VERIFY_HTTP },     { "policy", PI_VERIFY_POLICY },
	};
	char buf[256];
	snprintf(buf, sizeof(buf), "%s", arg);
	char *save = NULL;
	for (char *word = strtok_r(buf, ",", &save); word; word = strtok_r(NULL, ",", &save)) {
		bool known = false;
		for (size_t i = 0; i < PI_ARRAY_LEN(names); i++)
			if (strcmp(word, names[i].name) == 0) {
				*parts |= names[i].bit;
				known = true;
			}
		if (!known)
			return -EINVAL;
	}
	return 0;
}

static void verify(struct pi_web *w, struct lws *wsi, struct web_conn *c, size_t account)
{
	char only[256];
	unsigned parts = 0;
	int rc = pi_web_query_get(c->query, "only", only, sizeof(only));
	if ((rc != 0 && rc != -ENOENT) || (rc == 0 && parse_only(only, &parts) != 0)) {
		web_reply_error(wsi, c, 400, "only takes reach (reach4, reach6), dns, http or policy, comma-separated", NULL);
		return;
	}
	start_job(w, wsi, c, verify_run, account, NULL, NULL, 0, parts);
}

/* A node of the lab the account may act on; else the reply is made. */
static bool node_arg(struct pi_web *w, struct lws *wsi, struct web_conn *c, const struct pi_web_account *a,
		     const char *node, enum pi_web_action act, uint32_t *index)
{
	const char *pod = pi_web_name_ok(node) ? web_node_pod(w, node, index) : NULL;
	if (!pod) {
		web_reply_error(wsi, c, 404, "the lab has no such node", "GET /api/v1/lab lists the nodes");
		return false;
	}
	if (!pi_web_may(a, act, pod)) {
		web_reply_error(wsi, c, 403, "this account may not do that on this pod", NULL);
		return false;
	}
	return true;
}

static void lg(struct pi_web *w, struct lws *wsi, struct web_conn *c, const struct pi_web_account *a, size_t account)
{
	char q[128] = "";
	uint32_t node;
	int rc = pi_web_query_get(c->query, "q", q, sizeof(q));
	if (rc != 0 && rc != -ENOENT) {
		web_reply_error(wsi, c, 400, "q is too long or malformed", NULL);
		return;
	}
	if (node_arg(w, wsi, c, a, c->uri + strlen("/api/v1/lg/"), PI_WEB_VIEW, &node))
		start_job(w, wsi, c, lg_run, account, NULL, q, node, 0);
}

static void paths(struct pi_web *w, struct lws *wsi, struct web_conn *c, const struct pi_web_account *a, size_t account)
{
	char from[128], to[128];
	uint32_t s, t;
	if (pi_web_query_get(c->query, "from", from, sizeof(from)) != 0 ||
	    pi_web_query_get(c->query, "to", to, sizeof(to)) != 0) {
		web_reply_error(wsi, c, 400, "paths needs from=NODE&to=NODE", NULL);
		return;
	}
	if (node_arg(w, wsi, c, a, from, PI_WEB_VIEW, &s) && node_arg(w, wsi, c, a, to, PI_WEB_VIEW, &t))
		start_job(w, wsi, c, paths_run, account, from, to, 0, 0);
}

static bool is(const struct web_conn *c, const char *path, bool post)
{
	return strcmp(c->uri, path) == 0 && c->post == post;
}

void web_api(struct pi_web *w, struct lws *wsi, struct web_conn *c)
{
	if (is(c, "/api/v1/login", true)) {
		login(w, wsi, c);
		return;
	}
	size_t account;
	const struct pi_web_account *a = web_session_account(w, wsi, &account);
	if (!a) {
		web_reply_error(wsi, c, 401, "login required", "POST /api/v1/login with {\"user\": ..., \"password\": ...}");
		return;
	}
	/* The public routes (lab, verify; lg and paths per node below) ask too,
	 * so a future role that may not view is refused everywhere at once. */
	bool pub = is(c, "/api/v1/lab", false) || is(c, "/api/v1/verify", false);
	if (pub && !pi_web_may(a, PI_WEB_VIEW, NULL)) {
		web_reply_error(wsi, c, 403, "this account may not view the lab", NULL);
		return;
	}
	if (is(c, "/api/v1/logout", true))
		logout(w, wsi, c);
	else if (is(c, "/api/v1/me", false))
		web_reply_json(wsi, c, 200, account_json(a));
	else if (is(c, "/api/v1/lab", false))
		start_job(w, wsi, c, lab_run, account, NULL, NULL, 0, 0);
	else if (is(c, "/api/v1/verify", false))
		verify(w, wsi, c, account);
	else if (!c->post && strncmp(c->uri, "/api/v1/lg/", 11) == 0)
		lg(w, wsi, c, a, account);
	else if (is(c, "/api/v1/paths", false))
		paths(w, wsi, c, a, account);
	else if (strcmp(c->uri, "/api/v1/capture") == 0 || strncmp(c->uri, "/api/v1/capture/", 16) == 0)
		web_capture_route(w, wsi, c, a);
	else if (!web_exercise_route(w, wsi, c, a, account))
		web_reply_error(wsi, c, 404, "no such API", "docs/web.md lists the API");
}
