/*
 * capture: packets of a running lab, read from the host (apply.h).
 *
 * Each interface gets an AF_PACKET socket made inside its namespace
 * (pi_nl_socket) with protocol 0, so nothing is queued before the filter is
 * attached, then bound to the interface for ETH_P_ALL. The filter is
 * compiled by libpcap for Ethernet (pcap_open_dead + pcap_compile, the
 * classic BPF the kernel runs: SO_ATTACH_FILTER), always, as even "every
 * packet" carries the snap length the kernel cuts packets to. PACKET_AUXDATA
 * gives each packet's length before the cut, SO_TIMESTAMPNS its time, the
 * address its direction. A LAN's bridge is put in promiscuous mode (a
 * membership, dropped when the socket closes): only then does it pass
 * frames it forwards between ports up to its own device, where they are seen.
 */
#include <errno.h>
#include <linux/filter.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <arpa/inet.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "apply_int.h"
#include "pi_config.h"
#include "pocketinternet/netlink.h"
#include "pocketinternet/pcapng.h"

#define POLL_SLICE_MS 100 /* how soon a cancel is seen even with no packets (a job stops within it) */
#define BATCH 64          /* packets read per socket per round, then merged by time */
#define RCVBUF (8 << 20)

struct capture_sock {
	int fd;
	bool down_noted;
};

struct pi_capture {
	struct pi_capture_target *t;
	struct capture_sock *s;
	size_t n;
	uint32_t snaplen;
	struct pi_capture_opts opts;
	uint8_t *buf; /* one packet, snaplen bytes */
};

/* A packet read in a round, waiting to be handed over in time order. */
struct pending {
	struct pi_capture_packet p;
	uint8_t *copy;
};

static int compile_filter(const char *filter, uint32_t snaplen, struct bpf_program *prog, struct pi_diag *diag)
{
	pcap_t *p = pcap_open_dead(DLT_EN10MB, (int)snaplen);
	if (!p)
		return -ENOMEM;
	int rc = 0;
	if (pcap_compile(p, prog, filter ? filter : "", 1, PCAP_NETMASK_UNKNOWN) != 0) {
		pi_diag_add(diag, (struct pi_pos){ 0 },
			    "filters are in pcap-filter(7) syntax, as for tcpdump: e.g. 'icmp or icmp6', "
			    "'tcp port 179', 'host 10.0.0.1'",
			    "capture filter '%s': %s", filter, pcap_geterr(p));
		rc = -EINVAL;
	}
	pcap_close(p);
	return rc;
}

static int sock_options(int fd, const struct bpf_program *prog)
{
	struct sock_fprog fp = { .len = (unsigned short)prog->bf_len, .filter = (struct sock_filter *)prog->bf_insns };
	int one = 1, rcvbuf = RCVBUF;
	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &fp, sizeof(fp)) ||
	    setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one)) ||
	    setsockopt(fd, SOL_PACKET, PACKET_AUXDATA, &one, sizeof(one)))
		return -errno;
	/* Root may go past rmem_max; a smaller buffer only drops sooner. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)))
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	return 0;
}

static int target_fail(const struct pi_capture_target *t, const char *what, int rc, struct pi_diag *diag)
{
	const char *hint = rc == -EPERM || rc == -EACCES ? "capturing needs root (CAP_NET_RAW and CAP_SYS_ADMIN)" : NULL;
	pi_diag_add(diag, (struct pi_pos){ 0 }, hint, "capture on %s: %s: %s", t->label, what, strerror(-rc));
	return rc;
}

/* The socket of one target, bound and filtered; fd or -errno. */
static int open_target(const struct pi_capture_target *t, const struct bpf_program *prog, struct pi_diag *diag)
{
	struct pi_nl *nl = NULL;
	struct pi_nl_link link;
	int rc = pi_nl_open_netns_path(t->netns, &nl);
	if (rc)
		return target_fail(t, t->netns, rc, diag);
	if ((rc = pi_nl_link_get(nl, t->ifname, &link))) {
		pi_nl_close(nl);
		if (rc != -ENODEV)
			return target_fail(t, "looking up the interface", rc, diag);
		pi_diag_add(diag, (struct pi_pos){ 0 },
			    "a p2p link is gone while the node at its other end is stopped; "
			    "'pocketinternet link list' shows what is there",
			    "capture on %s: interface %s is absent", t->label, t->ifname);
		return -ENODEV;
	}
	int fd = pi_nl_socket(nl, AF_PACKET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	pi_nl_close(nl);
	if (fd < 0)
		return target_fail(t, "socket", fd, diag);
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL), .sll_ifindex = link.index };
	struct packet_mreq mr = { .mr_ifindex = link.index, .mr_type = PACKET_MR_PROMISC };
	if ((rc = sock_options(fd, prog)) == 0 && bind(fd, (struct sockaddr *)&sll, sizeof(sll)))
		rc = -errno;
	if (rc == 0 && t->promisc && setsockopt(fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof(mr)))
		rc = -errno;
	if (rc) {
		close(fd);
		return target_fail(t, "socket options", rc, diag);
	}
	return fd;
}

