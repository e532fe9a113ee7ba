/*
 * prefix: address arithmetic on a 128-bit integer view of the address
 * (IPv4 uses the low 32 bits). unsigned __int128 is a GCC/Clang extension;
 * both compilers we build with have it, and it keeps the carry logic trivial.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "pocketinternet/prefix.h"
#include "pocketinternet/util.h"

typedef unsigned __int128 u128;

static u128 to_int(const struct pi_prefix *p)
{
	u128 v = 0;
	unsigned n = p->family == PI_AF_V4 ? 4 : 16;
	for (unsigned i = 0; i < n; i++)
		v = (v << 8) | p->addr[i];
	return v;
}

static void from_int(struct pi_prefix *p, u128 v)
{
	unsigned n = p->family == PI_AF_V4 ? 4 : 16;
	memset(p->addr, 0, sizeof(p->addr));
	for (unsigned i = 0; i < n; i++) {
		p->addr[n - 1 - i] = (uint8_t)(v & 0xff);
		v >>= 8;
	}
}

/* Mask of the host bits for a len in a family of maxlen bits. */
static u128 host_mask(unsigned maxlen, unsigned len)
{
	unsigned bits = maxlen - len;
	if (bits == 0)
		return 0;
	if (bits >= 128)
		return ~(u128)0;
	return ((u128)1 << bits) - 1;
}

int pi_prefix_parse(const char *s, struct pi_prefix *out)
{
	char buf[PI_PREFIX_STRLEN];
	size_t n = strlen(s);
	if (n == 0 || n >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, n + 1);
	char *slash = strchr(buf, '/');
	long len = -1;
	if (slash) {
		*slash = '\0';
		char *end;
		if (!slash[1] || slash[1] == '-' || slash[1] == '+')
			return -EINVAL;
		errno = 0;
		len = strtol(slash + 1, &end, 10);
		if (*end || errno)
			return -EINVAL;
	}
	memset(out, 0, sizeof(*out));
	if (strchr(buf, ':')) {
		if (inet_pton(AF_INET6, buf, out->addr) != 1)
			return -EINVAL;
		out->family = PI_AF_V6;
	} else {
		if (inet_pton(AF_INET, buf, out->addr) != 1)
			return -EINVAL;
		out->family = PI_AF_V4;
	}
	unsigned max = pi_prefix_maxlen(out);
	if (len < 0)
		len = slash ? -1 : (long)max;
	if (len < 0 || len > (long)max) {
		memset(out, 0, sizeof(*out));
		return -EINVAL;
	}
	out->len = (uint8_t)len;
	return 0;
}

char *pi_prefix_fmt_addr(const struct pi_prefix *p, char *buf)
{
	if (!p->family) {
		strcpy(buf, "-");
		return buf;
	}
	inet_ntop(p->family == PI_AF_V4 ? AF_INET : AF_INET6, p->addr, buf, PI_PREFIX_STRLEN);
	return buf;
}

char *pi_prefix_fmt(const struct pi_prefix *p, char *buf)
{
	pi_prefix_fmt_addr(p, buf);
	if (p->family) {
		size_t n = strlen(buf);
		snprintf(buf + n, PI_PREFIX_STRLEN - n, "/%u", p->len);
	}
	return buf;
}

struct pi_prefix pi_prefix_network(const struct pi_prefix *p)
{
	struct pi_prefix r = *p;
	from_int(&r, to_int(p) & ~host_mask(pi_prefix_maxlen(p), p->len));
	return r;
}

bool pi_prefix_has_host_bits(const struct pi_prefix *p)
{
	return (to_int(p) & host_mask(pi_prefix_maxlen(p), p->len)) != 0;
}

bool pi_prefix_contains(const struct pi_prefix *a, const struct pi_prefix *b)
{
	if (a->family != b->family || b->len < a->len)
		return false;
	u128 m = ~host_mask(pi_prefix_maxlen(a), a->len);
	return (to_int(a) & m) == (to_int(b) & m);
}

bool pi_prefix_overlaps(const struct pi_prefix *a, const struct pi_prefix *b)
{
	return pi_prefix_contains(a, b) || pi_prefix_contains(b, a);
}

int pi_prefix_cmp(const struct pi_prefix *a, const struct pi_prefix *b)
{
	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	int c = memcmp(a->addr, b->addr, sizeof(a->addr));
	if (c)
		return c < 0 ? -1 : 1;
	return a->len < b->len ? -1 : a->len > b->len;
}

bool pi_prefix_equal(const struct pi_prefix *a, const struct pi_prefix *b)
{
	return pi_prefix_cmp(a, b) == 0;
}

