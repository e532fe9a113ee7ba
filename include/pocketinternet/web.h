/*
 * web: `pocketinternet serve`, the classroom in a browser (docs/web.md). An
 * HTTP and WebSocket server (libwebsockets, one service thread) with the
 * page's assets built into the binary and the JSON API of docs/web.md.
 * Everything slow (verify, the looking glass, paths, the lab's live state,
 * password hashing) runs on worker threads; their replies come back to the
 * loop through a queue and lws_cancel_service, so the loop never blocks.
 *
 * Access: accounts live in the lab's state directory (web/accounts.json,
 * 0600, libsodium argon2id hashes). Every request but the login and the
 * static assets needs a session (a random token in an HttpOnly SameSite
 * cookie), and every handler asks pi_web_may before it acts.
 */
#ifndef POCKETINTERNET_WEB_H
#define POCKETINTERNET_WEB_H

#include <stdbool.h>
#include <stddef.h>
#include "apply.h"
#include "diag.h"
#include "plan.h"

/* ---- accounts and what they may do (auth.c) ---- */

enum pi_web_role { PI_WEB_TRAINER, PI_WEB_TEAM };
enum pi_web_action { PI_WEB_VIEW, PI_WEB_TERM, PI_WEB_CAPTURE, PI_WEB_CONFIG, PI_WEB_SAVE, PI_WEB_RESET,
		      PI_WEB_CHECK };

#define PI_WEB_USER_MAX 64
#define PI_WEB_HASH_MAX 128 /* crypto_pwhash_STRBYTES */

struct pi_web_account {
	char user[PI_WEB_USER_MAX];
	enum pi_web_role role;
	char **pods; /* a team's own pods (n_pods of them); NULL for a trainer */
	size_t n_pods;
	char hash[PI_WEB_HASH_MAX]; /* crypto_pwhash_str: "$argon2id$..." */
};

const char *pi_web_role_name(enum pi_web_role r); /* "trainer", "team" */
const char *pi_web_action_name(enum pi_web_action a); /* "view", "term", ... */
/*
 * The one check every handler makes: may account do action on pod (the
 * pod's name; NULL: the lab as a whole)? A trainer may do everything; a
 * team may view everything and do the rest only on its own pods.
 */
bool pi_web_may(const struct pi_web_account *account, enum pi_web_action action, const char *pod);

/* "<state_dir>/web" into buf (accounts, captures). */
void pi_web_dir(const char *state_dir, char *buf, size_t len);
/*
 * Adds user, or resets its role, pods and password: a new random password
 * is written to password_out (len >= 32) and only its hash is stored.
 * role "trainer" (pods ignored) or "team". Creates <state_dir>/web (0700)
 * and writes accounts.json (0600) atomically. 0 or -errno with a diagnostic.
 */
int pi_web_account_set(const char *state_dir, const char *user, const char *role, const char *const *pods,
		       size_t n_pods, char *password_out, size_t len, struct pi_diag *diag);
/* Reads the accounts (struct pi_web_account) of state_dir; an absent file
 * gives none. Free with pi_web_accounts_free. 0 or -errno with a diagnostic. */
int pi_web_accounts_load(const char *state_dir, struct pi_vec *out, struct pi_diag *diag);
void pi_web_accounts_free(struct pi_vec *v);
/* Whether password is account's (constant time in libsodium). */
bool pi_web_account_check(const struct pi_web_account *account, const char *password);

/* ---- team accounts (teams.c) ---- */
/*
 * Every team of plan (pi_apply_teams) gets an account named after it, role
 * team, owning the team's pods, with a generated password; the passwords
 * are also kept for the trainer in <state_dir>/web/team-passwords.json
 * (0600; docs/web.md says why). Teams that have an account keep it.
 * 0 or -errno with a diagnostic.
 */
int pi_web_teams_ensure(const char *state_dir, const struct pi_plan *plan, struct pi_diag *diag);
/* A new password for team (its pods taken from plan again): the old one
 * stops working. -ENOENT when plan has no such team. */
int pi_web_team_reset(const char *state_dir, const struct pi_plan *plan, const char *team, struct pi_diag *diag);
struct pi_web_team_login {
	char team[PI_WEB_USER_MAX];
	char password[64];
};
/* The kept team passwords (struct pi_web_team_login into out, by team
 * name); none before the first pi_web_teams_ensure. Free with
 * pi_web_team_passwords_free (wipes them). 0 or -errno. */
int pi_web_team_passwords(const char *state_dir, struct pi_vec *out, struct pi_diag *diag);
void pi_web_team_passwords_free(struct pi_vec *v);

/* ---- the server (server.c) ---- */

struct pi_web_opts {
	const char *listen;    /* "ADDR:PORT", "[ADDR6]:PORT"; NULL: 127.0.0.1:8080. Port 0: any free one */
	const char *cert, *key; /* TLS: both, or neither */
	const char *state_dir; /* the lab's state directory (accounts, captures) */
	const char *state_root; /* where saves and node configs live; NULL: pi_state_root() */
	unsigned poll_ms;      /* live state polling for the events socket; 0: 2000 */
	unsigned workers;      /* worker threads; 0: 4 */
};

struct pi_web;
/*
 * Binds and prepares the server for plan's lab, acting through b (shared
 * with the workers; backends are thread-safe). Nothing is served until
 * pi_web_run. The trainer account is made on first use: *password (may be
 * NULL) then gets its password, else "" (len >= 32); so is an account per
 * team of the lab (pi_web_teams_ensure). 0 or -errno with a
 * diagnostic (a port in use says so).
 */
int pi_web_start(struct pi_backend *b, const struct pi_plan *plan, const struct pi_web_opts *opts,
		 struct pi_web **out, char *password, size_t len, struct pi_diag *diag);
/* The port it listens on (the one chosen when opts asked for port 0). */
int pi_web_port(const struct pi_web *w);
/* "http://127.0.0.1:8080/" (https under TLS; brackets around IPv6). */
void pi_web_url(const struct pi_web *w, char *buf, size_t len);
/* Serves until pi_web_stop; then ends every session, terminal and
 * capture and joins the threads. 0 or -errno. */
int pi_web_run(struct pi_web *w);
/* Asks pi_web_run to return; async-signal-safe (a flag and a pipe write). */
void pi_web_stop(struct pi_web *w);
/* Frees what pi_web_start made (after pi_web_run returned, or instead of it). */
void pi_web_free(struct pi_web *w);

#endif
