/*  test_web: rcmq-web's core (services/web): sign-in, sessions, links,
    CSRF, cookies and lockout (auth.c) over a real LMDB store in a temp
    dir; the URL filters (filters.c); the escapes (html.c); and the SVG
    charts' edge cases (svg.c). The password cost is libsodium's minimum so
    the suite runs in seconds; the rules do not depend on it.
*/
#include "suites.h"
#include "auth.h"
#include "filters.h"
#include "html.h"
#include "svg.h"
#include "web.pb-c.h"
#include "codec.h"
#include "kpitext.h"

#include <czmq.h>
#include <math.h>
#include <sodium.h>

static const char *s_tables [] = { WEB_TABLES, NULL };

typedef struct {
    store_t *store;
    char *dir;
    auth_policy_t policy;
    zcert_t *cert;              //  the user's key pair
    uint64_t now;
} s_fixture_t;

static s_fixture_t *
s_setup (void)
{
    ck_assert_int_ge (sodium_init (), 0);
    s_fixture_t *fx = (s_fixture_t *) zmalloc (sizeof *fx);
    fx->dir = test_tmpdir ("web");
    char error [512] = "";
    fx->store = store_new (fx->dir, s_tables, error, sizeof error);
    ck_assert_msg (fx->store != NULL, "store_new: %s", error);
    auth_policy_default (&fx->policy);
    fx->policy.opslimit = crypto_pwhash_OPSLIMIT_MIN;
    fx->policy.memlimit = crypto_pwhash_MEMLIMIT_MIN;
    fx->cert = zcert_new ();
    fx->now = 1790000000000ULL;
    return fx;
}

static void
s_teardown (s_fixture_t **fx_p)
{
    s_fixture_t *fx = *fx_p;
    zcert_destroy (&fx->cert);
    store_destroy (&fx->store);
    test_rmtree (fx->dir);
    free (fx->dir);
    free (fx);
    *fx_p = NULL;
}

//  One auth call in a write transaction, as rcmq-web makes it.
typedef enum { S_PASSWD, S_SIGNIN, S_LINK_NEW, S_LINK, S_OPEN, S_CLOSE } s_kind_t;

typedef struct {
    s_fixture_t *fx;
    s_kind_t kind;
    const char *user;
    const char *password;
    const char *token;
    const uint8_t *secret;          //  S_PASSWD / S_LINK_NEW: default the fixture's
    int rc;
    auth_outcome_t outcome;
    bool locked_now;
    auth_session_t session;
    char link [AUTH_TOKEN_TEXT];
    uint64_t expires;
} s_op_t;

static int
s_op_txn (store_t *store, MDB_txn *txn, void *arg)
{
    s_op_t *op = (s_op_t *) arg;
    s_fixture_t *fx = op->fx;
    const uint8_t *secret = op->secret? op->secret: zcert_secret_key (fx->cert);
    switch (op->kind) {
        case S_PASSWD:
            op->rc = auth_passwd (store, txn, &fx->policy, op->user, zcert_public_txt (fx->cert), secret,
                                  op->password, fx->now);
            break;
        case S_SIGNIN:
            op->rc = auth_signin_password (store, txn, &fx->policy, op->user, op->password, fx->now,
                                           &op->outcome, &op->locked_now, &op->session);
            break;
        case S_LINK_NEW:
            op->rc = auth_link_new (store, txn, &fx->policy, op->user, zcert_public_txt (fx->cert), secret,
                                    fx->now, op->link, &op->expires);
            break;
        case S_LINK:
            op->rc = auth_signin_link (store, txn, &fx->policy, op->token, fx->now, &op->outcome, &op->session);
            break;
        case S_OPEN:
            op->rc = auth_session_open (store, txn, &fx->policy, op->token, fx->now, &op->outcome, &op->session);
            break;
        case S_CLOSE:
            op->rc = auth_session_close (store, txn, op->token);
            break;
    }
    //  A refused passwd writes nothing; the rest commit their outcome.
    return op->rc < -1? 0: op->rc;
}

static void
s_run (s_op_t *op)
{
    ck_assert_int_eq (store_write (op->fx->store, s_op_txn, op), 0);
}

static void
s_passwd (s_fixture_t *fx, const char *user, const char *password)
{
    s_op_t op = { .fx = fx, .kind = S_PASSWD, .user = user, .password = password };
    s_run (&op);
    ck_assert_int_eq (op.rc, 0);
}

