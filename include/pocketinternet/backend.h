/*
 * backend: what a node runtime must do, as a table of operations (BIRD's
 * struct protocol, containerlab's ContainerRuntime). apply, status, exec,
 * shell and teardown take a struct pi_backend and never name a runtime.
 *
 * Implementations (src/runtime/):
 *   docker  one container per node through the Engine API (docker.c ...)
 *   fake    in memory, for unit tests of apply without root or Docker
 *
 * Every node a backend makes is found again by (lab, node) alone: wiring,
 * daemon start and convergence need only the pid it returns, whose
 * /proc/<pid>/ns/net is the node's network namespace and /proc/<pid>/root
 * its file system.
 *
 * Errors: 0 or -errno, with one diagnostic (diag may be NULL). -ENOENT: no
 * such node. Operations may be called from several threads at once.
 */
#ifndef POCKETINTERNET_BACKEND_H
#define POCKETINTERNET_BACKEND_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "diag.h"
#include "prefix.h"
#include "util.h"

struct pi_backend;
struct pi_tty;

struct pi_kv {
	const char *key, *value;
};

/* A node, whatever runs it. */
struct pi_node_spec {
	const char *lab, *node, *role, *pod;
	const char *image;    /* NULL: the backend's default */
	const char *conf_dir;   /* host directory the node sees read-only ... */
	const char *conf_mount; /* ... at this path */
	bool conf_rw;           /* ... or writable (an exercise pod's routers: students edit it) */
	const char *rw_dir;     /* NULL, or a host directory the node sees read-write ... */
	const char *rw_mount;   /* ... at this path (an external speaker's config) */
	const char *lab_file; /* recorded so that commands find the lab again */
	const char *const *cmd; /* the node's first process */
	size_t n_cmd;
	const struct pi_kv *sysctls;
	size_t n_sysctls;
	bool tun;              /* the node needs /dev/net/tun */
	uint32_t mem_limit_mb; /* 0: no limit */
	uint32_t pids_limit;   /* 0: no limit */
};

/* A node as the backend sees it. */
struct pi_node_state {
	char id[72];        /* the runtime's identity of this instance (Docker: container ID) */
	char lab[64];
	char node[128];
	char state[32];     /* "running", "created", "exited", ... */
	char lab_file[512]; /* as given at create, "" when unknown */
	bool running;
	int pid;            /* 0 unless running */
	int exit_code;
	long long created;  /* unix time */
};

struct pi_exec_opts {
	const char *const *env; /* "KEY=VALUE" */
	size_t n_env;
	const char *user;     /* NULL: the node's */
	const char *workdir;  /* NULL: the node's */
	long timeout_s;       /* 0: no limit */
	size_t max_output;    /* per stream; 0: PI_EXEC_MAX_OUTPUT */
};
#define PI_EXEC_MAX_OUTPUT (16u << 20)

struct pi_exec_result {
	int exit_code;
	struct pi_buf out, err; /* stdout, stderr */
	bool truncated;         /* output went past max_output and was cut */
};
void pi_exec_result_init(struct pi_exec_result *r);
void pi_exec_result_free(struct pi_exec_result *r);

/* Where a chunk of a streamed command's output comes from. */
enum pi_exec_stream { PI_EXEC_STDOUT = 1, PI_EXEC_STDERR = 2 };
/* Receives output as the command produces it (any chunking; a chunk never
 * mixes streams). Returns 0 to go on; anything else (e.g. -EPIPE) stops the
 * command and becomes exec_stream's result. */
typedef int (*pi_exec_out_fn)(void *ctx, enum pi_exec_stream stream, const char *p, size_t n);

/* Progress of a long step (building an image): one line of text. */
typedef void (*pi_backend_progress_fn)(void *ctx, const char *line);

