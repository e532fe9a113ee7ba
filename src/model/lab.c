/*
 * lab: loading a lab file (native format) and its blueprints into a
 * struct pi_lab, and the lookups the planner uses.
 *
 * Order of work: blueprints first (a lab is checked against them), then the
 * lab file's tree; the original Pocket Internet format is recognised from
 * the tree and handed to legacy.c. Every check reports and goes on; the lab
 * is returned only when nothing was reported.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>
#include "model.h"

static const char *const lab_keys[] = { "name",	    "title", "seed",	      "tld", "address_space",
					"pods",	    "relationships", "limits", "impairments", "teams", "rpki", "external", NULL };
static const char *const limit_keys[] = { "memory", "pids", NULL };
static const char *const class_names[] = { "router", "resolver", "server", "client", "default", NULL };

static void parse_limits(struct pi_ld *ld, const struct pi_ynode *n, struct pi_lab_limits *lim);
static const char *const space_keys[] = { "ipv4", "ipv6", NULL };
static const char *const pod_keys[] = { "name", "blueprint", "count", "asn", "roles", "configure", "announce", NULL };
static const char *const rel_keys[] = { "provider", "customer", "peers", "ixp", "members", NULL };

/* Every pod name the lab will have (explicit and generated), for uniqueness
 * and for the names relationships use. */
struct podname {
	const char *name;
	const struct pi_blueprint *bp; /* NULL when the blueprint is unknown */
	struct pi_pos pos;
	bool explicit_;
	uint32_t index; /* in the table, for ties and relationship keys */
};

/* A relationship already made, by its unordered pair of pods (and whether it
 * is an IXP membership): an open-addressing set, so labs of thousands of
 * pods check duplicates in linear time. */
struct relslot {
	uint64_t key; /* 0 = empty */
	uint32_t rel;
};

struct native {
	struct pi_ld *ld;
	struct pi_lab *lab;
	struct pi_vec explicit_; /* struct pi_lab_pod */
	struct pi_vec generated; /* struct pi_lab_pod */
	struct pi_vec names;     /* struct podname */
	struct pi_vec rels;      /* struct pi_lab_rel */
	bool names_ok;           /* the table is complete: relationships can be checked */
	struct podname **sorted; /* names by (name, index) */
	struct relslot *relset;
	size_t relset_cap;
};

static int cmp_podname(const void *x, const void *y)
{
	const struct podname *a = *(struct podname *const *)x, *b = *(struct podname *const *)y;
	int c = strcmp(a->name, b->name);
	return c ? c : (a->index > b->index) - (a->index < b->index);
}

static int cmp_pod_asn(const void *x, const void *y)
{
	const struct pi_lab_pod *a = *(struct pi_lab_pod *const *)x, *b = *(struct pi_lab_pod *const *)y;
	if (a->asn != b->asn)
		return a->asn < b->asn ? -1 : 1;
	return (a > b) - (a < b); /* file order: the vector keeps it */
}

const struct pi_blueprint *pi_lab_blueprint(const struct pi_lab *lab, const char *name)
{
	for (size_t i = 0; lab && name && i < lab->n_blueprints; i++)
		if (strcmp(lab->blueprints[i].name, name) == 0)
			return &lab->blueprints[i];
	return NULL;
}

static const char **bp_names(struct pi_ld *ld, const struct pi_lab *lab)
{
	const char **v = pi_arena_alloc(&ld->tmp, (lab->n_blueprints + 1) * sizeof(*v));
	for (size_t i = 0; i < lab->n_blueprints; i++)
		v[i] = lab->blueprints[i].name;
	return v;
}

/* Resolves a blueprint name; reports an unknown one unless no blueprints
 * could be loaded at all (that was reported already). */
static const struct pi_blueprint *bp_ref(struct native *nt, const struct pi_ynode *n, const char **name)
{
	struct pi_ld *ld = nt->ld;
	if (!pi_y_str(ld, n, "blueprint", name))
		return NULL;
	const struct pi_blueprint *bp = pi_lab_blueprint(nt->lab, *name);
	if (bp || nt->lab->n_blueprints == 0)
		return bp;
	const char **names = bp_names(ld, nt->lab);
	const char *near = pi_nearest(*name, names, nt->lab->n_blueprints);
	const char *list = pi_ld_join(ld, names, nt->lab->n_blueprints, nt->lab->n_blueprints);
	pi_ld_err(ld, n->pos,
		  near ? pi_ld_fmt(ld, "did you mean '%s'? available blueprints: %s", near, list)
		       : pi_ld_fmt(ld, "available blueprints: %s (add blueprints/%s.yml to make a new one)", list, *name),
		  "unknown blueprint '%s'", pi_ld_val(ld, *name));
	return NULL;
}

