/*  rcmqctl access: the access registry rcmq-audit keeps (issue 14,
    docs/access.md). Two people for a grant, a mover, a reactivation and a
    break-glass; one for a revoke; every change and every refusal is an
    event on the `access` stream.

        access request NAME --role R --team T [--until DATE] [--key PUBFILE]
        access approve REQ | access deny REQ
        access revoke NAME --reason TEXT
        access list | access history NAME
        access review start [--team T] --until DATE
        access review status | confirm NAME | end
        access breakglass NAME --reason TEXT --hours N

    `access request` is a grant for a name the registry does not hold (or
    holds revoked), a mover for an active one, a reactivation for a
    suspended one: rcmq-audit decides by the identity's state. Its key is
    --key's certificate, else the keys directory's public/NAME.cert (what
    `rcmqctl keys add NAME` made): the file is a credential; the grant is
    what makes it open anything. Dates are YYYY-MM-DD (the start of that
    day, UTC) or an ISO 8601 instant.

    JSON: `access request --json` and the other changes print the reply
    ({"request": ID, "version": V, "identity": {...}, "review": {...}});
    `access list --json` is {"identities": [...]}, every page, each with
    name, role, team, status, valid_until, requested_by, approved_by and the
    rest of the identity.
*/
#include "ctl.h"
#include "pbjson.h"
#include "clock.h"
#include "access.pb-c.h"

//  A status as people say it: "active", not IDENTITY_ACTIVE.
static const char *
s_status_name (IdentityStatus status)
{
    static const char *const names [] = { "", "requested", "active", "suspended", "revoked" };
    return (size_t) status < sizeof names / sizeof names [0]? names [status]: "";
}

static json_t *
s_status_json (const ProtobufCMessage *message)
{
    return json_string (s_status_name (((const Identity *) message)->status));
}

//  A date field as an ISO 8601 instant, null for 0 ("never").
static json_t *
s_time_json (uint64_t ms)
{
    if (!ms)
        return json_null ();
    char text [40];
    clock_format_iso8601 (ms, text, sizeof text);
    return json_string (text);
}

static json_t *
s_valid_until_json (const ProtobufCMessage *message)
{
    return s_time_json (((const Identity *) message)->valid_until_ms);
}

static json_t *
s_breakglass_until_json (const ProtobufCMessage *message)
{
    return s_time_json (((const Identity *) message)->breakglass_until_ms);
}

static const pbjson_view_t s_identity_view = { &identity__descriptor, (const pbjson_rule_t []) {
    { "status", .how = PBJSON_CUSTOM, .render = s_status_json },
    { "valid_until_ms", .how = PBJSON_CUSTOM, .as = "valid_until", .render = s_valid_until_json },
    { "breakglass_until_ms", .how = PBJSON_CUSTOM, .as = "breakglass_until", .render = s_breakglass_until_json },
    { NULL } } };

static const pbjson_view_t s_outcome_view = { &access_outcome__descriptor, (const pbjson_rule_t []) {
    { "identity", .view = &s_identity_view },
    { NULL } } };

static const pbjson_view_t s_history_view = { &access_history__descriptor, (const pbjson_rule_t []) {
    { "identity", .view = &s_identity_view },
    { NULL } } };

//  A date option or operand: CTL_USAGE with the reason when not a date.
static int
s_parse_date (const char *what, const char *text, uint64_t *ms)
{
    if (clock_parse_iso8601 (text, ms)) {
        fprintf (stderr, "rcmqctl: %s '%s': expected a date YYYY-MM-DD or an ISO 8601 instant\n", what, text);
        return CTL_USAGE;
    }
    return CTL_OK;
}

//  Prints a change's outcome: the reply as JSON, or a line for people.
static int
s_outcome (ctl_t *ctl, const char *method, const void *body, const char *done)
{
    AccessOutcome *outcome;
    int rc = ctl_call (ctl, "audit", method, body, &access_outcome__descriptor, (void **) &outcome);
    if (rc != CTL_OK)
        return rc;
    if (ctl_format (ctl) == OUTPUT_JSON)
        output_json (pbjson_render (&outcome->base, &s_outcome_view), stdout);
    else {
        output_printf (stdout, "%s", done);
        if (outcome->request)
            output_printf (stdout, ": request %" PRIu64 " (approve it with `rcmqctl access approve %" PRIu64 "`, as another admin)",
                    outcome->request, outcome->request);
        if (outcome->identity)
            output_printf (stdout, "; %s is %s", outcome->identity->name, s_status_name (outcome->identity->status));
        output_printf (stdout, "\n");
    }
    codec_free (outcome);
    return CTL_OK;
}

