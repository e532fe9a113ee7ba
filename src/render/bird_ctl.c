/*
 * render/bird_ctl: BIRD 2 as a pi_router_daemon. Its files and start lines
 * come from bird.c; here is what apply needs to talk to a running BIRD
 * without birdc, as pure functions over bytes: the control protocol of
 * BIRD's unix socket and the `show protocols` table.
 *
 * The protocol (BIRD's doc/reply_codes): every reply line starts with a
 * four-digit code and '-' when more lines follow or ' ' on the last one;
 * a line starting with a space continues the previous code. Codes 0xxx
 * mean done, 1xxx and 2xxx are table rows and headings, 8xxx and 9xxx are
 * run-time and parse errors. On connect BIRD greets with "0001 BIRD 2.x
 * ready.", a reply like any other.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "render_int.h"

#define BIRD_CTL "/run/bird/bird.ctl" /* Debian's default: birdc finds it without -s */

static bool is_code(const char *l, size_t len)
{
	if (len < 5)
		return false;
	for (int i = 0; i < 4; i++)
		if (l[i] < '0' || l[i] > '9')
			return false;
	return l[4] == '-' || l[4] == ' ';
}

static void bird_ctl_request(const char *cmd, struct pi_buf *out)
{
	pi_buf_printf(out, "%s\n", cmd);
}

/* Complete once a whole line "NNNN text" (the last line) has arrived. The
 * greeting is a reply like the others. */
static int bird_ctl_reply_done(const char *raw, size_t len, bool greeting)
{
	(void)greeting;
	size_t start = 0;
	for (size_t i = 0; i < len; i++) {
		if (raw[i] != '\n')
			continue;
		const char *l = raw + start;
		if (is_code(l, i - start) && l[4] == ' ') {
			if (strncmp(l, "8001", 4) == 0) /* "Network not found": an answer, no routes */
				return 1;
			return l[0] == '8' || l[0] == '9' ? -EPROTO : 1;
		}
		start = i + 1;
	}
	return 0;
}

static void bird_ctl_reply_text(const char *raw, size_t len, struct pi_buf *out)
{
	for (size_t start = 0; start < len;) {
		const char *l = raw + start;
		const char *nl = memchr(l, '\n', len - start);
		size_t n = nl ? (size_t)(nl - l) : len - start;
		if (is_code(l, n))
			pi_buf_write(out, l + 5, n - 5);
		else if (n >= 1 && l[0] == ' ')
			pi_buf_write(out, l + 1, n - 1);
		else
			pi_buf_write(out, l, n);
		pi_buf_putc(out, '\n');
		start += n + 1;
	}
}

static bool is_time_token(const char *t)
{
	/* BIRD prints "since" as a time (12:00:01.123), a date (2026-11-22) or both. */
	for (; *t; t++)
		if ((*t < '0' || *t > '9') && *t != ':' && *t != '-' && *t != '.')
			return false;
	return true;
}

/* One line of `show protocols`: name proto table state since... info. */
static struct pi_bgp_state *parse_protocol_line(char *line, struct pi_vec *out)
{
	char *tok[16];
	int nt = 0;
	char *save = NULL;
	if (is_code(line, strlen(line)))
		line += 5; /* the text's first row may still carry its code */
	for (char *t = strtok_r(line, " \t\r", &save); t && nt < 16; t = strtok_r(NULL, " \t\r", &save))
		tok[nt++] = t;
	if (nt < 4 || strcmp(tok[1], "BGP") != 0)
		return NULL;
	struct pi_bgp_state *st = pi_vec_push(out);
	memset(st, 0, sizeof(*st));
	snprintf(st->name, sizeof(st->name), "%s", tok[0]);
	snprintf(st->state, sizeof(st->state), "%s", tok[3]);
	for (int i = 4; i < nt; i++) {
		if (!is_time_token(tok[i])) {
			snprintf(st->info, sizeof(st->info), "%s", tok[i]);
			break;
		}
	}
	st->established = strcmp(st->info, "Established") == 0;
	return st;
}

/* A detail line of `show protocols all` under a BGP protocol. */
static void parse_detail_line(const char *l, struct pi_bgp_state *st)
{
	unsigned a, b, c;
	while (*l == ' ' || *l == '\t')
		l++;
	st->detailed = true;
	if (strncmp(l, "Neighbor address:", 17) == 0)
		sscanf(l + 17, " %45s", st->neighbor_addr);
	else if (strncmp(l, "Neighbor AS:", 12) == 0)
		st->neighbor_as = (uint32_t)strtoul(l + 12, NULL, 10);
	else if (strncmp(l, "Neighbor ID:", 12) == 0)
		sscanf(l + 12, " %45s", st->neighbor_id);
	else if (strncmp(l, "Session:", 8) == 0)
		st->internal = strstr(l + 8, "internal") != NULL;
	else if (sscanf(l, "Routes: %u imported, %u exported, %u preferred", &a, &b, &c) == 3) {
		st->has_routes = true;
		st->imported += a;
		st->exported += b;
		st->preferred += c;
	}
}