struct pi_backend_ops {
	const char *name;
	/* Nodes are network namespaces of this host's kernel, so they share
	 * its limits (the neighbour tables: src/apply/hostneigh.c). */
	bool host_kernel;
	/* Checks the runtime can be used and fills b's private state. */
	int (*open)(struct pi_backend *b, struct pi_diag *diag);
	void (*close)(struct pi_backend *b);
	/* Makes nodes creatable: with image NULL the default node image, built
	 * when missing and build is set. Long: reports progress. */
	int (*prepare)(struct pi_backend *b, const char *image, bool build, pi_backend_progress_fn progress,
		       void *ctx, struct pi_diag *diag);
	/* Checks the runtime's own networks stay out of the lab's address
	 * spaces: -EADDRINUSE with one diagnostic per clash. */
	int (*preflight)(struct pi_backend *b, const struct pi_prefix *spaces, size_t n_spaces,
			 struct pi_diag *diag);
	/* Appends struct pi_node_state for every node of lab (NULL: of every lab). */
	int (*list)(struct pi_backend *b, const char *lab, struct pi_vec *out, struct pi_diag *diag);
	int (*create)(struct pi_backend *b, const struct pi_node_spec *spec, struct pi_diag *diag);
	/* Starts the node (running already is fine) and returns its first process. */
	int (*start)(struct pi_backend *b, const char *lab, const char *node, int *pid, struct pi_diag *diag);
	int (*inspect)(struct pi_backend *b, const char *lab, const char *node, struct pi_node_state *out,
		       struct pi_diag *diag);
	int (*stop)(struct pi_backend *b, const char *lab, const char *node, struct pi_diag *diag);
	/* Removes a node, running or not. */
	int (*remove)(struct pi_backend *b, const char *lab, const char *node, struct pi_diag *diag);
	/* Runs argv in the node and captures its output (capped, see opts). */
	int (*exec)(struct pi_backend *b, const char *lab, const char *node, const char *const *argv, size_t argc,
		    const struct pi_exec_opts *opts, struct pi_exec_result *res, struct pi_diag *diag);
	/*
	 * Runs argv in the node and streams: output goes to out as it comes,
	 * in_fd (-1: none; the command then reads an empty stdin) is copied to
	 * the command's stdin and its end closes that stdin. *cancel (NULL:
	 * never) is a count the caller raises asynchronously (SIGINT): the
	 * first raise sends the command SIGINT, the second SIGTERM, later ones
	 * SIGKILL; output keeps flowing until it ends (ping's summary). The
	 * command's status goes to *exit_code (128+N when signal N ended it);
	 * a non-zero status is not an error. opts may be NULL; max_output is
	 * ignored, timeout_s kills the command (SIGKILL) and fails -ETIMEDOUT.
	 */
	int (*exec_stream)(struct pi_backend *b, const char *lab, const char *node, const char *const *argv,
			   size_t argc, const struct pi_exec_opts *opts, int in_fd, pi_exec_out_fn out, void *ctx,
			   int *exit_code, volatile int *cancel, struct pi_diag *diag);
	/*
	 * Runs argv in the node on a terminal of its own (cols x rows, with
	 * TERM=xterm-256color) and returns the session: pi_tty_fd(*out) carries
	 * the raw terminal bytes both ways (what the program writes, what a
	 * user types); its end of file means the program ended. Not the
	 * caller's terminal: `shell` relays its own to it, the web server a
	 * WebSocket. -ESRCH when the node is stopped, -ENOENT when absent.
	 */
	int (*tty_open)(struct pi_backend *b, const char *lab, const char *node, const char *const *argv,
			size_t argc, unsigned cols, unsigned rows, struct pi_tty **out, struct pi_diag *diag);
	/* Tells the program its terminal is now cols x rows (SIGWINCH in the node). */
	int (*tty_resize)(struct pi_backend *b, struct pi_tty *t, unsigned cols, unsigned rows, struct pi_diag *diag);
	/*
	 * Ends the session and frees t (NULL is fine): a program still running
	 * gets SIGHUP, as when a terminal hangs up, then SIGKILL if it has not
	 * gone within a second, so nothing it started lingers in the node.
	 * Returns the program's exit status (128+N for signal N) when it had
	 * ended by itself (its fd was at end of file), else -1.
	 */
	int (*tty_close)(struct pi_backend *b, struct pi_tty *t);
};

/* A terminal session of tty_open; each backend has its own behind this. */
struct pi_tty {
	int fd; /* owned: closed by tty_close only */
};
/* The session's socket: nonblocking, close-on-exec, raw terminal bytes both
 * ways. Valid until tty_close. */
int pi_tty_fd(const struct pi_tty *t);

struct pi_backend {
	const struct pi_backend_ops *ops;
	void *priv;
};

extern const struct pi_backend_ops pi_backend_docker;
extern const struct pi_backend_ops pi_backend_fake;

/* The backend called name ("docker", "fake"), or NULL. */
const struct pi_backend_ops *pi_backend_find(const char *name);
/* Opens b with ops; on failure b is left closed. */
int pi_backend_open(struct pi_backend *b, const struct pi_backend_ops *ops, struct pi_diag *diag);
void pi_backend_close(struct pi_backend *b);

