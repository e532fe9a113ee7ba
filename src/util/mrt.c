/*
 * mrt: TABLE_DUMP_V2 reader (include/pocketinternet/mrt.h). A cursor over
 * the bytes; every read checks the bytes left, so a hostile file can make
 * it stop but never read outside the buffer.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include "pocketinternet/mrt.h"

#define MRT_TABLE_DUMP_V2 13
enum {
	SUB_PEER_INDEX = 1,
	SUB_RIB_IPV4_UNICAST = 2,
	SUB_RIB_IPV6_UNICAST = 4,
	SUB_RIB_IPV4_UNICAST_ADDPATH = 8,
	SUB_RIB_IPV6_UNICAST_ADDPATH = 10,
};
#define ATTR_AS_PATH 2
#define ATTR_FLAG_EXTLEN 0x10
#define SEG_AS_SEQUENCE 2

struct cur {
	const uint8_t *p;
	size_t left;
	size_t off; /* offset in the whole file, for messages */
};

static bool take(struct cur *c, size_t n, const uint8_t **out)
{
	if (c->left < n)
		return false;
	if (out)
		*out = c->p;
	c->p += n;
	c->left -= n;
	c->off += n;
	return true;
}

static bool get8(struct cur *c, uint32_t *v)
{
	const uint8_t *b;
	if (!take(c, 1, &b))
		return false;
	*v = b[0];
	return true;
}

static bool get16(struct cur *c, uint32_t *v)
{
	const uint8_t *b;
	if (!take(c, 2, &b))
		return false;
	*v = (uint32_t)b[0] << 8 | b[1];
	return true;
}

static bool get32(struct cur *c, uint32_t *v)
{
	const uint8_t *b;
	if (!take(c, 4, &b))
		return false;
	*v = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
	return true;
}

static int fail(char *err, size_t errlen, size_t off, const char *what)
{
	if (err && errlen)
		snprintf(err, errlen, "byte %zu: %s", off, what);
	return -EINVAL;
}

/* The AS_SEQUENCE ASNs of an AS_PATH value (4-byte ASNs: RFC 6396 4.3.4).
 * -1: malformed, -2: too long, else the count. */
static int parse_path(const uint8_t *v, size_t len, uint32_t *path)
{
	struct cur c = { v, len, 0 };
	int n = 0;
	while (c.left) {
		uint32_t type, cnt, asn;
		if (!get8(&c, &type) || !get8(&c, &cnt))
			return -1;
		for (uint32_t i = 0; i < cnt; i++) {
			if (!get32(&c, &asn))
				return -1;
			if (type != SEG_AS_SEQUENCE)
				continue;
			if (n == PI_MRT_MAX_PATH)
				return -2;
			path[n++] = asn;
		}
	}
	return n;
}

/* The AS_PATH of one attribute block: its count, 0 when absent, -1 malformed, -2 too long. */
static int find_path(const uint8_t *a, size_t len, uint32_t *path)
{
	struct cur c = { a, len, 0 };
	while (c.left) {
		uint32_t flags, type, alen;
		const uint8_t *v;
		if (!get8(&c, &flags) || !get8(&c, &type))
			return -1;
		if (!((flags & ATTR_FLAG_EXTLEN) ? get16(&c, &alen) : get8(&c, &alen)) || !take(&c, alen, &v))
			return -1;
		if (type == ATTR_AS_PATH)
			return parse_path(v, alen, path);
	}
	return 0;
}

struct rib_ctx {
	pi_mrt_route_fn fn;
	void *ctx;
	struct pi_mrt_stats *st;
	char *err;
	size_t errlen;
};

/* One RIB_IPVx_UNICAST record body. */
static int read_rib(struct rib_ctx *r, struct cur *c, uint8_t family, bool addpath)
{
	uint32_t seq, plen, count;
	const uint8_t *pb;
	if (!get32(c, &seq) || !get8(c, &plen))
		return fail(r->err, r->errlen, c->off, "RIB record cut before its prefix");
	unsigned max = family == PI_AF_V4 ? 32 : 128;
	if (plen > max)
		return fail(r->err, r->errlen, c->off, "prefix length above the family's");
	if (!take(c, (plen + 7) / 8, &pb) || !get16(c, &count))
		return fail(r->err, r->errlen, c->off, "RIB record cut in its prefix");
	struct pi_prefix net = { .family = family, .len = (uint8_t)plen };
	memcpy(net.addr, pb, (plen + 7) / 8);
	net = pi_prefix_network(&net);
	uint32_t path[PI_MRT_MAX_PATH];
	int n = -3; /* no entry yet */
	for (uint32_t e = 0; e < count; e++) {
		uint32_t peer, t, pathid, alen;
		const uint8_t *a;
		if (!get16(c, &peer) || !get32(c, &t) || (addpath && !get32(c, &pathid)) || !get16(c, &alen) ||
		    !take(c, alen, &a))
			return fail(r->err, r->errlen, c->off, "RIB entry runs past its record");
		if (e == 0)
			n = find_path(a, alen, path);
		if (n == -1)
			return fail(r->err, r->errlen, c->off, "malformed path attributes");
	}
	if (n <= 0 && !(n == 0 && count)) {
		if (r->st)
			r->st->skipped++;
		return 0;
	}
	if (r->st)
		r->st->routes++;
	return r->fn ? r->fn(r->ctx, &net, path, (size_t)n) : 0;
}

int pi_mrt_read(const uint8_t *data, size_t len, pi_mrt_route_fn fn, void *ctx, struct pi_mrt_stats *st, char *err,
		size_t errlen)
{
	struct cur c = { data, len, 0 };
	struct rib_ctx r = { fn, ctx, st, err, errlen };
	if (st)
		memset(st, 0, sizeof(*st));
	if (len == 0)
		return fail(err, errlen, 0, "empty file: not an MRT dump");
	while (c.left) {
		uint32_t ts, type, sub, rlen;
		size_t at = c.off;
		if (!get32(&c, &ts) || !get16(&c, &type) || !get16(&c, &sub) || !get32(&c, &rlen))
			return fail(err, errlen, at, "MRT header cut short");
		const uint8_t *body;
		if (!take(&c, rlen, &body))
			return fail(err, errlen, at, "MRT record runs past the end of the file");
		if (st)
			st->records++;
		if (type != MRT_TABLE_DUMP_V2)
			continue;
		struct cur b = { body, rlen, at + 12 };
		int rc = 0;
		if (sub == SUB_RIB_IPV4_UNICAST || sub == SUB_RIB_IPV4_UNICAST_ADDPATH)
			rc = read_rib(&r, &b, PI_AF_V4, sub == SUB_RIB_IPV4_UNICAST_ADDPATH);
		else if (sub == SUB_RIB_IPV6_UNICAST || sub == SUB_RIB_IPV6_UNICAST_ADDPATH)
			rc = read_rib(&r, &b, PI_AF_V6, sub == SUB_RIB_IPV6_UNICAST_ADDPATH);
		if (rc)
			return rc;
	}
	return 0;
}
