/*
 * util: the small toolbox every layer shares.
 *
 *  - pi_arena: one linear pool per model (lab, plan); freed at once.
 *  - pi_buf:   a growable string buffer that render functions write into.
 *  - pi_vec:   a growable array of fixed-size elements.
 *  - pi_rng:   a seeded, platform-independent PRNG (splitmix64) so plans are
 *              byte-identical across machines for the same seed.
 *
 * Allocation failure is fatal (pi_fatal): nothing here returns NULL.
 */
#ifndef POCKETINTERNET_UTIL_H
#define POCKETINTERNET_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define PI_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define PI_PRINTF(f, a) __attribute__((format(printf, f, a)))

void *pi_xmalloc(size_t n);
void *pi_xcalloc(size_t n, size_t sz);
void *pi_xrealloc(void *p, size_t n);
char *pi_xstrdup(const char *s);

/* ---- arena ---- */
struct pi_arena_chunk;
struct pi_arena {
	struct pi_arena_chunk *head;
};
void *pi_arena_alloc(struct pi_arena *a, size_t n); /* zeroed, 16-aligned */
char *pi_arena_strdup(struct pi_arena *a, const char *s);
char *pi_arena_strndup(struct pi_arena *a, const char *s, size_t n);
char *pi_arena_printf(struct pi_arena *a, const char *fmt, ...) PI_PRINTF(2, 3);
void pi_arena_free(struct pi_arena *a);

/* ---- string buffer ---- */
struct pi_buf {
	char *data; /* always NUL-terminated once anything was written */
	size_t len;
	size_t cap;
};
void pi_buf_init(struct pi_buf *b);
void pi_buf_free(struct pi_buf *b);
void pi_buf_reset(struct pi_buf *b);
void pi_buf_putc(struct pi_buf *b, char c);
void pi_buf_puts(struct pi_buf *b, const char *s);
void pi_buf_write(struct pi_buf *b, const void *p, size_t n);
void pi_buf_printf(struct pi_buf *b, const char *fmt, ...) PI_PRINTF(2, 3);
void pi_buf_vprintf(struct pi_buf *b, const char *fmt, va_list ap);
const char *pi_buf_str(struct pi_buf *b); /* "" when empty */
char *pi_buf_steal(struct pi_buf *b);     /* caller frees; buffer is reset */

/* ---- vector of fixed-size elements ---- */
struct pi_vec {
	void *data;
	size_t len;
	size_t cap;
	size_t elem;
};
#define PI_VEC_INIT(type) { NULL, 0, 0, sizeof(type) }
void *pi_vec_push(struct pi_vec *v); /* returns a zeroed new element */
void *pi_vec_at(const struct pi_vec *v, size_t i);
void pi_vec_free(struct pi_vec *v);

/* ---- deterministic RNG ---- */
struct pi_rng {
	uint64_t s;
};
void pi_rng_seed(struct pi_rng *r, uint64_t seed);
uint64_t pi_rng_next(struct pi_rng *r);
uint32_t pi_rng_below(struct pi_rng *r, uint32_t n); /* uniform in [0, n) */
uint64_t pi_hash64(const void *p, size_t n, uint64_t seed); /* FNV-1a mixed */

/* ---- files ---- */
/* Reads a whole file; returns 0 or -errno. *out is NUL-terminated, caller frees. */
int pi_read_file(const char *path, char **out, size_t *len);

/* ---- near matches for names a user typed (near.c) ---- */
/* Levenshtein distance; (size_t)-1 for names over 64 bytes. */
size_t pi_edit_distance(const char *a, const char *b);
/* The one name closest to word within a typo's distance, or one it starts; NULL if none. */
const char *pi_nearest(const char *word, const char *const *words, size_t n);
/* Up to max names near word (typos first, by distance; then names containing it), into out. */
size_t pi_near_matches(const char *word, const char *const *words, size_t n, const char **out, size_t max);
/* Writes atomically (a temporary with an unpredictable name, then rename)
 * creating parent dirs; 0 or -errno. For tests and files the user names on
 * trusted paths; what the tool writes as root goes through pi_dir_open and
 * the *_at functions below (docs/security.md). */
int pi_write_file(const char *path, const char *data, size_t len, unsigned mode);
/* Sends all n bytes on a socket (MSG_NOSIGNAL, EINTR retried): 0 or -errno. */
int pi_send_all(int fd, const char *p, size_t n);
int pi_mkdir_p(const char *path, unsigned mode);

/*
 * Files the tool writes and removes as root never follow a symbolic link
 * planted in their path (docs/security.md). Everything below works relative
 * to directory fds, with O_NOFOLLOW, and creates with O_EXCL.
 */
struct pi_diag;
/* Names of the temporaries pi_file_write_at makes (and may leave after a crash). */
#define PI_TMP_PREFIX ".pi-tmp-"
#define PI_DIR_CREATE 0x1u /* create missing components (0755) */
#define PI_DIR_OWNED 0x2u  /* the directory must be owned by the effective user and not
			    * writable by group or others */
