/* fab: see fab.h. The blueprints mirror the YAML files in blueprints/. */
#include <stdlib.h>
#include <string.h>
#include "fab.h"
#include "pocketinternet/log.h"

#define MAXE 512

static struct pi_bp_role r_transit[] = {
	{ .name = "border", .services = PI_SVC_ROUTER | PI_SVC_EBGP, .count = { 2, 1, 4 } },
	{ .name = "core", .services = PI_SVC_ROUTER, .count = { 1, 1, 2 } },
	{ .name = "auth", .services = PI_SVC_AUTHDNS, .count = { 1, 1, 1 } },
	{ .name = "resolver", .services = PI_SVC_RESOLVER, .count = { 1, 1, 1 } },
};
static struct pi_bp_link l_transit[] = { { .a = "border", .b = "core", .pattern = PI_PAT_FULL } };
static const char *m_transit_svc[] = { "core", "auth", "resolver" };
static struct pi_bp_lan n_transit[] = { { .name = "svc", .members = m_transit_svc, .n_members = 3, .v4_len = 28, .v6_len = 64 } };

static struct pi_bp_role r_ixp[] = { { .name = "rs", .services = PI_SVC_RS, .count = { 1, 1, 2 } } };

static struct pi_bp_role r_bb[] = {
	{ .name = "border", .services = PI_SVC_ROUTER | PI_SVC_EBGP, .count = { 1, 1, 2 } },
	{ .name = "access", .services = PI_SVC_ROUTER | PI_SVC_DHCP | PI_SVC_NAT44 | PI_SVC_NAT64, .count = { 1, 1, 1 }, .v4_hosts = 8 },
	{ .name = "resolver", .services = PI_SVC_RESOLVER, .count = { 1, 1, 1 } },
	{ .name = "auth", .services = PI_SVC_AUTHDNS, .count = { 1, 1, 1 } },
	{ .name = "sub", .services = PI_SVC_CLIENT, .count = { 2, 1, 8 } },
	{ .name = "v6only", .services = PI_SVC_CLIENT, .count = { 1, 0, 4 } },
};
static struct pi_bp_link l_bb[] = { { .a = "border", .b = "access", .pattern = PI_PAT_FULL } };
static const char *m_bb_svc[] = { "access", "resolver", "auth" };
static const char *m_bb_subs[] = { "access", "sub" };
static const char *m_bb_v6[] = { "access", "v6only" };
static struct pi_bp_lan n_bb[] = {
	{ .name = "svc", .members = m_bb_svc, .n_members = 3, .v4_len = 28, .v6_len = 64 },
	{ .name = "subs", .members = m_bb_subs, .n_members = 2, .v4_len = 24, .v6_len = 64, .subscriber = true, .cgnat = true },
	{ .name = "v6only", .members = m_bb_v6, .n_members = 2, .v4_len = 0, .v6_len = 64, .subscriber = true, .nat64 = true },
};

static struct pi_bp_role r_content[] = {
	{ .name = "border", .services = PI_SVC_ROUTER | PI_SVC_EBGP, .count = { 1, 1, 2 } },
	{ .name = "web", .services = PI_SVC_HTTP, .count = { 2, 1, 2 } },
	{ .name = "auth", .services = PI_SVC_AUTHDNS, .count = { 1, 1, 1 } },
};
static struct pi_bp_link l_content[] = { { .a = "border", .b = "border", .pattern = PI_PAT_FULL } };
static const char *m_content_srv[] = { "border", "web", "auth" };
static struct pi_bp_lan n_content[] = { { .name = "srv", .members = m_content_srv, .n_members = 3, .v4_len = 28, .v6_len = 64 } };

struct fab {
	struct pi_lab lab; /* first: fab_free casts back */
	struct pi_blueprint bps[4];
	struct pi_lab_pod pods[MAXE];
	struct pi_lab_rel rels[MAXE];
	struct pi_role_override ovr[MAXE];
	size_t n_ovr;
};

