/*  access: which role may do what (DESIGN §4).

    A permission is "area.verb" (e.g. "claims.read", "intake.submit",
    "health.read"). Each role has a list of permission patterns, where a
    trailing "*" matches any rest; the table in access.c is the policy.
    Scope (which queues a vendor role sees) is enforced by each service on
    top of this.
*/
#ifndef RCMQ_ACCESS_H
#define RCMQ_ACCESS_H

#include <stdbool.h>

//  True when the role holds the permission. Unknown roles hold nothing.
bool access_allows (const char *role, const char *permission);
//  True for a role name the policy knows.
bool access_role_known (const char *role);
//  True for vendor-side roles (vendor-lead, vendor-agent).
bool access_role_is_vendor (const char *role);

#endif
