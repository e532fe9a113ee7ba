/*
 * resolve: openat2(2), and the same resolution in user space where the
 * kernel has no openat2 (Linux before 5.6, or a tool such as valgrind
 * that does not know the call). The fallback walks the path one component
 * at a time from a directory fd, never letting the kernel follow a link:
 * each component is opened with O_NOFOLLOW, and a link is read and its
 * target spliced into the rest of the path, resolved under the same rules
 * (RESOLVE_IN_ROOT: "/" and ".." stop at the root). Links inside procfs
 * are refused under RESOLVE_NO_MAGICLINKS, which is stricter than the
 * kernel (it refuses only the magic ones) and enough for what the tool
 * reaches. Unlike the kernel, the fallback cannot stop a directory that
 * is renamed out of the root during the walk; that race needs openat2.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "file_int.h"

#define MAX_LINKS 40

struct walk {
	int root; /* the starting directory: the root under IN_ROOT and BENEATH */
	int cur;  /* where the walk is */
	dev_t dev;
	uint64_t resolve;
	int links;
	char rem[8192]; /* what is left of the path */
	size_t pos;
};

static int replace_cur(struct walk *w, int fd)
{
	if (fd < 0)
		return -errno;
	struct stat st;
	if ((w->resolve & RESOLVE_NO_XDEV) && (fstat(fd, &st) < 0 || st.st_dev != w->dev)) {
		close(fd);
		return -EXDEV;
	}
	close(w->cur);
	w->cur = fd;
	return 0;
}

static bool same_dir(int a, int b)
{
	struct stat sa, sb;
	return fstat(a, &sa) == 0 && fstat(b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/* The next component into comp (without slashes); 0 at the end. */
static size_t next_component(struct walk *w, char *comp, size_t cap)
{
	while (w->rem[w->pos] == '/')
		w->pos++;
	size_t len = strcspn(w->rem + w->pos, "/");
	if (len >= cap)
		len = cap - 1;
	memcpy(comp, w->rem + w->pos, len);
	comp[len] = '\0';
	w->pos += len;
	return len;
}

static bool more_components(const struct walk *w)
{
	return w->rem[w->pos + strspn(w->rem + w->pos, "/")] != '\0';
}

/* Starts again from the root (an absolute path or link target). */
static int restart_at_root(struct walk *w)
{
	if (w->resolve & RESOLVE_BENEATH)
		return -EXDEV;
	if (w->resolve & RESOLVE_IN_ROOT)
		return replace_cur(w, fcntl(w->root, F_DUPFD_CLOEXEC, 0));
	return replace_cur(w, open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
}

static int dot_dot(struct walk *w)
{
	if ((w->resolve & (RESOLVE_IN_ROOT | RESOLVE_BENEATH)) && same_dir(w->cur, w->root))
		return w->resolve & RESOLVE_BENEATH ? -EXDEV : 0;
	return replace_cur(w, openat(w->cur, "..", O_PATH | O_DIRECTORY | O_CLOEXEC));
}

/* Splices the target of the link name (in w->cur) into the rest of the path. */
static int follow_link(struct walk *w, const char *name)
{
	struct statfs fs;
	if (w->resolve & RESOLVE_NO_SYMLINKS)
		return -ELOOP;
	if ((w->resolve & RESOLVE_NO_MAGICLINKS) && fstatfs(w->cur, &fs) == 0 && fs.f_type == PROC_SUPER_MAGIC)
		return -ELOOP;
	if (++w->links > MAX_LINKS)
		return -ELOOP;
	char target[4096], rest[8192];
	ssize_t n = readlinkat(w->cur, name, target, sizeof(target) - 1);
	if (n < 0)
		return -errno;
	target[n] = '\0';
	snprintf(rest, sizeof(rest), "%s", w->rem + w->pos);
	if ((size_t)snprintf(w->rem, sizeof(w->rem), "%s%s%s", target, rest[0] ? "/" : "", rest) >= sizeof(w->rem))
		return -ENAMETOOLONG;
	w->pos = 0;
	return target[0] == '/' ? restart_at_root(w) : 0;
}

/* One component that is not the last: a directory, or a link to follow. */
static int step(struct walk *w, const char *comp)
{
	struct stat st;
	if (fstatat(w->cur, comp, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	if (S_ISLNK(st.st_mode))
		return follow_link(w, comp);
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	return replace_cur(w, openat(w->cur, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
}

/* The last component: a link is followed unless O_NOFOLLOW; >= 0 is the fd. */
static int last(struct walk *w, const char *comp, int flags, mode_t mode, bool *again)
{
	struct stat st;
	*again = false;
	if (!(flags & O_NOFOLLOW) && fstatat(w->cur, comp, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode)) {
		*again = true;
		return follow_link(w, comp);
	}
	/* O_NOFOLLOW: a link planted after the check fails instead of leading out. */
	int fd = openat(w->cur, comp, flags | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0)
		return -errno;
	if ((w->resolve & RESOLVE_NO_XDEV) && (fstat(fd, &st) < 0 || st.st_dev != w->dev)) {
		close(fd);
		return -EXDEV;
	}
	return fd;
}

static int emulate(struct walk *w, int flags, mode_t mode)
{
	char comp[256];
	int rc = 0;
	if (w->rem[0] == '/' && (rc = restart_at_root(w)))
		return rc;
	while (next_component(w, comp, sizeof(comp))) {
		if (strcmp(comp, ".") == 0)
			continue;
		if (strcmp(comp, "..") == 0) {
			rc = dot_dot(w);
		} else if (more_components(w)) {
			rc = step(w, comp);
		} else {
			/* "name/" must be a directory, as the kernel has it. */
			int f = flags | (w->rem[w->pos] == '/' ? O_DIRECTORY : 0);
			bool again;
			rc = last(w, comp, f, mode, &again);
			if (rc >= 0 && !again)
				return rc;
		}
		if (rc < 0)
			return rc;
	}
	bool again;
	return last(w, ".", flags, mode, &again);
}

int pi_openat2(int dirfd, const char *path, int flags, mode_t mode, uint64_t resolve)
{
	struct open_how how = {
		.flags = (uint64_t)(flags | O_CLOEXEC),
		.mode = (flags & (O_CREAT | O_TMPFILE)) ? mode : 0,
		.resolve = resolve,
	};
	/* Asked once: a kernel (or valgrind) without the call keeps lacking it. */
	static _Atomic int missing;
	if (!missing) {
		long fd = syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
		if (fd >= 0 || errno != ENOSYS)
			return fd < 0 ? -errno : (int)fd;
		missing = 1;
	}
	return pi_openat2_fallback(dirfd, path, flags, mode, resolve);
}

int pi_openat2_fallback(int dirfd, const char *path, int flags, mode_t mode, uint64_t resolve)
{
	struct walk w = { .root = dirfd, .resolve = resolve };
	struct stat st;
	if (fstat(dirfd, &st) < 0)
		return -errno;
	w.dev = st.st_dev;
	if ((size_t)snprintf(w.rem, sizeof(w.rem), "%s", path) >= sizeof(w.rem))
		return -ENAMETOOLONG;
	w.cur = fcntl(dirfd, F_DUPFD_CLOEXEC, 0);
	if (w.cur < 0)
		return -errno;
	int rc = emulate(&w, flags, mode);
	close(w.cur);
	return rc;
}
