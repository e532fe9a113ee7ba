/* progress: the phase display setup, node start and reconcile share. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "cli.h"

void pi_cli_display_init(struct pi_cli_display *d, bool quiet)
{
	memset(d, 0, sizeof(*d));
	d->tty = isatty(2);
	d->quiet = quiet;
	d->last = PI_PHASE_COUNT;
}

/* One line per phase; on a terminal it redraws in place with a bar. */
void pi_cli_show_progress(void *ctx, enum pi_phase phase, size_t done, size_t total, const char *detail)
{
	struct pi_cli_display *d = ctx;
	if (d->quiet)
		return;
	double now = pi_monotonic();
	if (phase != d->last) {
		if (d->tty && d->last != PI_PHASE_COUNT)
			fputc('\n', stderr);
		d->last = phase;
		d->phase_start = now;
		d->last_done = (size_t)-1;
		if (!d->tty) {
			fprintf(stderr, "[%d/%d] %-8s %s\n", phase + 1, PI_PHASE_COUNT, pi_phase_name(phase),
				detail ? detail : "");
			d->last_done = done;
			snprintf(d->last_detail, sizeof(d->last_detail), "%s", detail ? detail : "");
			return;
		}
	}
	if (d->tty) {
		char bar[21];
		size_t fill = total ? done * 20 / total : 0;
		for (size_t i = 0; i < 20; i++)
			bar[i] = i < fill ? '#' : '.';
		bar[20] = '\0';
		fprintf(stderr, "\r[%d/%d] %-8s [%s] %zu/%zu %5.1fs %s\033[K", phase + 1, PI_PHASE_COUNT,
			pi_phase_name(phase), bar, done, total, now - d->phase_start, detail ? detail : "");
	} else if ((phase == PI_PHASE_CONVERGE || phase == PI_PHASE_IMAGE) && detail &&
		   (done != d->last_done || strcmp(detail, d->last_detail) != 0)) {
		/* Plain logs (CI): convergence and image-build steps, only when
		 * something changed. */
		fprintf(stderr, "         %5.1fs %s\n", now - d->phase_start, detail);
	}
	d->last_done = done;
	snprintf(d->last_detail, sizeof(d->last_detail), "%s", detail ? detail : "");
	fflush(stderr);
}

