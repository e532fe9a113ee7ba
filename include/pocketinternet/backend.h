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

struct pi_kv {
	const char *key, *value;
};

/* A node, whatever runs it. */
struct pi_node_spec {
	const char *lab, *node, *role, *pod;
	const char *image;    /* NULL: the backend's default */
	const char *conf_dir;   /* host directory the node sees read-only ... */
	const char *conf_mount; /* ... at this path */
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

/* Progress of a long step (building an image): one line of text. */
typedef void (*pi_backend_progress_fn)(void *ctx, const char *line);

struct pi_backend_ops {
	const char *name;
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
	/* Runs argv with the caller's terminal; stdin/stdout must be a tty. */
	int (*exec_tty)(struct pi_backend *b, const char *lab, const char *node, const char *const *argv,
			size_t argc, int *exit_code, struct pi_diag *diag);
};

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

#endif
