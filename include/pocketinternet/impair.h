/*
 * impair: a link impairment (rate limit, delay, jitter, loss, duplication,
 * corruption, reordering) as plain numbers, and the parsers for the text
 * users write in lab files and on the command line. Pure: no I/O, no
 * allocation, every input (any bytes) gives a value or -EINVAL.
 *
 * Units follow tc(8) (case-insensitive):
 *   rates  bit kbit mbit gbit tbit      bits per second (x1000 steps)
 *          bps kbps mbps gbps tbps      BYTES per second (x8)
 *          kibit mibit gibit tibit      binary (x1024 steps), and kibps...
 *          k m g t                      SI shorthand, bits: "5M" = 5mbit
 *          a "/s" after a bit unit is accepted: "5Mbit/s"
 *          a bare number is refused (bits or bytes?), so is below 8 bit/s
 *   times  s sec secs  ms msec msecs  us usec usecs    (bare numbers refused)
 *          at most PI_IMPAIR_TIME_MAX_US, whole microseconds
 *   shares "1%", "0.5%", "0.0001%" (ppm resolution), 0..100%
 * Decimals are allowed everywhere ("1.5mbit", "2.5ms"); no sign, no
 * exponent, no spaces inside.
 */
#ifndef POCKETINTERNET_IMPAIR_H
#define POCKETINTERNET_IMPAIR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PI_IMPAIR_PPM 1000000u              /* 100% in parts per million */
#define PI_IMPAIR_TIME_MAX_US 3600000000u   /* one hour */
#define PI_IMPAIR_RATE_MIN_BPS 8u           /* one byte per second */
#define PI_IMPAIR_FMT_MAX 192               /* enough for pi_impair_format */
#define PI_IMPAIR_ERR_MAX 160               /* enough for any parse error */

struct pi_impair {
	uint64_t rate_bps;      /* bits per second; 0: no rate limit */
	uint32_t delay_us;      /* added one-way delay */
	uint32_t jitter_us;     /* +- around delay (netem's uniform jitter) */
	uint32_t loss_ppm;      /* random loss, parts per million */
	uint32_t duplicate_ppm;
	uint32_t corrupt_ppm;   /* one flipped bit in that share of packets */
	uint32_t reorder_ppm;   /* share sent at once, ahead of delayed ones */
};

/* The keys users write, in format order: "rate", "delay", "jitter",
 * "loss", "duplicate", "corrupt", "reorder"; NULL-terminated. */
extern const char *const pi_impair_keys[];

/* Each returns 0, or -EINVAL with err (may be NULL) saying what was wrong
 * and what is accepted. *out is untouched on failure. s may be NULL. */
int pi_impair_parse_rate(const char *s, uint64_t *bps, char *err, size_t errlen);
int pi_impair_parse_time(const char *s, uint32_t *us, char *err, size_t errlen);
int pi_impair_parse_percent(const char *s, uint32_t *ppm, char *err, size_t errlen);

/* Sets one field by key (one of pi_impair_keys) from user text. -ENOENT
 * for an unknown key (err says which keys exist), -EINVAL for a bad value. */
int pi_impair_set(struct pi_impair *imp, const char *key, const char *value, char *err, size_t errlen);

/* Checks combinations: 0, or -EINVAL when reorder is asked without delay
 * (netem only reorders by sending some packets ahead of delayed ones), a
 * share is above 100%, a time above PI_IMPAIR_TIME_MAX_US or a rate below
 * PI_IMPAIR_RATE_MIN_BPS. */
int pi_impair_check(const struct pi_impair *imp, char *err, size_t errlen);

/* "rate 5Mbit delay 20ms jitter 5ms loss 1% duplicate 0.5% corrupt 0.1%
 * reorder 25%", fields that are 0 left out; "none" when all are 0. The
 * text parses back with pi_impair_set to the same values. Returns buf
 * (always NUL-terminated, cut to len). */
const char *pi_impair_format(const struct pi_impair *imp, char *buf, size_t len);

/* Nothing to impair: the link runs with the kernel's default qdisc. */
bool pi_impair_is_none(const struct pi_impair *imp);
/* Anything beyond a rate limit: needs the netem qdisc (sch_netem). */
bool pi_impair_needs_netem(const struct pi_impair *imp);
bool pi_impair_equal(const struct pi_impair *a, const struct pi_impair *b);
/* Fields of over that are set (non-zero) replace those of base. */
void pi_impair_merge(struct pi_impair *base, const struct pi_impair *over);

#endif