static void parse_overrides(struct native *nt, const struct pi_ynode *n, struct pi_lab_pod *pod)
{
	struct pi_ld *ld = nt->ld;
	if (!pi_y_is(ld, n, PI_Y_MAP, "roles"))
		return;
	size_t n_entries = pi_y_cap(ld, n, PI_BP_MAX_ROLES, "role overrides");
	pod->overrides = pi_arena_alloc(ld->arena, (n_entries ? n_entries : 1) * sizeof(*pod->overrides));
	for (size_t i = 0; i < n_entries && !pi_ld_full(ld); i++) {
		const struct pi_ynode *k = n->kids[2 * i], *v = n->kids[2 * i + 1];
		const char *role;
		uint64_t count;
		if (!pi_y_str(ld, k, "a role name", &role))
			continue;
		bool dup = false;
		for (size_t j = 0; j < pod->n_overrides && !dup; j++)
			dup = strcmp(pod->overrides[j].role, role) == 0;
		if (dup) {
			pi_ld_err(ld, k->pos, "give each role's count once", "role '%s' listed twice", pi_ld_val(ld, role));
			continue;
		}
		const struct pi_bp_role *r = NULL;
		if (pod->bp) {
			r = pi_blueprint_role(pod->bp, role);
			if (!r) {
				const char **names = pi_arena_alloc(&ld->tmp, (pod->bp->n_roles + 1) * sizeof(*names));
				size_t m = 0;
				for (size_t j = 0; j < pod->bp->n_roles; j++)
					if (pod->bp->roles[j].name)
						names[m++] = pod->bp->roles[j].name;
				const char *near = pi_nearest(role, names, m);
				const char *list = pi_ld_join(ld, names, m, m);
				pi_ld_err(ld, k->pos,
					  near ? pi_ld_fmt(ld, "did you mean '%s'? roles of %s: %s", near, pod->bp->name, list)
					       : pi_ld_fmt(ld, "roles of %s: %s", pod->bp->name, list),
					  "blueprint '%s' has no role '%s'", pod->bp->name, pi_ld_val(ld, role));
				continue;
			}
		}
		if (!pi_y_uint(ld, v, pi_ld_fmt(ld, "the count of role '%s'", role), 0, PI_ROLE_COUNT_MAX, &count))
			continue;
		if (r && (count < r->count.min || count > r->count.max)) {
			pi_ld_err(ld, v->pos,
				  pi_ld_fmt(ld, "use %u to %u, or widen min/max of the role in %s", r->count.min,
					    r->count.max, pod->bp->file),
				  "role '%s' count %llu is outside %u..%u allowed by blueprint '%s'", role,
				  (unsigned long long)count, r->count.min, r->count.max, pod->bp->name);
			continue;
		}
		struct pi_role_override *o = &pod->overrides[pod->n_overrides++];
		o->role = role;
		o->count = (unsigned)count;
		o->pos = k->pos;
	}
}

static bool asn_ok(struct pi_ld *ld, const struct pi_ynode *n, uint32_t *out)
{
	uint64_t v;
	if (!pi_y_uint(ld, n, "asn", 1, 4294967294u, &v))
		return false;
	/* AS_TRANS (RFC 6793) and the last 16-bit ASN (RFC 7300) mean something to BGP itself. */
	if (v == 23456 || v == 65535) {
		pi_ld_err(ld, n->pos, "use a private ASN (64512-65534 or 4200000000-4294967294)",
			  "asn %llu is reserved (%s)", (unsigned long long)v,
			  v == 23456 ? "AS_TRANS, RFC 6793" : "RFC 7300");
		return false;
	}
	*out = (uint32_t)v;
	return true;
}

static void parse_pod_entry(struct native *nt, const struct pi_ynode *n)
{
	struct pi_ld *ld = nt->ld;
	if (!pi_y_is(ld, n, PI_Y_MAP, "a pods entry"))
		return;
	pi_y_keys(ld, n, pod_keys, "a pods entry");
	struct pi_lab_pod pod = { .pos = n->pos, .count = 1 };
	const struct pi_ynode *name = pi_y_get(n, "name"), *bp = pi_y_get(n, "blueprint"), *count = pi_y_get(n, "count"),
			      *asn = pi_y_get(n, "asn"), *roles = pi_y_get(n, "roles");
	if (!bp)
		pi_ld_err(ld, n->pos, "add blueprint: NAME (e.g. transit, broadband)", "pod entry without 'blueprint'");
	else
		pod.bp = bp_ref(nt, bp, &pod.blueprint);
	if (name && pi_y_str(ld, name, "pod name", &pod.name) &&
	    !pi_y_name_ok(pod.name, PI_LAB_NAME_MAX, true))
		pi_ld_err(ld, name->pos,
			  pi_ld_fmt(ld, "use lowercase letters, digits and '-', starting with a letter, at most %d chars",
				    PI_LAB_NAME_MAX),
			  "invalid pod name '%s'", pi_ld_val(ld, pod.name));
	if (name && count)
		pi_ld_err(ld, pi_y_key(n, "count")->pos, "remove count, or remove name to generate several pods",
			  "a named pod is one pod: it cannot have a count");
	uint64_t v;
	if (!name && count && pi_y_uint(ld, count, "count", 0, PI_LAB_MAX_PODS, &v))
		pod.count = (unsigned)v;
	if (asn) {
		if (!name)
			pi_ld_err(ld, pi_y_key(n, "asn")->pos, "add name: to make it one named pod, or remove asn",
				  "only a named pod can have a fixed asn");
		else
			asn_ok(ld, asn, &pod.asn);
	}
	if (roles)
		parse_overrides(nt, roles, &pod);
	if (pi_y_get(n, "configure"))
		pi_lab_parse_configure(ld, pi_y_get(n, "configure"), name != NULL, &pod);
	const struct pi_ynode *ann = pi_y_get(n, "announce");
	if (ann && !name)
		pi_ld_err(ld, pi_y_key(n, "announce")->pos, "add name: to make it one named pod",
			  "only a named pod can announce a table");
	else if (ann)
		pi_lab_parse_announce(ld, ann, nt->lab, &pod);
	if (name && pod.name)
		*(struct pi_lab_pod *)pi_vec_push(&nt->explicit_) = pod;
	else if (!name && pod.count > 0 && pod.blueprint)
		*(struct pi_lab_pod *)pi_vec_push(&nt->generated) = pod;
}

/* Short form: {blueprint: count, ...} */
static void parse_pod_counts(struct native *nt, const struct pi_ynode *n)
{
	struct pi_ld *ld = nt->ld;
	size_t m = pi_y_cap(ld, n, PI_LAB_MAX_PODS, "pods entries");
	for (size_t i = 0; i < m && !pi_ld_full(ld); i++) {
		const struct pi_ynode *k = n->kids[2 * i], *v = n->kids[2 * i + 1];
		struct pi_lab_pod pod = { .pos = k->pos };
		uint64_t c;
		bool dup = false;
		for (size_t j = 0; j < i && !dup; j++) {
			const struct pi_ynode *o = n->kids[2 * j];
			dup = o->kind == PI_Y_SCALAR && k->kind == PI_Y_SCALAR && strcmp(o->str, k->str) == 0;
		}
		if (dup) {
			pi_ld_err(ld, k->pos, "give each blueprint's count once", "blueprint '%s' listed twice",
				  k->str);
			continue;
		}
		pod.bp = bp_ref(nt, k, &pod.blueprint);
		if (!pi_y_uint(ld, v, pi_ld_fmt(ld, "the count of '%s' pods", k->kind == PI_Y_SCALAR ? pi_ld_val(ld, k->str) : "?"),
			       0, PI_LAB_MAX_PODS, &c))
			continue;
		pod.count = (unsigned)c;
		if (pod.count > 0 && pod.blueprint)
			*(struct pi_lab_pod *)pi_vec_push(&nt->generated) = pod;
	}
}

