/*  ctl: the context rcmqctl commands share; see ctl.h.

    The configuration is loaded before a command runs (main.c) and our
    certificate the first time a command asks for it, so commands that
    need no certificate (keys init DIR, --help) work on a machine with no
    deployment.
*/
#include "ctl.h"

#include <errno.h>

#include "transport.h"

struct _ctl_t {
    char *config_flag;          //  --config
    char *keys_flag;            //  --keys
    char *as_flag;              //  --as
    int timeout_ms;             //  --timeout, or -1
    output_format_t format;
    config_t *config;
    bool config_loaded;
    zcert_t *cert;
};

const ctl_option_t ctl_global_options [] = {
    { "config",  "FILE", "config file (default: $RCMQ_CONFIG, else ./var/rcmq.conf if present)" },
    { "keys",    "DIR",  "keys directory (default: keys/dir from the config, else var/keys)" },
    { "as",      "NAME", "act as this identity: keys/secret/NAME.cert_secret (default: client/name, else admin)" },
    { "json",    NULL,   "print JSON instead of a table" },
    { "csv",     NULL,   "print CSV instead of a table" },
    { "timeout", "MS",   "per-request timeout in milliseconds" },
    { "help",    NULL,   "show help for the command" },
    { NULL }
};

#define CTL_LOCAL_CONFIG "var/rcmq.conf"

ctl_t *
ctl_new (void)
{
    ctl_t *self = (ctl_t *) zmalloc (sizeof (ctl_t));
    self->timeout_ms = -1;
    self->format = OUTPUT_TABLE;
    return self;
}

void
ctl_destroy (ctl_t **self_p)
{
    assert (self_p);
    ctl_t *self = *self_p;
    if (!self)
        return;
    zstr_free (&self->config_flag);
    zstr_free (&self->keys_flag);
    zstr_free (&self->as_flag);
    config_destroy (&self->config);
    zcert_destroy (&self->cert);
    free (self);
    *self_p = NULL;
}

int
ctl_set_global (ctl_t *self, const char *name, const char *value)
{
    if (streq (name, "config")) {
        zstr_free (&self->config_flag);
        self->config_flag = strdup (value);
    }
    else
    if (streq (name, "keys")) {
        zstr_free (&self->keys_flag);
        self->keys_flag = strdup (value);
    }
    else
    if (streq (name, "as")) {
        zstr_free (&self->as_flag);
        self->as_flag = strdup (value);
    }
    else
    if (streq (name, "json"))
        self->format = OUTPUT_JSON;
    else
    if (streq (name, "csv"))
        self->format = OUTPUT_CSV;
    else
    if (streq (name, "timeout")) {
        uint64_t ms;
        if (ctl_parse_uint ("--timeout", value, 1, 3600000, &ms))
            return -1;
        self->timeout_ms = (int) ms;
    }
    return 0;
}

config_t *
ctl_config (ctl_t *self)
{
    if (self->config_loaded)
        return self->config;
    self->config_loaded = true;
    self->config = config_new ();
    //  --config beats RCMQ_CONFIG beats ./var/rcmq.conf; a file named
    //  explicitly must exist, the local one is only used when it does.
    const char *path = self->config_flag;
    const char *source = "--config";
    if (!path && getenv ("RCMQ_CONFIG") && *getenv ("RCMQ_CONFIG")) {
        path = getenv ("RCMQ_CONFIG");
        source = "RCMQ_CONFIG";
    }
    if (!path && zsys_file_exists (CTL_LOCAL_CONFIG)) {
        path = CTL_LOCAL_CONFIG;
        source = "the working directory";
    }
    if (path && config_load (self->config, path)) {
        fprintf (stderr, "rcmqctl: %s (named by %s)\n", config_error (self->config), source);
        config_destroy (&self->config);
        return NULL;
    }
    //  Flags beat environment and file, so they go in as overrides.
    if (self->keys_flag)
        config_set (self->config, "keys/dir", self->keys_flag);
    if (self->as_flag)
        config_set (self->config, "client/name", self->as_flag);
    return self->config;
}

const char *
ctl_keys_dir (ctl_t *self)
{
    if (self->keys_flag)
        return self->keys_flag;
    config_t *config = ctl_config (self);
    return config? config_path (config, "keys/dir", NULL): config_default ("keys/dir");
}

const char *
ctl_client_name (ctl_t *self)
{
    if (self->as_flag)
        return self->as_flag;
    config_t *config = ctl_config (self);
    return config? config_get (config, "client/name", "admin"): "admin";
}

