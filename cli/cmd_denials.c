/*  rcmqctl denials: the denials rcmq-denials keeps, one per claim and
    remit, from the 835 until won, lost or written off (docs/denials.md).

        denials list [--state S] [--category C] [--payer P] [--queue Q]
                     [--owner USER|me] [--due-before DATE] [--limit N --after ID]
        denials show ID
        denials assign ID USER
        denials categorize ID CATEGORY --reason TEXT
        denials state ID STATE [--reason TEXT]
        denials resolve ID won|lost|written_off [--cents N] [--reason CODE]
        denials approve ID
        denials policies
        denials correct ID [--void] [--reason TEXT]
        denials appeal ID --reason TEXT [--template NAME] [--attach ID[,ID...]]
        denials patterns

    --json of list is the reply itself (pbjson): {"denials": [...],
    "next_after": "ID" or ""}, highest priority first; show, assign,
    categorize, state, resolve and approve answer the denial with its
    history; patterns is {"patterns": [DenialPattern...]}; policies is {"policies": [{"payer_id" or "payer_group", "kind",
    "level", "days", "source"}]}. A table otherwise, amounts in dollars.
*/
#include "ctl.h"
#include "pbjson.h"
#include "denials.pb-c.h"
#include "clock.h"

#define DENIALS_CTL_MAX_LIMIT 1000

static void
s_dollars (char *buf, size_t size, int64_t cents)
{
    snprintf (buf, size, "%s%lld.%02lld", cents < 0? "-": "", llabs ((long long) cents) / 100,
              llabs ((long long) cents) % 100);
}

static const output_column_t s_columns [] = {
    { "id",          OUTPUT_TEXT },
    { "pcn",         OUTPUT_TEXT },
    { "payer",       OUTPUT_TEXT },
    { "carc",        OUTPUT_TEXT },
    { "category",    OUTPUT_TEXT },
    { "team",        OUTPUT_TEXT },
    { "denied_usd",  OUTPUT_TEXT },
    { "deadline",    OUTPUT_TEXT },
    { "state",       OUTPUT_TEXT },
    { "owner",       OUTPUT_TEXT },
    { "priority",    OUTPUT_TEXT },
    { NULL }
};

static int
s_list (ctl_t *ctl, ctl_args_t *args)
{
    DenialListRequest request = DENIAL_LIST_REQUEST__INIT;
    request.queue = (char *) ctl_arg_text (args, "queue");
    request.after = (char *) ctl_arg_text (args, "after");
    request.state = (char *) ctl_arg_text (args, "state");
    request.category = (char *) ctl_arg_text (args, "category");
    request.payer_id = (char *) ctl_arg_text (args, "payer");
    request.owner = (char *) ctl_arg_text (args, "owner");
    request.due_before = (char *) ctl_arg_text (args, "due-before");
    uint64_t limit;
    if (ctl_arg_uint (args, "limit", 1, DENIALS_CTL_MAX_LIMIT, 0, &limit))
        return CTL_USAGE;
    request.limit = (uint32_t) limit;
    DenialList *list;
    int rc = ctl_call (ctl, "denials", "denials.List", &request, &denial_list__descriptor, (void **) &list);
    if (rc != CTL_OK)
        return rc;
    if (ctl_format (ctl) == OUTPUT_JSON)
        output_json (pbjson_message (&list->base), stdout);
    else {
        output_table_t *table = output_table_new (s_columns);
        for (size_t i = 0; i < list->n_denials; i++) {
            const DenialItem *item = list->denials [i];
            char denied [32], carc [48];
            s_dollars (denied, sizeof denied, item->denied_cents);
            snprintf (carc, sizeof carc, "%s%s%s", item->group, *item->group? "-": "", item->carc);
            output_table_row (table);
            output_table_cell (table, item->id);
            output_table_cell (table, item->pcn);
            output_table_cell (table, item->payer_id);
            output_table_cell (table, carc);
            output_table_cell (table, item->category);
            output_table_cell (table, item->team);
            output_table_cell (table, denied);
            output_table_cellf (table, "%s%s", item->appeal_deadline, item->missed_deadline? " MISSED": "");
            output_table_cell (table, item->state);
            output_table_cell (table, item->owner);
            output_table_cellf (table, "%lld", (long long) item->priority);
        }
        if (output_table_rows (table) || ctl_format (ctl) == OUTPUT_CSV)
            output_table_print (table, ctl_format (ctl), stdout);
        else
            printf ("no denials\n");
        if (*list->next_after)
            printf ("more: --after %s\n", list->next_after);
        if (list->missed_deadline_total || list->unknown_carc_total)
            printf ("missed appeal deadlines: %llu   unknown CARCs: %llu\n",
                    (unsigned long long) list->missed_deadline_total, (unsigned long long) list->unknown_carc_total);
        output_table_destroy (&table);
    }
    codec_free (list);
    return CTL_OK;
}