int pi_prefix_subnet(const struct pi_prefix *p, unsigned newlen, uint64_t index, struct pi_prefix *out)
{
	unsigned max = pi_prefix_maxlen(p);
	if (newlen < p->len || newlen > max)
		return -ERANGE;
	if (newlen - p->len < 64 && index >> (newlen - p->len))
		return -ERANGE;
	struct pi_prefix net = pi_prefix_network(p);
	u128 step = (u128)1 << (max - newlen);
	*out = net;
	from_int(out, to_int(&net) + step * index);
	out->len = (uint8_t)newlen;
	return 0;
}

int pi_prefix_host(const struct pi_prefix *p, uint64_t n, struct pi_prefix *out)
{
	u128 hm = host_mask(pi_prefix_maxlen(p), p->len);
	if ((u128)n > hm)
		return -ERANGE;
	struct pi_prefix net = pi_prefix_network(p);
	*out = net;
	from_int(out, to_int(&net) + n);
	return 0;
}

struct pi_prefix pi_prefix_as_host(const struct pi_prefix *p)
{
	struct pi_prefix r = *p;
	r.len = (uint8_t)pi_prefix_maxlen(p);
	return r;
}

uint64_t pi_prefix_count(const struct pi_prefix *p, unsigned newlen)
{
	if (newlen < p->len || newlen > pi_prefix_maxlen(p))
		return 0;
	unsigned bits = newlen - p->len;
	return bits >= 64 ? UINT64_MAX : (uint64_t)1 << bits;
}

unsigned pi_prefix_len_for(unsigned family, uint64_t n)
{
	unsigned max = family == PI_AF_V4 ? 32 : 128;
	unsigned bits = 0;
	while (bits < 64 && ((uint64_t)1 << bits) < n)
		bits++;
	return bits > max ? 0 : max - bits;
}

char *pi_prefix_ptr_name(const struct pi_prefix *a, char *buf, unsigned bufsz)
{
	size_t off = 0;
	buf[0] = '\0';
	if (a->family == PI_AF_V4) {
		snprintf(buf, bufsz, "%u.%u.%u.%u.in-addr.arpa.", a->addr[3], a->addr[2], a->addr[1], a->addr[0]);
		return buf;
	}
	static const char hex[] = "0123456789abcdef";
	for (int i = 15; i >= 0 && off + 4 < bufsz; i--) {
		buf[off++] = hex[a->addr[i] & 0xf];
		buf[off++] = '.';
		buf[off++] = hex[a->addr[i] >> 4];
		buf[off++] = '.';
	}
	buf[off] = '\0';
	snprintf(buf + off, bufsz - off, "ip6.arpa.");
	return buf;
}

char *pi_prefix_rev_zone(const struct pi_prefix *p, char *buf, unsigned bufsz)
{
	size_t off = 0;
	buf[0] = '\0';
	if (p->family == PI_AF_V4) {
		for (int i = (int)p->len / 8 - 1; i >= 0; i--)
			off += (size_t)snprintf(buf + off, bufsz - off, "%u.", p->addr[i]);
		snprintf(buf + off, bufsz - off, "in-addr.arpa.");
		return buf;
	}
	static const char hex[] = "0123456789abcdef";
	for (int nib = (int)p->len / 4 - 1; nib >= 0 && off + 3 < bufsz; nib--) {
		uint8_t byte = p->addr[nib / 2];
		buf[off++] = hex[nib % 2 ? byte & 0xf : byte >> 4];
		buf[off++] = '.';
	}
	buf[off] = '\0';
	snprintf(buf + off, bufsz - off, "ip6.arpa.");
	return buf;
}

/* Kept in one place: render prints them into every router's filters and the
 * loader warns about announcements they would drop. */
static const char *const bogons4[] = {
	"0.0.0.0/8",	  "10.0.0.0/8",	    "100.64.0.0/10",   "127.0.0.0/8",	 "169.254.0.0/16",
	"172.16.0.0/12",  "192.0.0.0/24",   "192.0.2.0/24",    "192.168.0.0/16", "198.18.0.0/15",
	"198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4",	"240.0.0.0/4",
};
static const char *const bogons6[] = {
	"::/8",	      "100::/64",   "2001:2::/48", "2001:10::/28", "2001:db8::/32", "2002::/16",
	"3ffe::/16", "fc00::/7",    "fe80::/10",   "fec0::/10",	   "ff00::/8",
};

const char *const *pi_bogons(unsigned family, size_t *n_out)
{
	*n_out = family == PI_AF_V4 ? PI_ARRAY_LEN(bogons4) : PI_ARRAY_LEN(bogons6);
	return family == PI_AF_V4 ? bogons4 : bogons6;
}

const char *pi_prefix_bogon(const struct pi_prefix *p)
{
	size_t n;
	const char *const *list = pi_bogons(p->family, &n);
	for (size_t i = 0; i < n; i++) {
		struct pi_prefix b;
		if (pi_prefix_parse(list[i], &b) == 0 && pi_prefix_contains(&b, p))
			return list[i];
	}
	return NULL;
}
