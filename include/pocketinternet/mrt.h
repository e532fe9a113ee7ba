/*
 * mrt: a reader of MRT TABLE_DUMP_V2 RIB dumps (RFC 6396), the files route
 * collectors publish (RIPE RIS bview, RouteViews rib) and `bgpdump` reads.
 * Part of util: bytes in, routes out, no I/O. Only what replaying a table
 * needs is read: each prefix of RIB_IPV4_UNICAST and RIB_IPV6_UNICAST
 * records (and their ADD-PATH variants) with the AS_PATH of its first RIB
 * entry. Other record types are skipped. The input is untrusted: every
 * length is checked against what is left (a fuzz target covers it).
 */
#ifndef POCKETINTERNET_MRT_H
#define POCKETINTERNET_MRT_H

#include <stddef.h>
#include <stdint.h>
#include "prefix.h"

/* AS_SEQUENCE ASNs kept per route; a longer path is skipped (counted). */
#define PI_MRT_MAX_PATH 64

struct pi_mrt_stats {
	uint64_t records;   /* MRT records read */
	uint64_t routes;    /* routes handed to the callback */
	uint64_t skipped;   /* prefixes with no RIB entry or a path over PI_MRT_MAX_PATH */
};

/* Called once per prefix: path[0] is the neighbour the collector heard it
 * from, path[n-1] the origin; AS_SET segments are left out (n 0: an entry with no AS_PATH). Nonzero stops. */
typedef int (*pi_mrt_route_fn)(void *ctx, const struct pi_prefix *net, const uint32_t *path, size_t n);

/*
 * Reads a whole dump. 0, the callback's nonzero value, or -EINVAL when the
 * data is not MRT or a record is cut or malformed; err (may be NULL) then
 * says where: "byte 1234: RIB entry runs past its record". st may be NULL.
 */
int pi_mrt_read(const uint8_t *data, size_t len, pi_mrt_route_fn fn, void *ctx, struct pi_mrt_stats *st, char *err,
		size_t errlen);

#endif