/*
 * The fake backend keeps nodes in memory. Tests steer it: a call fails
 * with fail_errno once it has been made fail_after times (fail_op names
 * the operation: "create", "start", ...), and every call is logged as
 * "op node" lines in calls. Its nodes have no process: start returns pid
 * 0, so nothing probes or wires the test's own namespaces.
 * $POCKETINTERNET_FAKE_NODES ("lab/node,...") seeds running nodes at open.
 * Its exec_stream writes argv as one line, then copies in_fd (like cat)
 * until its end or a cancel (status 130, as SIGINT would give).
 * Its tty_open gives one end of a socketpair whose other end a thread
 * serves: every byte written comes back (a terminal's echo), a resize
 * writes "resize COLSxROWS\r\n", and a ^D (0x04) ends the "program" with
 * status 0 (end of file on the fd). Logged: "tty_open NODE ARGV... COLSxROWS",
 * "tty_resize NODE COLSxROWS", "tty_close NODE".
 */
struct pi_fake_backend {
	const char *fail_op;
	unsigned fail_after;
	int fail_errno;
	struct pi_buf calls;
	struct pi_vec nodes; /* struct pi_node_state */
	struct pi_prefix clash; /* preflight fails for spaces overlapping it */
	pthread_mutex_t lock;
};
/* The fake's state of an open fake backend. */
struct pi_fake_backend *pi_backend_fake_state(struct pi_backend *b);

/* ---- the Docker backend's own commands (image, configure-docker) ---- */

struct pi_docker; /* an Engine API client, internal to the runtime module */
#define PI_DOCKER_ID_LEN 65 /* 64 hex digits + NUL */
#define PI_DAEMON_JSON "/etc/docker/daemon.json"

struct pi_container_summary {
	char id[PI_DOCKER_ID_LEN];
	char name[256];
	char image[256];
	char state[32];
	char lab[64];  /* value of PI_LABEL_LAB, "" when absent */
	char node[128]; /* value of PI_LABEL_NODE */
	char lab_file[512]; /* value of PI_LABEL_LAB_FILE */
	long long created;  /* unix time */
};
/* One default address pool: base prefix, carved into subnets of size. */
struct pi_docker_pool {
	struct pi_prefix base;
	unsigned size;
};
struct pi_image_info {
	char id[128]; /* "sha256:..." */
	char hash_label[64]; /* value of PI_IMAGE_HASH_LABEL, "" when absent */
	long long size;
};
/* ---- the node image ---- */

/* Label carrying a hash of the image's inputs, so a stale image is rebuilt. */
#define PI_IMAGE_HASH_LABEL "pocketinternet.image-hash"
#define PI_IMAGE_REPO "pocketinternet/node"
#define PI_IMAGE_BASE_REPO "pocketinternet/base"
#define PI_IMAGE_BASE_TAG "bookworm"
#define PI_IMAGE_REGISTRY_BASE "debian:bookworm-slim"

/* "pocketinternet/node:<version>" */
const char *pi_image_default_tag(void);

enum pi_image_event {
	PI_IMAGE_STEP,   /* a step starts: "debootstrap bookworm from http://..." */
	PI_IMAGE_DETAIL, /* a line of a step's own output (debootstrap, builder) */
	PI_IMAGE_DONE,   /* the image is ready: text is its tag */
};
typedef void (*pi_image_progress_fn)(void *ctx, enum pi_image_event ev, double elapsed_s,
				     const char *text);

enum pi_image_base {
	PI_IMAGE_BASE_AUTO,        /* debian:bookworm-slim when present locally, else debootstrap */
	PI_IMAGE_BASE_DEBOOTSTRAP, /* always a debootstrap base with every package included */
	PI_IMAGE_BASE_REGISTRY,    /* debian:bookworm-slim, pulled when absent */
};

struct pi_image_opts {
	const char *tag;        /* NULL: pi_image_default_tag() */
	enum pi_image_base base;
	const char *mirror;     /* NULL: $POCKETINTERNET_MIRROR, then apt's sources */
	const char *images_dir; /* NULL: pi_image_dir() */
	bool force;             /* rebuild even when up to date (and redo the base) */
	pi_image_progress_fn progress;
	void *ctx;
};

/* Where images/Dockerfile lives: $POCKETINTERNET_IMAGES, the source tree,
 * then the installed data dir. */
const char *pi_image_dir(void);
/* pi_image_build on the default engine. */
int pi_docker_image_build_default(const struct pi_image_opts *opts, struct pi_diag *diag);
/* The image tag on the default engine: 0, -ENOENT when absent, or -errno. */
int pi_docker_image_status(const char *tag, struct pi_image_info *out, struct pi_diag *diag);

