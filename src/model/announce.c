/*
 * announce: a pod's `announce:` (docs/lab-format.md, "announce"), and the
 * one check that keeps generated tables clear of the lab's own space.
 * An MRT dump is read here, at load time, so the planner stays pure: the
 * lab carries the dump's routes, not its file name.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include "model.h"
#include "pocketinternet/mrt.h"

static const char *const announce_keys[] = { "count", "count6", "lengths", "lengths6", "mrt", NULL };

static unsigned ceil_log2(uint64_t n)
{
	unsigned bits = 0;
	while ((1ull << bits) < n)
		bits++;
	return bits;
}

unsigned pi_lab_table_block_len(uint8_t family, uint32_t count, unsigned fixed_len)
{
	bool v4 = family == PI_AF_V4;
	unsigned base = fixed_len ? fixed_len : v4 ? 24 : 48;
	/* Twice the prefixes' room, so random placement rarely probes far. */
	int len = (int)base - (int)ceil_log2(2 * (uint64_t)(count ? count : 1));
	if (!fixed_len && !v4) {
		/* IPv6 space is plenty: room for the realistic share of /32s
		 * (15 %) and /29s (3 %) too, twice over (plan/announce.c). */
		int l32 = 32 - (int)ceil_log2(2 * (uint64_t)count * 150 / 1000 + 1);
		int l29 = 29 - (int)ceil_log2(2 * (uint64_t)count * 30 / 1000 + 1);
		len = l32 < len ? l32 : len;
		len = l29 < len ? l29 : len;
	}
	/* Realistic lengths reach /16 and /29: the block must hold them. In
	 * IPv4 there is no room for the real table's share of short prefixes
	 * at a million routes; those that do not fit become /24s. */
	int cap = v4 ? 16 : 28;
	if (!fixed_len && len > cap)
		len = cap;
	return len < 0 ? 0 : (unsigned)len;
}

/* `lengths: realistic | N`: 0 for realistic. */
static bool parse_lengths(struct pi_ld *ld, const struct pi_ynode *n, uint8_t family, unsigned *out)
{
	unsigned lo = family == PI_AF_V4 ? 8 : 16, hi = family == PI_AF_V4 ? 24 : 48;
	if (n->kind == PI_Y_SCALAR && strcmp(n->str, "realistic") == 0) {
		*out = 0;
		return true;
	}
	uint64_t v;
	if (!pi_y_uint(ld, n, family == PI_AF_V4 ? "lengths (realistic, or a fixed length)" : "lengths6 (realistic, or a fixed length)", lo, hi, &v))
		return false;
	*out = (unsigned)v;
	return true;
}

struct mrt_load {
	struct pi_vec routes; /* struct pi_lab_mrt_route */
	struct pi_vec asns;   /* uint32_t */
	const struct pi_lab *lab;
	uint64_t dropped;     /* inside the lab's or the tables' space */
};

static bool clashes(const struct pi_lab *lab, const struct pi_prefix *p)
{
	struct pi_prefix t;
	const struct pi_prefix *own = p->family == PI_AF_V4 ? &lab->v4 : &lab->v6;
	if (pi_prefix_is_set(own) && pi_prefix_overlaps(own, p))
		return true;
	pi_prefix_parse(p->family == PI_AF_V4 ? PI_TABLE_SPACE4 : PI_TABLE_SPACE6, &t);
	return pi_prefix_overlaps(&t, p);
}

static int mrt_route(void *ctx, const struct pi_prefix *net, const uint32_t *path, size_t n)
{
	struct mrt_load *m = ctx;
	if (net->len == 0 || clashes(m->lab, net)) {
		m->dropped++;
		return 0;
	}
	struct pi_lab_mrt_route *r = pi_vec_push(&m->routes);
	r->net = *net;
	r->path_off = (uint32_t)m->asns.len;
	r->n_path = (uint32_t)n;
	for (size_t i = 0; i < n; i++)
		*(uint32_t *)pi_vec_push(&m->asns) = path[i];
	return 0;
}

