/*
 * docker_internal: what the runtime's files share and the unit tests reach
 * (pure JSON builders and parsers, the exec stream demultiplexer, the HTTP
 * request helper). Not part of the public surface.
 */
#ifndef PI_DOCKER_INTERNAL_H
#define PI_DOCKER_INTERNAL_H

#include <jansson.h>
#include "docker.h"

struct pi_docker {
	char *socket; /* unix socket path */
	char *host;   /* as given, for messages */
};

/* One HTTP exchange with the engine. */
struct pi_http_req {
	const char *method;       /* "GET", "POST", "DELETE" */
	const char *path;         /* "/v1.41/containers/json?all=true": already versioned and escaped */
	const char *content_type; /* NULL: none (or application/json when json is set) */
	const char *body;         /* in-memory body; NULL for none */
	size_t body_len;
	int body_fd;              /* >= 0: stream the body from this fd (chunked) */
	/* When set, the response body goes here as it arrives instead of resp->body;
	 * return n to go on, anything else aborts. */
	size_t (*on_data)(void *ctx, const char *p, size_t n);
	void *ctx;
	long timeout_s; /* 0: none */
};

struct pi_http_resp {
	long status;
	struct pi_buf body;
};

/* Performs req. Transport failures are reported into diag with what to do
 * (engine down, permission) and returned as -errno; any HTTP status is
 * returned in resp->status with 0: the caller judges it. resp must be
 * initialised with pi_buf_init(&resp->body). */
int pi_docker_http(struct pi_docker *d, const struct pi_http_req *req, struct pi_http_resp *resp,
		   struct pi_diag *diag);
/* GET/POST/DELETE with an optional JSON body; the response body is parsed
 * into *out_json (may be NULL to ignore it). Non-2xx statuses become errors
 * via pi_docker_status_error with `what` as context. */
int pi_docker_call(struct pi_docker *d, const char *method, const char *path, json_t *body,
		   json_t **out_json, const char *what, struct pi_diag *diag);
/* The same with a time limit of its own (pi_docker_call allows 300 s). */
int pi_docker_call_timeout(struct pi_docker *d, const char *method, const char *path, json_t *body,
			   json_t **out_json, const char *what, long timeout_s, struct pi_diag *diag);
/* Where a call on one object goes: "/v<API>" base, the object's name
 * percent-escaped, then suffix as is. */
struct pi_docker_at {
	const char *method; /* "GET", "POST", "DELETE" */
	const char *base;   /* "/containers/", "/containers/create?name=" */
	const char *id;     /* container id or name, image name */
	const char *suffix; /* "/json", "?force=true"; NULL: none */
	bool image;         /* id is an image name: its '/' and ':' stay (a repo path) */
	json_t *body;       /* NULL: none */
	long timeout_s;     /* 0: pi_docker_call's */
};
/* pi_docker_call on at, failing as the formatted what: every per-object
 * request of the runtime builds its path and message the same way. */
int pi_docker_call_at(struct pi_docker *d, const struct pi_docker_at *at, json_t **out_json,
		      struct pi_diag *diag, const char *what_fmt, ...) PI_PRINTF(5, 6);
/* Turns a non-2xx response into -errno plus a diag entry: "what: engine message". */
int pi_docker_status_error(long status, const char *body, const char *what, struct pi_diag *diag);

/* Keeps the first bytes of a streamed answer (about 4 KiB) in raw: when the
 * status says error, they are the engine's message, not the stream. */
void pi_docker_keep_head(struct pi_buf *raw, const char *p, size_t n);

/* Percent-encodes s for a URL path segment or query value. */
void pi_url_escape(struct pi_buf *b, const char *s);
/* The same keeping '/' and ':', for an image name (a repository path). */
void pi_url_escape_image(struct pi_buf *b, const char *s);

