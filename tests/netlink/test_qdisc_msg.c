/*
 * qdisc messages, without the kernel (suite 'netlink', no root needed):
 * the bytes pi_nl_qdisc_msg_build produces for tbf, netem and a delete,
 * against arrays derived by hand from <linux/netlink.h>,
 * <linux/rtnetlink.h> and <linux/pkt_sched.h>; decoding them back; and the
 * netem detection against fake /sys/module and /lib/modules trees.
 *
 * Netlink is host byte order; U16/U32/U64 below spell a value's bytes in
 * it. Attributes are {u16 nla_len (header included, padding excluded), u16
 * nla_type} followed by the payload, padded to 4 bytes.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "nl_int.h"
#include "pocketinternet/impair.h"
#include "pocketinternet/netlink.h"
#include "pocketinternet/util.h"

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define U16(v) ((v) & 0xff), (((v) >> 8) & 0xff)
#define U32(v) U16((v) & 0xffff), U16(((v) >> 16) & 0xffff)
#define U64(v) U32((v) & 0xffffffffull), U32(((v) >> 32) & 0xffffffffull)
#else
#define U16(v) (((v) >> 8) & 0xff), ((v) & 0xff)
#define U32(v) U16(((v) >> 16) & 0xffff), U16((v) & 0xffff)
#define U64(v) U32(((v) >> 32) & 0xffffffffull), U32((v) & 0xffffffffull)
#endif

/* struct tcmsg (20 bytes) for ifindex 7 at the root, handle 0:
 * u8 family AF_UNSPEC, u8 pad, u16 pad, i32 ifindex, u32 handle,
 * u32 parent TC_H_ROOT = 0xffffffff, u32 info 0. */
#define TCMSG_IF7 0, 0, U16(0), U32(7), U32(0), U32(0xffffffffu), U32(0)

static void expect_bytes(const uint8_t *got, size_t gotlen, const uint8_t *want, size_t wantlen)
{
	for (size_t i = 0; i < gotlen && i < wantlen; i++) {
		if (got[i] != want[i])
			fail_msg("byte %zu: got 0x%02x, want 0x%02x", i, got[i], want[i]);
	}
	assert_int_equal(gotlen, wantlen);
}

/* Gives the message's qdisc a handle (tcmsg.tcm_handle, at offset 16 + 8):
 * one with handle 0 is the kernel's own default. */
static void set_handle(uint8_t *buf, uint32_t handle)
{
	memcpy(buf + 16 + 8, &handle, sizeof(handle));
}

static size_t build(const struct pi_impair *imp, uint8_t *buf)
{
	size_t len = 0;
	assert_int_equal(pi_nl_qdisc_msg_build(buf, PI_NL_QDISC_MSG_MAX, 7, imp, &len), 0);
	return len;
}

/*
 * netem with every field: rate 5mbit, delay 20ms, jitter 5ms, loss 1%,
 * duplicate 0.5%, corrupt 0.1%, reorder 25%.
 *  probabilities are round(ppm * 0xffffffff / 1e6), as tc's rint(p * ~0):
 *    1%    10000 ppm -> 42949672.95   -> 42949673
 *    0.5%   5000 ppm -> 21474836.475  -> 21474836
 *    0.1%   1000 ppm ->  4294967.295  ->  4294967
 *    25%  250000 ppm -> 1073741823.75 -> 1073741824
 *  legacy times are scheduler ticks, ns >> 6: 20 ms = 20000000 ns -> 312500,
 *  5 ms = 5000000 ns -> 78125; rate 5000000 bit/s = 625000 bytes/s.
 */