/* The dump's path relative to the lab file's directory (absolute stays). */
static const char *mrt_path(struct pi_ld *ld, const char *file)
{
	if (file[0] == '/' || !ld->file || !strchr(ld->file, '/'))
		return file;
	size_t dir = (size_t)(strrchr(ld->file, '/') - ld->file);
	return pi_ld_fmt(ld, "%.*s/%s", (int)dir, ld->file, file);
}

static void load_mrt(struct pi_ld *ld, const struct pi_ynode *n, const struct pi_lab *lab, struct pi_lab_announce *a)
{
	const char *path = mrt_path(ld, a->mrt);
	char *data = NULL, err[160];
	size_t len = 0;
	/* A regular file (symlinks resolved first), never a FIFO or a device
	 * that never ends; one byte over the limit tells a file too big. */
	char *real = realpath(path, NULL);
	int rc = real ? pi_file_read_at(AT_FDCWD, real, &data, &len, (size_t)PI_MRT_FILE_MAX + 1) : -errno;
	free(real);
	if (rc < 0) {
		pi_ld_err(ld, n->pos, "give the path of an MRT RIB dump, relative to the lab file",
			  "cannot read MRT file '%s': %s", pi_ld_val(ld, path), strerror(-rc));
		return;
	}
	struct mrt_load m = { PI_VEC_INIT(struct pi_lab_mrt_route), PI_VEC_INIT(uint32_t), lab, 0 };
	struct pi_mrt_stats st;
	if (len > PI_MRT_FILE_MAX)
		pi_ld_err(ld, n->pos, "use a smaller dump", "MRT file '%s' is over %u bytes", pi_ld_val(ld, path),
			  PI_MRT_FILE_MAX);
	else if (len >= 3 && ((data[0] == '\x1f' && data[1] == '\x8b') || memcmp(data, "BZh", 3) == 0))
		pi_ld_err(ld, n->pos, "decompress it first (gunzip or bunzip2), then name the plain file",
			  "MRT file '%s' is compressed", pi_ld_val(ld, path));
	else if (pi_mrt_read((const uint8_t *)data, len, mrt_route, &m, &st, err, sizeof(err)) < 0)
		pi_ld_err(ld, n->pos, "give an MRT TABLE_DUMP_V2 RIB dump (bgpdump -m FILE reads it)",
			  "MRT file '%s': %s", pi_ld_val(ld, path), err);
	else if (m.routes.len == 0)
		pi_ld_err(ld, n->pos, "give a RIB dump (TABLE_DUMP_V2) with IPv4 or IPv6 unicast routes",
			  "MRT file '%s' holds no route to replay", pi_ld_val(ld, path));
	else if (m.dropped)
		pi_ld_warn(ld, n->pos, "these prefixes would shadow the lab's own",
			   "MRT file '%s': %llu route(s) inside the lab's address space or the generated tables' "
			   "space are left out", pi_ld_val(ld, path), (unsigned long long)m.dropped);
	free(data);
	a->n_routes = (uint32_t)m.routes.len;
	a->routes = pi_arena_alloc(ld->arena, (m.routes.len + 1) * sizeof(*a->routes));
	if (m.routes.len)
		memcpy(a->routes, m.routes.data, m.routes.len * sizeof(*a->routes));
	a->n_asns = (uint32_t)m.asns.len;
	a->asns = pi_arena_alloc(ld->arena, (m.asns.len + 1) * sizeof(*a->asns));
	if (m.asns.len)
		memcpy(a->asns, m.asns.data, m.asns.len * sizeof(*a->asns));
	pi_vec_free(&m.routes);
	pi_vec_free(&m.asns);
}

