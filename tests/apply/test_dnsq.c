/*
 * The DNS reply parser (pi_dns_parse_answer) on hand-built messages: what
 * real servers send (compression, CNAME chains, PTR, NXDOMAIN, TC) and what
 * a hostile one could (pointer loops, forward pointers, overlong names,
 * lying counts and lengths, every truncation). No root, no network.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "pocketinternet/apply.h"

#define ID 0x4242

struct msg {
	uint8_t b[8192];
	size_t n;
};

static void put8(struct msg *m, unsigned v)
{
	assert_true(m->n < sizeof(m->b));
	m->b[m->n++] = (uint8_t)v;
}

static void put16(struct msg *m, unsigned v)
{
	put8(m, v >> 8);
	put8(m, v & 0xff);
}

static void putraw(struct msg *m, const void *p, size_t n)
{
	assert_true(m->n + n <= sizeof(m->b));
	memcpy(m->b + m->n, p, n);
	m->n += n;
}

/* "www.lab" as labels, with the root's zero byte. */
static void putname(struct msg *m, const char *dotted)
{
	while (*dotted) {
		const char *dot = strchr(dotted, '.');
		size_t n = dot ? (size_t)(dot - dotted) : strlen(dotted);
		put8(m, (unsigned)n);
		putraw(m, dotted, n);
		dotted += n + (dot != NULL);
	}
	put8(m, 0);
}

static void putptr(struct msg *m, unsigned off)
{
	put16(m, 0xc000 | off);
}

/* Header (flags: QR RD RA plus extra) and one question for qname/qtype. */
static void head(struct msg *m, unsigned extra_flags, unsigned an, const char *qname, unsigned qtype)
{
	m->n = 0;
	put16(m, ID);
	put16(m, 0x8180 | extra_flags);
	put16(m, 1);
	put16(m, an);
	put16(m, 0);
	put16(m, 0);
	putname(m, qname);
	put16(m, qtype);
	put16(m, 1);
}

/* Type, class IN, TTL and rdlength of a record whose owner is written. */
static void rrhead(struct msg *m, unsigned type, unsigned rdlen)
{
	put16(m, type);
	put16(m, 1);
	put16(m, 0);
	put16(m, 300);
	put16(m, rdlen);
}

static void a_rr(struct msg *m, unsigned owner_ptr, uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	putptr(m, owner_ptr);
	rrhead(m, PI_DNS_TYPE_A, 4);
	put8(m, a);
	put8(m, b);
	put8(m, c);
	put8(m, d);
}

static char *addr(const struct pi_prefix *p)
{
	static char buf[PI_PREFIX_STRLEN];
	return pi_prefix_fmt_addr(p, buf);
}

static void test_a_compressed(void **state)
{
	(void)state;
	struct msg m;
	struct pi_dns_answer a;
	head(&m, 0, 2, "web1.content1.pocket", PI_DNS_TYPE_A);
	a_rr(&m, 12, 10, 0, 0, 1);
	a_rr(&m, 12, 10, 0, 0, 2);
	assert_int_equal(pi_dns_parse_answer(m.b, m.n, ID, &a), 0);
	assert_int_equal(a.rcode, 0);
	assert_int_equal(a.n, 2);
	assert_false(a.truncated);
	assert_int_equal(a.rr[0].type, PI_DNS_TYPE_A);
	assert_string_equal(a.rr[0].name, "web1.content1.pocket.");
	assert_string_equal(addr(&a.rr[0].addr), "10.0.0.1");
	assert_int_equal(a.rr[0].addr.len, 32);
	assert_string_equal(addr(&a.rr[1].addr), "10.0.0.2");
	assert_string_equal(a.rr[1].target, "");
}

