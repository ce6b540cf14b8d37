/*  rcmqctl web: the dashboard's users (docs/dashboard.md, ADR 27).

        web passwd USER [--password-file FILE]   password from FILE, else stdin
        web link USER                            a one-time sign-in URL (5 minutes)

    Both send USER's secret CURVE key (keys/secret/USER.cert_secret, so they
    run on the host that made USER's key) to rcmq-web, which keeps it only
    sealed under the password or the link's token: the dashboard then acts
    with USER's own key, as rcmqctl --as USER does.
*/
#include "ctl.h"
#include "pbjson.h"
#include "transport.h"
#include "web.pb-c.h"

#include <sodium.h>

#define WEB_PASSWORD_MAX 1024

//  USER's secret certificate; NULL with the reason printed.
static zcert_t *
s_user_cert (ctl_t *ctl, const char *command, const char *user)
{
    zcert_t *cert = transport_load_secret (ctl_keys_dir (ctl), user);
    if (!cert)
        ctl_fail ("web %s: no secret key %s/secret/%s.cert_secret: the dashboard acts with %s's own "
                  "key, so run this where %s's key was made (rcmqctl keys add %s --role ROLE)",
                  command, ctl_keys_dir (ctl), user, user, user, user);
    return cert;
}

//  The password: the first line of FILE, or of stdin. Its end of line is
//  not part of it. CTL_OK, or CTL_FAILED with the reason printed.
static int
s_read_password (const char *path, char *password, size_t size)
{
    FILE *file = path? fopen (path, "r"): stdin;
    if (!file)
        return ctl_fail ("web passwd: --password-file %s: %s", path, strerror (errno));
    bool got = fgets (password, (int) size, file) != NULL;
    if (path)
        fclose (file);
    if (!got)
        return ctl_fail ("web passwd: no password on %s", path? path: "stdin");
    size_t length = strcspn (password, "\r\n");
    if (password [length] == 0 && length == size - 1)
        return ctl_fail ("web passwd: the password is longer than %d characters", WEB_PASSWORD_MAX);
    password [length] = 0;
    return CTL_OK;
}

static int
s_passwd (ctl_t *ctl, ctl_args_t *args)
{
    const char *user = ctl_arg_operand (args, 0);
    zcert_t *cert = s_user_cert (ctl, "passwd", user);
    if (!cert)
        return CTL_FAILED;
    char *password = (char *) sodium_malloc (WEB_PASSWORD_MAX + 2);
    int rc = s_read_password (ctl_arg_option (args, "password-file"), password, WEB_PASSWORD_MAX + 2);
    if (rc == CTL_OK) {
        WebPasswdRequest request = WEB_PASSWD_REQUEST__INIT;
        request.user = (char *) user;
        request.password = password;
        request.secret_key = (ProtobufCBinaryData) { 32, (uint8_t *) zcert_secret_key (cert) };
        WebPasswdReply *reply;
        rc = ctl_call (ctl, "web", "web.Passwd", &request, &web_passwd_reply__descriptor, (void **) &reply);
        if (rc == CTL_OK && ctl_format (ctl) == OUTPUT_JSON)
            output_json (pbjson_message (&reply->base), stdout);
        else
        if (rc == CTL_OK)
            output_printf (stdout, "password set for %s\n", reply->user);
        codec_free (reply);
    }
    sodium_free (password);
    zcert_destroy (&cert);
    return rc;
}

static int
s_link (ctl_t *ctl, ctl_args_t *args)
{
    const char *user = ctl_arg_operand (args, 0);
    zcert_t *cert = s_user_cert (ctl, "link", user);
    if (!cert)
        return CTL_FAILED;
    WebLinkRequest request = WEB_LINK_REQUEST__INIT;
    request.user = (char *) user;
    request.secret_key = (ProtobufCBinaryData) { 32, (uint8_t *) zcert_secret_key (cert) };
    WebLinkReply *reply;
    int rc = ctl_call (ctl, "web", "web.Link", &request, &web_link_reply__descriptor, (void **) &reply);
    if (rc == CTL_OK && ctl_format (ctl) == OUTPUT_JSON) {
        json_t *json = json_object ();
        json_object_set_new (json, "url", json_string (reply->url));
        output_json (json, stdout);
    }
    else
    if (rc == CTL_OK)
        printf ("%s\n", reply->url);
    codec_free (reply);
    zcert_destroy (&cert);
    return rc;
}

static const ctl_option_t s_passwd_options [] = {
    { "password-file", "FILE", "read the password from the first line of FILE (default: stdin)" },
    { NULL }
};

static const ctl_command_t s_commands [] = {
    { "passwd", "USER", 1, 1, "set USER's dashboard password",
      "Sets USER's password for the dashboard (rcmq-web): the password is the first\n"
      "line of --password-file FILE, else of stdin, at least 10 characters. Sends\n"
      "USER's secret key (keys/secret/USER.cert_secret) with it; rcmq-web keeps the\n"
      "key only sealed under the password (Argon2id), and acts with it for USER's\n"
      "sessions (docs/dashboard.md). Failures and lockout are cleared. Needs web.admin.",
      s_passwd_options, s_passwd },
    { "link", "USER", 1, 1, "print a one-time sign-in URL for USER (5 minutes)",
      "Prints a URL that signs USER in to the dashboard once, within 5 minutes, and\n"
      "opens the Overview (--json: {\"url\": ...}). Only the URL goes to stdout.\n"
      "Sends USER's secret key (keys/secret/USER.cert_secret), sealed by rcmq-web\n"
      "under the link's token. Needs web.admin.",
      NULL, s_link },
    { NULL }
};

const ctl_group_t cmd_web = {
    "web", "The dashboard's users: passwords and one-time sign-in links.", s_commands
};
