/*
 * Unit tests of the pcapng/pcap writer (util/pcapng.c): files with two
 * interfaces read back by libpcap (packets, lengths, nanosecond timestamps,
 * bytes) and, when it is installed, by tshark (interface names, direction
 * flags); block framing; classic pcap; errors and streaming one block per
 * packet.
 */
#include <errno.h>
#include <pcap/pcap.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "pocketinternet/pcapng.h"

struct pkt {
	uint32_t iface;
	uint64_t ts_ns;
	uint32_t caplen, len, flags;
	uint8_t data[128];
};

static const struct pi_pcap_iface two[] = {
	{ .name = "transit1-border1:eth1", .descr = "a p2p end", .linktype = PI_PCAP_LINKTYPE_ETHERNET },
	/* libpcap reads pcapng only when every interface has the first one's link type and snaplen */
	{ .name = "bb1-core1:eth0", .linktype = PI_PCAP_LINKTYPE_ETHERNET, .snaplen = PI_PCAP_SNAPLEN_DEFAULT },
};

/* Three frames: lengths not multiples of 4, one truncated (len > caplen). */
static void make_packets(struct pkt p[3])
{
	memset(p, 0, 3 * sizeof(*p));
	p[0] = (struct pkt){ .iface = 0, .ts_ns = 1700000000123456789ull, .caplen = 60, .len = 60,
			     .flags = PI_PCAPNG_OUTBOUND };
	p[1] = (struct pkt){ .iface = 1, .ts_ns = 1700000000123457001ull, .caplen = 61, .len = 61,
			     .flags = PI_PCAPNG_INBOUND };
	p[2] = (struct pkt){ .iface = 0, .ts_ns = 1700000001000000002ull, .caplen = 100, .len = 1514 };
	for (int k = 0; k < 3; k++) {
		memset(p[k].data, 0xff, 6);               /* broadcast */
		memset(p[k].data + 6, 0x02, 6);           /* locally administered */
		p[k].data[12] = 0x88, p[k].data[13] = 0xb5; /* local experimental ethertype */
		for (uint32_t i = 14; i < p[k].caplen; i++)
			p[k].data[i] = (uint8_t)(i * 7 + (uint32_t)k);
	}
}

struct sink {
	struct pi_buf all;
	unsigned calls;
	int fail_at; /* fail the call with this number (1-based), 0 never */
};

static int sink_write(void *ctx, const void *data, size_t len)
{
	struct sink *s = ctx;
	s->calls++;
	if (s->fail_at && (int)s->calls == s->fail_at)
		return -EPIPE;
	pi_buf_write(&s->all, data, len);
	return 0;
}

static void write_file(const char *path, const struct pi_buf *b)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(b->data, 1, b->len, f), b->len);
	assert_int_equal(fclose(f), 0);
}

static void write_pcapng(struct sink *s, bool classic, const struct pkt *p, size_t n)
{
	struct pi_pcap_writer w;
	assert_int_equal(pi_pcap_writer_begin(&w, classic, "pocketinternet test", two, classic ? 1 : 2, sink_write, s),
			 0);
	for (size_t k = 0; k < n; k++)
		assert_int_equal(pi_pcap_writer_packet(&w, p[k].iface, p[k].ts_ns, p[k].data, p[k].caplen, p[k].len,
						       p[k].flags),
				 0);
	assert_int_equal(w.packets, n);
	assert_int_equal(w.bytes, s->all.len);
	pi_pcap_writer_free(&w);
}

/* Reads path back with libpcap at nanosecond precision and compares. */
static void check_with_libpcap(const char *path, const struct pkt *p, size_t n)
{
	char err[PCAP_ERRBUF_SIZE];
	pcap_t *pc = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, err);
	if (!pc)
		fail_msg("libpcap cannot read %s: %s", path, err);
	assert_int_equal(pcap_datalink(pc), DLT_EN10MB);
	struct pcap_pkthdr *h;
	const u_char *data;
	size_t k = 0;
	int rc;
	while ((rc = pcap_next_ex(pc, &h, &data)) == 1) {
		assert_true(k < n);
		assert_int_equal(h->caplen, p[k].caplen);
		assert_int_equal(h->len, p[k].len);
		assert_int_equal((uint64_t)h->ts.tv_sec, p[k].ts_ns / 1000000000u);
		assert_int_equal((uint64_t)h->ts.tv_usec, p[k].ts_ns % 1000000000u); /* nanoseconds here */
		assert_memory_equal(data, p[k].data, p[k].caplen);
		k++;
	}
	if (rc != PCAP_ERROR_BREAK) /* a clean end of file, not a read error */
		fail_msg("libpcap after %zu packets: %s", k, pcap_geterr(pc));
	assert_int_equal(k, n);
	pcap_close(pc);
}

static void test_pcapng_libpcap(void **state)
{
	(void)state;
	struct pkt p[3];
	make_packets(p);
	struct sink s = { 0 };
	pi_buf_init(&s.all);
	write_pcapng(&s, false, p, 3);
	assert_int_equal(s.calls, 1 + 3); /* the header (SHB + IDBs) at once, then one call per packet */
	char path[] = "/tmp/pi-test-pcapng-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	write_file(path, &s.all);
	check_with_libpcap(path, p, 3);
	unlink(path);
	pi_buf_free(&s.all);
}

static uint32_t get32(const struct pi_buf *b, size_t at)
{
	uint32_t v;
	memcpy(&v, b->data + at, 4);
	return v;
}

