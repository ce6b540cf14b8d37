/*  log: see log.h. Lines are built with jansson and written with one
    fputs so concurrent processes sharing a terminal do not interleave.
*/
#include "log.h"
#include "clock.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char s_service [64] = "rcmq";
static log_level_t s_level = LOG_LEVEL_INFO;

static const char *s_level_names [] = { "debug", "info", "warn", "error" };

void
log_init (const char *service)
{
    snprintf (s_service, sizeof s_service, "%s", service);
    const char *level = getenv ("RCMQ_LOG_LEVEL");
    for (int i = 0; level && i <= LOG_LEVEL_ERROR; i++)
        if (strcmp (level, s_level_names [i]) == 0)
            s_level = (log_level_t) i;
}

void
log_set_level (log_level_t level)
{
    s_level = level;
}

void
log_emitv (log_level_t level, const char *msg, va_list args)
{
    //  The fields' references are ours either way, so consume them even when
    //  the line is filtered out.
    json_t *line = json_object ();
    char ts [32];
    clock_format_iso8601 (clock_now_ms (), ts, sizeof ts);
    json_object_set_new (line, "ts", json_string (ts));
    json_object_set_new (line, "level", json_string (s_level_names [level]));
    json_object_set_new (line, "service", json_string (s_service));
    json_object_set_new (line, "msg", json_string (msg));
    const char *key;
    while ((key = va_arg (args, const char *))) {
        json_t *value = va_arg (args, json_t *);
        json_object_set_new (line, key, value? value: json_null ());
    }
    if (level >= s_level) {
        char *text = json_dumps (line, JSON_COMPACT | JSON_PRESERVE_ORDER);
        if (text) {
            size_t len = strlen (text);
            text = realloc (text, len + 2);
            if (text) {
                text [len] = '\n';
                text [len + 1] = 0;
                fputs (text, stderr);
            }
            free (text);
        }
    }
    json_decref (line);
}

void
log_emit (log_level_t level, const char *msg, ...)
{
    va_list args;
    va_start (args, msg);
    log_emitv (level, msg, args);
    va_end (args);
}