struct pi_lab *fab_lab(const char *name, uint64_t seed, unsigned transit, unsigned ixp, unsigned broadband,
		       unsigned content)
{
	struct fab *f = pi_xcalloc(1, sizeof(*f));
	struct pi_lab *lab = &f->lab;
	/* Sorted by name, as the loader keeps them. */
	f->bps[0] = (struct pi_blueprint){ .name = "broadband", .tier = PI_TIER_STUB, .providers = { 1, 1, 2 },
					   .ixps = { 0, 0, 1 }, .roles = r_bb, .n_roles = 6, .links = l_bb,
					   .n_links = 1, .lans = n_bb, .n_lans = 3 };
	f->bps[1] = (struct pi_blueprint){ .name = "content", .tier = PI_TIER_STUB, .anycast = true,
					   .providers = { 1, 1, 2 }, .ixps = { 0, 0, 1 }, .roles = r_content,
					   .n_roles = 3, .links = l_content, .n_links = 1, .lans = n_content, .n_lans = 1 };
	f->bps[2] = (struct pi_blueprint){ .name = "ixp", .tier = PI_TIER_IXP, .roles = r_ixp, .n_roles = 1 };
	f->bps[3] = (struct pi_blueprint){ .name = "transit", .tier = PI_TIER_TRANSIT, .roles = r_transit,
					   .n_roles = 4, .links = l_transit, .n_links = 1, .lans = n_transit,
					   .n_lans = 1 };
	for (int i = 0; i < 4; i++)
		f->bps[i].file = "fab";
	lab->blueprints = f->bps;
	lab->n_blueprints = 4;
	lab->file = "fab.yml";
	lab->name = name;
	lab->tld = "pocket";
	lab->seed = seed;
	lab->pods = f->pods;
	lab->rels = f->rels;
	lab->v4_pos = (struct pi_pos){ "fab.yml", 3, 9 };
	lab->v6_pos = (struct pi_pos){ "fab.yml", 4, 9 };
	fab_set_space(lab, "10.0.0.0/8", "2001:db8::/32");
	fab_add_count(lab, "transit", transit);
	fab_add_count(lab, "ixp", ixp);
	fab_add_count(lab, "broadband", broadband);
	fab_add_count(lab, "content", content);
	return lab;
}

void fab_set_space(struct pi_lab *lab, const char *v4, const char *v6)
{
	if (pi_prefix_parse(v4, &lab->v4) || pi_prefix_parse(v6, &lab->v6))
		pi_fatal("fab: bad address space");
}

static const struct pi_blueprint *bp_by_name(struct pi_lab *lab, const char *name)
{
	for (size_t i = 0; i < lab->n_blueprints; i++)
		if (strcmp(lab->blueprints[i].name, name) == 0)
			return &lab->blueprints[i];
	pi_fatal("fab: no blueprint %s", name);
}

static struct pi_lab_pod *entry(struct pi_lab *lab, const char *bp)
{
	if (lab->n_pods >= MAXE)
		pi_fatal("fab: too many pod entries");
	struct pi_lab_pod *p = &lab->pods[lab->n_pods++];
	memset(p, 0, sizeof(*p));
	p->blueprint = bp;
	p->bp = bp_by_name(lab, bp);
	p->pos = (struct pi_pos){ "fab.yml", (unsigned)(10 + lab->n_pods), 5 };
	return p;
}

void fab_add_count(struct pi_lab *lab, const char *bp, unsigned count)
{
	if (!count)
		return;
	entry(lab, bp)->count = count;
}

void fab_add_pod(struct pi_lab *lab, const char *name, const char *bp, uint32_t asn)
{
	struct pi_lab_pod *p = entry(lab, bp);
	p->name = name;
	p->count = 1;
	p->asn = asn;
}

void fab_add_override(struct pi_lab *lab, const char *role, unsigned count)
{
	struct fab *f = (struct fab *)lab;
	struct pi_lab_pod *p = &lab->pods[lab->n_pods - 1];
	if (!p->overrides)
		p->overrides = &f->ovr[f->n_ovr];
	f->ovr[f->n_ovr++] = (struct pi_role_override){ role, count, { "fab.yml", 99, 7 } };
	p->n_overrides++;
}

void fab_add_rel(struct pi_lab *lab, enum pi_lab_rel_kind kind, const char *a, const char *b, unsigned line)
{
	if (lab->n_rels >= MAXE)
		pi_fatal("fab: too many relationships");
	lab->rels[lab->n_rels++] = (struct pi_lab_rel){ kind, a, b, { "fab.yml", line, 5 } };
}

void fab_free(struct pi_lab *lab)
{
	free(lab);
}