/* Walks the blocks: 4-byte aligned, leading and trailing lengths equal. */
static void test_pcapng_framing(void **state)
{
	(void)state;
	struct pkt p[3];
	make_packets(p);
	struct sink s = { 0 };
	pi_buf_init(&s.all);
	write_pcapng(&s, false, p, 3);
	static const uint32_t want[] = { 0x0A0D0D0A, 1, 1, 6, 6, 6 };
	size_t at = 0, k = 0;
	while (at < s.all.len) {
		assert_true(k < PI_ARRAY_LEN(want));
		assert_int_equal(get32(&s.all, at), want[k]);
		uint32_t len = get32(&s.all, at + 4);
		assert_int_equal(len % 4, 0);
		assert_true(at + len <= s.all.len);
		assert_int_equal(get32(&s.all, at + len - 4), len);
		if (want[k] == 6)
			assert_int_equal(get32(&s.all, at + 8), p[k - 3].iface);
		at += len;
		k++;
	}
	assert_int_equal(k, PI_ARRAY_LEN(want));
	assert_int_equal(get32(&s.all, 8), 0x1A2B3C4D);
	pi_buf_free(&s.all);
}

static void test_classic_pcap(void **state)
{
	(void)state;
	struct pkt p[3];
	make_packets(p);
	for (int k = 0; k < 3; k++)
		p[k].iface = 0;
	struct sink s = { 0 };
	pi_buf_init(&s.all);
	write_pcapng(&s, true, p, 3);
	assert_int_equal(get32(&s.all, 0), 0xA1B23C4D); /* nanosecond pcap */
	assert_int_equal(s.all.len, 24 + 3 * 16 + 60 + 61 + 100);
	char path[] = "/tmp/pi-test-pcap-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	write_file(path, &s.all);
	check_with_libpcap(path, p, 3);
	unlink(path);
	pi_buf_free(&s.all);
}

static void test_writer_errors(void **state)
{
	(void)state;
	struct sink s = { 0 };
	pi_buf_init(&s.all);
	struct pi_pcap_writer w;
	/* classic pcap holds one interface */
	assert_int_equal(pi_pcap_writer_begin(&w, true, NULL, two, 2, sink_write, &s), -EINVAL);
	assert_int_equal(s.calls, 0);
	pi_pcap_writer_free(&w);
	/* an interface that was not declared */
	assert_int_equal(pi_pcap_writer_begin(&w, false, NULL, two, 2, sink_write, &s), 0);
	uint8_t frame[60] = { 0 };
	assert_int_equal(pi_pcap_writer_packet(&w, 2, 1, frame, 60, 60, 0), -EINVAL);
	assert_int_equal(w.packets, 0);
	pi_pcap_writer_free(&w);
	/* the reader went away: the error sticks, nothing more is written */
	s.calls = 0;
	s.fail_at = 2;
	assert_int_equal(pi_pcap_writer_begin(&w, false, NULL, two, 2, sink_write, &s), 0);
	assert_int_equal(pi_pcap_writer_packet(&w, 0, 1, frame, 60, 60, 0), -EPIPE);
	assert_int_equal(pi_pcap_writer_packet(&w, 0, 2, frame, 60, 60, 0), -EPIPE);
	assert_int_equal(s.calls, 2);
	assert_int_equal(w.packets, 0);
	pi_pcap_writer_free(&w);
	pi_buf_free(&s.all);
}

/* What tshark makes of the file: interface name, length, time, direction. */
static void test_pcapng_tshark(void **state)
{
	(void)state;
	if (system("command -v tshark >/dev/null 2>&1") != 0) {
		fprintf(stderr, "test_pcapng_tshark: tshark is not installed (apt-get install tshark); "
				"the libpcap checks still ran\n");
		skip();
	}
	struct pkt p[3];
	make_packets(p);
	struct sink s = { 0 };
	pi_buf_init(&s.all);
	write_pcapng(&s, false, p, 3);
	char path[] = "/tmp/pi-test-tshark-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	write_file(path, &s.all);
	char cmd[512];
	snprintf(cmd, sizeof(cmd),
		 "tshark -r %s -T fields -E separator='|' -e frame.interface_name -e frame.interface_id "
		 "-e frame.len -e frame.cap_len -e frame.time_epoch -e frame.packet_flags_direction 2>/dev/null",
		 path);
	FILE *f = popen(cmd, "r");
	assert_non_null(f);
	char line[512];
	static const char *const want[] = {
		"transit1-border1:eth1|0|60|60|1700000000.123456789|2",
		"bb1-core1:eth0|1|61|61|1700000000.123457001|1",
		"transit1-border1:eth1|0|1514|100|1700000001.000000002|",
	};
	size_t k = 0;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = 0;
		assert_true(k < 3);
		/* Wireshark 3.x prints the direction as 0x00000002, 4.x as 2. */
		char *d = strrchr(line, '|');
		if (d && strncmp(d + 1, "0x", 2) == 0)
			snprintf(d + 1, 16, "%lu", strtoul(d + 1, NULL, 16));
		assert_string_equal(line, want[k]);
		k++;
	}
	assert_int_equal(pclose(f), 0);
	assert_int_equal(k, 3);
	unlink(path);
	pi_buf_free(&s.all);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pcapng_libpcap),
		cmocka_unit_test(test_pcapng_framing),
		cmocka_unit_test(test_classic_pcap),
		cmocka_unit_test(test_writer_errors),
		cmocka_unit_test(test_pcapng_tshark),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
