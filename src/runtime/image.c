/*
 * image: builds the node image without the docker CLI and, when needed,
 * without a registry.
 *
 *   registry path:    images/Dockerfile FROM debian:bookworm-slim, apt inside.
 *   debootstrap path: debootstrap --variant=minbase --include=<packages.txt>
 *                     -> tar(1) streamed into POST /images/create?fromSrc=-
 *                     as pocketinternet/base:bookworm -> the same Dockerfile
 *                     with BASE set to it, whose apt step is then a no-op.
 *
 * Both end in one POST /build of images/, so the image is the same recipe
 * either way. Each image carries a hash of its inputs in a label, so
 * pi_image_ensure rebuilds exactly when images/ or the version changed, and
 * the base is reused while packages.txt is unchanged.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <glob.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "docker_internal.h"
#include "pi_config.h"

extern char **environ;

static const struct pi_pos nopos = { NULL, 0, 0 };

#define DEB_CACHE "/var/cache/pocketinternet/debs"
#define BASE_REF PI_IMAGE_BASE_REPO ":" PI_IMAGE_BASE_TAG

const char *pi_image_default_tag(void)
{
	return PI_IMAGE_REPO ":" PI_VERSION;
}

static bool has_dockerfile(const char *dir)
{
	char p[4096];
	snprintf(p, sizeof(p), "%s/Dockerfile", dir);
	return access(p, R_OK) == 0;
}

const char *pi_image_dir(void)
{
	const char *env = getenv("POCKETINTERNET_IMAGES");
	if (env && *env)
		return env;
	if (has_dockerfile(PI_SOURCE_DIR "/images"))
		return PI_SOURCE_DIR "/images";
	return PI_DATA_DIR "/images";
}

/* ---- apt mirror ---- */

static char *trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r'))
		s[--n] = '\0';
	return s;
}

static bool usable_uri(const char *uri)
{
	return (strncmp(uri, "http://", 7) == 0 || strncmp(uri, "https://", 8) == 0) &&
	       !strstr(uri, "security");
}

/* Copies the first word of s into buf. */
static void first_word(const char *s, char *buf, size_t len)
{
	size_t n = strcspn(s, " \t");
	if (n >= len)
		n = len - 1;
	memcpy(buf, s, n);
	buf[n] = '\0';
}

/* deb822: paragraphs of "Field: value" separated by blank lines. */
static int mirror_from_deb822(const char *text, char *buf, size_t len)
{
	char *copy = pi_xstrdup(text);
	char uri[1024] = "";
	bool deb = false, disabled = false, main_suite = false;
	int rc = -ENOENT;
	char *save = NULL;
	char *line = copy;
	for (;;) {
		char *nl = line ? strchr(line, '\n') : NULL;
		if (nl)
			*nl = '\0';
		char *l = line ? trim(line) : NULL;
		bool end_par = !l || !*l;
		if (end_par) {
			if (uri[0] && deb && !disabled && main_suite && usable_uri(uri)) {
				snprintf(buf, len, "%s", uri);
				rc = 0;
				break;
			}
			uri[0] = '\0';
			deb = disabled = main_suite = false;
		} else if (*l != '#') {
			if (strncasecmp(l, "Types:", 6) == 0) {
				char *t = trim(l + 6);
				for (char *tok = strtok_r(t, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save))
					if (strcmp(tok, "deb") == 0)
						deb = true;
			}
			else if (strncasecmp(l, "URIs:", 5) == 0)
				first_word(trim(l + 5), uri, sizeof(uri));
			else if (strncasecmp(l, "Enabled:", 8) == 0)
				disabled = strcasecmp(trim(l + 8), "no") == 0;
			else if (strncasecmp(l, "Suites:", 7) == 0) {
				/* A suite without -security/-updates/-backports is the main one. */
				char *s = trim(l + 7);
				for (char *tok = strtok_r(s, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save))
					if (!strchr(tok, '-') && !strchr(tok, '/'))
						main_suite = true;
			}
		}
		if (!line)
			break;
		line = nl ? nl + 1 : NULL;
	}
	free(copy);
	return rc;
}

