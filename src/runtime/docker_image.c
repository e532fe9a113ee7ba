/*
 * docker_image: image inspect, build (POST /build with a tar context),
 * import (POST /images/create?fromSrc=-, the rootfs tar streamed from an
 * fd) and pull. Build and import answer with JSON lines while they work;
 * those are split and handed to the caller's progress callback.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "docker_internal.h"

static const struct pi_pos nopos = { NULL, 0, 0 };

int pi_docker_image_inspect(struct pi_docker *d, const char *name, struct pi_image_info *out,
			    struct pi_diag *diag)
{
	json_t *j = NULL;
	memset(out, 0, sizeof(*out));
	struct pi_docker_at at = { "GET", "/images/", name, "/json", true, NULL, 0 };
	int rc = pi_docker_call_at(d, &at, &j, diag, "cannot inspect image %s", name);
	if (rc == 0) {
		pi_json_copy(j, "Id", out->id, sizeof(out->id));
		out->size = json_integer_value(json_object_get(j, "Size"));
		pi_json_copy(json_object_get(json_object_get(j, "Config"), "Labels"), PI_IMAGE_HASH_LABEL,
			     out->hash_label, sizeof(out->hash_label));
	}
	json_decref(j);
	return rc;
}

int pi_docker_image_find(struct pi_docker *d, const char *name, struct pi_image_info *out,
			 struct pi_diag *diag)
{
	struct pi_diag tmp;
	pi_diag_init(&tmp);
	/* A 404 is the answer "no", not an error to report. */
	int rc = pi_docker_image_inspect(d, name, out, &tmp);
	if (rc == 0)
		rc = 1;
	else if (rc == -ENOENT)
		rc = 0;
	else
		pi_diag_move(diag, &tmp);
	pi_diag_free(&tmp);
	return rc;
}

int pi_docker_image_exists(struct pi_docker *d, const char *name, struct pi_diag *diag)
{
	struct pi_image_info info;
	return pi_docker_image_find(d, name, &info, diag);
}

int pi_docker_image_remove(struct pi_docker *d, const char *name, struct pi_diag *diag)
{
	/* Image names are [a-z0-9./:_-]: escaped as a repo path they are the same bytes. */
	struct pi_docker_at at = { "DELETE", "/images/", name, "?force=true", true, NULL, 0 };
	return pi_docker_call_at(d, &at, NULL, diag, "cannot remove image %s", name);
}

struct line_sink {
	struct pi_jsonlines jl;
	struct pi_buf raw; /* the first bytes as sent, for an HTTP error message */
};

static size_t lines_cb(void *ctx, const char *p, size_t n)
{
	struct line_sink *s = ctx;
	pi_docker_keep_head(&s->raw, p, n);
	pi_jsonlines_feed(&s->jl, p, n);
	return n;
}

/* A streaming POST whose answer is JSON lines; an "error" line fails it
 * as the formatted what. */
static int stream_post(struct pi_docker *d, const char *path, const char *content_type, const void *body,
		       size_t body_len, int body_fd, pi_docker_progress_fn progress, void *ctx,
		       struct pi_diag *diag, const char *what_fmt, ...) PI_PRINTF(10, 11);
