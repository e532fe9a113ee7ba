/*
 * attach / detach: external speakers added to and removed from a running
 * lab (docs/testing-bgp.md, "Bring your own speaker").
 *
 * An attached speaker is lab intent that is not in the lab file, so it is
 * kept in the lab's state (externals.json) and merged into the lab
 * whenever the running lab is planned (pi_apply_externals_load): a later
 * setup of the same file keeps it, and every command sees the plan that
 * runs. The change itself is a reconcile with the running lab's pins: the
 * speaker is a pod after every other pod and its relationship comes after
 * every other, so only its neighbour's files change and every other
 * container keeps its ID.
 */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "apply_int.h"
#include "pocketinternet/apply.h"
#include "pocketinternet/netlink.h"

#define EXT_FILE "externals.json"

static void ext_path(const char *state_root, const char *lab, char *buf, size_t len)
{
	char dir[4096];
	pi_state_dir(state_root, lab, dir, sizeof(dir));
	snprintf(buf, len, "%s/" EXT_FILE, dir);
}

/* One stored entry; false (with a diagnostic) when it is not one. */
static bool ext_from_json(json_t *o, struct pi_lab_external *e, const char **argv, struct pi_prefix *px,
			  struct pi_pos pos, struct pi_diag *diag)
{
	const char *speaker = NULL, *attach = NULL;
	json_int_t asn = 0;
	json_t *cmd = NULL, *pfx = NULL;
	json_error_t err;
	memset(e, 0, sizeof(*e));
	if (json_unpack_ex(o, &err, 0, "{s:s, s:I, s:s, s?s, s?o, s:s, s:s, s?o, s?s}", "name", &e->name, "asn", &asn,
			   "speaker", &speaker, "image", &e->image, "command", &cmd, "attach", &attach, "to", &e->to,
			   "prefixes", &pfx, "netns", &e->netns) < 0) {
		pi_diag_add(diag, pos, "detach the speaker and attach it again, or remove the file", "%s", err.text);
		return false;
	}
	if (asn < 1 || asn > 4294967294LL || pi_speaker_parse(speaker, &e->speaker) < 0 ||
	    pi_attach_parse(attach, &e->attach) < 0 || (cmd && !json_is_array(cmd)) || (pfx && !json_is_array(pfx)) ||
	    json_array_size(cmd) > PI_EXT_MAX_ARGS || json_array_size(pfx) > PI_EXT_MAX_PREFIXES) {
		pi_diag_add(diag, pos, "detach the speaker and attach it again, or remove the file",
			    "external '%s': a value is out of range", e->name);
		return false;
	}
	e->asn = (uint32_t)asn;
	e->command = argv;
	e->prefixes = px;
	for (size_t i = 0; i < json_array_size(cmd); i++) {
		if (!json_is_string(json_array_get(cmd, i))) {
			pi_diag_add(diag, pos, NULL, "external '%s': a command word is not a string", e->name);
			return false;
		}
		argv[e->n_command++] = json_string_value(json_array_get(cmd, i));
	}
	for (size_t i = 0; i < json_array_size(pfx); i++) {
		const char *s = json_string_value(json_array_get(pfx, i));
		if (!s || pi_prefix_parse(s, &px[e->n_prefixes]) < 0 || pi_prefix_has_host_bits(&px[e->n_prefixes])) {
			pi_diag_add(diag, pos, NULL, "external '%s': bad prefix", e->name);
			return false;
		}
		e->n_prefixes++;
	}
	e->pos = pos;
	return true;
}

int pi_apply_externals_from_json(const char *text, size_t len, const char *file, struct pi_lab *lab,
				 struct pi_diag *diag)
{
	json_error_t err;
	json_t *root = json_loadb(text, len, 0, &err);
	struct pi_pos pos = { file, 0, 0 };
	if (!json_is_array(root)) {
		pos.line = err.line > 0 ? (unsigned)err.line : 0;
		pos.col = err.column > 0 ? (unsigned)err.column : 0;
		pi_diag_add(diag, pos, "remove the file to forget attached speakers", "%s",
			    root ? "not a list of external speakers" : err.text);
		json_decref(root);
		return -EINVAL;
	}
	int rc = 0;
	for (size_t i = 0; i < json_array_size(root) && i < PI_EXT_MAX; i++) {
		const char *argv[PI_EXT_MAX_ARGS + 1];
		struct pi_prefix px[PI_EXT_MAX_PREFIXES + 1];
		struct pi_lab_external e;
		if (!ext_from_json(json_array_get(root, i), &e, argv, px, pos, diag)) {
			rc = -EINVAL;
			continue;
		}
		if (pi_lab_external(lab, e.name))
			continue; /* the lab file names it now: the file wins */
		if (pi_lab_add_external(lab, &e, diag) < 0)
			rc = -EINVAL;
	}
	json_decref(root);
	return rc;
}