struct pi_nl_route_prefix; /* netlink.h */
enum pi_docker_restart {
	PI_DOCKER_RESTART_NOT_NEEDED,    /* nothing written (unchanged or dry run) */
	PI_DOCKER_RESTART_NOT_ASKED,     /* --no-restart, or --file */
	PI_DOCKER_RESTART_REFUSED_LAB,   /* lab containers run: teardown first (or force) */
	PI_DOCKER_RESTART_REFUSED_OTHER, /* other containers run, no live-restore (or force) */
	PI_DOCKER_RESTART_BY_HAND,       /* no systemd: the user restarts dockerd */
	PI_DOCKER_RESTART_SYSTEMCTL,     /* systemctl restart docker */
};
/* "not-needed", "not-asked", "refused-lab", "refused-other", "by-hand", "systemctl" */
const char *pi_docker_restart_name(enum pi_docker_restart r);

struct pi_docker_restart_check {
	enum pi_docker_restart decision;
	bool live_restore;       /* the engine keeps containers across restarts */
	struct pi_vec lab;       /* struct pi_container_summary: running lab containers */
	struct pi_vec other;     /* struct pi_container_summary: running, not the lab's */
};
void pi_docker_restart_check_init(struct pi_docker_restart_check *c);
void pi_docker_restart_check_free(struct pi_docker_restart_check *c);
/* Pure: sorts the running containers of list into c->lab / c->other and
 * decides. Lab containers block unless force; the others unless force or
 * live_restore. Unblocked: SYSTEMCTL when systemd, else BY_HAND. */
void pi_docker_restart_decide(const struct pi_container_summary *list, size_t n, bool live_restore, bool force,
			      bool systemd, struct pi_docker_restart_check *c);
/* GET /info's LiveRestoreEnabled. */
int pi_docker_live_restore(struct pi_docker *d, bool *out, struct pi_diag *diag);
/* systemctl restart docker (systemd's tool, never the docker CLI), then
 * waits up to 30 s for /_ping. */
int pi_docker_restart_engine(struct pi_docker *d, struct pi_diag *diag);

struct pi_docker_configure_opts {
	const char *path;              /* NULL: PI_DAEMON_JSON */
	const struct pi_prefix *avoid; /* the lab's spaces; the reserved ranges are added */
	size_t n_avoid;
	bool dry_run;    /* plan and merge only; write nothing, restart nothing */
	bool no_restart; /* write but leave the engine (also set for --file) */
	bool force;      /* restart although containers run */
	/* Where the host is read; tests point these at fakes. */
	const char *sysroot; /* unit files, docker.pid, /proc, /run/systemd; NULL: "/" */
	const struct pi_nl_route_prefix *routes; /* with routes_given: instead of the netlink dump */
	size_t n_routes;
	bool routes_given;
	struct pi_docker *docker; /* NULL: the default engine, opened when a restart is weighed */
};

struct pi_docker_configure_result {
	char *target;          /* the file edited (symlink resolved) */
	char *json;            /* the resulting document, without the BOM */
	bool bom;              /* the file had a UTF-8 BOM, and keeps it */
	bool changed;
	bool written;
	char backup[4200];     /* "" when none was made */
	struct pi_buf changes; /* one human line per changed key */
	char bip[PI_PREFIX_STRLEN];
	char fixed_cidr_v6[PI_PREFIX_STRLEN]; /* "" when unset */
	struct pi_vec pools;       /* struct pi_docker_pool */
	struct pi_vec host_avoid;  /* struct pi_prefix: host prefixes inside Docker's candidate ranges */
	struct pi_docker_restart_check restart;
	bool restarted;            /* systemctl ran and the engine answers again */
};
void pi_docker_configure_result_init(struct pi_docker_configure_result *r);
void pi_docker_configure_result_free(struct pi_docker_configure_result *r);

/*
 * The whole of configure-docker. Avoids opts->avoid, the reserved ranges
 * and every host route/address prefix outside Docker's own bridges; reads
 * the file once and refuses NULs, bad UTF-8, duplicate keys (-EINVAL or
 * -EILSEQ, positioned) and flags set on dockerd's command line (-EEXIST);
 * then writes (unless dry_run) and decides the restart, doing it when the
 * decision is SYSTEMCTL. A refused restart is not an error: see
 * res->restart. res must be initialised.
 */
int pi_docker_configure(const struct pi_docker_configure_opts *opts, struct pi_docker_configure_result *res,
			struct pi_diag *diag);
/* The result as a JSON object (for --format json); caller frees. */
char *pi_docker_configure_result_json(const struct pi_docker_configure_result *r);

#endif