static void test_netem_bytes(void **state)
{
	static const uint8_t want[] = {
		/* nlmsghdr: len 144, type RTM_NEWQDISC 36, flags REQUEST 0x1 |
		 * REPLACE 0x100 | CREATE 0x400 = 0x501, seq 0, pid 0 */
		U32(144), U16(36), U16(0x501), U32(0), U32(0),
		TCMSG_IF7,                                     /* offset 16..35 */
		/* TCA_KIND (1): 4 + "netem\0" = 10, padded to 12 */
		U16(10), U16(1), 'n', 'e', 't', 'e', 'm', 0, 0, 0, /* 36..47 */
		/* TCA_OPTIONS (2), no NLA_F_NESTED: header 4 + qopt 24 +
		 * 12 + 12 + 12 + 12 + 20 = 96 */
		U16(96), U16(2),                               /* 48..51 */
		/* struct tc_netem_qopt: latency, limit, loss, gap, duplicate, jitter */
		U32(312500), U32(1000), U32(42949673), U32(1), U32(21474836), U32(78125),
		/* TCA_NETEM_LATENCY64 (10): s64 ns */
		U16(12), U16(10), U64(20000000ull),            /* 76..87 */
		/* TCA_NETEM_JITTER64 (11) */
		U16(12), U16(11), U64(5000000ull),             /* 88..99 */
		/* TCA_NETEM_REORDER (3): probability, correlation */
		U16(12), U16(3), U32(1073741824u), U32(0),     /* 100..111 */
		/* TCA_NETEM_CORRUPT (4): probability, correlation */
		U16(12), U16(4), U32(4294967u), U32(0),        /* 112..123 */
		/* TCA_NETEM_RATE (6): rate bytes/s, packet_overhead, cell_size, cell_overhead */
		U16(20), U16(6), U32(625000), U32(0), U32(0), U32(0), /* 124..143 */
	};
	struct pi_impair imp = { .rate_bps = 5000000, .delay_us = 20000, .jitter_us = 5000, .loss_ppm = 10000,
				 .duplicate_ppm = 5000, .corrupt_ppm = 1000, .reorder_ppm = 250000 };
	uint8_t buf[PI_NL_QDISC_MSG_MAX];
	struct pi_impair back;
	char kind[16];

	(void)state;
	expect_bytes(buf, build(&imp, buf), want, sizeof(want));
	/* The request is laid out as the kernel's dump (netem_dump puts the
	 * struct then the attributes): decoding it gives imp back, once a
	 * handle is set (handle 0 is a kernel-made default qdisc). */
	set_handle(buf, 0x80010000u);
	assert_int_equal(pi_nl_qdisc_msg_parse(buf, sizeof(want), &back, kind), 0);
	assert_string_equal(kind, "netem");
	assert_true(pi_impair_equal(&back, &imp));
}

/* netem with a rate above 32 bits: 40gbit = 5e9 bytes/s > 0xffffffff, so
 * TCA_NETEM_RATE says ~0 and TCA_NETEM_RATE64 (8) carries it; delay 1ms,
 * nothing else. */
static void test_netem_rate64_bytes(void **state)
{
	static const uint8_t want[] = {
		/* 16 + 20 + 12 + 84 = 132 */
		U32(132), U16(36), U16(0x501), U32(0), U32(0),
		TCMSG_IF7,
		U16(10), U16(1), 'n', 'e', 't', 'e', 'm', 0, 0, 0,
		/* 4 + 24 + 12 + 12 + 20 + 12 = 84 */
		U16(84), U16(2),
		/* 1 ms = 1000000 ns >> 6 = 15625 ticks; no loss, gap 0 */
		U32(15625), U32(1000), U32(0), U32(0), U32(0), U32(0),
		U16(12), U16(10), U64(1000000ull),
		U16(12), U16(11), U64(0ull),
		U16(20), U16(6), U32(0xffffffffu), U32(0), U32(0), U32(0),
		U16(12), U16(8), U64(5000000000ull),
	};
	struct pi_impair imp = { .rate_bps = 40000000000ull, .delay_us = 1000 };
	uint8_t buf[PI_NL_QDISC_MSG_MAX];
	struct pi_impair back;
	char kind[16];

	(void)state;
	expect_bytes(buf, build(&imp, buf), want, sizeof(want));
	set_handle(buf, 0x80010000u);
	assert_int_equal(pi_nl_qdisc_msg_parse(buf, sizeof(want), &back, kind), 0);
	assert_true(pi_impair_equal(&back, &imp));
}

/*
 * tbf for 10mbit = 1250000 bytes/s: bucket max(rate/100 = 12500, 16384) =
 * 16384 bytes; queue limit rate/20 + bucket = 62500 + 16384 = 78884 bytes.
 */
