/*
 * web/server: the lws context, its one vhost (TLS when given a certificate)
 * and the service loop. One service thread; workers and the poller only
 * talk to it through the job lists and lws_cancel_service.
 */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include "web_int.h"

static const struct lws_protocols protocols[] = {
	{ "http", web_callback, sizeof(struct web_conn), 0, 0, NULL, 0 },
	{ "pi-tty", web_callback, 0, 0, 0, NULL, 0 },
	{ NULL, NULL, 0, 0, 0, NULL, 0 },
};

/* "ADDR:PORT" or "[ADDR6]:PORT" into host and *port. */
static int parse_listen(const char *s, char *host, size_t len, int *port)
{
	const char *colon = s[0] == '[' ? strstr(s, "]:") : strrchr(s, ':');
	if (!colon || colon == s)
		return -EINVAL;
	const char *h = s[0] == '[' ? s + 1 : s;
	size_t n = (size_t)(colon - h);
	const char *p = colon + (s[0] == '[' ? 2 : 1);
	char *end;
	long v = strtol(p, &end, 10);
	if (n + 1 > len || !*p || *end || v < 0 || v > 65535)
		return -EINVAL;
	memcpy(host, h, n);
	host[n] = '\0';
	*port = (int)v;
	return 0;
}

/* The trainer account on first use: its password goes to the caller once. */
static int ensure_trainer(struct pi_web *w, char *password, size_t len, struct pi_diag *diag)
{
	int rc = pi_web_accounts_load(w->state_dir, &w->accounts, diag);
	if (rc)
		return rc;
	for (size_t i = 0; i < w->accounts.len; i++)
		if (((struct pi_web_account *)pi_vec_at(&w->accounts, i))->role == PI_WEB_TRAINER)
			return 0;
	char pw[64];
	rc = pi_web_account_set(w->state_dir, "trainer", "trainer", NULL, 0, pw, sizeof(pw), diag);
	if (!rc && password)
		snprintf(password, len, "%s", pw);
	sodium_memzero(pw, sizeof(pw));
	pi_web_accounts_free(&w->accounts);
	return rc ? rc : pi_web_accounts_load(w->state_dir, &w->accounts, diag);
}

/* A team's pods are the plan's (the lab file may have changed since its
 * account was made): the accounts file only names the team. */
static void team_pods_from_plan(struct pi_web *w)
{
	for (size_t i = 0; i < w->accounts.len; i++) {
		struct pi_web_account *a = pi_vec_at(&w->accounts, i);
		struct pi_vec pods = PI_VEC_INIT(uint32_t);
		if (a->role != PI_WEB_TEAM)
			continue;
		pi_plan_team_pods(w->plan, a->user, &pods); /* none: not a team of this lab, owns nothing */
		for (size_t k = 0; k < a->n_pods; k++)
			free(a->pods[k]);
		free(a->pods);
		a->pods = pi_xcalloc(pods.len ? pods.len : 1, sizeof(char *));
		a->n_pods = 0;
		for (size_t k = 0; k < pods.len; k++)
			a->pods[a->n_pods++] = pi_xstrdup(w->plan->pods[*(uint32_t *)pi_vec_at(&pods, k)].name);
		pi_vec_free(&pods);
	}
}

static int make_context(struct pi_web *w, const struct pi_web_opts *o, struct pi_diag *diag)
{
	struct lws_context_creation_info info;
	memset(&info, 0, sizeof(info));
	info.options = LWS_SERVER_OPTION_EXPLICIT_VHOSTS | LWS_SERVER_OPTION_VALIDATE_UTF8 |
		       (w->tls ? LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT : 0);
	info.user = w;
	info.port = CONTEXT_PORT_NO_LISTEN;
	lws_set_log_level(LLL_ERR, NULL);
	w->ctx = lws_create_context(&info);
	if (!w->ctx) {
		pi_diag_add(diag, (struct pi_pos){ 0 }, NULL, "cannot start the web server (libwebsockets)");
		return -ENOMEM;
	}
	info.vhost_name = "pocketinternet";
	info.port = w->port;
	info.iface = w->listen_host;
	info.protocols = protocols;
	info.server_string = "pocketinternet";
	info.ssl_cert_filepath = o->cert;
	info.ssl_private_key_filepath = o->key;
	w->vh = lws_create_vhost(w->ctx, &info);
	if (!w->vh) {
		pi_diag_add(diag, (struct pi_pos){ 0 },
			    w->tls ? "check --cert and --key, and that the port is free ('ss -ltn')"
				   : "another program may use the port: choose one with --listen ADDR:PORT",
			    "cannot listen on %s:%d", w->listen_host, w->port);
		return -EADDRINUSE;
	}
	w->port = lws_get_vhost_listen_port(w->vh);
	return 0;
}