/* One-line format: "deb [options] URI suite components". */
static int mirror_from_list(const char *text, char *buf, size_t len)
{
	char *copy = pi_xstrdup(text);
	int rc = -ENOENT;
	char *save = NULL;
	for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *l = trim(line);
		if (strncmp(l, "deb", 3) != 0 || (l[3] != ' ' && l[3] != '\t'))
			continue;
		l = trim(l + 3);
		if (*l == '[') {
			char *close = strchr(l, ']');
			if (!close)
				continue;
			l = trim(close + 1);
		}
		char uri[1024];
		first_word(l, uri, sizeof(uri));
		if (usable_uri(uri)) {
			snprintf(buf, len, "%s", uri);
			rc = 0;
			break;
		}
	}
	free(copy);
	return rc;
}

int pi_image_find_mirror(const char *etc_apt, char *buf, size_t len)
{
	char pattern[4096];
	glob_t g;
	int rc = -ENOENT;
	const char *const kinds[] = { "sources.list.d/*.sources", "sources.list", "sources.list.d/*.list" };
	for (size_t k = 0; k < PI_ARRAY_LEN(kinds) && rc; k++) {
		snprintf(pattern, sizeof(pattern), "%s/%s", etc_apt, kinds[k]);
		if (glob(pattern, 0, NULL, &g) != 0)
			continue;
		for (size_t i = 0; i < g.gl_pathc && rc; i++) {
			char *text = NULL;
			if (pi_read_file(g.gl_pathv[i], &text, NULL) != 0)
				continue;
			rc = k == 0 ? mirror_from_deb822(text, buf, len) : mirror_from_list(text, buf, len);
			free(text);
		}
		globfree(&g);
	}
	return rc;
}

/* ---- progress ---- */

struct build {
	struct pi_docker *d;
	const struct pi_image_opts *o;
	struct timespec t0;
	unsigned step, steps;
	struct pi_diag *diag;
};

static double elapsed(const struct build *b)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - b->t0.tv_sec) + (double)(now.tv_nsec - b->t0.tv_nsec) / 1e9;
}

static void step(struct build *b, const char *fmt, ...) PI_PRINTF(2, 3);
static void step(struct build *b, const char *fmt, ...)
{
	if (!b->o->progress)
		return;
	struct pi_buf t;
	pi_buf_init(&t);
	pi_buf_printf(&t, "[%u/%u] ", ++b->step, b->steps);
	va_list ap;
	va_start(ap, fmt);
	pi_buf_vprintf(&t, fmt, ap);
	va_end(ap);
	b->o->progress(b->o->ctx, PI_IMAGE_STEP, elapsed(b), pi_buf_str(&t));
	pi_buf_free(&t);
}

static void detail(void *ctx, const char *line)
{
	struct build *b = ctx;
	if (b->o->progress)
		b->o->progress(b->o->ctx, PI_IMAGE_DETAIL, elapsed(b), line);
}

/* ---- inputs ---- */

