/*
 * libFuzzer target: any bytes as a DNS reply to pi_dns_parse_answer (its
 * query id taken from the bytes' first two, so most inputs reach the
 * parser proper). The reply comes from a node students control: whatever
 * it holds must parse without a crash, an out-of-bounds read, a hang or a
 * sanitizer report, and the result must keep the documented contract.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "pocketinternet/apply.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_name(const char *s, size_t cap, bool may_be_empty)
{
	size_t n = strnlen(s, cap);
	if (n == cap)
		abort(); /* not terminated */
	if (n == 0 ? !may_be_empty : s[n - 1] != '.')
		abort(); /* names are absolute */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pi_dns_answer a;
	uint16_t id = size >= 2 ? (uint16_t)(data[0] << 8 | data[1]) : 0;
	int rc = pi_dns_parse_answer(data, size, id, &a);
	if (rc != 0 && rc != -ENOMSG && rc != -EBADMSG)
		abort();
	if (a.n > PI_DNS_MAX_RR || (rc != 0 && a.n != 0) || a.rcode > 15)
		abort();
	for (unsigned i = 0; i < a.n; i++) {
		const struct pi_dns_rr *r = &a.rr[i];
		check_name(r->name, sizeof(r->name), false);
		bool named = r->type == PI_DNS_TYPE_CNAME || r->type == PI_DNS_TYPE_NS || r->type == PI_DNS_TYPE_PTR;
		check_name(r->target, sizeof(r->target), !named);
		bool addr = r->type == PI_DNS_TYPE_A || r->type == PI_DNS_TYPE_AAAA;
		if (addr != (r->addr.family != 0) || (addr && r->addr.len != (r->type == PI_DNS_TYPE_A ? 32 : 128)))
			abort();
	}
	return 0;
}
