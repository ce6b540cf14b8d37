/*  test_access: the role -> permission table (DESIGN §4). Each role is
    checked for what it must be allowed and, as much, for what it must not:
    a policy that allowed everything would pass half of these, so the
    denials matter more than the grants.
*/
#include "suites.h"
#include "access.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

//  A role, then permissions it holds, then permissions it must not hold.
typedef struct {
    const char *role;
    const char *allowed [16];
    const char *denied [16];
} s_case_t;

static const s_case_t s_cases [] = {
    { "admin",
      { "claims.read", "claims.write", "claims.submit", "audit.read", "access.grant",
        "access.approve", "keys.admin", "health.read", "anything.at_all", "deadletter.write",
        "deadletter.read", NULL },
      { NULL } },
    { "compliance",
      { "audit.read", "audit.export", "claims.read", "denials.read", "inquiry.read",
        "health.read", "metrics.read", "deadletter.read", "contacts.read", NULL },
      { "claims.write", "claims.work", "claims.submit", "denials.work", "intake.submit",
        "access.grant", "queue.write", "deadletter.write", NULL } },
    { "leader",
      { "metrics.read", "metrics.export", "claims.read", "queue.read", "health.read",
        "deadletter.read", "contacts.read", NULL },
      { "claims.write", "claims.work", "audit.export", "access.grant", "intake.submit",
        "deadletter.write", "queue.grid", NULL } },
    { "internal-lead",
      { "intake.submit", "intake.read", "queue.write", "queue.phase", "queue.grid", "contacts.read",
        "claims.work", "claims.submit", "denials.assign", "inquiry.reply", "metrics.read", "health.read",
        NULL },
      { "audit.read", "access.grant", "metrics.export", "broker.read", "deadletter.write", NULL } },
    { "internal-biller",
      { "intake.submit", "intake.read", "queue.read", "claims.read", "claims.work",
        "denials.work", "inquiry.read", "health.read", "contacts.read", NULL },
      { "queue.write", "queue.phase", "queue.grid", "intake.configure", "audit.read", "metrics.read",
        "access.grant", NULL } },
    { "vendor-lead",
      { "queue.read", "queue.grid", "contacts.read", "claims.read", "claims.work", "claims.assign",
        "denials.assign", "inquiry.work", "metrics.read", "health.read", NULL },
      { "queue.write", "queue.phase", "intake.submit", "audit.read", "access.grant",
        "metrics.export", "deadletter.write", "deadletter.read", NULL } },
    { "vendor-agent",
      { "claims.read", "claims.work", "denials.read", "denials.work", "inquiry.read",
        "inquiry.work", "health.read", "contacts.read", NULL },
      { "claims.submit", "claims.write", "claims.assign", "audit.read", "queue.read",
        "queue.phase", "queue.grid", "metrics.read", "intake.submit", "access.grant",
        "denials.assign", "deadletter.write", NULL } },
    //  claims.correct: denials asks claims for a corrected claim or a void
    //  (claims.RequestCorrection); a service reads and works nothing else.
    { "service",
      { "health.read", "broker.read", "claims.correct", NULL },
      { "claims.read", "claims.work", "claims.submit", "audit.read", "metrics.read", "broker.write", "health.write",
        "access.grant", "deadletter.write", "deadletter.read", NULL } },
};

START_TEST (test_role_table)
{
    for (size_t i = 0; i < sizeof s_cases / sizeof s_cases [0]; i++) {
        const s_case_t *c = &s_cases [i];
        ck_assert_msg (access_role_known (c->role), "role %s unknown", c->role);
        for (size_t j = 0; c->allowed [j]; j++)
            ck_assert_msg (access_allows (c->role, c->allowed [j]),
                           "%s should hold %s", c->role, c->allowed [j]);
        for (size_t j = 0; c->denied [j]; j++)
            ck_assert_msg (!access_allows (c->role, c->denied [j]),
                           "%s must not hold %s", c->role, c->denied [j]);
    }
}
END_TEST

START_TEST (test_unknown_role)
{
    const char *roles [] = { "", "root", "Admin", "admin ", "vendor", "vendor-agent2", NULL };
    for (size_t i = 0; roles [i]; i++) {
        ck_assert_msg (!access_role_known (roles [i]), "'%s' known", roles [i]);
        ck_assert_msg (!access_allows (roles [i], "health.read"), "'%s' holds health.read", roles [i]);
        ck_assert_msg (!access_allows (roles [i], "claims.read"), "'%s' holds claims.read", roles [i]);
    }
    ck_assert (!access_role_known (NULL));
    ck_assert (!access_allows (NULL, "health.read"));
    ck_assert (!access_allows ("admin", NULL));
    ck_assert (!access_role_is_vendor (NULL));
    ck_assert (!access_role_is_vendor ("nobody"));
}
END_TEST

START_TEST (test_star_read)
{
    //  "*.read" matches any area's read verb, and only that verb: not a
    //  longer verb that starts with "read", nor "read" without an area.
    ck_assert (access_allows ("compliance", "anything.read"));
    ck_assert (access_allows ("leader", "denials.read"));
    ck_assert (!access_allows ("compliance", "claims.readwrite"));
    ck_assert (!access_allows ("compliance", "claims.reader"));
    ck_assert (!access_allows ("compliance", "claims.unread"));
    ck_assert (!access_allows ("compliance", "read"));
    ck_assert (!access_allows ("compliance", ".readx"));
    ck_assert (!access_allows ("leader", "claimsread"));
    //  A trailing "area.*" covers that area only, not a longer area name.
    ck_assert (access_allows ("compliance", "audit.anything"));
    ck_assert (!access_allows ("compliance", "auditor.write"));
    ck_assert (!access_allows ("vendor-lead", "claimsx.work"));
    ck_assert (!access_allows ("internal-lead", "queues.write"));
}
END_TEST

