/*
 * alloc: an aligned bump allocator over one prefix. Each request is placed
 * at the next address aligned to its size, so prefixes never overlap;
 * requesting largest first leaves no holes.
 */
#include <errno.h>
#include <string.h>
#include "pocketinternet/prefix.h"

typedef unsigned __int128 u128;

static u128 addr_int(const uint8_t *a, unsigned family)
{
	u128 v = 0;
	unsigned n = family == PI_AF_V4 ? 4 : 16;
	for (unsigned i = 0; i < n; i++)
		v = (v << 8) | a[i];
	return v;
}

static void addr_set(uint8_t *a, unsigned family, u128 v)
{
	unsigned n = family == PI_AF_V4 ? 4 : 16;
	memset(a, 0, 16);
	for (unsigned i = n; i-- > 0;) {
		a[i] = (uint8_t)v;
		v >>= 8;
	}
}

static u128 span(unsigned maxlen, unsigned len)
{
	unsigned bits = maxlen - len;
	return bits >= 128 ? 0 /* whole space: callers never allocate it */ : (u128)1 << bits;
}

void pi_alloc_init(struct pi_alloc *a, const struct pi_prefix *pool)
{
	memset(a, 0, sizeof(*a));
	a->pool = pi_prefix_network(pool);
	memcpy(a->next, a->pool.addr, sizeof(a->next));
}

int pi_alloc_take(struct pi_alloc *a, unsigned len, struct pi_prefix *out)
{
	unsigned max = pi_prefix_maxlen(&a->pool);
	if (len < a->pool.len || len > max || a->full)
		return -ENOSPC;
	u128 base = addr_int(a->pool.addr, a->pool.family);
	u128 end = base + span(max, a->pool.len) - 1; /* last address in the pool */
	u128 size = span(max, len);
	u128 next = addr_int(a->next, a->pool.family);
	u128 start = (next + size - 1) & ~(size - 1);
	if (start < next || start > end || end - start < size - 1)
		return -ENOSPC;
	memset(out, 0, sizeof(*out));
	out->family = a->pool.family;
	out->len = (uint8_t)len;
	addr_set(out->addr, out->family, start);
	u128 after = start + size;
	if (after - 1 == end)
		a->full = true;
	else
		addr_set(a->next, a->pool.family, after);
	return 0;
}

uint64_t pi_alloc_remaining(const struct pi_alloc *a)
{
	if (a->full)
		return 0;
	unsigned max = pi_prefix_maxlen(&a->pool);
	u128 base = addr_int(a->pool.addr, a->pool.family);
	u128 total = span(max, a->pool.len);
	u128 used = addr_int(a->next, a->pool.family) - base;
	u128 left = total - used;
	return left > UINT64_MAX ? UINT64_MAX : (uint64_t)left;
}
