/*
 * setup: plan + rendered files -> a running lab.
 *
 *   create   one container per node (parallel, bounded)
 *   start    start them and open each one's netns (parallel)
 *   wire     the lab netns and its bridges; every veth in one netlink batch
 *            from the host, each end created directly in its netns; then
 *            addresses and routes per node (parallel, one batch per node)
 *   daemons  start.sh in each node, signalled through a FIFO in it (parallel)
 *   converge poll the router daemons' control sockets and the resolvers until every
 *            planned BGP session is Established and every resolver answers
 *
 * No step sleeps for a fixed time: convergence polls with backoff.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include "setup_int.h"
#include "pocketinternet/log.h"
#include "pocketinternet/netlink.h"
#include "pocketinternet/render.h"

void pi_setup_progress(struct setup *s, size_t done, size_t total, const char *detail)
{
	if (s->opts->progress)
		s->opts->progress(s->opts->ctx, s->phase, done, total, detail);
}

static void tick(void *ctx, size_t done, size_t total)
{
	pi_setup_progress(ctx, done, total, NULL);
}

bool pi_setup_cancelled(const struct setup *s)
{
	return s->opts->cancel && *s->opts->cancel;
}

void pi_setup_nl_fail(struct setup *s, struct pi_nl *nl, const char *what, int rc)
{
	pthread_mutex_lock(&s->lock);
	pi_diag_add(s->diag, (struct pi_pos){ 0 }, "run 'pocketinternet teardown' and try again; -vv shows every netlink request",
		    "%s: %s", what, nl ? pi_nl_strerror(nl) : strerror(-rc));
	pthread_mutex_unlock(&s->lock);
}

static bool node_is_router(const struct pi_plan_node *n)
{
	return n->services & (PI_SVC_ROUTER | PI_SVC_RS);
}

static void raise_fd_limit(void);

/* ---- create ---- */

/* The container command: see start_daemons. */
static const char *const node_cmd[] = {
	"/bin/sh", "-c",
	"mkdir -p " NODE_RUN " && rm -f " NODE_RUN "/go " NODE_RUN "/started && mkfifo " NODE_RUN "/go && "
	"read go < " NODE_RUN "/go; "
	"sh " PI_NODE_CONF_DIR "/start.sh > " NODE_RUN "/start.out 2>&1; "
	"echo $? > " NODE_RUN "/started.tmp && mv " NODE_RUN "/started.tmp " NODE_RUN "/started; "
	"exec sleep infinity",
};


