/*
 * model/external: a lab's `external:` speakers, and attach/detach on a
 * loaded lab (docs/lab-format.md, "external").
 *
 * An external speaker is an AS the lab does not run itself: a tester's
 * exabgp, gobgpd, FRR or own image. The model turns each entry into what
 * the planner already knows, a pod (blueprint pi_external_blueprint(), tier
 * external, a fixed ASN) and one relationship with the pod it attaches to,
 * both after every other pod and relationship so adding or removing one
 * moves nothing else. The lab's usual relationship rules (a provider is a
 * transit pod, ...) do not apply: a tester may sell transit to a stub or
 * buy it from one.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "model.h"

static const char *const ext_keys[] = { "name", "asn", "speaker", "image", "command", "attach", "prefixes",
					"netns", NULL };
static const char *const speaker_names[] = { "exabgp", "gobgpd", "frr", "image", NULL };
static const char *const attach_names[] = { "ixp", "customer_of", "peer_of", "provider_of", NULL };

static const struct pi_bp_role ext_role = {
	.name = "speaker",
	.description = "an external BGP speaker",
	.services = PI_SVC_EBGP | PI_SVC_SPEAKER,
	.count = { 1, 1, 1 },
};
static const struct pi_blueprint ext_bp = {
	.name = "external",
	.file = "(built in)",
	.description = "an external BGP speaker (a lab's external: entry)",
	.tier = PI_TIER_EXTERNAL,
	.roles = (struct pi_bp_role *)&ext_role,
	.n_roles = 1,
};

const struct pi_blueprint *pi_external_blueprint(void)
{
	return &ext_bp;
}

bool pi_netns_name_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	if (n == 0 || n > PI_NETNS_NAME_MAX || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
		      c == '.'))
			return false;
	}
	return true;
}

const char *pi_speaker_name(enum pi_speaker s)
{
	return (unsigned)s < PI_ARRAY_LEN(speaker_names) - 1 ? speaker_names[s] : "?";
}

const char *pi_attach_name(enum pi_attach a)
{
	return (unsigned)a < PI_ARRAY_LEN(attach_names) - 1 ? attach_names[a] : "?";
}

static int word_parse(const char *const *words, const char *s, unsigned *out)
{
	for (unsigned i = 0; s && words[i]; i++)
		if (strcmp(words[i], s) == 0) {
			*out = i;
			return 0;
		}
	return -EINVAL;
}

int pi_speaker_parse(const char *s, enum pi_speaker *out)
{
	unsigned v;
	int rc = word_parse(speaker_names, s, &v);
	if (!rc)
		*out = (enum pi_speaker)v;
	return rc;
}

int pi_attach_parse(const char *s, enum pi_attach *out)
{
	unsigned v;
	int rc = word_parse(attach_names, s, &v);
	if (!rc)
		*out = (enum pi_attach)v;
	return rc;
}

const struct pi_lab_external *pi_lab_external(const struct pi_lab *lab, const char *name)
{
	for (size_t i = 0; lab && name && i < lab->n_externals; i++)
		if (strcmp(lab->externals[i].name, name) == 0)
			return &lab->externals[i];
	return NULL;
}

/* ---- checks against the lab's pods (YAML and attach alike) ---- */

/* Every pod name of the lab that is not an external, with its pod entry. */
struct ext_names {
	const char **names;
	const struct pi_lab_pod **pods;
	size_t n;
};