static void test_tbf_bytes(void **state)
{
	static const uint8_t want[] = {
		U32(96), U16(36), U16(0x501), U32(0), U32(0),
		TCMSG_IF7,
		/* TCA_KIND: 4 + "tbf\0" = 8 */
		U16(8), U16(1), 't', 'b', 'f', 0,             /* 36..43 */
		/* TCA_OPTIONS | NLA_F_NESTED (0x8000): 4 + 40 + 8 = 52 */
		U16(52), U16(0x8002),                          /* 44..47 */
		/* TCA_TBF_PARMS (1): struct tc_tbf_qopt, 36 bytes */
		U16(40), U16(1),
		/* rate: u8 cell_log 0, u8 linklayer TC_LINKLAYER_ETHERNET 1,
		 * u16 overhead, s16 cell_align, u16 mpu, u32 rate */
		0, 1, U16(0), U16(0), U16(0), U32(1250000),
		/* peakrate: none */
		0, 0, U16(0), U16(0), U16(0), U32(0),
		/* limit, buffer (from TCA_TBF_BURST instead), mtu */
		U32(78884), U32(0), U32(0),                    /* ..87 */
		/* TCA_TBF_BURST (6): u32 bytes */
		U16(8), U16(6), U32(16384),                    /* 88..95 */
	};
	struct pi_impair imp = { .rate_bps = 10000000 }, back;
	uint8_t buf[PI_NL_QDISC_MSG_MAX];
	char kind[16];

	(void)state;
	expect_bytes(buf, build(&imp, buf), want, sizeof(want));
	set_handle(buf, 0x80010000u);
	assert_int_equal(pi_nl_qdisc_msg_parse(buf, sizeof(want), &back, kind), 0);
	assert_string_equal(kind, "tbf");
	assert_true(pi_impair_equal(&back, &imp));
	/* The same qdisc with handle 0 would be the kernel's: not ours. */
	set_handle(buf, 0);
	assert_int_equal(pi_nl_qdisc_msg_parse(buf, sizeof(want), &back, kind), 0);
	assert_string_equal(kind, "");
	assert_true(pi_impair_is_none(&back));
}

/* tbf at 40gbit: rate 5e9 bytes/s in TCA_TBF_RATE64 (4), ~0 in the struct;
 * bucket 5e9/100 = 50000000; limit 5e9/20 + 50000000 = 300000000. */
static void test_tbf_rate64_bytes(void **state)
{
	static const uint8_t want[] = {
		U32(108), U16(36), U16(0x501), U32(0), U32(0),
		TCMSG_IF7,
		U16(8), U16(1), 't', 'b', 'f', 0,
		U16(64), U16(0x8002), /* 4 + 40 + 12 + 8 */
		U16(40), U16(1),
		0, 1, U16(0), U16(0), U16(0), U32(0xffffffffu),
		0, 0, U16(0), U16(0), U16(0), U32(0),
		U32(300000000u), U32(0), U32(0),
		U16(12), U16(4), U64(5000000000ull),
		U16(8), U16(6), U32(50000000u),
	};
	struct pi_impair imp = { .rate_bps = 40000000000ull }, back;
	uint8_t buf[PI_NL_QDISC_MSG_MAX];
	char kind[16];

	(void)state;
	expect_bytes(buf, build(&imp, buf), want, sizeof(want));
	set_handle(buf, 0x80010000u);
	assert_int_equal(pi_nl_qdisc_msg_parse(buf, sizeof(want), &back, kind), 0);
	assert_true(pi_impair_equal(&back, &imp));
}

/* none: RTM_DELQDISC (37), flags REQUEST only, the root of ifindex 7. */
static void test_delete_bytes(void **state)
{
	static const uint8_t want[] = { U32(36), U16(37), U16(1), U32(0), U32(0), TCMSG_IF7 };
	uint8_t buf[PI_NL_QDISC_MSG_MAX];

	(void)state;
	expect_bytes(buf, build(&(struct pi_impair){ 0 }, buf), want, sizeof(want));
}

static void test_build_errors(void **state)
{
	uint8_t buf[PI_NL_QDISC_MSG_MAX];
	struct pi_impair ok = { .rate_bps = 8000 };

	(void)state;
	assert_int_equal(pi_nl_qdisc_msg_build(buf, sizeof(buf) - 1, 7, &ok, NULL), -ENOSPC);
	assert_int_equal(pi_nl_qdisc_msg_build(NULL, sizeof(buf), 7, &ok, NULL), -ENOSPC);
	assert_int_equal(pi_nl_qdisc_msg_build(buf, sizeof(buf), 0, &ok, NULL), -EINVAL);
	assert_int_equal(pi_nl_qdisc_msg_build(buf, sizeof(buf), 7, &(struct pi_impair){ .reorder_ppm = 1 }, NULL),
			 -EINVAL);
	assert_int_equal(pi_nl_qdisc_msg_build(buf, sizeof(buf), 7, &(struct pi_impair){ .loss_ppm = 1000001 },
					       NULL), -EINVAL);
}