/* The name table: explicit names, then <blueprint><n> numbered per blueprint. */
static void build_names(struct native *nt)
{
	for (size_t i = 0; i < nt->explicit_.len; i++) {
		struct pi_lab_pod *p = pi_vec_at(&nt->explicit_, i);
		if (!p->name)
			continue;
		struct podname *pn = pi_vec_push(&nt->names);
		*pn = (struct podname){ p->name, p->bp, p->pos, true, (uint32_t)(nt->names.len - 1) };
	}
	struct counter {
		const char *bp;
		unsigned next;
	};
	struct pi_vec counters = PI_VEC_INIT(struct counter);
	for (size_t i = 0; i < nt->generated.len; i++) {
		struct pi_lab_pod *p = pi_vec_at(&nt->generated, i);
		/* Few distinct blueprints (unknown ones stop at the error cap): a list will do. */
		struct counter *ctr = NULL;
		for (size_t j = 0; j < counters.len && !ctr; j++) {
			struct counter *c = pi_vec_at(&counters, j);
			if (strcmp(c->bp, p->blueprint) == 0)
				ctr = c;
		}
		if (!ctr) {
			ctr = pi_vec_push(&counters);
			ctr->bp = p->blueprint;
			ctr->next = 1;
		}
		unsigned next = ctr->next;
		ctr->next += p->count;
		p->first_index = next;
		/* "bp2" + 1 would read as "bp21": a dash keeps the number apart (as the planner does). */
		size_t bl = strlen(p->blueprint);
		const char *dash = bl && p->blueprint[bl - 1] >= '0' && p->blueprint[bl - 1] <= '9' ? "-" : "";
		for (unsigned k = 0; k < p->count; k++) {
			struct podname *pn = pi_vec_push(&nt->names);
			const char *name = pi_arena_printf(nt->ld->arena, "%s%s%u", p->blueprint, dash, next + k);
			*pn = (struct podname){ name, p->bp, p->pos, false, (uint32_t)(nt->names.len - 1) };
		}
	}
	pi_vec_free(&counters);
}

/* Sorts the name table (pod_ref searches it) and reports a name used twice. */
static void check_names(struct native *nt)
{
	struct pi_ld *ld = nt->ld;
	size_t nn = nt->names.len;
	nt->sorted = pi_arena_alloc(&ld->tmp, (nn ? nn : 1) * sizeof(*nt->sorted));
	for (size_t i = 0; i < nn; i++)
		nt->sorted[i] = pi_vec_at(&nt->names, i);
	qsort(nt->sorted, nn, sizeof(*nt->sorted), cmp_podname);
	for (size_t i = 1, first = 0; i < nn; i++) {
		struct podname *a = nt->sorted[i], *b = nt->sorted[first];
		if (strcmp(a->name, b->name) != 0) {
			first = i;
			continue;
		}
		if (b->explicit_ && a->explicit_)
			pi_ld_err(ld, a->pos, "give every pod its own name", "duplicate pod name '%s' (first at line %u)",
				  a->name, b->pos.line);
		else
			pi_ld_err(ld, b->explicit_ ? b->pos : a->pos,
				  "generated pods are named <blueprint><n>; choose another name for the named pod",
				  "pod name '%s' is also the name of a generated pod (line %u)", a->name,
				  b->explicit_ ? a->pos.line : b->pos.line);
	}
}

/* Fixed ASNs of named pods must differ. */
static void check_asns(struct native *nt)
{
	struct pi_ld *ld = nt->ld;
	size_t ne = nt->explicit_.len;
	struct pi_lab_pod **by_asn = pi_arena_alloc(&ld->tmp, (ne ? ne : 1) * sizeof(*by_asn));
	for (size_t i = 0; i < ne; i++)
		by_asn[i] = pi_vec_at(&nt->explicit_, i);
	qsort(by_asn, ne, sizeof(*by_asn), cmp_pod_asn);
	for (size_t i = 1, first = 0; i < ne; i++) {
		struct pi_lab_pod *a = by_asn[i], *b = by_asn[first];
		if (!a->asn || a->asn != b->asn) {
			first = i;
			continue;
		}
		pi_ld_err(ld, a->pos, "give every pod its own asn, or leave asn out to let the planner choose",
			  "duplicate asn %u (also pod '%s', line %u)", a->asn, b->name ? b->name : "?", b->pos.line);
	}
}

static void parse_pods(struct native *nt, const struct pi_ynode *n)
{
	struct pi_ld *ld = nt->ld;
	if (n->kind == PI_Y_MAP) {
		parse_pod_counts(nt, n);
	} else if (n->kind == PI_Y_SEQ) {
		size_t m = pi_y_cap(ld, n, PI_LAB_MAX_PODS, "pods entries");
		for (size_t i = 0; i < m && !pi_ld_full(ld); i++)
			parse_pod_entry(nt, n->kids[i]);
	} else {
		pi_ld_err(ld, n->pos, "write pods: {transit: 2, broadband: 3} or a list of pod entries",
			  "pods must be a mapping (blueprint: count) or a list, not %s", pi_y_kind_name(n));
		return;
	}
	size_t total = nt->explicit_.len;
	for (size_t i = 0; i < nt->generated.len; i++)
		total += ((struct pi_lab_pod *)pi_vec_at(&nt->generated, i))->count;
	if (total == 0)
		pi_ld_err(ld, n->pos, "add at least one pod", "the lab has no pods");
	if (total > PI_LAB_MAX_PODS) {
		pi_ld_err(ld, n->pos, pi_ld_fmt(ld, "use at most %d pods", PI_LAB_MAX_PODS), "the lab has %zu pods",
			  total);
		return;
	}
	build_names(nt);
	check_names(nt);
	check_asns(nt);
	nt->names_ok = true;
}