static void test_aaaa_and_other_types(void **state)
{
	(void)state;
	struct msg m;
	struct pi_dns_answer a;
	static const uint8_t v6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
	head(&m, 0, 3, "x.pocket", PI_DNS_TYPE_AAAA);
	putptr(&m, 12);
	rrhead(&m, PI_DNS_TYPE_AAAA, 16);
	putraw(&m, v6, 16);
	putptr(&m, 14); /* "pocket." inside the question */
	rrhead(&m, 16 /* TXT */, 3);
	putraw(&m, "\002hi", 3);
	put8(&m, 0); /* the root as owner */
	rrhead(&m, PI_DNS_TYPE_SOA, 2);
	putraw(&m, "\0\0", 2);
	assert_int_equal(pi_dns_parse_answer(m.b, m.n, ID, &a), 0);
	assert_int_equal(a.n, 3);
	assert_string_equal(addr(&a.rr[0].addr), "2001:db8::1");
	assert_int_equal(a.rr[0].addr.family, PI_AF_V6);
	assert_int_equal(a.rr[0].addr.len, 128);
	assert_int_equal(a.rr[1].type, 16);
	assert_string_equal(a.rr[1].name, "pocket.");
	assert_int_equal(a.rr[1].addr.family, 0);
	assert_string_equal(a.rr[2].name, ".");
	assert_int_equal(a.rr[2].type, PI_DNS_TYPE_SOA);
}

/* www -> cdn -> edge1 -> A, each target compressed against what came before. */
static void test_cname_chain(void **state)
{
	(void)state;
	struct msg m;
	struct pi_dns_answer a;
	head(&m, 0, 3, "www.lab", PI_DNS_TYPE_A); /* www at 12, lab at 16 */
	putptr(&m, 12);
	rrhead(&m, PI_DNS_TYPE_CNAME, 6);
	size_t cdn = m.n;
	putraw(&m, "\003cdn", 4);
	putptr(&m, 16);
	putptr(&m, (unsigned)cdn);
	rrhead(&m, PI_DNS_TYPE_CNAME, 8);
	size_t edge = m.n;
	putraw(&m, "\005edge1", 6);
	putptr(&m, (unsigned)cdn); /* edge1.cdn.lab: a pointer to a name ending in a pointer */
	a_rr(&m, (unsigned)edge, 192, 0, 2, 7);
	assert_int_equal(pi_dns_parse_answer(m.b, m.n, ID, &a), 0);
	assert_int_equal(a.n, 3);
	assert_string_equal(a.rr[0].name, "www.lab.");
	assert_string_equal(a.rr[0].target, "cdn.lab.");
	assert_string_equal(a.rr[1].name, "cdn.lab.");
	assert_string_equal(a.rr[1].target, "edge1.cdn.lab.");
	assert_string_equal(a.rr[2].name, "edge1.cdn.lab.");
	assert_string_equal(addr(&a.rr[2].addr), "192.0.2.7");
}

static void test_ptr_ns_and_rcode(void **state)
{
	(void)state;
	struct msg m;
	struct pi_dns_answer a;
	head(&m, 0, 2, "1.0.0.10.in-addr.arpa", PI_DNS_TYPE_PTR);
	putptr(&m, 12);
	rrhead(&m, PI_DNS_TYPE_PTR, 17);
	putname(&m, "web1.pocket.lab"); /* 1+4 1+6 1+3 1 bytes */
	putptr(&m, 12);
	rrhead(&m, PI_DNS_TYPE_NS, 2);
	putptr(&m, 12);
	assert_int_equal(pi_dns_parse_answer(m.b, m.n, ID, &a), 0);
	assert_int_equal(a.n, 2);
	assert_string_equal(a.rr[0].target, "web1.pocket.lab.");
	assert_string_equal(a.rr[1].target, "1.0.0.10.in-addr.arpa.");
	/* NXDOMAIN: parsed, no records, the rcode says it. */
	head(&m, 3, 0, "nx.lab", PI_DNS_TYPE_A);
	assert_int_equal(pi_dns_parse_answer(m.b, m.n, ID, &a), 0);
	assert_int_equal(a.rcode, 3);
	assert_int_equal(a.n, 0);
	/* No question at all is fine too. */
	head(&m, 2, 0, "x", 1);
	m.b[5] = 0, m.n = 12;
	assert_int_equal(pi_dns_parse_answer(m.b, m.n, ID, &a), 0);
	assert_int_equal(a.rcode, 2);
}