static void names_build(struct pi_ld *ld, const struct pi_lab *lab, struct ext_names *t)
{
	size_t n = 0;
	for (size_t i = 0; i < lab->n_pods; i++)
		n += lab->pods[i].name ? 1 : lab->pods[i].count;
	t->names = pi_arena_alloc(&ld->tmp, (n + 1) * sizeof(*t->names));
	t->pods = pi_arena_alloc(&ld->tmp, (n + 1) * sizeof(*t->pods));
	t->n = 0;
	for (size_t i = 0; i < lab->n_pods; i++) {
		const struct pi_lab_pod *p = &lab->pods[i];
		if (p->bp == &ext_bp)
			continue;
		if (p->name) {
			t->pods[t->n] = p;
			t->names[t->n++] = p->name;
			continue;
		}
		/* The loader's and the planner's names: <blueprint><n>, a dash after a digit. */
		size_t bl = strlen(p->blueprint);
		const char *dash = bl && p->blueprint[bl - 1] >= '0' && p->blueprint[bl - 1] <= '9' ? "-" : "";
		for (unsigned k = 0; k < p->count; k++) {
			t->pods[t->n] = p;
			t->names[t->n++] = pi_ld_fmt(ld, "%s%s%u", p->blueprint, dash, p->first_index + k);
		}
	}
}

static const struct pi_lab_pod *names_find(const struct ext_names *t, const char *name)
{
	for (size_t i = 0; i < t->n; i++)
		if (strcmp(t->names[i], name) == 0)
			return t->pods[i];
	return NULL;
}

/* The pod ext attaches to: known, and of the right kind. */
static bool check_target(struct pi_ld *ld, const struct pi_lab *lab, const struct ext_names *t,
			 const struct pi_lab_external *e, struct pi_pos pos)
{
	const struct pi_lab_pod *p = names_find(t, e->to);
	if (!p && pi_lab_external(lab, e->to)) {
		pi_ld_err(ld, pos, "attach it to a pod of the lab; connect your speakers to each other yourself",
			  "'%s' is an external speaker: externals attach to the lab's pods", e->to);
		return false;
	}
	if (!p) {
		const char *near = t->n <= 2000 ? pi_nearest(e->to, t->names, t->n) : NULL;
		const char *list = pi_ld_join(ld, t->names, t->n, 12);
		pi_ld_err(ld, pos,
			  near ? pi_ld_fmt(ld, "did you mean '%s'? pods: %s", near, list) : pi_ld_fmt(ld, "pods: %s", list),
			  "external '%s' attaches to unknown pod '%s'", e->name, pi_ld_val(ld, e->to));
		return false;
	}
	bool ixp = p->bp && p->bp->tier == PI_TIER_IXP;
	if (e->attach == PI_ATTACH_IXP && p->bp && !ixp) {
		pi_ld_err(ld, pos, "name an IXP pod, or attach as customer_of, peer_of or provider_of",
			  "pod '%s' is no IXP (its blueprint '%s' is a %s pod)", e->to, p->bp->name,
			  pi_tier_name(p->bp->tier));
		return false;
	}
	if (e->attach != PI_ATTACH_IXP && ixp) {
		pi_ld_err(ld, pos, pi_ld_fmt(ld, "write attach: {ixp: %s} to join it", e->to),
			  "pod '%s' is an IXP: an external joins it as a member, not as %s", e->to,
			  pi_attach_name(e->attach));
		return false;
	}
	return true;
}

/* Name and ASN against the pods and the externals before it. */
static bool check_unique(struct pi_ld *ld, const struct pi_lab *lab, const struct ext_names *t,
			 const struct pi_lab_external *e, struct pi_pos name_pos, struct pi_pos asn_pos)
{
	bool ok = true;
	if (names_find(t, e->name)) {
		pi_ld_err(ld, name_pos, "give the external a name no pod has", "external '%s' has the name of a pod",
			  e->name);
		ok = false;
	}
	const struct pi_lab_external *o = pi_lab_external(lab, e->name);
	if (o) {
		pi_ld_err(ld, name_pos, "give every external its own name",
			  "duplicate external name '%s' (first at line %u)", e->name, o->pos.line);
		ok = false;
	}
	for (size_t i = 0; i < lab->n_pods; i++) {
		const struct pi_lab_pod *p = &lab->pods[i];
		if (p->asn && p->asn == e->asn) {
			pi_ld_err(ld, asn_pos, "give the external an ASN of its own, e.g. a private one (64512-65534)",
				  "asn %u is also %s '%s' (line %u)", e->asn, p->bp == &ext_bp ? "external" : "pod",
				  p->name ? p->name : "?", p->pos.line);
			ok = false;
			break;
		}
	}
	return ok;
}

