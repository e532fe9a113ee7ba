/*
 * stable: what makes a plan stable when the lab grows or shrinks
 * (docs/plan.md, "Stable plans and pins"). Choices that belong to one pod
 * draw from that pod's own stream, keyed by (seed, pod name); positions
 * (address blocks, IXP host numbers, border routers) are keyed by a hash of
 * the names involved instead of an index, so another pod coming or going
 * does not renumber this one. The placer is the one allocator for hashed
 * positions: aligned blocks, probed forward from the key's position.
 */
#include <errno.h>
#include <string.h>
#include "internal.h"

uint64_t pl_mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	x ^= x >> 31;
	return x;
}

uint64_t pl_key(uint64_t seed, const char *tag, const char *name)
{
	uint64_t h = pi_hash64(tag, strlen(tag), pl_mix64(seed));
	return pl_mix64(pi_hash64(name, strlen(name), h));
}

void pl_pod_rng(const struct pl_ctx *c, uint32_t pod, uint64_t tag, struct pi_rng *r)
{
	pi_rng_seed(r, pl_mix64(c->px[pod].key ^ pl_mix64(tag)));
}

uint32_t pl_node_named(const struct pl_ctx *c, const char *name)
{
	uint32_t n = pl_map_get(&c->names, name);
	if (n == PI_NONE || n >= c->plan->n_nodes || strcmp(c->plan->nodes[n].name, name) != 0)
		return PI_NONE;
	return n;
}

/* Bits [from, to) of an address (to - from <= 64). */
static uint64_t addr_bits(const uint8_t *a, unsigned from, unsigned to)
{
	uint64_t v = 0;
	for (unsigned b = from; b < to; b++)
		v = (v << 1) | ((a[b / 8] >> (7 - b % 8)) & 1u);
	return v;
}

void pl_placer_init(struct pl_placer *pl, const struct pi_prefix *space, unsigned unit_len)
{
	memset(pl, 0, sizeof(*pl));
	pl->space = pi_prefix_network(space);
	pl->unit_len = unit_len;
	pl->n_units = unit_len >= space->len ? pi_prefix_count(space, unit_len) : 0;
	pl_set64_init(&pl->used, 64);
}

void pl_placer_free(struct pl_placer *pl) { pl_set64_free(&pl->used); }

static bool block_free(const struct pl_placer *pl, uint64_t first, uint64_t n)
{
	for (uint64_t u = first; u < first + n; u++)
		if (pl_set64_has(&pl->used, u + 1))
			return false;
	return true;
}

static void block_mark(struct pl_placer *pl, uint64_t first, uint64_t n)
{
	for (uint64_t u = first; u < first + n; u++)
		pl_set64_add(&pl->used, u + 1);
}

bool pl_placer_reserve(struct pl_placer *pl, const struct pi_prefix *p)
{
	if (!pi_prefix_is_set(p) || p->family != pl->space.family || p->len > pl->unit_len || p->len < pl->space.len ||
	    !pi_prefix_contains(&pl->space, p) || pi_prefix_has_host_bits(p))
		return false;
	uint64_t n = (uint64_t)1 << (pl->unit_len - p->len);
	uint64_t first = addr_bits(p->addr, pl->space.len, pl->unit_len);
	if (!block_free(pl, first, n))
		return false;
	block_mark(pl, first, n);
	return true;
}

int pl_placer_take(struct pl_placer *pl, unsigned len, uint64_t key, struct pi_prefix *out)
{
	if (len > pl->unit_len || len < pl->space.len || pl->unit_len - len >= 63)
		return -ENOSPC;
	uint64_t n = (uint64_t)1 << (pl->unit_len - len);
	uint64_t slots = pl->n_units / n;
	if (slots == 0)
		return -ENOSPC;
	uint64_t start = pl_mix64(key) % slots;
	for (uint64_t i = 0; i < slots; i++) {
		uint64_t s = (start + i) % slots;
		if (!block_free(pl, s * n, n))
			continue;
		block_mark(pl, s * n, n);
		return pi_prefix_subnet(&pl->space, len, s, out) ? -ENOSPC : 0;
	}
	return -ENOSPC;
}

void pl_placer_last(const struct pl_placer *pl, struct pi_prefix *out)
{
	pi_prefix_subnet(&pl->space, pl->unit_len, pl->n_units - 1, out);
}
