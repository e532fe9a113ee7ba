/*
 * setup internals: the steps that bring nodes up, shared by a fresh setup
 * (every node), `node start` (one node) and reconcile (the nodes and links
 * a changed lab file adds). Each step acts on the wanted subset:
 *   want[n]       node n is (re)started: its container started, all its
 *                 links wired, its addresses and routes set, its daemons
 *                 started and its sessions awaited;
 *   iface_want[f] iface f is (re)wired although its node is not wanted
 *                 (reconcile: a running node's new or changed interface;
 *                 a p2p link is remade when either end is asked for).
 * want NULL means every node (a fresh lab).
 */
#ifndef PI_SETUP_INT_H
#define PI_SETUP_INT_H

#include "apply_int.h"
#include "pocketinternet/netlink.h"

#define NODE_RUN "/run/pocketinternet"

struct node_rt {
	int pid;  /* 0: not running */
	int nsfd; /* -1: not open */
};

struct setup {
	struct pi_backend *b;
	const struct pi_plan *plan;
	const struct pi_apply_opts *opts;
	struct pi_apply_result *res;
	struct pi_diag *diag;
	pthread_mutex_t lock;
	struct node_rt *rt;
	char state_dir[4096];
	enum pi_phase phase;
	const bool *want;      /* NULL: all nodes */
	const bool *iface_want; /* NULL: none besides the wanted nodes' */
	bool fresh;            /* a new lab: the lab netns and bridges are made here */
};

/* An external speaker (PI_SVC_SPEAKER): the tester's, so setup neither waits
 * for its sessions nor, when it runs the tester's own image, signals a
 * start.sh it does not have. */
static inline bool setup_is_speaker(const struct pi_plan *p, uint32_t node)
{
	return (p->nodes[node].services & PI_SVC_SPEAKER) != 0;
}
static inline bool setup_own_image(const struct pi_plan *p, uint32_t node)
{
	return setup_is_speaker(p, node) && p->pods[p->nodes[node].pod].speaker == PI_SPEAKER_IMAGE;
}

/* The host netns an external speaker is wired into instead of a
 * container (attach --netns), or NULL. */
static inline const char *setup_netns(const struct pi_plan *p, uint32_t node)
{
	return setup_is_speaker(p, node) ? p->pods[p->nodes[node].pod].netns : NULL;
}
/* No start.sh to signal: the tester's image, or the tester's namespace. */
static inline bool setup_no_start(const struct pi_plan *p, uint32_t node)
{
	return setup_own_image(p, node) || setup_netns(p, node);
}
/* Nodes that are containers (every node but the netns speakers). */
static inline uint32_t setup_n_containers(const struct pi_plan *p)
{
	uint32_t n = 0;
	for (uint32_t i = 0; i < p->n_nodes; i++)
		n += !setup_netns(p, i);
	return n;
}
/* Opens /run/netns/<the node's netns> into *nsfd: 0, or -errno with a diagnostic. */
int pi_setup_open_named_netns(const struct pi_plan *p, uint32_t node, int *nsfd, struct pi_diag *d);

static inline bool setup_wants(const struct setup *s, uint32_t node)
{
	return !s->want || s->want[node];
}

void pi_setup_progress(struct setup *s, size_t done, size_t total, const char *detail);
bool pi_setup_cancelled(const struct setup *s);
void pi_setup_nl_fail(struct setup *s, struct pi_nl *nl, const char *what, int rc);
/* Runs fn over every node index in a pool, with progress for the phase. */
int pi_setup_pool(struct setup *s, enum pi_phase ph, int (*fn)(void *, size_t));

/* Creates wanted node i (a pool function). */
int pi_setup_create_one(void *ctx, size_t i);
/* Starts wanted node i and opens its netns (a pool function). */
int pi_setup_start_one(void *ctx, size_t i);
/* Opens the netns of every running node (rt[].pid set) that has none open. */
int pi_setup_open_netns(struct setup *s);
void pi_setup_close_netns(struct setup *s);

/* wire.c: veths and bridges, then addresses and routes, then the lab
 * file's impairments on what was wired. */
int pi_setup_wire(struct setup *s);
/* Is iface f (re)wired in this run? */
bool pi_setup_iface_wired(const struct setup *s, uint32_t f);
/* impair.c: the lab file's impairments on the ifaces wired in this run. */
int pi_setup_impair(struct setup *s);
/* Setup's preflight: a lab whose impairments need netem on a kernel without it. */
int pi_setup_impair_preflight(const struct pi_plan *plan, struct pi_diag *diag);
/* daemons.c */
int pi_setup_daemons(struct setup *s);
int pi_setup_converge(struct setup *s);

/* Initialises s for plan (rt all absent); pi_setup_fini releases it. */
void pi_setup_init(struct setup *s, struct pi_backend *b, const struct pi_plan *plan,
		   const struct pi_apply_opts *opts, struct pi_apply_result *res, struct pi_diag *diag);
void pi_setup_fini(struct setup *s);

#endif
