/*  rcmqctl keys: the CURVE identities of a deployment.

    A keys directory (transport.h) holds public/<name>.cert and, for the
    identities that live on this host, secret/<name>.cert_secret. A key
    file is a CREDENTIAL ONLY (ADR 21): no process admits a key because its
    file is there; the access registry of rcmq-audit decides, with two
    people for every grant (`rcmqctl access request` / `access approve`).
    `init` makes one key per process plus the demo admins `admin` and
    `admin2` (rcmq-audit enters these, once, at its first start); `add`
    only generates a person's key pair — its --role and --team are written
    into the certificate as a note for the access request that follows,
    and grant nothing; `list` shows what is there.

    Files are written to a .tmp name and renamed into place: a running
    server never loads half a certificate, and the secret is written before
    the public half so a key is never admitted before it can be used.
*/
#include "ctl.h"
#include "phi.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <sys/stat.h>

#include "transport.h"

//  The identities `keys init` makes: every process, and the two demo
//  administrators the registry's bootstrap enters (a real deployment makes
//  the admins' keys on their own machines: docs/access.md).
static const struct {
    const char *name;
    const char *role;
} s_deployment [] = {
    { "broker",  "service" },
    { "intake",  "service" },
    { "claims",  "service" },
    { "denials", "service" },
    { "inquiry", "service" },
    { "audit",   "service" },
    { "metrics", "service" },
    { "web",     "service" },
    { "admin",   "admin" },
    { "admin2",  "admin" },
};

//  DESIGN §4 roles; vendor roles must name the vendor's team.
static const struct {
    const char *role;
    bool vendor;
} s_roles [] = {
    { "admin",           false },
    { "compliance",      false },
    { "leader",          false },
    { "internal-lead",   false },
    { "internal-biller", false },
    { "vendor-lead",     true },
    { "vendor-agent",    true },
    { "service",         false },
};

static const output_column_t s_key_columns [] = {
    { "name",       OUTPUT_TEXT },
    { "role",       OUTPUT_TEXT },
    { "team",       OUTPUT_TEXT },
    { "status",     OUTPUT_TEXT },
    { "public_key", OUTPUT_TEXT },
    { NULL }
};

static const output_column_t s_list_columns [] = {
    { "name",       OUTPUT_TEXT },
    { "role",       OUTPUT_TEXT },
    { "team",       OUTPUT_TEXT },
    { "secret",     OUTPUT_BOOL },
    { "public_key", OUTPUT_TEXT },
    { NULL }
};

static bool
s_valid_name (const char *name)
{
    //  A name becomes a file name: no separators, no leading dot.
    size_t len = strlen (name);
    if (len == 0 || len > 63 || name [0] == '.' || name [0] == '-')
        return false;
    for (const char *p = name; *p; p++)
        if (!isalnum ((unsigned char) *p) && !strchr ("._-", *p))
            return false;
    return true;
}

static int
s_make_dir (const char *path, mode_t mode)
{
    if (mkdir (path, mode) && errno != EEXIST)
        return ctl_fail ("cannot create %s: %s", path, strerror (errno));
    struct stat st;
    if (stat (path, &st) || !S_ISDIR (st.st_mode))
        return ctl_fail ("%s exists and is not a directory", path);
    //  An existing secret/ left readable by others is tightened, not trusted.
    if ((st.st_mode & 07777) != mode && chmod (path, mode))
        return ctl_fail ("cannot set mode %o on %s: %s", (unsigned) mode, path, strerror (errno));
    return 0;
}

//  Makes DIR, DIR/public (0755) and DIR/secret (0700).
static int
s_make_layout (const char *dir)
{
    char path [PATH_MAX];
    //  DIR itself may be nested (var/keys): make its parents like mkdir -p.
    snprintf (path, sizeof path, "%s", dir);
    for (char *slash = strchr (path + 1, '/'); slash; slash = strchr (slash + 1, '/')) {
        *slash = 0;
        if (mkdir (path, 0755) && errno != EEXIST)
            return ctl_fail ("cannot create %s: %s", path, strerror (errno));
        *slash = '/';
    }
    if (s_make_dir (dir, 0755))
        return -1;
    snprintf (path, sizeof path, "%s/public", dir);
    if (s_make_dir (path, 0755))
        return -1;
    snprintf (path, sizeof path, "%s/secret", dir);
    return s_make_dir (path, 0700);
}