/* Appends ext as a pod and a relationship (and an entry); strings already in lab's arena. */
static void ext_append(struct pi_lab *lab, const struct pi_lab_external *e)
{
	struct pi_arena *a = &lab->arena;
	struct pi_lab_external *xs = pi_arena_alloc(a, (lab->n_externals + 1) * sizeof(*xs));
	if (lab->n_externals)
		memcpy(xs, lab->externals, lab->n_externals * sizeof(*xs));
	xs[lab->n_externals] = *e;
	lab->externals = xs;
	lab->n_externals++;
	struct pi_lab_pod *pods = pi_arena_alloc(a, (lab->n_pods + 1) * sizeof(*pods));
	if (lab->n_pods)
		memcpy(pods, lab->pods, lab->n_pods * sizeof(*pods));
	pods[lab->n_pods++] = (struct pi_lab_pod){ .name = e->name, .blueprint = ext_bp.name, .bp = &ext_bp,
						   .asn = e->asn, .count = 1, .pos = e->pos };
	lab->pods = pods;
	struct pi_lab_rel *rels = pi_arena_alloc(a, (lab->n_rels + 1) * sizeof(*rels));
	if (lab->n_rels)
		memcpy(rels, lab->rels, lab->n_rels * sizeof(*rels));
	struct pi_lab_rel r = { .pos = e->pos };
	switch (e->attach) {
	case PI_ATTACH_IXP: r = (struct pi_lab_rel){ PI_LAB_REL_IXP, e->name, e->to, e->pos }; break;
	case PI_ATTACH_CUSTOMER_OF: r = (struct pi_lab_rel){ PI_LAB_REL_PROVIDER, e->to, e->name, e->pos }; break;
	case PI_ATTACH_PEER_OF: r = (struct pi_lab_rel){ PI_LAB_REL_PEER, e->to, e->name, e->pos }; break;
	case PI_ATTACH_PROVIDER_OF: r = (struct pi_lab_rel){ PI_LAB_REL_PROVIDER, e->name, e->to, e->pos }; break;
	}
	rels[lab->n_rels++] = r;
	lab->rels = rels;
}

/* The checks that need the rest of the lab; appends when they pass. */
static bool ext_admit(struct pi_ld *ld, struct pi_lab *lab, const struct ext_names *t, struct pi_lab_external *e,
		      struct pi_pos name_pos, struct pi_pos asn_pos, struct pi_pos to_pos)
{
	bool ok = check_unique(ld, lab, t, e, name_pos, asn_pos);
	ok = check_target(ld, lab, t, e, to_pos) && ok;
	if (ok)
		ext_append(lab, e);
	return ok;
}

/* ---- YAML ---- */

/* One ASN as the pods' asn: takes (1..2^32-2, not AS_TRANS nor 65535). */
static bool ext_asn(struct pi_ld *ld, const struct pi_ynode *n, uint32_t *out)
{
	uint64_t v;
	if (!pi_y_uint(ld, n, "asn", 1, 4294967294u, &v))
		return false;
	if (v == 23456 || v == 65535) {
		pi_ld_err(ld, n->pos, "use a private ASN (64512-65534 or 4200000000-4294967294)", "asn %llu is reserved",
			  (unsigned long long)v);
		return false;
	}
	*out = (uint32_t)v;
	return true;
}

/* attach: {ixp: P} | {customer_of: P} | {peer_of: P} | {provider_of: P} */
static bool parse_attach(struct pi_ld *ld, const struct pi_ynode *n, struct pi_lab_external *e, struct pi_pos *pos)
{
	if (!pi_y_is(ld, n, PI_Y_MAP, "attach"))
		return false;
	pi_y_keys(ld, n, attach_names, "attach");
	if (n->n != 1) {
		pi_ld_err(ld, n->pos, "write one of {ixp: P}, {customer_of: P}, {peer_of: P}, {provider_of: P}",
			  "attach names %s", n->n ? "more than one place" : "no place");
		return false;
	}
	unsigned k;
	if (word_parse(attach_names, n->kids[0]->str, &k) < 0)
		return false; /* pi_y_keys reported it */
	e->attach = (enum pi_attach)k;
	*pos = n->kids[1]->pos;
	return pi_y_str(ld, n->kids[1], attach_names[k], &e->to);
}

