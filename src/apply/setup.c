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
#include "apply_int.h"
#include "pocketinternet/log.h"
#include "pocketinternet/netlink.h"
#include "pocketinternet/render.h"

struct node_rt {
	int pid;
	int nsfd;
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
};

static void progress(struct setup *s, size_t done, size_t total, const char *detail)
{
	if (s->opts->progress)
		s->opts->progress(s->opts->ctx, s->phase, done, total, detail);
}

static void tick(void *ctx, size_t done, size_t total)
{
	progress(ctx, done, total, NULL);
}

static bool cancelled(const struct setup *s)
{
	return s->opts->cancel && *s->opts->cancel;
}

static bool node_is_router(const struct pi_plan_node *n)
{
	return n->services & (PI_SVC_ROUTER | PI_SVC_RS);
}

/* ---- create ---- */

/* The container command: see start_daemons. */
#define NODE_RUN "/run/pocketinternet"
static const char *const node_cmd[] = {
	"/bin/sh", "-c",
	"mkdir -p " NODE_RUN " && rm -f " NODE_RUN "/go " NODE_RUN "/started && mkfifo " NODE_RUN "/go && "
	"read go < " NODE_RUN "/go; "
	"sh " PI_NODE_CONF_DIR "/start.sh > " NODE_RUN "/start.out 2>&1; "
	"echo $? > " NODE_RUN "/started.tmp && mv " NODE_RUN "/started.tmp " NODE_RUN "/started; "
	"exec sleep infinity",
};


static int create_one(void *ctx, size_t i)
{
	struct setup *s = ctx;
	const struct pi_plan *p = s->plan;
	const struct pi_plan_node *n = &p->nodes[i];
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
		{ "net.ipv4.conf.all.rp_filter", "0" },
		{ "net.ipv4.conf.default.rp_filter", "0" },
		{ "net.ipv4.ip_forward", router || (n->services & (PI_SVC_NAT44 | PI_SVC_NAT64)) ? "1" : "0" },
		{ "net.ipv6.conf.all.forwarding", router || (n->services & PI_SVC_NAT64) ? "1" : "0" },
	};
	struct pi_node_spec spec = {
		.lab = p->lab_name, .node = n->name, .role = n->role, .pod = p->pods[n->pod].name,
		.image = s->opts->image, .conf_dir = host_dir, .conf_mount = PI_NODE_CONF_DIR,
		.lab_file = s->opts->lab_file,
		.cmd = node_cmd, .n_cmd = PI_ARRAY_LEN(node_cmd),
		.sysctls = sysctls, .n_sysctls = PI_ARRAY_LEN(sysctls),
		.tun = (n->services & PI_SVC_NAT64) != 0,
		.mem_limit_mb = n->mem_limit_mb, .pids_limit = n->pids_limit,
	};
	struct pi_diag local;
	pi_diag_init(&local);
	pi_log_info("create", "%s", n->name);
	int rc = s->b->ops->create(s->b, &spec, &local);
	pi_apply_diag_merge(s->diag, &local, &s->lock);
	return rc;
}

/* ---- start ---- */

static int start_one(void *ctx, size_t i)
{
	struct setup *s = ctx;
	const char *name = s->plan->nodes[i].name;
	struct pi_diag local;
	pi_diag_init(&local);
	int rc = s->b->ops->start(s->b, s->plan->lab_name, name, &s->rt[i].pid, &local);
	if (!rc && !s->opts->start_only) {
		char path[64];
		snprintf(path, sizeof(path), "/proc/%d/ns/net", s->rt[i].pid);
		s->rt[i].nsfd = open(path, O_RDONLY | O_CLOEXEC);
		if (s->rt[i].nsfd < 0) {
			rc = -errno;
			pi_diag_add(&local, (struct pi_pos){ 0 }, NULL, "cannot open %s of node %s: %s", path, name,
				    strerror(errno));
		}
	}
	pi_log_info("start", "%s: pid %d", name, s->rt[i].pid);
	pi_apply_diag_merge(s->diag, &local, &s->lock);
	return rc;
}