#define PI_DIR_ROOT_LINK 0x4u /* the last component may be a root-owned link too (a
			       * directory only read or cleaned, like the state root) */
/*
 * Opens path as a directory, walking it one component at a time from "/"
 * (or the cwd when relative) with O_NOFOLLOW. A symbolic link as the last
 * component is refused; one as an earlier, existing component is followed
 * only when root owns it (/var/run -> /run); the directories created here
 * are checked like PI_DIR_OWNED. Returns an O_DIRECTORY fd or -errno with a
 * diagnostic naming the component and what to do. *created (may be NULL)
 * tells whether the last directory was made here, i.e. is empty.
 */
int pi_dir_open(const char *path, unsigned flags, bool *created, struct pi_diag *diag);
/* 0 when the directory dirfd is owned by the effective user and not group-
 * or world-writable; otherwise -EPERM with why[] saying which. */
int pi_dir_check_owned(int dirfd, char *why, size_t whylen);
/* Writes name in dirfd: a temporary with an unpredictable name created with
 * O_CREAT|O_EXCL|O_NOFOLLOW, then renameat over name, so a symlink at name
 * is replaced, never followed. 0 or -errno. */
int pi_file_write_at(int dirfd, const char *name, const void *data, size_t len, unsigned mode);
/* Creates name with O_CREAT|O_EXCL|O_NOFOLLOW (-EEXIST when anything is
 * there): the fast path for directories just made, which hold nothing. */
int pi_file_create_at(int dirfd, const char *name, const void *data, size_t len, unsigned mode);
/* Reads at most max bytes of the regular file name in dirfd without
 * following a symlink as name (-ELOOP) or blocking on a FIFO (-EINVAL).
 * A longer file is cut at max. *out is NUL-terminated, caller frees. */
int pi_file_read_at(int dirfd, const char *name, char **out, size_t *len, size_t max);
/* Removes name in dirfd and, for a directory, everything below it, with
 * unlinkat relative to directory fds: a symlink is removed, never followed,
 * and another file system mounted below is not entered (-EXDEV). 0,
 * -ENOENT when name is absent, or -errno. */
int pi_remove_tree_at(int dirfd, const char *name);
/* Opens the subdirectory name of dirfd refusing a symlink (-ELOOP) and
 * another file system mounted there (-EXDEV). An fd or -errno. */
int pi_dir_open_below(int dirfd, const char *name);
/* Removes everything inside the directory fd, as pi_remove_tree_at does;
 * the caller then removes the (empty) directory by name, so what it checked
 * through fd is what goes. */
int pi_dir_clear(int fd);
/* pi_file_write_at on path's directory (opened with pi_dir_open, creating
 * it when missing); refuses a path that is a symlink or not a regular file.
 * 0 or -errno with a diagnostic. */
int pi_write_file_safe(const char *path, const char *data, size_t len, unsigned mode, struct pi_diag *diag);

/*
 * Paths inside a container, from the host: resolved inside the container's
 * root (/proc/<pid>/root) with openat2(RESOLVE_IN_ROOT |
 * RESOLVE_NO_MAGICLINKS), so an absolute symlink or ".." planted in the
 * node stays inside it. The rootfd variants take any directory fd as the
 * root (tests use a temporary directory). All return -errno on failure.
 */
int pi_root_open(int pid, const char *path, int flags, mode_t mode); /* fd */
int pi_rootfd_open(int rootfd, const char *path, int flags, mode_t mode);
/* A connected SOCK_STREAM|SOCK_CLOEXEC unix socket to path; the socket
 * itself must not be a symlink (-ELOOP). */
int pi_root_connect_unix(int pid, const char *path);
int pi_rootfd_connect_unix(int rootfd, const char *path);
/* pi_file_read_at semantics (regular files only, cut at max). */
int pi_root_read_file(int pid, const char *path, char **out, size_t *len, size_t max);
int pi_rootfd_read_file(int rootfd, const char *path, char **out, size_t *len, size_t max);

/* ---- bounded parallel loop ---- */
/* Work item: 0 or -errno. Runs on a worker thread. */
typedef int (*pi_pool_fn)(void *ctx, size_t i);
/* Called under a lock after each item, in completion order (progress display). */
typedef void (*pi_pool_tick_fn)(void *ctx, size_t done, size_t total);
/*
 * Runs fn(ctx, i) for every i in [0, n) on at most `threads` threads and
 * waits for all. Returns 0, or the first error any item returned (every
 * item still runs: callers record per-item failures themselves). When
 * *cancel becomes true (e.g. set by a SIGINT handler), items not yet
 * started are skipped and -ECANCELED is returned. cancel may be NULL.
 */
int pi_pool_run(size_t n, unsigned threads, pi_pool_fn fn, pi_pool_tick_fn tick, void *ctx,
		volatile int *cancel);

/* Seconds on the monotonic clock (for phase timings and deadlines). */
double pi_monotonic(void);

#endif
