/*
 * docker_container: containers and exec over the Engine API. The request
 * bodies are built by pure functions (pi_docker_spec_json, ...) so unit
 * tests can check them without an engine.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "docker_internal.h"

static const struct pi_pos nopos = { NULL, 0, 0 };

static json_t *str_array(const char *const *v, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

static json_t *kv_object(const struct pi_docker_kv *kv, size_t n)
{
	json_t *o = json_object();
	for (size_t i = 0; i < n; i++)
		json_object_set_new(o, kv[i].key, json_string(kv[i].value));
	return o;
}

json_t *pi_docker_spec_json(const struct pi_container_spec *s)
{
	json_t *binds = json_array();
	for (size_t i = 0; i < s->n_binds; i++) {
		char *b = NULL;
		size_t n = strlen(s->binds[i].host) + strlen(s->binds[i].container) + 8;
		b = pi_xmalloc(n);
		snprintf(b, n, "%s:%s:%s", s->binds[i].host, s->binds[i].container, s->binds[i].rw ? "rw" : "ro");
		json_array_append_new(binds, json_string(b));
		free(b);
	}
	json_t *devices = json_array();
	for (size_t i = 0; i < s->n_devices; i++)
		json_array_append_new(devices, json_pack("{s:s, s:s, s:s}", "PathOnHost", s->devices[i],
							 "PathInContainer", s->devices[i],
							 "CgroupPermissions", "rwm"));
	/* Network mode none and no restart policy are not options: lab traffic only
	 * uses the project's veths, and a crashed lab must stay visibly down. */
	json_t *host = json_pack("{s:s, s:o, s:o, s:o, s:o, s:{s:s, s:i}, s:b}",
				 "NetworkMode", "none",
				 "Binds", binds,
				 "CapAdd", str_array(s->cap_add, s->n_cap_add),
				 "Sysctls", kv_object(s->sysctls, s->n_sysctls),
				 "Devices", devices,
				 "RestartPolicy", "Name", "no", "MaximumRetryCount", 0,
				 "Init", s->init);
	json_t *spec = json_pack("{s:s, s:o, s:o, s:b, s:b, s:b, s:b, s:o}",
				 "Image", s->image,
				 "Labels", kv_object(s->labels, s->n_labels),
				 "Env", str_array(s->env, s->n_env),
				 "Tty", 0, "OpenStdin", 0, "AttachStdout", 0, "AttachStderr", 0,
				 "HostConfig", host);
	if (s->n_cap_drop)
		json_object_set_new(host, "CapDrop", str_array(s->cap_drop, s->n_cap_drop));
	if (s->memory_mb) {
		/* MemorySwap equal to Memory: no swap on top of the limit. */
		json_int_t bytes = (json_int_t)s->memory_mb << 20;
		json_object_set_new(host, "Memory", json_integer(bytes));
		json_object_set_new(host, "MemorySwap", json_integer(bytes));
	}
	if (s->pids_limit)
		json_object_set_new(host, "PidsLimit", json_integer(s->pids_limit));
	if (s->no_new_privileges)
		json_object_set_new(host, "SecurityOpt", json_pack("[s]", "no-new-privileges"));
	if (s->hostname)
		json_object_set_new(spec, "Hostname", json_string(s->hostname));
	if (s->cmd && s->n_cmd)
		json_object_set_new(spec, "Cmd", str_array(s->cmd, s->n_cmd));
	return spec;
}

int pi_docker_container_create(struct pi_docker *d, const struct pi_container_spec *spec,
			       char id[PI_DOCKER_ID_LEN], struct pi_diag *diag)
{
	json_t *resp = NULL;
	id[0] = '\0';
	if (!spec->name || !spec->image) {
		if (diag)
			pi_diag_add(diag, nopos, NULL, "container spec without a name or an image");
		return -EINVAL;
	}
	struct pi_docker_at at = { "POST", "/containers/create?name=", spec->name, NULL, false,
				   pi_docker_spec_json(spec), 0 };
	int rc = pi_docker_call_at(d, &at, &resp, diag, "cannot create container %s", spec->name);
	if (rc == 0) {
		pi_json_copy(resp, "Id", id, PI_DOCKER_ID_LEN);
		if (!id[0]) {
			if (diag)
				pi_diag_add(diag, nopos, NULL, "cannot create container %s: the engine returned no Id",
					    spec->name);
			rc = -EPROTO;
		}
	}
	json_decref(at.body);
	json_decref(resp);
	return rc;
}

