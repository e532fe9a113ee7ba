/*
 * rng: splitmix64. Chosen over rand()/random() because plans must be
 * byte-identical for a seed on every libc and platform.
 */
#include "pocketinternet/util.h"

void pi_rng_seed(struct pi_rng *r, uint64_t seed)
{
	r->s = seed ^ 0x9e3779b97f4a7c15ull;
}

uint64_t pi_rng_next(struct pi_rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

uint32_t pi_rng_below(struct pi_rng *r, uint32_t n)
{
	if (n <= 1)
		return 0;
	/* Rejection sampling: no modulo bias, still deterministic. */
	uint64_t limit = UINT64_MAX - UINT64_MAX % n;
	uint64_t x;
	do
		x = pi_rng_next(r);
	while (x >= limit);
	return (uint32_t)(x % n);
}

uint64_t pi_hash64(const void *p, size_t n, uint64_t seed)
{
	const unsigned char *s = p;
	uint64_t h = 0xcbf29ce484222325ull ^ seed;
	for (size_t i = 0; i < n; i++) {
		h ^= s[i];
		h *= 0x100000001b3ull;
	}
	/* Final avalanche so nearby names give unrelated values. */
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	return h;
}