//  Signs in; returns the outcome, the session in *session (clear it).
static auth_outcome_t
s_signin (s_fixture_t *fx, const char *user, const char *password, auth_session_t *session, bool *locked_now)
{
    s_op_t op = { .fx = fx, .kind = S_SIGNIN, .user = user, .password = password };
    s_run (&op);
    ck_assert_int_eq (op.rc, 0);
    if (locked_now)
        *locked_now = op.locked_now;
    if (session)
        *session = op.session;
    else
        auth_session_clear (&op.session);
    return op.outcome;
}

static auth_outcome_t
s_open (s_fixture_t *fx, const char *token, auth_session_t *session)
{
    s_op_t op = { .fx = fx, .kind = S_OPEN, .token = token };
    s_run (&op);
    ck_assert_int_eq (op.rc, 0);
    if (session)
        *session = op.session;
    else
        auth_session_clear (&op.session);
    return op.outcome;
}

//  True when any value of table holds needle's bytes.
static bool
s_table_holds (s_fixture_t *fx, const char *table, const void *needle, size_t size)
{
    MDB_txn *txn = store_read_begin (fx->store);
    store_iter_t *iter = store_iter_new (fx->store, txn, table, NULL, 0);
    MDB_val key, value;
    bool found = false;
    while (!found && store_iter_next (iter, &key, &value))
        found = memmem (value.mv_data, value.mv_size, needle, size) != NULL
             || memmem (key.mv_data, key.mv_size, needle, size) != NULL;
    store_iter_destroy (&iter);
    store_read_end (&txn);
    return found;
}

START_TEST (test_password_seals_the_key)
{
    s_fixture_t *fx = s_setup ();
    s_passwd (fx, "leader", "correct horse battery");
    //  The store never holds the secret key nor the password in the clear.
    ck_assert (!s_table_holds (fx, "users", zcert_secret_key (fx->cert), 32));
    ck_assert (!s_table_holds (fx, "users", "correct horse battery", 21));

    ck_assert_int_eq (s_signin (fx, "leader", "wrong horse battery", NULL, NULL), AUTH_BAD);
    ck_assert_int_eq (s_signin (fx, "nobody", "correct horse battery", NULL, NULL), AUTH_BAD);
    ck_assert_int_eq (s_signin (fx, "", "correct horse battery", NULL, NULL), AUTH_BAD);
    auth_session_t session;
    ck_assert_int_eq (s_signin (fx, "leader", "correct horse battery", &session, NULL), AUTH_OK);
    ck_assert_str_eq (session.user, "leader");
    ck_assert_str_eq (session.public_key, zcert_public_txt (fx->cert));
    ck_assert_ptr_nonnull (session.secret_key);
    ck_assert_mem_eq (session.secret_key, zcert_secret_key (fx->cert), 32);
    ck_assert_uint_eq (strlen (session.token), 64);
    //  Nor does it hold the session's token: only its hash.
    ck_assert (!s_table_holds (fx, "sessions", session.token, 64));
    ck_assert (!s_table_holds (fx, "sessions", zcert_secret_key (fx->cert), 32));
    auth_session_clear (&session);
    ck_assert_ptr_null (session.secret_key);
    ck_assert_str_eq (session.token, "");
    s_teardown (&fx);
}
END_TEST

START_TEST (test_passwd_refusals)
{
    s_fixture_t *fx = s_setup ();
    s_op_t op = { .fx = fx, .kind = S_PASSWD, .user = "leader", .password = "short" };
    s_run (&op);
    ck_assert_int_eq (op.rc, -2);
    //  Another person's secret key under this identity's public key.
    zcert_t *other = zcert_new ();
    s_op_t wrong = { .fx = fx, .kind = S_PASSWD, .user = "leader", .password = "long enough password",
                     .secret = zcert_secret_key (other) };
    s_run (&wrong);
    ck_assert_int_eq (wrong.rc, -3);
    s_op_t link = { .fx = fx, .kind = S_LINK_NEW, .user = "leader", .secret = zcert_secret_key (other) };
    s_run (&link);
    ck_assert_int_eq (link.rc, -3);
    zcert_destroy (&other);
    MDB_txn *txn = store_read_begin (fx->store);
    ck_assert_uint_eq (store_count (fx->store, txn, "users"), 0);
    ck_assert_uint_eq (store_count (fx->store, txn, "links"), 0);
    store_read_end (&txn);
    ck_assert (auth_key_matches (zcert_secret_key (fx->cert), zcert_public_txt (fx->cert)));
    ck_assert (!auth_key_matches (zcert_secret_key (fx->cert), "not a key"));
    s_teardown (&fx);
}
END_TEST