struct inputs {
	struct pi_buf tar;   /* build context: every regular file of images/ */
	char hash[17];       /* of the context and the version: the node image's label */
	char pkg_hash[17];   /* of packages.txt: the base image's label */
	char *packages;      /* comma-separated, for debootstrap --include */
};

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int load_inputs(const char *dir, struct inputs *in, struct pi_diag *diag)
{
	struct pi_vec names = PI_VEC_INIT(char *);
	struct pi_buf pk;
	pi_buf_init(&pk);
	pi_buf_init(&in->tar);
	in->packages = NULL;
	uint64_t h = pi_hash64(PI_VERSION, strlen(PI_VERSION), 0x7069);
	int rc = 0;
	DIR *dp = opendir(dir);
	if (!dp) {
		rc = -errno;
		if (diag)
			pi_diag_add(diag, nopos,
				    "set POCKETINTERNET_IMAGES to the images/ directory of the source tree",
				    "cannot open the image recipe directory %s: %s", dir, strerror(-rc));
		goto out;
	}
	struct dirent *de;
	while ((de = readdir(dp))) {
		if (de->d_name[0] == '.')
			continue;
		*(char **)pi_vec_push(&names) = pi_xstrdup(de->d_name);
	}
	closedir(dp);
	/* Sorted, so the context and its hash do not depend on readdir order. */
	qsort(names.data, names.len, sizeof(char *), cmp_str);
	for (size_t i = 0; i < names.len; i++) {
		const char *name = *(char **)pi_vec_at(&names, i);
		char path[4096];
		struct stat st;
		snprintf(path, sizeof(path), "%s/%s", dir, name);
		if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
			continue;
		char *data = NULL;
		size_t len = 0;
		rc = pi_read_file(path, &data, &len);
		if (rc) {
			if (diag)
				pi_diag_add(diag, nopos, NULL, "cannot read %s: %s", path, strerror(-rc));
			goto out;
		}
		pi_tar_add_file(&in->tar, name, data, len, 0644);
		h = pi_hash64(name, strlen(name), h);
		h = pi_hash64(data, len, h);
		if (strcmp(name, "packages.txt") == 0) {
			uint64_t ph = pi_hash64(data, len, 0x7069);
			snprintf(in->pkg_hash, sizeof(in->pkg_hash), "%016llx", (unsigned long long)ph);
			char *save = NULL;
			for (char *l = strtok_r(data, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
				char *hash = strchr(l, '#');
				if (hash)
					*hash = '\0';
				l = trim(l);
				if (!*l)
					continue;
				pi_buf_printf(&pk, "%s%s", pk.len ? "," : "", l);
			}
		}
		free(data);
	}
	pi_tar_finish(&in->tar);
	snprintf(in->hash, sizeof(in->hash), "%016llx", (unsigned long long)h);
	if (!has_dockerfile(dir) || !pk.len) {
		if (diag)
			pi_diag_add(diag, nopos, "the source tree's images/ has both files",
				    "%s must hold a Dockerfile and a non-empty packages.txt", dir);
		rc = -ENOENT;
		goto out;
	}
	in->packages = pi_buf_steal(&pk);
out:
	for (size_t i = 0; i < names.len; i++)
		free(*(char **)pi_vec_at(&names, i));
	pi_vec_free(&names);
	pi_buf_free(&pk);
	return rc;
}

static void free_inputs(struct inputs *in)
{
	pi_buf_free(&in->tar);
	free(in->packages);
}

/* ---- child processes ---- */

/* Spawns argv with stdout (and stderr unless err_fd >= 0) on a new pipe
 * whose read end is returned in *out_fd. */
static int spawn_piped(const char *const *argv, char *const *envp, int err_fd, pid_t *pid, int *out_fd)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, p[1], 1);
	posix_spawn_file_actions_adddup2(&fa, err_fd >= 0 ? err_fd : p[1], 2);
	int rc = posix_spawnp(pid, argv[0], &fa, NULL, (char *const *)argv, envp ? envp : environ);
	posix_spawn_file_actions_destroy(&fa);
	close(p[1]);
	if (rc) {
		close(p[0]);
		return -rc;
	}
	*out_fd = p[0];
	return 0;
}

static int wait_child(pid_t pid)
{
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	return 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
}

/* Reads a child's output line by line into the progress callback. */
static void pump_lines(int fd, struct build *b)
{
	struct pi_buf line;
	pi_buf_init(&line);
	char chunk[4096];
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		for (ssize_t i = 0; i < n; i++) {
			if (chunk[i] == '\n' || chunk[i] == '\r') {
				if (line.len)
					detail(b, pi_buf_str(&line));
				pi_buf_reset(&line);
			} else {
				pi_buf_putc(&line, chunk[i]);
			}
		}
	}
	if (line.len)
		detail(b, pi_buf_str(&line));
	pi_buf_free(&line);
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (flag == FTW_DP)
		rmdir(path);
	else
		unlink(path);
	return 0;
}