static void test_not_ours(void **state)
{
	(void)state;
	struct msg m;
	struct pi_dns_answer a;
	head(&m, 0, 1, "a", PI_DNS_TYPE_A);
	a_rr(&m, 12, 1, 2, 3, 4);
	assert_int_equal(pi_dns_parse_answer(m.b, m.n, ID + 1, &a), -ENOMSG);
	m.b[2] &= 0x7f; /* a query, not a reply */
	assert_int_equal(pi_dns_parse_answer(m.b, m.n, ID, &a), -ENOMSG);
	assert_int_equal(pi_dns_parse_answer(m.b, 11, ID, &a), -ENOMSG);
	assert_int_equal(pi_dns_parse_answer(NULL, 0, ID, &a), -ENOMSG);
}

/* A pointer into itself, forward, into the header, two names pointing at
 * each other, a reserved label type: all refused, none loops. */
static void test_pointer_attacks(void **state)
{
	(void)state;
	struct msg m;
	struct pi_dns_answer a;
	/* The question's name is a pointer to itself. */
	head(&m, 0, 0, "", 1);
	m.n = 12;
	putptr(&m, 12);
	put16(&m, 1), put16(&m, 1);
	assert_int_equal(pi_dns_parse_answer(m.b, m.n, ID, &a), -EBADMSG);
	/* A label, then a pointer back to that label: a loop through a label. */
	m.n = 12;
	putraw(&m, "\001a", 2);
	putptr(&m, 12);
	put16(&m, 1), put16(&m, 1);
	assert_int_equal(pi_dns_parse_answer(m.b, m.n, ID, &a), -EBADMSG);
	/* Forward: the answer's owner points at the next record's owner. */
	head(&m, 0, 2, "a", 1);
	size_t at = m.n;
	putptr(&m, (unsigned)at + 16);
	rrhead(&m, 1, 4);
	putraw(&m, "\1\2\3\4", 4);
	putptr(&m, (unsigned)at);
	rrhead(&m, 1, 4);
	putraw(&m, "\1\2\3\4", 4);
	assert_int_equal(pi_dns_parse_answer(m.b, m.n, ID, &a), -EBADMSG);
	assert_int_equal(a.n, 0);
	/* Into the header. */
	head(&m, 0, 1, "a", 1);
	a_rr(&m, 4, 1, 2, 3, 4);
	assert_int_equal(pi_dns_parse_answer(m.b, m.n, ID, &a), -EBADMSG);
	/* Beyond the end. */
	head(&m, 0, 1, "a", 1);
	a_rr(&m, 0x3fff, 1, 2, 3, 4);
	assert_int_equal(pi_dns_parse_answer(m.b, m.n, ID, &a), -EBADMSG);
	/* 0x40 and 0x80 label types. */
	for (unsigned t = 0x40; t <= 0x80; t += 0x40) {
		head(&m, 0, 1, "a", 1);
		put8(&m, t | 1);
		put8(&m, 'x');
		put8(&m, 0);
		rrhead(&m, 1, 4);
		putraw(&m, "\1\2\3\4", 4);
		assert_int_equal(pi_dns_parse_answer(m.b, m.n, ID, &a), -EBADMSG);
	}
}