/* Resolves a pod name for a relationship; NULL (reported) when unknown. */
static const struct podname *pod_ref(struct native *nt, const struct pi_ynode *n, const char *what)
{
	struct pi_ld *ld = nt->ld;
	const char *name;
	if (!pi_y_str(ld, n, what, &name))
		return NULL;
	/* The first of equal names in the sorted table: the one defined first. */
	size_t lo = 0, hi = nt->names.len;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(nt->sorted[mid]->name, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < nt->names.len && strcmp(nt->sorted[lo]->name, name) == 0)
		return nt->sorted[lo];
	const char **names = pi_arena_alloc(&ld->tmp, (nt->names.len + 1) * sizeof(*names));
	for (size_t i = 0; i < nt->names.len; i++)
		names[i] = ((const struct podname *)pi_vec_at(&nt->names, i))->name;
	/* A suggestion needs an edit distance per pod: only for labs of sane size. */
	const char *near = nt->names.len <= 2000 ? pi_nearest(name, names, nt->names.len) : NULL;
	const char *list = pi_ld_join(ld, names, nt->names.len, 12);
	pi_ld_err(ld, n->pos,
		  near ? pi_ld_fmt(ld, "did you mean '%s'? pods: %s", near, list)
		       : pi_ld_fmt(ld, "name a pod of this lab (generated pods are <blueprint><n>): %s", list),
		  "%s: unknown pod '%s'", what, pi_ld_val(ld, name));
	return NULL;
}

static bool is_tier(const struct podname *p, enum pi_tier t)
{
	return p && p->bp && p->bp->tier == t;
}

static void push_rel(struct native *nt, enum pi_lab_rel_kind kind, const struct podname *a, const struct podname *b,
		     struct pi_pos pos)
{
	struct pi_ld *ld = nt->ld;
	if (2 * (nt->rels.len + 1) > nt->relset_cap) {
		/* Grow and rehash: keep the load at most one half. */
		size_t cap = nt->relset_cap ? 2 * nt->relset_cap : 64;
		struct relslot *old = nt->relset, *set = pi_xcalloc(cap, sizeof(*set));
		for (size_t i = 0; i < nt->relset_cap; i++) {
			if (!old[i].key)
				continue;
			size_t h = (size_t)(pi_hash64(&old[i].key, sizeof(old[i].key), 0) & (cap - 1));
			while (set[h].key)
				h = (h + 1) & (cap - 1);
			set[h] = old[i];
		}
		free(old);
		nt->relset = set;
		nt->relset_cap = cap;
	}
	uint64_t lo = a->index < b->index ? a->index : b->index, hi = a->index < b->index ? b->index : a->index;
	uint64_t key = ((lo << 32 | hi) << 1 | (kind == PI_LAB_REL_IXP)) + 1;
	size_t h = (size_t)(pi_hash64(&key, sizeof(key), 0) & (nt->relset_cap - 1));
	for (; nt->relset[h].key; h = (h + 1) & (nt->relset_cap - 1)) {
		if (nt->relset[h].key != key)
			continue;
		const struct pi_lab_rel *r = pi_vec_at(&nt->rels, nt->relset[h].rel);
		if (kind == PI_LAB_REL_IXP)
			pi_ld_err(ld, pos, "list each member once", "'%s' is already a member of IXP '%s' (line %u)",
				  a->name, b->name, r->pos.line);
		else
			pi_ld_err(ld, pos, "keep one relationship per pair of pods",
				  "pods '%s' and '%s' are already related (line %u)", a->name, b->name, r->pos.line);
		return;
	}
	nt->relset[h].key = key;
	nt->relset[h].rel = (uint32_t)nt->rels.len;
	struct pi_lab_rel *r = pi_vec_push(&nt->rels);
	r->kind = kind;
	r->a = a->name;
	r->b = b->name;
	r->pos = pos;
}

/* A two-part relationship (provider/customer, ixp/members) names both
 * parts; the hint asks for the missing one. */
static bool has_both(struct pi_ld *ld, const struct pi_ynode *n, const struct pi_ynode *first,
		     const struct pi_ynode *second, const char *add_first, const char *add_second, const char *what,
		     const char *first_key, const char *second_key)
{
	if (first && second)
		return true;
	pi_ld_err(ld, n->pos, first ? add_second : add_first, "%s needs both %s and %s", what, first_key, second_key);
	return false;
}

/* {provider: A, customer: B}: a transit pod sells transit to a stub pod. */
static void parse_provider(struct native *nt, const struct pi_ynode *n, const struct pi_ynode *prov,
			   const struct pi_ynode *cust)
{
	struct pi_ld *ld = nt->ld;
	if (!has_both(ld, n, prov, cust, "add provider: POD", "add customer: POD", "a provider relationship",
		      "provider", "customer"))
		return;
	const struct podname *a = pod_ref(nt, prov, "provider"), *b = pod_ref(nt, cust, "customer");
	if (!a || !b)
		return;
	if (a == b) {
		pi_ld_err(ld, cust->pos, "name two different pods", "pod '%s' cannot be its own provider", a->name);
		return;
	}
	bool ok = true;
	if (a->bp && !is_tier(a, PI_TIER_TRANSIT)) {
		pi_ld_err(ld, prov->pos, "name a pod whose blueprint has tier: transit",
			  "provider '%s' is a %s pod; only transit pods sell transit", a->name,
			  pi_tier_name(a->bp->tier));
		ok = false;
	}
	if (b->bp && !is_tier(b, PI_TIER_STUB)) {
		pi_ld_err(ld, cust->pos,
			  is_tier(b, PI_TIER_TRANSIT) ? "transit pods peer with each other: use {peers: [A, B]}"
						      : "an IXP pod is joined with {ixp: X, members: [...]}",
			  "customer '%s' is a %s pod; only stub pods buy transit", b->name, pi_tier_name(b->bp->tier));
		ok = false;
	}
	if (ok)
		push_rel(nt, PI_LAB_REL_PROVIDER, a, b, n->pos);
}

