/*  access: the role → permission policy as a table. Reading it top to
    bottom is reading the policy: admins administer, compliance reads the
    audit trail and everything it needs to check, leaders read figures,
    internal staff work every queue, vendor staff work (scoped) queues,
    services only talk to each other (and denials asks claims for a
    corrected claim or a void: claims.correct, claims.RequestCorrection).
    Below it, the one scope rule.

    PHI and access administration are permissions of their own
    (docs/access.md): phi.read (see a patient's fields, in the form
    common/mask.c's table gives the role), phi.unmask (the full form where
    the table masks), phi.export and phi.bulk; access.request /
    access.revoke / access.confirm for leads (common/registry.c narrows
    them to their own team), access.approve and access.review for admins
    (through "*"). PHI permissions are granted by name (or by admin's
    "*"), never by an area pattern: "*.read" reads every area's records,
    not patients, so a leader, who reads figures, holds no phi.read and the
    answer to "who may view patient data" is the roles naming phi.read.

    denials.approve approves a write-off above the limit (docs/denials.md):
    leaders hold it by name, internal leads through denials.*; rcmq-denials
    also checks the approver's role, since billers and vendor leads hold
    denials.* too.

    queue.grid changes a queue's responsibility grid and contacts
    (docs/work-items.md): admins, internal leads (queue.*) and vendor
    leads, whom intake's queue_grid.c narrows to who gets new items of
    their own team's work and the vendor side's contacts. contacts.read
    (whom to call about a queue) is every working role's, agents' too,
    who do not read queue set-up (queue.read); compliance and leaders
    have it through "*.read".
*/
#include "access.h"

#include <string.h>

typedef struct {
    const char *role;
    bool vendor;
    const char *permissions [16];       //  NULL-terminated patterns
} s_role_t;

static const s_role_t s_roles [] = {
    { "admin",           false, { "*", NULL } },
    { "compliance",      false, { "health.read", "audit.*", "*.read", "phi.read", "phi.export", NULL } },
    { "leader",          false, { "health.read", "metrics.*", "*.read", "denials.approve", NULL } },
    { "internal-lead",   false, { "health.read", "intake.*", "queue.*", "contacts.read", "claims.*",
                                  "denials.*", "inquiry.*", "work.*", "metrics.read", "phi.read", "phi.bulk",
                                  "access.request", "access.revoke", "access.confirm", NULL } },
    { "internal-biller", false, { "health.read", "intake.submit", "intake.read", "queue.read",
                                  "contacts.read", "claims.*", "denials.*", "inquiry.*", "work.*", "phi.read",
                                  NULL } },
    { "vendor-lead",     true,  { "health.read", "queue.read", "queue.grid", "contacts.read", "intake.read",
                                  "claims.*", "denials.*", "inquiry.*", "work.*", "metrics.read", "phi.read",
                                  "access.confirm", NULL } },
    { "vendor-agent",    true,  { "health.read", "intake.read", "contacts.read", "claims.read", "claims.work",
                                  "denials.read", "denials.work", "inquiry.read", "inquiry.work", "work.read",
                                  "work.work", "phi.read", NULL } },
    { "service",         false, { "health.read", "broker.read", "claims.correct", NULL } },
};

static const s_role_t *
s_role (const char *role)
{
    for (size_t i = 0; role && i < sizeof s_roles / sizeof s_roles [0]; i++)
        if (strcmp (s_roles [i].role, role) == 0)
            return &s_roles [i];
    return NULL;
}

static bool
s_matches (const char *pattern, const char *permission)
{
    size_t len = strlen (pattern);
    if (len && pattern [len - 1] == '*')
        return strncmp (pattern, permission, len - 1) == 0;
    if (pattern [0] == '*' && pattern [1] == '.') {
        //  "*.read": any area but PHI's, this verb
        const char *dot = strchr (permission, '.');
        return dot && strcmp (dot, pattern + 1) == 0 && strncmp (permission, "phi.", 4) != 0;
    }
    return strcmp (pattern, permission) == 0;
}

bool
access_allows (const char *role, const char *permission)
{
    const s_role_t *entry = s_role (role);
    if (!entry || !permission)
        return false;
    for (size_t i = 0; entry->permissions [i]; i++)
        if (s_matches (entry->permissions [i], permission))
            return true;
    return false;
}

bool
access_role_known (const char *role)
{
    return s_role (role) != NULL;
}

bool
access_role_is_vendor (const char *role)
{
    const s_role_t *entry = s_role (role);
    return entry && entry->vendor;
}

const char *
access_scope_team (const identity_t *caller)
{
    return caller && !access_role_is_vendor (caller->role)? NULL
         : caller? caller->team: "";
}

bool
access_in_scope (const identity_t *caller, const char *phase, const char *vendor_team)
{
    const char *team = access_scope_team (caller);
    if (!team)
        return true;
    //  A vendor's work: handed over (pilot or vendor phase), to this vendor.
    return phase && *phase && strcmp (phase, "internal") != 0
        && vendor_team && *team && strcmp (vendor_team, team) == 0;
}
