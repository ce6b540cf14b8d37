/*  config: see config.h. Paths we hand out are interned in a zhash (keyed by
    their text) so the caller never frees them and they live as long as the
    config.
*/
#include "config.h"

#include <inttypes.h>

#include <czmq.h>
#include <ctype.h>
#include <errno.h>
#include <sys/stat.h>

struct _config_t {
    zhash_t *overrides;     //  key -> value from config_set
    zhash_t *interned;      //  path -> the same path, handed out by config_path
    zconfig_t *file;        //  parsed file, or NULL
    char *file_path;
    char *file_dir;
    char error [512];
    char bad_setting [512];  //  the first malformed value config_get_int met
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
    assert (path);
    struct stat st;
    if (stat (path, &st)) {
        snprintf (self->error, sizeof self->error, "config file %s: %s", path, strerror (errno));
        return -1;
    }
    //  zconfig_load reads a directory as an empty config; that is a mistake
    //  in a flag, not a config with nothing in it.
    if (!S_ISREG (st.st_mode)) {
        snprintf (self->error, sizeof self->error, "config file %s: not a regular file", path);
        return -1;
    }
    //  Not zconfig_load: in czmq 4.2 it leaks its zfile_t when the text is
    //  not valid ZPL. Reading the chunk ourselves parses the same way.
    zchunk_t *chunk = zchunk_slurp (path, 0);
    if (!chunk) {
        snprintf (self->error, sizeof self->error, "config file %s: cannot read: %s", path, strerror (errno));
        return -1;
    }
    zconfig_t *file = zconfig_chunk_load (chunk);
    zchunk_destroy (&chunk);
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
config_bad_setting (config_t *self)
{
    assert (self);
    return *self->bad_setting? self->bad_setting: NULL;
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

//  Where a value came from: config_path needs to know, because a relative
//  path in the file is relative to the file, and any other is relative to
//  the working directory.
typedef enum { S_FROM_OVERRIDE, S_FROM_ENV, S_FROM_FILE, S_FROM_FALLBACK } s_source_t;

//  Built-in defaults: a deployment on one host with no config file works.
//  docs/configuration.md lists the same table for people.
static const struct {
    const char *key;
    const char *value;
} s_defaults [] = {
    { "data/dir",       "var/data" },
    { "keys/dir",       "var/keys" },
    { "client/name",    "admin" },
    { "broker/ingest",  "tcp://127.0.0.1:7601" },
    { "broker/fanout",  "tcp://127.0.0.1:7602" },
    { "broker/replay",  "tcp://127.0.0.1:7603" },
    { "broker/api",     "tcp://127.0.0.1:7604" },
    { "broker/retention-hours", "0" },
    { "intake/api",     "tcp://127.0.0.1:7611" },
    { "claims/api",     "tcp://127.0.0.1:7612" },
    { "denials/api",    "tcp://127.0.0.1:7613" },
    { "inquiry/api",    "tcp://127.0.0.1:7614" },
    { "audit/api",      "tcp://127.0.0.1:7615" },
    { "audit/admins",   "admin admin2" },
    { "metrics/api",    "tcp://127.0.0.1:7616" },
    { "web/api",        "tcp://127.0.0.1:7617" },
    { "web/http",       "127.0.0.1:7680" },
};

const char *
config_default (const char *key)
{
    for (size_t i = 0; i < sizeof s_defaults / sizeof s_defaults [0]; i++)
        if (streq (s_defaults [i].key, key))
            return s_defaults [i].value;
    return NULL;
}

static const char *
s_lookup (config_t *self, const char *key, const char *fallback, s_source_t *source)
{
    const char *value = (const char *) zhash_lookup (self->overrides, key);
    if (value) {
        *source = S_FROM_OVERRIDE;
        return value;
    }
    char env [256];
    config_env_name (key, env, sizeof env);
    value = getenv (env);
    if (value && *value) {
        *source = S_FROM_ENV;
        return value;
    }
    if (self->file) {
        value = zconfig_get (self->file, key, NULL);
        if (value && *value) {
            *source = S_FROM_FILE;
            return value;
        }
    }
    *source = S_FROM_FALLBACK;
    return fallback? fallback: config_default (key);
}

const char *
config_get (config_t *self, const char *key, const char *fallback)
{
    assert (self);
    s_source_t source;
    return s_lookup (self, key, fallback, &source);
}

int64_t
config_get_int (config_t *self, const char *key, int64_t fallback)
{
    const char *value = config_get (self, key, NULL);
    if (!value)
        return fallback;
    //  Empty text, trailing junk and numbers too big for 64 bits are not
    //  whole numbers; strtoll alone would give 0 or a clamped value.
    char *end;
    errno = 0;
    long long number = strtoll (value, &end, 10);
    if (end == value || *end || errno == ERANGE) {
        //  Kept, not only passed over: the process that read it refuses to
        //  go on (service.c, rcmqctl) rather than run on the default.
        if (!*self->bad_setting)
            snprintf (self->bad_setting, sizeof self->bad_setting,
                      "%s = '%s': expected a whole number", key, value);
        return fallback;
    }
    return (int64_t) number;
}

int
config_get_int_checked (config_t *self, const char *key, int64_t fallback, int64_t min, int64_t max,
                        int64_t *value, char *error, size_t error_size)
{
    assert (value && min <= max);
    const char *text = config_get (self, key, NULL);
    *value = fallback;
    if (!text || !*text)
        return 0;               //  an empty setting is no setting (VAR= in a shell)
    char *end;
    errno = 0;
    long long number = strtoll (text, &end, 10);
    if (end == text || *end || errno == ERANGE || number < min || number > max) {
        if (max == INT64_MAX)
            snprintf (error, error_size, "%s = '%s': expected a whole number from %" PRId64 " up",
                      key, text, min);
        else
            snprintf (error, error_size, "%s = '%s': expected a whole number from %" PRId64 " to %" PRId64,
                      key, text, min, max);
        return -1;
    }
    *value = (int64_t) number;
    return 0;
}

const char *
config_path (config_t *self, const char *key, const char *fallback)
{
    assert (self);
    s_source_t source;
    const char *value = s_lookup (self, key, fallback, &source);
    if (!value || value [0] == '/')
        return value;
    //  Relative to the config file when the value came from it, else to the
    //  working directory, which is what a person typing a flag expects. We
    //  make that absolute now so a process that changes directory later
    //  still finds the same file.
    char *joined;
    if (source == S_FROM_FILE)
        joined = zsys_sprintf ("%s/%s", self->file_dir, value);
    else {
        char *cwd = getcwd (NULL, 0);
        joined = cwd? zsys_sprintf ("%s/%s", cwd, value): strdup (value);
        free (cwd);
    }
    //  Interned by content, never replaced: a string handed out earlier
    //  stays valid for the life of the config even if the setting changes.
    const char *kept = (const char *) zhash_lookup (self->interned, joined);
    if (!kept) {
        zhash_insert (self->interned, joined, joined);
        kept = (const char *) zhash_lookup (self->interned, joined);
    }
    free (joined);
    return kept;
}