static void remove_tree(const char *root)
{
	/* A failed debootstrap can leave /proc and /sys mounted in the chroot. */
	const char *const mounts[] = { "proc", "sys", "dev/pts" };
	char p[4096];
	for (size_t i = 0; i < PI_ARRAY_LEN(mounts); i++) {
		snprintf(p, sizeof(p), "%s/%s", root, mounts[i]);
		umount2(p, MNT_DETACH);
	}
	/* FTW_MOUNT: never walk into anything still mounted there. */
	nftw(root, rm_entry, 32, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
}

static bool program_exists(const char *name, char *path, size_t len)
{
	const char *const dirs[] = { "/usr/sbin", "/usr/bin", "/sbin", "/bin", "/usr/local/sbin", "/usr/local/bin" };
	for (size_t i = 0; i < PI_ARRAY_LEN(dirs); i++) {
		snprintf(path, len, "%s/%s", dirs[i], name);
		if (access(path, X_OK) == 0)
			return true;
	}
	return false;
}

/* ---- the debootstrap base ---- */

/* Root and the debootstrap program; its path into deb. */
static int debootstrap_ready(struct pi_diag *diag, char *deb, size_t len)
{
	if (geteuid() != 0) {
		if (diag)
			pi_diag_add(diag, nopos, "run `sudo pocketinternet image build`",
				    "building the base image with debootstrap needs root");
		return -EPERM;
	}
	if (!program_exists("debootstrap", deb, len)) {
		if (diag)
			pi_diag_add(diag, nopos, "install it: `apt-get install -y debootstrap` (or scripts/install-deps.sh)",
				    "debootstrap is not installed, and no registry base image (%s) is present",
				    PI_IMAGE_REGISTRY_BASE);
		return -ENOENT;
	}
	return 0;
}

static void choose_mirror(const struct build *b, char *mirror, size_t len)
{
	const char *m = b->o->mirror;
	if (!m || !*m)
		m = getenv("POCKETINTERNET_MIRROR");
	if (m && *m)
		snprintf(mirror, len, "%s", m);
	else if (pi_image_find_mirror("/etc/apt", mirror, len) != 0)
		snprintf(mirror, len, "http://deb.debian.org/debian");
}

/* debootstrap into rootfs; 0, or -EIO with *keep set (its log stays there). */
static int run_debootstrap(struct build *b, const struct inputs *in, const char *deb, const char *rootfs,
			   const char *mirror, bool *keep)
{
	struct pi_diag *diag = b->diag;
	step(b, "debootstrap bookworm from %s with the node's packages (about a minute)", mirror);
	size_t ni = strlen(in->packages) + 16;
	char *include = pi_xmalloc(ni);
	snprintf(include, ni, "--include=%s", in->packages);
	const char *dargv[] = { deb, "--variant=minbase", include, "--cache-dir=" DEB_CACHE, "bookworm", rootfs,
				mirror, NULL };
	size_t nenv = 0;
	while (environ[nenv])
		nenv++;
	char **envp = pi_xcalloc(nenv + 2, sizeof(char *));
	memcpy(envp, environ, nenv * sizeof(char *));
	envp[nenv] = (char *)"DEBIAN_FRONTEND=noninteractive";
	pid_t pid;
	int out_fd = -1;
	int rc = spawn_piped(dargv, envp, -1, &pid, &out_fd);
	free(include);
	free(envp);
	if (rc) {
		if (diag)
			pi_diag_add(diag, nopos, NULL, "cannot run %s: %s", deb, strerror(-rc));
		return rc;
	}
	pump_lines(out_fd, b);
	close(out_fd);
	int st = wait_child(pid);
	if (st == 0)
		return 0;
	char log[4200];
	snprintf(log, sizeof(log), "see %s/debootstrap/debootstrap.log; check that %s is reachable, "
		 "or set POCKETINTERNET_MIRROR", rootfs, mirror);
	if (diag)
		pi_diag_add(diag, nopos, log, "debootstrap failed (exit status %d)", st);
	*keep = true;
	return -EIO;
}

/* tar of rootfs streamed into the engine's image import. */
static int import_rootfs(struct build *b, const struct inputs *in, const char *rootfs)
{
	struct pi_diag *diag = b->diag;
	step(b, "import the root filesystem as %s", BASE_REF);
	char errpath[] = "/var/tmp/pocketinternet-tar-XXXXXX";
	int err_fd = mkostemp(errpath, O_CLOEXEC), out_fd = -1;
	if (err_fd >= 0)
		unlink(errpath);
	/* GNU tar streams it; the apt caches are left out (a third of the size). */
	const char *targv[] = { "tar", "-C", rootfs, "--numeric-owner",
				"--exclude=./var/cache/apt/archives/*.deb", "--exclude=./var/lib/apt/lists/*",
				"--exclude=./debootstrap", "-cf", "-", ".", NULL };
	pid_t pid;
	int rc = spawn_piped(targv, NULL, err_fd, &pid, &out_fd);
	if (rc) {
		if (diag)
			pi_diag_add(diag, nopos, "install tar", "cannot run tar: %s", strerror(-rc));
		goto out;
	}
	char label[256];
	snprintf(label, sizeof(label), "LABEL " PI_IMAGE_HASH_LABEL "=%s", in->pkg_hash);
	const char *changes[] = { label, "ENV LANG=C.UTF-8", "CMD [\"sleep\", \"infinity\"]" };
	rc = pi_docker_image_import(b->d, PI_IMAGE_BASE_REPO, PI_IMAGE_BASE_TAG, out_fd, changes,
				    PI_ARRAY_LEN(changes), detail, b, diag);
	close(out_fd);
	/* On failure tar may still be writing into the closed pipe: it gets SIGPIPE. */
	int st = wait_child(pid);
	if (!rc && st != 0) {
		char msg[1024] = "";
		ssize_t n = err_fd >= 0 ? pread(err_fd, msg, sizeof(msg) - 1, 0) : 0;
		msg[n > 0 ? n : 0] = '\0';
		if (diag)
			pi_diag_add(diag, nopos, NULL, "tar of the root filesystem failed (exit status %d): %s", st,
				    trim(msg));
		pi_docker_image_remove(b->d, BASE_REF, NULL);
		rc = -EIO;
	}
out:
	if (err_fd >= 0)
		close(err_fd);
	return rc;
}

static int debootstrap_base(struct build *b, const struct inputs *in)
{
	char mirror[1024], deb[256], rootfs[] = "/var/tmp/pocketinternet-rootfs-XXXXXX";
	int rc = debootstrap_ready(b->diag, deb, sizeof(deb));
	if (rc)
		return rc;
	choose_mirror(b, mirror, sizeof(mirror));
	if (!mkdtemp(rootfs)) {
		rc = -errno;
		if (b->diag)
			pi_diag_add(b->diag, nopos, NULL, "cannot create a directory under /var/tmp: %s", strerror(-rc));
		return rc;
	}
	/* The packages are kept between builds: a rebuild then needs no download. */
	pi_mkdir_p(DEB_CACHE, 0755);
	bool keep = false;
	rc = run_debootstrap(b, in, deb, rootfs, mirror, &keep);
	if (!rc)
		rc = import_rootfs(b, in, rootfs);
	if (!keep)
		remove_tree(rootfs);
	return rc;
}

/* ---- the node image ---- */

int pi_image_build(struct pi_docker *d, const struct pi_image_opts *o, struct pi_diag *diag)
{
	struct build b = { .d = d, .o = o, .diag = diag };
	struct inputs in = { 0 };
	const char *tag = o->tag ? o->tag : pi_image_default_tag();
	const char *dir = o->images_dir ? o->images_dir : pi_image_dir();
	const char *base = PI_IMAGE_REGISTRY_BASE;
	clock_gettime(CLOCK_MONOTONIC, &b.t0);
	int rc = load_inputs(dir, &in, diag);
	if (rc)
		goto out;

	enum pi_image_base mode = o->base;
	if (mode == PI_IMAGE_BASE_AUTO) {
		rc = pi_docker_image_exists(d, PI_IMAGE_REGISTRY_BASE, diag);
		if (rc < 0)
			goto out;
		mode = rc ? PI_IMAGE_BASE_REGISTRY : PI_IMAGE_BASE_DEBOOTSTRAP;
		rc = 0;
	}

	if (mode == PI_IMAGE_BASE_REGISTRY) {
		b.steps = 2;
		step(&b, "base %s", PI_IMAGE_REGISTRY_BASE);
		rc = pi_docker_image_exists(d, PI_IMAGE_REGISTRY_BASE, diag);
		if (rc == 0) {
			rc = pi_docker_image_pull(d, "debian", "bookworm-slim", detail, &b, diag);
			if (rc) {
				if (diag)
					pi_diag_add(diag, nopos,
						    "without a registry, build with `pocketinternet image build --base-from-debootstrap`",
						    "cannot pull %s", PI_IMAGE_REGISTRY_BASE);
				goto out;
			}
		}
		if (rc < 0)
			goto out;
		rc = 0;
	} else {
		struct pi_image_info bi;
		struct pi_diag tmp;
		pi_diag_init(&tmp);
		bool reuse = !o->force && pi_docker_image_inspect(d, BASE_REF, &bi, &tmp) == 0 &&
			     strcmp(bi.hash_label, in.pkg_hash) == 0;
		pi_diag_free(&tmp);
		b.steps = reuse ? 2 : 3;
		base = BASE_REF;
		if (reuse) {
			step(&b, "base %s is up to date with packages.txt: reused", BASE_REF);
		} else {
			rc = debootstrap_base(&b, &in);
			if (rc)
				goto out;
		}
	}

	step(&b, "build %s from %s/Dockerfile on %s", tag, dir, base);
	const struct pi_docker_kv args[] = { { "BASE", base }, { "PI_IMAGE_HASH", in.hash } };
	rc = pi_docker_image_build(d, tag, in.tar.data, in.tar.len, args, PI_ARRAY_LEN(args), detail, &b, diag);
	if (rc)
		goto out;
	if (o->progress)
		o->progress(o->ctx, PI_IMAGE_DONE, elapsed(&b), tag);
out:
	free_inputs(&in);
	return rc;
}

/* 1 when the default image exists with the current inputs, 0 when not. */
static int image_current(struct pi_docker *d, const struct inputs *in, struct pi_diag *diag)
{
	struct pi_image_info info;
	int rc = pi_docker_image_find(d, pi_image_default_tag(), &info, diag);
	if (rc == 1)
		rc = strcmp(info.hash_label, in->hash) == 0;
	return rc;
}

int pi_image_ensure(struct pi_docker *d, pi_image_progress_fn progress, void *ctx, struct pi_diag *diag)
{
	struct inputs in = { 0 };
	int lock = -1;
	int rc = load_inputs(pi_image_dir(), &in, diag);
	if (rc)
		goto out;
	rc = image_current(d, &in, diag);
	if (rc)
		goto out_current;
	/* Two setups (or tests) at once would each debootstrap: the second waits
	 * for the first and then finds the image built. */
	lock = open("/run/lock/pocketinternet-image.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (lock < 0)
		lock = open("/tmp/pocketinternet-image.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (lock >= 0) {
		while (flock(lock, LOCK_EX) < 0 && errno == EINTR)
			;
		rc = image_current(d, &in, diag);
		if (rc)
			goto out_current;
	}
	struct pi_image_opts o = { .base = PI_IMAGE_BASE_AUTO, .progress = progress, .ctx = ctx };
	rc = pi_image_build(d, &o, diag);
	if (rc == 0)
		rc = 1;
	goto out;
out_current:
	/* 1 from image_current means "already there": ensure's 0. */
	if (rc > 0)
		rc = 0;
out:
	if (lock >= 0)
		close(lock);
	free_inputs(&in);
	return rc;
}

int pi_docker_image_build_default(const struct pi_image_opts *opts, struct pi_diag *diag)
{
	struct pi_docker *d = NULL;
	int rc = pi_docker_open(NULL, &d, diag);
	if (rc == 0)
		rc = pi_image_build(d, opts, diag);
	pi_docker_free(d);
	return rc;
}

int pi_docker_image_status(const char *tag, struct pi_image_info *out, struct pi_diag *diag)
{
	struct pi_docker *d = NULL;
	int rc = pi_docker_open(NULL, &d, diag);
	if (rc == 0)
		rc = pi_docker_image_inspect(d, tag, out, NULL);
	pi_docker_free(d);
	return rc;
}
