/*
 * near: "did you mean" for names a user typed. Edit distance (Levenshtein)
 * over short names; a prefix counts as near too ("svc" for "service").
 */
#include <stdlib.h>
#include <string.h>
#include "pocketinternet/util.h"

size_t pi_edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la > 64 || lb > 64)
		return (size_t)-1;
	size_t row[65];
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j];
			size_t best = diag + (a[i - 1] != b[j - 1]);
			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

const char *pi_nearest(const char *word, const char *const *words, size_t n)
{
	const char *best = NULL;
	size_t best_d = (size_t)-1;
	size_t wl = strlen(word);
	for (size_t i = 0; i < n; i++) {
		size_t d = pi_edit_distance(word, words[i]);
		if (d < best_d) {
			best_d = d;
			best = words[i];
		}
	}
	/* Close enough to be a typo: a third of the word, at least 2 edits. */
	size_t limit = wl / 3 > 2 ? wl / 3 : 2;
	if (best && best_d <= limit && best_d < wl)
		return best;
	/* "svc" for "service": a prefix is a good guess too. */
	for (size_t i = 0; wl >= 2 && i < n; i++)
		if (strncmp(words[i], word, wl) == 0)
			return words[i];
	return NULL;
}

/* Close enough to be a typo: a third of the word, at least 2 edits. */
static size_t near_limit(const char *word)
{
	size_t wl = strlen(word);
	return wl / 3 > 2 ? wl / 3 : 2;
}

struct near { size_t d; size_t i; };

static int near_cmp(const void *a, const void *b)
{
	const struct near *x = a, *y = b;
	if (x->d != y->d)
		return x->d < y->d ? -1 : 1;
	return x->i < y->i ? -1 : x->i > y->i;
}

size_t pi_near_matches(const char *word, const char *const *words, size_t n, const char **out, size_t max)
{
	size_t wl = strlen(word), limit = near_limit(word), k = 0;
	struct near *c = pi_xcalloc(n ? n : 1, sizeof(*c));
	for (size_t i = 0; i < n; i++) {
		size_t d = pi_edit_distance(word, words[i]);
		bool close = d <= limit && d < wl;
		bool prefix = wl >= 2 && (strncmp(words[i], word, wl) == 0 || strstr(words[i], word));
		if (close || prefix)
			c[k++] = (struct near){ close ? d : limit + 1, i };
	}
	qsort(c, k, sizeof(*c), near_cmp);
	size_t m = k < max ? k : max;
	for (size_t j = 0; j < m; j++)
		out[j] = words[c[j].i];
	free(c);
	return m;
}
