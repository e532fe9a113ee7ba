/*
 * opstate: what operations changed in a running lab, kept in its state
 * directory as ops.json, so that status and list commands can show it, a
 * restarted node gets it back, and every change can be undone:
 *   {"links": {"<link>": {"down": true, "impair": {"<node>:<iface>": {...}}}},
 *    "incidents": [...], "next_incident": N}
 * Written through a temporary and a rename (pi_write_file_safe), so a crash
 * leaves the old or the new file, never half of one.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "apply_int.h"

#define OPS_FILE "ops.json"
#define OPS_MAX (16u << 20)

static void ops_path(const char *state_root, const char *lab, char *buf, size_t len)
{
	char dir[4096];
	pi_state_dir(state_root, lab, dir, sizeof(dir));
	snprintf(buf, len, "%s/" OPS_FILE, dir);
}

json_t *pi_ops_load(const char *state_root, const char *lab, struct pi_diag *diag)
{
	char path[4200], *text = NULL;
	size_t len = 0;
	ops_path(state_root, lab, path, sizeof(path));
	int rc = pi_read_file(path, &text, &len);
	json_t *root = NULL;
	if (rc == 0 && len > 0) {
		json_error_t err;
		root = json_loadb(text, len, 0, &err);
		if (!root && diag)
			pi_diag_warn(diag, (struct pi_pos){ path, err.line, err.column },
				     "remove it to forget what operations changed", "%s", err.text);
	}
	free(text);
	if (!json_is_object(root)) {
		json_decref(root);
		root = json_object();
	}
	if (!json_is_object(json_object_get(root, "links")))
		json_object_set_new(root, "links", json_object());
	if (!json_is_array(json_object_get(root, "incidents")))
		json_object_set_new(root, "incidents", json_array());
	return root;
}

int pi_ops_save(const char *state_root, const char *lab, json_t *ops, struct pi_diag *diag)
{
	char path[4200];
	ops_path(state_root, lab, path, sizeof(path));
	char *text = json_dumps(ops, JSON_INDENT(2) | JSON_SORT_KEYS);
	if (!text)
		return -ENOMEM;
	int rc = pi_write_file_safe(path, text, strlen(text), 0644, diag);
	free(text);
	return rc;
}

json_t *pi_ops_link(json_t *ops, const char *link, bool create)
{
	json_t *links = json_object_get(ops, "links");
	json_t *l = json_object_get(links, link);
	if (!l && create) {
		l = json_object();
		json_object_set_new(links, link, l);
	}
	return l;
}

/* Drops a link's entry when nothing is recorded in it any more. */
void pi_ops_link_tidy(json_t *ops, const char *link)
{
	json_t *l = pi_ops_link(ops, link, false);
	if (!l)
		return;
	json_t *imp = json_object_get(l, "impair");
	if (imp && json_object_size(imp) == 0)
		json_object_del(l, "impair");
	if (json_object_get(l, "down") == json_false())
		json_object_del(l, "down");
	if (json_object_size(l) == 0)
		json_object_del(json_object_get(ops, "links"), link);
}