static int
s_save (zcert_t *cert, const char *path, bool secret)
{
    char temp [PATH_MAX];
    snprintf (temp, sizeof temp, "%s.tmp", path);
    int rc = secret? zcert_save_secret (cert, temp): zcert_save_public (cert, temp);
    if (rc == 0)
        rc = chmod (temp, secret? 0600: 0644);
    if (rc == 0)
        rc = rename (temp, path);
    if (rc) {
        ctl_fail ("cannot write %s: %s", path, strerror (errno));
        remove (temp);
    }
    return rc;
}

//  Makes or keeps one identity; sets *status to what it did.
static int
s_identity (const char *dir, const char *name, const char *role, const char *team,
            bool force, const char **status, char *public_key)
{
    char public_path [PATH_MAX], secret_path [PATH_MAX];
    snprintf (public_path, sizeof public_path, "%s/public/%s.cert", dir, name);
    snprintf (secret_path, sizeof secret_path, "%s/secret/%s.cert_secret", dir, name);
    bool have_public = zsys_file_exists (public_path);
    bool have_secret = zsys_file_exists (secret_path);

    if (!force && have_secret) {
        //  Keep it. A lost public half is made again from the secret.
        zcert_t *cert = zcert_load (secret_path);
        if (!cert)
            return ctl_fail ("%s is not a certificate (use --force to replace it)", secret_path);
        snprintf (public_key, 41, "%s", zcert_public_txt (cert));
        int rc = have_public? 0: s_save (cert, public_path, false);
        *status = have_public? "kept": "public restored";
        zcert_destroy (&cert);
        return rc;
    }
    if (!force && have_public) {
        //  Someone else holds this identity's secret (another host, a
        //  vendor): knowing its public key is all this deployment needs.
        char *key = transport_load_public_key (dir, name);
        snprintf (public_key, 41, "%s", key? key: "");
        free (key);
        *status = "kept (public only)";
        return 0;
    }
    zcert_t *cert = zcert_new ();
    zcert_set_meta (cert, "name", "%s", name);
    zcert_set_meta (cert, "role", "%s", role);
    zcert_set_meta (cert, "team", "%s", team);
    snprintf (public_key, 41, "%s", zcert_public_txt (cert));
    int rc = s_save (cert, secret_path, true);
    if (rc == 0)
        rc = s_save (cert, public_path, false);
    zcert_destroy (&cert);
    *status = have_public || have_secret? "rotated": "created";
    return rc;
}

static void
s_key_row (output_table_t *table, const char *name, const char *role, const char *team,
           const char *status, const char *key)
{
    output_table_row (table);
    output_table_cell (table, name);
    output_table_cell (table, role);
    output_table_cell (table, team);
    output_table_cell (table, status);
    output_table_cell (table, key);
}

//  Prints the table of what was made, as one JSON object with the folder
//  when --json, so a script gets both.
static void
s_print_keys (ctl_t *ctl, output_table_t *table, const char *dir)
{
    if (ctl_format (ctl) == OUTPUT_JSON) {
        json_t *result = json_object ();
        char *absolute = realpath (dir, NULL);
        json_object_set_new (result, "dir", json_string (absolute? absolute: dir));
        free (absolute);
        json_object_set_new (result, "keys", output_table_json (table));
        output_json (result, stdout);
    }
    else
        output_table_print (table, ctl_format (ctl), stdout);
}

static int
s_init (ctl_t *ctl, ctl_args_t *args)
{
    const char *dir = ctl_arg_count (args)? ctl_arg_operand (args, 0): ctl_keys_dir (ctl);
    if (s_make_layout (dir))
        return CTL_FAILED;
    bool force = ctl_arg_flag (args, "force");
    output_table_t *table = output_table_new (s_key_columns);
    int rc = CTL_OK;
    for (size_t i = 0; i < sizeof s_deployment / sizeof s_deployment [0]; i++) {
        const char *status = "failed";
        char key [41] = "";
        if (s_identity (dir, s_deployment [i].name, s_deployment [i].role, "internal",
                        force, &status, key))
            rc = CTL_FAILED;
        s_key_row (table, s_deployment [i].name, s_deployment [i].role, "internal", status, key);
    }
    //  The PHI key seals patient fields at rest. It is never rotated by
    //  --force: data sealed under it would become unreadable.
    char phi_path [PATH_MAX];
    snprintf (phi_path, sizeof phi_path, "%s/phi.key", dir);
    if (phi_key_generate (phi_path)) {
        ctl_fail ("keys init: cannot write the PHI key %s: %s", phi_path, strerror (errno));
        rc = CTL_FAILED;
    }
    s_print_keys (ctl, table, dir);
    output_table_destroy (&table);
    return rc;
}

