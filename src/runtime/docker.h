/*
 * docker, internal to the runtime module: a small Docker Engine API client
 * (libcurl over the unix socket, jansson for every JSON document), the node
 * image builder, and the daemon.json logic behind configure-docker. The
 * rest of the program reaches Docker only through backend.h: the backend
 * table's Docker entry and the Docker backend's own commands.
 *
 * Threads: a struct pi_docker is immutable once opened, and every call makes
 * its own curl easy handle, so one client may be used from several threads
 * at once. Give each thread its own struct pi_diag.
 *
 * Errors: every call returns 0 (or a documented positive value) or -errno,
 * and on failure adds one entry to diag (NULL allowed) saying what failed
 * and, in the hint, what to do. Common codes:
 *   -ECONNREFUSED  no engine answers on the socket (missing or stale socket)
 *   -EACCES        the socket exists but this user may not open it
 *   -EPROTONOSUPPORT the engine's API is older than PI_DOCKER_API
 *   -ENOENT        no such container / image / exec (HTTP 404)
 *   -EEXIST        a name is taken (HTTP 409 on create)
 *   -ESRCH         exec into a container that is not running (HTTP 409)
 *   -ETIMEDOUT     no answer within the call's time limit
 *   -EIO           any other engine error (its message is in diag)
 *   -EINVAL        bad DOCKER_HOST or bad arguments
 * Nothing here prints.
 */
#ifndef PI_RUNTIME_DOCKER_H
#define PI_RUNTIME_DOCKER_H

#include <stdbool.h>
#include <stddef.h>
#include "pocketinternet/backend.h"

/* The API version every path is pinned to (/v1.41/...): Docker 20.10. */
#define PI_DOCKER_API "1.41"
#define PI_DOCKER_API_MAJOR 1
#define PI_DOCKER_API_MINOR 41
#define PI_DOCKER_DEFAULT_SOCKET "/var/run/docker.sock"

/* Labels every object of a lab carries; teardown finds things by them. */
#define PI_LABEL_LAB "pocketinternet.lab"
#define PI_LABEL_NODE "pocketinternet.node"
#define PI_LABEL_LAB_FILE "pocketinternet.lab-file"
#define PI_LABEL_ROLE "pocketinternet.role"
#define PI_LABEL_POD "pocketinternet.pod"


/* A streamed progress line (build output, import status), without newline. */
typedef void (*pi_docker_progress_fn)(void *ctx, const char *line);

/* ---- client ---- */

/*
 * Creates a client without touching the engine. host is "unix:///path", or
 * NULL for $DOCKER_HOST, or the default socket when that is unset too. Any
 * other scheme (tcp://, ssh://, npipe://) is refused with -EINVAL.
 */
int pi_docker_new(const char *host, struct pi_docker **out, struct pi_diag *diag);
/* pi_docker_new, then GET /version: fails unless the engine answers and its
 * API is at least PI_DOCKER_API. The usual way to get a client. */
int pi_docker_open(const char *host, struct pi_docker **out, struct pi_diag *diag);
void pi_docker_free(struct pi_docker *d);
const char *pi_docker_socket(const struct pi_docker *d);

/* GET /_ping: 0 when the engine answers "OK". */
int pi_docker_ping(struct pi_docker *d, struct pi_diag *diag);

struct pi_docker_version {
	char engine[64];  /* "20.10.24+dfsg1" */
	char api[16];     /* "1.41" */
	char min_api[16];
	char os[32], arch[32];
	char kernel[128];
};
/* GET /version (unversioned path, so it works on any engine). */
int pi_docker_version(struct pi_docker *d, struct pi_docker_version *out, struct pi_diag *diag);
/* Compares "1.41"-style versions: <0, 0, >0. Unparsable sorts lowest. */
int pi_docker_api_cmp(const char *a, const char *b);

/* ---- containers ---- */

struct pi_docker_kv {
	const char *key, *value;
};

struct pi_docker_bind {
	const char *host;      /* absolute path on the host */
	const char *container; /* absolute path in the container */
	bool rw;               /* binds are read-only unless this is set */
};

/*
 * What a node container looks like. The network mode is always "none" and
 * there is never a restart policy: lab traffic only uses the veths and
 * bridges the project wires itself, and a crashed lab stays down.
 */
