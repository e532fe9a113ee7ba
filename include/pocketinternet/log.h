/*
 * log: the logging facade (after OpenBGPD's log.h). Library layers do not
 * print; they return errors and fill a struct pi_diag. The CLI layer prints.
 */
#ifndef POCKETINTERNET_LOG_H
#define POCKETINTERNET_LOG_H

#include <stdarg.h>
#include "util.h"

enum pi_log_level { PI_LOG_ERROR, PI_LOG_WARN, PI_LOG_INFO, PI_LOG_DEBUG };

void pi_log_set_level(enum pi_log_level lvl);
enum pi_log_level pi_log_get_level(void);
void pi_log(enum pi_log_level lvl, const char *sub, const char *fmt, ...) PI_PRINTF(3, 4);
#define pi_log_error(sub, ...) pi_log(PI_LOG_ERROR, sub, __VA_ARGS__)
#define pi_log_warn(sub, ...) pi_log(PI_LOG_WARN, sub, __VA_ARGS__)
#define pi_log_info(sub, ...) pi_log(PI_LOG_INFO, sub, __VA_ARGS__)
#define pi_log_debug(sub, ...) pi_log(PI_LOG_DEBUG, sub, __VA_ARGS__)
_Noreturn void pi_fatal(const char *fmt, ...) PI_PRINTF(1, 2);

#endif
