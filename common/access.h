/*  access: which role may do what (DESIGN §4).

    A permission is "area.verb" (e.g. "claims.read", "intake.submit",
    "health.read"). Each role has a list of permission patterns, where a
    trailing "*" matches any rest; the table in access.c is the policy.

    Scope (DESIGN §4) is the one rule access_in_scope: a vendor role sees
    and acts only on items of queues in pilot or vendor phase whose vendor
    team is the caller's; every other role sees every queue. The server
    (server.h) applies it through each method's scope mark.
*/
#ifndef RCMQ_ACCESS_H
#define RCMQ_ACCESS_H

#include <stdbool.h>
#include "keyring.h"

//  True when the role holds the permission. Unknown roles hold nothing.
bool access_allows (const char *role, const char *permission);
//  True for a role name the policy knows.
bool access_role_known (const char *role);
//  True for vendor-side roles (vendor-lead, vendor-agent).
bool access_role_is_vendor (const char *role);
//  The team a caller's view is limited to: its own team for vendor roles,
//  NULL (every queue) for the rest. Figures aggregated by the team that
//  works a queue (metrics' owner_team) filter on it.
const char *access_scope_team (const identity_t *caller);
//  True when the caller may see an item of a queue in phase `phase` whose
//  vendor team is `vendor_team`. NULL phase (the item or its queue is not
//  known) is out of scope for vendor roles.
bool access_in_scope (const identity_t *caller, const char *phase, const char *vendor_team);

#endif