/* {peers: [A, B]}: private peering between two pods that are not IXPs. */
static void parse_peers(struct native *nt, const struct pi_ynode *n, const struct pi_ynode *peers)
{
	struct pi_ld *ld = nt->ld;
	if (!pi_y_is(ld, peers, PI_Y_SEQ, "peers"))
		return;
	if (peers->n != 2) {
		pi_ld_err(ld, peers->pos, "name exactly two pods; add one entry per pair",
			  "peers must name 2 pods, not %zu", peers->n);
		return;
	}
	const struct podname *a = pod_ref(nt, peers->kids[0], "peers"), *b = pod_ref(nt, peers->kids[1], "peers");
	if (!a || !b)
		return;
	if (a == b) {
		pi_ld_err(ld, peers->kids[1]->pos, "name two different pods", "pod '%s' cannot peer with itself",
			  a->name);
		return;
	}
	bool ok = true;
	for (size_t i = 0; i < 2; i++) {
		const struct podname *p = i ? b : a;
		if (is_tier(p, PI_TIER_IXP)) {
			pi_ld_err(ld, peers->kids[i]->pos, "to join an IXP write {ixp: X, members: [A, B]}",
				  "'%s' is an IXP pod; IXPs do not peer privately", p->name);
			ok = false;
		}
	}
	if (ok)
		push_rel(nt, PI_LAB_REL_PEER, a, b, n->pos);
}

/* {ixp: X, members: [A, ...]}: each member joins the IXP pod X. */
static void parse_ixp(struct native *nt, const struct pi_ynode *n, const struct pi_ynode *ixp,
		      const struct pi_ynode *members)
{
	struct pi_ld *ld = nt->ld;
	if (!has_both(ld, n, ixp, members, "add ixp: POD", "add members: [POD, ...]", "an IXP relationship", "ixp",
		      "members"))
		return;
	const struct podname *x = pod_ref(nt, ixp, "ixp");
	if (x && x->bp && !is_tier(x, PI_TIER_IXP)) {
		pi_ld_err(ld, ixp->pos, "name a pod whose blueprint has tier: ixp",
			  "'%s' is a %s pod, not an IXP", x->name, pi_tier_name(x->bp->tier));
		x = NULL;
	}
	if (!pi_y_is(ld, members, PI_Y_SEQ, "members"))
		return;
	if (members->n == 0)
		pi_ld_err(ld, members->pos, "name at least one member pod", "members is empty");
	size_t n_members = pi_y_cap(ld, members, PI_LAB_MAX_PODS, "members");
	for (size_t i = 0; i < n_members && !pi_ld_full(ld); i++) {
		const struct pi_ynode *m = members->kids[i];
		const struct podname *p = pod_ref(nt, m, "members");
		if (!p)
			continue;
		if (is_tier(p, PI_TIER_IXP)) {
			pi_ld_err(ld, m->pos, "remove it: IXPs are not members of IXPs",
				  "'%s' is an IXP pod and cannot be a member", p->name);
			continue;
		}
		if (x)
			push_rel(nt, PI_LAB_REL_IXP, p, x, m->pos);
	}
}

static void parse_rel(struct native *nt, const struct pi_ynode *n)
{
	struct pi_ld *ld = nt->ld;
	if (!pi_y_is(ld, n, PI_Y_MAP, "a relationships entry"))
		return;
	pi_y_keys(ld, n, rel_keys, "a relationships entry");
	const struct pi_ynode *prov = pi_y_get(n, "provider"), *cust = pi_y_get(n, "customer"),
			      *peers = pi_y_get(n, "peers"), *ixp = pi_y_get(n, "ixp"), *members = pi_y_get(n, "members");
	bool is_prov = prov || cust, is_peer = peers != NULL, is_ixp = ixp || members;
	int kinds = is_prov + is_peer + is_ixp;
	if (kinds == 0) {
		pi_ld_err(ld, n->pos, "write {provider: A, customer: B}, {peers: [A, B]} or {ixp: X, members: [A, B]}",
			  "a relationship needs provider/customer, peers or ixp/members");
		return;
	}
	if (kinds > 1) {
		pi_ld_err(ld, n->pos, "split it into one entry per relationship",
			  "this relationship mixes %s", is_prov && is_peer ? "provider/customer and peers"
							: is_prov ? "provider/customer and ixp/members"
								  : "peers and ixp/members");
		return;
	}
	if (!nt->names_ok)
		return; /* pods were broken: names would only produce noise */
	if (is_prov)
		parse_provider(nt, n, prov, cust);
	else if (is_peer)
		parse_peers(nt, n, peers);
	else
		parse_ixp(nt, n, ixp, members);
}