//  The public key of a certificate file (public or secret), into key.
static int
s_read_key (const char *path, char key [41])
{
    zcert_t *cert = zcert_load (path);
    if (!cert)
        return ctl_fail ("access request: %s is not a CURVE certificate (make one with `rcmqctl keys add`)", path);
    snprintf (key, 41, "%s", zcert_public_txt (cert));
    zcert_destroy (&cert);
    return CTL_OK;
}

static int
s_request (ctl_t *ctl, ctl_args_t *args)
{
    AccessRequest request = ACCESS_REQUEST__INIT;
    request.name = (char *) ctl_arg_operand (args, 0);
    request.role = (char *) ctl_arg_option (args, "role");
    request.team = (char *) ctl_arg_option (args, "team");
    if (!request.role || !request.team) {
        fprintf (stderr, "rcmqctl access request: --role and --team are required\n");
        return CTL_USAGE;
    }
    const char *until = ctl_arg_option (args, "until");
    if (until && s_parse_date ("--until", until, &request.valid_until_ms))
        return CTL_USAGE;
    char key [41] = "";
    const char *key_file = ctl_arg_option (args, "key");
    if (key_file) {
        if (s_read_key (key_file, key))
            return CTL_FAILED;
    }
    else {
        //  The name's own certificate, when `keys add` made one: a mover
        //  or a reactivation needs none.
        char *path = zsys_sprintf ("%s/public/%s.cert", ctl_keys_dir (ctl), request.name);
        int rc = zsys_file_exists (path)? s_read_key (path, key): CTL_OK;
        zstr_free (&path);
        if (rc)
            return rc;
    }
    request.public_key = key;
    return s_outcome (ctl, "access.Request", &request, "requested");
}

//  approve and deny: a decision on request REQ (its id).
static int
s_decide (ctl_t *ctl, ctl_args_t *args, const char *method, const char *done)
{
    AccessDecision decision = ACCESS_DECISION__INIT;
    if (ctl_parse_uint ("REQ", ctl_arg_operand (args, 0), 1, UINT64_MAX, &decision.request))
        return CTL_USAGE;
    return s_outcome (ctl, method, &decision, done);
}

static int
s_approve (ctl_t *ctl, ctl_args_t *args)
{
    return s_decide (ctl, args, "access.Approve", "approved");
}

static int
s_deny (ctl_t *ctl, ctl_args_t *args)
{
    return s_decide (ctl, args, "access.Deny", "denied");
}

static int
s_revoke (ctl_t *ctl, ctl_args_t *args)
{
    AccessSubject subject = ACCESS_SUBJECT__INIT;
    subject.name = (char *) ctl_arg_operand (args, 0);
    subject.reason = (char *) ctl_arg_option (args, "reason");
    if (!subject.reason || !*subject.reason) {
        fprintf (stderr, "rcmqctl access revoke: --reason is required (why this access ends)\n");
        return CTL_USAGE;
    }
    return s_outcome (ctl, "access.Revoke", &subject, "revoked");
}

static int
s_breakglass (ctl_t *ctl, ctl_args_t *args)
{
    AccessSubject subject = ACCESS_SUBJECT__INIT;
    subject.name = (char *) ctl_arg_operand (args, 0);
    subject.reason = (char *) ctl_arg_option (args, "reason");
    if (!subject.reason || !*subject.reason || !ctl_arg_option (args, "hours")) {
        fprintf (stderr, "rcmqctl access breakglass: --reason and --hours are required\n");
        return CTL_USAGE;
    }
    uint64_t hours;
    if (ctl_arg_uint (args, "hours", 1, 72, 0, &hours))
        return CTL_USAGE;
    subject.hours = (uint32_t) hours;
    return s_outcome (ctl, "access.Breakglass", &subject, "break-glass requested");
}

static const output_column_t s_columns [] = {
    { "name",         OUTPUT_TEXT },
    { "role",         OUTPUT_TEXT },
    { "team",         OUTPUT_TEXT },
    { "status",       OUTPUT_TEXT },
    { "valid_until",  OUTPUT_TEXT },
    { "requested_by", OUTPUT_TEXT },
    { "approved_by",  OUTPUT_TEXT },
    { NULL }
};