/* Truncated and corrupted messages never crash the decoder. */
static void test_parse_garbage(void **state)
{
	struct pi_impair imp = { .rate_bps = 5000000, .delay_us = 20000, .loss_ppm = 10000, .reorder_ppm = 1 };
	uint8_t buf[PI_NL_QDISC_MSG_MAX], copy[PI_NL_QDISC_MSG_MAX];
	size_t len = build(&imp, buf);
	unsigned x = 7;
	char kind[16];
	struct pi_impair back;

	(void)state;
	set_handle(buf, 0x80010000u);
	for (size_t cut = 0; cut < len; cut++) {
		memcpy(copy, buf, len);
		((struct nlmsghdr *)copy)->nlmsg_len = (uint32_t)cut;
		int rc = pi_nl_qdisc_msg_parse(copy, cut, &back, kind);
		assert_true(rc == 0 || rc == -EPROTO);
	}
	for (int i = 0; i < 20000; i++) {
		memcpy(copy, buf, len);
		for (int k = 0; k < 3; k++) {
			x = x * 1103515245u + 12345u;
			copy[16 + (x >> 8) % (len - 16)] = (uint8_t)(x >> 24);
		}
		int rc = pi_nl_qdisc_msg_parse(copy, len, &back, kind);
		assert_true(rc == 0 || rc == -EPROTO);
		assert_true(strlen(kind) < 16);
	}
}

/* ---- netem detection against a fake tree ---- */

static void mkfile(const char *path, const char *text)
{
	assert_int_equal(pi_write_file(path, text, strlen(text), 0644), 0);
}

static void test_netem_probe(void **state)
{
	char dir[] = "/tmp/pitest-hB-probeXXXXXX", sys[128], mods[128], p[256], why[400];

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(sys, sizeof(sys), "%s/sys", dir);
	snprintf(mods, sizeof(mods), "%s/lib", dir);
	assert_int_equal(pi_mkdir_p(sys, 0755), 0);
	/* Nothing anywhere: the kernel lacks it. */
	assert_false(pi_nl_netem_probe(sys, mods, "6.1.0-x", why, sizeof(why)));
	assert_non_null(strstr(why, "CONFIG_NET_SCH_NETEM"));
	assert_non_null(strstr(why, "6.1.0-x"));
	/* Installed, not loaded: say how to load it. */
	snprintf(p, sizeof(p), "%s/6.1.0-x/kernel/net/sched/sch_netem.ko.zst", mods);
	mkfile(p, "");
	assert_false(pi_nl_netem_probe(sys, mods, "6.1.0-x", why, sizeof(why)));
	assert_non_null(strstr(why, "modprobe sch_netem"));
	assert_null(strstr(why, "CONFIG_NET_SCH_NETEM"));
	/* Built in: listed in modules.builtin, no /sys/module entry. */
	snprintf(p, sizeof(p), "%s/6.1.0-x/modules.builtin", mods);
	mkfile(p, "kernel/net/sched/sch_htb.ko\nkernel/net/sched/sch_netem.ko\n");
	assert_true(pi_nl_netem_probe(sys, mods, "6.1.0-x", why, sizeof(why)));
	assert_non_null(strstr(why, "built into"));
	mkfile(p, "kernel/net/sched/xsch_netem.ko\n"); /* not a match */
	assert_false(pi_nl_netem_probe(sys, mods, "6.1.0-x", NULL, 0));
	/* Loaded. */
	snprintf(p, sizeof(p), "%s/sch_netem/refcnt", sys);
	mkfile(p, "0\n");
	assert_true(pi_nl_netem_probe(sys, mods, "6.1.0-x", why, sizeof(why)));
	assert_string_equal(why, "sch_netem is loaded");
	/* The real probe on this machine: either way it explains itself. */
	if (pi_nl_netem_available(why, sizeof(why)))
		assert_true(strstr(why, "loaded") || strstr(why, "built into"));
	else
		assert_non_null(strstr(why, "modprobe sch_netem"));
	snprintf(p, sizeof(p), "rm -rf -- '%s'", dir);
	assert_int_equal(system(p), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_netem_bytes),   cmocka_unit_test(test_netem_rate64_bytes),
		cmocka_unit_test(test_tbf_bytes),     cmocka_unit_test(test_tbf_rate64_bytes),
		cmocka_unit_test(test_delete_bytes),  cmocka_unit_test(test_build_errors),
		cmocka_unit_test(test_parse_garbage), cmocka_unit_test(test_netem_probe),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
