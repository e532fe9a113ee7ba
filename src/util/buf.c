/* buf: growable NUL-terminated string buffer; the render stage writes into these. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "pocketinternet/log.h"
#include "pocketinternet/util.h"

void pi_buf_init(struct pi_buf *b)
{
	b->data = NULL;
	b->len = b->cap = 0;
}

void pi_buf_free(struct pi_buf *b)
{
	free(b->data);
	pi_buf_init(b);
}

void pi_buf_reset(struct pi_buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

static void buf_reserve(struct pi_buf *b, size_t extra)
{
	if (b->len + extra + 1 <= b->cap)
		return;
	size_t cap = b->cap ? b->cap : 256;
	while (cap < b->len + extra + 1)
		cap *= 2;
	b->data = pi_xrealloc(b->data, cap);
	b->cap = cap;
}

void pi_buf_write(struct pi_buf *b, const void *p, size_t n)
{
	buf_reserve(b, n);
	memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void pi_buf_putc(struct pi_buf *b, char c)
{
	pi_buf_write(b, &c, 1);
}

void pi_buf_puts(struct pi_buf *b, const char *s)
{
	pi_buf_write(b, s, strlen(s));
}

void pi_buf_vprintf(struct pi_buf *b, const char *fmt, va_list ap)
{
	va_list ap2;
	va_copy(ap2, ap);
	buf_reserve(b, 64);
	int n = vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap);
	if (n < 0)
		pi_fatal("bad format string %s", fmt);
	if ((size_t)n >= b->cap - b->len) {
		buf_reserve(b, (size_t)n);
		vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap2);
	}
	va_end(ap2);
	b->len += (size_t)n;
}

void pi_buf_printf(struct pi_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	pi_buf_vprintf(b, fmt, ap);
	va_end(ap);
}

const char *pi_buf_str(struct pi_buf *b)
{
	return b->data ? b->data : "";
}

char *pi_buf_steal(struct pi_buf *b)
{
	char *p = b->data ? b->data : pi_xstrdup("");
	pi_buf_init(b);
	return p;
}