/* ---- wire ---- */

static void nl_fail(struct setup *s, struct pi_nl *nl, const char *what, int rc)
{
	pthread_mutex_lock(&s->lock);
	pi_diag_add(s->diag, (struct pi_pos){ 0 }, "run 'pocketinternet teardown' and try again; -vv shows every netlink request",
		    "%s: %s", what, nl ? pi_nl_strerror(nl) : strerror(-rc));
	pthread_mutex_unlock(&s->lock);
}

/* Bridge-side name of a LAN port: unique inside the lab netns. */
static void port_name(uint32_t link, uint32_t k, char buf[PI_IFNAMSIZ])
{
	/* 6 hex digits each: 16M links, 16M ports; always fits 15 bytes. */
	snprintf(buf, PI_IFNAMSIZ, "p%x-%x", link & 0xffffffu, k & 0xffffu);
}

/* Every veth, from the host, each end born in its own netns: p2p links
 * between two nodes, LAN ports between a node and the lab netns. */
static size_t queue_veths(struct setup *s, struct pi_nl *host, int lab_fd)
{
	const struct pi_plan *p = s->plan;
	size_t total = 0;
	for (uint32_t l = 0; l < p->n_links; l++) {
		const struct pi_plan_link *lk = &p->links[l];
		if (lk->kind == PI_LINK_P2P && lk->n_ifaces == 2) {
			const struct pi_plan_iface *a = &p->ifaces[lk->ifaces[0]], *b = &p->ifaces[lk->ifaces[1]];
			struct pi_nl_veth v = {
				.name = a->name, .peer = b->name,
				.ns_fd = s->rt[a->node].nsfd, .peer_ns_fd = s->rt[b->node].nsfd,
				.mtu = lk->mtu, .mac = a->mac, .peer_mac = b->mac, .up = true,
			};
			pi_nl_veth_create(host, &v);
			total++;
			continue;
		}
		for (uint32_t k = 0; lk->kind == PI_LINK_LAN && k < lk->n_ifaces; k++) {
			const struct pi_plan_iface *a = &p->ifaces[lk->ifaces[k]];
			char port[PI_IFNAMSIZ];
			port_name(l, k, port);
			struct pi_nl_veth v = {
				.name = a->name, .peer = port, .ns_fd = s->rt[a->node].nsfd, .peer_ns_fd = lab_fd,
				.mtu = lk->mtu, .mac = a->mac, .up = true,
			};
			pi_nl_veth_create(host, &v);
			total++;
		}
	}
	return total;
}

/* Bridges (attach false) or their ports (attach true), in the lab netns. */
static void queue_lans(const struct pi_plan *p, struct pi_nl *lab, bool attach)
{
	for (uint32_t l = 0; l < p->n_links; l++) {
		const struct pi_plan_link *lk = &p->links[l];
		if (lk->kind != PI_LINK_LAN)
			continue;
		if (!attach) {
			pi_nl_bridge_create(lab, lk->name, lk->mtu);
			pi_nl_link_set_up(lab, lk->name);
			continue;
		}
		for (uint32_t k = 0; k < lk->n_ifaces; k++) {
			char port[PI_IFNAMSIZ];
			port_name(l, k, port);
			pi_nl_link_set_master(lab, port, lk->name);
			/* A veth's peer cannot be set up at creation (ENOTCONN). */
			pi_nl_link_set_up(lab, port);
		}
	}
}

static int lab_netns_create(struct setup *s, char *ns_name, size_t len)
{
	pi_lab_netns_name(s->plan->lab_name, ns_name, len);
	int rc = pi_nl_netns_create(ns_name);
	if (rc == -EEXIST) {
		/* Left over from a crash before containers existed: it holds only
		 * our bridges, so recreating it is safe. */
		pi_nl_netns_delete(ns_name);
		rc = pi_nl_netns_create(ns_name);
	}
	if (rc)
		nl_fail(s, NULL, "creating the lab's network namespace", rc);
	return rc;
}

