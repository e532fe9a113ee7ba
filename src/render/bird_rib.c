/*
 * render/bird_rib: BIRD 2's `show route all` read into struct pi_rib_route
 * (pure). The reply text, once ctl_reply_text has stripped the codes, is
 * (BIRD 2.0.12):
 *
 *   Table master4:
 *   10.1.5.0/24          unicast [ebgp_a_b2_v4 18:44:24.443] * (100) [AS65001i]
 *   	via 10.9.0.2 on pthCb
 *   	Type: BGP univ
 *   	BGP.origin: IGP
 *   	BGP.as_path: 65001
 *   	BGP.next_hop: 10.9.0.2
 *   	BGP.local_pref: 200
 *   	BGP.community: (65001,666)
 *   	BGP.large_community: (65001, 1, 2) (65002, 1, 1)
 *                        unicast [ebgp_a_b_v4 18:44:12.980] (100) [AS64512i]
 *   	...
 *
 * A route line names its network, or is blank there for another route to
 * the previous one; '*' after the protocol marks the best route; the lines
 * starting with a tab are its attributes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "render_int.h"

void pi_bird_rib_cmd(const struct pi_prefix *dst, uint8_t family, char *buf, size_t len)
{
	char pb[PI_PREFIX_STRLEN];
	if (dst && pi_prefix_is_set(dst)) {
		bool host = dst->len == pi_prefix_maxlen(dst);
		snprintf(buf, len, "show route all for %s", host ? pi_prefix_fmt_addr(dst, pb) : pi_prefix_fmt(dst, pb));
	} else if (family == PI_AF_V4 || family == PI_AF_V6) {
		snprintf(buf, len, "show route all table master%d", family == PI_AF_V4 ? 4 : 6);
	} else {
		snprintf(buf, len, "show route all");
	}
}

/* "10.1.5.0/24  unicast [proto time] * (100) [AS65001i]"; net empty: the previous one. */
static bool parse_route_line(char *line, const struct pi_prefix *prev, struct pi_rib_route *r)
{
	char *save = NULL, *tok;
	memset(r, 0, sizeof(*r));
	if (line[0] != ' ') {
		tok = strtok_r(line, " \t", &save);
		if (!tok || pi_prefix_parse(tok, &r->net) != 0)
			return false;
		line = NULL;
	} else if (prev && pi_prefix_is_set(prev)) {
		r->net = *prev;
	} else {
		return false;
	}
	tok = strtok_r(line, " \t", &save);
	if (!tok)
		return false;
	snprintf(r->type, sizeof(r->type), "%s", tok);
	tok = strtok_r(NULL, " \t", &save);
	if (!tok || tok[0] != '[')
		return false;
	snprintf(r->proto, sizeof(r->proto), "%s", tok + 1);
	while ((tok = strtok_r(NULL, " \t", &save)) && !strchr(tok, ']'))
		; /* the time, in one or two tokens */
	while ((tok = strtok_r(NULL, " \t", &save))) {
		if (strcmp(tok, "*") == 0)
			r->best = true;
		else if (tok[0] == '(')
			r->preference = (unsigned)strtoul(tok + 1, NULL, 10);
	}
	return true;
}

static void parse_as_path(const char *v, struct pi_rib_route *r)
{
	for (const char *p = v; *p;) {
		char *end;
		while (*p == ' ' || *p == '{' || *p == '}' || *p == ',')
			p++;
		if (!*p)
			break;
		unsigned long as = strtoul(p, &end, 10);
		if (end == p)
			break;
		r->as_path_total++;
		if (r->as_path_len < PI_RIB_MAX_PATH)
			r->as_path[r->as_path_len++] = (uint32_t)as;
		else
			r->as_path_truncated = true;
		p = end;
	}
}

/* "(a, b, c) (d, e, f)" or "(a,b) (c,d)": n numbers per tuple. */
static void parse_tuples(const char *v, unsigned n, struct pi_rib_route *r)
{
	for (const char *p = strchr(v, '('); p; p = strchr(p + 1, '(')) {
		unsigned long x[3] = { 0 };
		int got = n == 3 ? sscanf(p, "(%lu, %lu, %lu)", &x[0], &x[1], &x[2]) : sscanf(p, "(%lu,%lu)", &x[0], &x[1]);
		if (got != (int)n)
			continue;
		if (n == 3 && r->n_large < PI_RIB_MAX_COMM) {
			r->large[r->n_large].a = (uint32_t)x[0];
			r->large[r->n_large].b = (uint32_t)x[1];
			r->large[r->n_large++].c = (uint32_t)x[2];
		} else if (n == 2 && r->n_comm < PI_RIB_MAX_COMM) {
			r->communities[r->n_comm][0] = (uint32_t)x[0];
			r->communities[r->n_comm++][1] = (uint32_t)x[1];
		} else {
			r->comm_truncated = true;
		}
	}
}

