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

#endif
