/*
 * util/near: "did you mean" for names a user typed (pods, sessions, ...).
 * Levenshtein distance over short names; a prefix of a name counts as near
 * too ("trans" for "transit1").
 */
#include <string.h>
#include "pocketinternet/util.h"

size_t pi_edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la > 128 || lb > 128)
		return SIZE_MAX;
	size_t row[129];
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

size_t pi_near_matches(const char *word, const char *const *words, size_t n, const char **out, size_t max)
{
	size_t wl = strlen(word), found = 0;
	size_t limit = wl / 3 > 2 ? wl / 3 : 2;
	/* Nearest first: every distance from 0 to the limit in turn, then prefixes. */
	for (size_t d = 0; d <= limit + 1 && found < max; d++) {
		for (size_t i = 0; i < n && found < max; i++) {
			size_t e = pi_edit_distance(word, words[i]);
			bool near = d <= limit ? e == d && e < wl
					       : e > limit && wl >= 2 && strncmp(words[i], word, wl) == 0;
			if (near)
				out[found++] = words[i];
		}
	}
	return found;
}