int pi_setup_create_one(void *ctx, size_t i)
{
	struct setup *s = ctx;
	if (!setup_wants(s, (uint32_t)i))
		return 0;
	const struct pi_plan *p = s->plan;
	const struct pi_plan_node *n = &p->nodes[i];
	if (setup_netns(p, (uint32_t)i))
		return 0; /* the tester's namespace: nothing to create */
	char host_dir[4200];
	snprintf(host_dir, sizeof(host_dir), "%s/%s", s->state_dir, n->name);
	bool router = node_is_router(n);
	/* Docker turns IPv6 off in network-none containers; routers forward;
	 * rp_filter off because multihoming and anycast make paths asymmetric. */
	const struct pi_kv sysctls[] = {
		{ "net.ipv6.conf.all.disable_ipv6", "0" },
		{ "net.ipv6.conf.default.disable_ipv6", "0" },
		/* Every MAC comes from the plan: duplicate address detection only
		 * delays link-local addresses, and with them OSPFv3 and SLAAC. */
		{ "net.ipv6.conf.all.accept_dad", "0" },
		{ "net.ipv6.conf.default.accept_dad", "0" },
		/* A router keeps its configuration when a link fails: IPv6 addresses
		 * stay on an interface that goes down (link down), like IPv4 ones. */
		{ "net.ipv6.conf.all.keep_addr_on_down", "1" },
		{ "net.ipv6.conf.default.keep_addr_on_down", "1" },
		{ "net.ipv4.conf.all.rp_filter", "0" },
		{ "net.ipv4.conf.default.rp_filter", "0" },
		{ "net.ipv4.ip_forward", router || (n->services & (PI_SVC_NAT44 | PI_SVC_NAT64)) ? "1" : "0" },
		{ "net.ipv6.conf.all.forwarding", router || (n->services & PI_SVC_NAT64) ? "1" : "0" },
	};
	char rw_dir[4300];
	snprintf(rw_dir, sizeof(rw_dir), "%s/" PI_SPEAKER_SUBDIR, host_dir);
	const struct pi_plan_pod *pod = &p->pods[n->pod];
	bool own = setup_own_image(p, (uint32_t)i);
	struct pi_node_spec spec = {
		.lab = p->lab_name, .node = n->name, .role = n->role, .pod = p->pods[n->pod].name,
		.image = s->opts->image, .conf_dir = host_dir, .conf_mount = PI_NODE_CONF_DIR,
		.lab_file = s->opts->lab_file,
		.cmd = node_cmd, .n_cmd = PI_ARRAY_LEN(node_cmd),
		.sysctls = sysctls, .n_sysctls = PI_ARRAY_LEN(sysctls),
		.tun = (n->services & PI_SVC_NAT64) != 0,
		.rw_dir = setup_is_speaker(p, (uint32_t)i) ? rw_dir : NULL, .rw_mount = PI_SPEAKER_DIR,
		.mem_limit_mb = n->mem_limit_mb, .pids_limit = n->pids_limit,
		/* Students edit an exercise pod's router config in place (docs/workshop.md). */
		.conf_rw = pi_plan_node_is_exercise(p, i),
	};
	if (own) { /* the tester's image runs its own command (none: the image's) */
		spec.image = pod->image;
		spec.cmd = pod->command;
		spec.n_cmd = pod->n_command;
	}
	struct pi_diag local;
	pi_diag_init(&local);
	pi_log_info("create", "%s", n->name);
	int rc = s->b->ops->create(s->b, &spec, &local);
	pi_apply_diag_merge(s->diag, &local, &s->lock);
	return rc;
}

/* ---- start ---- */

static int open_ns(struct node_rt *rt, const char *name, struct pi_diag *d)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/ns/net", rt->pid);
	rt->nsfd = open(path, O_RDONLY | O_CLOEXEC);
	if (rt->nsfd >= 0)
		return 0;
	int rc = -errno;
	pi_diag_add(d, (struct pi_pos){ 0 }, NULL, "cannot open %s of node %s: %s", path, name, strerror(errno));
	return rc;
}

int pi_setup_open_named_netns(const struct pi_plan *p, uint32_t node, int *nsfd, struct pi_diag *d)
{
	char path[128];
	snprintf(path, sizeof(path), "/run/netns/%s", setup_netns(p, node));
	*nsfd = open(path, O_RDONLY | O_CLOEXEC);
	if (*nsfd >= 0)
		return 0;
	int rc = -errno;
	pi_diag_add(d, (struct pi_pos){ 0 }, "create it first (ip netns add NAME) and start your speaker in it",
		    "cannot open %s for external speaker %s: %s", path, p->nodes[node].name, strerror(-rc));
	return rc;
}

int pi_setup_start_one(void *ctx, size_t i)
{
	struct setup *s = ctx;
	if (!setup_wants(s, (uint32_t)i))
		return 0;
	const char *name = s->plan->nodes[i].name;
	struct pi_diag local;
	pi_diag_init(&local);
	if (setup_netns(s->plan, (uint32_t)i)) { /* no process of ours: only its namespace */
		int rc = pi_setup_open_named_netns(s->plan, (uint32_t)i, &s->rt[i].nsfd, &local);
		pi_apply_diag_merge(s->diag, &local, &s->lock);
		return rc;
	}
	int rc = s->b->ops->start(s->b, s->plan->lab_name, name, &s->rt[i].pid, &local);
	if (!rc && !s->opts->start_only)
		rc = open_ns(&s->rt[i], name, &local);
	pi_log_info("start", "%s: pid %d", name, s->rt[i].pid);
	pi_apply_diag_merge(s->diag, &local, &s->lock);
	return rc;
}

