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
/* Writes atomically (tmp + rename) creating parent dirs; 0 or -errno. */
int pi_write_file(const char *path, const char *data, size_t len, unsigned mode);
int pi_mkdir_p(const char *path, unsigned mode);

#endif

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
