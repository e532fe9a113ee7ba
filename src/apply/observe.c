/*
 * observe: look at a running lab without spawning anything. BIRD is asked
 * over its control socket, reached through /proc/<pid>/root of its
 * container; resolvers get one DNS query sent from inside their own netns.
 * Both are what convergence detection polls, so they must be cheap.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include "apply_int.h"
#include "pocketinternet/netlink.h"

/* Reads until a full BIRD reply: a line "NNNN " (code, then a space) ends it. */
static int bird_read_reply(int fd, struct pi_buf *raw, unsigned timeout_ms)
{
	char chunk[8192];
	for (;;) {
		/* Look for a final line in what we have. */
		const char *s = pi_buf_str(raw);
		const char *line = s;
		while (line && *line) {
			const char *nl = strchr(line, '\n');
			if (!nl)
				break;
			if (nl - line >= 5 && line[0] >= '0' && line[0] <= '9' && line[4] == ' ')
				return line[0] == '0' ? 0 : -EPROTO;
			line = nl + 1;
		}
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int r = poll(&p, 1, (int)timeout_ms);
		if (r == 0)
			return -ETIMEDOUT;
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		ssize_t n = read(fd, chunk, sizeof(chunk));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return -ECONNRESET;
		pi_buf_write(raw, chunk, (size_t)n);
	}
}

int pi_bird_query(int pid, const char *cmd, struct pi_buf *out)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int n = snprintf(sa.sun_path, sizeof(sa.sun_path), "/proc/%d/root%s", pid, PI_BIRD_CTL);
	if (n < 0 || (size_t)n >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	int rc = 0;
	struct pi_buf raw;
	pi_buf_init(&raw);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		rc = -errno;
		goto out;
	}
	/* Greeting "0001 BIRD 2.x ready." */
	if ((rc = bird_read_reply(fd, &raw, 2000)))
		goto out;
	pi_buf_reset(&raw);
	char line[512];
	n = snprintf(line, sizeof(line), "%s\n", cmd);
	if (n < 0 || (size_t)n >= sizeof(line) || write(fd, line, (size_t)n) != n) {
		rc = -EIO;
		goto out;
	}
	rc = bird_read_reply(fd, &raw, 5000);
	/* Strip the reply codes: "NNNN-text" and " text" continuation lines. */
	for (const char *l = pi_buf_str(&raw); *l;) {
		const char *nl = strchr(l, '\n');
		size_t len = nl ? (size_t)(nl - l) : strlen(l);
		if (len >= 5 && l[0] >= '0' && l[0] <= '9' && (l[4] == '-' || l[4] == ' '))
			pi_buf_write(out, l + 5, len - 5);
		else if (len >= 1 && l[0] == ' ')
			pi_buf_write(out, l + 1, len - 1);
		else
			pi_buf_write(out, l, len);
		pi_buf_putc(out, '\n');
		l = nl ? nl + 1 : l + len;
	}
out:
	pi_buf_free(&raw);
	close(fd);
	return rc;
}

static bool is_time_token(const char *t)
{
	/* BIRD prints "since" as a time (12:00:01), a date (2026-11-22) or both. */
	for (; *t; t++)
		if ((*t < '0' || *t > '9') && *t != ':' && *t != '-' && *t != '.')
			return false;
	return true;
}

void pi_bird_parse_protocols(const char *text, struct pi_vec *out)
{
	const char *l = text;
	while (l && *l) {
		const char *nl = strchr(l, '\n');
		size_t len = nl ? (size_t)(nl - l) : strlen(l);
		char line[512];
		if (len >= sizeof(line))
			len = sizeof(line) - 1;
		memcpy(line, l, len);
		line[len] = '\0';
		l = nl ? nl + 1 : NULL;

		char *tok[16];
		int nt = 0;
		char *save = NULL;
		for (char *t = strtok_r(line, " \t", &save); t && nt < 16; t = strtok_r(NULL, " \t", &save))
			tok[nt++] = t;
		/* name proto table state since... info */
		if (nt < 4 || strcmp(tok[1], "BGP") != 0)
			continue;
		struct pi_bgp_state *st = pi_vec_push(out);
		snprintf(st->name, sizeof(st->name), "%s", tok[0]);
		snprintf(st->state, sizeof(st->state), "%s", tok[3]);
		for (int i = 4; i < nt; i++) {
			if (!is_time_token(tok[i])) {
				snprintf(st->info, sizeof(st->info), "%s", tok[i]);
				break;
			}
		}
	}
}

/* ---- DNS probe ---- */

struct dns_probe {
	struct pi_prefix server;
	const char *name;
	unsigned qtype;
	unsigned timeout_ms;
};