static int wire_links(struct setup *s)
{
	char ns_name[128];
	int rc = lab_netns_create(s, ns_name, sizeof(ns_name));
	if (rc)
		return rc;
	struct pi_nl *lab = NULL, *host = NULL;
	if ((rc = pi_nl_open_netns_name(ns_name, &lab)) || (rc = pi_nl_open(&host))) {
		nl_fail(s, NULL, "opening netlink", rc);
		goto out;
	}
	pi_nl_batch_begin(lab);
	queue_lans(s->plan, lab, false);
	if ((rc = pi_nl_batch_end(lab))) {
		nl_fail(s, lab, "creating bridges", rc);
		goto out;
	}
	pi_nl_batch_begin(host);
	size_t total = queue_veths(s, host, pi_nl_ns_fd(lab));
	progress(s, 0, total, "veth pairs");
	if ((rc = pi_nl_batch_end(host))) {
		nl_fail(s, host, "creating veth pairs", rc);
		goto out;
	}
	s->res->links = (unsigned)total;
	pi_nl_batch_begin(lab);
	queue_lans(s->plan, lab, true);
	if ((rc = pi_nl_batch_end(lab)))
		nl_fail(s, lab, "attaching LAN ports to bridges", rc);
out:
	pi_nl_close(lab);
	pi_nl_close(host);
	return rc;
}

/* Does the node learn this family dynamically (DHCP / RA)? Then the plan's
 * static address and default route for it are the DHCP server's business. */
static bool dynamic_family(const struct pi_plan *p, uint32_t node, unsigned family)
{
	const struct pi_plan_node *n = &p->nodes[node];
	for (uint32_t i = 0; i < n->n_ifaces; i++) {
		const struct pi_plan_iface *f = &p->ifaces[n->first_iface + i];
		if ((family == PI_AF_V4 && f->dhcp4) || (family == PI_AF_V6 && f->ra6))
			return true;
	}
	return false;
}

static int address_one(void *ctx, size_t i)
{
	struct setup *s = ctx;
	const struct pi_plan *p = s->plan;
	const struct pi_plan_node *n = &p->nodes[i];
	struct pi_nl *nl;
	int rc = pi_nl_open_netns_fd(s->rt[i].nsfd, &nl);
	if (rc) {
		nl_fail(s, NULL, n->name, rc);
		return rc;
	}
	pi_nl_batch_begin(nl);
	const struct pi_prefix *los[] = { &n->lo4, &n->lo6, &n->anycast4, &n->anycast6 };
	bool lo_up = false;
	for (size_t k = 0; k < PI_ARRAY_LEN(los); k++) {
		if (pi_prefix_is_set(los[k])) {
			struct pi_prefix a = pi_prefix_as_host(los[k]);
			pi_nl_loopback_addr_add(nl, &a);
			lo_up = true;
		}
	}
	if (!lo_up)
		pi_nl_link_set_up(nl, "lo");
	for (uint32_t k = 0; k < n->n_ifaces; k++) {
		const struct pi_plan_iface *f = &p->ifaces[n->first_iface + k];
		/* The peer end of a veth comes up only here (see wire_links). */
		pi_nl_link_set_up(nl, f->name);
		if (pi_prefix_is_set(&f->v4) && !f->dhcp4)
			pi_nl_addr_add(nl, f->name, &f->v4);
		if (pi_prefix_is_set(&f->v6) && !f->ra6)
			pi_nl_addr_add(nl, f->name, &f->v6);
	}
	for (uint32_t k = 0; k < n->n_routes; k++) {
		const struct pi_plan_route *r = &p->routes[n->first_route + k];
		if (r->dst.len == 0 && dynamic_family(p, (uint32_t)i, r->dst.family))
			continue;
		struct pi_nl_route nr = { .dst = pi_prefix_network(&r->dst), .gw = pi_prefix_as_host(&r->via) };
		pi_nl_route_add(nl, &nr);
	}
	rc = pi_nl_batch_end(nl);
	if (rc) {
		char what[160];
		snprintf(what, sizeof(what), "addresses and routes of %s", n->name);
		nl_fail(s, nl, what, rc);
	}
	pi_nl_close(nl);
	return rc;
}