/* ---- pure JSON ---- */
json_t *pi_docker_spec_json(const struct pi_container_spec *spec);
json_t *pi_docker_exec_json(const char *const *argv, size_t argc, const struct pi_exec_opts *opts);
/* {"label":["key=value"]} as text (caller frees), or NULL for no filter. */
char *pi_docker_label_filter(const char *label_filter);
int pi_docker_parse_inspect(json_t *j, struct pi_container_info *out);
int pi_docker_parse_summary(json_t *j, struct pi_container_summary *out);
int pi_docker_parse_network(json_t *j, struct pi_docker_network *out);
/* Parses a "default-address-pools" array ([{"base":..,"size":..}]) into out. */
int pi_docker_parse_pools(json_t *arr, struct pi_vec *out);
/* Copies a JSON string member into buf (truncating); "" when absent. */
void pi_json_copy(json_t *obj, const char *key, char *buf, size_t len);

/*
 * The attach stream of a non-TTY exec: frames of an 8-byte header
 * (stream byte, 3 zero bytes, big-endian u32 length) then the payload.
 * Stream 0 is stdin (never sent), 1 stdout, 2 stderr, 3 the engine's own
 * error text. Payload bytes are handed on as soon as they arrive, so a
 * frame split over two feeds comes out as two chunks of the same stream;
 * feeding the stream in any split gives the same bytes per stream in the
 * same order.
 */
typedef int (*pi_demux_fn)(void *ctx, int stream, const char *p, size_t n);
struct pi_demux {
	unsigned char hdr[8];
	size_t hdr_have;
	size_t remaining; /* payload bytes left in the current frame */
	int stream;       /* of the current frame */
	pi_demux_fn fn;   /* where payload goes; NULL: out/err below */
	void *ctx;
	int stopped;      /* fn's non-zero answer, or -EPROTO: every later feed returns it */
	struct pi_buf *out, *err; /* without fn: stdout and stderr (3 counts as stderr) */
	size_t cap;       /* per stream; 0: no limit */
	bool truncated;   /* bytes past cap were dropped */
};
/* Collects stdout into out and stderr into err (capped by m->cap). */
void pi_demux_init(struct pi_demux *m, struct pi_buf *out, struct pi_buf *err);
/* Hands every payload chunk to fn with its stream (1, 2 or 3; never empty). */
void pi_demux_init_fn(struct pi_demux *m, pi_demux_fn fn, void *ctx);
/* 0; fn's non-zero answer (the rest is not delivered); -EPROTO when a
 * header is not a frame header (a TTY stream, or garbage). */
int pi_demux_feed(struct pi_demux *m, const char *p, size_t n);

/* Splits a stream of JSON lines (build/import progress). */
struct pi_jsonlines {
	struct pi_buf partial;
	pi_docker_progress_fn progress;
	void *ctx;
	char *error; /* first "error" message seen; owned */
	char *last_id; /* last aux.ID seen (build), owned */
};
void pi_jsonlines_init(struct pi_jsonlines *jl, pi_docker_progress_fn progress, void *ctx);
void pi_jsonlines_feed(struct pi_jsonlines *jl, const char *p, size_t n);
void pi_jsonlines_finish(struct pi_jsonlines *jl);
void pi_jsonlines_free(struct pi_jsonlines *jl);

/* ---- exec on a hijacked connection (docker_stream.c, docker_tty.c) ---- */
/* A blocking, close-on-exec connection to the engine's unix socket, for a
 * request whose connection the engine hijacks. */
int pi_docker_connect_raw(struct pi_docker *d, int *fd, struct pi_diag *diag);
/* GET /exec/{eid}/json: running, pid (host namespace), exit code (-1 unknown). */
int pi_docker_exec_state(struct pi_docker *d, const char *eid, bool *running, int *pid, int *code);
/* Sends sig to exec eid in container: kill(2) of its host pid, else (not
 * allowed: not root) the node's own kill on the pid as the node sees it.
 * -EAGAIN when it has not started yet, -ESRCH when it has ended. The
 * Engine API itself cannot signal an exec. */
int pi_docker_exec_kill(struct pi_docker *d, const char *container, const char *eid, int sig);

/* ---- tar (ustar) writer for small build contexts ---- */
void pi_tar_add_file(struct pi_buf *tar, const char *name, const void *data, size_t len, unsigned mode);
void pi_tar_finish(struct pi_buf *tar);

#endif