/* POST /containers/{id}/<verb>[?query] with no body. */
static int container_post(struct pi_docker *d, const char *id, const char *verb, const char *query,
			  const char *doing, struct pi_diag *diag)
{
	struct pi_buf suffix;
	pi_buf_init(&suffix);
	pi_buf_printf(&suffix, "/%s%s%s", verb, query ? "?" : "", query ? query : "");
	struct pi_docker_at at = { "POST", "/containers/", id, pi_buf_str(&suffix), false, NULL, 0 };
	int rc = pi_docker_call_at(d, &at, NULL, diag, "cannot %s container %s", doing, id);
	pi_buf_free(&suffix);
	return rc;
}

int pi_docker_container_start(struct pi_docker *d, const char *id, struct pi_diag *diag)
{
	return container_post(d, id, "start", NULL, "start", diag);
}

int pi_docker_container_stop(struct pi_docker *d, const char *id, int timeout_s, struct pi_diag *diag)
{
	char q[32];
	snprintf(q, sizeof(q), "t=%d", timeout_s < 0 ? 0 : timeout_s);
	return container_post(d, id, "stop", q, "stop", diag);
}

int pi_docker_container_kill(struct pi_docker *d, const char *id, const char *signal, struct pi_diag *diag)
{
	struct pi_buf q;
	pi_buf_init(&q);
	pi_buf_puts(&q, "signal=");
	pi_url_escape(&q, signal ? signal : "SIGKILL");
	int rc = container_post(d, id, "kill", pi_buf_str(&q), "kill", diag);
	pi_buf_free(&q);
	return rc;
}

int pi_docker_container_remove(struct pi_docker *d, const char *id, struct pi_diag *diag)
{
	struct pi_docker_at at = { "DELETE", "/containers/", id, "?force=true&v=true", false, NULL, 0 };
	return pi_docker_call_at(d, &at, NULL, diag, "cannot remove container %s", id);
}

int pi_docker_parse_inspect(json_t *j, struct pi_container_info *out)
{
	memset(out, 0, sizeof(*out));
	if (!json_is_object(j))
		return -EPROTO;
	pi_json_copy(j, "Id", out->id, sizeof(out->id));
	const char *name = json_string_value(json_object_get(j, "Name"));
	if (name && name[0] == '/')
		name++;
	snprintf(out->name, sizeof(out->name), "%s", name ? name : "");
	pi_json_copy(json_object_get(j, "Config"), "Image", out->image, sizeof(out->image));
	json_t *st = json_object_get(j, "State");
	pi_json_copy(st, "Status", out->status, sizeof(out->status));
	out->running = json_is_true(json_object_get(st, "Running"));
	out->pid = (int)json_integer_value(json_object_get(st, "Pid"));
	out->exit_code = (int)json_integer_value(json_object_get(st, "ExitCode"));
	return out->id[0] ? 0 : -EPROTO;
}

int pi_docker_container_inspect(struct pi_docker *d, const char *id, struct pi_container_info *out,
				struct pi_diag *diag)
{
	json_t *j = NULL;
	/* Status inspects every node: one stuck engine call must not hang it. */
	struct pi_docker_at at = { "GET", "/containers/", id, "/json", false, NULL, 15 };
	int rc = pi_docker_call_at(d, &at, &j, diag, "cannot inspect container %s", id);
	if (rc == 0) {
		rc = pi_docker_parse_inspect(j, out);
		if (rc && diag)
			pi_diag_add(diag, nopos, NULL, "cannot inspect container %s: unexpected answer from the engine",
				    id);
	}
	json_decref(j);
	return rc;
}

char *pi_docker_label_filter(const char *label_filter)
{
	if (!label_filter)
		return NULL;
	json_t *f = json_pack("{s:[s]}", "label", label_filter);
	char *s = json_dumps(f, JSON_COMPACT);
	json_decref(f);
	return s;
}

