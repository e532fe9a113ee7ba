/*
 * prefix: IPv4/IPv6 addresses and prefixes, and the arithmetic the
 * allocator needs. One type for both families: an address is a prefix whose
 * len is the family's full length; an interface address keeps its host bits
 * and the subnet's len (e.g. 10.0.0.1/31).
 */
#ifndef POCKETINTERNET_PREFIX_H
#define POCKETINTERNET_PREFIX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PI_AF_V4 4
#define PI_AF_V6 6

struct pi_prefix {
	uint8_t family; /* PI_AF_V4, PI_AF_V6 or 0 when unset */
	uint8_t len;
	uint8_t addr[16]; /* network byte order; v4 uses addr[0..3] */
};

/* Longest textual form, "ffff:...:ffff/128" plus NUL. */
#define PI_PREFIX_STRLEN 64

static inline unsigned pi_prefix_maxlen(const struct pi_prefix *p)
{
	return p->family == PI_AF_V4 ? 32 : 128;
}
static inline bool pi_prefix_is_set(const struct pi_prefix *p) { return p->family != 0; }

/* "10.0.0.0/8", "2001:db8::/32"; a bare address gets the full length.
 * Returns 0 or -EINVAL. Host bits are kept as written. */
int pi_prefix_parse(const char *s, struct pi_prefix *out);
/* Writes "addr/len" into buf (PI_PREFIX_STRLEN). Returns buf. */
char *pi_prefix_fmt(const struct pi_prefix *p, char *buf);
/* Writes only the address, no "/len". Returns buf. */
char *pi_prefix_fmt_addr(const struct pi_prefix *p, char *buf);

/* Clears host bits. */
struct pi_prefix pi_prefix_network(const struct pi_prefix *p);
bool pi_prefix_has_host_bits(const struct pi_prefix *p);
/* a contains b (b at least as long and inside a). */
bool pi_prefix_contains(const struct pi_prefix *a, const struct pi_prefix *b);
bool pi_prefix_overlaps(const struct pi_prefix *a, const struct pi_prefix *b);
int pi_prefix_cmp(const struct pi_prefix *a, const struct pi_prefix *b);
bool pi_prefix_equal(const struct pi_prefix *a, const struct pi_prefix *b);
/* The index-th subnet of length newlen inside p. -ERANGE if it does not fit. */
int pi_prefix_subnet(const struct pi_prefix *p, unsigned newlen, uint64_t index, struct pi_prefix *out);
/* The address p + n (host number n inside p), keeping p's len. -ERANGE if outside. */
int pi_prefix_host(const struct pi_prefix *p, uint64_t n, struct pi_prefix *out);
/* Same address as p with len set to the full length (an /32 or /128). */
struct pi_prefix pi_prefix_as_host(const struct pi_prefix *p);
/* Number of subnets of length newlen in p, saturated at UINT64_MAX. */
uint64_t pi_prefix_count(const struct pi_prefix *p, unsigned newlen);
/* Smallest prefix length that holds n addresses in this family (n>=1). */
unsigned pi_prefix_len_for(unsigned family, uint64_t n);

/*
 * A first-fit, aligned bump allocator over one prefix. Requests must be
 * carved largest first for zero waste; any order is correct (alignment is
 * always respected, so nothing overlaps). Pure and deterministic.
 */
struct pi_alloc {
	struct pi_prefix pool;
	uint8_t next[16]; /* next free address (network order) */
	bool full;
};
void pi_alloc_init(struct pi_alloc *a, const struct pi_prefix *pool);
/* 0, or -ENOSPC when the pool cannot hold one more prefix of len. */
int pi_alloc_take(struct pi_alloc *a, unsigned len, struct pi_prefix *out);
/* Addresses still free, saturated at UINT64_MAX. */
uint64_t pi_alloc_remaining(const struct pi_alloc *a);

/* Reverse-DNS names. "1.0.0.10.in-addr.arpa" / nibble form for v6. */
char *pi_prefix_ptr_name(const struct pi_prefix *addr, char *buf, unsigned bufsz);
/* The reverse zone name for a prefix whose len is a multiple of 8 (v4) or 4 (v6). */
char *pi_prefix_rev_zone(const struct pi_prefix *p, char *buf, unsigned bufsz);

/* Special-purpose space (RFC 6890 and friends) that every lab router's eBGP
 * import drops unless it lies in the lab's own address space, as
 * "ADDR/LEN" strings; n_out gets the count. */
const char *const *pi_bogons(unsigned family, size_t *n_out);
/* The bogon p lies in, as its string; NULL when p is in none. */
const char *pi_prefix_bogon(const struct pi_prefix *p);

#endif