//  Every identity: the pages one after another (a registry is people, not
//  claims: it fits one answer).
static int
s_list (ctl_t *ctl, ctl_args_t *args)
{
    json_t *identities = json_array ();
    output_table_t *table = output_table_new (s_columns);
    char *after = strdup ("");
    int rc = CTL_OK;
    while (rc == CTL_OK) {
        IdentityListRequest request = IDENTITY_LIST_REQUEST__INIT;
        request.after = after;
        IdentityList *list;
        rc = ctl_call (ctl, "audit", "access.List", &request, &identity_list__descriptor, (void **) &list);
        if (rc != CTL_OK)
            break;
        for (size_t i = 0; i < list->n_identities; i++) {
            const Identity *identity = list->identities [i];
            json_array_append_new (identities, pbjson_render (&identity->base, &s_identity_view));
            output_table_row (table);
            output_table_cell (table, identity->name);
            output_table_cell (table, identity->role);
            output_table_cell (table, identity->team);
            output_table_cell (table, s_status_name (identity->status));
            char until [40] = "";
            if (identity->valid_until_ms)
                clock_format_iso8601 (identity->valid_until_ms, until, sizeof until);
            output_table_cell (table, until);
            output_table_cell (table, identity->requested_by);
            output_table_cell (table, identity->approved_by);
        }
        free (after);
        after = strdup (list->next_after);
        codec_free (list);
        if (!*after)
            break;
    }
    if (rc == CTL_OK)
        output_list (ctl_format (ctl), "identities", identities, table, NULL, "no identities", stdout);
    json_decref (identities);
    output_table_destroy (&table);
    free (after);
    return rc;
}

static const char *
s_state_name (AccessRequestState state)
{
    static const char *const names [] = { "", "pending", "approved", "denied", "expired", "cancelled" };
    return (size_t) state < sizeof names / sizeof names [0]? names [state]: "";
}

static const char *
s_kind_name (AccessRequestKind kind)
{
    static const char *const names [] = { "", "grant", "mover", "reactivate", "breakglass" };
    return (size_t) kind < sizeof names / sizeof names [0]? names [kind]: "";
}

static int
s_history (ctl_t *ctl, ctl_args_t *args)
{
    AccessSubject subject = ACCESS_SUBJECT__INIT;
    subject.name = (char *) ctl_arg_operand (args, 0);
    AccessHistory *history;
    int rc = ctl_call (ctl, "audit", "access.History", &subject, &access_history__descriptor, (void **) &history);
    if (rc != CTL_OK)
        return rc;
    if (ctl_format (ctl) == OUTPUT_JSON)
        output_json (pbjson_render (&history->base, &s_history_view), stdout);
    else {
        if (history->identity)
            output_printf (stdout, "%s: %s, role %s, team %s\n", history->identity->name,
                    s_status_name (history->identity->status), history->identity->role, history->identity->team);
        else
            output_printf (stdout, "%s: not in the registry\n", subject.name);
        for (size_t i = 0; i < history->n_requests; i++) {
            const AccessRequest *request = history->requests [i];
            char at [40];
            clock_format_iso8601 (request->created_ms, at, sizeof at);
            output_printf (stdout, "  request %" PRIu64 " %s %s by %s: %s%s%s%s%s%s\n", request->id, at,
                    s_kind_name (request->kind), request->requested_by, s_state_name (request->state),
                    *request->decided_by? " by ": "", request->decided_by,
                    *request->decision_reason? " (": "", request->decision_reason,
                    *request->decision_reason? ")": "");
        }
    }
    codec_free (history);
    return CTL_OK;
}

static void
s_print_review (const ReviewCampaign *review)
{
    char until [40];
    clock_format_iso8601 (review->until_ms, until, sizeof until);
    output_printf (stdout, "review %" PRIu64 " of %s, started by %s, until %s%s\n", review->id,
            *review->team? review->team: "every team", review->started_by, until, review->open? "": " (ended)");
    for (size_t i = 0; i < review->n_entries; i++) {
        const ReviewEntry *entry = review->entries [i];
        output_printf (stdout, "  %-24s %-16s %-12s %s\n", entry->name, entry->role, entry->team,
                *entry->outcome? entry->outcome: *entry->confirmed_by? "confirmed": "unconfirmed");
    }
}

