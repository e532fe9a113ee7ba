/* diag: collected, positioned, user-facing errors. */
#include <stdio.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "pocketinternet/diag.h"

void pi_diag_init(struct pi_diag *d)
{
	d->entries = (struct pi_vec)PI_VEC_INIT(struct pi_diag_entry);
}

void pi_diag_free(struct pi_diag *d)
{
	for (size_t i = 0; i < d->entries.len; i++) {
		struct pi_diag_entry *e = pi_vec_at(&d->entries, i);
		free(e->msg);
		free(e->hint);
		free((char *)e->pos.file);
	}
	pi_vec_free(&d->entries);
}

/* Length of the valid UTF-8 sequence at s (at most n bytes), 0 when it is
 * not one. C1 controls (U+0080..U+009F) count as invalid: some terminals
 * read U+009B as a CSI. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	size_t len = s[0] >= 0xf0 && s[0] <= 0xf4 ? 4 : s[0] >= 0xe0 ? 3 : s[0] >= 0xc2 && s[0] < 0xe0 ? 2 : 0;
	if (!len || len > n)
		return 0;
	for (size_t i = 1; i < len; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	uint32_t cp = len == 2 ? (uint32_t)(s[0] & 0x1f) << 6 | (s[1] & 0x3f)
		      : len == 3 ? (uint32_t)(s[0] & 0x0f) << 12 | (uint32_t)(s[1] & 0x3f) << 6 | (s[2] & 0x3f)
				 : (uint32_t)(s[0] & 0x07) << 18 | (uint32_t)(s[1] & 0x3f) << 12 |
					   (uint32_t)(s[2] & 0x3f) << 6 | (s[3] & 0x3f);
	bool overlong = (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000);
	if (overlong || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) || (cp >= 0x80 && cp <= 0x9f))
		return 0;
	return len;
}

/* Copies s with control characters and stray bytes as \xNN, stopping at
 * max bytes of output (then "..."). */
static void escape(struct pi_buf *b, const char *s, size_t max)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s);
	for (size_t i = 0; i < n;) {
		size_t len = p[i] >= 0x20 && p[i] < 0x7f ? 1 : p[i] >= 0x80 ? utf8_len(p + i, n - i) : 0;
		size_t out = len ? len : 4;
		if (b->len + out > max) {
			pi_buf_puts(b, "...");
			return;
		}
		if (len)
			pi_buf_write(b, p + i, len);
		else
			pi_buf_printf(b, "\\x%02x", p[i]);
		i += len ? len : 1;
	}
}

static char *escaped(const char *s)
{
	struct pi_buf b;
	pi_buf_init(&b);
	escape(&b, s, PI_DIAG_MSG_MAX);
	return pi_buf_steal(&b);
}

const char *pi_diag_value(char buf[PI_DIAG_VALUE_BUF], const char *s)
{
	struct pi_buf b;
	pi_buf_init(&b);
	escape(&b, s ? s : "", PI_DIAG_VALUE_MAX);
	snprintf(buf, PI_DIAG_VALUE_BUF, "%s", pi_buf_str(&b));
	pi_buf_free(&b);
	return buf;
}

static void add(struct pi_diag *d, enum pi_diag_severity sev, struct pi_pos pos, const char *hint, const char *fmt,
		va_list ap)
{
	struct pi_buf b;
	pi_buf_init(&b);
	pi_buf_vprintf(&b, fmt, ap);
	struct pi_diag_entry *e = pi_vec_push(&d->entries);
	/* The file name is copied: a diag outlives the model it points into. */
	e->pos = pos;
	e->pos.file = pos.file ? escaped(pos.file) : NULL;
	e->msg = escaped(pi_buf_str(&b));
	e->hint = hint ? escaped(hint) : NULL;
	e->severity = sev;
	pi_buf_free(&b);
}

void pi_diag_vadd(struct pi_diag *d, struct pi_pos pos, const char *hint, const char *fmt, va_list ap)
{
	add(d, PI_DIAG_ERROR, pos, hint, fmt, ap);
}

void pi_diag_vadd_capped(struct pi_diag *d, unsigned *count, unsigned max, struct pi_pos pos, const char *hint,
			 const char *fmt, va_list ap)
{
	if (*count > max)
		return;
	if ((*count)++ == max)
		pi_diag_add(d, pos, "fix the errors above first", "too many errors; stopping here");
	else
		add(d, PI_DIAG_ERROR, pos, hint, fmt, ap);
}

void pi_diag_add(struct pi_diag *d, struct pi_pos pos, const char *hint, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	add(d, PI_DIAG_ERROR, pos, hint, fmt, ap);
	va_end(ap);
}

void pi_diag_vwarn(struct pi_diag *d, struct pi_pos pos, const char *hint, const char *fmt, va_list ap)
{
	add(d, PI_DIAG_WARNING, pos, hint, fmt, ap);
}

void pi_diag_warn(struct pi_diag *d, struct pi_pos pos, const char *hint, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	add(d, PI_DIAG_WARNING, pos, hint, fmt, ap);
	va_end(ap);
}

void pi_diag_note(struct pi_diag *d, const char *hint, const char *fmt, ...)
{
	if (!d)
		return;
	va_list ap;
	va_start(ap, fmt);
	add(d, PI_DIAG_ERROR, (struct pi_pos){ 0 }, hint, fmt, ap);
	va_end(ap);
}

void pi_diag_move(struct pi_diag *dst, struct pi_diag *src)
{
	for (size_t i = 0; dst && i < src->entries.len; i++) {
		/* The entries' strings change hands: no copies. */
		*(struct pi_diag_entry *)pi_vec_push(&dst->entries) = *(struct pi_diag_entry *)pi_vec_at(&src->entries, i);
	}
	if (!dst)
		pi_diag_free(src);
	else
		pi_vec_free(&src->entries);
	pi_diag_init(src);
}

size_t pi_diag_count(const struct pi_diag *d)
{
	return d->entries.len;
}

size_t pi_diag_errors(const struct pi_diag *d)
{
	size_t n = 0;
	for (size_t i = 0; i < d->entries.len; i++)
		n += ((const struct pi_diag_entry *)pi_vec_at(&d->entries, i))->severity == PI_DIAG_ERROR;
	return n;
}

void pi_diag_print(const struct pi_diag *d, FILE *out)
{
	for (size_t i = 0; i < d->entries.len; i++) {
		const struct pi_diag_entry *e = pi_vec_at(&d->entries, i);
		const char *sev = e->severity == PI_DIAG_WARNING ? "warning" : "error";
		if (e->pos.file && e->pos.line)
			fprintf(out, "%s:%u:%u: %s: %s\n", e->pos.file, e->pos.line, e->pos.col, sev, e->msg);
		else if (e->pos.file)
			fprintf(out, "%s: %s: %s\n", e->pos.file, sev, e->msg);
		else
			fprintf(out, "%s: %s\n", sev, e->msg);
		if (e->hint)
			fprintf(out, "  hint: %s\n", e->hint);
	}
}