struct pi_container_spec {
	const char *name;     /* container name; required */
	const char *image;    /* required */
	const char *hostname; /* NULL: docker's default (the short id) */
	const struct pi_docker_kv *labels;
	size_t n_labels;
	const char *const *env; /* "KEY=VALUE" */
	size_t n_env;
	const struct pi_docker_bind *binds;
	size_t n_binds;
	const char *const *cap_add; /* "NET_ADMIN", ... */
	size_t n_cap_add;
	const char *const *cap_drop; /* "ALL" drops the engine's default set first */
	size_t n_cap_drop;
	const struct pi_docker_kv *sysctls;
	size_t n_sysctls;
	const char *const *devices; /* host paths, mapped to the same path, "rwm" */
	size_t n_devices;
	const char *const *cmd; /* NULL: the image's CMD (the node image sleeps) */
	size_t n_cmd;
	bool init; /* HostConfig.Init: docker-init as PID 1 reaps zombies */
	uint32_t memory_mb;     /* HostConfig.Memory (and MemorySwap: no swap); 0: none */
	uint32_t pids_limit;    /* HostConfig.PidsLimit; 0: none */
	bool no_new_privileges; /* SecurityOpt no-new-privileges */
};

/* POST /containers/create. id receives the new container's full id. */
int pi_docker_container_create(struct pi_docker *d, const struct pi_container_spec *spec,
			       char id[PI_DOCKER_ID_LEN], struct pi_diag *diag);
/* POST /containers/{id}/start; starting a running container is not an error. */
int pi_docker_container_start(struct pi_docker *d, const char *id, struct pi_diag *diag);
/* POST /containers/{id}/stop?t=timeout_s; stopping a stopped one is fine. */
int pi_docker_container_stop(struct pi_docker *d, const char *id, int timeout_s, struct pi_diag *diag);
/* POST /containers/{id}/kill; signal NULL means SIGKILL. */
int pi_docker_container_kill(struct pi_docker *d, const char *id, const char *signal, struct pi_diag *diag);
/* DELETE /containers/{id}?force=true&v=true. A missing container is -ENOENT. */
int pi_docker_container_remove(struct pi_docker *d, const char *id, struct pi_diag *diag);

struct pi_container_info {
	char id[PI_DOCKER_ID_LEN];
	char name[256]; /* without docker's leading '/' */
	char image[256];
	char status[32]; /* "created", "running", "exited", ... */
	bool running;
	int pid;        /* State.Pid: 0 unless running; /proc/<pid>/ns/net is its netns */
	int exit_code;
};
/* GET /containers/{id}/json. -ENOENT when there is no such container. */
int pi_docker_container_inspect(struct pi_docker *d, const char *id, struct pi_container_info *out,
				struct pi_diag *diag);

/* GET /containers/json?all=true with a label filter ("key" or "key=value",
 * NULL for every container). Appends struct pi_container_summary to out,
 * which the caller initialises with PI_VEC_INIT(struct pi_container_summary). */
int pi_docker_container_list(struct pi_docker *d, const char *label_filter, struct pi_vec *out,
			     struct pi_diag *diag);

/* ---- exec ---- */

/*
 * Runs argv (argv[0] is the program, argc entries) in a running container and
 * waits for it: POST /containers/{id}/exec, POST /exec/{eid}/start, then
 * GET /exec/{eid}/json for the exit code. argv goes to the engine as an array,
 * never through a shell. A non-zero exit is not an error: check
 * res->exit_code. opts may be NULL. res must be initialised.
 */
int pi_docker_exec(struct pi_docker *d, const char *id, const char *const *argv, size_t argc,
		   const struct pi_exec_opts *opts, struct pi_exec_result *res, struct pi_diag *diag);

/* ---- images ---- */

/* GET /images/{name}/json. -ENOENT when absent. */
int pi_docker_image_inspect(struct pi_docker *d, const char *name, struct pi_image_info *out,
			    struct pi_diag *diag);
/* pi_docker_image_inspect with absence an answer, not an error: 1 when
 * present (*out filled), 0 when absent (nothing reported), <0 on error. */
int pi_docker_image_find(struct pi_docker *d, const char *name, struct pi_image_info *out,
			 struct pi_diag *diag);
/* 1 when present, 0 when absent, <0 on error. */
int pi_docker_image_exists(struct pi_docker *d, const char *name, struct pi_diag *diag);
/* DELETE /images/{name}?force=true. */
int pi_docker_image_remove(struct pi_docker *d, const char *name, struct pi_diag *diag);

/*
 * POST /build with a tar context in memory (Dockerfile at its root). Every
 * "stream" line of the engine's output goes to progress. buildargs may be
 * NULL. Fails with -EIO and the builder's message when a step fails.
 */
int pi_docker_image_build(struct pi_docker *d, const char *tag, const void *tar, size_t tar_len,
			  const struct pi_docker_kv *buildargs, size_t n_buildargs,
			  pi_docker_progress_fn progress, void *ctx, struct pi_diag *diag);
/*
 * POST /images/create?fromSrc=- : imports a root filesystem tar read from fd
 * (streamed, chunked) as repo:tag. changes are Dockerfile instructions
 * applied on import (e.g. "LABEL a=b"); may be NULL.
 */
