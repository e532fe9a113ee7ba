/*
 * verify_http: every subscriber fetches every web server's page by name,
 * natively from inside its netns: the name asked of its own resolver, then
 * an HTTP GET over each family it has (an IPv6-only subscriber also reaches
 * the IPv4-only name through DNS64 and NAT64); the page names the node that
 * served it. The CDN name (www of the anycast pods: they share one address)
 * must be served by an anycast instance; which one, the routing decides
 * (the nearest by BGP), and the check says which.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "verify_int.h"

#define HTTP_TIMEOUT_MS 3000

/* The client's resolver for family fam (unset when it has none). */
static struct pi_prefix resolver_of(const struct pi_plan_node *n, bool v4)
{
	const struct pi_prefix *r = v4 ? &n->resolver4 : &n->resolver6;
	if (!pi_prefix_is_set(r))
		r = v4 ? &n->resolver6 : &n->resolver4;
	return pi_prefix_is_set(r) ? pi_prefix_as_host(r) : (struct pi_prefix){ 0 };
}

/* Resolves name (A or AAAA) and fetches http://name/ from the client. */
static void fetch(struct verify_part *vp, uint32_t client, int nsfd, const char *name, bool v6, const char *want_node,
		  bool anycast, uint32_t target)
{
	const struct pi_plan *p = vp->plan;
	struct pi_verify_check c = { .node = client, .target = target };
	snprintf(c.what, sizeof(c.what), "GET http://%s/ over %s", name, v6 ? "IPv6" : "IPv4");
	struct pi_dns_answer a;
	struct pi_prefix res = resolver_of(&p->nodes[client], !v6 && pi_verify_has_v4(p, client));
	struct pi_prefix addr = { 0 };
	if (pi_dns_query_fd(nsfd, &res, name, v6 ? PI_DNS_TYPE_AAAA : PI_DNS_TYPE_A, 1500, &a) == 0)
		for (unsigned k = 0; k < a.n && !pi_prefix_is_set(&addr); k++)
			if (pi_prefix_is_set(&a.rr[k].addr) && a.rr[k].addr.family == (v6 ? PI_AF_V6 : PI_AF_V4))
				addr = a.rr[k].addr;
	if (!pi_prefix_is_set(&addr)) {
		snprintf(c.detail, sizeof(c.detail), "the name does not resolve (%s record)", v6 ? "AAAA" : "A");
		pi_verify_add(vp, vp->http, &c);
		return;
	}
	struct pi_http_result r;
	int rc = pi_http_get_fd(nsfd, &addr, 80, name, "/", HTTP_TIMEOUT_MS, &r);
	char buf[PI_PREFIX_STRLEN];
	if (rc)
		snprintf(c.detail, sizeof(c.detail), "%s: %s", pi_prefix_fmt_addr(&addr, buf), strerror(-rc));
	else
		snprintf(c.detail, sizeof(c.detail), "%s: %d from %s", pi_prefix_fmt_addr(&addr, buf), r.status,
			 r.server_node[0] ? r.server_node : "?");
	c.ok = rc == 0 && r.status == 200;
	if (c.ok && want_node)
		c.ok = strcmp(r.server_node, want_node) == 0;
	if (c.ok && anycast) {
		uint32_t srv = pi_plan_node_by_name(p, r.server_node);
		c.ok = srv != PI_NONE && p->pods[p->nodes[srv].pod].anycast && pi_prefix_is_set(&p->nodes[srv].anycast4);
	}
	pi_verify_add(vp, vp->http, &c);
}

/* "name." -> "name" (HTTP Host and URLs carry no final dot). */
static void host_of(const char *fqdn, const char *prefix, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s", prefix, fqdn);
	size_t n = strlen(buf);
	if (n && buf[n - 1] == '.')
		buf[n - 1] = '\0';
}

static void fetch_web(struct verify_part *vp, uint32_t client, int nsfd, uint32_t web)
{
	const struct pi_plan *p = vp->plan;
	char host[300];
	host_of(p->nodes[web].fqdn, "", host, sizeof(host));
	bool v4 = pi_verify_has_v4(p, client);
	if (v4)
		fetch(vp, client, nsfd, host, false, p->nodes[web].name, false, web);
	fetch(vp, client, nsfd, host, true, p->nodes[web].name, false, web);
	if (!v4) { /* through DNS64 and NAT64 to the IPv4-only name */
		host_of(p->nodes[web].fqdn, "ipv4.", host, sizeof(host));
		fetch(vp, client, nsfd, host, true, p->nodes[web].name, false, web);
	}
}

static int http_one(void *ctx, size_t i)
{
	struct verify_part *vp = ctx;
	const struct pi_plan *p = vp->plan;
	if (!(p->nodes[i].services & PI_SVC_CLIENT))
		return 0;
	int nsfd = pi_verify_open(vp, (uint32_t)i, vp->http);
	if (nsfd < 0)
		return 0;
	for (uint32_t w = 0; w < p->n_nodes; w++)
		if ((p->nodes[w].services & PI_SVC_HTTP) && p->nodes[w].fqdn)
			fetch_web(vp, (uint32_t)i, nsfd, w);
	for (uint32_t pod = 0; pod < p->n_pods; pod++)
		if (p->pods[pod].anycast) { /* the CDN name: once, from the first anycast pod */
			char host[300];
			host_of(p->pods[pod].domain, "www.", host, sizeof(host));
			fetch(vp, (uint32_t)i, nsfd, host, !pi_verify_has_v4(p, (uint32_t)i), NULL, true, PI_NONE);
			break;
		}
	close(nsfd);
	return 0;
}

void pi_verify_http_run(struct verify_part *vp)
{
	pi_pool_run(vp->plan->n_nodes, vp->parallel, http_one, NULL, vp, NULL);
}