/* ---- daemons ---- */

/*
 * Each container's command waits on a FIFO until its links are wired, then
 * runs start.sh and leaves the exit status in a file. Setup opens the FIFO
 * and reads the status inside the node's root (resolved there, so a symlink
 * a node plants never leads to a host file): starting the daemons of 500
 * nodes costs no exec (one exec took ~0.8 s of the engine's time with
 * hundreds of containers running) and no process on the host.
 */
#define START_OUT_MAX 65536

static int go_one(void *ctx, size_t i)
{
	struct setup *s = ctx;
	int err = ENOENT;
	/* The FIFO appears right after the container starts: wait for it briefly. */
	for (unsigned ms = 0; ms < 10000; ms += 20) {
		int fd = pi_root_open(s->rt[i].pid, NODE_RUN "/go", O_WRONLY | O_NONBLOCK | O_CLOEXEC, 0);
		if (fd >= 0) {
			ssize_t w = write(fd, "go\n", 3);
			close(fd);
			return w == 3 ? 0 : -EIO;
		}
		err = -fd;
		if (err != ENOENT && err != ENXIO)
			break;
		struct timespec ts = { 0, 20 * 1000000L };
		nanosleep(&ts, NULL);
	}
	pthread_mutex_lock(&s->lock);
	pi_diag_add(s->diag, (struct pi_pos){ 0 }, "is the node image current? rebuild it with 'pocketinternet image build'",
		    "node %s never waited for its start signal (%s)", s->plan->nodes[i].name, strerror(err));
	pthread_mutex_unlock(&s->lock);
	return -err;
}

/* 1 when start.sh has finished (0 ok), 0 while it runs, <0 on failure. */
static int started(struct setup *s, size_t i)
{
	char *text = NULL;
	if (pi_root_read_file(s->rt[i].pid, NODE_RUN "/started", &text, NULL, 64) < 0)
		return 0;
	int status = atoi(text);
	free(text);
	if (status == 0)
		return 1;
	char *out = NULL;
	pi_root_read_file(s->rt[i].pid, NODE_RUN "/start.out", &out, NULL, START_OUT_MAX);
	size_t len = out ? strlen(out) : 0;
	pi_diag_add(s->diag, (struct pi_pos){ 0 }, "look at /var/log/pocketinternet/ in the node: pocketinternet shell NODE",
		    "starting the daemons of %s failed (exit %d): %s", s->plan->nodes[i].name, status,
		    out ? (len > 400 ? out + len - 400 : out) : "");
	free(out);
	return -EIO;
}

static int start_daemons(struct setup *s)
{
	size_t n = s->plan->n_nodes;
	s->phase = PI_PHASE_DAEMONS;
	progress(s, 0, n, "signalling");
	int rc = pi_pool_run(n, s->opts->parallel ? s->opts->parallel : 8, go_one, NULL, s, s->opts->cancel);
	if (rc)
		return rc;
	bool *done = pi_xcalloc(n ? n : 1, sizeof(bool));
	size_t n_done = 0;
	double deadline = pi_monotonic() + 120;
	unsigned delay_ms = 20;
	while (n_done < n && !rc) {
		for (size_t i = 0; i < n; i++) {
			if (done[i])
				continue;
			int st = started(s, i);
			if (st != 0) {
				done[i] = true;
				n_done++;
				if (st < 0)
					rc = st;
			}
		}
		progress(s, n_done, n, NULL);
		if (n_done == n || rc)
			break;
		if (cancelled(s)) {
			rc = -ECANCELED;
			break;
		}
		if (pi_monotonic() > deadline) {
			pi_diag_add(s->diag, (struct pi_pos){ 0 }, "look at start.out in the nodes' " NODE_RUN,
				    "%zu nodes did not finish starting their daemons within 120 s", n - n_done);
			rc = -ETIMEDOUT;
			break;
		}
		struct timespec ts = { 0, (long)delay_ms * 1000000L };
		nanosleep(&ts, NULL);
		if (delay_ms < 250)
			delay_ms *= 2;
	}
	free(done);
	return rc;
}