const char *
ctl_endpoint (ctl_t *self, const char *name)
{
    //  Unset everywhere, config_get gives the built-in default that every
    //  process uses, so rcmqctl and a config-less deployment agree.
    char key [128];
    snprintf (key, sizeof key, "%s/api", name);
    config_t *config = ctl_config (self);
    return config? config_get (config, key, NULL): config_default (key);
}

int
ctl_timeout (ctl_t *self, int fallback)
{
    return self->timeout_ms > 0? self->timeout_ms: fallback;
}

output_format_t
ctl_format (ctl_t *self)
{
    return self->format;
}

zcert_t *
ctl_client_cert (ctl_t *self)
{
    if (self->cert)
        return self->cert;
    const char *dir = ctl_keys_dir (self);
    const char *name = ctl_client_name (self);
    self->cert = transport_load_secret (dir, name);
    config_t *config = ctl_config (self);
    if (!self->cert && config && config_file (config))
        ctl_fail ("no client certificate %s/secret/%s.cert_secret (config %s; make one with "
                  "`rcmqctl keys add %s --role ROLE`, or pick another with --as NAME)",
                  dir, name, config_file (config), name);
    else
    if (!self->cert)
        ctl_fail ("no client certificate %s/secret/%s.cert_secret and no config file "
                  "(run scripts/run from the repository, or pass --config FILE / set "
                  "RCMQ_CONFIG, or --keys DIR)", dir, name);
    return self->cert;
}

client_t *
ctl_client_new (ctl_t *self, const char *name, char *error, size_t error_size)
{
    const char *endpoint = ctl_endpoint (self, name);
    if (!endpoint) {
        snprintf (error, error_size, "no endpoint for %s (set %s/api in the config)", name, name);
        return NULL;
    }
    const char *dir = ctl_keys_dir (self);
    char *server_key = transport_load_public_key (dir, name);
    if (!server_key) {
        snprintf (error, error_size, "no public key %s/public/%s.cert, needed to reach %s",
                  dir, name, endpoint);
        return NULL;
    }
    zcert_t *cert = ctl_client_cert (self);
    if (!cert) {
        snprintf (error, error_size, "no client certificate %s/secret/%s.cert_secret",
                  dir, ctl_client_name (self));
        free (server_key);
        return NULL;
    }
    client_t *client = client_new (endpoint, server_key, cert);
    free (server_key);
    if (!client)
        snprintf (error, error_size, "cannot connect to %s", endpoint);
    return client;
}

int
ctl_fail (const char *format, ...)
{
    va_list args;
    va_start (args, format);
    fputs ("rcmqctl: ", stderr);
    vfprintf (stderr, format, args);
    fputc ('\n', stderr);
    va_end (args);
    return CTL_FAILED;
}

int
ctl_call (ctl_t *ctl, const char *name, const char *method, const void *body,
          const ProtobufCMessageDescriptor *reply_type, void **reply_body)
{
    return ctl_call_timeout (ctl, name, method, body, reply_type, reply_body,
                             ctl_timeout (ctl, CTL_TIMEOUT_MS));
}

int
ctl_call_timeout (ctl_t *ctl, const char *name, const char *method, const void *body,
                  const ProtobufCMessageDescriptor *reply_type, void **reply_body, int timeout_ms)
{
    if (reply_body)
        *reply_body = NULL;
    char error [1024];
    client_t *client = ctl_client_new (ctl, name, error, sizeof error);
    if (!client)
        return ctl_fail ("%s", error);
    client_set_timeout (client, ctl_timeout (ctl, timeout_ms));
    int rc = ctl_client_call (client, name, method, body, reply_type, reply_body);
    client_destroy (&client);
    return rc;
}

int
ctl_client_call (client_t *client, const char *name, const char *method, const void *body,
                 const ProtobufCMessageDescriptor *reply_type, void **reply_body)
{
    if (reply_body)
        *reply_body = NULL;
    Reply *reply = client_call (client, method, body);
    if (!reply)
        return ctl_fail ("%s", client_error (client));
    int rc = CTL_OK;
    if (reply->status != STATUS__OK)
        rc = ctl_fail ("%s: %s", codec_status_name (reply->status), reply->message);
    else
    if (reply_type && reply_body) {
        *reply_body = codec_decode (reply_type, reply->body.data, reply->body.len);
        if (!*reply_body)
            rc = ctl_fail ("%s: the reply of %s is not a valid %s", method, name, reply_type->name);
    }
    codec_free (reply);
    return rc;
}

zchunk_t *
ctl_read_file (const char *command, const char *path)
{
    zchunk_t *content = NULL;
    FILE *file = fopen (path, "rb");
    if (file) {
        content = zchunk_read (file, (size_t) zsys_file_size (path));
        fclose (file);
    }
    if (!content)
        ctl_fail ("%s: cannot read %s: %s", command, path, strerror (errno));
    return content;
}
