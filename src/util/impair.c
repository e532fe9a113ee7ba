/*
 * impair: parsing and formatting link impairments (see impair.h). Numbers
 * are read as decimal mantissa + fraction digits and scaled in integers,
 * so "0.1%" is exactly 1000 ppm and no locale or float rounding applies.
 */
#include <errno.h>
#include <stdarg.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "pocketinternet/impair.h"
#include "pocketinternet/util.h"

const char *const pi_impair_keys[] = { "rate", "delay", "jitter", "loss", "duplicate", "corrupt", "reorder", NULL };

#define MAX_FRAC 19 /* fraction digits: 10^19 fits a uint64_t (scale divides by it) */

struct unit {
	const char *name;
	uint64_t mult;
	bool per_s; /* "/s" may follow */
};

static const struct unit rate_units[] = {
	{ "bit", 1, true },
	{ "kbit", 1000, true },
	{ "mbit", 1000000, true },
	{ "gbit", 1000000000, true },
	{ "tbit", 1000000000000ull, true },
	{ "kibit", 1024, true },
	{ "mibit", 1024ull * 1024, true },
	{ "gibit", 1024ull * 1024 * 1024, true },
	{ "tibit", 1024ull * 1024 * 1024 * 1024, true },
	{ "bps", 8, false },
	{ "kbps", 8000, false },
	{ "mbps", 8000000, false },
	{ "gbps", 8000000000ull, false },
	{ "tbps", 8000000000000ull, false },
	{ "kibps", 8ull * 1024, false },
	{ "mibps", 8ull * 1024 * 1024, false },
	{ "gibps", 8ull * 1024 * 1024 * 1024, false },
	{ "tibps", 8ull * 1024 * 1024 * 1024 * 1024, false },
	{ "k", 1000, false },
	{ "m", 1000000, false },
	{ "g", 1000000000, false },
	{ "t", 1000000000000ull, false },
};

static const struct unit time_units[] = {
	{ "s", 1000000, false },   { "sec", 1000000, false }, { "secs", 1000000, false },
	{ "ms", 1000, false },     { "msec", 1000, false },   { "msecs", 1000, false },
	{ "us", 1, false },        { "usec", 1, false },      { "usecs", 1, false },
};