//  review start|status|confirm|end: one command, the action its operand.
static int
s_review (ctl_t *ctl, ctl_args_t *args)
{
    static const char *const actions [] = { "start", "status", "confirm", "end", NULL };
    const char *action = ctl_arg_operand (args, 0);
    if (ctl_parse_choice ("ACTION", action, actions))
        return CTL_USAGE;
    bool confirm = streq (action, "confirm");
    if (confirm != (ctl_arg_count (args) == 2)) {
        fprintf (stderr, "rcmqctl access review: %s\n",
                 confirm? "confirm takes the NAME to confirm": "only confirm takes a NAME");
        return CTL_USAGE;
    }
    if (streq (action, "start")) {
        ReviewStartRequest start = REVIEW_START_REQUEST__INIT;
        start.team = (char *) ctl_arg_text (args, "team");
        const char *until = ctl_arg_option (args, "until");
        if (!until) {
            fprintf (stderr, "rcmqctl access review start: --until DATE is required\n");
            return CTL_USAGE;
        }
        if (s_parse_date ("--until", until, &start.until_ms))
            return CTL_USAGE;
        return s_outcome (ctl, "access.ReviewStart", &start, "review started");
    }
    if (confirm) {
        AccessSubject subject = ACCESS_SUBJECT__INIT;
        subject.name = (char *) ctl_arg_operand (args, 1);
        return s_outcome (ctl, "access.ReviewConfirm", &subject, "confirmed");
    }
    AccessOutcome *outcome;
    int rc = ctl_call (ctl, "audit", streq (action, "end")? "access.ReviewEnd": "access.ReviewStatus",
                       NULL, &access_outcome__descriptor, (void **) &outcome);
    if (rc != CTL_OK)
        return rc;
    if (ctl_format (ctl) == OUTPUT_JSON)
        output_json (pbjson_render (&outcome->base, &s_outcome_view), stdout);
    else
    if (outcome->review)
        s_print_review (outcome->review);
    else
        output_printf (stdout, "no access review is open\n");
    codec_free (outcome);
    return CTL_OK;
}

static const ctl_option_t s_request_options [] = {
    { "role",  "R",       "the role asked for (admin, compliance, leader, internal-lead, internal-biller, vendor-lead, vendor-agent)" },
    { "team",  "T",       "the team: internal or the vendor's name" },
    { "until", "DATE",    "valid until (required for vendor roles)" },
    { "key",   "PUBFILE", "the certificate whose public key it is (default: the keys directory's public/NAME.cert)" },
    { NULL }
};

static const ctl_option_t s_revoke_options [] = {
    { "reason", "TEXT", "why this access ends (required)" },
    { NULL }
};

static const ctl_option_t s_breakglass_options [] = {
    { "reason", "TEXT", "the emergency (required)" },
    { "hours",  "N",    "how long, 1 to 72 (required)" },
    { NULL }
};

static const ctl_option_t s_review_options [] = {
    { "team",  "T",    "start: only this team's identities" },
    { "until", "DATE", "start: the date by which each must be confirmed (required)" },
    { NULL }
};

static const ctl_command_t s_commands [] = {
    { "request", "NAME", 1, 1, "ask for a grant, a role or team change, or a reactivation",
      "A second admin approves it (`access approve REQ`); the requester may not.\n"
      "A grant for a new name, a mover for an active identity, a reactivation for a\n"
      "suspended one. DATE is YYYY-MM-DD (the start of that day, UTC) or an ISO 8601\n"
      "instant.\n"
      "--json: {\"request\": ID, \"version\": V, \"identity\": {...}}.",
      s_request_options, s_request },
    { "approve", "REQ", 1, 1, "approve a request (as an admin other than its requester and subject)",
      NULL, NULL, s_approve },
    { "deny", "REQ", 1, 1, "deny a request (an admin, or its requester withdrawing it)",
      NULL, NULL, s_deny },
    { "revoke", "NAME", 1, 1, "end an identity's access now (a leaver)",
      "Immediate, by one person, with a reason; its pending requests are cancelled.",
      s_revoke_options, s_revoke },
    { "list", NULL, 0, 0, "list every identity in the registry",
      "--json: {\"identities\": [{\"name\", \"role\", \"team\", \"status\", \"valid_until\",\n"
      "\"requested_by\", \"approved_by\", ...}]}; status is requested, active, suspended or\n"
      "revoked; valid_until an ISO 8601 instant or null.",
      NULL, s_list },
    { "history", "NAME", 1, 1, "an identity and every request made for it",
      NULL, NULL, s_history },
    { "review", "ACTION [NAME]", 1, 2, "an access review: start, status, confirm NAME, end",
      "`review start [--team T] --until DATE` opens a recertification of every active\n"
      "identity (or one team's); `review confirm NAME` recertifies one (an admin, or its\n"
      "team's lead); `review end` (or the date passing) suspends the unconfirmed.\n"
      "`review status --json`: {\"version\": V, \"review\": ReviewCampaign or absent}.",
      s_review_options, s_review },
    { "breakglass", "NAME", 1, 1, "ask for emergency access for some hours (two people)",
      "Approved like a grant (`access approve REQ`), ending on its own after --hours.",
      s_breakglass_options, s_breakglass },
    { NULL }
};

const ctl_group_t cmd_access = {
    "access", "Grants, revokes and reviews access (the registry in rcmq-audit).", s_commands
};