static size_t dns_build_query(uint8_t *pkt, size_t cap, uint16_t id, const char *name, unsigned qtype)
{
	size_t off = 12;
	memset(pkt, 0, 12);
	pkt[0] = (uint8_t)(id >> 8);
	pkt[1] = (uint8_t)id;
	pkt[2] = 0x01; /* RD */
	pkt[5] = 1;    /* QDCOUNT */
	const char *p = name;
	while (*p && !(p[0] == '.' && p[1] == '\0')) {
		const char *dot = strchr(p, '.');
		size_t n = dot ? (size_t)(dot - p) : strlen(p);
		if (n == 0 || n > 63 || off + n + 6 > cap)
			return 0;
		pkt[off++] = (uint8_t)n;
		memcpy(pkt + off, p, n);
		off += n;
		p += n;
		if (*p == '.')
			p++;
	}
	pkt[off++] = 0;
	pkt[off++] = (uint8_t)(qtype >> 8);
	pkt[off++] = (uint8_t)qtype;
	pkt[off++] = 0;
	pkt[off++] = 1; /* IN */
	return off;
}

static int dns_probe_in_ns(void *arg)
{
	struct dns_probe *p = arg;
	bool v6 = p->server.family == PI_AF_V6;
	int fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	struct sockaddr_storage ss = { 0 };
	socklen_t sl;
	if (v6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(53);
		memcpy(&s6->sin6_addr, p->server.addr, 16);
		sl = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
		s4->sin_family = AF_INET;
		s4->sin_port = htons(53);
		memcpy(&s4->sin_addr, p->server.addr, 4);
		sl = sizeof(*s4);
	}
	uint8_t pkt[512];
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	uint16_t id = (uint16_t)(ts.tv_nsec ^ (ts.tv_nsec >> 16));
	size_t len = dns_build_query(pkt, sizeof(pkt), id, p->name, p->qtype);
	int rc = -ETIMEDOUT;
	if (len == 0) {
		rc = -EINVAL;
		goto out;
	}
	if (connect(fd, (struct sockaddr *)&ss, sl) < 0 || send(fd, pkt, len, 0) != (ssize_t)len) {
		rc = -errno;
		goto out;
	}
	for (;;) {
		struct pollfd pf = { .fd = fd, .events = POLLIN };
		int r = poll(&pf, 1, (int)p->timeout_ms);
		if (r <= 0) {
			rc = r == 0 ? -ETIMEDOUT : -errno;
			break;
		}
		uint8_t resp[4096];
		ssize_t n = recv(fd, resp, sizeof(resp), 0);
		if (n < 0) {
			rc = -errno; /* ECONNREFUSED: nothing listens yet */
			break;
		}
		if (n < 12 || resp[0] != pkt[0] || resp[1] != pkt[1] || !(resp[2] & 0x80))
			continue; /* not our reply */
		unsigned rcode = resp[3] & 0x0f;
		unsigned ancount = (unsigned)resp[6] << 8 | resp[7];
		rc = rcode == 0 && ancount > 0 ? 0 : -EPROTO;
		break;
	}
out:
	close(fd);
	return rc;
}

int pi_dns_probe(int pid, const struct pi_prefix *server, const char *name, unsigned qtype,
		 unsigned timeout_ms)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/ns/net", pid);
	struct pi_nl *nl;
	int rc = pi_nl_open_netns_path(path, &nl);
	if (rc)
		return rc;
	struct dns_probe p = { .server = *server, .name = name, .qtype = qtype, .timeout_ms = timeout_ms };
	rc = pi_nl_ns_call(nl, dns_probe_in_ns, &p);
	pi_nl_close(nl);
	return rc;
}

/* ---- shared by convergence and status ---- */

int pi_apply_node_sessions(const struct pi_plan *plan, uint32_t node, int pid, struct pi_vec *out)
{
	if (!(plan->nodes[node].services & (PI_SVC_ROUTER | PI_SVC_RS)))
		return 0;
	struct pi_buf text;
	pi_buf_init(&text);
	int rc = pi_bird_query(pid, "show protocols", &text);
	if (rc == 0)
		pi_bird_parse_protocols(pi_buf_str(&text), out);
	pi_buf_free(&text);
	return rc;
}

void pi_apply_session_name(const struct pi_plan *plan, uint32_t k, char *buf, size_t len)
{
	snprintf(buf, len, "%s", plan->sessions[k].name);
}

bool pi_apply_resolver_answers(const struct pi_plan *plan, uint32_t node, int pid, unsigned timeout_ms)
{
	const struct pi_plan_node *n = &plan->nodes[node];
	struct pi_prefix server;
	if (pi_prefix_is_set(&n->resolver4))
		server = pi_prefix_as_host(&n->resolver4);
	else
		pi_prefix_parse("127.0.0.1", &server);
	char name[300];
	snprintf(name, sizeof(name), "%s.", plan->tld);
	/* SOA of the TLD: answered only by walking from the pocket root. */
	return pi_dns_probe(pid, &server, name, 6, timeout_ms) == 0;
}
