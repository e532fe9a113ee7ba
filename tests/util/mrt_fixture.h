/* Builds small MRT TABLE_DUMP_V2 dumps in tests (RFC 6396): a peer index
 * table, then one RIB record per route, each with ORIGIN and a 4-byte
 * AS_PATH. Header-only, shared by the util and model tests. */
#ifndef PI_TEST_MRT_FIXTURE_H
#define PI_TEST_MRT_FIXTURE_H

#include <stdint.h>
#include <string.h>
#include "pocketinternet/prefix.h"
#include "pocketinternet/util.h"

static inline void mrt_put16(struct pi_buf *b, uint32_t v)
{
	uint8_t x[2] = { (uint8_t)(v >> 8), (uint8_t)v };
	pi_buf_write(b, x, 2);
}
static inline void mrt_put32(struct pi_buf *b, uint32_t v)
{
	uint8_t x[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v };
	pi_buf_write(b, x, 4);
}
static inline void mrt_put8(struct pi_buf *b, uint32_t v)
{
	uint8_t x = (uint8_t)v;
	pi_buf_write(b, &x, 1);
}

static inline void mrt_record(struct pi_buf *out, uint16_t type, uint16_t sub, const struct pi_buf *body)
{
	mrt_put32(out, 1700000000u);
	mrt_put16(out, type);
	mrt_put16(out, sub);
	mrt_put32(out, (uint32_t)body->len);
	pi_buf_write(out, body->data, body->len);
}

/* The peer index table: one IPv4 peer, AS peer_as, 4-byte ASNs. */
static inline void mrt_peer_index(struct pi_buf *out, uint32_t peer_as)
{
	struct pi_buf b;
	pi_buf_init(&b);
	mrt_put32(&b, 0x01020304);
	mrt_put16(&b, 0); /* no view name */
	mrt_put16(&b, 1);
	mrt_put8(&b, 0x02); /* IPv4 peer, 4-byte AS */
	mrt_put32(&b, 0x05060708);
	mrt_put32(&b, 0xc0000201); /* 192.0.2.1 */
	mrt_put32(&b, peer_as);
	mrt_record(out, 13, 1, &b);
	pi_buf_free(&b);
}

/* One RIB_IPV4/IPV6_UNICAST record for net (a prefix string) with path. */
static inline void mrt_rib(struct pi_buf *out, uint32_t seq, const char *net, const uint32_t *path, size_t n)
{
	struct pi_prefix p;
	pi_prefix_parse(net, &p);
	struct pi_buf b, attrs;
	pi_buf_init(&b);
	pi_buf_init(&attrs);
	mrt_put8(&attrs, 0x40); /* ORIGIN IGP */
	mrt_put8(&attrs, 1);
	mrt_put8(&attrs, 1);
	mrt_put8(&attrs, 0);
	mrt_put8(&attrs, 0x40); /* AS_PATH: one AS_SEQUENCE */
	mrt_put8(&attrs, 2);
	mrt_put8(&attrs, (uint32_t)(2 + 4 * n));
	mrt_put8(&attrs, 2);
	mrt_put8(&attrs, (uint32_t)n);
	for (size_t i = 0; i < n; i++)
		mrt_put32(&attrs, path[i]);
	mrt_put32(&b, seq);
	mrt_put8(&b, p.len);
	pi_buf_write(&b, p.addr, (p.len + 7u) / 8);
	mrt_put16(&b, 1);
	mrt_put16(&b, 0);
	mrt_put32(&b, 1700000000u);
	mrt_put16(&b, (uint32_t)attrs.len);
	pi_buf_write(&b, attrs.data, attrs.len);
	mrt_record(out, 13, p.family == PI_AF_V4 ? 2 : 4, &b);
	pi_buf_free(&b);
	pi_buf_free(&attrs);
}

#endif
