/*
 * apply/sshgw: `pocketinternet ssh-gateway` (docs/security.md, "SSH per
 * team"). One TCP port per team (base + the team's index in
 * pi_apply_teams order) on an address of the host, 127.0.0.1 unless told.
 * Each connection runs `sshd -i` inside the team's border router through
 * the backend's exec stream, and the bytes are relayed between the socket
 * and that command's stdin and stdout. So there is no network path between
 * the host and the lab: the host's sshd is not involved, and the only way
 * in is a process the backend starts in the team's own node.
 *
 * Threads: one accepts on every port (poll, with a pipe to stop it), one
 * per connection runs the exec stream (it blocks until sshd ends). The
 * connection's stdin is a dup of its socket: the client's end of file ends
 * sshd's stdin; sshd's end closes the socket.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "apply_int.h"
#include "pocketinternet/log.h"
#include "pocketinternet/render.h"

#define CONNS_PER_TEAM 32 /* a flood of connections waits in the backlog */

struct gw_conn {
	struct gw_conn *next;
	struct pi_sshgw *g;
	size_t team;
	int fd;
	volatile int cancel;
	atomic_bool done;
	pthread_t th;
};

struct gw_team {
	char name[64];
	char node[128]; /* the border router sshd runs in */
	int fd;         /* listening */
	int port;
	unsigned conns;
};

struct pi_sshgw {
	struct pi_backend *b;
	char lab[64];
	struct gw_team *teams;
	size_t n;
	int stop_pipe[2];
	atomic_int stop;
	struct gw_conn *conns;
	const char *const *argv;
	size_t argc;
};

static const char *const sshd_argv[] = { PI_NODE_SSHD, "-i", "-f", PI_NODE_CONF_DIR "/sshd_config",
					 "-E", PI_NODE_LOG_DIR "/sshd-gateway.log" };

uint32_t pi_apply_team_entry(const struct pi_plan *plan, const struct pi_team_info *t)
{
	for (size_t k = 0; k < t->pods.len; k++) {
		uint32_t p = *(const uint32_t *)pi_vec_at(&t->pods, k);
		for (uint32_t n = 0; n < plan->n_nodes; n++)
			if (plan->nodes[n].pod == p) {
				uint32_t border = pi_plan_pod_border(plan, n);
				if (border != PI_NONE)
					return border;
				break;
			}
	}
	return PI_NONE;
}

/* A listening socket on addr:port (port 0: any). An fd or -errno. */
static int listen_on(const char *addr, int port, int *bound)
{
	struct sockaddr_storage ss = { 0 };
	socklen_t len;
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
	if (inet_pton(AF_INET, addr, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		len = sizeof(*s4);
	} else if (inet_pton(AF_INET6, addr, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		len = sizeof(*s6);
	} else {
		return -EINVAL;
	}
	int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len) != 0 || listen(fd, 16) != 0 ||
	    getsockname(fd, (struct sockaddr *)&ss, &len) != 0) {
		int e = -errno;
		close(fd);
		return e;
	}
	*bound = ntohs(ss.ss_family == AF_INET ? s4->sin_port : s6->sin6_port);
	return fd;
}

static int teams_of(struct pi_sshgw *g, const struct pi_plan *plan, struct pi_diag *diag)
{
	struct pi_vec teams = PI_VEC_INIT(struct pi_team_info);
	pi_apply_teams(plan, &teams);
	g->teams = pi_xcalloc(teams.len ? teams.len : 1, sizeof(*g->teams));
	int rc = teams.len ? 0 : -ENOENT;
	if (rc)
		pi_diag_add(diag, (struct pi_pos){ 0 }, "add a teams: section to the lab file (docs/workshop.md)",
			    "lab %s has no teams to let in", plan->lab_name);
	for (size_t i = 0; i < teams.len && !rc; i++) {
		const struct pi_team_info *t = pi_vec_at(&teams, i);
		uint32_t entry = pi_apply_team_entry(plan, t);
		struct gw_team *gt = &g->teams[g->n++];
		gt->fd = -1;
		snprintf(gt->name, sizeof(gt->name), "%s", t->name);
		if (entry == PI_NONE) {
			pi_diag_add(diag, (struct pi_pos){ 0 }, "give the team a pod with a border router",
				    "team %s has no border router to land in", t->name);
			rc = -ENOENT;
		} else {
			snprintf(gt->node, sizeof(gt->node), "%s", plan->nodes[entry].name);
		}
	}
	pi_apply_teams_free(&teams);
	return rc;
}

