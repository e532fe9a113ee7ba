/*
 * web/session: who is logged in. Tokens are 32 random bytes
 * (randombytes_buf), sent as hex in the pi_session cookie, kept only in
 * memory (a restart logs everyone out) and compared in constant time.
 * Service thread only.
 */
#include <sodium.h>
#include <string.h>
#include <time.h>
#include "web_int.h"

static long long now_s(void)
{
	return (long long)time(NULL);
}

void web_session_new(struct pi_web *w, size_t account, char hex[WEB_TOKEN_HEX])
{
	struct web_session *s = NULL;
	for (size_t i = 0; i < w->sessions.len && !s; i++) {
		struct web_session *x = pi_vec_at(&w->sessions, i);
		if (x->expires <= now_s())
			s = x; /* reuse an expired or dropped slot */
	}
	if (!s)
		s = pi_vec_push(&w->sessions);
	randombytes_buf(s->token, sizeof(s->token));
	s->account = account;
	s->expires = now_s() + WEB_SESSION_SECONDS;
	sodium_bin2hex(hex, WEB_TOKEN_HEX, s->token, sizeof(s->token));
}

static struct web_session *find(struct pi_web *w, const char *hex)
{
	unsigned char tok[WEB_TOKEN_BYTES];
	size_t n = 0;
	if (strlen(hex) != 2 * WEB_TOKEN_BYTES ||
	    sodium_hex2bin(tok, sizeof(tok), hex, strlen(hex), NULL, &n, NULL) != 0 || n != sizeof(tok))
		return NULL;
	for (size_t i = 0; i < w->sessions.len; i++) {
		struct web_session *s = pi_vec_at(&w->sessions, i);
		if (s->expires > now_s() && sodium_memcmp(s->token, tok, sizeof(tok)) == 0)
			return s;
	}
	return NULL;
}

long web_session_find(struct pi_web *w, const char *hex)
{
	struct web_session *s = find(w, hex);
	return s ? (long)s->account : -1;
}

void web_session_drop(struct pi_web *w, const char *hex)
{
	struct web_session *s = find(w, hex);
	if (s) {
		sodium_memzero(s->token, sizeof(s->token));
		s->expires = 0;
	}
}