static void seterr(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* The user's text, cut and with anything unprintable shown as '?', for
 * quoting in a message. */
static const char *quote(const char *s, char out[32])
{
	size_t i = 0;

	for (; s[i] && i < 24; i++)
		out[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
	if (s[i]) {
		memcpy(out + i, "...", 3);
		i += 3;
	}
	out[i] = '\0';
	return out;
}

/* [0-9]+(.[0-9]+)? at s: the digits as one integer and how many of them
 * follow the point. NULL when there is no number, the digits do not fit a
 * uint64_t or more than MAX_FRAC follow the point. Every uint64_t reads:
 * pi_impair_format writes rates of up to 20 digits. */
static const char *parse_dec(const char *s, uint64_t *mant, unsigned *frac)
{
	unsigned fd = 0;
	bool point = false;
	uint64_t m = 0;

	if (*s < '0' || *s > '9')
		return NULL;
	for (;; s++) {
		if (*s == '.' && !point && s[1] >= '0' && s[1] <= '9') {
			point = true;
			continue;
		}
		if (*s < '0' || *s > '9')
			break;
		if (m == 0 && *s == '0' && !point)
			continue; /* leading zeros do not count */
		uint64_t d = (uint64_t)(*s - '0');
		if (m > (UINT64_MAX - d) / 10 || fd + point > MAX_FRAC)
			return NULL;
		m = m * 10 + d;
		fd += point;
	}
	*mant = m;
	*frac = fd;
	return s;
}

/* mant / 10^frac * mult into *out: 0, -ERANGE when above max, -EDOM when
 * not a whole number and exact is asked (otherwise rounded to nearest). */
static int scale(uint64_t mant, unsigned frac, uint64_t mult, uint64_t max, bool exact, uint64_t *out)
{
	uint64_t div = 1;

	while (frac && mant % 10 == 0) {
		mant /= 10;
		frac--;
	}
	while (frac && mult % 10 == 0) {
		mult /= 10;
		frac--;
	}
	if (mult && mant > UINT64_MAX / mult)
		return -ERANGE;
	mant *= mult;
	for (; frac; frac--)
		div *= 10; /* frac <= 19 digits: fits */
	if (exact && mant % div)
		return -EDOM;
	mant = mant / div + (mant % div >= (div + 1) / 2 && div > 1);
	if (mant > max)
		return -ERANGE;
	*out = mant;
	return 0;
}

static const struct unit *find_unit(const struct unit *u, size_t n, const char *s, size_t len)
{
	for (size_t i = 0; i < n; i++) {
		if (strlen(u[i].name) == len && strncasecmp(u[i].name, s, len) == 0)
			return &u[i];
	}
	return NULL;
}

#define RATE_HELP "a rate is a number with a tc unit: bit, kbit, mbit, gbit (bits/s; also k, M, G), " \
		  "bps, kbps, mbps, gbps (BYTES/s), e.g. 5mbit, 100kbit, 1gbit, 800kbps"

int pi_impair_parse_rate(const char *s, uint64_t *bps, char *err, size_t errlen)
{
	const struct unit *u;
	const char *end;
	uint64_t mant, v;
	unsigned frac;
	size_t ulen;
	char q[32], q2[32];
	int rc;

	if (!s || !(end = parse_dec(s, &mant, &frac))) {
		seterr(err, errlen, "\"%s\" is not a rate: %s", s ? quote(s, q) : "", RATE_HELP);
		return -EINVAL;
	}
	ulen = strlen(end);
	if (ulen > 2 && strcmp(end + ulen - 2, "/s") == 0)
		ulen -= 2;
	u = find_unit(rate_units, PI_ARRAY_LEN(rate_units), end, ulen);
	if (!u || (ulen != strlen(end) && !u->per_s)) {
		if (*end)
			seterr(err, errlen, "\"%s\": unknown rate unit \"%s\"; %s", quote(s, q), quote(end, q2),
			       RATE_HELP);
		else
			seterr(err, errlen, "\"%s\": no unit (bits or bytes?); %s", quote(s, q), RATE_HELP);
		return -EINVAL;
	}
	rc = scale(mant, frac, u->mult, UINT64_MAX, false, &v);
	if (rc || v < PI_IMPAIR_RATE_MIN_BPS) {
		seterr(err, errlen, "\"%s\": rate %s; give 8bit (1bps) up to 18446744073gbit", quote(s, q),
		       rc ? "too large" : "below 8 bit/s");
		return -EINVAL;
	}
	*bps = v;
	return 0;
}

#define TIME_HELP "a time is a number with a unit: s, ms or us, e.g. 20ms, 1s, 500us, 2.5ms"

int pi_impair_parse_time(const char *s, uint32_t *us, char *err, size_t errlen)
{
	const struct unit *u;
	const char *end;
	uint64_t mant, v;
	unsigned frac;
	char q[32], q2[32];
	int rc;

	if (!s || !(end = parse_dec(s, &mant, &frac))) {
		seterr(err, errlen, "\"%s\" is not a time: %s", s ? quote(s, q) : "", TIME_HELP);
		return -EINVAL;
	}
	u = find_unit(time_units, PI_ARRAY_LEN(time_units), end, strlen(end));
	if (!u) {
		if (*end)
			seterr(err, errlen, "\"%s\": unknown time unit \"%s\"; %s", quote(s, q), quote(end, q2),
			       TIME_HELP);
		else
			seterr(err, errlen, "\"%s\": no unit; %s", quote(s, q), TIME_HELP);
		return -EINVAL;
	}
	rc = scale(mant, frac, u->mult, PI_IMPAIR_TIME_MAX_US, true, &v);
	if (rc) {
		seterr(err, errlen, "\"%s\": %s; %s, at most 3600s", quote(s, q),
		       rc == -EDOM ? "finer than a microsecond" : "longer than an hour", TIME_HELP);
		return -EINVAL;
	}
	*us = (uint32_t)v;
	return 0;
}

#define PERCENT_HELP "a share is a percentage from 0% to 100% with up to 4 decimals, e.g. 1%, 0.5%, 0.01%"

int pi_impair_parse_percent(const char *s, uint32_t *ppm, char *err, size_t errlen)
{
	const char *end;
	uint64_t mant, v;
	unsigned frac;
	char q[32];
	int rc;

	if (!s || !(end = parse_dec(s, &mant, &frac)) || strcmp(end, "%") != 0) {
		seterr(err, errlen, "\"%s\" is not a percentage: %s", s ? quote(s, q) : "", PERCENT_HELP);
		return -EINVAL;
	}
	rc = scale(mant, frac, PI_IMPAIR_PPM / 100, PI_IMPAIR_PPM, true, &v);
	if (rc) {
		seterr(err, errlen, "\"%s\": %s; %s", quote(s, q),
		       rc == -EDOM ? "finer than 0.0001%" : "above 100%", PERCENT_HELP);
		return -EINVAL;
	}
	*ppm = (uint32_t)v;
	return 0;
}

int pi_impair_set(struct pi_impair *imp, const char *key, const char *value, char *err, size_t errlen)
{
	uint32_t *share = NULL;
	char q[32];

	if (!key)
		key = "";
	if (!strcmp(key, "rate"))
		return pi_impair_parse_rate(value, &imp->rate_bps, err, errlen);
	if (!strcmp(key, "delay"))
		return pi_impair_parse_time(value, &imp->delay_us, err, errlen);
	if (!strcmp(key, "jitter"))
		return pi_impair_parse_time(value, &imp->jitter_us, err, errlen);
	if (!strcmp(key, "loss"))
		share = &imp->loss_ppm;
	else if (!strcmp(key, "duplicate"))
		share = &imp->duplicate_ppm;
	else if (!strcmp(key, "corrupt"))
		share = &imp->corrupt_ppm;
	else if (!strcmp(key, "reorder"))
		share = &imp->reorder_ppm;
	if (!share) {
		seterr(err, errlen, "unknown impairment \"%s\"; use rate, delay, jitter, loss, duplicate, "
		       "corrupt or reorder", quote(key, q));
		return -ENOENT;
	}
	return pi_impair_parse_percent(value, share, err, errlen);
}

int pi_impair_check(const struct pi_impair *imp, char *err, size_t errlen)
{
	const uint32_t shares[] = { imp->loss_ppm, imp->duplicate_ppm, imp->corrupt_ppm, imp->reorder_ppm };

	for (size_t i = 0; i < PI_ARRAY_LEN(shares); i++) {
		if (shares[i] > PI_IMPAIR_PPM) {
			seterr(err, errlen, "%s above 100%%", pi_impair_keys[3 + i]);
			return -EINVAL;
		}
	}
	if (imp->delay_us > PI_IMPAIR_TIME_MAX_US || imp->jitter_us > PI_IMPAIR_TIME_MAX_US) {
		seterr(err, errlen, "delay or jitter longer than an hour");
		return -EINVAL;
	}
	if (imp->rate_bps && imp->rate_bps < PI_IMPAIR_RATE_MIN_BPS) {
		seterr(err, errlen, "rate below 8 bit/s; give at least 8bit (1bps) or no rate");
		return -EINVAL;
	}
	if (imp->reorder_ppm && !imp->delay_us) {
		seterr(err, errlen, "reorder needs a delay: netem reorders by sending some packets at once, "
		       "ahead of the delayed ones; add e.g. delay 10ms");
		return -EINVAL;
	}
	return 0;
}

/* Appends " key value" (the leading space only when buf is not empty). */
static void put(char *buf, size_t len, size_t *at, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static void put(char *buf, size_t len, size_t *at, const char *key, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*at >= len)
		return;
	n = snprintf(buf + *at, len - *at, "%s%s ", *at ? " " : "", key);
	*at += n > 0 ? (size_t)n : 0;
	if (*at >= len)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf + *at, len - *at, fmt, ap);
	va_end(ap);
	*at += n > 0 ? (size_t)n : 0;
}

static void put_rate(char *buf, size_t len, size_t *at, uint64_t bps)
{
	static const struct {
		uint64_t mult;
		const char *unit;
	} u[] = { { 1000000000000ull, "Tbit" }, { 1000000000, "Gbit" }, { 1000000, "Mbit" }, { 1000, "Kbit" } };

	for (size_t i = 0; i < PI_ARRAY_LEN(u); i++) {
		if (bps % u[i].mult == 0) {
			put(buf, len, at, "rate", "%" PRIu64 "%s", bps / u[i].mult, u[i].unit);
			return;
		}
	}
	put(buf, len, at, "rate", "%" PRIu64 "bit", bps);
}

static void put_time(char *buf, size_t len, size_t *at, const char *key, uint32_t us)
{
	if (us % 1000000 == 0)
		put(buf, len, at, key, "%" PRIu32 "s", us / 1000000);
	else if (us % 1000 == 0)
		put(buf, len, at, key, "%" PRIu32 "ms", us / 1000);
	else
		put(buf, len, at, key, "%" PRIu32 "us", us);
}

static void put_share(char *buf, size_t len, size_t *at, const char *key, uint32_t ppm)
{
	uint32_t whole = ppm / 10000, part = ppm % 10000;
	int digits = 4;

	if (!part) {
		put(buf, len, at, key, "%" PRIu32 "%%", whole);
		return;
	}
	while (part % 10 == 0) {
		part /= 10;
		digits--;
	}
	put(buf, len, at, key, "%" PRIu32 ".%0*" PRIu32 "%%", whole, digits, part);
}

const char *pi_impair_format(const struct pi_impair *imp, char *buf, size_t len)
{
	const uint32_t shares[] = { imp->loss_ppm, imp->duplicate_ppm, imp->corrupt_ppm, imp->reorder_ppm };
	size_t at = 0;

	if (!buf || !len)
		return buf;
	buf[0] = '\0';
	if (pi_impair_is_none(imp)) {
		snprintf(buf, len, "none");
		return buf;
	}
	if (imp->rate_bps)
		put_rate(buf, len, &at, imp->rate_bps);
	if (imp->delay_us)
		put_time(buf, len, &at, "delay", imp->delay_us);
	if (imp->jitter_us)
		put_time(buf, len, &at, "jitter", imp->jitter_us);
	for (size_t i = 0; i < PI_ARRAY_LEN(shares); i++) {
		if (shares[i])
			put_share(buf, len, &at, pi_impair_keys[3 + i], shares[i]);
	}
	return buf;
}

bool pi_impair_needs_netem(const struct pi_impair *imp)
{
	return imp->delay_us || imp->jitter_us || imp->loss_ppm || imp->duplicate_ppm || imp->corrupt_ppm ||
	       imp->reorder_ppm;
}

bool pi_impair_is_none(const struct pi_impair *imp)
{
	return !imp->rate_bps && !pi_impair_needs_netem(imp);
}

bool pi_impair_equal(const struct pi_impair *a, const struct pi_impair *b)
{
	return a->rate_bps == b->rate_bps && a->delay_us == b->delay_us && a->jitter_us == b->jitter_us &&
	       a->loss_ppm == b->loss_ppm && a->duplicate_ppm == b->duplicate_ppm &&
	       a->corrupt_ppm == b->corrupt_ppm && a->reorder_ppm == b->reorder_ppm;
}

void pi_impair_merge(struct pi_impair *base, const struct pi_impair *over)
{
	if (over->rate_bps)
		base->rate_bps = over->rate_bps;
	if (over->delay_us)
		base->delay_us = over->delay_us;
	if (over->jitter_us)
		base->jitter_us = over->jitter_us;
	if (over->loss_ppm)
		base->loss_ppm = over->loss_ppm;
	if (over->duplicate_ppm)
		base->duplicate_ppm = over->duplicate_ppm;
	if (over->corrupt_ppm)
		base->corrupt_ppm = over->corrupt_ppm;
	if (over->reorder_ppm)
		base->reorder_ppm = over->reorder_ppm;
}
