/*
 * pi-bench: the numbers in docs/performance.md, measured in one run on one
 * machine (issue: scale).
 *
 *   plan+render  generated labs of --plan-sizes pods, in memory, no Docker
 *   floor        create+start the same number of containers with the same
 *                image, through the same API client, with the same
 *                parallelism, doing nothing else; then remove them bare
 *   setup        pi_apply_setup on generated labs of --sizes pods, phase by
 *                phase, with host memory and per-container cgroup memory
 *   teardown     pi_apply_teardown of that lab
 *
 * It writes a markdown report (stdout, or between the bench markers of
 * --out FILE). Figures, not pass/fail: targets are compared in the report.
 */
#include <errno.h>
#include <stdatomic.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "pocketinternet/apply.h"
#include "docker.h"
#include "pocketinternet/lab.h"
#include "pocketinternet/log.h"
#include "pocketinternet/plan.h"
#include "pocketinternet/render.h"
#include "bench_lab.h"

#define BENCH_LABEL "pocketinternet.bench"

static unsigned parallel = 8;

/* ---- plan + render, no Docker ---- */

struct render_mem {
	const struct pi_plan *plan;
	size_t files[64], bytes[64];
	_Atomic unsigned next_slot;
};

static _Thread_local int slot = -1;

static int render_one(void *ctx, size_t i)
{
	struct render_mem *r = ctx;
	if (slot < 0)
		slot = (int)atomic_fetch_add(&r->next_slot, 1) % 64;
	struct pi_render_set set;
	pi_render_set_init(&set);
	pi_render_node(r->plan, (uint32_t)i, &set);
	r->files[slot] += set.files.len;
	for (size_t k = 0; k < set.files.len; k++)
		r->bytes[slot] += ((struct pi_render_file *)pi_vec_at(&set.files, k))->len;
	pi_render_set_free(&set);
	return 0;
}

/* Plan, then render every node in memory on every core (as
 * pi_apply_write_lab does), then the same written to a tmpfs with
 * plan.json, which is what `pocketinternet render` costs without a disk. */
static void bench_plan(unsigned pods, struct pi_buf *rep)
{
	struct pi_lab *lab;
	struct pi_plan *plan;
	double t0 = pi_monotonic();
	if (bench_load_plan("benchplan", pods, &lab, &plan)) {
		pi_buf_printf(rep, "| %u | failed to plan | | | | |\n", pods);
		return;
	}
	double t1 = pi_monotonic();
	struct render_mem r = { .plan = plan };
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	slot = -1;
	pi_pool_run(plan->n_nodes, cores > 0 ? (unsigned)cores : 1, render_one, NULL, &r, NULL);
	double t2 = pi_monotonic();
	size_t files = 0, bytes = 0;
	for (int k = 0; k < 64; k++) {
		files += r.files[k];
		bytes += r.bytes[k];
	}
	char dir[64];
	snprintf(dir, sizeof(dir), "/dev/shm/pi-bench-render-%d", (int)getpid());
	struct pi_diag diag;
	pi_diag_init(&diag);
	double t3 = pi_monotonic();
	int wrc = pi_apply_write_lab(plan, dir, &diag);
	double t4 = pi_monotonic();
	pi_diag_print(&diag, stderr);
	pi_diag_free(&diag);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "pi-bench: could not remove %s\n", dir);
	pi_buf_printf(rep, "| %u | %u | %u | %.3f | %.3f | **%.3f** | %zu files, %.1f MB | %s |\n", pods, plan->n_nodes,
		      plan->n_sessions, t1 - t0, t2 - t1, t2 - t0, files, (double)bytes / 1e6,
		      wrc ? "failed" : pi_arena_printf(&plan->arena, "%.1f", t4 - t3));
	pi_plan_free(plan);
	pi_lab_free(lab);
}

/* ---- the floor: plain containers ---- */

struct floor {
	struct pi_docker *d;
	const char *image;
	unsigned n;
	char (*ids)[PI_DOCKER_ID_LEN];
};