//  A denial as a reply gives it: JSON as is, else a few lines and its
//  history.
static int
s_print (ctl_t *ctl, DenialItem *item)
{
    if (ctl_format (ctl) == OUTPUT_JSON) {
        output_json (pbjson_message (&item->base), stdout);
        return CTL_OK;
    }
    char denied [32], recovered [32];
    s_dollars (denied, sizeof denied, item->denied_cents);
    s_dollars (recovered, sizeof recovered, item->recovered_cents);
    printf ("%s  claim %s (%s)  payer %s  %s\n", item->id, item->pcn, item->claim_id, item->payer_id, item->kind);
    printf ("  state %s  owner %s  team %s  priority %lld\n", item->state, *item->owner? item->owner: "-",
            item->team, (long long) item->priority);
    printf ("  %s-%s%s%s  category %s  %spreventable  denied $%s  recovered $%s\n", item->group, item->carc,
            *item->rarc? " ": "", item->rarc, item->category, item->preventable? "": "not ", denied, recovered);
    printf ("  remit %s  appeal deadline %s (%s)%s\n", item->remit_date, item->appeal_deadline,
            item->deadline_policy, item->missed_deadline? "  MISSED": "");
    if (*item->letter)
        printf ("  appeal letter %s\n", item->letter);
    if (item->write_off)
        printf ("  write-off of %lld cents (%s) by %s waits for approval\n", (long long) item->write_off->cents,
                item->write_off->reason_code, item->write_off->requested_by);
    for (size_t i = 0; i < item->n_history; i++) {
        const DenialHistory *entry = item->history [i];
        char when [32];
        clock_format_iso8601 (entry->time_ms, when, sizeof when);
        printf ("  %s  %-10s %-20s %s%s%s%s%s\n", when, entry->actor, entry->what, entry->from,
                *entry->from || *entry->to? " -> ": "", entry->to, *entry->reason? "  ": "", entry->reason);
    }
    return CTL_OK;
}

static int
s_call_item (ctl_t *ctl, const char *method, const void *request)
{
    DenialItem *item;
    int rc = ctl_call (ctl, "denials", method, request, &denial_item__descriptor, (void **) &item);
    if (rc != CTL_OK)
        return rc;
    rc = s_print (ctl, item);
    codec_free (item);
    return rc;
}

static int
s_show (ctl_t *ctl, ctl_args_t *args)
{
    DenialId request = DENIAL_ID__INIT;
    request.id = (char *) ctl_arg_operand (args, 0);
    return s_call_item (ctl, "denials.Show", &request);
}

static int
s_assign (ctl_t *ctl, ctl_args_t *args)
{
    DenialAssignRequest request = DENIAL_ASSIGN_REQUEST__INIT;
    request.id = (char *) ctl_arg_operand (args, 0);
    request.owner = (char *) ctl_arg_operand (args, 1);
    return s_call_item (ctl, "denials.Assign", &request);
}

static int
s_categorize (ctl_t *ctl, ctl_args_t *args)
{
    DenialCategorizeRequest request = DENIAL_CATEGORIZE_REQUEST__INIT;
    request.id = (char *) ctl_arg_operand (args, 0);
    request.category = (char *) ctl_arg_operand (args, 1);
    request.reason = (char *) ctl_arg_text (args, "reason");
    if (!*request.reason)
        return ctl_fail ("denials categorize: --reason TEXT is required (the history keeps why)");
    return s_call_item (ctl, "denials.Categorize", &request);
}

static int
s_state (ctl_t *ctl, ctl_args_t *args)
{
    DenialStateRequest request = DENIAL_STATE_REQUEST__INIT;
    request.id = (char *) ctl_arg_operand (args, 0);
    request.state = (char *) ctl_arg_operand (args, 1);
    request.reason = (char *) ctl_arg_text (args, "reason");
    return s_call_item (ctl, "denials.State", &request);
}

