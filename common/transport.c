/*  transport: see transport.h. The ZAP handler follows RFC 27: a REP socket
    on inproc://zeromq.zap.01 in the process's one context, answering each
    request with 200 (and the key as User-Id) or 400.
*/
#include "transport.h"
#include "log.h"

#define ZAP_ENDPOINT       "inproc://zeromq.zap.01"
#define ZMQ_ZAP_ENFORCE_DOMAIN_OPTION 93     //  draft option in libzmq 4.3

static void
s_zap_reply (zsock_t *handler, const char *request_id, const char *code,
             const char *text, const char *user_id)
{
    zmsg_t *reply = zmsg_new ();
    zmsg_addstr (reply, "1.0");
    zmsg_addstr (reply, request_id);
    zmsg_addstr (reply, code);
    zmsg_addstr (reply, text);
    zmsg_addstr (reply, user_id);
    zmsg_addmem (reply, NULL, 0);           //  no extra metadata
    zmsg_send (&reply, handler);
}

typedef struct {
    transport_admit_fn *admit;
    void *arg;
    void (*destroy_arg) (void **arg_p);
} s_zap_t;

static void
s_zap_handle (zsock_t *handler, s_zap_t *zap)
{
    zmsg_t *request = zmsg_recv (handler);
    if (!request)
        return;
    char *version = zmsg_popstr (request);
    char *request_id = zmsg_popstr (request);
    char *domain = zmsg_popstr (request);
    char *address = zmsg_popstr (request);
    char *routing_id = zmsg_popstr (request);
    char *mechanism = zmsg_popstr (request);
    zframe_t *credential = zmsg_pop (request);

    char key [41] = "";
    char why [256];
    const char *refusal = NULL;
    if (!version || !streq (version, "1.0"))
        refusal = "unsupported ZAP version";
    else
    if (!mechanism || !streq (mechanism, "CURVE"))
        refusal = "only CURVE is accepted";
    else
    if (!domain || (!streq (domain, TRANSPORT_ZAP_DOMAIN) && !streq (domain, TRANSPORT_ZAP_DOMAIN_EVENTS)))
        refusal = "unknown ZAP domain";
    else
    if (!credential || zframe_size (credential) != 32)
        refusal = "malformed CURVE credential";
    else {
        zmq_z85_encode (key, zframe_data (credential), 32);
        if (zap->admit (zap->arg, domain, key, why, sizeof why))
            refusal = why;
    }
    if (refusal) {
        log_warn ("connection refused", "reason", json_string (refusal),
                  "address", json_string (address? address: ""),
                  "key", json_string (key), NULL);
        s_zap_reply (handler, request_id? request_id: "", "400", refusal, "");
    }
    else
        s_zap_reply (handler, request_id, "200", "OK", key);

    free (version);
    free (request_id);
    free (domain);
    free (address);
    free (routing_id);
    free (mechanism);
    zframe_destroy (&credential);
    zmsg_destroy (&request);
}

static void
s_zap_actor (zsock_t *pipe, void *args)
{
    s_zap_t *zap = (s_zap_t *) args;
    zsock_t *handler = zsock_new_rep ("@" ZAP_ENDPOINT);
    assert (handler);       //  a second handler in one process is a bug
    zsock_signal (pipe, 0);
    zpoller_t *poller = zpoller_new (pipe, handler, NULL);
    while (true) {
        void *which = zpoller_wait (poller, -1);
        if (which == pipe)
            break;          //  $TERM, or anything else: we only stop
        if (which == handler)
            s_zap_handle (handler, zap);
        else
        if (zpoller_terminated (poller))
            break;
    }
    zpoller_destroy (&poller);
    zsock_destroy (&handler);
    if (zap->destroy_arg)
        zap->destroy_arg (&zap->arg);
    free (zap);
}

zactor_t *
transport_zap_new (transport_admit_fn *admit, void *arg, void (*destroy_arg) (void **arg_p))
{
    assert (admit);
    s_zap_t *zap = (s_zap_t *) zmalloc (sizeof (s_zap_t));
    zap->admit = admit;
    zap->arg = arg;
    zap->destroy_arg = destroy_arg;
    return zactor_new (s_zap_actor, zap);
}

void
transport_curve_server (zsock_t *sock, zcert_t *cert)
{
    transport_curve_server_domain (sock, cert, TRANSPORT_ZAP_DOMAIN);
}

void
transport_curve_server_domain (zsock_t *sock, zcert_t *cert, const char *domain)
{
    zcert_apply (cert, sock);
    zsock_set_curve_server (sock, 1);
    zsock_set_zap_domain (sock, domain);
    //  Where libzmq has it, refuse clients outright if no ZAP handler runs.
    int enforce = 1;
    zmq_setsockopt (zsock_resolve (sock), ZMQ_ZAP_ENFORCE_DOMAIN_OPTION, &enforce, sizeof enforce);
}

void
transport_curve_client (zsock_t *sock, zcert_t *cert, const char *server_key)
{
    zcert_apply (cert, sock);
    zsock_set_curve_serverkey (sock, server_key);
}

zcert_t *
transport_load_secret (const char *keys_dir, const char *name)
{
    char path [PATH_MAX];
    snprintf (path, sizeof path, "%s/secret/%s.cert_secret", keys_dir, name);
    if (!zsys_file_exists (path))
        return NULL;
    //  zcert_load prefers the _secret file when given the base name.
    snprintf (path, sizeof path, "%s/secret/%s.cert", keys_dir, name);
    return zcert_load (path);
}

char *
transport_load_public_key (const char *keys_dir, const char *name)
{
    char path [PATH_MAX];
    snprintf (path, sizeof path, "%s/public/%s.cert", keys_dir, name);
    zcert_t *cert = zcert_load (path);
    if (!cert)
        return NULL;
    char *key = strdup (zcert_public_txt (cert));
    zcert_destroy (&cert);
    return key;
}

const char *
transport_peer_key (zframe_t *frame)
{
    return zframe_meta (frame, "User-Id");
}