/* The nodes this run does not start but wires toward: their pid and netns. */
static int find_one(void *ctx, size_t i)
{
	struct setup *s = ctx;
	if (setup_wants(s, (uint32_t)i) || s->rt[i].pid > 0 || s->rt[i].nsfd >= 0)
		return 0;
	struct pi_node_state st;
	struct pi_diag local;
	pi_diag_init(&local);
	if (setup_netns(s->plan, (uint32_t)i)) { /* gone: wired when it is back */
		if (pi_setup_open_named_netns(s->plan, (uint32_t)i, &s->rt[i].nsfd, &local) != 0)
			s->rt[i].nsfd = -1;
		pi_diag_free(&local);
		return 0;
	}
	int rc = s->b->ops->inspect(s->b, s->plan->lab_name, s->plan->nodes[i].name, &st, &local);
	if (rc == 0 && st.running && st.pid > 0) {
		s->rt[i].pid = st.pid;
		rc = open_ns(&s->rt[i], s->plan->nodes[i].name, &local);
	} else {
		rc = 0; /* absent or stopped: wired when it starts */
	}
	pi_apply_diag_merge(s->diag, &local, &s->lock);
	pi_diag_free(&local);
	return rc;
}

int pi_setup_open_netns(struct setup *s)
{
	return pi_pool_run(s->plan->n_nodes, s->opts->parallel ? s->opts->parallel : 8, find_one, NULL, s, NULL);
}

void pi_setup_close_netns(struct setup *s)
{
	for (uint32_t i = 0; i < s->plan->n_nodes; i++)
		if (s->rt[i].nsfd >= 0) {
			close(s->rt[i].nsfd);
			s->rt[i].nsfd = -1;
		}
}

int pi_setup_pool(struct setup *s, enum pi_phase ph, int (*fn)(void *, size_t))
{
	s->phase = ph;
	pi_setup_progress(s, 0, s->plan->n_nodes, NULL);
	return pi_pool_run(s->plan->n_nodes, s->opts->parallel ? s->opts->parallel : 8, fn, tick, s,
			   s->opts->cancel);
}

void pi_setup_init(struct setup *s, struct pi_backend *b, const struct pi_plan *plan,
		   const struct pi_apply_opts *opts, struct pi_apply_result *res, struct pi_diag *diag)
{
	memset(s, 0, sizeof(*s));
	*s = (struct setup){ .b = b, .plan = plan, .opts = opts, .res = res, .diag = diag };
	memset(res, 0, sizeof(*res));
	pthread_mutex_init(&s->lock, NULL);
	pi_state_dir(opts->state_root, plan->lab_name, s->state_dir, sizeof(s->state_dir));
	s->rt = pi_xcalloc(plan->n_nodes ? plan->n_nodes : 1, sizeof(*s->rt));
	for (uint32_t i = 0; i < plan->n_nodes; i++)
		s->rt[i].nsfd = -1;
	raise_fd_limit();
}

void pi_setup_fini(struct setup *s)
{
	pi_setup_close_netns(s);
	free(s->rt);
	s->rt = NULL;
	pthread_mutex_destroy(&s->lock);
}

/* ---- the whole thing ---- */

static int check_existing(struct setup *s)
{
	struct pi_vec found = PI_VEC_INIT(struct pi_node_state);
	int rc = s->b->ops->list(s->b, s->plan->lab_name, &found, s->diag);
	if (rc)
		return rc;
	size_t running = 0;
	for (size_t i = 0; i < found.len; i++)
		running += ((struct pi_node_state *)pi_vec_at(&found, i))->running;
	if (found.len && running == setup_n_containers(s->plan) && found.len == running) {
		s->res->already_up = true;
		rc = 1;
	} else if (found.len) {
		pi_diag_add(s->diag, (struct pi_pos){ 0 },
			    "run 'pocketinternet teardown' for this lab, then setup again",
			    "lab '%s' is partly up: %zu of its nodes exist (%zu running), the plan has %u nodes",
			    s->plan->lab_name, found.len, running, s->plan->n_nodes);
		rc = -EEXIST;
	}
	pi_vec_free(&found);
	return rc;
}