START_TEST (test_session_forged_idle_and_absolute_end)
{
    s_fixture_t *fx = s_setup ();
    s_passwd (fx, "leader", "correct horse battery");
    auth_session_t session;
    ck_assert_int_eq (s_signin (fx, "leader", "correct horse battery", &session, NULL), AUTH_OK);
    char token [AUTH_TOKEN_TEXT];
    snprintf (token, sizeof token, "%s", session.token);
    auth_session_clear (&session);

    auth_session_t opened;
    ck_assert_int_eq (s_open (fx, token, &opened), AUTH_OK);
    ck_assert_mem_eq (opened.secret_key, zcert_secret_key (fx->cert), 32);
    ck_assert_str_eq (opened.token, token);
    auth_session_clear (&opened);

    //  Forged: a well-formed token of our own, one digit off, not hex, empty.
    char forged [AUTH_TOKEN_TEXT];
    snprintf (forged, sizeof forged, "%s", token);
    forged [10] = forged [10] == 'a'? 'b': 'a';
    ck_assert_int_eq (s_open (fx, forged, NULL), AUTH_BAD);
    ck_assert_int_eq (s_open (fx, "zz", NULL), AUTH_BAD);
    ck_assert_int_eq (s_open (fx, "", NULL), AUTH_BAD);
    ck_assert_int_eq (s_open (fx, NULL, NULL), AUTH_BAD);

    //  Used within the idle time, it lives on; left idle, it ends and is gone.
    fx->now += fx->policy.idle_ms - 1;
    ck_assert_int_eq (s_open (fx, token, NULL), AUTH_OK);
    fx->now += fx->policy.idle_ms;
    ck_assert_int_eq (s_open (fx, token, NULL), AUTH_EXPIRED);
    ck_assert_int_eq (s_open (fx, token, NULL), AUTH_BAD);

    //  A use within one step of the recorded one is not written (each
    //  page view was an fsync'd commit): the idle end counts from the
    //  recorded use. A use a step later is written and moves the end.
    uint64_t step = auth_last_use_step (fx->policy.idle_ms);
    ck_assert_uint_gt (step, 1);
    ck_assert_uint_le (step, AUTH_LAST_USE_STEP_MS);
    ck_assert_int_eq (s_signin (fx, "leader", "correct horse battery", &session, NULL), AUTH_OK);
    snprintf (token, sizeof token, "%s", session.token);
    auth_session_clear (&session);
    uint64_t signed_in = fx->now;
    fx->now = signed_in + step - 1;
    ck_assert_int_eq (s_open (fx, token, NULL), AUTH_OK);
    fx->now = signed_in + fx->policy.idle_ms;
    ck_assert_int_eq (s_open (fx, token, NULL), AUTH_EXPIRED);
    ck_assert_int_eq (s_signin (fx, "leader", "correct horse battery", &session, NULL), AUTH_OK);
    snprintf (token, sizeof token, "%s", session.token);
    auth_session_clear (&session);
    signed_in = fx->now;
    fx->now = signed_in + step;
    ck_assert_int_eq (s_open (fx, token, NULL), AUTH_OK);
    fx->now = signed_in + step + fx->policy.idle_ms - 1;
    ck_assert_int_eq (s_open (fx, token, NULL), AUTH_OK);

    //  Used all the time, it still ends at the absolute end.
    ck_assert_int_eq (s_signin (fx, "leader", "correct horse battery", &session, NULL), AUTH_OK);
    snprintf (token, sizeof token, "%s", session.token);
    auth_session_clear (&session);
    uint64_t end = fx->now + fx->policy.session_ms;
    while (fx->now + fx->policy.idle_ms / 2 < end) {
        fx->now += fx->policy.idle_ms / 2;
        ck_assert_int_eq (s_open (fx, token, NULL), AUTH_OK);
    }
    fx->now = end;
    ck_assert_int_eq (s_open (fx, token, NULL), AUTH_EXPIRED);

    //  Signed out: the token opens nothing.
    fx->now += 1000;
    ck_assert_int_eq (s_signin (fx, "leader", "correct horse battery", &session, NULL), AUTH_OK);
    snprintf (token, sizeof token, "%s", session.token);
    auth_session_clear (&session);
    s_op_t close = { .fx = fx, .kind = S_CLOSE, .token = token };
    s_run (&close);
    ck_assert_int_eq (close.rc, 0);
    ck_assert_int_eq (s_open (fx, token, NULL), AUTH_BAD);
    s_teardown (&fx);
}
END_TEST