static void parse_command(struct pi_ld *ld, const struct pi_ynode *n, struct pi_lab_external *e)
{
	if (!pi_y_is(ld, n, PI_Y_SEQ, "command"))
		return;
	size_t m = pi_y_cap(ld, n, PI_EXT_MAX_ARGS, "command words");
	e->command = pi_arena_alloc(ld->arena, (m + 1) * sizeof(*e->command));
	for (size_t i = 0; i < m; i++)
		if (pi_y_str(ld, n->kids[i], "a command word", &e->command[e->n_command]))
			e->n_command++;
}

/* A prefix every lab router would drop: said at load, not found later. */
static void warn_bogon(struct pi_ld *ld, const struct pi_lab *lab, const struct pi_ynode *n, const struct pi_prefix *p)
{
	const struct pi_prefix *space = p->family == PI_AF_V4 ? &lab->v4 : &lab->v6;
	const char *bogon = pi_prefix_bogon(p);
	char buf[PI_PREFIX_STRLEN];
	if (bogon && !pi_prefix_contains(space, p))
		pi_ld_warn(ld, n->pos,
			   pi_ld_fmt(ld, "announce a prefix outside special-purpose space, or inside the lab's "
					 "address_space (%s), which the filters accept",
				     pi_prefix_fmt(space, buf)),
			   "%s is special-purpose space (in %s): every lab router's import filter drops it",
			   pi_ld_val(ld, n->str), bogon);
}

static void parse_prefixes(struct pi_ld *ld, const struct pi_lab *lab, const struct pi_ynode *n,
			   struct pi_lab_external *e)
{
	if (!pi_y_is(ld, n, PI_Y_SEQ, "prefixes"))
		return;
	size_t m = pi_y_cap(ld, n, PI_EXT_MAX_PREFIXES, "prefixes");
	e->prefixes = pi_arena_alloc(ld->arena, (m + 1) * sizeof(*e->prefixes));
	for (size_t i = 0; i < m; i++) {
		const char *s;
		struct pi_prefix p;
		char buf[PI_PREFIX_STRLEN];
		if (!pi_y_str(ld, n->kids[i], "a prefix", &s))
			continue;
		if (pi_prefix_parse(s, &p) < 0 || !strchr(s, '/')) {
			pi_ld_err(ld, n->kids[i]->pos, "write ADDRESS/LENGTH, e.g. 192.0.2.0/24 or 2001:db8:ff::/48",
				  "invalid prefix '%s'", pi_ld_val(ld, s));
			continue;
		}
		if (pi_prefix_has_host_bits(&p)) {
			struct pi_prefix net = pi_prefix_network(&p);
			pi_ld_err(ld, n->kids[i]->pos, pi_ld_fmt(ld, "did you mean %s?", pi_prefix_fmt(&net, buf)),
				  "%s has host bits set", s);
			continue;
		}
		warn_bogon(ld, lab, n->kids[i], &p);
		e->prefixes[e->n_prefixes++] = p;
	}
}

/* speaker, image and command together. */
static bool parse_speaker(struct pi_ld *ld, const struct pi_ynode *n, struct pi_lab_external *e)
{
	const struct pi_ynode *sp = pi_y_get(n, "speaker"), *img = pi_y_get(n, "image"), *cmd = pi_y_get(n, "command");
	unsigned k = 0;
	if (!sp) {
		pi_ld_err(ld, n->pos, "add speaker: exabgp, gobgpd, frr or image", "external entry without 'speaker'");
		return false;
	}
	if (!pi_y_enum(ld, sp, "speaker", speaker_names, &k))
		return false;
	e->speaker = (enum pi_speaker)k;
	if (e->speaker == PI_SPEAKER_IMAGE && !img) {
		pi_ld_err(ld, sp->pos, "add image: NAME (a local Docker image), and command: [...] if it needs one",
			  "speaker 'image' needs an image");
		return false;
	}
	if (e->speaker != PI_SPEAKER_IMAGE && (img || cmd)) {
		pi_ld_err(ld, pi_y_key(n, img ? "image" : "command")->pos,
			  "write speaker: image to run an image of your own, or remove image and command",
			  "'%s' is for speaker: image; the %s speaker runs from the node image", img ? "image" : "command",
			  speaker_names[k]);
		return false;
	}
	if (img && !pi_y_str(ld, img, "image", &e->image))
		return false;
	if (cmd)
		parse_command(ld, cmd, e);
	return true;
}