int pi_docker_image_import(struct pi_docker *d, const char *repo, const char *tag, int fd,
			   const char *const *changes, size_t n_changes,
			   pi_docker_progress_fn progress, void *ctx, struct pi_diag *diag);
/* POST /images/create?fromImage=: pulls through the engine (needs a registry). */
int pi_docker_image_pull(struct pi_docker *d, const char *repo, const char *tag,
			 pi_docker_progress_fn progress, void *ctx, struct pi_diag *diag);

/* ---- networks and address clashes ---- */

#define PI_DOCKER_MAX_SUBNETS 8
struct pi_docker_network {
	char name[128];
	char id[PI_DOCKER_ID_LEN];
	char driver[32];
	struct pi_prefix subnets[PI_DOCKER_MAX_SUBNETS];
	size_t n_subnets;
};
/* GET /networks: appends struct pi_docker_network to out. */
int pi_docker_network_list(struct pi_docker *d, struct pi_vec *out, struct pi_diag *diag);

/*
 * The engine's default address pools: from GET /info (DefaultAddressPools,
 * API >= 1.42), else from daemon_json_path's "default-address-pools", else
 * docker's built-in defaults (172.17.0.0/16..172.31.0.0/16 and
 * 192.168.0.0/16 by /20). *source says which ("engine", "daemon.json",
 * "built-in"). Appends struct pi_docker_pool to out.
 */
int pi_docker_default_pools(struct pi_docker *d, const char *daemon_json_path, struct pi_vec *out,
			    const char **source, struct pi_diag *diag);

/*
 * Reports every engine network subnet and default pool overlapping one of
 * the lab's address spaces (unset entries are skipped). Returns 0 when
 * clean, -EADDRINUSE with one diag entry per clash (hint: run
 * configure-docker), or another -errno when the engine could not be asked.
 */
int pi_docker_check_clash(struct pi_docker *d, const struct pi_prefix *spaces, size_t n_spaces,
			  struct pi_diag *diag);

/* ---- daemon.json (configure-docker) ---- */


/* Ranges that Docker must never use besides the lab's own space: all of
 * 10/8, the CGNAT 100.64/10 and the legacy backbone 172.16/12. */
void pi_daemon_json_reserved(struct pi_prefix out[3]);

struct pi_daemon_json_result {
	char *json;     /* the resulting document, pretty, with a final newline; caller frees */
	bool changed;   /* false: the input already had safe values */
	struct pi_buf changes; /* one human line per changed key */
};
void pi_daemon_json_result_free(struct pi_daemon_json_result *r);

/*
 * Merges safe address settings into a daemon.json text (NULL or empty when
 * the file is missing) and keeps every other key. avoid lists the prefixes
 * Docker must stay out of (the lab's v4/v6 space plus
 * pi_daemon_json_reserved). Existing "bip", "default-address-pools" and
 * "fixed-cidr-v6" values are kept when they avoid all of them; otherwise bip
 * and pools are picked from 192.168.0.0/16 (then 198.18.0.0/15), and IPv6 is
 * either left off ("ipv6": false) or, when the file enables it, given a ULA
 * fixed-cidr-v6 from fd0c:7069:d0c::/48 outside avoid. A malformed input is -EINVAL with its
 * line:column in diag (pos.file = file_name). Pure: no I/O.
 */
int pi_daemon_json_merge(const char *file_name, const char *text, const struct pi_prefix *avoid,
			 size_t n_avoid, struct pi_daemon_json_result *out, struct pi_diag *diag);

/*
 * Replaces path with json: a backup "<path>.bak-YYYYmmddTHHMMSS" of the old
 * file first (when there is one; its name goes to backup, may be NULL),
 * then tmp + fsync + rename + fsync of the directory.
 */
int pi_daemon_json_write(const char *path, const char *json, char *backup, size_t backup_len,
			 struct pi_diag *diag);

/* Builds the node image (see docs/docker.md). */
int pi_image_build(struct pi_docker *d, const struct pi_image_opts *opts, struct pi_diag *diag);
/* Builds the default node image unless it exists with the current inputs'
 * hash. Returns 0 when it was already there, 1 when it was built. */
int pi_image_ensure(struct pi_docker *d, pi_image_progress_fn progress, void *ctx, struct pi_diag *diag);

/*
 * The first Debian mirror URI in apt's configuration under etc_apt (normally
 * "/etc/apt"): deb822 sources.list.d/ *.sources, then sources.list, skipping
 * security and cdrom entries. 0, or -ENOENT when none is found.
 */
int pi_image_find_mirror(const char *etc_apt, char *buf, size_t len);

