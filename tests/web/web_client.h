/* The web tests' HTTP client (libcurl, 127.0.0.1 only). */
#ifndef PI_TEST_WEB_CLIENT_H
#define PI_TEST_WEB_CLIENT_H

#include "pocketinternet/util.h"

struct web_reply {
	long status;
	struct pi_buf body, headers;
};

/* method "GET"/"POST"; cookie NULL or "pi_session=..."; body for POST.
 * Fails the test when the request cannot be made; returns the status. */
long web_request(const char *base, struct web_reply *r, const char *method, const char *path, const char *cookie,
		 const char *body);
void web_reply_free(struct web_reply *r);
/* A raw WebSocket upgrade of path on 127.0.0.1:port, with Origin and Cookie
 * headers unless NULL. first (unless NULL) gets the status line, the headers
 * and, after a 101, the first frame if one comes within 20 s; with first NULL
 * it reads only up to the end of the headers. Returns the status code. */
int web_upgrade(int port, const char *path, const char *cookie, const char *origin, char *first, size_t len);

#endif