static int
s_add (ctl_t *ctl, ctl_args_t *args)
{
    const char *name = ctl_arg_operand (args, 0);
    const char *role = ctl_arg_option (args, "role");
    const char *team = ctl_arg_option (args, "team");
    const char *dir = ctl_arg_option (args, "dir");
    if (!dir)
        dir = ctl_keys_dir (ctl);
    if (!s_valid_name (name)) {
        fprintf (stderr, "rcmqctl keys add: name '%s' must be 1-63 letters, digits, '.', '_' "
                 "or '-', not starting with '.' or '-'\n", name);
        return CTL_USAGE;
    }
    //  --role is a note for the access request, not a grant: optional,
    //  but a role it names must be one.
    size_t r = 0;
    for (; role && r < sizeof s_roles / sizeof s_roles [0]; r++)
        if (streq (s_roles [r].role, role))
            break;
    if (role && r == sizeof s_roles / sizeof s_roles [0]) {
        fprintf (stderr, "rcmqctl keys add: --role %s: expected one of admin, compliance, leader, "
                 "internal-lead, internal-biller, vendor-lead, vendor-agent, service\n",
                 role? role: "(missing)");
        return CTL_USAGE;
    }
    //  Vendor scope is decided by team, so a vendor role without its
    //  vendor's team would be a key that can see nothing, or worse.
    if (role && s_roles [r].vendor && (!team || streq (team, "internal"))) {
        fprintf (stderr, "rcmqctl keys add: role %s needs --team with the vendor's name\n", role);
        return CTL_USAGE;
    }
    if (!role)
        role = "";
    if (!team)
        team = "internal";
    if (!*team || strpbrk (team, "\"\n\r")) {
        fprintf (stderr, "rcmqctl keys add: --team '%s' is not a team name\n", team);
        return CTL_USAGE;
    }
    char path [PATH_MAX];
    snprintf (path, sizeof path, "%s/public/%s.cert", dir, name);
    bool force = ctl_arg_flag (args, "force");
    if (!force && zsys_file_exists (path))
        return ctl_fail ("keys add: %s exists (use --force to replace the key)", path);
    if (s_make_layout (dir))
        return CTL_FAILED;
    const char *status = "failed";
    char key [41] = "";
    int rc = s_identity (dir, name, role, team, force, &status, key)? CTL_FAILED: CTL_OK;
    output_table_t *table = output_table_new (s_key_columns);
    s_key_row (table, name, role, team, status, key);
    s_print_keys (ctl, table, dir);
    output_table_destroy (&table);
    //  The key opens nothing yet; say what does, on stderr so --json
    //  stays one document.
    if (rc == CTL_OK)
        fprintf (stderr, "rcmqctl keys add: %s's key grants nothing until the access registry holds it: "
                 "rcmqctl access request %s --role ROLE --team TEAM, then a second admin approves\n", name, name);
    return rc;
}

static int
s_compare_names (const void *a, const void *b)
{
    return strcmp (*(const char **) a, *(const char **) b);
}