START_TEST (test_link_works_once_and_expires)
{
    s_fixture_t *fx = s_setup ();
    s_op_t make = { .fx = fx, .kind = S_LINK_NEW, .user = "leader" };
    s_run (&make);
    ck_assert_int_eq (make.rc, 0);
    ck_assert_uint_eq (make.expires, fx->now + 5 * 60000ULL);
    ck_assert (!s_table_holds (fx, "links", make.link, 64));
    ck_assert (!s_table_holds (fx, "links", zcert_secret_key (fx->cert), 32));

    s_op_t use = { .fx = fx, .kind = S_LINK, .token = make.link };
    s_run (&use);
    ck_assert_int_eq (use.outcome, AUTH_OK);
    ck_assert_str_eq (use.session.user, "leader");
    ck_assert_mem_eq (use.session.secret_key, zcert_secret_key (fx->cert), 32);
    //  The session is a new token, not the link's.
    ck_assert_str_ne (use.session.token, make.link);
    ck_assert_int_eq (s_open (fx, use.session.token, NULL), AUTH_OK);
    auth_session_clear (&use.session);

    s_op_t replay = { .fx = fx, .kind = S_LINK, .token = make.link };
    s_run (&replay);
    ck_assert_int_eq (replay.outcome, AUTH_BAD);
    ck_assert_ptr_null (replay.session.secret_key);

    s_op_t late = { .fx = fx, .kind = S_LINK_NEW, .user = "leader" };
    s_run (&late);
    fx->now += fx->policy.link_ms;
    s_op_t expired = { .fx = fx, .kind = S_LINK, .token = late.link };
    s_run (&expired);
    ck_assert_int_eq (expired.outcome, AUTH_EXPIRED);
    MDB_txn *txn = store_read_begin (fx->store);
    ck_assert_uint_eq (store_count (fx->store, txn, "links"), 0);
    store_read_end (&txn);
    s_teardown (&fx);
}
END_TEST

START_TEST (test_lockout_after_failures)
{
    s_fixture_t *fx = s_setup ();
    s_passwd (fx, "leader", "correct horse battery");
    bool locked_now;
    //  A success clears the count: four failures, a success, four more do not lock.
    for (int i = 0; i < 4; i++) {
        ck_assert_int_eq (s_signin (fx, "leader", "guess", NULL, &locked_now), AUTH_BAD);
        ck_assert (!locked_now);
    }
    ck_assert_int_eq (s_signin (fx, "leader", "correct horse battery", NULL, NULL), AUTH_OK);
    for (int i = 0; i < 4; i++)
        ck_assert_int_eq (s_signin (fx, "leader", "guess", NULL, &locked_now), AUTH_BAD);
    ck_assert (!locked_now);
    //  The fifth in a row locks.
    ck_assert_int_eq (s_signin (fx, "leader", "guess", NULL, &locked_now), AUTH_BAD);
    ck_assert (locked_now);
    //  Locked: even the right password is refused, until the time passes.
    ck_assert_int_eq (s_signin (fx, "leader", "correct horse battery", NULL, NULL), AUTH_LOCKED);
    fx->now += fx->policy.lockout_ms - 1;
    ck_assert_int_eq (s_signin (fx, "leader", "correct horse battery", NULL, NULL), AUTH_LOCKED);
    fx->now += 1;
    ck_assert_int_eq (s_signin (fx, "leader", "correct horse battery", NULL, NULL), AUTH_OK);
    //  A new password (web passwd) also clears a lockout.
    for (int i = 0; i < 5; i++)
        s_signin (fx, "leader", "guess", NULL, NULL);
    ck_assert_int_eq (s_signin (fx, "leader", "correct horse battery", NULL, NULL), AUTH_LOCKED);
    s_passwd (fx, "leader", "another long password");
    ck_assert_int_eq (s_signin (fx, "leader", "another long password", NULL, NULL), AUTH_OK);
    s_teardown (&fx);
}
END_TEST