static void bird_parse_sessions(const char *text, struct pi_vec *out)
{
	struct pi_bgp_state *cur = NULL; /* the BGP protocol whose details follow */
	size_t cur_i = 0;
	for (const char *l = text; l && *l;) {
		const char *nl = strchr(l, '\n');
		size_t len = nl ? (size_t)(nl - l) : strlen(l);
		char line[512];
		if (len >= sizeof(line))
			len = sizeof(line) - 1;
		memcpy(line, l, len);
		line[len] = '\0';
		l = nl ? nl + 1 : NULL;
		/* Rows start at the margin (one space in the raw reply: a continued code); a
		 * protocol's details (`show protocols all`) are indented further. */
		char *p = is_code(line, len) ? line + 5 : line;
		if (p[0] == ' ' && p[1] != ' ' && p[1] != '\t')
			p++;
		bool detail = p[0] == ' ' || p[0] == '\t';
		if (detail && cur) {
			parse_detail_line(p, pi_vec_at(out, cur_i));
			continue;
		}
		if (detail || !p[0])
			continue;
		cur = parse_protocol_line(p, out);
		cur_i = out->len ? out->len - 1 : 0;
	}
}

static const char *rel_tag(enum pi_rel r)
{
	switch (r) {
	case PI_REL_CUSTOMER: return "cust";
	case PI_REL_PEER: return "peer";
	case PI_REL_PROVIDER: return "prov";
	case PI_REL_RS: return "rs";
	case PI_REL_RS_CLIENT: return "member";
	case PI_REL_IBGP: return "ibgp";
	}
	return "x";
}

/* The plan's name, the same at both ends: setup and status look sessions
 * up by it. The plan names every session; the fallback is for hand-built
 * plans and is also the same at both ends. */
static void bird_session_name(const struct pi_plan *plan, uint32_t session, char *buf, size_t len)
{
	const struct pi_plan_session *s = &plan->sessions[session];
	if (s->name && s->name[0])
		snprintf(buf, len, "%s", s->name);
	else
		snprintf(buf, len, "s%u_%s_%c", session, rel_tag(s->rel), s->family == PI_AF_V6 ? '6' : '4');
}

/* BIRD's doc/reply_codes: 0xxx are done, but some say the command did not happen. */
static int bird_ctl_reply_check(const char *raw, size_t len, char *why, size_t whylen)
{
	const char *last = NULL;
	struct pi_buf text;
	for (size_t start = 0; start < len;) {
		const char *l = raw + start;
		const char *nl = memchr(l, '\n', len - start);
		size_t n = nl ? (size_t)(nl - l) : len - start;
		if (is_code(l, n) && l[4] == ' ')
			last = l;
		start += n + 1;
	}
	pi_buf_init(&text);
	bird_ctl_reply_text(raw, len, &text);
	snprintf(why, whylen, "%s", pi_buf_str(&text));
	pi_buf_free(&text);
	for (size_t k = strlen(why); k > 0 && why[k - 1] == '\n'; k--)
		why[k - 1] = '\0';
	if (!last)
		return -EPROTO;
	if (last[0] == '8' || last[0] == '9')
		return -EPROTO;
	/* 0005 queued behind a reconfiguration, 0006 ignored while shutting down, 0017 queued config dropped */
	if (strncmp(last, "0005", 4) == 0 || strncmp(last, "0006", 4) == 0 || strncmp(last, "0017", 4) == 0)
		return -EBUSY;
	return 0;
}

static void bird_session_cmd(const char *verb, const struct pi_plan *plan, uint32_t session, char *buf, size_t len)
{
	char name[64];
	bird_session_name(plan, session, name, sizeof(name));
	snprintf(buf, len, "%s %s", verb, name);
}

static void bird_disable_cmd(const struct pi_plan *plan, uint32_t session, uint32_t node, char *buf, size_t len)
{
	(void)node; /* the same name at both ends */
	bird_session_cmd("disable", plan, session, buf, len);
}

static void bird_enable_cmd(const struct pi_plan *plan, uint32_t session, uint32_t node, char *buf, size_t len)
{
	(void)node;
	bird_session_cmd("enable", plan, session, buf, len);
}

const struct pi_router_daemon pi_router_bird = {
	.name = "bird",
	.render = pi_bird_render_files,
	.start_lines = pi_bird_start_lines,
	.ctl_socket = BIRD_CTL,
	.ctl_request = bird_ctl_request,
	.ctl_reply_done = bird_ctl_reply_done,
	.ctl_reply_text = bird_ctl_reply_text,
	.sessions_cmd = "show protocols",
	.sessions_all_cmd = "show protocols all",
	.parse_sessions = bird_parse_sessions,
	.session_name = bird_session_name,
	.user_sessions_cmd = "birdc show protocols",
	.incidents_file = "incidents.conf",
	.incidents_path = PI_NODE_CONF_DIR "/incidents.conf",
	.render_incidents = pi_bird_render_incidents,
	.reconfigure_cmd = "configure",
	.ctl_reply_check = bird_ctl_reply_check,
	.disable_cmd = bird_disable_cmd,
	.enable_cmd = bird_enable_cmd,
	.rib_cmd = pi_bird_rib_cmd,
	.parse_rib = pi_bird_parse_rib,
	.user_rib_cmd = "birdc show route all for",
	.memory_cmd = "show memory",
	.parse_memory = pi_bird_parse_memory,
	.count_cmd = pi_bird_count_cmd,
	.parse_count = pi_bird_parse_count,
};
