/*  log: structured JSON-lines logging to stderr.

    One line per event: {"ts":..., "level":..., "service":..., "msg":..., k: v ...}.
    Fields are key / json_t* pairs ending in NULL; the log takes the json_t
    references. Never log PHI: log ids (claim, batch, request), not names.

        log_info ("listening", "endpoint", json_string (endpoint), NULL);
*/
#ifndef RCMQ_LOG_H
#define RCMQ_LOG_H

#include <jansson.h>

typedef enum { LOG_LEVEL_DEBUG, LOG_LEVEL_INFO, LOG_LEVEL_WARN, LOG_LEVEL_ERROR } log_level_t;

//  Names the process in every line; reads RCMQ_LOG_LEVEL (debug|info|warn|error).
void log_init (const char *service);
void log_set_level (log_level_t level);
void log_emit (log_level_t level, const char *msg, ...);
void log_emitv (log_level_t level, const char *msg, va_list args);

#define log_debug(...) log_emit (LOG_LEVEL_DEBUG, __VA_ARGS__)
#define log_info(...)  log_emit (LOG_LEVEL_INFO,  __VA_ARGS__)
#define log_warn(...)  log_emit (LOG_LEVEL_WARN,  __VA_ARGS__)
#define log_error(...) log_emit (LOG_LEVEL_ERROR, __VA_ARGS__)

#endif