int pi_docker_parse_summary(json_t *j, struct pi_container_summary *out)
{
	memset(out, 0, sizeof(*out));
	if (!json_is_object(j))
		return -EPROTO;
	pi_json_copy(j, "Id", out->id, sizeof(out->id));
	const char *name = json_string_value(json_array_get(json_object_get(j, "Names"), 0));
	if (name && name[0] == '/')
		name++;
	snprintf(out->name, sizeof(out->name), "%s", name ? name : "");
	pi_json_copy(j, "Image", out->image, sizeof(out->image));
	pi_json_copy(j, "State", out->state, sizeof(out->state));
	json_t *labels = json_object_get(j, "Labels");
	pi_json_copy(labels, PI_LABEL_LAB, out->lab, sizeof(out->lab));
	pi_json_copy(labels, PI_LABEL_NODE, out->node, sizeof(out->node));
	pi_json_copy(labels, PI_LABEL_LAB_FILE, out->lab_file, sizeof(out->lab_file));
	out->created = (long long)json_integer_value(json_object_get(j, "Created"));
	return out->id[0] ? 0 : -EPROTO;
}

int pi_docker_container_list(struct pi_docker *d, const char *label_filter, struct pi_vec *out,
			     struct pi_diag *diag)
{
	json_t *j = NULL;
	struct pi_buf path;
	pi_buf_init(&path);
	char *filter = pi_docker_label_filter(label_filter);
	pi_buf_puts(&path, "/v" PI_DOCKER_API "/containers/json?all=true");
	if (filter) {
		pi_buf_puts(&path, "&filters=");
		pi_url_escape(&path, filter);
	}
	int rc = pi_docker_call(d, "GET", pi_buf_str(&path), NULL, &j, "cannot list containers", diag);
	if (rc)
		goto out;
	if (!json_is_array(j)) {
		rc = -EPROTO;
		if (diag)
			pi_diag_add(diag, nopos, NULL, "cannot list containers: unexpected answer from the engine");
		goto out;
	}
	size_t i;
	json_t *c;
	json_array_foreach(j, i, c) {
		struct pi_container_summary s;
		if (pi_docker_parse_summary(c, &s) == 0)
			*(struct pi_container_summary *)pi_vec_push(out) = s;
	}
out:
	free(filter);
	json_decref(j);
	pi_buf_free(&path);
	return rc;
}

/* ---- exec ---- */

json_t *pi_docker_exec_json(const char *const *argv, size_t argc, const struct pi_exec_opts *opts)
{
	json_t *j = json_pack("{s:b, s:b, s:b, s:b, s:o}", "AttachStdin", 0, "AttachStdout", 1,
			      "AttachStderr", 1, "Tty", 0, "Cmd", str_array(argv, argc));
	if (opts && opts->n_env)
		json_object_set_new(j, "Env", str_array(opts->env, opts->n_env));
	if (opts && opts->user)
		json_object_set_new(j, "User", json_string(opts->user));
	if (opts && opts->workdir)
		json_object_set_new(j, "WorkingDir", json_string(opts->workdir));
	return j;
}

struct exec_sink {
	struct pi_demux dm;
	struct pi_buf raw; /* the first bytes as sent, for an error message */
};

static size_t demux_cb(void *ctx, const char *p, size_t n)
{
	struct exec_sink *s = ctx;
	pi_docker_keep_head(&s->raw, p, n);
	pi_demux_feed(&s->dm, p, n);
	return n;
}

/* POST /containers/{id}/exec: creates the exec instance; eid gets its id. */
static int exec_create(struct pi_docker *d, const char *id, const char *const *argv, size_t argc,
		       const struct pi_exec_opts *opts, const char *what, char eid[PI_DOCKER_ID_LEN],
		       struct pi_diag *diag)
{
	json_t *j = NULL;
	json_t *body = pi_docker_exec_json(argv, argc, opts);
	struct pi_docker_at at = { "POST", "/containers/", id, "/exec", false, body, 0 };
	int rc = pi_docker_call_at(d, &at, &j, diag, "%s", what);
	if (!rc)
		pi_json_copy(j, "Id", eid, PI_DOCKER_ID_LEN);
	json_decref(j);
	json_decref(body);
	return rc;
}