static int
s_resolve (ctl_t *ctl, ctl_args_t *args)
{
    static const char *const outcomes [] = { "won", "lost", "written_off", NULL };
    DenialResolveRequest request = DENIAL_RESOLVE_REQUEST__INIT;
    request.id = (char *) ctl_arg_operand (args, 0);
    request.outcome = (char *) ctl_arg_operand (args, 1);
    if (ctl_parse_choice ("OUTCOME", request.outcome, outcomes) != CTL_OK)
        return CTL_USAGE;
    const char *cents = ctl_arg_option (args, "cents");
    if (cents) {
        uint64_t value;
        if (ctl_parse_uint ("--cents", cents, 0, INT64_MAX, &value) != CTL_OK)
            return CTL_USAGE;
        request.cents = (int64_t) value;
        request.has_cents = true;
    }
    request.reason = (char *) ctl_arg_text (args, "reason");
    return s_call_item (ctl, "denials.Resolve", &request);
}

static int
s_approve (ctl_t *ctl, ctl_args_t *args)
{
    DenialId request = DENIAL_ID__INIT;
    request.id = (char *) ctl_arg_operand (args, 0);
    return s_call_item (ctl, "denials.Approve", &request);
}

static int
s_correct (ctl_t *ctl, ctl_args_t *args)
{
    DenialCorrectRequest request = DENIAL_CORRECT_REQUEST__INIT;
    request.id = (char *) ctl_arg_operand (args, 0);
    request.as_void = ctl_arg_flag (args, "void");
    request.reason = (char *) ctl_arg_text (args, "reason");
    return s_call_item (ctl, "denials.Correct", &request);
}

static int
s_appeal (ctl_t *ctl, ctl_args_t *args)
{
    DenialAppealRequest request = DENIAL_APPEAL_REQUEST__INIT;
    request.id = (char *) ctl_arg_operand (args, 0);
    request.reason = (char *) ctl_arg_text (args, "reason");
    request.template_ = (char *) ctl_arg_text (args, "template");
    if (!*request.reason)
        return ctl_fail ("denials appeal: --reason TEXT is required (why the claim should be paid; the letter says it)");
    //  --attach ID[,ID...], as often as wanted: one list, in order (an
    //  empty id was refused when the options were read).
    size_t count = 0;
    char **attached = ctl_arg_list (args, "attach", &count);
    request.documents = attached;
    request.n_documents = count;
    int rc = s_call_item (ctl, "denials.Appeal", &request);
    ctl_list_free (attached, count);
    return rc;
}

static const output_column_t s_pattern_columns [] = {
    { "payer",       OUTPUT_TEXT },
    { "procedure",   OUTPUT_TEXT },
    { "category",    OUTPUT_TEXT },
    { "count",       OUTPUT_INT },
    { "denied_usd",  OUTPUT_TEXT },
    { "trend",       OUTPUT_TEXT },
    { "carc",        OUTPUT_TEXT },
    { "last_seen",   OUTPUT_TEXT },
    { NULL }
};

static int
s_patterns (ctl_t *ctl, ctl_args_t *args)
{
    (void) args;
    DenialPatternList *reply;
    int rc = ctl_call (ctl, "denials", "denials.Patterns", NULL, &denial_pattern_list__descriptor, (void **) &reply);
    if (rc != CTL_OK)
        return rc;
    if (ctl_format (ctl) == OUTPUT_JSON) {
        //  Always the array, even empty (pbjson leaves an empty one out).
        json_t *object = pbjson_message (&reply->base);
        if (!json_object_get (object, "patterns"))
            json_object_set_new (object, "patterns", json_array ());
        output_json (object, stdout);
    }
    else {
        output_table_t *table = output_table_new (s_pattern_columns);
        for (size_t i = 0; i < reply->n_patterns; i++) {
            const DenialPattern *pattern = reply->patterns [i];
            char what [96], dollars [32], last [32];
            snprintf (what, sizeof what, "%s%s", *pattern->rule? "rule ": "",
                      *pattern->rule? pattern->rule: pattern->procedure_code);
            s_dollars (dollars, sizeof dollars, pattern->cents);
            clock_format_date (pattern->last_seen_ms, last, sizeof last);
            output_table_row (table);
            output_table_cell (table, pattern->payer_id);
            output_table_cell (table, what);
            output_table_cell (table, pattern->category);
            output_table_cell_uint (table, pattern->count);
            output_table_cell (table, dollars);
            output_table_cell (table, pattern->trend);
            output_table_cell (table, pattern->carc);
            output_table_cell (table, last);
        }
        output_table_print (table, ctl_format (ctl), stdout);
        output_table_destroy (&table);
    }
    codec_free (reply);
    return CTL_OK;
}