static int floor_create_start(void *ctx, size_t i)
{
	struct floor *f = ctx;
	char name[64];
	snprintf(name, sizeof(name), "pi-bench-floor-%zu", i);
	const struct pi_docker_kv labels[] = { { BENCH_LABEL, "floor" } };
	struct pi_container_spec spec = { .name = name, .image = f->image, .labels = labels, .n_labels = 1, .init = true };
	int rc = pi_docker_container_create(f->d, &spec, f->ids[i], NULL);
	return rc ? rc : pi_docker_container_start(f->d, f->ids[i], NULL);
}

static int floor_remove(void *ctx, size_t i)
{
	struct floor *f = ctx;
	return pi_docker_container_remove(f->d, f->ids[i], NULL);
}

/* ---- memory ---- */

static long long meminfo_used_kb(void)
{
	FILE *f = fopen("/proc/meminfo", "r");
	long long total = 0, avail = 0, v;
	char key[64];
	while (f && fscanf(f, "%63s %lld kB\n", key, &v) == 2) {
		if (!strcmp(key, "MemTotal:"))
			total = v;
		else if (!strcmp(key, "MemAvailable:"))
			avail = v;
	}
	if (f)
		fclose(f);
	return total - avail;
}

/* A container's memory from its cgroup (v1 or v2, as the engine made it). */
static long long container_mem_bytes(const char *id, bool peak)
{
	/* cgroup v1 (this engine's default here), then the two v2 layouts. */
	const char *dirs[] = { "/sys/fs/cgroup/memory/docker/", "/sys/fs/cgroup/system.slice/docker-", "/sys/fs/cgroup/docker/" };
	const char *sfx[] = { "", ".scope", "" };
	const char *files_peak[] = { "memory.max_usage_in_bytes", "memory.peak", "memory.peak" };
	const char *files_now[] = { "memory.usage_in_bytes", "memory.current", "memory.current" };
	for (size_t k = 0; k < PI_ARRAY_LEN(dirs); k++) {
		char path[512];
		snprintf(path, sizeof(path), "%s%s%s/%s", dirs[k], id, sfx[k], peak ? files_peak[k] : files_now[k]);
		FILE *f = fopen(path, "r");
		if (!f)
			continue;
		long long v = -1;
		if (fscanf(f, "%lld", &v) != 1)
			v = -1;
		fclose(f);
		if (v >= 0)
			return v;
	}
	return -1;
}