/* POST /exec/{eid}/start: runs the process, demuxing its output into res. */
static int exec_start(struct pi_docker *d, const char *eid, const struct pi_exec_opts *opts, const char *what,
		      struct pi_exec_result *res, bool *truncated, struct pi_diag *diag)
{
	struct pi_buf path;
	struct pi_http_resp resp = { 0 };
	struct exec_sink sink;
	pi_buf_init(&path);
	pi_buf_init(&resp.body);
	pi_buf_init(&sink.raw);
	/* The start answer is the raw attach stream until the process ends. */
	pi_demux_init(&sink.dm, &res->out, &res->err);
	sink.dm.cap = opts && opts->max_output ? opts->max_output : PI_EXEC_MAX_OUTPUT;
	json_t *sb = json_pack("{s:b, s:b}", "Detach", 0, "Tty", 0);
	char *start_body = json_dumps(sb, JSON_COMPACT);
	json_decref(sb);
	pi_buf_printf(&path, "/v" PI_DOCKER_API "/exec/%s/start", eid);
	struct pi_http_req req = {
		.method = "POST",
		.path = pi_buf_str(&path),
		.content_type = "application/json",
		.body = start_body,
		.body_len = strlen(start_body),
		.body_fd = -1,
		.on_data = demux_cb,
		.ctx = &sink,
		.timeout_s = opts ? opts->timeout_s : 0,
	};
	int rc = pi_docker_http(d, &req, &resp, diag);
	if (!rc && resp.status != 200) {
		/* On error the body is the engine's JSON message, not frames. */
		pi_buf_reset(&res->out);
		pi_buf_reset(&res->err);
		rc = pi_docker_status_error(resp.status, pi_buf_str(&sink.raw), what, diag);
	}
	*truncated = sink.dm.truncated;
	free(start_body);
	pi_buf_free(&sink.raw);
	pi_buf_free(&path);
	pi_buf_free(&resp.body);
	return rc;
}

/* GET /exec/{eid}/json: the exit code of the finished process. */
static int exec_exit_code(struct pi_docker *d, const char *eid, const char *what, int *exit_code,
			  struct pi_diag *diag)
{
	json_t *j = NULL;
	struct pi_buf path;
	pi_buf_init(&path);
	pi_buf_printf(&path, "/v" PI_DOCKER_API "/exec/%s/json", eid);
	int rc = pi_docker_call(d, "GET", pi_buf_str(&path), NULL, &j, what, diag);
	if (!rc) {
		json_t *ec = json_object_get(j, "ExitCode");
		if (json_is_true(json_object_get(j, "Running")) || !json_is_integer(ec)) {
			if (diag)
				pi_diag_add(diag, nopos, NULL, "%s: the engine has no exit code for it", what);
			rc = -EPROTO;
		} else {
			*exit_code = (int)json_integer_value(ec);
		}
	}
	json_decref(j);
	pi_buf_free(&path);
	return rc;
}

int pi_docker_exec(struct pi_docker *d, const char *id, const char *const *argv, size_t argc,
		   const struct pi_exec_opts *opts, struct pi_exec_result *res, struct pi_diag *diag)
{
	if (argc == 0) {
		if (diag)
			pi_diag_add(diag, nopos, NULL, "exec in %s: empty command", id);
		return -EINVAL;
	}
	char eid[PI_DOCKER_ID_LEN] = "";
	bool truncated = false;
	struct pi_buf what;
	pi_buf_init(&what);
	pi_buf_printf(&what, "cannot run %s in container %s", argv[0], id);
	int rc = exec_create(d, id, argv, argc, opts, pi_buf_str(&what), eid, diag);
	if (!rc)
		rc = exec_start(d, eid, opts, pi_buf_str(&what), res, &truncated, diag);
	if (!rc)
		rc = exec_exit_code(d, eid, pi_buf_str(&what), &res->exit_code, diag);
	if (!rc)
		res->truncated = truncated;
	pi_buf_free(&what);
	return rc;
}