int pi_web_start(struct pi_backend *b, const struct pi_plan *plan, const struct pi_web_opts *o, struct pi_web **out,
		 char *password, size_t len, struct pi_diag *diag)
{
	*out = NULL;
	if (password && len)
		password[0] = '\0';
	if (sodium_init() < 0)
		return -ENOMEM;
	if (!o->cert != !o->key) {
		pi_diag_add(diag, (struct pi_pos){ 0 }, "give both --cert FILE and --key FILE, or neither",
			    "TLS needs a certificate and its key");
		return -EINVAL;
	}
	struct pi_web *w = pi_xcalloc(1, sizeof(*w));
	w->b = b;
	w->plan = plan;
	w->tls = o->cert != NULL;
	w->poll_ms = o->poll_ms ? o->poll_ms : 2000;
	w->want_workers = o->workers ? o->workers : 4;
	w->accounts = (struct pi_vec)PI_VEC_INIT(struct pi_web_account);
	w->sessions = (struct pi_vec)PI_VEC_INIT(struct web_session);
	w->next_capture = 1;
	snprintf(w->state_dir, sizeof(w->state_dir), "%s", o->state_dir);
	snprintf(w->state_root, sizeof(w->state_root), "%s", o->state_root ? o->state_root : "");
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->cond, NULL);
	pthread_cond_init(&w->poll_cond, NULL);
	int rc = 0;
	if (parse_listen(o->listen ? o->listen : "127.0.0.1:8080", w->listen_host, sizeof(w->listen_host), &w->port)) {
		pi_diag_add(diag, (struct pi_pos){ 0 }, "e.g. --listen 127.0.0.1:8080 or --listen [::1]:8080",
			    "--listen takes ADDR:PORT, not '%s'", o->listen);
		rc = -EINVAL;
	}
	if (!rc)
		rc = pi_web_teams_ensure(w->state_dir, plan, diag);
	if (!rc)
		rc = ensure_trainer(w, password, len, diag);
	if (!rc)
		team_pods_from_plan(w);
	if (!rc)
		rc = make_context(w, o, diag);
	if (rc) {
		pi_web_free(w);
		return rc;
	}
	*out = w;
	return 0;
}

int pi_web_port(const struct pi_web *w)
{
	return w->port;
}

void pi_web_url(const struct pi_web *w, char *buf, size_t len)
{
	bool v6 = strchr(w->listen_host, ':') != NULL;
	snprintf(buf, len, "%s://%s%s%s:%d/", w->tls ? "https" : "http", v6 ? "[" : "", w->listen_host, v6 ? "]" : "",
		 w->port);
}

int pi_web_run(struct pi_web *w)
{
	int rc = web_jobs_start(w, w->want_workers);
	if (!rc)
		rc = web_events_start(w);
	while (!rc && !atomic_load(&w->stop))
		if (lws_service(w->ctx, 0) < 0)
			rc = -EIO;
	web_events_stop(w);
	web_jobs_stop(w); /* a running job finishes first */
	lws_context_destroy(w->ctx); /* closes every connection and terminal */
	w->ctx = NULL;
	web_jobs_free(w);
	web_captures_free(w);
	return rc;
}

void pi_web_stop(struct pi_web *w)
{
	atomic_store(&w->stop, 1);
	if (w->ctx)
		lws_cancel_service(w->ctx);
}

void pi_web_free(struct pi_web *w)
{
	if (!w)
		return;
	if (w->ctx)
		lws_context_destroy(w->ctx);
	web_jobs_free(w);
	web_captures_free(w);
	pi_web_accounts_free(&w->accounts);
	for (size_t i = 0; i < w->sessions.len; i++)
		sodium_memzero(pi_vec_at(&w->sessions, i), sizeof(struct web_session));
	pi_vec_free(&w->sessions);
	pthread_mutex_destroy(&w->lock);
	pthread_cond_destroy(&w->cond);
	pthread_cond_destroy(&w->poll_cond);
	free(w);
}