static void bench_setup(struct pi_docker *d, struct pi_backend *b, unsigned pods, struct pi_buf *rep, struct pi_buf *mem)
{
	struct pi_lab *lab;
	struct pi_plan *plan;
	char name[32];
	snprintf(name, sizeof(name), "bench%u", pods);
	double tp = pi_monotonic();
	if (bench_load_plan(name, pods, &lab, &plan)) {
		pi_buf_printf(rep, "| %u | failed to plan |\n", pods);
		return;
	}
	tp = pi_monotonic() - tp;
	struct pi_diag diag;
	pi_diag_init(&diag);
	struct pi_teardown_result tr;
	pi_apply_teardown(b, name, NULL, 0, &tr, &diag);

	/* Floor first, same count, same image, same parallelism. */
	struct floor f = { .d = d, .image = pi_image_default_tag(), .n = plan->n_nodes };
	f.ids = pi_xcalloc(f.n, sizeof(*f.ids));
	double t0 = pi_monotonic();
	int frc = pi_pool_run(f.n, parallel, floor_create_start, NULL, &f, NULL);
	double floor_up = pi_monotonic() - t0;
	t0 = pi_monotonic();
	pi_pool_run(f.n, parallel, floor_remove, NULL, &f, NULL);
	double floor_down = pi_monotonic() - t0;
	free(f.ids);

	long long mem_before = meminfo_used_kb();
	struct pi_apply_opts opts = { .parallel = parallel, .converge_timeout_s = 300 };
	struct pi_apply_result res;
	int rc = pi_apply_setup(b, plan, &opts, &res, &diag);
	res.phase_s[PI_PHASE_PLAN] = tp;
	long long mem_after = meminfo_used_kb();
	if (rc)
		pi_diag_print(&diag, stderr);

	/* Per-container memory, while the lab runs. */
	long long max_peak = 0, sum = 0;
	unsigned counted = 0;
	char max_node[128] = "";
	struct pi_vec found = PI_VEC_INIT(struct pi_container_summary);
	char filter[128];
	snprintf(filter, sizeof(filter), PI_LABEL_LAB "=%s", name);
	pi_docker_container_list(d, filter, &found, NULL);
	for (size_t i = 0; i < found.len; i++) {
		struct pi_container_summary *c = pi_vec_at(&found, i);
		long long now = container_mem_bytes(c->id, false), peak = container_mem_bytes(c->id, true);
		if (now >= 0) {
			sum += now;
			counted++;
		}
		if (peak > max_peak) {
			max_peak = peak;
			snprintf(max_node, sizeof(max_node), "%s", c->node);
		}
	}
	pi_vec_free(&found);

	t0 = pi_monotonic();
	pi_apply_teardown(b, name, NULL, 0, &tr, &diag);
	double down = pi_monotonic() - t0;

	double setup_total = res.total_s + tp;
	pi_buf_printf(rep, "| %u | %u | %.1f | %.1f | ", pods, plan->n_nodes, floor_up, setup_total);
	for (int p = 0; p < PI_PHASE_COUNT; p++)
		pi_buf_printf(rep, "%.2f | ", res.phase_s[p]);
	pi_buf_printf(rep, "%.2fx | %s %u/%u | %.1f | %.1f | %.2fx |\n", floor_up > 0 ? setup_total / floor_up : 0,
		      res.converged ? "yes" : "NO", res.sessions_up, res.sessions_total, floor_down, down,
		      floor_down > 0 ? down / floor_down : 0);
	pi_buf_printf(mem, "| %u | %u | %.0f | %.1f | %.1f (%s) |\n", pods, plan->n_nodes,
		      (double)(mem_after - mem_before) / 1024.0, counted ? (double)sum / counted / 1048576.0 : 0,
		      (double)max_peak / 1048576.0, max_node);
	if (frc)
		pi_buf_printf(rep, "\n(floor run failed: %s)\n", strerror(-frc));
	pi_diag_free(&diag);
	pi_plan_free(plan);
	pi_lab_free(lab);
}

static void parse_sizes(const char *s, unsigned *out, size_t *n, size_t max)
{
	*n = 0;
	char *copy = pi_xstrdup(s), *save = NULL;
	for (char *t = strtok_r(copy, ",", &save); t && *n < max; t = strtok_r(NULL, ",", &save))
		out[(*n)++] = (unsigned)atoi(t);
	free(copy);
}