int pi_sshgw_start(struct pi_backend *b, const struct pi_plan *plan, const struct pi_sshgw_opts *o,
		   struct pi_sshgw **out, struct pi_diag *diag)
{
	*out = NULL;
	struct pi_sshgw *g = pi_xcalloc(1, sizeof(*g));
	g->b = b;
	g->stop_pipe[0] = g->stop_pipe[1] = -1;
	g->argv = o->argv ? o->argv : sshd_argv;
	g->argc = o->argv ? o->argc : PI_ARRAY_LEN(sshd_argv);
	snprintf(g->lab, sizeof(g->lab), "%s", plan->lab_name);
	const char *addr = o->listen ? o->listen : "127.0.0.1";
	unsigned base = o->base_port ? o->base_port : PI_SSHGW_BASE_PORT;
	int rc = teams_of(g, plan, diag);
	if (!rc && pipe2(g->stop_pipe, O_CLOEXEC) != 0)
		rc = -errno;
	for (size_t i = 0; i < g->n && !rc; i++) {
		int want = o->any_port ? 0 : (int)(base + i);
		if (want > 65535 || (g->teams[i].fd = listen_on(addr, want, &g->teams[i].port)) < 0) {
			rc = want > 65535 ? -EINVAL : g->teams[i].fd;
			pi_diag_add(diag, (struct pi_pos){ 0 },
				    rc == -EINVAL ? "--listen takes an IPv4 or IPv6 address, --base-port a port"
						  : "another program uses the port: choose others with --base-port N",
				    "cannot listen on %s port %d for team %s: %s", addr, want, g->teams[i].name, strerror(-rc));
		}
	}
	if (rc) {
		pi_sshgw_free(g);
		return rc;
	}
	*out = g;
	return 0;
}

size_t pi_sshgw_teams(const struct pi_sshgw *g)
{
	return g->n;
}

int pi_sshgw_port(const struct pi_sshgw *g, size_t team, const char **name, const char **node)
{
	if (name)
		*name = g->teams[team].name;
	if (node)
		*node = g->teams[team].node;
	return g->teams[team].port;
}

/* sshd's stdout goes to the client; its stderr (-E sends its log to a file) is dropped. */
static int to_client(void *ctx, enum pi_exec_stream stream, const char *p, size_t n)
{
	struct gw_conn *c = ctx;
	while (stream == PI_EXEC_STDOUT && n) {
		ssize_t w = send(c->fd, p, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -EPIPE;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static void *conn_main(void *arg)
{
	struct gw_conn *c = arg;
	struct pi_sshgw *g = c->g;
	struct pi_diag d;
	pi_diag_init(&d);
	int in = fcntl(c->fd, F_DUPFD_CLOEXEC, 0), status = 0;
	int rc = in < 0 ? -errno
			: g->b->ops->exec_stream(g->b, g->lab, g->teams[c->team].node, g->argv, g->argc, NULL, in,
						 to_client, c, &status, &c->cancel, &d);
	if (rc)
		pi_log_warn("sshgw", "team %s: %s: %s", g->teams[c->team].name, g->teams[c->team].node, strerror(-rc));
	if (in >= 0)
		close(in);
	shutdown(c->fd, SHUT_RDWR);
	pi_diag_free(&d);
	atomic_store(&c->done, true);
	return NULL;
}

static void accept_one(struct pi_sshgw *g, size_t team)
{
	int fd = accept4(g->teams[team].fd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		return;
	if (g->teams[team].conns >= CONNS_PER_TEAM) {
		close(fd);
		return;
	}
	struct gw_conn *c = pi_xcalloc(1, sizeof(*c));
	c->g = g;
	c->team = team;
	c->fd = fd;
	if (pthread_create(&c->th, NULL, conn_main, c) != 0) {
		close(fd);
		free(c);
		return;
	}
	g->teams[team].conns++;
	c->next = g->conns;
	g->conns = c;
}

/* Joins the connections that ended (all of them when every is set). */
static void reap(struct pi_sshgw *g, bool every)
{
	for (struct gw_conn **pp = &g->conns; *pp;) {
		struct gw_conn *c = *pp;
		if (every && !atomic_load(&c->done)) {
			c->cancel = 1;
			shutdown(c->fd, SHUT_RDWR); /* end of file on sshd's stdin */
		}
		if (!every && !atomic_load(&c->done)) {
			pp = &c->next;
			continue;
		}
		pthread_join(c->th, NULL);
		close(c->fd);
		g->teams[c->team].conns--;
		*pp = c->next;
		free(c);
	}
}

int pi_sshgw_run(struct pi_sshgw *g)
{
	struct pollfd *pf = pi_xcalloc(g->n + 1, sizeof(*pf));
	for (size_t i = 0; i < g->n; i++)
		pf[i] = (struct pollfd){ .fd = g->teams[i].fd, .events = POLLIN };
	pf[g->n] = (struct pollfd){ .fd = g->stop_pipe[0], .events = POLLIN };
	while (!atomic_load(&g->stop)) {
		int k = poll(pf, g->n + 1, 1000);
		if (k < 0 && errno != EINTR)
			break;
		for (size_t i = 0; k > 0 && i < g->n; i++)
			if (pf[i].revents & POLLIN)
				accept_one(g, i);
		reap(g, false);
	}
	reap(g, true);
	free(pf);
	return 0;
}

void pi_sshgw_stop(struct pi_sshgw *g)
{
	atomic_store(&g->stop, 1);
	if (g->stop_pipe[1] >= 0) {
		ssize_t w = write(g->stop_pipe[1], "x", 1);
		(void)w;
	}
}

void pi_sshgw_free(struct pi_sshgw *g)
{
	if (!g)
		return;
	reap(g, true);
	for (size_t i = 0; i < g->n; i++)
		if (g->teams[i].fd >= 0)
			close(g->teams[i].fd);
	for (int i = 0; i < 2; i++)
		if (g->stop_pipe[i] >= 0)
			close(g->stop_pipe[i]);
	free(g->teams);
	free(g);
}