int pi_apply_externals_load(const char *state_root, struct pi_lab *lab, struct pi_diag *diag)
{
	char path[4300], *text = NULL;
	size_t len = 0;
	ext_path(state_root, lab->name, path, sizeof(path));
	int rc = pi_read_file(path, &text, &len);
	if (rc == -ENOENT)
		return 0;
	if (rc == 0)
		rc = pi_apply_externals_from_json(text, len, path, lab, diag);
	free(text);
	return rc;
}

static json_t *ext_to_json(const struct pi_lab_external *e)
{
	json_t *cmd = json_array(), *px = json_array();
	char buf[PI_PREFIX_STRLEN];
	for (size_t i = 0; i < e->n_command; i++)
		json_array_append_new(cmd, json_string(e->command[i]));
	for (size_t i = 0; i < e->n_prefixes; i++)
		json_array_append_new(px, json_string(pi_prefix_fmt(&e->prefixes[i], buf)));
	json_t *o = json_pack("{s:s, s:I, s:s, s:o, s:s, s:s, s:o}", "name", e->name, "asn", (json_int_t)e->asn,
			      "speaker", pi_speaker_name(e->speaker), "command", cmd, "attach", pi_attach_name(e->attach),
			      "to", e->to, "prefixes", px);
	if (o && e->image)
		json_object_set_new(o, "image", json_string(e->image));
	if (o && e->netns)
		json_object_set_new(o, "netns", json_string(e->netns));
	return o;
}

/* Writes the stored list: the lab's externals that came from the state
 * (stored) plus add, minus drop. */