/* Names over 255 bytes, whether written out or built from pointers. */
static void test_long_names(void **state)
{
	(void)state;
	struct msg m;
	struct pi_dns_answer a;
	char l63[64];
	memset(l63, 'x', 63);
	l63[63] = '\0';
	/* 3 x 63 + 61: 254 bytes of labels and lengths, 255 with the root. */
	char name[300];
	snprintf(name, sizeof(name), "%s.%s.%s.%.61s", l63, l63, l63, l63);
	head(&m, 0, 1, name, 1);
	a_rr(&m, 12, 1, 2, 3, 4);
	assert_int_equal(pi_dns_parse_answer(m.b, m.n, ID, &a), 0);
	assert_int_equal(strlen(a.rr[0].name), 254);
	assert_int_equal(a.rr[0].name[253], '.');
	/* One more byte is one too many. */
	snprintf(name, sizeof(name), "%s.%s.%s.%.62s", l63, l63, l63, l63);
	head(&m, 0, 1, name, 1);
	assert_int_equal(pi_dns_parse_answer(m.b, m.n, ID, &a), -EBADMSG);
	/* Names built from pointers: questions of 1, 2 and 3 labels of 63,
	 * each a label and a pointer to the one before; a record owned by the
	 * third is fine, one owned by a label in front of it (4 x 63 + 5 =
	 * 257 bytes) is not. */
	m.n = 0;
	put16(&m, ID), put16(&m, 0x8180), put16(&m, 3), put16(&m, 1), put16(&m, 0), put16(&m, 0);
	size_t seg[3];
	for (int i = 0; i < 3; i++) {
		seg[i] = m.n;
		put8(&m, 63);
		putraw(&m, l63, 63);
		if (i)
			putptr(&m, (unsigned)seg[i - 1]);
		else
			put8(&m, 0);
		put16(&m, 1), put16(&m, 1);
	}
	a_rr(&m, (unsigned)seg[2], 1, 2, 3, 4);
	assert_int_equal(pi_dns_parse_answer(m.b, m.n, ID, &a), 0);
	assert_int_equal(a.n, 1);
	assert_int_equal(strlen(a.rr[0].name), 3 * 64);
	m.b[7] = 2;
	put8(&m, 63);
	putraw(&m, l63, 63);
	putptr(&m, (unsigned)seg[2]);
	rrhead(&m, 1, 4);
	putraw(&m, "\1\2\3\4", 4);
	assert_int_equal(pi_dns_parse_answer(m.b, m.n, ID, &a), -EBADMSG);
}

/* Bytes outside [!-~], '.' and '\' in a label come back as \DDD; a name
 * whose escaped form does not fit 255 characters is refused. */
static void test_escapes(void **state)
{
	(void)state;
	struct msg m;
	struct pi_dns_answer a;
	head(&m, 0, 1, "a", 1);
	m.n -= 7;
	putraw(&m, "\005a.b\\\000\003lab\000", 11);
	put16(&m, 1), put16(&m, 1);
	a_rr(&m, 12, 1, 2, 3, 4);
	assert_int_equal(pi_dns_parse_answer(m.b, m.n, ID, &a), 0);
	assert_string_equal(a.rr[0].name, "a\\046b\\092\\000.lab.");
	/* 200 binary bytes: 800 characters escaped. */
	head(&m, 0, 1, "a", 1);
	m.n -= 7;
	for (int i = 0; i < 4; i++) {
		put8(&m, 50);
		for (int k = 0; k < 50; k++)
			put8(&m, 1);
	}
	put8(&m, 0);
	put16(&m, 1), put16(&m, 1);
	a_rr(&m, 12, 1, 2, 3, 4);
	assert_int_equal(pi_dns_parse_answer(m.b, m.n, ID, &a), -EBADMSG);
}

/* Lengths that lie: A of 5 bytes, a CNAME with bytes after its name, a
 * CNAME whose name runs past its rdata, more records than the message. */