static void parse_entry(struct pi_ld *ld, struct pi_lab *lab, const struct ext_names *t, const struct pi_ynode *n)
{
	if (!pi_y_is(ld, n, PI_Y_MAP, "an external entry"))
		return;
	pi_y_keys(ld, n, ext_keys, "an external entry");
	struct pi_lab_external e = { .pos = n->pos };
	const struct pi_ynode *name = pi_y_get(n, "name"), *asn = pi_y_get(n, "asn"), *at = pi_y_get(n, "attach");
	bool ok = true;
	if (!name || !asn || !at) {
		pi_ld_err(ld, n->pos, "write {name: N, asn: A, speaker: S, attach: {ixp: P}}",
			  "external entry without '%s'", !name ? "name" : !asn ? "asn" : "attach");
		ok = false;
	}
	if (name && pi_y_str(ld, name, "external name", &e.name) && !pi_y_name_ok(e.name, PI_LAB_NAME_MAX, true)) {
		pi_ld_err(ld, name->pos,
			  pi_ld_fmt(ld, "use lowercase letters, digits and '-', starting with a letter, at most %d chars",
				    PI_LAB_NAME_MAX),
			  "invalid external name '%s'", pi_ld_val(ld, e.name));
		ok = false;
	}
	ok = (!asn || ext_asn(ld, asn, &e.asn)) && ok;
	ok = parse_speaker(ld, n, &e) && ok;
	struct pi_pos to_pos = n->pos;
	ok = (!at || parse_attach(ld, at, &e, &to_pos)) && ok;
	const struct pi_ynode *px = pi_y_get(n, "prefixes"), *ns = pi_y_get(n, "netns");
	if (px)
		parse_prefixes(ld, lab, px, &e);
	if (ns && pi_y_str(ld, ns, "netns", &e.netns) && !pi_netns_name_ok(e.netns)) {
		pi_ld_err(ld, ns->pos, "name a namespace of /run/netns (letters, digits, '_', '-', '.'; at most 64)",
			  "invalid netns name '%s'", pi_ld_val(ld, e.netns));
		ok = false;
	}
	if (e.netns && e.speaker == PI_SPEAKER_IMAGE) {
		pi_ld_err(ld, ns->pos, "a namespace runs what you started in it: write speaker: exabgp, gobgpd or frr "
				       "for the example configuration you want",
			  "netns and speaker: image exclude each other");
		ok = false;
	}
	if (ok && e.name && e.to)
		ext_admit(ld, lab, t, &e, name->pos, asn->pos, to_pos);
}

void pi_lab_parse_externals(struct pi_ld *ld, const struct pi_ynode *n, struct pi_lab *lab)
{
	if (!pi_y_is(ld, n, PI_Y_SEQ, "external"))
		return;
	struct ext_names t;
	names_build(ld, lab, &t);
	size_t m = pi_y_cap(ld, n, PI_EXT_MAX, "external speakers");
	for (size_t i = 0; i < m && !pi_ld_full(ld); i++)
		parse_entry(ld, lab, &t, n->kids[i]);
}

/* ---- attach and detach on a loaded lab ---- */

static const char *copy_str(struct pi_arena *a, const char *s)
{
	return s ? pi_arena_strdup(a, s) : NULL;
}