/* Replaces the text between the bench markers of file (or appends). */
static int write_report(const char *file, const char *report)
{
	static const char begin[] = "<!-- bench:begin -->", end[] = "<!-- bench:end -->";
	char *old = NULL;
	size_t len = 0;
	struct pi_buf b;
	pi_buf_init(&b);
	if (pi_read_file(file, &old, &len) == 0) {
		char *s = strstr(old, begin), *e = s ? strstr(s, end) : NULL;
		if (s && e) {
			pi_buf_write(&b, old, (size_t)(s - old));
			pi_buf_printf(&b, "%s\n%s%s", begin, report, e);
		} else {
			pi_buf_printf(&b, "%s\n%s\n%s\n", old, begin, report);
			pi_buf_puts(&b, end);
			pi_buf_putc(&b, '\n');
		}
	} else {
		pi_buf_printf(&b, "# Performance\n\n%s\n%s%s\n", begin, report, end);
	}
	int rc = pi_write_file(file, b.data, b.len, 0644);
	free(old);
	pi_buf_free(&b);
	return rc;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "sizes", required_argument, NULL, 's' }, { "plan-sizes", required_argument, NULL, 'p' },
		{ "out", required_argument, NULL, 'o' },   { "parallel", required_argument, NULL, 'j' },
		{ "no-docker", no_argument, NULL, 'n' },   { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned sizes[8], psizes[8];
	size_t n_sizes, n_psizes;
	parse_sizes("10,30,100", sizes, &n_sizes, 8);
	parse_sizes("1000,10000", psizes, &n_psizes, 8);
	const char *out = NULL;
	bool docker = true;
	int c;
	while ((c = getopt_long(argc, argv, "s:p:o:j:nh", opts, NULL)) != -1) {
		switch (c) {
		case 's': parse_sizes(optarg, sizes, &n_sizes, 8); break;
		case 'p': parse_sizes(optarg, psizes, &n_psizes, 8); break;
		case 'o': out = optarg; break;
		case 'j': parallel = (unsigned)atoi(optarg); break;
		case 'n': docker = false; break;
		default:
			printf("usage: pi-bench [--sizes 10,30,100] [--plan-sizes 1000,10000] [-j N] [--no-docker] [--out FILE]\n");
			return c == 'h' ? 0 : 2;
		}
	}
	struct pi_buf rep, mem;
	pi_buf_init(&rep);
	pi_buf_init(&mem);
	char host[256] = "";
	gethostname(host, sizeof(host));
	pi_buf_printf(&rep, "Measured by `bench/run.sh` (pi-bench, parallelism %u) on %ld cores.\n\n", parallel,
		      sysconf(_SC_NPROCESSORS_ONLN));
	pi_buf_printf(&rep, "### Plan + render, no Docker (seconds)\n\nYAML load and plan on one core; render of every node in memory on %ld threads; then `pi_apply_write_lab` (the same render, written to a tmpfs, plus plan.json) for comparison.\n\n| pods | nodes | BGP sessions | load + plan | render (in memory) | plan + render | output | render to tmpfs + plan.json |\n|---|---|---|---|---|---|---|---|\n", sysconf(_SC_NPROCESSORS_ONLN));
	for (size_t i = 0; i < n_psizes; i++) {
		fprintf(stderr, "pi-bench: plan+render %u pods\n", psizes[i]);
		bench_plan(psizes[i], &rep);
	}
	if (docker) {
		struct pi_diag diag;
		struct pi_docker *d;
		struct pi_backend b;
		pi_diag_init(&diag);
		if (pi_docker_open(NULL, &d, &diag) || pi_image_ensure(d, NULL, NULL, &diag) < 0 ||
		    pi_backend_open(&b, &pi_backend_docker, &diag)) {
			pi_diag_print(&diag, stderr);
			return 1;
		}
		pi_diag_free(&diag);
		pi_buf_puts(&rep, "\n### Setup against the floor (seconds)\n\nThe floor creates and starts the same number of plain containers with the same image, client and parallelism, and removes them bare.\n\n"
				  "| pods | containers | floor up | setup total | plan | render | image | create | start | wire | daemons | converge | setup/floor | converged | floor rm | teardown | teardown/floor |\n"
				  "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
		pi_buf_puts(&mem, "\n### Memory\n\n| pods | containers | host memory used by the lab (MiB) | mean per container (MiB) | largest container peak (MiB) |\n|---|---|---|---|---|\n");
		for (size_t i = 0; i < n_sizes; i++) {
			fprintf(stderr, "pi-bench: setup %u pods\n", sizes[i]);
			bench_setup(d, &b, sizes[i], &rep, &mem);
		}
		pi_buf_puts(&rep, pi_buf_str(&mem));
		pi_backend_close(&b);
		pi_docker_free(d);
	}
	if (out) {
		int rc = write_report(out, pi_buf_str(&rep));
		if (rc) {
			fprintf(stderr, "pi-bench: cannot write %s: %s\n", out, strerror(-rc));
			return 1;
		}
	}
	fputs(pi_buf_str(&rep), stdout);
	pi_buf_free(&rep);
	pi_buf_free(&mem);
	return 0;
}
