/*
 * web/pending: terminals and captures while apply lacks their calls
 * (apply_pending.h). The endpoints exist and say plainly that this build
 * has no terminals or captures: 501, nothing pretended.
 */
#include "web_int.h"

int web_term_check(struct pi_web *w, const char *uri, const struct pi_web_account *a, const char **why)
{
	(void)w, (void)uri, (void)a;
	*why = "terminals are not in this build (apply has no terminal exec yet)";
	return 501;
}

int web_term_establish(struct pi_web *w, struct lws *wsi, struct web_conn *c, size_t account)
{
	(void)w, (void)wsi, (void)c, (void)account;
	return -1;
}

int web_term_ws(struct pi_web *w, struct lws *wsi, struct web_conn *c, enum lws_callback_reasons reason, void *in,
		size_t len)
{
	(void)w, (void)wsi, (void)c, (void)reason, (void)in, (void)len;
	return -1;
}

int web_tty_raw(struct pi_web *w, struct lws *wsi, enum lws_callback_reasons reason)
{
	(void)w, (void)wsi;
	return reason == LWS_CALLBACK_RAW_CLOSE_FILE ? 0 : -1;
}

void web_term_closed(struct pi_web *w, struct web_conn *c)
{
	(void)w, (void)c;
}

void web_capture_route(struct pi_web *w, struct lws *wsi, struct web_conn *c, const struct pi_web_account *a)
{
	(void)w, (void)a;
	web_reply_error(wsi, c, 501, "captures are not in this build (apply has no background capture yet)",
			"'pocketinternet capture NODE -w FILE' captures from the command line");
}

void web_captures_free(struct pi_web *w)
{
	(void)w;
}
