/* log: stderr logging with a level and a subsystem tag. Thread-safe: one
 * fprintf per line, and stdio locks the stream. */
#include <stdio.h>
#include <stdlib.h>
#include "pocketinternet/log.h"

static enum pi_log_level log_level = PI_LOG_WARN;

void pi_log_set_level(enum pi_log_level lvl)
{
	log_level = lvl;
}

enum pi_log_level pi_log_get_level(void)
{
	return log_level;
}

void pi_log(enum pi_log_level lvl, const char *sub, const char *fmt, ...)
{
	static const char *const names[] = { "error", "warning", "info", "debug" };
	if (lvl > log_level)
		return;
	char line[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (lvl == PI_LOG_INFO) /* -v: "create transit1-core1" */
		fprintf(stderr, "%s%s%s\n", sub ? sub : "", sub ? " " : "", line);
	else
		fprintf(stderr, "%s%s%s: %s\n", sub ? sub : "", sub ? ": " : "", names[lvl], line);
}

void pi_fatal(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("pocketinternet: fatal: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	abort();
}
