/* arena: a linear pool of chunks, freed at once (after BIRD's linpool). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "pocketinternet/log.h"
#include "pocketinternet/util.h"

struct pi_arena_chunk {
	struct pi_arena_chunk *next;
	size_t used, size;
	_Alignas(16) unsigned char data[];
};

#define PI_ARENA_CHUNK 65536

void *pi_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		pi_fatal("out of memory (%zu bytes)", n);
	return p;
}

void *pi_xcalloc(size_t n, size_t sz)
{
	void *p = calloc(n ? n : 1, sz ? sz : 1);
	if (!p)
		pi_fatal("out of memory (%zu x %zu bytes)", n, sz);
	return p;
}

void *pi_xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q)
		pi_fatal("out of memory (%zu bytes)", n);
	return q;
}

char *pi_xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;
	return memcpy(pi_xmalloc(n), s, n);
}

void *pi_arena_alloc(struct pi_arena *a, size_t n)
{
	n = (n + 15) & ~(size_t)15;
	struct pi_arena_chunk *c = a->head;
	if (!c || c->size - c->used < n) {
		size_t size = n > PI_ARENA_CHUNK / 2 ? n : PI_ARENA_CHUNK;
		c = pi_xmalloc(sizeof(*c) + size);
		c->size = size;
		c->used = 0;
		/* Oversized allocations go behind the head so the head keeps its free space. */
		if (a->head && size != PI_ARENA_CHUNK) {
			c->next = a->head->next;
			a->head->next = c;
		} else {
			c->next = a->head;
			a->head = c;
		}
	}
	void *p = c->data + c->used;
	c->used += n;
	memset(p, 0, n);
	return p;
}

char *pi_arena_strndup(struct pi_arena *a, const char *s, size_t n)
{
	char *p = pi_arena_alloc(a, n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *pi_arena_strdup(struct pi_arena *a, const char *s)
{
	return s ? pi_arena_strndup(a, s, strlen(s)) : NULL;
}

char *pi_arena_printf(struct pi_arena *a, const char *fmt, ...)
{
	va_list ap, ap2;
	va_start(ap, fmt);
	va_copy(ap2, ap);
	/* GCC 12 with -fsanitize=undefined wrongly sees a null format here. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-truncation"
	int n = vsnprintf(NULL, 0, fmt, ap);
#pragma GCC diagnostic pop
	va_end(ap);
	if (n < 0)
		pi_fatal("bad format string %s", fmt);
	char *p = pi_arena_alloc(a, (size_t)n + 1);
	vsnprintf(p, (size_t)n + 1, fmt, ap2);
	va_end(ap2);
	return p;
}

void pi_arena_free(struct pi_arena *a)
{
	struct pi_arena_chunk *c = a->head;
	while (c) {
		struct pi_arena_chunk *next = c->next;
		free(c);
		c = next;
	}
	a->head = NULL;
}