static const output_column_t s_policy_columns [] = {
    { "payer_id",    OUTPUT_TEXT },
    { "payer_group", OUTPUT_TEXT },
    { "level",       OUTPUT_INT },
    { "days",        OUTPUT_INT },
    { "source",      OUTPUT_TEXT },
    { "kind",        OUTPUT_TEXT },
    { NULL }
};

static json_t *
s_policy_json (const AppealPolicy *policy)
{
    json_t *object = json_object ();
    if (*policy->payer_id)
        json_object_set_new (object, "payer_id", json_string (policy->payer_id));
    else
        json_object_set_new (object, "payer_group", json_string (policy->payer_group));
    json_object_set_new (object, "level", json_integer (policy->level));
    json_object_set_new (object, "days", json_integer (policy->days));
    json_object_set_new (object, "source", json_string (policy->source));
    json_object_set_new (object, "kind", json_string (*policy->kind? policy->kind: "appeal"));
    return object;
}

static int
s_policies (ctl_t *ctl, ctl_args_t *args)
{
    (void) args;
    AppealPolicies *reply;
    int rc = ctl_call (ctl, "denials", "denials.Policies", NULL, &appeal_policies__descriptor, (void **) &reply);
    if (rc != CTL_OK)
        return rc;
    if (ctl_format (ctl) == OUTPUT_JSON) {
        json_t *array = json_array ();
        for (size_t i = 0; i < reply->n_policies; i++)
            json_array_append_new (array, s_policy_json (reply->policies [i]));
        json_t *object = json_object ();
        json_object_set_new (object, "policies", array);
        output_json (object, stdout);
    }
    else {
        output_table_t *table = output_table_new (s_policy_columns);
        for (size_t i = 0; i < reply->n_policies; i++) {
            const AppealPolicy *policy = reply->policies [i];
            output_table_row (table);
            output_table_cell (table, policy->payer_id);
            output_table_cell (table, policy->payer_group);
            output_table_cell_uint (table, policy->level);
            output_table_cell_uint (table, policy->days);
            output_table_cell (table, policy->source);
            output_table_cell (table, *policy->kind? policy->kind: "appeal");
        }
        output_table_print (table, ctl_format (ctl), stdout);
        output_table_destroy (&table);
    }
    codec_free (reply);
    return CTL_OK;
}

static const ctl_option_t s_list_options [] = {
    { "state",      "S",       "only denials in this state (new, in_review, waiting_payer, waiting_practice, "
                               "corrected, appealed, won, lost, written_off, cancelled, reworked)" },
    { "category",   "C",       "only denials of this root cause (eligibility, authorization, coding, ...)" },
    { "payer",      "P",       "only denials of this payer id" },
    { "queue",      "Q",       "only denials of this work queue" },
    { "owner",      "USER",    "only denials this user owns; 'me' is you" },
    { "due-before", "DATE",    "only denials whose appeal deadline is before DATE (YYYY-MM-DD)" },
    { "after",      "ID",      "the page after this denial (a previous page's next_after)" },
    { "limit",      "N",       "at most N denials (default 100, at most 1000)" },
    { NULL }
};

static const ctl_option_t s_categorize_options [] = {
    { "reason", "TEXT", "why the category changes (required; the history keeps it)" },
    { NULL }
};

static const ctl_option_t s_state_options [] = {
    { "reason", "TEXT", "why (the history keeps it)" },
    { NULL }
};

static const ctl_option_t s_resolve_options [] = {
    { "cents",  "N",    "won: the amount recovered; written_off: the amount (default: what is still denied)" },
    { "reason", "CODE", "written_off: small_balance, timely_filing, non_covered, appeal_exhausted, "
                        "no_authorization, duplicate, contractual, charity or other (required)" },
    { NULL }
};

