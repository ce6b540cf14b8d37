/*  config: see config.h. Values we hand out are interned in a zhash so the
    caller never frees them and they live as long as the config.
*/
#include "config.h"

#include <czmq.h>
#include <ctype.h>

struct _config_t {
    zhash_t *overrides;     //  key -> value from config_set
    zhash_t *interned;      //  strings handed out by config_path
    zconfig_t *file;        //  parsed file, or NULL
    char *file_path;
    char *file_dir;
    char error [512];
};

config_t *
config_new (void)
{
    config_t *self = (config_t *) zmalloc (sizeof (config_t));
    self->overrides = zhash_new ();
    zhash_autofree (self->overrides);
    self->interned = zhash_new ();
    zhash_autofree (self->interned);
    return self;
}

void
config_destroy (config_t **self_p)
{
    assert (self_p);
    config_t *self = *self_p;
    if (!self)
        return;
    zhash_destroy (&self->overrides);
    zhash_destroy (&self->interned);
    zconfig_destroy (&self->file);
    zstr_free (&self->file_path);
    zstr_free (&self->file_dir);
    free (self);
    *self_p = NULL;
}

int
config_load (config_t *self, const char *path)
{
    assert (self);
    if (!zsys_file_exists (path)) {
        snprintf (self->error, sizeof self->error, "config file %s: does not exist", path);
        return -1;
    }
    zconfig_t *file = zconfig_load (path);
    if (!file) {
        snprintf (self->error, sizeof self->error, "config file %s: not valid ZPL", path);
        return -1;
    }
    zconfig_destroy (&self->file);
    self->file = file;
    zstr_free (&self->file_path);
    zstr_free (&self->file_dir);
    char *absolute = realpath (path, NULL);
    self->file_path = strdup (absolute? absolute: path);
    free (absolute);
    char *slash = strrchr (self->file_path, '/');
    self->file_dir = slash? strndup (self->file_path, (size_t) (slash - self->file_path)): strdup (".");
    return 0;
}

const char *
config_file (config_t *self)
{
    return self->file_path;
}

const char *
config_error (config_t *self)
{
    return self->error;
}

void
config_set (config_t *self, const char *key, const char *value)
{
    zhash_update (self->overrides, key, (void *) value);
}

void
config_env_name (const char *key, char *buf, size_t size)
{
    size_t at = (size_t) snprintf (buf, size, "RCMQ_");
    for (const char *p = key; *p && at + 1 < size; p++)
        buf [at++] = (*p == '/' || *p == '-' || *p == '.')? '_': (char) toupper ((unsigned char) *p);
    buf [at < size? at: size - 1] = 0;
}

const char *
config_get (config_t *self, const char *key, const char *fallback)
{
    const char *value = (const char *) zhash_lookup (self->overrides, key);
    if (value)
        return value;
    char env [256];
    config_env_name (key, env, sizeof env);
    value = getenv (env);
    if (value && *value)
        return value;
    if (self->file) {
        value = zconfig_get (self->file, key, NULL);
        if (value && *value)
            return value;
    }
    return fallback;
}

int64_t
config_get_int (config_t *self, const char *key, int64_t fallback)
{
    const char *value = config_get (self, key, NULL);
    if (!value)
        return fallback;
    char *end;
    long long number = strtoll (value, &end, 10);
    return *end? fallback: (int64_t) number;
}

const char *
config_path (config_t *self, const char *key, const char *fallback)
{
    const char *value = config_get (self, key, fallback);
    if (!value || value [0] == '/')
        return value;
    //  Relative to the config file when the value came from it, else to the
    //  working directory, which is what a person typing a flag expects.
    const char *from_file = self->file? zconfig_get (self->file, key, NULL): NULL;
    int is_from_file = from_file && streq (from_file, value)
                    && !zhash_lookup (self->overrides, key);
    char *joined = is_from_file? zsys_sprintf ("%s/%s", self->file_dir, value): strdup (value);
    zhash_update (self->interned, key, joined);
    const char *kept = (const char *) zhash_lookup (self->interned, key);
    free (joined);
    return kept;
}