static void parse_prefix(struct native *nt, const struct pi_ynode *n, unsigned family, struct pi_prefix *out,
			 struct pi_pos *pos)
{
	struct pi_ld *ld = nt->ld;
	const char *what = family == PI_AF_V4 ? "ipv4" : "ipv6";
	const char *eg = family == PI_AF_V4 ? "10.0.0.0/8" : "2001:db8::/32";
	const char *s;
	struct pi_prefix p;
	char buf[PI_PREFIX_STRLEN];
	if (!pi_y_str(ld, n, what, &s))
		return;
	*pos = n->pos;
	if (pi_prefix_parse(s, &p) < 0 || !strchr(s, '/')) {
		pi_ld_err(ld, n->pos, pi_ld_fmt(ld, "write ADDRESS/LENGTH, e.g. %s", eg), "invalid %s prefix '%s'", what, pi_ld_val(ld, s));
		return;
	}
	if (p.family != family) {
		pi_ld_err(ld, n->pos, pi_ld_fmt(ld, "write an %s prefix here, e.g. %s", family == PI_AF_V4 ? "IPv4" : "IPv6", eg),
			  "%s is not an %s prefix", s, family == PI_AF_V4 ? "IPv4" : "IPv6");
		return;
	}
	if (pi_prefix_has_host_bits(&p)) {
		struct pi_prefix net = pi_prefix_network(&p);
		pi_ld_err(ld, n->pos, pi_ld_fmt(ld, "did you mean %s?", pi_prefix_fmt(&net, buf)),
			  "%s has host bits set", s);
		return;
	}
	unsigned lo = family == PI_AF_V4 ? 8 : 16, hi = family == PI_AF_V4 ? 20 : 48;
	if (p.len < lo || p.len > hi) {
		pi_ld_err(ld, n->pos, pi_ld_fmt(ld, "use a prefix length from /%u to /%u", lo, hi),
			  "%s: a /%u is %s for a lab's address space", s, p.len, p.len < lo ? "too large" : "too small");
		return;
	}
	/* Ranges with another meaning inside the lab (CGNAT, NAT64) or on any host. */
	static const struct {
		const char *prefix, *why;
	} reserved[] = {
		{ "0.0.0.0/8", "\"this network\"" },     { "100.64.0.0/10", "the lab's CGNAT space" },
		{ "127.0.0.0/8", "loopback" },           { "169.254.0.0/16", "link-local" },
		{ "224.0.0.0/3", "multicast and reserved" }, { "64:ff9b::/96", "the NAT64 prefix" },
		{ "::/8", "IPv4-mapped and special addresses" }, { "fe80::/10", "link-local" },
		{ "ff00::/8", "multicast" },
	};
	for (size_t i = 0; i < PI_ARRAY_LEN(reserved); i++) {
		struct pi_prefix r;
		if (pi_prefix_parse(reserved[i].prefix, &r) < 0 || r.family != p.family)
			continue;
		if (pi_prefix_overlaps(&p, &r)) {
			pi_ld_err(ld, n->pos, pi_ld_fmt(ld, "use another range, e.g. %s", eg), "%s overlaps %s (%s)", s,
				  reserved[i].prefix, reserved[i].why);
			return;
		}
	}
	*out = p;
}

/* The lab-wide settings: name, seed, title, limits, impairments, tld, address_space. */
static void parse_settings(struct native *nt, const struct pi_ynode *root)
{
	struct pi_ld *ld = nt->ld;
	struct pi_lab *lab = nt->lab;
	const struct pi_ynode *n;
	uint64_t v;
	const char *s;
	if ((n = pi_y_get(root, "name")) && pi_y_str(ld, n, "name", &s)) {
		if (pi_y_name_ok(s, PI_LAB_NAME_MAX, true))
			lab->name = s;
		else
			pi_ld_err(ld, n->pos,
				  pi_ld_fmt(ld, "use lowercase letters, digits and '-', starting with a letter, at most %d "
						"chars (it prefixes container names)",
					    PI_LAB_NAME_MAX),
				  "invalid lab name '%s'", pi_ld_val(ld, s));
	}
	if ((n = pi_y_get(root, "seed")) && pi_y_uint(ld, n, "seed", 0, UINT64_MAX, &v))
		lab->seed = v;
	pi_lab_parse_title(ld, root, lab);
	if ((n = pi_y_get(root, "limits")))
		parse_limits(ld, n, &lab->limits);
	if ((n = pi_y_get(root, "impairments")))
		pi_lab_parse_impairments(ld, n, lab);
	if ((n = pi_y_get(root, "tld")) && pi_y_str(ld, n, "tld", &s)) {
		if (!pi_y_name_ok(s, 63, true))
			pi_ld_err(ld, n->pos, "use one DNS label: lowercase letters, digits and '-', starting with a letter",
				  "invalid tld '%s'", pi_ld_val(ld, s));
		else if (strcmp(s, "arpa") == 0 || strcmp(s, "local") == 0 || strcmp(s, "localhost") == 0)
			pi_ld_err(ld, n->pos, "use another name, e.g. pocket", "tld '%s' has a special meaning in DNS", s);
		else
			lab->tld = s;
	}
	if ((n = pi_y_get(root, "address_space")) && pi_y_is(ld, n, PI_Y_MAP, "address_space")) {
		pi_y_keys(ld, n, space_keys, "address_space");
		const struct pi_ynode *a;
		if ((a = pi_y_get(n, "ipv4")))
			parse_prefix(nt, a, PI_AF_V4, &lab->v4, &lab->v4_pos);
		if ((a = pi_y_get(n, "ipv6")))
			parse_prefix(nt, a, PI_AF_V6, &lab->v6, &lab->v6_pos);
	}
}

/* Hands the pods (explicit first, then generated: lab.h's order) and
 * relationships to the lab's arena, and frees the walk's tables. */
static void native_finish(struct native *nt)
{
	struct pi_ld *ld = nt->ld;
	struct pi_lab *lab = nt->lab;
	size_t np = nt->explicit_.len + nt->generated.len;
	lab->pods = pi_arena_alloc(ld->arena, (np ? np : 1) * sizeof(*lab->pods));
	if (nt->explicit_.len)
		memcpy(lab->pods, nt->explicit_.data, nt->explicit_.len * sizeof(*lab->pods));
	if (nt->generated.len)
		memcpy(lab->pods + nt->explicit_.len, nt->generated.data, nt->generated.len * sizeof(*lab->pods));
	lab->n_pods = np;
	lab->rels = pi_arena_alloc(ld->arena, (nt->rels.len ? nt->rels.len : 1) * sizeof(*lab->rels));
	if (nt->rels.len)
		memcpy(lab->rels, nt->rels.data, nt->rels.len * sizeof(*lab->rels));
	lab->n_rels = nt->rels.len;
	pi_vec_free(&nt->explicit_);
	pi_vec_free(&nt->generated);
	pi_vec_free(&nt->names);
	pi_vec_free(&nt->rels);
	free(nt->relset);
}