START_TEST (test_csrf_and_cookie)
{
    ck_assert_int_ge (sodium_init (), 0);
    const char *token = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
    const char *other = "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100";
    char csrf [AUTH_TOKEN_TEXT], csrf_other [AUTH_TOKEN_TEXT];
    auth_csrf (token, csrf);
    auth_csrf (other, csrf_other);
    ck_assert_uint_eq (strlen (csrf), 64);
    ck_assert_str_ne (csrf, token);             //  not the cookie itself
    ck_assert (auth_csrf_check (token, csrf));
    ck_assert (!auth_csrf_check (token, csrf_other));
    ck_assert (!auth_csrf_check (token, NULL));
    ck_assert (!auth_csrf_check (token, ""));
    char shortened [AUTH_TOKEN_TEXT];
    snprintf (shortened, 64, "%s", csrf);
    ck_assert (!auth_csrf_check (token, shortened));
    ck_assert (!auth_csrf_check ("", csrf));
    ck_assert (!auth_csrf_check (NULL, csrf));
    auth_csrf ("not a token", csrf);
    ck_assert_str_eq (csrf, "");

    char cookie [256];
    auth_cookie (token, false, cookie, sizeof cookie);
    ck_assert_ptr_nonnull (strstr (cookie, "rcmq_session=00112233"));
    ck_assert_ptr_nonnull (strstr (cookie, "; HttpOnly"));
    ck_assert_ptr_nonnull (strstr (cookie, "; SameSite=Strict"));
    ck_assert_ptr_nonnull (strstr (cookie, "; Path=/"));
    ck_assert_ptr_null (strstr (cookie, "Secure;"));
    ck_assert_ptr_null (strstr (cookie, "; Secure"));
    ck_assert_ptr_null (strstr (cookie, "Max-Age"));
    auth_cookie (token, true, cookie, sizeof cookie);
    ck_assert_ptr_nonnull (strstr (cookie, "; Secure"));
    ck_assert_ptr_nonnull (strstr (cookie, "; HttpOnly"));
    auth_cookie (NULL, false, cookie, sizeof cookie);
    ck_assert_ptr_nonnull (strstr (cookie, "rcmq_session=;"));
    ck_assert_ptr_nonnull (strstr (cookie, "Max-Age=0"));
}
END_TEST

//  --------------------------------------------------------------------------
//  Filters

typedef struct {
    const char *pairs [24];         //  name, value, ..., NULL
} s_query_t;

static const char *
s_get (void *arg, const char *name)
{
    s_query_t *query = (s_query_t *) arg;
    for (size_t i = 0; query->pairs [i]; i += 2)
        if (streq (query->pairs [i], name))
            return query->pairs [i + 1];
    return NULL;
}

START_TEST (test_filters_parse_and_query)
{
    s_query_t query = { { "payer", "BCBS 01", "location", "LOC-2", "service_line", "lab.x", "queue", "q_1",
                          "team", "acme", "payer_group", "", "from", "2026-08-01", "to", "2026-10-31",
                          "as_of", "2026-11-02", "window", "30", NULL } };
    filters_t filters;
    char error [256] = "";
    ck_assert_int_eq (filters_parse (&filters, s_get, &query, error, sizeof error), 0);
    ck_assert_str_eq (filters.payer, "BCBS 01");
    ck_assert_str_eq (filters.payer_group, "");
    ck_assert_str_eq (filters.team, "acme");
    ck_assert_str_eq (filters.as_of, "2026-11-02");
    ck_assert_uint_eq (filters.window, 30);
    html_t *out = html_new ();
    filters_query (&filters, out);
    ck_assert_str_eq (html_data (out), "payer=BCBS%2001&location=LOC-2&service_line=lab.x&queue=q_1&team=acme"
                                       "&from=2026-08-01&to=2026-10-31&as_of=2026-11-02&window=30");
    MetricsFilters request;
    MetricsPeriod period;
    filters_request (&filters, &request, &period);
    ck_assert_str_eq (request.payer_id, "BCBS 01");
    ck_assert_str_eq (request.owner_team, "acme");
    ck_assert_str_eq (period.from, "2026-08-01");
    ck_assert_uint_eq (period.window_days, 30);

    //  None set: an empty query, every request field "".
    s_query_t none = { { NULL } };
    ck_assert_int_eq (filters_parse (&filters, s_get, &none, error, sizeof error), 0);
    html_destroy (&out);
    out = html_new ();
    filters_query (&filters, out);
    ck_assert_str_eq (html_data (out), "");
    html_destroy (&out);
}
END_TEST