static const ctl_option_t s_correct_options [] = {
    { "void",   NULL,   "a void (frequency 8) instead of a replacement (7)" },
    { "reason", "TEXT", "for the claim's history (default: the denial's id and CARC)" },
    { NULL }
};

static const ctl_option_t s_appeal_options [] = {
    { "reason",   "TEXT", "why the claim should be paid (required; the letter says it)" },
    { "template", "NAME", "the letter's template: NAME.txt in denials/templates-dir (default: default)" },
    { "attach",   "ID[,ID...]", "ids of the documents sent with the appeal (repeatable); the letter lists them "
                              "under Enclosures and the denial keeps them (documents)" },
    { NULL }
};

static const ctl_command_t s_commands [] = {
    { "list", NULL, 0, 0, "list denials, highest priority first",
      "One denial per claim and remit (or 277CA rejection, or payer take-back).\n"
      "Priority = cents still at stake / days left to the appeal deadline (at least 1).\n"
      "Pages of --limit denials; the next page is --after the last id shown.\n"
      "--json: {\"denials\": [DenialItem...], \"next_after\": \"ID\" or \"\"}.",
      s_list_options, s_list },
    { "show", "ID", 1, 1, "show a denial, its lines and its history", NULL, NULL, s_show },
    { "assign", "ID USER", 2, 2, "give a denial to a user; a new denial moves to in_review", NULL, NULL, s_assign },
    { "categorize", "ID CATEGORY", 2, 2, "change a denial's root cause, saying why",
      NULL, s_categorize_options, s_categorize },
    { "state", "ID STATE", 2, 2, "move a denial (in_review, waiting_payer, waiting_practice, corrected, appealed)",
      "Outcomes (won, lost, written_off) go through `denials resolve`.", s_state_options, s_state },
    { "resolve", "ID OUTCOME", 2, 2, "end a denial: won, lost or written_off",
      "A write-off needs --reason CODE; above denials/write-off-approval-cents it waits\n"
      "for a second person (`denials approve ID`: an internal-lead or a leader).",
      s_resolve_options, s_resolve },
    { "approve", "ID", 1, 1, "approve a write-off someone else asked for", NULL, NULL, s_approve },
    { "correct", "ID", 1, 1, "have claims send a corrected claim (or a void) for a denial",
      "rcmq-denials asks rcmq-claims (claims.RequestCorrection) with its own key; claims\n"
      "checks and writes the claim, and the next `claims submit` sends frequency 7\n"
      "(or 8 with --void) with the payer's claim number. The denial moves to corrected.\n"
      "A claim the payer rejected (277CA) is refused: fix it with `claims edit`.",
      s_correct_options, s_correct },
    { "appeal", "ID", 1, 1, "appeal a denial: write the appeal letter and move it to appealed",
      "The letter is made from a template (fields in {{...}}: payer, claim, dates of service,\n"
      "lines, CARC/RARC text, your reason; docs/denials.md) and written as a plain text file\n"
      "into denials/outbound-dir; `denials show` gives its path (`letter`). Documents sent\n"
      "with it (--attach, ids of the document system) are listed under Enclosures and kept\n"
      "on the denial (`documents`).",
      s_appeal_options, s_appeal },
    { "patterns", NULL, 0, 0, "list the denial patterns sent back to intake",
      "A pattern: denials/pattern-min (5) or more preventable denials of one payer,\n"
      "procedure (or scrub rule) and category within denials/pattern-days (30); intake\n"
      "warns (DEN001) on new claims that match. Count, dollars, trend against the\n"
      "window before, the most frequent CARC.\n"
      "--json: {\"patterns\": [DenialPattern...]}.",
      NULL, s_patterns },
    { "policies", NULL, 0, 0, "list the appeal windows and timely-filing limits in force",
      "Appeal windows (denials/appeal-windows, days from the remit date, per level) and the\n"
      "timely-filing limits (denials/timely-filing, days from the date of service: an intake\n"
      "rejection's deadline; level 0).\n"
      "--json: {\"policies\": [{\"payer_id\" or \"payer_group\", \"level\", \"days\", \"source\",\n"
      "\"kind\": \"appeal\" or \"timely_filing\"}]}.",
      NULL, s_policies },
    { NULL }
};

const ctl_group_t cmd_denials = {
    "denials", "Works denials from the 835 to won, lost or written off (rcmq-denials).", s_commands
};
