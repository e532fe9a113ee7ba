/*
 * libFuzzer target: any bytes as what a router's control socket sends.
 * Nodes are the students' to control, so apply must survive anything there:
 * the reply framing (ctl_reply_done, ctl_reply_text, ctl_reply_check) on the
 * raw bytes, which are not NUL-terminated (ASan sees a read past them), and
 * the `show protocols` and `show route all` parsers on the text, as apply
 * calls them (after ctl_reply_text) and on the raw text itself.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "pocketinternet/render.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void parse_text(const char *text)
{
	const struct pi_router_daemon *bird = &pi_router_bird;
	uint64_t e, o, n;
	bird->parse_memory(text, &e, &o);
	bird->parse_count(text, &n);
	struct pi_vec s = PI_VEC_INIT(struct pi_bgp_state);
	bird->parse_sessions(text, &s);
	for (size_t i = 0; i < s.len; i++) {
		const struct pi_bgp_state *st = pi_vec_at(&s, i);
		if (!memchr(st->name, 0, sizeof(st->name)) || !memchr(st->info, 0, sizeof(st->info)))
			abort();
	}
	pi_vec_free(&s);
	/* local_as 0 reads the last tag; 65001 only its own (another path). */
	for (uint32_t as = 0; as <= 65001; as += 65001) {
		struct pi_vec r = PI_VEC_INIT(struct pi_rib_route);
		bird->parse_rib(text, as, &r);
		for (size_t i = 0; i < r.len; i++) {
			const struct pi_rib_route *rt = pi_vec_at(&r, i);
			if (rt->as_path_len > PI_RIB_MAX_PATH || rt->n_large > PI_RIB_MAX_COMM ||
			    rt->n_comm > PI_RIB_MAX_COMM || !memchr(rt->from_kind, 0, sizeof(rt->from_kind)))
				abort();
		}
		pi_vec_free(&r);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct pi_router_daemon *bird = &pi_router_bird;
	const char *raw = (const char *)data;
	for (int greeting = 0; greeting < 2; greeting++) {
		int rc = bird->ctl_reply_done(raw, size, greeting);
		if (rc != 0 && rc != 1 && rc != -EPROTO)
			abort();
	}
	static const size_t whylens[] = { 1, 7, 256 };
	for (size_t k = 0; k < sizeof(whylens) / sizeof(whylens[0]); k++) {
		char why[256];
		int rc = bird->ctl_reply_check(raw, size, why, whylens[k]);
		if ((rc != 0 && rc != -EBUSY && rc != -EPROTO) || strlen(why) >= whylens[k])
			abort();
	}
	struct pi_buf text;
	pi_buf_init(&text);
	bird->ctl_reply_text(raw, size, &text);
	parse_text(pi_buf_str(&text));
	pi_buf_free(&text);
	char *copy = malloc(size + 1);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	copy[size] = '\0';
	parse_text(copy);
	free(copy);
	return 0;
}