START_TEST (test_vendor_roles)
{
    ck_assert (access_role_is_vendor ("vendor-lead"));
    ck_assert (access_role_is_vendor ("vendor-agent"));
    const char *internal [] = { "admin", "compliance", "leader", "internal-lead",
                                "internal-biller", "service", NULL };
    for (size_t i = 0; internal [i]; i++)
        ck_assert_msg (!access_role_is_vendor (internal [i]), "%s is vendor", internal [i]);
}
END_TEST

//  The one scope rule: (role, team) x (queue phase, vendor team).
START_TEST (test_scope_rule)
{
    static const struct {
        const char *role, *team, *phase, *vendor_team;
        bool in_scope;
    } cases [] = {
        { "vendor-agent",    "acme", "vendor",   "acme", true },
        { "vendor-lead",     "acme", "pilot",    "acme", true },
        { "vendor-agent",    "acme", "internal", "acme", false },    //  not handed over yet
        { "vendor-agent",    "acme", "vendor",   "zeta", false },    //  another vendor's
        { "vendor-lead",     "acme", "pilot",    "",     false },
        { "vendor-agent",    "acme", NULL,       NULL,   false },    //  unknown item: closed
        { "vendor-agent",    "",     "vendor",   "",     false },    //  no team matches nothing
        { "vendor-agent",    "acme", "",         "acme", false },
        { "admin",           "internal", "internal", "",  true },
        { "internal-biller", "internal", "vendor", "acme", true },
        { "leader",          "internal", NULL,   NULL,   true },
        { "compliance",      "internal", "pilot", "zeta", true },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases [0]; i++) {
        identity_t caller;
        memset (&caller, 0, sizeof caller);
        snprintf (caller.role, sizeof caller.role, "%s", cases [i].role);
        snprintf (caller.team, sizeof caller.team, "%s", cases [i].team);
        ck_assert_msg (access_in_scope (&caller, cases [i].phase, cases [i].vendor_team) == cases [i].in_scope,
                       "%s of %s on a %s queue of vendor %s: expected %s", cases [i].role, cases [i].team,
                       cases [i].phase? cases [i].phase: "(unknown)", cases [i].vendor_team? cases [i].vendor_team: "",
                       cases [i].in_scope? "in scope": "out of scope");
        bool vendor = access_role_is_vendor (cases [i].role);
        const char *team = access_scope_team (&caller);
        ck_assert (vendor? team && strcmp (team, cases [i].team) == 0: team == NULL);
    }
    ck_assert (!access_in_scope (NULL, "vendor", "acme"));
}
END_TEST

//  PHI and access administration are permissions of their own (issue 14,
//  docs/access.md): unmasking, export and bulk reads are not implied by
//  reading, and only admins approve or run reviews.
static const s_case_t s_phi_cases [] = {
    { "admin",
      { "phi.read", "phi.unmask", "phi.export", "phi.bulk", "access.request", "access.approve",
        "access.revoke", "access.review", NULL },
      { NULL } },
    { "compliance",
      { "phi.read", "phi.export", NULL },
      { "phi.unmask", "phi.bulk", "access.approve", "access.request", "access.review", NULL } },
    { "leader",
      { NULL },
      //  "*.read" reads figures, not patients: no phi.read.
      { "phi.read", "phi.unmask", "phi.export", "phi.bulk", "access.request", "access.approve", NULL } },
    { "internal-lead",
      { "phi.read", "phi.bulk", "access.request", "access.revoke", "access.confirm", NULL },
      { "phi.unmask", "phi.export", "access.approve", "access.review", NULL } },
    { "internal-biller",
      { "phi.read", NULL },
      { "phi.unmask", "phi.export", "phi.bulk", "access.request", "access.revoke", "access.confirm",
        "access.approve", NULL } },
    { "vendor-lead",
      { "phi.read", "access.confirm", NULL },
      { "phi.unmask", "phi.export", "phi.bulk", "access.request", "access.revoke", "access.approve",
        "access.review", NULL } },
    { "vendor-agent",
      { "phi.read", NULL },
      { "phi.unmask", "phi.export", "phi.bulk", "access.request", "access.confirm", "access.approve",
        NULL } },
    { "service",
      { NULL },
      { "phi.read", "phi.unmask", "phi.export", "phi.bulk", "access.request", "access.approve", NULL } },
};

START_TEST (test_phi_and_access_permissions)
{
    for (size_t i = 0; i < sizeof s_phi_cases / sizeof s_phi_cases [0]; i++) {
        const s_case_t *c = &s_phi_cases [i];
        for (size_t j = 0; c->allowed [j]; j++)
            ck_assert_msg (access_allows (c->role, c->allowed [j]),
                           "%s should hold %s", c->role, c->allowed [j]);
        for (size_t j = 0; c->denied [j]; j++)
            ck_assert_msg (!access_allows (c->role, c->denied [j]),
                           "%s must not hold %s", c->role, c->denied [j]);
    }
}
END_TEST

Suite *
access_suite (void)
{
    Suite *suite = suite_create ("access");
    TCase *tc = tcase_create ("core");
    tcase_add_test (tc, test_role_table);
    tcase_add_test (tc, test_unknown_role);
    tcase_add_test (tc, test_star_read);
    tcase_add_test (tc, test_vendor_roles);
    tcase_add_test (tc, test_phi_and_access_permissions);
    tcase_add_test (tc, test_scope_rule);
    suite_add_tcase (suite, tc);
    return suite;
}