/* ---- converge ---- */

struct converge {
	struct setup *s;
	/* Per node: sessions still to see Established / resolver still silent. */
	uint32_t *pending;
	bool *resolver_pending;
};

static int converge_one(void *ctx, size_t i)
{
	struct converge *c = ctx;
	struct setup *s = c->s;
	const struct pi_plan *p = s->plan;
	const struct pi_plan_node *n = &p->nodes[i];
	if (c->pending[i]) {
		struct pi_vec st = PI_VEC_INIT(struct pi_bgp_state);
		if (pi_apply_node_sessions(p, (uint32_t)i, s->rt[i].pid, &st) == 0) {
			uint32_t up = 0;
			for (uint32_t k = 0; k < n->n_session_idx; k++) {
				char name[64];
				pi_apply_session_name(p, n->session_idx[k], name, sizeof(name));
				for (size_t j = 0; j < st.len; j++) {
					const struct pi_bgp_state *b = pi_vec_at(&st, j);
					if (strcmp(b->name, name) == 0 && b->established) {
						up++;
						break;
					}
				}
			}
			c->pending[i] = n->n_session_idx - up;
		}
		pi_vec_free(&st);
	}
	if (c->resolver_pending[i] && pi_apply_resolver_answers(p, (uint32_t)i, s->rt[i].pid, 1000))
		c->resolver_pending[i] = false;
	return 0;
}

