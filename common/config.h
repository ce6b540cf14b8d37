/*  config: settings from flags, environment and a config file, in that order.

    A key is a path such as "broker/ingest". Its environment variable is
    RCMQ_ + the key upper-cased with '/' and '-' turned into '_' (here
    RCMQ_BROKER_INGEST). The file is ZPL (czmq's zconfig format):

        broker
            ingest = "tcp://127.0.0.1:7601"
        keys
            dir = "keys"

    Relative paths read with config_path are taken relative to the file.
*/
#ifndef RCMQ_CONFIG_H
#define RCMQ_CONFIG_H

#include <stddef.h>
#include <stdint.h>

typedef struct _config_t config_t;

config_t   *config_new (void);
void        config_destroy (config_t **self_p);
//  Loads a ZPL file. Returns 0, or -1 with the reason in config_error().
int         config_load (config_t *self, const char *path);
const char *config_file (config_t *self);
const char *config_error (config_t *self);
//  Sets a value that beats environment and file (command-line flags).
void        config_set (config_t *self, const char *key, const char *value);
//  The value; when unset anywhere, fallback, or when that is NULL the
//  built-in default of docs/configuration.md (NULL for unknown keys).
const char *config_get (config_t *self, const char *key, const char *fallback);
const char *config_default (const char *key);
//  The integer value, or fallback when unset or not a whole number; a value
//  that is set but not a whole number is also kept for config_bad_setting,
//  which the service skeleton and rcmqctl check after reading their
//  settings, so a typo stops the process instead of becoming the default.
//  config_get_int_checked also checks a range.
int64_t     config_get_int (config_t *self, const char *key, int64_t fallback);
//  The first malformed value config_get_int met ("intake/uploads-max =
//  'ten': expected a whole number"), or NULL.
const char *config_bad_setting (config_t *self);
//  The integer value in *value (fallback when unset or empty). A value that
//  is set but is not a whole number from min to max (INT64_MAX: no upper
//  bound) is refused: -1, with error
//  naming the key, the value and the range ("claims/follow-up-days = '3O':
//  expected a whole number from 0 to 3650"). 0 otherwise.
int         config_get_int_checked (config_t *self, const char *key, int64_t fallback,
                                    int64_t min, int64_t max, int64_t *value,
                                    char *error, size_t error_size);
//  A path setting, made absolute against the config file's folder. The
//  returned string belongs to the config.
const char *config_path (config_t *self, const char *key, const char *fallback);
//  The environment variable name for a key (into buf).
void        config_env_name (const char *key, char *buf, size_t size);

#endif
