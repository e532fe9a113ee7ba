/* Helpers shared by the render tests. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "common.h"

struct pi_plan *load_lab_plan(const char *name, struct pi_lab **lab)
{
	const char *src = getenv("PI_SOURCE_DIR");
	assert_non_null(src);
	char path[4096];
	snprintf(path, sizeof(path), "%s/labs/%s.yml", src, name);
	struct pi_diag d;
	pi_diag_init(&d);
	struct pi_plan *plan = NULL;
	int rc = pi_lab_load(path, pi_default_blueprint_dir(), lab, &d);
	if (rc == 0)
		rc = pi_plan_build(*lab, &plan, &d);
	if (rc)
		pi_diag_print(&d, stderr);
	pi_diag_free(&d);
	assert_int_equal(rc, 0);
	return plan;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

char **list_labs(void)
{
	const char *src = getenv("PI_SOURCE_DIR");
	assert_non_null(src);
	char path[4096];
	snprintf(path, sizeof(path), "%s/labs", src);
	DIR *d = opendir(path);
	assert_non_null(d);
	size_t n = 0, cap = 16;
	char **names = calloc(cap + 1, sizeof(char *));
	struct dirent *e;
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name);
		if (len < 5 || strcmp(e->d_name + len - 4, ".yml") != 0)
			continue;
		if (n == cap) {
			cap *= 2;
			names = realloc(names, (cap + 1) * sizeof(char *));
		}
		names[n++] = strndup(e->d_name, len - 4);
	}
	closedir(d);
	names[n] = NULL;
	qsort(names, n, sizeof(char *), cmp_str);
	return names;
}

void free_names(char **names)
{
	for (char **p = names; p && *p; p++)
		free(*p);
	free(names);
}

char *render_file(const struct pi_plan *plan, uint32_t node, const char *path)
{
	struct pi_render_set set;
	pi_render_set_init(&set);
	pi_render_node(plan, node, &set);
	const struct pi_render_file *f = pi_render_set_find(&set, path);
	char *out = f ? strdup(f->data) : NULL;
	pi_render_set_free(&set);
	return out;
}

char *bird_protocol_block(const char *conf, const char *name)
{
	char head[160];
	snprintf(head, sizeof(head), "protocol bgp %s ", name);
	const char *s = conf ? strstr(conf, head) : NULL;
	if (!s)
		return NULL;
	const char *e = strstr(s, "\n}\n");
	if (!e)
		return NULL;
	return strndup(s, (size_t)(e - s) + 2);
}