/*
 * A terminal session in a container: the backend table's tty_open,
 * tty_resize and tty_close (see backend.h) on a container (docker_tty.c).
 */
int pi_docker_tty_open(struct pi_docker *d, const char *container, const char *const *argv, size_t argc,
		       unsigned cols, unsigned rows, struct pi_tty **out, struct pi_diag *diag);
int pi_docker_tty_resize(struct pi_docker *d, struct pi_tty *t, unsigned cols, unsigned rows, struct pi_diag *diag);
int pi_docker_tty_close(struct pi_docker *d, struct pi_tty *t);

/*
 * exec with streamed output, stdin passed through and cancel: the backend
 * table's exec_stream (see backend.h) on a container. Hijacks the start
 * request's connection (docker_stream.c).
 */
int pi_docker_exec_stream(struct pi_docker *d, const char *container, const char *const *argv, size_t argc,
			  const struct pi_exec_opts *opts, int in_fd, pi_exec_out_fn out, void *ctx,
			  int *exit_code, volatile int *cancel, struct pi_diag *diag);

/* ---- configure-docker ---- */

/*
 * configure-docker as a library call: the CLI parses arguments and prints,
 * pi_docker_configure() plans, reads, merges, backs up, writes and decides
 * (and does) the restart. The pieces are public so tests drive each one
 * with fakes: a route list, a container list, a tree of unit files.
 */

struct pi_nl_route_prefix; /* netlink.h */

/* daemon.json as read ONCE: the bytes merged are the bytes backed up. */
struct pi_daemon_json_file {
	char *target;  /* the file edited: the path with symlinks resolved */
	bool exists;   /* false: missing, data is "" */
	char *data;    /* the bytes read, NUL-terminated; may hold NULs, see len */
	size_t len;
	unsigned mode, uid, gid; /* kept by the rewrite (0644, ours when missing) */
};
/* Resolves symlinks (a link to a missing file is -ENOENT with a hint),
 * opens, fstats and reads the file. A missing file is not an error. */
int pi_daemon_json_read(const char *path, struct pi_daemon_json_file *f, struct pi_diag *diag);
void pi_daemon_json_file_free(struct pi_daemon_json_file *f);
/* Refuses NUL bytes (-EINVAL) and invalid UTF-8 (-EILSEQ) with
 * file:line:col (byte column, after any BOM) and a hint. *bom_len is 3
 * when data starts with a UTF-8 BOM (to strip for parsing), else 0. */
int pi_daemon_json_check_bytes(const char *file_name, const char *data, size_t len, size_t *bom_len,
			       struct pi_diag *diag);
/* Replaces f->target with (bom ? BOM : "") + json: a backup
 * "<target>.bak-YYYYmmddTHHMMSS" holding f->data first (when f->exists;
 * its name goes to backup, may be NULL), then tmp + fchmod/fchown to f's
 * mode, owner and group + fsync + rename + fsync of the directory. */
int pi_daemon_json_write_file(const struct pi_daemon_json_file *f, const char *json, bool bom, char *backup,
			      size_t backup_len, struct pi_diag *diag);
/* True when p overlaps a range bip, the pools or fixed-cidr-v6 are picked
 * from (192.168.0.0/16, 198.18.0.0/15, fd0c:7069:d0c::/48). */
bool pi_daemon_json_in_candidates(const struct pi_prefix *p);

/* Docker's own bridges, whose routes are its current networks and no
 * clash: "docker0", "docker_gwbridge" and "br-" + 12 hex digits. */
bool pi_docker_is_own_bridge(const char *dev);
/* Appends to out (PI_VEC_INIT(struct pi_prefix)) the prefixes of routes
 * that Docker must avoid: all but default routes and Docker's own bridges. */
void pi_docker_host_avoid(const struct pi_nl_route_prefix *routes, size_t n, struct pi_vec *out);

/*
 * Settings dockerd also takes as flags: it refuses to start when one is
 * both a flag and a daemon.json key. For each key of keys ("bip",
 * "default-address-pools", "ipv6", "fixed-cidr-v6", "fixed-cidr"; others
 * are ignored) looks for its flag in the effective ExecStart of
 * docker.service (the first of etc/, run/, lib/, usr/lib/systemd/system,
 * then docker.service.d/ *.conf drop-ins in name order, an empty
 * "ExecStart=" resetting) and in /proc/<pid>/cmdline of the running
 * dockerd (pid from var/run/docker.pid), all under sysroot (NULL: "/").
 * Returns 0, or -EEXIST with one diag entry per finding.
 */
int pi_docker_cmdline_conflicts(const char *sysroot, const char *const *keys, size_t n_keys,
				struct pi_diag *diag);

#endif
