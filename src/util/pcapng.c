/* pcapng: pcapng and classic pcap blocks, and a streaming writer (see pcapng.h). */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include "pocketinternet/pcapng.h"

#define BT_SHB 0x0A0D0D0Au
#define BT_IDB 0x00000001u
#define BT_EPB 0x00000006u
#define BYTE_ORDER_MAGIC 0x1A2B3C4Du
#define PCAP_NS_MAGIC 0xA1B23C4Du

#define OPT_END 0
#define OPT_SHB_USERAPPL 4
#define OPT_IF_NAME 2
#define OPT_IF_DESCRIPTION 3
#define OPT_IF_TSRESOL 9
#define OPT_EPB_FLAGS 2

/* Option values are at most this long (longer names are cut). */
#define OPT_MAX 1024

static void put16(struct pi_buf *b, uint16_t v)
{
	pi_buf_write(b, &v, sizeof(v));
}

static void put32(struct pi_buf *b, uint32_t v)
{
	pi_buf_write(b, &v, sizeof(v));
}

static void pad4(struct pi_buf *b, size_t n)
{
	static const uint8_t zero[4];
	if (n % 4)
		pi_buf_write(b, zero, 4 - n % 4);
}

static void option(struct pi_buf *b, uint16_t code, const void *val, size_t len)
{
	if (len > OPT_MAX)
		len = OPT_MAX;
	put16(b, code);
	put16(b, (uint16_t)len);
	pi_buf_write(b, val, len);
	pad4(b, len);
}

static void option_str(struct pi_buf *b, uint16_t code, const char *s)
{
	if (s && *s)
		option(b, code, s, strlen(s));
}

/* Starts a block: type and a length patched by block_end. */
static size_t block_begin(struct pi_buf *b, uint32_t type)
{
	size_t at = b->len;
	put32(b, type);
	put32(b, 0);
	return at;
}

static void block_end(struct pi_buf *b, size_t at)
{
	uint32_t total = (uint32_t)(b->len - at + 4);
	memcpy(b->data + at + 4, &total, 4);
	put32(b, total);
}

void pi_pcapng_shb(struct pi_buf *out, const char *app)
{
	size_t at = block_begin(out, BT_SHB);
	put32(out, BYTE_ORDER_MAGIC);
	put16(out, 1); /* major */
	put16(out, 0); /* minor */
	uint64_t unknown = UINT64_MAX; /* section length -1: not given (we stream) */
	pi_buf_write(out, &unknown, sizeof(unknown));
	option_str(out, OPT_SHB_USERAPPL, app);
	put32(out, OPT_END);
	block_end(out, at);
}

void pi_pcapng_idb(struct pi_buf *out, uint16_t linktype, uint32_t snaplen, const char *name, const char *descr)
{
	static const uint8_t tsresol = 9; /* 10^-9 s */
	size_t at = block_begin(out, BT_IDB);
	put16(out, linktype);
	put16(out, 0);
	put32(out, snaplen);
	option_str(out, OPT_IF_NAME, name);
	option_str(out, OPT_IF_DESCRIPTION, descr);
	option(out, OPT_IF_TSRESOL, &tsresol, 1);
	put32(out, OPT_END);
	block_end(out, at);
}

void pi_pcapng_epb(struct pi_buf *out, uint32_t iface, uint64_t ts_ns, const void *data, uint32_t caplen,
		   uint32_t len, uint32_t flags)
{
	size_t at = block_begin(out, BT_EPB);
	put32(out, iface);
	put32(out, (uint32_t)(ts_ns >> 32));
	put32(out, (uint32_t)ts_ns);
	put32(out, caplen);
	put32(out, len < caplen ? caplen : len);
	pi_buf_write(out, data, caplen);
	pad4(out, caplen);
	if (flags) {
		option(out, OPT_EPB_FLAGS, &flags, sizeof(flags));
		put32(out, OPT_END);
	}
	block_end(out, at);
}

void pi_pcap_header(struct pi_buf *out, uint16_t linktype, uint32_t snaplen)
{
	put32(out, PCAP_NS_MAGIC);
	put16(out, 2);
	put16(out, 4);
	put32(out, 0); /* thiszone */
	put32(out, 0); /* sigfigs */
	put32(out, snaplen);
	put32(out, linktype);
}

void pi_pcap_record(struct pi_buf *out, uint64_t ts_ns, const void *data, uint32_t caplen, uint32_t len)
{
	put32(out, (uint32_t)(ts_ns / 1000000000u));
	put32(out, (uint32_t)(ts_ns % 1000000000u));
	put32(out, caplen);
	put32(out, len < caplen ? caplen : len);
	pi_buf_write(out, data, caplen);
}

/* Hands the buffer to the callback and empties it. */
static int flush(struct pi_pcap_writer *w)
{
	if (w->err)
		return w->err;
	int rc = w->write(w->ctx, w->buf.data, w->buf.len);
	if (rc)
		w->err = rc;
	else
		w->bytes += w->buf.len;
	pi_buf_reset(&w->buf);
	return rc;
}

int pi_pcap_writer_begin(struct pi_pcap_writer *w, bool classic, const char *app, const struct pi_pcap_iface *ifaces,
			 size_t n, pi_pcap_write_fn write, void *ctx)
{
	memset(w, 0, sizeof(*w));
	pi_buf_init(&w->buf);
	w->classic = classic;
	w->write = write;
	w->ctx = ctx;
	w->n_ifaces = n;
	if (classic && n != 1)
		return w->err = -EINVAL;
	if (classic) {
		pi_pcap_header(&w->buf, ifaces[0].linktype,
			       ifaces[0].snaplen ? ifaces[0].snaplen : PI_PCAP_SNAPLEN_DEFAULT);
		return flush(w);
	}
	pi_pcapng_shb(&w->buf, app);
	for (size_t i = 0; i < n; i++)
		pi_pcapng_idb(&w->buf, ifaces[i].linktype,
			      ifaces[i].snaplen ? ifaces[i].snaplen : PI_PCAP_SNAPLEN_DEFAULT, ifaces[i].name,
			      ifaces[i].descr);
	return flush(w);
}

int pi_pcap_writer_packet(struct pi_pcap_writer *w, uint32_t iface, uint64_t ts_ns, const void *data,
			  uint32_t caplen, uint32_t len, uint32_t flags)
{
	if (w->err)
		return w->err;
	if (iface >= w->n_ifaces)
		return -EINVAL;
	if (w->classic)
		pi_pcap_record(&w->buf, ts_ns, data, caplen, len);
	else
		pi_pcapng_epb(&w->buf, iface, ts_ns, data, caplen, len, flags);
	int rc = flush(w);
	if (!rc)
		w->packets++;
	return rc;
}

void pi_pcap_writer_free(struct pi_pcap_writer *w)
{
	pi_buf_free(&w->buf);
}

int pi_pcap_write_fd(void *ctx, const void *data, size_t len)
{
	int fd = *(const int *)ctx;
	const char *p = data;
	while (len) {
		ssize_t k = write(fd, p, len);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -errno;
		p += k;
		len -= (size_t)k;
	}
	return 0;
}