/* One attribute line (without its leading tab). */
static void parse_attr(const char *l, struct pi_rib_route *r)
{
	char a[PI_PREFIX_STRLEN], ifn[16];
	if (sscanf(l, "via %63s on %15s", a, ifn) == 2 && !pi_prefix_is_set(&r->next_hop)) {
		if (pi_prefix_parse(a, &r->next_hop) == 0)
			memcpy(r->iface, ifn, sizeof(r->iface));
	} else if (strncmp(l, "dev ", 4) == 0 && !r->iface[0]) {
		sscanf(l + 4, "%15s", r->iface);
	} else if (strncmp(l, "Type: BGP", 9) == 0) {
		r->bgp = true;
	} else if (strncmp(l, "BGP.as_path:", 12) == 0) {
		parse_as_path(l + 12, r);
	} else if (strncmp(l, "BGP.origin:", 11) == 0) {
		r->origin = strstr(l, "Incomplete") ? PI_RIB_ORIGIN_INCOMPLETE
			    : strstr(l, "EGP")	    ? PI_RIB_ORIGIN_EGP
						    : PI_RIB_ORIGIN_IGP;
	} else if (strncmp(l, "BGP.med:", 8) == 0) {
		r->has_med = true;
		r->med = (uint32_t)strtoul(l + 8, NULL, 10);
	} else if (strncmp(l, "BGP.originator_id:", 18) == 0) {
		sscanf(l + 18, " %45s", a);
		if (pi_prefix_parse(a, &r->originator_id) != 0)
			memset(&r->originator_id, 0, sizeof(r->originator_id));
	} else if (strncmp(l, "BGP.cluster_list:", 17) == 0) {
		for (const char *p = l + 17; (p = strchr(p, '.')); p++)
			r->cluster_len++; /* dotted quads: three dots each */
		r->cluster_len /= 3;
	} else if (strncmp(l, "BGP.local_pref:", 15) == 0) {
		r->local_pref = (uint32_t)strtoul(l + 15, NULL, 10);
	} else if (strncmp(l, "BGP.large_community:", 20) == 0) {
		parse_tuples(l + 20, 3, r);
	} else if (strncmp(l, "BGP.community:", 14) == 0) {
		parse_tuples(l + 14, 2, r);
	}
}

static void decide_kind(struct pi_rib_route *r, uint32_t local_as)
{
	static const char *const kinds[] = { "", "customer", "peer", "provider" };
	if (!r->bgp) {
		snprintf(r->from_kind, sizeof(r->from_kind), "own");
		return;
	}
	unsigned kind = 0;
	for (unsigned i = 0; i < r->n_large; i++)
		if (r->large[i].b == PI_LC_REL && (!local_as || r->large[i].a == local_as) && r->large[i].c >= 1 &&
		    r->large[i].c <= 3)
			kind = r->large[i].c; /* the last one when local_as is 0: the latest AS's tag */
	bool via_rs = strncmp(r->proto, "rs_", 3) == 0;
	if (via_rs && (kind == PI_LC_FROM_PEER || kind == 0))
		snprintf(r->from_kind, sizeof(r->from_kind), "rs");
	else
		snprintf(r->from_kind, sizeof(r->from_kind), "%s", kinds[kind]);
}

void pi_bird_parse_rib(const char *text, uint32_t local_as, struct pi_vec *out)
{
	struct pi_rib_route *cur = NULL;
	struct pi_prefix prev = { 0 };
	for (const char *l = text; l && *l;) {
		const char *nl = strchr(l, '\n');
		size_t len = nl ? (size_t)(nl - l) : strlen(l);
		char line[4096];
		if (len >= sizeof(line))
			len = sizeof(line) - 1;
		memcpy(line, l, len);
		line[len] = '\0';
		l = nl ? nl + 1 : NULL;
		if (line[0] == '\t') {
			if (cur)
				parse_attr(line + 1, cur);
			continue;
		}
		if (cur)
			decide_kind(cur, local_as);
		cur = NULL;
		struct pi_rib_route r;
		if (strncmp(line, "Table ", 6) == 0 || !parse_route_line(line, &prev, &r))
			continue;
		cur = pi_vec_push(out);
		*cur = r;
		prev = r.net;
	}
	if (cur)
		decide_kind(cur, local_as);
}