static void test_bad_lengths(void **state)
{
	(void)state;
	struct msg m;
	struct pi_dns_answer a;
	head(&m, 0, 1, "a", 1);
	putptr(&m, 12);
	rrhead(&m, PI_DNS_TYPE_A, 5);
	putraw(&m, "\1\2\3\4\5", 5);
	assert_int_equal(pi_dns_parse_answer(m.b, m.n, ID, &a), -EBADMSG);
	head(&m, 0, 1, "a", 1);
	putptr(&m, 12);
	rrhead(&m, PI_DNS_TYPE_AAAA, 4);
	putraw(&m, "\1\2\3\4", 4);
	assert_int_equal(pi_dns_parse_answer(m.b, m.n, ID, &a), -EBADMSG);
	head(&m, 0, 1, "a", 1);
	putptr(&m, 12);
	rrhead(&m, PI_DNS_TYPE_CNAME, 4);
	putptr(&m, 12);
	put16(&m, 0);
	assert_int_equal(pi_dns_parse_answer(m.b, m.n, ID, &a), -EBADMSG);
	head(&m, 0, 1, "a", 1);
	putptr(&m, 12);
	rrhead(&m, PI_DNS_TYPE_CNAME, 3);
	putraw(&m, "\003www", 4); /* the label alone is 4 bytes, no end */
	putraw(&m, "\000", 1);
	assert_int_equal(pi_dns_parse_answer(m.b, m.n, ID, &a), -EBADMSG);
	/* ancount 2, one record there: a message that ends early, without TC. */
	head(&m, 0, 2, "a", 1);
	a_rr(&m, 12, 1, 2, 3, 4);
	assert_int_equal(pi_dns_parse_answer(m.b, m.n, ID, &a), -EBADMSG);
	assert_int_equal(a.n, 0);
	/* With TC set the same message is the answer so far. */
	m.b[2] |= 0x02;
	assert_int_equal(pi_dns_parse_answer(m.b, m.n, ID, &a), 0);
	assert_int_equal(a.n, 1);
	assert_true(a.truncated);
}

/* Every cut of a good reply: never a crash, never a record from beyond the
 * cut; without TC an error, with TC the records that fitted. */
static void test_every_truncation(void **state)
{
	(void)state;
	struct msg m;
	struct pi_dns_answer a;
	head(&m, 0, 3, "www.lab", PI_DNS_TYPE_A);
	putptr(&m, 12);
	rrhead(&m, PI_DNS_TYPE_CNAME, 6);
	putraw(&m, "\003cdn", 4);
	putptr(&m, 16);
	size_t two = m.n;
	a_rr(&m, 12, 10, 0, 0, 1);
	size_t three = m.n;
	a_rr(&m, 12, 10, 0, 0, 2);
	for (int tc = 0; tc < 2; tc++) {
		if (tc)
			m.b[2] |= 0x02;
		for (size_t len = 0; len < m.n; len++) {
			uint8_t *copy = malloc(len ? len : 1); /* ASan sees any read past len */
			memcpy(copy, m.b, len);
			int rc = pi_dns_parse_answer(copy, len, ID, &a);
			free(copy);
			if (len < 12) {
				assert_int_equal(rc, -ENOMSG);
				continue;
			}
			if (!tc) {
				assert_int_equal(rc, -EBADMSG);
				continue;
			}
			assert_int_equal(rc, 0);
			assert_true(a.truncated);
			assert_int_equal(a.n, len >= three ? 2 : len >= two ? 1 : 0);
		}
		assert_int_equal(pi_dns_parse_answer(m.b, m.n, ID, &a), 0);
		assert_int_equal(a.n, 3);
	}
}

static void test_more_than_max(void **state)
{
	(void)state;
	struct msg m;
	struct pi_dns_answer a;
	head(&m, 0, 20, "many", PI_DNS_TYPE_A);
	for (int i = 0; i < 20; i++)
		a_rr(&m, 12, 10, 0, 0, (uint8_t)i);
	assert_int_equal(pi_dns_parse_answer(m.b, m.n, ID, &a), 0);
	assert_int_equal(a.n, PI_DNS_MAX_RR);
	assert_true(a.truncated);
	assert_string_equal(addr(&a.rr[15].addr), "10.0.0.15");
	/* A count of 65535 over an empty section: refused, quickly. */
	head(&m, 0, 0xffff, "x", 1);
	assert_int_equal(pi_dns_parse_answer(m.b, m.n, ID, &a), -EBADMSG);
	/* A question count that lies the same way. */
	head(&m, 0, 0, "x", 1);
	m.b[4] = m.b[5] = 0xff;
	assert_int_equal(pi_dns_parse_answer(m.b, m.n, ID, &a), -EBADMSG);
}