static int ext_save(const char *state_root, const char *lab, const struct pi_lab *l, const bool *stored,
		    struct pi_diag *diag)
{
	char path[4300];
	ext_path(state_root, lab, path, sizeof(path));
	json_t *a = json_array();
	for (size_t i = 0; i < l->n_externals; i++)
		if (stored[i])
			json_array_append_new(a, ext_to_json(&l->externals[i]));
	char *text = json_dumps(a, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(a);
	if (!text)
		return -ENOMEM;
	int rc = pi_write_file_safe(path, text, strlen(text), 0644, diag);
	free(text);
	return rc;
}

/* Which of lab's externals are stored (not in the lab file): those whose
 * pos names the state file. */
static bool *stored_of(const char *state_root, const struct pi_lab *lab)
{
	char path[4300];
	ext_path(state_root, lab->name, path, sizeof(path));
	bool *v = pi_xcalloc(lab->n_externals + 1, sizeof(bool));
	for (size_t i = 0; i < lab->n_externals; i++)
		v[i] = lab->externals[i].pos.file && strcmp(lab->externals[i].pos.file, path) == 0;
	return v;
}

/* Plans lab with pins and reconciles the running lab to it. */
static int ext_reconcile(struct pi_backend *b, const struct pi_lab *lab, const struct pi_plan_pins *pins,
			 const struct pi_apply_opts *opts, struct pi_apply_result *res, struct pi_diag *diag)
{
	struct pi_plan *plan = NULL;
	int rc = pi_plan_build_pinned(lab, pins, &plan, diag);
	if (rc == 0)
		rc = pi_apply_reconcile(b, pins, plan, opts, res, diag);
	pi_plan_free(plan);
	return rc;
}

int pi_apply_attach(struct pi_backend *b, struct pi_lab *lab, const struct pi_plan_pins *pins,
		    const struct pi_lab_external *ext, const struct pi_apply_opts *opts, struct pi_apply_result *res,
		    struct pi_diag *diag)
{
	const char *root = opts->state_root;
	char path[4300];
	ext_path(root, lab->name, path, sizeof(path));
	if (!pins) {
		pi_diag_add(diag, ext->pos, "bring the lab up with 'pocketinternet setup' first, or list the speaker "
					    "under external: in the lab file",
			    "lab '%s' does not run", lab->name);
		return -ENOENT;
	}
	/* A running pod's ASN, even one the planner drew: taking it would renumber that pod. */
	for (uint32_t i = 0; i < pins->n_pods; i++)
		if (pins->pods[i].asn == ext->asn) {
			pi_diag_add(diag, ext->pos, "give the speaker an ASN of its own, e.g. a private one (64512-65534)",
				    "asn %u is pod '%s''s in the running lab", ext->asn, pins->pods[i].name);
			return -EINVAL;
		}
	struct pi_lab_external e = *ext;
	e.pos = (struct pi_pos){ path, 0, 0 }; /* marks it as stored */
	int rc = pi_lab_add_external(lab, &e, diag);
	if (rc)
		return rc;
	bool *stored = stored_of(root, lab);
	/* Recorded first: should the change stop half-way, setup completes it and detach undoes it. */
	rc = ext_save(root, lab->name, lab, stored, diag);
	free(stored);
	if (rc == 0)
		rc = ext_reconcile(b, lab, pins, opts, res, diag);
	return rc;
}

/* The addresses attach put on the tester's netns's lo (its loopbacks), so
 * that detach takes them away again: the namespace itself is the tester's
 * and stays. */
static size_t netns_loopbacks(const struct pi_lab *lab, const struct pi_plan_pins *pins, const char *name,
			      struct pi_prefix out[2])
{
	struct pi_plan *plan = NULL;
	struct pi_diag quiet;
	pi_diag_init(&quiet);
	size_t n = 0;
	if (pi_plan_build_pinned(lab, pins, &plan, &quiet) == 0)
		for (uint32_t i = 0; i < plan->n_nodes && n == 0; i++) {
			const struct pi_plan_node *nd = &plan->nodes[i];
			if (strcmp(plan->pods[nd->pod].name, name) != 0)
				continue;
			if (pi_prefix_is_set(&nd->lo4))
				out[n++] = pi_prefix_as_host(&nd->lo4);
			if (pi_prefix_is_set(&nd->lo6))
				out[n++] = pi_prefix_as_host(&nd->lo6);
		}
	pi_plan_free(plan);
	pi_diag_free(&quiet);
	return n;
}

/* Best effort: a netns removed meanwhile has nothing left to clean. */
static void netns_addrs_remove(const char *netns, const struct pi_prefix *a, size_t n)
{
	struct pi_nl *nl = NULL;
	if (pi_nl_open_netns_name(netns, &nl) != 0)
		return;
	for (size_t i = 0; i < n; i++)
		pi_nl_addr_del(nl, "lo", &a[i]);
	pi_nl_close(nl);
}

int pi_apply_detach(struct pi_backend *b, struct pi_lab *lab, const struct pi_plan_pins *pins, const char *name,
		    const struct pi_apply_opts *opts, struct pi_apply_result *res, struct pi_diag *diag)
{
	const char *root = opts->state_root;
	const struct pi_lab_external *x = pi_lab_external(lab, name);
	bool *stored = stored_of(root, lab);
	int rc = 0;
	if (!x) {
		const char *names[PI_EXT_MAX];
		size_t n = 0;
		for (size_t i = 0; i < lab->n_externals && n < PI_EXT_MAX; i++)
			names[n++] = lab->externals[i].name;
		const char *near = pi_nearest(name, names, n);
		char hint[128];
		snprintf(hint, sizeof(hint), "did you mean '%s'?", near ? near : "");
		pi_diag_add(diag, (struct pi_pos){ 0 }, near ? hint : "'pocketinternet status' lists the lab's nodes",
			    "lab '%s' has no external speaker '%s'", lab->name, name);
		rc = -ENOENT;
	} else if (!stored[x - lab->externals]) {
		pi_diag_add(diag, x->pos, "remove it from the lab file's external: list, then run 'pocketinternet setup'",
			    "external '%s' comes from the lab file, not from attach", name);
		rc = -EINVAL;
	} else if (!pins) {
		pi_diag_add(diag, (struct pi_pos){ 0 }, "nothing to detach from", "lab '%s' does not run", lab->name);
		rc = -ENOENT;
	}
	free(stored);
	if (rc)
		return rc;
	char ns[PI_NETNS_NAME_MAX] = "";
	struct pi_prefix los[2];
	size_t n_los = 0;
	if (x->netns) {
		snprintf(ns, sizeof(ns), "%s", x->netns);
		n_los = netns_loopbacks(lab, pins, name, los);
	}
	pi_lab_remove_external(lab, name);
	stored = stored_of(root, lab);
	rc = ext_save(root, lab->name, lab, stored, diag);
	free(stored);
	if (rc == 0)
		rc = ext_reconcile(b, lab, pins, opts, res, diag);
	if (rc == 0 && ns[0])
		netns_addrs_remove(ns, los, n_los);
	return rc;
}
