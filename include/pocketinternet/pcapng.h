/*
 * pcapng: writing packet captures, as pcapng (several interfaces, each with
 * its name, nanosecond timestamps) or classic pcap (one interface, the
 * nanosecond variant, magic 0xa1b23c4d).
 *
 * libpcap reads both but writes only classic pcap (pcap_dump), with one
 * link type and no interface names, so the writer is our own: pure
 * functions that append one block (or the file header) to a pi_buf, and a
 * small streaming writer over them that hands each block to a callback at
 * once, so a reader on a pipe (tshark -r -, wireshark -k -i -) sees every
 * packet as soon as it is written. Blocks are in host byte order, which the
 * Section Header Block's byte-order magic declares (pcapng), or the magic
 * itself (pcap). Formats: draft-ietf-opsawg-pcapng, draft-ietf-opsawg-pcap.
 */
#ifndef POCKETINTERNET_PCAPNG_H
#define POCKETINTERNET_PCAPNG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "util.h"

#define PI_PCAP_LINKTYPE_ETHERNET 1
#define PI_PCAP_SNAPLEN_DEFAULT 262144u
/* epb_flags direction bits */
#define PI_PCAPNG_INBOUND 1u
#define PI_PCAPNG_OUTBOUND 2u

/* ---- blocks (pure: each appends to out) ---- */

/* Section Header Block; app (may be NULL) goes in shb_userappl. */
void pi_pcapng_shb(struct pi_buf *out, const char *app);
/* Interface Description Block with if_name, if_description (either may be
 * NULL or "") and if_tsresol 9 (nanoseconds). Interfaces are numbered by
 * the order of their IDBs, from 0. */
void pi_pcapng_idb(struct pi_buf *out, uint16_t linktype, uint32_t snaplen, const char *name, const char *descr);
/* Enhanced Packet Block: caplen bytes of data, a packet of len bytes on the
 * wire, ts_ns nanoseconds since the epoch; flags (PI_PCAPNG_INBOUND/
 * OUTBOUND, 0: none) as epb_flags. */
void pi_pcapng_epb(struct pi_buf *out, uint32_t iface, uint64_t ts_ns, const void *data, uint32_t caplen,
		   uint32_t len, uint32_t flags);
/* The classic pcap file header (nanosecond timestamps). */
void pi_pcap_header(struct pi_buf *out, uint16_t linktype, uint32_t snaplen);
/* One classic pcap record. */
void pi_pcap_record(struct pi_buf *out, uint64_t ts_ns, const void *data, uint32_t caplen, uint32_t len);

/* ---- a streaming writer ---- */

/* Takes len bytes; 0 or -errno (the writer stops at the first failure). */
typedef int (*pi_pcap_write_fn)(void *ctx, const void *data, size_t len);

struct pi_pcap_iface {
	const char *name;  /* if_name, e.g. "transit1-border1:eth1" */
	const char *descr; /* if_description, or NULL */
	uint16_t linktype; /* PI_PCAP_LINKTYPE_ETHERNET */
	uint32_t snaplen;  /* 0: PI_PCAP_SNAPLEN_DEFAULT */
};
/* libpcap (so tcpdump) reads a pcapng file only when all its interfaces
 * share the first one's link type and snaplen; Wireshark reads any. */

struct pi_pcap_writer {
	bool classic; /* pcap instead of pcapng */
	pi_pcap_write_fn write;
	void *ctx;
	size_t n_ifaces;
	struct pi_buf buf;
	uint64_t packets, bytes; /* written so far */
	int err;                 /* the first write failure, sticky */
};

/* Writes the header: pcapng's SHB and one IDB per interface, or (classic)
 * the pcap header, which needs exactly n == 1 (else -EINVAL, nothing
 * written). 0 or the write callback's error. Free with pi_pcap_writer_free. */
int pi_pcap_writer_begin(struct pi_pcap_writer *w, bool classic, const char *app, const struct pi_pcap_iface *ifaces,
			 size_t n, pi_pcap_write_fn write, void *ctx);
/* One packet on interface iface (its index in begin's list; -EINVAL for
 * another), written at once through the callback. 0 or -errno (also every
 * call after a write failure). */
int pi_pcap_writer_packet(struct pi_pcap_writer *w, uint32_t iface, uint64_t ts_ns, const void *data,
			  uint32_t caplen, uint32_t len, uint32_t flags);
void pi_pcap_writer_free(struct pi_pcap_writer *w);

/* A pi_pcap_write_fn for a file descriptor: ctx points to an int fd.
 * Writes everything (retrying short writes and EINTR); -errno, e.g. -EPIPE
 * when the reader of a pipe went away. */
int pi_pcap_write_fd(void *ctx, const void *data, size_t len);

#endif
