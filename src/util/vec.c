/* vec: a growable array of fixed-size, zero-initialised elements. */
#include <stdlib.h>
#include <string.h>
#include "pocketinternet/log.h"
#include "pocketinternet/util.h"

void *pi_vec_push(struct pi_vec *v)
{
	if (v->len == v->cap) {
		v->cap = v->cap ? v->cap * 2 : 8;
		v->data = pi_xrealloc(v->data, v->cap * v->elem);
	}
	void *p = (char *)v->data + v->len++ * v->elem;
	memset(p, 0, v->elem);
	return p;
}

void *pi_vec_at(const struct pi_vec *v, size_t i)
{
	if (i >= v->len)
		pi_fatal("vector index %zu out of range (%zu)", i, v->len);
	return (char *)v->data + i * v->elem;
}

void pi_vec_free(struct pi_vec *v)
{
	free(v->data);
	v->data = NULL;
	v->len = v->cap = 0;
}