static int converge(struct setup *s)
{
	const struct pi_plan *p = s->plan;
	struct converge c = { .s = s };
	c.pending = pi_xcalloc(p->n_nodes, sizeof(uint32_t));
	c.resolver_pending = pi_xcalloc(p->n_nodes, sizeof(bool));
	for (uint32_t k = 0; k < p->n_sessions; k++) {
		/* Each session is counted at both ends; it is up when both see it. */
		c.pending[p->sessions[k].a]++;
		c.pending[p->sessions[k].b]++;
	}
	for (uint32_t i = 0; i < p->n_nodes; i++)
		if (p->nodes[i].services & PI_SVC_RESOLVER) {
			c.resolver_pending[i] = true;
			s->res->resolvers_total++;
		}
	s->res->sessions_total = p->n_sessions;
	unsigned timeout = s->opts->converge_timeout_s ? s->opts->converge_timeout_s : 180;
	double deadline = pi_monotonic() + timeout;
	unsigned delay_ms = 100;
	for (;;) {
		pi_pool_run(p->n_nodes, s->opts->parallel ? s->opts->parallel : 8, converge_one, NULL, &c,
			    s->opts->cancel);
		size_t ends_pending = 0, res_pending = 0, ends_total = 2 * (size_t)p->n_sessions;
		for (uint32_t i = 0; i < p->n_nodes; i++) {
			ends_pending += c.pending[i];
			res_pending += c.resolver_pending[i];
		}
		s->res->sessions_up = (unsigned)((ends_total - ends_pending) / 2);
		s->res->resolvers_up = s->res->resolvers_total - (unsigned)res_pending;
		char detail[128];
		snprintf(detail, sizeof(detail), "BGP %u/%u, resolvers %u/%u", s->res->sessions_up,
			 s->res->sessions_total, s->res->resolvers_up, s->res->resolvers_total);
		progress(s, ends_total - ends_pending + s->res->resolvers_up, ends_total + s->res->resolvers_total,
			 detail);
		if (ends_pending == 0 && res_pending == 0) {
			s->res->converged = true;
			break;
		}
		if (cancelled(s) || pi_monotonic() > deadline)
			break;
		struct timespec ts = { .tv_sec = delay_ms / 1000, .tv_nsec = (long)(delay_ms % 1000) * 1000000L };
		nanosleep(&ts, NULL);
		if (delay_ms < 1000)
			delay_ms = delay_ms * 3 / 2;
	}
	free(c.pending);
	free(c.resolver_pending);
	return cancelled(s) ? -ECANCELED : 0;
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
	if (found.len && running == s->plan->n_nodes && found.len == running) {
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
	progress(ctx, 0, 1, text);
}

static int run_pool_phase(struct setup *s, enum pi_phase ph, pi_pool_fn fn)
{
	s->phase = ph;
	progress(s, 0, s->plan->n_nodes, NULL);
	return pi_pool_run(s->plan->n_nodes, s->opts->parallel ? s->opts->parallel : 8, fn, tick, s,
			   s->opts->cancel);
}

static int phase_render(struct setup *s)
{
	/* The state directory is what the nodes mount. */
	progress(s, 0, 1, s->state_dir);
	int rc = pi_apply_write_lab(s->plan, s->state_dir, s->diag);
	if (rc)
		return rc;
	progress(s, 1, 1, s->state_dir);
	return 0;
}

static int phase_image(struct setup *s)
{
	const char *image = s->opts->image ? s->opts->image : "the node image";
	progress(s, 0, 1, image);
	int rc = s->b->ops->prepare(s->b, s->opts->image, s->opts->build_image, image_progress, s, s->diag);
	if (!rc)
		progress(s, 1, 1, image);
	return rc;
}

static int phase_create(struct setup *s)
{
	int rc = run_pool_phase(s, PI_PHASE_CREATE, create_one);
	if (!rc)
		s->res->containers = s->plan->n_nodes;
	return rc;
}

static int phase_start(struct setup *s)
{
	return run_pool_phase(s, PI_PHASE_START, start_one);
}

static int phase_wire(struct setup *s)
{
	int rc = wire_links(s);
	return rc ? rc : run_pool_phase(s, PI_PHASE_WIRE, address_one);
}

static int (*const phases[PI_PHASE_COUNT])(struct setup *) = {
	[PI_PHASE_RENDER] = phase_render, [PI_PHASE_IMAGE] = phase_image, [PI_PHASE_CREATE] = phase_create,
	[PI_PHASE_START] = phase_start,   [PI_PHASE_WIRE] = phase_wire,   [PI_PHASE_DAEMONS] = start_daemons,
	[PI_PHASE_CONVERGE] = converge,
};

/* The runtime's own networks must not sit inside the lab's address space. */
static int preflight(struct setup *s)
{
	struct pi_vec spaces = PI_VEC_INIT(struct pi_prefix);
	pi_plan_address_spaces(s->plan, &spaces);
	int rc = s->b->ops->preflight(s->b, spaces.data, spaces.len, s->diag);
	pi_vec_free(&spaces);
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
	struct setup s = { .b = b, .plan = plan, .opts = opts, .res = res, .diag = diag };
	memset(res, 0, sizeof(*res));
	pthread_mutex_init(&s.lock, NULL);
	pi_state_dir(opts->state_root, plan->lab_name, s.state_dir, sizeof(s.state_dir));
	s.rt = pi_xcalloc(plan->n_nodes ? plan->n_nodes : 1, sizeof(*s.rt));
	for (uint32_t i = 0; i < plan->n_nodes; i++)
		s.rt[i].nsfd = -1;
	raise_fd_limit();
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
		if (rc == 0 && cancelled(&s))
			rc = -ECANCELED;
	}
	rc = rc > 0 ? 0 : rc; /* check_existing: already up */
	res->total_s = pi_monotonic() - t0;
	for (uint32_t i = 0; i < plan->n_nodes; i++)
		if (s.rt[i].nsfd >= 0)
			close(s.rt[i].nsfd);
	roll_back(&s, rc);
	free(s.rt);
	pthread_mutex_destroy(&s.lock);
	return rc;
}