int pi_lab_add_external(struct pi_lab *lab, const struct pi_lab_external *ext, struct pi_diag *diag)
{
	struct pi_ld ld;
	pi_ld_init(&ld, &lab->arena, diag);
	ld.file = ext->pos.file ? ext->pos.file : lab->file;
	struct pi_lab_external e = *ext;
	e.pos.file = copy_str(&lab->arena, ext->pos.file);
	e.name = copy_str(&lab->arena, ext->name);
	e.to = copy_str(&lab->arena, ext->to);
	e.image = copy_str(&lab->arena, ext->image);
	e.netns = copy_str(&lab->arena, ext->netns);
	e.command = pi_arena_alloc(&lab->arena, (ext->n_command + 1) * sizeof(*e.command));
	for (size_t i = 0; i < ext->n_command; i++)
		e.command[i] = pi_arena_strdup(&lab->arena, ext->command[i]);
	e.prefixes = pi_arena_alloc(&lab->arena, (ext->n_prefixes + 1) * sizeof(*e.prefixes));
	if (ext->n_prefixes)
		memcpy(e.prefixes, ext->prefixes, ext->n_prefixes * sizeof(*e.prefixes));
	if (lab->is_legacy)
		pi_ld_err(&ld, ext->pos, "convert the lab to the native format (docs/lab-format.md)",
			  "labs of the original format take no external speakers");
	else if (!e.name || !pi_y_name_ok(e.name, PI_LAB_NAME_MAX, true))
		pi_ld_err(&ld, ext->pos, "use lowercase letters, digits and '-', starting with a letter, at most 16 chars",
			  "invalid external name '%s'", e.name ? pi_ld_val(&ld, e.name) : "");
	else if (!e.asn || e.asn == 23456 || e.asn == 65535 || e.asn == UINT32_MAX)
		pi_ld_err(&ld, ext->pos, "use a private ASN (64512-65534 or 4200000000-4294967294)",
			  "asn %u cannot be used", e.asn);
	else if (e.speaker == PI_SPEAKER_IMAGE && !e.image)
		pi_ld_err(&ld, ext->pos, "give --image NAME", "speaker 'image' needs an image");
	else if (e.netns && (!pi_netns_name_ok(e.netns) || e.speaker == PI_SPEAKER_IMAGE))
		pi_ld_err(&ld, ext->pos, "name a namespace of /run/netns, with --speaker exabgp, gobgpd or frr",
			  "invalid netns '%s'", pi_ld_val(&ld, e.netns));
	else if (!e.to)
		pi_ld_err(&ld, ext->pos, "give --ixp, --customer-of, --peer-of or --provider-of", "no place to attach to");
	else {
		struct ext_names t;
		names_build(&ld, lab, &t);
		ext_admit(&ld, lab, &t, &e, ext->pos, ext->pos, ext->pos);
	}
	int rc = ld.errors ? -EINVAL : 0;
	pi_ld_done(&ld);
	return rc;
}

int pi_lab_remove_external(struct pi_lab *lab, const char *name)
{
	const struct pi_lab_external *x = pi_lab_external(lab, name);
	if (!x)
		return -ENOENT;
	size_t xi = (size_t)(x - lab->externals);
	memmove(&lab->externals[xi], &lab->externals[xi + 1], (lab->n_externals - xi - 1) * sizeof(*lab->externals));
	lab->n_externals--;
	for (size_t i = 0; i < lab->n_pods; i++)
		if (lab->pods[i].bp == &ext_bp && strcmp(lab->pods[i].name, name) == 0) {
			memmove(&lab->pods[i], &lab->pods[i + 1], (lab->n_pods - i - 1) * sizeof(*lab->pods));
			lab->n_pods--;
			break;
		}
	/* Its one relationship: the only one naming it (no other entry can). */
	for (size_t i = 0; i < lab->n_rels; i++)
		if (strcmp(lab->rels[i].a, name) == 0 || strcmp(lab->rels[i].b, name) == 0) {
			memmove(&lab->rels[i], &lab->rels[i + 1], (lab->n_rels - i - 1) * sizeof(*lab->rels));
			lab->n_rels--;
			break;
		}
	return 0;
}
