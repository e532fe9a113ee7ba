/*
 * map: open-addressing hash map (string -> uint32) and a uint64 set for
 * the planner's uniqueness checks. They are only ever probed, never
 * iterated, so hashing cannot influence the order of anything in a plan.
 */
#include <stdlib.h>
#include <string.h>
#include "internal.h"

static size_t cap_for(size_t hint)
{
	size_t cap = 64;
	while (cap < hint * 2)
		cap <<= 1;
	return cap;
}

static uint64_t str_hash(const char *s)
{
	return pi_hash64(s, strlen(s), 0x5049504c414eull);
}

void pl_map_init(struct pl_map *m, size_t hint)
{
	m->cap = cap_for(hint);
	m->len = 0;
	m->keys = pi_xcalloc(m->cap, sizeof(*m->keys));
	m->vals = pi_xcalloc(m->cap, sizeof(*m->vals));
}

void pl_map_free(struct pl_map *m)
{
	free(m->keys);
	free(m->vals);
	memset(m, 0, sizeof(*m));
}

static size_t map_slot(const struct pl_map *m, const char *key)
{
	size_t i = (size_t)str_hash(key) & (m->cap - 1);
	while (m->keys[i] && strcmp(m->keys[i], key) != 0)
		i = (i + 1) & (m->cap - 1);
	return i;
}

uint32_t pl_map_get(const struct pl_map *m, const char *key)
{
	size_t i = map_slot(m, key);
	return m->keys[i] ? m->vals[i] : PI_NONE;
}

bool pl_map_put(struct pl_map *m, const char *key, uint32_t val)
{
	if ((m->len + 1) * 2 > m->cap) {
		struct pl_map n;
		n.cap = m->cap * 2;
		n.len = 0;
		n.keys = pi_xcalloc(n.cap, sizeof(*n.keys));
		n.vals = pi_xcalloc(n.cap, sizeof(*n.vals));
		for (size_t i = 0; i < m->cap; i++)
			if (m->keys[i]) {
				size_t j = map_slot(&n, m->keys[i]);
				n.keys[j] = m->keys[i];
				n.vals[j] = m->vals[i];
				n.len++;
			}
		pl_map_free(m);
		*m = n;
	}
	size_t i = map_slot(m, key);
	if (m->keys[i])
		return false;
	m->keys[i] = key;
	m->vals[i] = val;
	m->len++;
	return true;
}

void pl_set64_init(struct pl_set64 *s, size_t hint)
{
	s->cap = cap_for(hint);
	s->len = 0;
	s->keys = pi_xcalloc(s->cap, sizeof(*s->keys));
}

void pl_set64_free(struct pl_set64 *s)
{
	free(s->keys);
	memset(s, 0, sizeof(*s));
}

static size_t set_slot(const struct pl_set64 *s, uint64_t k)
{
	size_t i = (size_t)pi_hash64(&k, sizeof(k), 7) & (s->cap - 1);
	while (s->keys[i] && s->keys[i] != k)
		i = (i + 1) & (s->cap - 1);
	return i;
}

bool pl_set64_has(const struct pl_set64 *s, uint64_t key)
{
	return s->keys[set_slot(s, key + 1)] != 0;
}

bool pl_set64_add(struct pl_set64 *s, uint64_t key)
{
	key++;
	if ((s->len + 1) * 2 > s->cap) {
		struct pl_set64 n;
		n.cap = s->cap * 2;
		n.len = 0;
		n.keys = pi_xcalloc(n.cap, sizeof(*n.keys));
		for (size_t i = 0; i < s->cap; i++)
			if (s->keys[i]) {
				n.keys[set_slot(&n, s->keys[i])] = s->keys[i];
				n.len++;
			}
		pl_set64_free(s);
		*s = n;
	}
	size_t i = set_slot(s, key);
	if (s->keys[i])
		return false;
	s->keys[i] = key;
	s->len++;
	return true;
}
