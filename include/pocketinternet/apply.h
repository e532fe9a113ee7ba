/*
 * apply: the only layer that changes the system. It takes a plan (and the
 * files render made from it) and brings the lab up in Docker, wires it over
 * netlink, starts the daemons and waits for convergence; it also reports
 * status and tears labs down.
 *
 * Names (teardown finds everything by these, with no state on disk):
 *   containers    pi-<lab>-<node>, labelled pocketinternet.lab=<lab>,
 *                 pocketinternet.node=<node>, .role, .pod
 *   lab netns     pi-<lab> under /run/netns: holds every LAN bridge and
 *                 the bridge-side ends of LAN veths, so deleting it
 *                 removes them all; p2p veths live only inside the two
 *                 containers' netns and die with them
 *   state         $POCKETINTERNET_STATE or /var/lib/pocketinternet, then
 *                 <lab>/ with plan.json and one directory per node
 */
#ifndef POCKETINTERNET_APPLY_H
#define POCKETINTERNET_APPLY_H

#include <stdbool.h>
#include "diag.h"
#include "docker.h"
#include "plan.h"

#define PI_STATE_ROOT "/var/lib/pocketinternet"
#define PI_NAME_PREFIX "pi-"
#define PI_LABEL_ROLE "pocketinternet.role"
#define PI_LABEL_POD "pocketinternet.pod"
/* BIRD's control socket inside a router container (Debian's default). */
#define PI_BIRD_CTL "/run/bird/bird.ctl"

enum pi_phase {
	PI_PHASE_PLAN,
	PI_PHASE_RENDER,
	PI_PHASE_IMAGE,
	PI_PHASE_CREATE,
	PI_PHASE_START,
	PI_PHASE_WIRE,
	PI_PHASE_DAEMONS,
	PI_PHASE_CONVERGE,
	PI_PHASE_COUNT,
};
const char *pi_phase_name(enum pi_phase p);

/* Progress: a phase starts (done=0), advances, ends (done=total). Called
 * from one thread at a time. */
typedef void (*pi_apply_progress_fn)(void *ctx, enum pi_phase phase, size_t done, size_t total,
				     const char *detail);

struct pi_apply_opts {
	const char *state_root;  /* NULL: pi_state_root() */
	const char *image;       /* NULL: pi_image_default_tag() */
	unsigned parallel;       /* 0: 8 */
	unsigned converge_timeout_s; /* 0: 180 */
	bool build_image;        /* build the image when missing (else fail) */
	volatile int *cancel;    /* set asynchronously (SIGINT) to stop early */
	pi_apply_progress_fn progress;
	void *ctx;
};

struct pi_apply_result {
	double phase_s[PI_PHASE_COUNT];
	double total_s;
	unsigned containers;
	unsigned links;
	unsigned sessions_total, sessions_up;
	unsigned resolvers_total, resolvers_up;
	bool converged;
	bool already_up; /* the lab was running: nothing was changed */
};

const char *pi_state_root(void);
/* "<root>/<lab>" into buf. */
void pi_state_dir(const char *root, const char *lab, char *buf, size_t len);
/* "pi-<lab>-<node>" into buf. */
void pi_container_name(const char *lab, const char *node, char *buf, size_t len);

/*
 * Brings the planned lab up (render already written by the caller, or done
 * here: the state directory is (re)rendered at the start). Idempotence: when
 * every planned container already runs, returns 0 with already_up set and
 * changes nothing; when some but not all exist, returns -EEXIST (the user
 * should run teardown). On failure or cancel, what was made stays for
 * pi_apply_teardown (the CLI calls it). Returns 0 also when convergence
 * timed out: check result->converged.
 */
int pi_apply_setup(struct pi_docker *d, const struct pi_plan *plan, const struct pi_apply_opts *opts,
		   struct pi_apply_result *res, struct pi_diag *diag);

struct pi_teardown_result {
	unsigned containers, netns, state_dirs;
};
/*
 * Removes the lab's containers (by label), its netns and its state
 * directory. lab NULL removes every pocketinternet lab. Safe to repeat and
 * after a crash at any point: absent objects are not errors.
 */
int pi_apply_teardown(struct pi_docker *d, const char *lab, const char *state_root, unsigned parallel,
		      struct pi_teardown_result *res, struct pi_diag *diag);

/* ---- observing a running lab ---- */

#ifndef PI_HAVE_BGP_STATE /* render.h's copy (the same struct) wins; this one goes at merge */
#define PI_HAVE_BGP_STATE 1
struct pi_bgp_state {
	char name[64];
	char state[16]; /* BIRD's protocol state: "up", "start", ... */
	char info[64];  /* "Established", "Active", "Connect", ... */
	bool established;
};
#endif
/* Parses `birdc show protocols` output (with or without reply codes) and
 * returns the BGP protocols in out (caller's PI_VEC_INIT(struct pi_bgp_state)). */
void pi_bird_parse_protocols(const char *text, struct pi_vec *out);
/* Asks BIRD over its control socket inside a container (through
 * /proc/<pid>/root), without spawning anything. */
int pi_bird_query(int pid, const char *cmd, struct pi_buf *out);
/* Sends one DNS query for name/type from inside the netns of pid to server
 * (an address of that node's lab). 0 when a NOERROR answer with at least one
 * record comes back within timeout_ms, -ETIMEDOUT, or -EPROTO. */
int pi_dns_probe(int pid, const struct pi_prefix *server, const char *name, unsigned qtype,
		 unsigned timeout_ms);

#endif