START_TEST (test_filters_refused)
{
    static const struct {
        const char *name;
        const char *value;
    } s_bad [] = {
        { "window", "0" }, { "window", "3661" }, { "window", "12a" }, { "window", "-1" },
        { "window", "99999999999" }, { "window", " 5" },
        { "from", "2026-13-01" }, { "to", "20261101" }, { "as_of", "2026-11-2" }, { "from", "2026-11-02x" },
        { "payer", "<script>" }, { "queue", "a&b=c" }, { "team", "x\"y" },
        { "location", "0123456789012345678901234567890123456789012345678901234567890123" },
    };
    for (size_t i = 0; i < sizeof s_bad / sizeof s_bad [0]; i++) {
        s_query_t query = { { s_bad [i].name, s_bad [i].value, NULL } };
        filters_t filters;
        char error [256] = "";
        ck_assert_msg (filters_parse (&filters, s_get, &query, error, sizeof error) == -1,
                       "%s=%s taken", s_bad [i].name, s_bad [i].value);
        //  The error names the parameter.
        ck_assert_msg (strncmp (error, s_bad [i].name, strlen (s_bad [i].name)) == 0, "error '%s'", error);
    }
    //  63 characters is the most an id takes.
    s_query_t longest = { { "location", "012345678901234567890123456789012345678901234567890123456789012", NULL } };
    filters_t filters;
    char error [256];
    ck_assert_int_eq (filters_parse (&filters, s_get, &longest, error, sizeof error), 0);
}
END_TEST

//  --------------------------------------------------------------------------
//  Escapes and charts