int pi_apply_capture_open_targets(const struct pi_capture_target *t, size_t n, const struct pi_capture_opts *opts,
				  struct pi_capture **out, struct pi_diag *diag)
{
	*out = NULL;
	if (n == 0) {
		pi_diag_add(diag, (struct pi_pos){ 0 }, NULL, "capture: no interface to capture on");
		return -EINVAL;
	}
	struct pi_capture *c = pi_xcalloc(1, sizeof(*c));
	c->opts = *opts;
	c->snaplen = opts->snaplen ? opts->snaplen : PI_PCAP_SNAPLEN_DEFAULT;
	struct bpf_program prog;
	int rc = compile_filter(opts->filter, c->snaplen, &prog, diag);
	if (rc) {
		free(c);
		return rc;
	}
	c->t = pi_xcalloc(n, sizeof(*c->t));
	c->s = pi_xcalloc(n, sizeof(*c->s));
	c->buf = pi_xmalloc(c->snaplen);
	for (size_t i = 0; i < n && rc == 0; i++) {
		c->t[i] = t[i];
		int fd = open_target(&t[i], &prog, diag);
		if (fd < 0)
			rc = fd;
		else
			c->s[c->n++].fd = fd;
	}
	pcap_freecode(&prog);
	if (rc) {
		pi_apply_capture_close(c);
		return rc;
	}
	*out = c;
	return 0;
}

size_t pi_apply_capture_count(const struct pi_capture *c)
{
	return c->n;
}

const struct pi_capture_target *pi_apply_capture_target(const struct pi_capture *c, size_t i)
{
	return &c->t[i];
}

uint32_t pi_apply_capture_snaplen(const struct pi_capture *c)
{
	return c->snaplen;
}

int pi_apply_capture_writer_begin(const struct pi_capture *c, struct pi_pcap_writer *w, bool classic,
				  pi_pcap_write_fn write, void *ctx)
{
	struct pi_pcap_iface *ifs = pi_xcalloc(c->n, sizeof(*ifs));
	for (size_t i = 0; i < c->n; i++)
		ifs[i] = (struct pi_pcap_iface){ .name = c->t[i].label, .descr = c->t[i].descr,
						 .linktype = PI_PCAP_LINKTYPE_ETHERNET, .snaplen = c->snaplen };
	int rc = pi_pcap_writer_begin(w, classic, "pocketinternet " PI_VERSION, ifs, c->n, write, ctx);
	free(ifs);
	return rc;
}

int pi_apply_capture_write_packet(void *writer, const struct pi_capture_packet *p)
{
	return pi_pcap_writer_packet(writer, p->iface, p->ts_ns, p->data, p->caplen, p->len,
				     p->outgoing ? PI_PCAPNG_OUTBOUND : PI_PCAPNG_INBOUND);
}

void pi_apply_capture_close(struct pi_capture *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++)
		close(c->s[i].fd);
	free(c->t);
	free(c->s);
	free(c->buf);
	free(c);
}

/* ---- reading ---- */

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void read_cmsgs(struct msghdr *m, struct pi_capture_packet *p)
{
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(m); cm; cm = CMSG_NXTHDR(m, cm)) {
		if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_TIMESTAMPNS) {
			struct timespec ts;
			memcpy(&ts, CMSG_DATA(cm), sizeof(ts));
			p->ts_ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
		} else if (cm->cmsg_level == SOL_PACKET && cm->cmsg_type == PACKET_AUXDATA) {
			struct tpacket_auxdata aux;
			memcpy(&aux, CMSG_DATA(cm), sizeof(aux));
			if (aux.tp_len > p->len)
				p->len = aux.tp_len;
		}
	}
}