static int stream_post(struct pi_docker *d, const char *path, const char *content_type, const void *body,
		       size_t body_len, int body_fd, pi_docker_progress_fn progress, void *ctx,
		       struct pi_diag *diag, const char *what_fmt, ...)
{
	struct line_sink sink;
	struct pi_http_resp resp = { 0 };
	struct pi_buf whatb;
	pi_buf_init(&whatb);
	va_list ap;
	va_start(ap, what_fmt);
	pi_buf_vprintf(&whatb, what_fmt, ap);
	va_end(ap);
	const char *what = pi_buf_str(&whatb);
	pi_buf_init(&resp.body);
	pi_buf_init(&sink.raw);
	pi_jsonlines_init(&sink.jl, progress, ctx);
	struct pi_http_req req = {
		.method = "POST",
		.path = path,
		.content_type = content_type,
		.body = body,
		.body_len = body_len,
		.body_fd = body_fd,
		.on_data = lines_cb,
		.ctx = &sink,
		.timeout_s = 0,
	};
	int rc = pi_docker_http(d, &req, &resp, diag);
	if (rc)
		goto out;
	if (resp.status < 200 || resp.status > 299) {
		rc = pi_docker_status_error(resp.status, pi_buf_str(&sink.raw), what, diag);
		goto out;
	}
	pi_jsonlines_finish(&sink.jl);
	if (sink.jl.error) {
		if (diag)
			pi_diag_add(diag, nopos, NULL, "%s: %s", what, sink.jl.error);
		rc = -EIO;
	}
out:
	pi_jsonlines_free(&sink.jl);
	pi_buf_free(&sink.raw);
	pi_buf_free(&resp.body);
	pi_buf_free(&whatb);
	return rc;
}

/* An image's repo (after the caller's "repo=" or "fromImage=") and tag in
 * the query of /images/create. */
static void put_repo_tag(struct pi_buf *path, const char *repo, const char *tag)
{
	pi_url_escape(path, repo);
	pi_buf_puts(path, "&tag=");
	pi_url_escape(path, tag);
}

int pi_docker_image_build(struct pi_docker *d, const char *tag, const void *tar, size_t tar_len,
			  const struct pi_docker_kv *buildargs, size_t n_buildargs,
			  pi_docker_progress_fn progress, void *ctx, struct pi_diag *diag)
{
	struct pi_buf path;
	pi_buf_init(&path);
	pi_buf_puts(&path, "/v" PI_DOCKER_API "/build?rm=1&forcerm=1&t=");
	pi_url_escape(&path, tag);
	if (n_buildargs) {
		json_t *a = json_object();
		for (size_t i = 0; i < n_buildargs; i++)
			json_object_set_new(a, buildargs[i].key, json_string(buildargs[i].value));
		char *s = json_dumps(a, JSON_COMPACT);
		pi_buf_puts(&path, "&buildargs=");
		pi_url_escape(&path, s);
		free(s);
		json_decref(a);
	}
	int rc = stream_post(d, pi_buf_str(&path), "application/x-tar", tar, tar_len, -1, progress, ctx, diag,
			     "building image %s failed", tag);
	pi_buf_free(&path);
	return rc;
}

int pi_docker_image_import(struct pi_docker *d, const char *repo, const char *tag, int fd,
			   const char *const *changes, size_t n_changes,
			   pi_docker_progress_fn progress, void *ctx, struct pi_diag *diag)
{
	struct pi_buf path;
	pi_buf_init(&path);
	pi_buf_puts(&path, "/v" PI_DOCKER_API "/images/create?fromSrc=-&repo=");
	put_repo_tag(&path, repo, tag);
	for (size_t i = 0; i < n_changes; i++) {
		pi_buf_puts(&path, "&changes=");
		pi_url_escape(&path, changes[i]);
	}
	int rc = stream_post(d, pi_buf_str(&path), "application/x-tar", NULL, 0, fd, progress, ctx, diag,
			     "importing image %s:%s failed", repo, tag);
	pi_buf_free(&path);
	return rc;
}

int pi_docker_image_pull(struct pi_docker *d, const char *repo, const char *tag,
			 pi_docker_progress_fn progress, void *ctx, struct pi_diag *diag)
{
	struct pi_buf path;
	pi_buf_init(&path);
	pi_buf_puts(&path, "/v" PI_DOCKER_API "/images/create?fromImage=");
	put_repo_tag(&path, repo, tag);
	int rc = stream_post(d, pi_buf_str(&path), NULL, NULL, 0, -1, progress, ctx, diag,
			     "pulling image %s:%s failed", repo, tag);
	pi_buf_free(&path);
	return rc;
}