void pi_native_parse(struct pi_ld *ld, const struct pi_ynode *root, struct pi_lab *lab)
{
	if (!pi_y_is(ld, root, PI_Y_MAP, "a lab file"))
		return;
	/* The original project shipped its demo topology (examples/demo1) as a
	 * docker-compose file: one clear error instead of one per key. */
	if (pi_y_get(root, "services") && !pi_y_get(root, "pods")) {
		pi_ld_err(ld, pi_y_key(root, "services")->pos,
			  "write the topology as a lab (docs/lab-format.md); the original format names pods by "
			  "number, e.g. pods: [{number: \"16.1\", kind: dns}]",
			  "this is a docker-compose file, not a lab file");
		return;
	}
	struct native nt = { .ld = ld, .lab = lab };
	nt.explicit_ = (struct pi_vec)PI_VEC_INIT(struct pi_lab_pod);
	nt.generated = (struct pi_vec)PI_VEC_INIT(struct pi_lab_pod);
	nt.names = (struct pi_vec)PI_VEC_INIT(struct podname);
	nt.rels = (struct pi_vec)PI_VEC_INIT(struct pi_lab_rel);
	pi_y_keys(ld, root, lab_keys, "the lab");
	parse_settings(&nt, root);
	const struct pi_ynode *n;
	if (pi_y_key(root, "pods"))
		lab->pods_pos = pi_y_key(root, "pods")->pos;
	if (!(n = pi_y_get(root, "pods")))
		pi_ld_err(ld, root->pos, "add pods: {transit: 2, ixp: 1, broadband: 2, content: 1}", "the lab has no 'pods'");
	else
		parse_pods(&nt, n);
	if ((n = pi_y_get(root, "relationships")) && pi_y_is(ld, n, PI_Y_SEQ, "relationships"))
		for (size_t i = 0, m = pi_y_cap(ld, n, PI_LAB_MAX_RELS, "relationships"); i < m && !pi_ld_full(ld); i++)
			parse_rel(&nt, n->kids[i]);
	bool pods_ok = nt.names_ok;
	native_finish(&nt);
	if ((n = pi_y_get(root, "teams")) && pods_ok)
		pi_lab_parse_teams(ld, n, lab);
	if ((n = pi_y_get(root, "rpki")))
		pi_lab_parse_rpki(ld, n, lab);
	pi_lab_check_tables(ld, lab);
	/* After every pod and relationship: an external never moves them. */
	if ((n = pi_y_get(root, "external")) && pods_ok)
		pi_lab_parse_externals(ld, n, lab);
}

const char *pi_node_class_name(enum pi_node_class c)
{
	return c < PI_CLASS_COUNT ? class_names[c] : "?";
}

enum pi_node_class pi_node_class_of(unsigned services)
{
	if (services & (PI_SVC_ROUTER | PI_SVC_RS))
		return PI_CLASS_ROUTER;
	if (services & PI_SVC_RESOLVER)
		return PI_CLASS_RESOLVER;
	return services & PI_SVC_CLIENT ? PI_CLASS_CLIENT : PI_CLASS_SERVER;
}

/* "512M", "1G", "262144K" -> MB (K rounded up); false with a diagnostic. */
static bool parse_mem(struct pi_ld *ld, const struct pi_ynode *n, const char *what, uint32_t *mb)
{
	const char *hint = pi_ld_fmt(ld, "write a size with a unit, e.g. 256M or 1G, from %uM to %uG", PI_LIMIT_MEM_MIN_MB,
				     PI_LIMIT_MEM_MAX_MB / 1024);
	const char *s;
	if (!pi_y_str(ld, n, what, &s))
		return false;
	uint64_t v = 0;
	size_t i = 0;
	for (; s[i] >= '0' && s[i] <= '9' && v < (1ull << 40); i++)
		v = v * 10 + (uint64_t)(s[i] - '0');
	char u = s[i] >= 'a' ? (char)(s[i] - 'a' + 'A') : s[i];
	bool ok = i > 0 && (u == 'K' || u == 'M' || u == 'G') && (s[i + 1] == '\0' || (s[i + 1] == 'B' && !s[i + 2]));
	if (!ok) {
		pi_ld_err(ld, n->pos, hint, "%s '%s' is not a size like 256M", what, pi_ld_val(ld, s));
		return false;
	}
	uint64_t m = u == 'K' ? (v + 1023) / 1024 : u == 'M' ? v : v * 1024;
	if (m < PI_LIMIT_MEM_MIN_MB || m > PI_LIMIT_MEM_MAX_MB) {
		pi_ld_err(ld, n->pos, hint, "%s %s is outside %uM..%uG", what, s, PI_LIMIT_MEM_MIN_MB,
			  PI_LIMIT_MEM_MAX_MB / 1024);
		return false;
	}
	*mb = (uint32_t)m;
	return true;
}

/* limits: {memory: {router: 512M, default: 128M}, pids: {default: 200}} */
static void parse_limits(struct pi_ld *ld, const struct pi_ynode *n, struct pi_lab_limits *lim)
{
	if (!pi_y_is(ld, n, PI_Y_MAP, "limits"))
		return;
	lim->pos = n->pos;
	pi_y_keys(ld, n, limit_keys, "limits");
	for (int which = 0; which < 2; which++) {
		const char *key = limit_keys[which];
		const struct pi_ynode *m = pi_y_get(n, key);
		if (!m || !pi_y_is(ld, m, PI_Y_MAP, key))
			continue;
		pi_y_keys(ld, m, class_names, pi_ld_fmt(ld, "limits.%s (node classes)", key));
		for (unsigned c = 0; c < PI_CLASS_COUNT; c++) {
			const struct pi_ynode *v = pi_y_get(m, class_names[c]);
			const char *what = pi_ld_fmt(ld, "limits.%s.%s", key, class_names[c]);
			uint64_t x;
			if (!v)
				continue;
			if (which == 0)
				parse_mem(ld, v, what, &lim->mem_mb[c]);
			else if (pi_y_uint(ld, v, what, PI_LIMIT_PIDS_MIN, PI_LIMIT_PIDS_MAX, &x))
				lim->pids[c] = (uint32_t)x;
		}
	}
}