void pi_lab_parse_announce(struct pi_ld *ld, const struct pi_ynode *n, const struct pi_lab *lab,
			   struct pi_lab_pod *pod)
{
	if (!pi_y_is(ld, n, PI_Y_MAP, "announce"))
		return;
	pi_y_keys(ld, n, announce_keys, "announce");
	struct pi_lab_announce *a = pi_arena_alloc(ld->arena, sizeof(*a));
	a->pos = n->pos;
	const struct pi_ynode *c4 = pi_y_get(n, "count"), *c6 = pi_y_get(n, "count6"), *l4 = pi_y_get(n, "lengths"),
			      *l6 = pi_y_get(n, "lengths6"), *mrt = pi_y_get(n, "mrt");
	uint64_t v;
	if (c4 && pi_y_uint(ld, c4, "announce count", 0, PI_TABLE_MAX4, &v))
		a->count4 = (uint32_t)v;
	if (c6 && pi_y_uint(ld, c6, "announce count6", 0, PI_TABLE_MAX6, &v))
		a->count6 = (uint32_t)v;
	if (l4)
		parse_lengths(ld, l4, PI_AF_V4, &a->len4);
	if (l6)
		parse_lengths(ld, l6, PI_AF_V6, &a->len6);
	if (mrt && (c4 || c6))
		pi_ld_err(ld, pi_y_key(n, "mrt")->pos, "announce either generated prefixes (count) or a dump (mrt)",
			  "announce cannot have both mrt and count");
	else if (mrt && pi_y_str(ld, mrt, "mrt", &a->mrt))
		load_mrt(ld, mrt, lab, a);
	else if (!mrt && !c4 && !c6)
		pi_ld_err(ld, n->pos, "e.g. announce: {count: 5000, lengths: realistic} or announce: {mrt: rib.mrt}",
			  "announce needs count, count6 or mrt");
	pod->announce = a;
}

/* Generated tables: the blocks of every pod fit the reserved spaces, and
 * the lab's own space stays out of them. */
void pi_lab_check_tables(struct pi_ld *ld, const struct pi_lab *lab)
{
	uint64_t used[2] = { 0, 0 };
	const struct pi_pos *last[2] = { NULL, NULL };
	for (size_t i = 0; i < lab->n_pods; i++) {
		const struct pi_lab_announce *a = lab->pods[i].announce;
		if (!a || a->mrt)
			continue;
		if (a->count4) {
			used[0] += 1ull << (24 - pi_lab_table_block_len(PI_AF_V4, a->count4, a->len4));
			last[0] = &a->pos;
		}
		if (a->count6) {
			used[1] += 1ull << (48 - pi_lab_table_block_len(PI_AF_V6, a->count6, a->len6));
			last[1] = &a->pos;
		}
	}
	for (int f = 0; f < 2; f++) {
		if (!last[f])
			continue;
		struct pi_prefix space;
		pi_prefix_parse(f == 0 ? PI_TABLE_SPACE4 : PI_TABLE_SPACE6, &space);
		uint64_t room = 1ull << ((f == 0 ? 24 : 48) - space.len);
		if (used[f] > room)
			pi_ld_err(ld, *last[f], "announce fewer prefixes (or longer fixed lengths)",
				  "the generated %s tables need more than %s holds", f == 0 ? "IPv4" : "IPv6",
				  f == 0 ? PI_TABLE_SPACE4 : PI_TABLE_SPACE6);
		const struct pi_prefix *own = f == 0 ? &lab->v4 : &lab->v6;
		const struct pi_pos *at = f == 0 ? &lab->v4_pos : &lab->v6_pos;
		if (pi_prefix_is_set(own) && pi_prefix_overlaps(own, &space))
			pi_ld_err(ld, at->line ? *at : *last[f],
				  pi_ld_fmt(ld, "use an address space outside %s, e.g. %s", f == 0 ? PI_TABLE_SPACE4 : PI_TABLE_SPACE6,
					    f == 0 ? "10.0.0.0/8" : "2001:db8::/32"),
				  "the lab's %s space overlaps %s, where generated tables (announce:) come from",
				  f == 0 ? "IPv4" : "IPv6", f == 0 ? PI_TABLE_SPACE4 : PI_TABLE_SPACE6);
	}
}