/* Random mutations of a good reply (a cheap stand-in for the fuzzer in a
 * plain build): whatever comes back is consistent. */
static void test_mutations(void **state)
{
	(void)state;
	struct msg m;
	struct pi_dns_answer a;
	head(&m, 0, 3, "www.lab", PI_DNS_TYPE_A);
	putptr(&m, 12);
	rrhead(&m, PI_DNS_TYPE_CNAME, 6);
	putraw(&m, "\003cdn", 4);
	putptr(&m, 16);
	a_rr(&m, 12, 10, 0, 0, 1);
	a_rr(&m, 12, 10, 0, 0, 2);
	srand(12);
	for (int i = 0; i < 200000; i++) {
		struct msg x = m;
		for (int k = rand() % 4; k >= 0; k--)
			x.b[12 + (size_t)rand() % (x.n - 12)] = (uint8_t)rand();
		x.n -= (size_t)rand() % 3 == 0 ? (size_t)rand() % (x.n - 12) : 0;
		int rc = pi_dns_parse_answer(x.b, x.n, ID, &a);
		assert_true(rc == 0 || rc == -EBADMSG);
		assert_true(a.n <= PI_DNS_MAX_RR);
		for (unsigned r = 0; r < a.n; r++) {
			assert_true(strlen(a.rr[r].name) < sizeof(a.rr[r].name));
			assert_int_equal(a.rr[r].name[strlen(a.rr[r].name) - 1], '.');
		}
	}
}

/* Names the query cannot carry are refused before any socket is made. */
static void test_query_bad_names(void **state)
{
	(void)state;
	struct pi_prefix server;
	struct pi_dns_answer a;
	char name[400];
	pi_prefix_parse("192.0.2.53", &server);
	assert_int_equal(pi_dns_query_fd(-1, &server, "a..b", 1, 10, &a), -EINVAL);
	assert_int_equal(pi_dns_query_fd(-1, &server, ".a", 1, 10, &a), -EINVAL);
	memset(name, 'x', 64);
	name[64] = '\0';
	assert_int_equal(pi_dns_query_fd(-1, &server, name, 1, 10, &a), -EINVAL);
	/* 5 labels of 59: 300 bytes on the wire. */
	memset(name, 'x', 300);
	for (int i = 1; i < 5; i++)
		name[i * 60 - 1] = '.';
	name[300] = '\0';
	assert_int_equal(pi_dns_query_fd(-1, &server, name, 1, 10, &a), -EINVAL);
	assert_int_equal(pi_dns_query_fd(-1, &server, NULL, 1, 10, &a), -EINVAL);
	assert_int_equal(pi_dns_query_fd(-1, &server, "a", 0x10000, 10, &a), -EINVAL);
	assert_int_equal(pi_dns_query_fd(-1, &(struct pi_prefix){ 0 }, "a", 1, 10, &a), -EINVAL);
	assert_int_equal(pi_dns_query(-1, &server, "a", 1, 10, &a), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_a_compressed),
		cmocka_unit_test(test_aaaa_and_other_types),
		cmocka_unit_test(test_cname_chain),
		cmocka_unit_test(test_ptr_ns_and_rcode),
		cmocka_unit_test(test_not_ours),
		cmocka_unit_test(test_pointer_attacks),
		cmocka_unit_test(test_long_names),
		cmocka_unit_test(test_escapes),
		cmocka_unit_test(test_bad_lengths),
		cmocka_unit_test(test_every_truncation),
		cmocka_unit_test(test_more_than_max),
		cmocka_unit_test(test_mutations),
		cmocka_unit_test(test_query_bad_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