/* One packet of socket i into c->buf: 1, 0 when none is waiting, -errno. */
static int read_one(struct pi_capture *c, size_t i, struct pi_capture_packet *p)
{
	struct sockaddr_ll from;
	union {
		char buf[CMSG_SPACE(sizeof(struct timespec)) + CMSG_SPACE(sizeof(struct tpacket_auxdata)) + 64];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { .iov_base = c->buf, .iov_len = c->snaplen };
	struct msghdr m = { .msg_name = &from, .msg_namelen = sizeof(from), .msg_iov = &iov, .msg_iovlen = 1,
			    .msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf) };
	ssize_t k = recvmsg(c->s[i].fd, &m, MSG_TRUNC);
	if (k < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0 : -errno;
	*p = (struct pi_capture_packet){ .iface = (uint32_t)i, .data = c->buf, .len = (uint32_t)k };
	p->caplen = (uint32_t)k < c->snaplen ? (uint32_t)k : c->snaplen;
	p->outgoing = from.sll_pkttype == PACKET_OUTGOING;
	read_cmsgs(&m, p);
	if (!p->ts_ns)
		p->ts_ns = now_ns();
	return 1;
}

/* A socket error: the interface went down (link down) or away (node
 * stopped). Said once; the socket stays and sees it come back up. */
static void socket_error(struct pi_capture *c, size_t i, int err)
{
	if (c->s[i].down_noted || !c->opts.note)
		return;
	c->s[i].down_noted = true;
	char what[128];
	snprintf(what, sizeof(what), "%s", err == -ENETDOWN ? "went down" : strerror(-err));
	c->opts.note(c->opts.note_ctx, (uint32_t)i, what);
}

/* Reads up to BATCH waiting packets of socket i into the pending list. */
static void drain(struct pi_capture *c, size_t i, struct pi_vec *pend)
{
	for (int k = 0; k < BATCH; k++) {
		struct pending q;
		int rc = read_one(c, i, &q.p);
		if (rc < 0)
			socket_error(c, i, rc);
		if (rc <= 0)
			return;
		c->s[i].down_noted = false;
		q.copy = pi_xmalloc(q.p.caplen ? q.p.caplen : 1);
		memcpy(q.copy, q.p.data, q.p.caplen);
		q.p.data = q.copy;
		*(struct pending *)pi_vec_push(pend) = q;
	}
}

static int by_time(const void *a, const void *b)
{
	const struct pending *x = a, *y = b;
	if (x->p.ts_ns != y->p.ts_ns)
		return x->p.ts_ns < y->p.ts_ns ? -1 : 1;
	return x->p.iface < y->p.iface ? -1 : x->p.iface > y->p.iface;
}

/* Hands the round's packets over in time order. true: stop (st->stop
 * says why; *rc is the callback's value when it said stop). */
static bool deliver(struct pi_capture *c, struct pi_vec *pend, pi_capture_fn fn, void *ctx,
		    struct pi_capture_stats *st, int *rc)
{
	bool stop = false;
	qsort(pend->data, pend->len, sizeof(struct pending), by_time);
	for (size_t k = 0; k < pend->len; k++) {
		struct pending *q = pi_vec_at(pend, k);
		if (!stop && (*rc = fn(ctx, &q->p)) != 0) {
			st->stop = PI_CAPTURE_CALLBACK;
			stop = true;
		} else if (!stop && ++st->packets == c->opts.count) {
			st->stop = PI_CAPTURE_COUNT;
			stop = true;
		}
		free(q->copy);
	}
	pend->len = 0;
	return stop;
}

static void kernel_drops(struct pi_capture *c, struct pi_capture_stats *st)
{
	for (size_t i = 0; i < c->n; i++) {
		struct tpacket_stats ks;
		socklen_t len = sizeof(ks);
		if (getsockopt(c->s[i].fd, SOL_PACKET, PACKET_STATISTICS, &ks, &len) == 0)
			st->drops += ks.tp_drops;
	}
}

/* Milliseconds to wait in this round; -1 when the time is up. */
static int wait_ms(double deadline)
{
	if (deadline <= 0)
		return POLL_SLICE_MS;
	double left = deadline - pi_monotonic();
	if (left <= 0)
		return -1;
	return left * 1000 < POLL_SLICE_MS ? (int)(left * 1000) + 1 : POLL_SLICE_MS;
}

int pi_apply_capture_run(struct pi_capture *c, pi_capture_fn fn, void *ctx, struct pi_capture_stats *st)
{
	struct pi_capture_stats local;
	st = st ? st : &local;
	memset(st, 0, sizeof(*st));
	struct pollfd *pfd = pi_xcalloc(c->n, sizeof(*pfd));
	for (size_t i = 0; i < c->n; i++)
		pfd[i] = (struct pollfd){ .fd = c->s[i].fd, .events = POLLIN };
	struct pi_vec pend = PI_VEC_INIT(struct pending);
	double deadline = c->opts.duration_s > 0 ? pi_monotonic() + c->opts.duration_s : 0;
	int rc = 0;
	for (;;) {
		int ms = wait_ms(deadline);
		if (c->opts.cancel && *c->opts.cancel) {
			st->stop = PI_CAPTURE_CANCEL;
			break;
		}
		if (ms < 0) {
			st->stop = PI_CAPTURE_DURATION;
			break;
		}
		int k = poll(pfd, c->n, ms);
		if (k < 0 && errno != EINTR) {
			rc = -errno;
			break;
		}
		for (size_t i = 0; k > 0 && i < c->n; i++)
			if (pfd[i].revents)
				drain(c, i, &pend);
		if (deliver(c, &pend, fn, ctx, st, &rc))
			break;
	}
	kernel_drops(c, st);
	pi_vec_free(&pend);
	free(pfd);
	return rc;
}

/* ---- what a user names, in a running lab ---- */

struct resolve {
	struct pi_backend *b;
	const struct pi_plan *plan;
	struct pi_vec targets; /* struct pi_capture_target */
	int *pid;              /* per node: 0 not looked up yet */
	struct pi_diag *diag;
};

static void push_target(struct resolve *r, const struct pi_capture_target *t)
{
	for (size_t i = 0; i < r->targets.len; i++) {
		const struct pi_capture_target *o = pi_vec_at(&r->targets, i);
		if (strcmp(o->netns, t->netns) == 0 && strcmp(o->ifname, t->ifname) == 0)
			return; /* named twice: captured once */
	}
	*(struct pi_capture_target *)pi_vec_push(&r->targets) = *t;
}

static int add_iface(struct resolve *r, uint32_t iface)
{
	const struct pi_plan *p = r->plan;
	const struct pi_plan_iface *f = &p->ifaces[iface];
	int rc = 0;
	if (r->pid[f->node] == 0 && (rc = pi_apply_node_pid(r->b, p, f->node, &r->pid[f->node], r->diag)))
		return rc;
	struct pi_capture_target t = { 0 };
	char a4[PI_PREFIX_STRLEN] = "", a6[PI_PREFIX_STRLEN] = "";
	if (pi_prefix_is_set(&f->v4))
		pi_prefix_fmt(&f->v4, a4);
	if (pi_prefix_is_set(&f->v6))
		pi_prefix_fmt(&f->v6, a6);
	snprintf(t.netns, sizeof(t.netns), "/proc/%d/ns/net", r->pid[f->node]);
	snprintf(t.ifname, sizeof(t.ifname), "%s", f->name);
	pi_apply_iface_label(p, iface, t.label, sizeof(t.label));
	snprintf(t.descr, sizeof(t.descr), "%s link %s%s%s%s%s", pi_link_scope_name(p->links[f->link].scope),
		 p->links[f->link].name, a4[0] ? " " : "", a4, a6[0] ? " " : "", a6);
	push_target(r, &t);
	return 0;
}

/* A LAN at its bridge, in the lab's netns. */
static void add_bridge(struct resolve *r, uint32_t link)
{
	const struct pi_plan_link *lk = &r->plan->links[link];
	struct pi_capture_target t = { .promisc = true };
	char ns[128];
	pi_lab_netns_name(r->plan->lab_name, ns, sizeof(ns));
	snprintf(t.netns, sizeof(t.netns), "%s/%s", PI_NL_NETNS_DIR, ns);
	snprintf(t.ifname, sizeof(t.ifname), "%s", lk->name);
	snprintf(t.label, sizeof(t.label), "%s:%s", ns, lk->name);
	snprintf(t.descr, sizeof(t.descr), "%s LAN %s (its bridge: every frame crossing it, once)",
		 pi_link_scope_name(lk->scope), lk->name);
	push_target(r, &t);
}

/* "<whose> (NULL: lab X) has no <what> 'name'" with the near matches among names. */
static int unknown_name(struct resolve *r, const char *whose, const char *what, const char *name, const char **names,
			size_t n)
{
	const char *near[5];
	size_t k = pi_near_matches(name, names, n, near, 5);
	struct pi_buf hint;
	pi_buf_init(&hint);
	for (size_t i = 0; i < k; i++)
		pi_buf_printf(&hint, "%s%s", i ? ", " : "did you mean ", near[i]);
	pi_buf_puts(&hint, k ? "?" : "'pocketinternet link list' shows the nodes, their interfaces and the links");
	if (whose)
		pi_diag_add(r->diag, (struct pi_pos){ 0 }, pi_buf_str(&hint), "%s has no %s '%s'", whose, what, name);
	else
		pi_diag_add(r->diag, (struct pi_pos){ 0 }, pi_buf_str(&hint), "lab %s has no %s '%s'",
			    r->plan->lab_name, what, name);
	pi_buf_free(&hint);
	return -ENOENT;
}

/* NODE:IFACE */
static int resolve_port(struct resolve *r, const char *spec, const char *colon)
{
	const struct pi_plan *p = r->plan;
	char node[256];
	snprintf(node, sizeof(node), "%.*s", (int)(colon - spec), spec);
	uint32_t id = pi_plan_node_by_name(p, node);
	const char **names = pi_xcalloc(p->n_nodes + 1, sizeof(char *));
	int rc = -ENOENT;
	if (id == PI_NONE) {
		for (uint32_t i = 0; i < p->n_nodes; i++)
			names[i] = p->nodes[i].name;
		rc = unknown_name(r, NULL, "node", node, names, p->n_nodes);
		free(names);
		return rc;
	}
	const struct pi_plan_node *n = &p->nodes[id];
	for (uint32_t i = 0; i < n->n_ifaces && rc == -ENOENT; i++) {
		names[i] = p->ifaces[n->first_iface + i].name;
		if (strcmp(names[i], colon + 1) == 0)
			rc = add_iface(r, n->first_iface + i);
	}
	if (rc == -ENOENT) {
		char whose[300];
		snprintf(whose, sizeof(whose), "node %s", node);
		rc = unknown_name(r, whose, "interface", colon + 1, names, n->n_ifaces);
	}
	free(names);
	return rc;
}

/* Not a node: a link name or a--b, else near matches among nodes and links. */
static int resolve_link(struct resolve *r, const char *spec)
{
	const struct pi_plan *p = r->plan;
	struct pi_link_ref ref;
	struct pi_diag quiet;
	pi_diag_init(&quiet);
	int rc = pi_apply_link_find(p, spec, &ref, &quiet);
	pi_diag_free(&quiet);
	if (rc) {
		const char **names = pi_xcalloc(p->n_nodes + p->n_links + 1, sizeof(char *));
		for (uint32_t i = 0; i < p->n_nodes; i++)
			names[i] = p->nodes[i].name;
		for (uint32_t l = 0; l < p->n_links; l++)
			names[p->n_nodes + l] = p->links[l].name;
		rc = unknown_name(r, NULL, "node or link", spec, names, p->n_nodes + p->n_links);
		free(names);
		return rc;
	}
	const struct pi_plan_link *lk = &p->links[ref.link];
	if (lk->kind == PI_LINK_LAN) {
		add_bridge(r, ref.link);
		return 0;
	}
	for (uint32_t k = 0; k < lk->n_ifaces && rc == 0; k++)
		rc = add_iface(r, lk->ifaces[k]);
	return rc;
}

static int resolve_spec(struct resolve *r, const char *spec)
{
	const struct pi_plan *p = r->plan;
	const char *colon = strchr(spec, ':');
	if (colon)
		return resolve_port(r, spec, colon);
	uint32_t id = pi_plan_node_by_name(p, spec);
	if (id == PI_NONE)
		return resolve_link(r, spec);
	const struct pi_plan_node *n = &p->nodes[id];
	if (n->n_ifaces == 0) {
		pi_diag_add(r->diag, (struct pi_pos){ 0 }, NULL, "node %s has no interfaces to capture on", spec);
		return -ENOENT;
	}
	int rc = 0;
	for (uint32_t i = 0; i < n->n_ifaces && rc == 0; i++)
		rc = add_iface(r, n->first_iface + i);
	return rc;
}

int pi_apply_capture_open(struct pi_backend *b, const struct pi_plan *plan, const char *const *specs, size_t n,
			  const struct pi_capture_opts *opts, struct pi_capture **out, struct pi_diag *diag)
{
	struct resolve r = { .b = b, .plan = plan, .targets = PI_VEC_INIT(struct pi_capture_target), .diag = diag };
	r.pid = pi_xcalloc(plan->n_nodes + 1, sizeof(int));
	int rc = 0;
	*out = NULL;
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = resolve_spec(&r, specs[i]);
	if (rc == 0)
		rc = pi_apply_capture_open_targets(r.targets.data, r.targets.len, opts, out, diag);
	pi_vec_free(&r.targets);
	free(r.pid);
	return rc;
}
