/* diag: collected, positioned, user-facing errors. */
#include <stdio.h>
#include <stdlib.h>
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

void pi_diag_add(struct pi_diag *d, struct pi_pos pos, const char *hint, const char *fmt, ...)
{
	struct pi_buf b;
	pi_buf_init(&b);
	va_list ap;
	va_start(ap, fmt);
	pi_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	struct pi_diag_entry *e = pi_vec_push(&d->entries);
	/* The file name is copied: a diag outlives the model it points into. */
	e->pos = pos;
	e->pos.file = pos.file ? pi_xstrdup(pos.file) : NULL;
	e->msg = pi_buf_steal(&b);
	e->hint = hint ? pi_xstrdup(hint) : NULL;
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

void pi_diag_print(const struct pi_diag *d, FILE *out)
{
	for (size_t i = 0; i < d->entries.len; i++) {
		const struct pi_diag_entry *e = pi_vec_at(&d->entries, i);
		if (e->pos.file && e->pos.line)
			fprintf(out, "%s:%u:%u: error: %s\n", e->pos.file, e->pos.line, e->pos.col, e->msg);
		else if (e->pos.file)
			fprintf(out, "%s: error: %s\n", e->pos.file, e->msg);
		else
			fprintf(out, "error: %s\n", e->msg);
		if (e->hint)
			fprintf(out, "  hint: %s\n", e->hint);
	}
}
