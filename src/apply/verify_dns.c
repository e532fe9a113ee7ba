/*
 * verify_dns: every resolver resolves a sample of every zone through the
 * pocket root, asked natively from inside the resolver's own netns (a UDP
 * query to its own address: no exec), and DNS64 synthesises an AAAA for an
 * IPv4-only name asked from an IPv6-only subscriber.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "verify_int.h"
#include "pocketinternet/render.h"

#define DNS_TIMEOUT_MS 1500

/* The sample of a zone: its first A, AAAA and PTR records, else its SOA. */
static size_t zone_sample(const struct pi_plan_zone *z, const struct pi_plan_rr **out)
{
	size_t n = 0;
	enum pi_rr_type want[] = { PI_RR_A, PI_RR_AAAA, PI_RR_PTR };
	for (size_t w = 0; w < PI_ARRAY_LEN(want); w++)
		for (uint32_t i = 0; i < z->n_rrs; i++)
			if (z->rrs[i].type == want[w]) {
				out[n++] = &z->rrs[i];
				break;
			}
	if (n == 0 && z->n_rrs)
		out[n++] = &z->rrs[0]; /* SOA first */
	return n;
}

static unsigned qtype_of(enum pi_rr_type t)
{
	return t == PI_RR_A ? PI_DNS_TYPE_A : t == PI_RR_AAAA ? PI_DNS_TYPE_AAAA : t == PI_RR_PTR ? PI_DNS_TYPE_PTR
												    : PI_DNS_TYPE_SOA;
}

/* Does the answer hold the record the plan says (or any, for an SOA)? */
static bool answer_has(const struct pi_dns_answer *a, const struct pi_plan_rr *rr, char *got, size_t len)
{
	got[0] = '\0';
	for (unsigned i = 0; i < a->n; i++) {
		const struct pi_dns_rr *r = &a->rr[i];
		char buf[PI_PREFIX_STRLEN];
		if (r->type != qtype_of(rr->type))
			continue;
		snprintf(got, len, "%s", pi_prefix_is_set(&r->addr) ? pi_prefix_fmt_addr(&r->addr, buf) : r->target);
		if (rr->type == PI_RR_SOA || strcmp(got, rr->data) == 0)
			return true;
	}
	if (!got[0])
		snprintf(got, len, "rcode %u, %u records", a->rcode, a->n);
	return false;
}

static void check_rr(struct verify_part *vp, uint32_t node, int nsfd, const struct pi_prefix *server,
		     const struct pi_plan_rr *rr, struct pi_vec *out)
{
	struct pi_verify_check c = { .node = node, .target = PI_NONE };
	snprintf(c.what, sizeof(c.what), "%s %s", pi_rr_type_name(rr->type), rr->owner);
	struct pi_dns_answer a;
	int rc = pi_dns_query_fd(nsfd, server, rr->owner, qtype_of(rr->type), DNS_TIMEOUT_MS, &a);
	if (rc)
		snprintf(c.detail, sizeof(c.detail), "no reply: %s", strerror(-rc));
	else
		c.ok = answer_has(&a, rr, c.detail, sizeof(c.detail));
	pi_verify_add(vp, out, &c);
}

/* One resolver: every zone's sample, asked of itself. */
static int dns_one(void *ctx, size_t i)
{
	struct verify_part *vp = ctx;
	const struct pi_plan *p = vp->plan;
	if (!(p->nodes[i].services & PI_SVC_RESOLVER))
		return 0;
	struct pi_prefix server = pi_verify_node_address(p, (uint32_t)i);
	int nsfd = pi_verify_open(vp, (uint32_t)i, vp->dns);
	if (nsfd < 0)
		return 0;
	for (uint32_t z = 0; z < p->n_zones; z++) {
		const struct pi_plan_rr *rrs[4];
		size_t n = zone_sample(&p->zones[z], rrs);
		for (size_t k = 0; k < n; k++)
			check_rr(vp, (uint32_t)i, nsfd, &server, rrs[k], vp->dns);
	}
	close(nsfd);
	return 0;
}

/* The IPv4-only name of the first web server: "ipv4.<its name>". */
static bool v4_only_name(const struct pi_plan *p, char *buf, size_t len, uint32_t *web)
{
	for (uint32_t i = 0; i < p->n_nodes; i++)
		if ((p->nodes[i].services & PI_SVC_HTTP) && p->nodes[i].fqdn) {
			snprintf(buf, len, "ipv4.%s", p->nodes[i].fqdn);
			*web = i;
			return true;
		}
	return false;
}

/* A client with no IPv4: DNS64 must synthesise an AAAA in its pod's NAT64 prefix. */
static int dns64_one(void *ctx, size_t i)
{
	struct verify_part *vp = ctx;
	const struct pi_plan *p = vp->plan;
	const struct pi_plan_node *n = &p->nodes[i];
	struct pi_verify_check c = { .node = (uint32_t)i, .target = PI_NONE };
	char name[180];
	if (!(n->services & PI_SVC_CLIENT) || pi_verify_has_v4(p, (uint32_t)i) || !pi_prefix_is_set(&n->resolver6) ||
	    !v4_only_name(p, name, sizeof(name), &c.target))
		return 0;
	snprintf(c.what, sizeof(c.what), "DNS64 AAAA %s", name);
	int nsfd = pi_verify_open(vp, (uint32_t)i, vp->dns);
	if (nsfd < 0)
		return 0;
	struct pi_dns_answer a;
	struct pi_prefix pfx, server = pi_prefix_as_host(&n->resolver6);
	pi_render_nat64_prefix(p, n->pod, &pfx);
	int rc = pi_dns_query_fd(nsfd, &server, name, PI_DNS_TYPE_AAAA, DNS_TIMEOUT_MS, &a);
	close(nsfd);
	char buf[PI_PREFIX_STRLEN];
	snprintf(c.detail, sizeof(c.detail), rc ? "no reply" : "no AAAA in %s", pi_prefix_fmt(&pfx, buf));
	for (unsigned k = 0; rc == 0 && k < a.n; k++)
		if (a.rr[k].type == PI_DNS_TYPE_AAAA && pi_prefix_contains(&pfx, &a.rr[k].addr)) {
			c.ok = true;
			snprintf(c.detail, sizeof(c.detail), "%s", pi_prefix_fmt_addr(&a.rr[k].addr, buf));
		}
	pi_verify_add(vp, vp->dns, &c);
	return 0;
}

void pi_verify_dns_run(struct verify_part *vp)
{
	pi_pool_run(vp->plan->n_nodes, vp->parallel, dns_one, NULL, vp, NULL);
	pi_pool_run(vp->plan->n_nodes, vp->parallel, dns64_one, NULL, vp, NULL);
}