static void raise_fd_limit(void)
{
	/* One open netns fd per node while wiring: labs of hundreds of nodes
	 * pass the usual soft limit of 1024. */
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

/* Building the image takes a minute or two: show its steps in the image phase. */
static void image_progress(void *ctx, const char *text)
{
	pi_setup_progress(ctx, 0, 1, text);
}

static int phase_render(struct setup *s)
{
	/* The state directory is what the nodes mount. */
	pi_setup_progress(s, 0, 1, s->state_dir);
	int rc = pi_apply_write_lab(s->plan, s->state_dir, s->diag);
	if (rc)
		return rc;
	pi_setup_progress(s, 1, 1, s->state_dir);
	return 0;
}

static int phase_image(struct setup *s)
{
	const char *image = s->opts->image ? s->opts->image : "the node image";
	pi_setup_progress(s, 0, 1, image);
	int rc = s->b->ops->prepare(s->b, s->opts->image, s->opts->build_image, image_progress, s, s->diag);
	if (!rc)
		pi_setup_progress(s, 1, 1, image);
	return rc;
}

static int phase_create(struct setup *s)
{
	int rc = pi_setup_pool(s, PI_PHASE_CREATE, pi_setup_create_one);
	if (!rc)
		s->res->containers = s->plan->n_nodes;
	return rc;
}

static int phase_start(struct setup *s)
{
	return pi_setup_pool(s, PI_PHASE_START, pi_setup_start_one);
}

static int phase_wire(struct setup *s)
{
	return pi_setup_wire(s);
}

static int (*const phases[PI_PHASE_COUNT])(struct setup *) = {
	[PI_PHASE_RENDER] = phase_render, [PI_PHASE_IMAGE] = phase_image, [PI_PHASE_CREATE] = phase_create,
	[PI_PHASE_START] = phase_start,   [PI_PHASE_WIRE] = phase_wire,   [PI_PHASE_DAEMONS] = pi_setup_daemons,
	[PI_PHASE_CONVERGE] = pi_setup_converge,
};

/* The runtime's own networks must not sit inside the lab's address space. */
static int preflight(struct setup *s)
{
	struct pi_vec spaces = PI_VEC_INIT(struct pi_prefix);
	pi_plan_address_spaces(s->plan, &spaces);
	int rc = s->b->ops->preflight(s->b, spaces.data, spaces.len, s->diag);
	pi_vec_free(&spaces);
	if (rc == 0)
		rc = pi_setup_impair_preflight(s->plan, s->diag);
	if (rc == 0 && s->b->ops->host_kernel)
		rc = pi_apply_host_neigh_raise(s->plan, NULL, s->opts->state_root, s->diag);
	return rc;
}

/* Removes what a failed setup made, when asked to. */
static void roll_back(struct setup *s, int rc)
{
	/* Before the render phase nothing was made, and a refused lab is not ours. */
	if (!s->opts->rollback || rc == 0 || s->phase < PI_PHASE_RENDER || s->res->already_up)
		return;
	struct pi_teardown_result tr;
	struct pi_diag local;
	pi_diag_init(&local);
	if (pi_apply_teardown(s->b, s->plan->lab_name, s->opts->state_root, 0, &tr, &local) == 0)
		s->res->rolled_back = true;
	pi_diag_move(s->diag, &local);
	pi_diag_free(&local);
}

int pi_apply_setup(struct pi_backend *b, const struct pi_plan *plan, const struct pi_apply_opts *opts,
		   struct pi_apply_result *res, struct pi_diag *diag)
{
	struct setup s;
	pi_setup_init(&s, b, plan, opts, res, diag);
	s.fresh = true;
	double t0 = pi_monotonic();
	int rc = check_existing(&s);
	if (rc == 0)
		rc = preflight(&s);
	for (enum pi_phase ph = PI_PHASE_RENDER; rc == 0 && ph < PI_PHASE_COUNT; ph++) {
		if (opts->start_only && ph > PI_PHASE_START)
			break;
		double t = pi_monotonic();
		s.phase = ph;
		rc = phases[ph](&s);
		res->phase_s[ph] = pi_monotonic() - t;
		if (rc == 0 && pi_setup_cancelled(&s))
			rc = -ECANCELED;
	}
	rc = rc > 0 ? 0 : rc; /* check_existing: already up */
	res->total_s = pi_monotonic() - t0;
	pi_setup_close_netns(&s);
	roll_back(&s, rc);
	pi_setup_fini(&s);
	return rc;
}