START_TEST (test_html_escapes)
{
    html_t *out = html_new ();
    html_text (out, "<a href=\"x\">'&'</a>");
    ck_assert_str_eq (html_data (out), "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
    html_destroy (&out);
    out = html_new ();
    html_csv (out, "=HYPERLINK(\"x\")");
    html_printf (out, "|");
    html_csv (out, "a,b");
    html_printf (out, "|");
    html_csv (out, "plain");
    html_printf (out, "|");
    html_csv (out, "-5");
    ck_assert_str_eq (html_data (out), "\"'=HYPERLINK(\"\"x\"\")\"|\"a,b\"|plain|\"'-5\"");
    html_destroy (&out);
    out = html_new ();
    html_url (out, "a b&c=d/é");
    ck_assert_str_eq (html_data (out), "a%20b%26c%3Dd%2F%C3%A9");
    html_destroy (&out);
    //  An attribute's value is data: escaped, a quote in it closes nothing.
    out = html_new ();
    html_printf (out, "<tr");
    html_attr (out, "data-payer", "P\"1&<x>");
    html_attr (out, "data-team", NULL);
    html_printf (out, ">");
    ck_assert_str_eq (html_data (out), "<tr data-payer=\"P&quot;1&amp;&lt;x&gt;\" data-team=\"\">");
    html_destroy (&out);
    char cents [32];
    html_cents (cents, sizeof cents, -5);
    ck_assert_str_eq (cents, "-0.05");
    html_cents (cents, sizeof cents, 123456);
    ck_assert_str_eq (cents, "1234.56");
}
END_TEST

//  Every number after each " y=\"" in svg, checked within [0, height].
static void
s_assert_inside (const char *svg, const char *attribute, double low, double high)
{
    char needle [16];
    snprintf (needle, sizeof needle, " %s=\"", attribute);
    for (const char *at = strstr (svg, needle); at; at = strstr (at + 1, needle)) {
        double value = atof (at + strlen (needle));
        ck_assert_msg (value >= low && value <= high, "%s=%f outside [%f, %f] in %s", attribute, value, low, high, svg);
    }
}

static size_t
s_count (const char *text, const char *needle)
{
    size_t count = 0;
    for (const char *at = strstr (text, needle); at; at = strstr (at + 1, needle))
        count++;
    return count;
}

START_TEST (test_svg_sparkline_edges)
{
    html_t *out = html_new ();
    svg_sparkline (out, NULL, NULL, 0, 100, 30, "empty");
    ck_assert_ptr_nonnull (strstr (html_data (out), "no data"));
    ck_assert_ptr_null (strstr (html_data (out), "<path"));
    html_destroy (&out);

    //  Every point missing is no data too.
    double gaps [] = { NAN, NAN };
    bool absent [] = { false, false };
    out = html_new ();
    svg_sparkline (out, gaps, absent, 2, 100, 30, "gaps");
    ck_assert_ptr_nonnull (strstr (html_data (out), "no data"));
    html_destroy (&out);

    double one [] = { 42 };
    bool present [] = { true, true, true, true, true };
    out = html_new ();
    svg_sparkline (out, one, present, 1, 100, 30, "one");
    ck_assert_ptr_nonnull (strstr (html_data (out), "d=\"M50.0 15.0 \""));
    ck_assert_ptr_nonnull (strstr (html_data (out), "<circle cx=\"50.0\" cy=\"15.0\""));
    html_destroy (&out);

    double negative [] = { -5, -20, 3, -1, -7 };
    out = html_new ();
    svg_sparkline (out, negative, present, 5, 100, 30, "negative");
    const char *svg = html_data (out);
    ck_assert_ptr_null (strstr (svg, "nan"));
    //  The highest point (3) is at the top pad, the lowest (-20) at the bottom.
    ck_assert_ptr_nonnull (strstr (svg, "L50.0 2.0 "));
    ck_assert_ptr_nonnull (strstr (svg, "L26.0 28.0 "));
    ck_assert_uint_eq (s_count (svg, "M"), 1);
    html_destroy (&out);

    //  A gap starts a new run; a flat series is a middle line.
    double flat [] = { 7, 7, NAN, 7 };
    bool with_gap [] = { true, true, false, true };
    out = html_new ();
    svg_sparkline (out, flat, with_gap, 4, 100, 30, "flat <&>");
    svg = html_data (out);
    ck_assert_uint_eq (s_count (svg, "M"), 2);
    ck_assert_uint_eq (s_count (svg, " 15.0 "), 3);
    ck_assert_ptr_nonnull (strstr (svg, "aria-label=\"flat &lt;&amp;&gt;\""));
    html_destroy (&out);
}
END_TEST

START_TEST (test_svg_bars_edges)
{
    static const char *const series [] = { "a", "b" };
    html_t *out = html_new ();
    svg_stacked_bars (out, NULL, 0, series, 2, 400, 200, "none");
    ck_assert_ptr_nonnull (strstr (html_data (out), "no data"));
    ck_assert_ptr_null (strstr (html_data (out), "<rect"));
    html_destroy (&out);

    //  A credit balance (negative) goes below the zero line; every
    //  mark stays inside the picture; labels and links are escaped.
    int64_t values [] = { 1000, 500, -300, 0, 0, 0 };
    svg_bar_t bars [] = {
        { "P<1>", "/drill?kpi=ar_cents&payer=P1", values, "ACME <HP>" },
        { "P2", NULL, values + 2, NULL },
        { "zero", NULL, values + 4, "" },
    };
    out = html_new ();
    svg_stacked_bars (out, bars, 3, series, 2, 400, 200, "aging");
    const char *svg = html_data (out);
    s_assert_inside (svg, "y", 0, 200);
    s_assert_inside (svg, "x", 0, 400);
    ck_assert_ptr_nonnull (strstr (svg, "href=\"/drill?kpi=ar_cents&amp;payer=P1\""));
    ck_assert_ptr_nonnull (strstr (svg, "P&lt;1&gt;"));
    ck_assert_ptr_null (strstr (svg, "P<1>"));
    ck_assert_uint_eq (s_count (svg, "<a class=\"bar\""), 1);
    ck_assert_ptr_nonnull (strstr (svg, "P2 a: $-3.00"));
    //  A payer's name beside its id, escaped, under the bar and in its
    //  marks' titles; a bar without a name has no name line.
    ck_assert_ptr_nonnull (strstr (svg, "P&lt;1&gt; ACME &lt;HP&gt; a: $10.00"));
    ck_assert_ptr_nonnull (strstr (svg, "font-size=\"9\">ACME &lt;HP&gt;</text>"));
    ck_assert_uint_eq (s_count (svg, "class=\"name\""), 1);
    //  The zero line sits below the positive stack and above the negative bar.
    const char *line = strstr (svg, "<line ");
    ck_assert_ptr_nonnull (line);
    double zero = atof (strstr (line, "y1=\"") + 4);
    const char *negative = strstr (svg, "data-label=\"P2\"");
    ck_assert_ptr_nonnull (negative);
    double negative_y = atof (strstr (negative, " y=\"") + 4);
    ck_assert_msg (negative_y >= zero - 0.05, "negative bar at %f above zero line %f", negative_y, zero);
    const char *positive = strstr (svg, "<rect ");
    double positive_y = atof (strstr (positive, " y=\"") + 4);
    ck_assert_msg (positive_y < zero, "positive bar at %f not above zero line %f", positive_y, zero);
    //  Two segments for P1, one for P2, none for the zero bar (legend: 2 more).
    ck_assert_uint_eq (s_count (svg, "<rect "), 3 + 2);
    html_destroy (&out);
}
END_TEST

START_TEST (test_svg_bars_legend_wraps)
{
    //  Nine series (the denial categories) in a narrow chart: the legend
    //  wraps into rows inside the picture, and no two series share a colour.
    static const char *const series [] = { "a", "b", "c", "d", "e", "f", "g", "h", "timely_filing" };
    int64_t values [9] = { 1, 2, 3, 4, 5, 6, 7, 8, 9 };
    svg_bar_t bar = { "P1", NULL, values, NULL };
    html_t *out = html_new ();
    svg_stacked_bars (out, &bar, 1, series, 9, 400, 200, "nine");
    const char *svg = html_data (out);
    //  Two swatches a row at 400 wide: five rows, four more than one.
    ck_assert_ptr_nonnull (strstr (svg, "height=\"264\" viewBox=\"0 0 400 264\""));
    s_assert_inside (svg, "y", 0, 264);
    s_assert_inside (svg, "x", 0, 400);
    ck_assert_ptr_nonnull (strstr (svg, ">timely_filing</text>"));
    zhash_t *fills = zhash_new ();
    for (const char *at = strstr (svg, "<rect "); at; at = strstr (at + 1, "<rect ")) {
        const char *fill = strstr (at, "fill=\"");
        char colour [16];
        snprintf (colour, sizeof colour, "%.7s", fill + 6);
        zhash_insert (fills, colour, (void *) 1);
    }
    ck_assert_uint_eq (zhash_size (fills), 9);
    zhash_destroy (&fills);
    html_destroy (&out);
}
END_TEST

//  One statement of a figure's text and JSON for rcmqctl and the pages
//  (common/kpitext): each unit, the sign of money, and "not available".
START_TEST (test_kpitext_units)
{
    static const struct {
        const char *unit;
        bool available;
        double value;
        int64_t amount;
        const char *text;
        const char *json;
    } cases [] = {
        { "ratio", true,  0.12345, 0,        "12.35%",      "0.12345" },
        { "days",  true,  41.25,   0,        "41.2",        "41.25" },
        { "cents", true,  0,       -5,       "-$0.05",      "-5" },
        { "cents", true,  0,       123456,   "$1234.56",    "123456" },
        { "count", true,  0,       42,       "42",          "42" },
        { "ratio", false, 0,       0,        "n/a",         "null" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases [0]; i++) {
        KpiValue value = KPI_VALUE__INIT;
        value.name = "k";
        value.unit = (char *) cases [i].unit;
        value.available = cases [i].available;
        value.value = cases [i].value;
        value.amount = cases [i].amount;
        char text [64];
        kpitext_value (&value, text, sizeof text);
        ck_assert_str_eq (text, cases [i].text);
        json_t *json = kpitext_json (&value);
        char *dumped = json_dumps (json, JSON_ENCODE_ANY | JSON_REAL_PRECISION (10));
        ck_assert_str_eq (dumped, cases [i].json);
        free (dumped);
        json_decref (json);
    }
    char cents [32];
    kpitext_cents (cents, sizeof cents, INT64_MIN);
    ck_assert_str_eq (cents, "-92233720368547758.08");
}
END_TEST

Suite *
web_suite (void)
{
    Suite *suite = suite_create ("web");
    TCase *tc = tcase_create ("auth");
    tcase_set_timeout (tc, 60);
    tcase_add_test (tc, test_password_seals_the_key);
    tcase_add_test (tc, test_passwd_refusals);
    tcase_add_test (tc, test_session_forged_idle_and_absolute_end);
    tcase_add_test (tc, test_link_works_once_and_expires);
    tcase_add_test (tc, test_lockout_after_failures);
    tcase_add_test (tc, test_csrf_and_cookie);
    suite_add_tcase (suite, tc);
    TCase *pages = tcase_create ("pages");
    tcase_add_test (pages, test_filters_parse_and_query);
    tcase_add_test (pages, test_filters_refused);
    tcase_add_test (pages, test_html_escapes);
    tcase_add_test (pages, test_svg_sparkline_edges);
    tcase_add_test (pages, test_svg_bars_edges);
    tcase_add_test (pages, test_svg_bars_legend_wraps);
    tcase_add_test (pages, test_kpitext_units);
    suite_add_tcase (suite, pages);
    return suite;
}
