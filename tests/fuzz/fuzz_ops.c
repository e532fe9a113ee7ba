/*
 * libFuzzer target: the operations state and the impairment text users type.
 * The first byte picks the parser, the rest is its text:
 *   'r' pi_impair_parse_rate   't' pi_impair_parse_time
 *   'p' pi_impair_parse_percent   's' "key value ..." through pi_impair_set
 *   anything else: ops.json's incident list (pi_incidents_from_json)
 * A value that parses must format (pi_impair_format) to text that parses
 * back to the same value. Incidents that parse are used as apply uses them
 * against the tiny lab's plan, checked or not (a re-plan may have removed
 * what they name): checked, described, located and rendered for every
 * node with a router daemon; and they must write back to the same list.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "fuzz_common.h"
#include "pocketinternet/impair.h"
#include "pocketinternet/render.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Applies "key value key value ..." (text is modified): 0, or the first failure. */
static int set_all(struct pi_impair *imp, char *text)
{
	char err[PI_IMPAIR_ERR_MAX], *save = NULL;
	for (char *k = strtok_r(text, " \t\n", &save); k; k = strtok_r(NULL, " \t\n", &save)) {
		char *v = strtok_r(NULL, " \t\n", &save);
		err[0] = '\0';
		int rc = pi_impair_set(imp, k, v, err, sizeof(err));
		if (rc != 0 && rc != -EINVAL && rc != -ENOENT)
			abort();
		if (rc != 0) {
			if (!err[0] || !memchr(err, 0, sizeof(err)))
				abort(); /* every refusal says why */
			return rc;
		}
	}
	return 0;
}

static void round_trip(const struct pi_impair *imp)
{
	char buf[PI_IMPAIR_FMT_MAX], err[PI_IMPAIR_ERR_MAX];
	pi_impair_check(imp, err, sizeof(err));
	pi_impair_format(imp, buf, sizeof(buf));
	if (strlen(buf) + 1 >= sizeof(buf))
		abort(); /* PI_IMPAIR_FMT_MAX is said to be enough */
	struct pi_impair back = { 0 };
	if (strcmp(buf, "none") == 0 ? !pi_impair_is_none(imp) : set_all(&back, buf) != 0)
		abort();
	if (strcmp(buf, "none") != 0 && !pi_impair_equal(imp, &back))
		abort();
}

static void impair_one(char sel, char *text)
{
	struct pi_impair imp = { 0 };
	char err[PI_IMPAIR_ERR_MAX];
	int rc;
	if (sel == 'r')
		rc = pi_impair_parse_rate(text, &imp.rate_bps, err, sizeof(err));
	else if (sel == 't')
		rc = pi_impair_parse_time(text, &imp.delay_us, err, sizeof(err));
	else if (sel == 'p')
		rc = pi_impair_parse_percent(text, &imp.loss_ppm, err, sizeof(err));
	else
		rc = set_all(&imp, text);
	if (rc == 0)
		round_trip(&imp);
}

static void same_incidents(const struct pi_incident *a, const struct pi_incident *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (a[i].id != b[i].id || a[i].kind != b[i].kind || a[i].since != b[i].since ||
		    a[i].more_specific != b[i].more_specific || a[i].filtered != b[i].filtered ||
		    strcmp(a[i].attacker, b[i].attacker) || strcmp(a[i].victim, b[i].victim) ||
		    strcmp(a[i].pod, b[i].pod) || strcmp(a[i].session, b[i].session))
			abort();
}

static void use_incidents(const struct pi_plan *plan, const struct pi_incident *inc, size_t n)
{
	struct pi_diag d;
	pi_diag_init(&d);
	for (size_t i = 0; i < n; i++) {
		char line[512], small[8];
		if (pi_incident_check(plan, &inc[i], &d) != 0 && pi_diag_errors(&d) == 0)
			abort();
		pi_incident_describe(plan, &inc[i], line, sizeof(line));
		pi_incident_describe(NULL, &inc[i], line, sizeof(line));
		pi_incident_describe(plan, &inc[i], small, sizeof(small));
		uint32_t s = pi_incident_session(plan, &inc[i]);
		if (s != PI_NONE && s >= plan->n_sessions)
			abort();
		struct pi_vec pfx = PI_VEC_INIT(struct pi_prefix);
		pi_incident_hijack_prefixes(plan, &inc[i], &pfx);
		pi_vec_free(&pfx);
	}
	pi_diag_free(&d);
	for (uint32_t node = 0; node < plan->n_nodes; node++) {
		const struct pi_router_daemon *rd = pi_router_daemon_of(plan, node);
		for (size_t i = 0; i < n; i++)
			pi_incident_touches(plan, &inc[i], node);
		if (!rd)
			continue;
		struct pi_buf b;
		pi_buf_init(&b);
		rd->render_incidents(plan, node, inc, n, &b);
		pi_buf_free(&b);
	}
}

static void incidents(const char *text)
{
	struct pi_diag d;
	struct pi_vec v = PI_VEC_INIT(struct pi_incident), w = PI_VEC_INIT(struct pi_incident);
	pi_diag_init(&d);
	int rc = pi_incidents_from_json(text, "ops.json", &v, &d);
	if ((rc != 0 && rc != -EINVAL) || (rc != 0 && (pi_diag_errors(&d) == 0 || v.len)))
		abort();
	if (rc == 0) {
		use_incidents(fuzz_tiny(NULL), v.data, v.len);
		struct pi_buf b;
		pi_buf_init(&b);
		if (pi_incidents_to_json(v.data, v.len, &b) != 0 ||
		    pi_incidents_from_json(pi_buf_str(&b), "again", &w, &d) != 0 || w.len != v.len)
			abort();
		same_incidents(v.data, w.data, v.len);
		pi_buf_free(&b);
	}
	pi_vec_free(&v);
	pi_vec_free(&w);
	pi_diag_free(&d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	char *text = malloc(size);
	if (!text)
		return 0;
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	if (strchr("rtps", data[0]) && data[0])
		impair_one((char)data[0], text);
	else
		incidents(text);
	free(text);
	return 0;
}
