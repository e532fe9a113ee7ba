/* The web tests' HTTP client: one request per call, body and headers kept. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include <curl/curl.h>
#include "web_client.h"

static size_t on_data(char *p, size_t size, size_t n, void *ctx)
{
	pi_buf_write(ctx, p, size * n);
	return size * n;
}

long web_request(const char *base, struct web_reply *r, const char *method, const char *path, const char *cookie,
		 const char *body)
{
	char url[512];
	snprintf(url, sizeof(url), "%s%s", base, path);
	pi_buf_init(&r->body);
	pi_buf_init(&r->headers);
	CURL *c = curl_easy_init();
	assert_non_null(c);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &r->body);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &r->headers);
	if (cookie)
		curl_easy_setopt(c, CURLOPT_COOKIE, cookie);
	if (strcmp(method, "POST") == 0)
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body ? body : "");
	assert_int_equal(curl_easy_perform(c), CURLE_OK);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	curl_easy_cleanup(c);
	return r->status;
}

void web_reply_free(struct web_reply *r)
{
	pi_buf_free(&r->body);
	pi_buf_free(&r->headers);
}