void pi_lab_parse_title(struct pi_ld *ld, const struct pi_ynode *root, struct pi_lab *lab)
{
	const struct pi_ynode *n = pi_y_get(root, "title");
	const char *s;
	if (!n || !pi_y_str(ld, n, "title", &s))
		return;
	bool printable = true;
	for (const unsigned char *q = (const unsigned char *)s; *q && printable; q++)
		printable = *q >= 0x20 && *q != 0x7f;
	if (!printable)
		pi_ld_err(ld, n->pos, "write the title on one line, without control characters",
			  "the title '%s' holds control characters", pi_ld_val(ld, s));
	else if (strlen(s) > PI_LAB_TITLE_MAX)
		pi_ld_err(ld, n->pos, pi_ld_fmt(ld, "shorten it to %d bytes", PI_LAB_TITLE_MAX),
			  "the title is %zu bytes long; the limit is %d", strlen(s), PI_LAB_TITLE_MAX);
	else
		lab->title = s;
}

const char *pi_lab_name_from_file(struct pi_arena *a, const char *path)
{
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	const char *dot = strrchr(base, '.');
	size_t len = dot && dot != base ? (size_t)(dot - base) : strlen(base);
	char out[PI_LAB_NAME_MAX + 1];
	size_t n = 0;
	for (size_t i = 0; i < len && n < PI_LAB_NAME_MAX; i++) {
		char c = base[i];
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
		if (!ok)
			c = '-';
		if (c == '-' && (n == 0 || out[n - 1] == '-'))
			continue; /* no leading or doubled dashes */
		if (n == 0 && c >= '0' && c <= '9')
			continue; /* names start with a letter */
		out[n++] = c;
	}
	while (n > 0 && out[n - 1] == '-')
		n--;
	if (n == 0)
		return pi_arena_strdup(a, "lab");
	return pi_arena_strndup(a, out, n);
}

int pi_lab_load_mem(const char *name, const char *text, size_t len, const char *blueprint_dir, struct pi_lab **out,
		    struct pi_diag *diag)
{
	struct pi_lab *lab = pi_xcalloc(1, sizeof(*lab));
	struct pi_ld ld;
	int rc = 0;
	size_t first = pi_diag_count(diag);
	pi_ld_init(&ld, &lab->arena, diag);
	lab->file = pi_arena_strdup(&lab->arena, name);
	lab->tld = "pocket";
	pi_prefix_parse("10.0.0.0/8", &lab->v4);
	pi_prefix_parse("2001:db8::/32", &lab->v6);
	if (!blueprint_dir)
		blueprint_dir = pi_default_blueprint_dir();
	int r = pi_bp_load_dir(&ld, blueprint_dir, &lab->blueprints, &lab->n_blueprints);
	if (r < 0)
		rc = r;
	ld.file = lab->file;
	struct pi_ynode *root;
	if (pi_yaml_parse(&ld, text, len, &root) == 0 && root) {
		if (pi_legacy_detect(root))
			pi_legacy_parse(&ld, root, lab);
		else
			pi_native_parse(&ld, root, lab);
	}
	if (!lab->name)
		lab->name = pi_lab_name_from_file(&lab->arena, name);
	if (ld.errors && !rc)
		rc = -EINVAL;
	pi_ld_sort(diag, first, PI_LD_SORT_END(&ld));
	pi_ld_done(&ld);
	if (rc) {
		pi_lab_free(lab);
		lab = NULL;
	}
	*out = lab;
	return rc;
}

/* Reads a lab file: a regular file of at most PI_LAB_FILE_MAX bytes, checked
 * on the open descriptor (no window between the check and the read). A FIFO
 * or a device like /dev/zero would otherwise block or never end. */
static int read_lab_file(const char *path, char **text, size_t *len, struct pi_diag *diag)
{
	struct pi_pos pos = { .file = path };
	/* O_NONBLOCK: opening a FIFO must not wait for a writer. */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0) {
		int rc = -errno;
		pi_diag_add(diag, pos, "give a lab file with -c FILE", "cannot read lab file: %s", strerror(-rc));
		return rc;
	}
	struct stat st;
	int rc = 0;
	if (fstat(fd, &st) < 0) {
		rc = -errno;
		pi_diag_add(diag, pos, "give a lab file with -c FILE", "cannot read lab file: %s", strerror(-rc));
	} else if (!S_ISREG(st.st_mode)) {
		rc = -EINVAL;
		pi_diag_add(diag, pos, "give a regular file with -c FILE (not a pipe, device or directory)",
			    "the lab file is not a regular file");
	} else if (st.st_size > PI_LAB_FILE_MAX) {
		rc = -EFBIG;
		pi_diag_add(diag, pos, "split the lab or use generated pods (count:) instead of listing them",
			    "the lab file has %lld bytes; the limit is %d", (long long)st.st_size, PI_LAB_FILE_MAX);
	}
	if (rc) {
		close(fd);
		return rc;
	}
	/* One byte more than the limit tells a file that grew since fstat. */
	size_t cap = (size_t)st.st_size + 1, n = 0;
	char *buf = pi_xmalloc(cap + 1);
	for (;;) {
		ssize_t r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = -errno;
			pi_diag_add(diag, pos, "give a lab file with -c FILE", "cannot read lab file: %s", strerror(-rc));
			break;
		}
		n += (size_t)r;
		if (r == 0 || n == cap)
			break;
	}
	close(fd);
	if (!rc && n > (size_t)st.st_size) {
		rc = -EAGAIN;
		pi_diag_add(diag, pos, "try again once the file is written", "the lab file changed while it was read");
	}
	if (rc) {
		free(buf);
		return rc;
	}
	buf[n] = '\0';
	*text = buf;
	*len = n;
	return 0;
}

int pi_lab_load(const char *path, const char *blueprint_dir, struct pi_lab **out, struct pi_diag *diag)
{
	char *text = NULL;
	size_t len = 0;
	*out = NULL;
	int rc = read_lab_file(path, &text, &len, diag);
	if (rc < 0)
		return rc;
	rc = pi_lab_load_mem(path, text, len, blueprint_dir, out, diag);
	free(text);
	return rc;
}

void pi_lab_free(struct pi_lab *lab)
{
	if (!lab)
		return;
	pi_arena_free(&lab->arena);
	free(lab);
}
