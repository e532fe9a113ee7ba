/*
 * render/incident_json: a list of incidents as JSON (jansson), the form the
 * lab's state keeps them in:
 *
 *   [ { "id": 1, "kind": "hijack", "attacker": "transit2", "victim": "broadband1",
 *       "more_specific": false, "filtered": false, "since": 1700000000 },
 *     { "id": 2, "kind": "leak", "pod": "broadband1", "filtered": false, "since": ... },
 *     { "id": 3, "kind": "session-down", "session": "ebgp_transit1_broadband1_v4", "since": ... } ]
 *
 * Each kind writes only its own keys; reading refuses unknown keys (with
 * the nearest known one), missing ones and wrong types, naming the entry.
 */
#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include "render_int.h"

static json_t *one_to_json(const struct pi_incident *in)
{
	json_t *o = json_object();
	json_object_set_new(o, "id", json_integer(in->id));
	json_object_set_new(o, "kind", json_string(pi_incident_kind_name(in->kind)));
	switch (in->kind) {
	case PI_INCIDENT_HIJACK:
		json_object_set_new(o, "attacker", json_string(in->attacker));
		json_object_set_new(o, "victim", json_string(in->victim));
		json_object_set_new(o, "more_specific", json_boolean(in->more_specific));
		json_object_set_new(o, "filtered", json_boolean(in->filtered));
		break;
	case PI_INCIDENT_LEAK:
		json_object_set_new(o, "pod", json_string(in->pod));
		json_object_set_new(o, "filtered", json_boolean(in->filtered));
		break;
	case PI_INCIDENT_SESSION_DOWN:
		json_object_set_new(o, "session", json_string(in->session));
		break;
	}
	json_object_set_new(o, "since", json_integer(in->since));
	return o;
}

int pi_incidents_to_json(const struct pi_incident *inc, size_t n, struct pi_buf *out)
{
	json_t *a = json_array();
	if (!a)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, one_to_json(&inc[i]));
	char *s = json_dumps(a, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(a);
	if (!s)
		return -ENOMEM;
	pi_buf_puts(out, s);
	pi_buf_putc(out, '\n');
	free(s);
	return 0;
}

/* ---- reading ---- */

struct rd {
	struct pi_pos pos;
	struct pi_diag *diag;
	size_t index;
	unsigned errors;
};

static void rd_err(struct rd *r, const char *hint, const char *fmt, ...) PI_PRINTF(3, 4);
static void rd_err(struct rd *r, const char *hint, const char *fmt, ...)
{
	char msg[PI_DIAG_MSG_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	pi_diag_add(r->diag, r->pos, hint, "incident %zu: %s", r->index + 1, msg);
	r->errors++;
}

static void get_name(struct rd *r, json_t *o, const char *key, char *dst, size_t len)
{
	json_t *v = json_object_get(o, key);
	if (!v) {
		rd_err(r, NULL, "\"%s\" is missing", key);
	} else if (!json_is_string(v) || json_string_length(v) == 0) {
		rd_err(r, NULL, "\"%s\" must be a non-empty string", key);
	} else if (json_string_length(v) >= len) {
		rd_err(r, NULL, "\"%s\" is longer than %zu bytes", key, len - 1);
	} else {
		snprintf(dst, len, "%s", json_string_value(v));
	}
}

static bool get_bool(struct rd *r, json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	if (v && !json_is_boolean(v))
		rd_err(r, NULL, "\"%s\" must be true or false", key);
	return v && json_is_true(v);
}

static long long get_int(struct rd *r, json_t *o, const char *key, long long max)
{
	json_t *v = json_object_get(o, key);
	if (!v)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > max) {
		rd_err(r, NULL, "\"%s\" must be a whole number from 0 to %lld", key, max);
		return 0;
	}
	return json_integer_value(v);
}

static void check_keys(struct rd *r, json_t *o, const char *const *keys, size_t nk)
{
	const char *k;
	json_t *v;
	json_object_foreach(o, k, v) {
		bool ok = false;
		for (size_t i = 0; i < nk && !ok; i++)
			ok = strcmp(k, keys[i]) == 0;
		if (ok)
			continue;
		const char *near[1];
		char hint[128] = "", val[PI_DIAG_VALUE_BUF];
		if (pi_near_matches(k, keys, nk, near, 1))
			snprintf(hint, sizeof(hint), "did you mean \"%s\"?", near[0]);
		rd_err(r, hint[0] ? hint : NULL, "unknown key \"%s\" for this kind", pi_diag_value(val, k));
	}
}

static void read_one(struct rd *r, json_t *o, struct pi_incident *in)
{
	static const char *const hijack[] = { "id", "kind", "attacker", "victim", "more_specific", "filtered", "since" };
	static const char *const leak[] = { "id", "kind", "pod", "filtered", "since" };
	static const char *const down[] = { "id", "kind", "session", "since" };
	char kind[32] = "";
	memset(in, 0, sizeof(*in));
	if (!json_is_object(o)) {
		rd_err(r, NULL, "must be an object");
		return;
	}
	get_name(r, o, "kind", kind, sizeof(kind));
	if (kind[0] && pi_incident_kind_parse(kind, &in->kind)) {
		rd_err(r, "one of: hijack, leak, session-down", "unknown kind \"%s\"", kind);
		return;
	}
	if (!kind[0])
		return;
	in->id = (unsigned)get_int(r, o, "id", 0x7fffffff);
	in->since = get_int(r, o, "since", 0x7fffffffffffffffLL);
	switch (in->kind) {
	case PI_INCIDENT_HIJACK:
		check_keys(r, o, hijack, PI_ARRAY_LEN(hijack));
		get_name(r, o, "attacker", in->attacker, sizeof(in->attacker));
		get_name(r, o, "victim", in->victim, sizeof(in->victim));
		in->more_specific = get_bool(r, o, "more_specific");
		in->filtered = get_bool(r, o, "filtered");
		break;
	case PI_INCIDENT_LEAK:
		check_keys(r, o, leak, PI_ARRAY_LEN(leak));
		get_name(r, o, "pod", in->pod, sizeof(in->pod));
		in->filtered = get_bool(r, o, "filtered");
		break;
	case PI_INCIDENT_SESSION_DOWN:
		check_keys(r, o, down, PI_ARRAY_LEN(down));
		get_name(r, o, "session", in->session, sizeof(in->session));
		break;
	}
}

int pi_incidents_from_json(const char *text, const char *file, struct pi_vec *out, struct pi_diag *diag)
{
	json_error_t err;
	struct rd r = { { file ? file : "incidents", 0, 0 }, diag, 0, 0 };
	json_t *a = json_loads(text, JSON_REJECT_DUPLICATES, &err);
	if (!a) {
		struct pi_pos pos = { r.pos.file, (unsigned)(err.line > 0 ? err.line : 0),
				      (unsigned)(err.column > 0 ? err.column : 0) };
		pi_diag_add(diag, pos, "the file is written by pocketinternet; `incident clear` starts afresh",
			    "not valid JSON: %s", err.text);
		return -EINVAL;
	}
	if (!json_is_array(a)) {
		pi_diag_add(diag, r.pos, NULL, "incidents must be a JSON array");
		json_decref(a);
		return -EINVAL;
	}
	size_t first = out->len;
	json_t *o;
	json_array_foreach(a, r.index, o) {
		struct pi_incident in;
		read_one(&r, o, &in);
		if (!r.errors)
			*(struct pi_incident *)pi_vec_push(out) = in;
	}
	json_decref(a);
	if (r.errors)
		out->len = first;
	return r.errors ? -EINVAL : 0;
}