static int
s_list (ctl_t *ctl, ctl_args_t *args)
{
    const char *dir = ctl_arg_option (args, "dir");
    if (!dir)
        dir = ctl_keys_dir (ctl);
    char public_dir [PATH_MAX];
    snprintf (public_dir, sizeof public_dir, "%s/public", dir);
    DIR *handle = opendir (public_dir);
    if (!handle)
        return ctl_fail ("cannot read %s: %s", public_dir, strerror (errno));
    zlistx_t *names = zlistx_new ();
    zlistx_set_destructor (names, (zlistx_destructor_fn *) zstr_free);
    struct dirent *entry;
    while ((entry = readdir (handle))) {
        size_t len = strlen (entry->d_name);
        if (len > 5 && streq (entry->d_name + len - 5, ".cert"))
            zlistx_add_end (names, strndup (entry->d_name, len - 5));
    }
    closedir (handle);
    size_t count = zlistx_size (names);
    const char **sorted = (const char **) zmalloc ((count + 1) * sizeof (char *));
    size_t at = 0;
    for (const char *name = (const char *) zlistx_first (names); name;
         name = (const char *) zlistx_next (names))
        sorted [at++] = name;
    qsort (sorted, count, sizeof (char *), s_compare_names);

    output_table_t *table = output_table_new (s_list_columns);
    int rc = CTL_OK;
    for (size_t i = 0; i < count; i++) {
        char path [PATH_MAX + 64];
        snprintf (path, sizeof path, "%s/%s.cert", public_dir, sorted [i]);
        zcert_t *cert = zcert_load (path);
        if (!cert) {
            ctl_fail ("%s is not a certificate", path);
            rc = CTL_FAILED;
            continue;
        }
        snprintf (path, sizeof path, "%s/secret/%s.cert_secret", dir, sorted [i]);
        output_table_row (table);
        const char *name = zcert_meta (cert, "name");
        output_table_cell (table, name && *name? name: sorted [i]);
        output_table_cell (table, zcert_meta (cert, "role"));
        output_table_cell (table, zcert_meta (cert, "team"));
        output_table_cell (table, zsys_file_exists (path)? "yes": "no");
        output_table_cell (table, zcert_public_txt (cert));
        zcert_destroy (&cert);
    }
    output_table_print (table, ctl_format (ctl), stdout);
    output_table_destroy (&table);
    free (sorted);
    zlistx_destroy (&names);
    return rc;
}

static const ctl_option_t s_init_options [] = {
    { "force", NULL, "replace existing keys with new ones (rotates every identity)" },
    { NULL }
};

static const ctl_option_t s_add_options [] = {
    { "role",  "ROLE", "a note in the certificate for the access request (grants nothing): admin, compliance, leader, internal-lead, internal-biller, vendor-lead, vendor-agent or service" },
    { "team",  "TEAM", "a note likewise: internal (the default) or the vendor's name; vendor roles need it" },
    { "dir",   "DIR",  "keys directory (default: --keys, keys/dir, var/keys)" },
    { "force", NULL,   "replace the identity's key if it exists" },
    { NULL }
};

static const ctl_option_t s_list_options [] = {
    { "dir", "DIR", "keys directory (default: --keys, keys/dir, var/keys)" },
    { NULL }
};

static const ctl_command_t s_commands [] = {
    { "init", "[DIR]", 0, 1, "create the keys of every process and of admin and admin2",
      "Creates DIR/public and DIR/secret (mode 0700) and a CURVE certificate for\n"
      "broker, intake, claims, denials, inquiry, audit, metrics, web and the two\n"
      "demo admins admin and admin2, which rcmq-audit enters in the access registry\n"
      "at its first start (and never again). Keys that exist are kept, so it\n"
      "is safe to run again (a lost public cert is restored from its secret);\n"
      "--force rotates them all (restart the processes afterwards). Files are\n"
      "written under a .tmp name and renamed, the secret before the public half,\n"
      "so a running server never loads half a certificate nor admits a key before\n"
      "its owner has it. Also makes DIR/phi.key, the key that seals patient fields\n"
      "at rest, which --force never rotates. DIR defaults to --keys, then keys/dir\n"
      "from the config, then var/keys.",
      s_init_options, s_init },
    { "add", "NAME", 1, 1, "generate a person's key pair (grants nothing)",
      "Creates DIR/public/NAME.cert and DIR/secret/NAME.cert_secret: a credential\n"
      "only. The key opens nothing until the access registry holds it: an admin\n"
      "runs `rcmqctl access request NAME --role R --team T [--key PUBFILE]` and a\n"
      "second admin `rcmqctl access approve ID`. --role and --team, when given,\n"
      "are written into the certificate as a note for that request; vendor roles\n"
      "must name their vendor's team. Hand the secret file to its owner and\n"
      "delete it here; a leaver is revoked with `rcmqctl access revoke`.",
      s_add_options, s_add },
    { "list", NULL, 0, 0, "list the identities the deployment knows",
      "Lists DIR/public/*.cert with role, team, public key and whether this host\n"
      "holds the secret half.",
      s_list_options, s_list },
    { NULL }
};

const ctl_group_t cmd_keys = {
    "keys", "Creates and lists the CURVE identities of a deployment.", s_commands
};
