/*  test_grid: the responsibility grid and contacts of a queue
    (common/grid.c).

    Checked: a work type the grid does not know is -1; each field comes
    from the type's row, else the queue's default row, else the built-in
    default, independently of the others; assignee and pool are one choice;
    the phase moves every type but documentation_request to the vendor team
    and leaves lead and chain alone (the internal lead stays level 1);
    level 1 of the chain is the lead unless a row as specific names it;
    grid_set changes what it names and keeps the rest, and a refused change
    leaves the queue as it was; contacts are one per (topic, side).
    Expected values are written out here, never read back from grid.c.
*/
#include "suites.h"
#include "grid.h"
#include "codec.h"

#include <czmq.h>

//  A queue owning its memory, as intake and claims hold one: internal
//  team "ar-internal", vendor "acme", in phase.
static Queue *
s_queue (const char *phase)
{
    Queue queue = QUEUE__INIT;
    queue.id = "bcbs";
    queue.owner_team = "ar-internal";
    queue.vendor_team = "acme";
    queue.phase = (char *) phase;
    return (Queue *) codec_copy (&queue);
}

static GridEntry
s_change (const char *type)
{
    GridEntry change = GRID_ENTRY__INIT;
    change.work_type = (char *) type;
    return change;
}

static void
s_set (Queue *queue, const GridEntry *change)
{
    char error [256] = "";
    ck_assert_msg (grid_set (queue, change, NULL, 0, error, sizeof error) == 0, "grid_set: %s", error);
}

START_TEST (test_unknown_type)
{
    Queue *queue = s_queue ("internal");
    grid_entry_t entry;
    ck_assert_int_eq (grid_resolve (queue, "followup", &entry), -1);
    ck_assert_int_eq (grid_resolve (queue, GRID_DEFAULT, &entry), -1);
    ck_assert_int_eq (grid_resolve (queue, "", &entry), -1);
    for (int i = 0; grid_work_types [i]; i++)
        ck_assert_int_eq (grid_resolve (queue, grid_work_types [i], &entry), 0);
    codec_free (queue);
}
END_TEST

START_TEST (test_built_in)
{
    Queue *queue = s_queue ("internal");
    codec_append_text (&queue->escalation_contacts, &queue->n_escalation_contacts, "mgr");
    codec_append_text (&queue->escalation_contacts, &queue->n_escalation_contacts, "director");
    grid_entry_t entry;
    ck_assert_int_eq (grid_resolve (queue, "denial", &entry), 0);
    ck_assert_str_eq (entry.team, "ar-internal");
    ck_assert_str_eq (entry.assignee, "");
    ck_assert_uint_eq (entry.n_pool, 0);
    ck_assert_str_eq (entry.lead, "");
    //  The queue's old contact list is the chain when no row names one.
    ck_assert_str_eq (entry.escalate [0], "mgr");
    ck_assert_str_eq (entry.escalate [1], "director");
    ck_assert_str_eq (entry.escalate [2], "");
    ck_assert_str_eq (entry.sla_policy, "");
    codec_free (queue);
}
END_TEST

START_TEST (test_precedence)
{
    Queue *queue = s_queue ("internal");
    GridEntry fallback = s_change (GRID_DEFAULT);
    fallback.team = "ar-east";
    fallback.lead = "lena";
    fallback.sla_policy = "standard";
    fallback.assignee = "bill";
    s_set (queue, &fallback);
    GridEntry denial = s_change ("denial");
    denial.sla_policy = "denial-fast";
    char *pool [] = { "dana", "dave" };
    denial.pool = pool;
    denial.n_pool = 2;
    s_set (queue, &denial);

    grid_entry_t entry;
    //  denial: its own SLA and pool, the default row's team and lead.
    ck_assert_int_eq (grid_resolve (queue, "denial", &entry), 0);
    ck_assert_str_eq (entry.team, "ar-east");
    ck_assert_str_eq (entry.lead, "lena");
    ck_assert_str_eq (entry.sla_policy, "denial-fast");
    ck_assert_uint_eq (entry.n_pool, 2);
    ck_assert_str_eq (entry.pool [0], "dana");
    ck_assert_str_eq (entry.pool [1], "dave");
    //  The pool is the choice: the default row's assignee does not leak in.
    ck_assert_str_eq (entry.assignee, "");
    //  follow_up: no row of its own, the default row throughout.
    ck_assert_int_eq (grid_resolve (queue, "follow_up", &entry), 0);
    ck_assert_str_eq (entry.team, "ar-east");
    ck_assert_str_eq (entry.assignee, "bill");
    ck_assert_uint_eq (entry.n_pool, 0);
    ck_assert_str_eq (entry.sla_policy, "standard");
    ck_assert_str_eq (entry.escalate [0], "lena");

    //  A type row's team beats the default row's.
    GridEntry inquiry = s_change ("inquiry");
    inquiry.team = "patient-services";
    s_set (queue, &inquiry);
    ck_assert_int_eq (grid_resolve (queue, "inquiry", &entry), 0);
    ck_assert_str_eq (entry.team, "patient-services");
    ck_assert_str_eq (entry.lead, "lena");
    codec_free (queue);
}
END_TEST

START_TEST (test_phase_moves_all_but_documentation)
{
    const char *phases [] = { "pilot", "vendor" };
    for (int p = 0; p < 2; p++) {
        Queue *queue = s_queue ("internal");
        GridEntry fallback = s_change (GRID_DEFAULT);
        fallback.lead = "lena";
        char *chain [] = { "", "mgr", "cfo" };
        fallback.escalate = chain;
        fallback.n_escalate = 3;
        s_set (queue, &fallback);
        GridEntry doc = s_change ("documentation_request");
        doc.team = "practice-office";
        s_set (queue, &doc);

        grid_entry_t entry;
        ck_assert_int_eq (grid_resolve (queue, "follow_up", &entry), 0);
        ck_assert_str_eq (entry.team, "ar-internal");
        //  One change: the phase.
        codec_set_text (&queue->phase, phases [p]);
        for (int i = 0; grid_work_types [i]; i++) {
            const char *type = grid_work_types [i];
            ck_assert_int_eq (grid_resolve (queue, type, &entry), 0);
            bool doc_request = streq (type, "documentation_request");
            ck_assert_msg (streq (entry.team, doc_request? "practice-office": "acme"),
                           "%s in %s: team %s", type, phases [p], entry.team);
            //  The internal lead stays escalation level 1.
            ck_assert_str_eq (entry.lead, "lena");
            ck_assert_str_eq (entry.escalate [0], "lena");
            ck_assert_str_eq (entry.escalate [1], "mgr");
            ck_assert_str_eq (entry.escalate [2], "cfo");
        }
        //  Back to internal: back to the internal team.
        codec_set_text (&queue->phase, "internal");
        ck_assert_int_eq (grid_resolve (queue, "denial", &entry), 0);
        ck_assert_str_eq (entry.team, "ar-internal");
        codec_free (queue);
    }
}
END_TEST

START_TEST (test_documentation_without_row)
{
    //  No row at all: the queue's own internal team keeps documentation
    //  requests in vendor phase.
    Queue *queue = s_queue ("vendor");
    grid_entry_t entry;
    ck_assert_int_eq (grid_resolve (queue, "documentation_request", &entry), 0);
    ck_assert_str_eq (entry.team, "ar-internal");
    ck_assert_int_eq (grid_resolve (queue, "follow_up", &entry), 0);
    ck_assert_str_eq (entry.team, "acme");
    codec_free (queue);
}
END_TEST

START_TEST (test_level_one)
{
    Queue *queue = s_queue ("internal");
    //  The default row names a whole chain; the type's row names a lead:
    //  the more specific lead is level 1, the chain's levels 2 and 3 stay.
    GridEntry fallback = s_change (GRID_DEFAULT);
    char *chain [] = { "sam", "mgr", "cfo" };
    fallback.escalate = chain;
    fallback.n_escalate = 3;
    fallback.lead = "lena";
    s_set (queue, &fallback);
    GridEntry denial = s_change ("denial");
    denial.lead = "dora";
    s_set (queue, &denial);
    grid_entry_t entry;
    ck_assert_int_eq (grid_resolve (queue, "denial", &entry), 0);
    ck_assert_str_eq (entry.lead, "dora");
    ck_assert_str_eq (entry.escalate [0], "dora");
    ck_assert_str_eq (entry.escalate [1], "mgr");
    //  Same row: the chain's own level 1 wins over its lead.
    ck_assert_int_eq (grid_resolve (queue, "action", &entry), 0);
    ck_assert_str_eq (entry.lead, "lena");
    ck_assert_str_eq (entry.escalate [0], "sam");
    //  The type's row names the chain, the default row the lead: the chain.
    GridEntry action = s_change ("action");
    char *own [] = { "ari", "mgr" };
    action.escalate = own;
    action.n_escalate = 2;
    s_set (queue, &action);
    ck_assert_int_eq (grid_resolve (queue, "action", &entry), 0);
    ck_assert_str_eq (entry.escalate [0], "ari");
    ck_assert_str_eq (entry.escalate [2], "");
    codec_free (queue);
}
END_TEST

START_TEST (test_set_keeps_the_rest)
{
    Queue *queue = s_queue ("internal");
    GridEntry first = s_change ("follow_up");
    first.team = "ar-east";
    first.lead = "lena";
    first.sla_policy = "standard";
    first.assignee = "bill";
    s_set (queue, &first);
    GridEntry second = s_change ("follow_up");
    second.lead = "leo";
    s_set (queue, &second);
    ck_assert_uint_eq (queue->n_grid, 1);
    const GridEntry *row = grid_row (queue, "follow_up");
    ck_assert_ptr_nonnull (row);
    ck_assert_str_eq (row->team, "ar-east");
    ck_assert_str_eq (row->lead, "leo");
    ck_assert_str_eq (row->sla_policy, "standard");
    ck_assert_str_eq (row->assignee, "bill");
    //  A pool replaces the assignee (one choice), an assignee the pool.
    GridEntry third = s_change ("follow_up");
    char *pool [] = { "ann", "bob" };
    third.pool = pool;
    third.n_pool = 2;
    s_set (queue, &third);
    row = grid_row (queue, "follow_up");
    ck_assert_str_eq (row->assignee, "");
    ck_assert_uint_eq (row->n_pool, 2);
    GridEntry fourth = s_change ("follow_up");
    fourth.assignee = "cy";
    s_set (queue, &fourth);
    row = grid_row (queue, "follow_up");
    ck_assert_str_eq (row->assignee, "cy");
    ck_assert_uint_eq (row->n_pool, 0);
    //  Clearing resets a field: the team follows the queue again.
    GridEntry fifth = s_change ("follow_up");
    char *clear [] = { "team", "sla_policy" };
    char error [256] = "";
    ck_assert_int_eq (grid_set (queue, &fifth, clear, 2, error, sizeof error), 0);
    grid_entry_t entry;
    ck_assert_int_eq (grid_resolve (queue, "follow_up", &entry), 0);
    ck_assert_str_eq (entry.team, "ar-internal");
    ck_assert_str_eq (entry.sla_policy, "");
    ck_assert_str_eq (entry.lead, "leo");
    //  The edited queue encodes and decodes to the same grid.
    Queue *copy = (Queue *) codec_copy (queue);
    ck_assert_ptr_nonnull (copy);
    ck_assert_uint_eq (copy->n_grid, 1);
    ck_assert_str_eq (copy->grid [0]->lead, "leo");
    codec_free (copy);
    codec_free (queue);
}
END_TEST

START_TEST (test_set_refused)
{
    Queue *queue = s_queue ("internal");
    GridEntry good = s_change ("follow_up");
    good.lead = "lena";
    s_set (queue, &good);
    char error [256];
    struct { GridEntry change; const char *clear; const char *says; } cases [] = {
        { s_change ("followup"),              NULL,    "no work type 'followup'" },
        { s_change ("follow_up"),             "owner", "no grid field 'owner'" },
        { s_change ("documentation_request"), NULL,    "stay with an internal team" },
        { s_change ("follow_up"),             NULL,    "not both" },
        { s_change ("follow_up"),             NULL,    "escalation levels" },
    };
    cases [2].change.team = "acme";
    cases [3].change.assignee = "bill";
    char *pool [] = { "ann" };
    cases [3].change.pool = pool;
    cases [3].change.n_pool = 1;
    char *chain [] = { "a", "b", "c", "d" };
    cases [4].change.escalate = chain;
    cases [4].change.n_escalate = 4;
    for (size_t i = 0; i < sizeof cases / sizeof cases [0]; i++) {
        cases [i].change.lead = "someone-else";
        char *clear [] = { (char *) cases [i].clear };
        error [0] = 0;
        ck_assert_int_eq (grid_set (queue, &cases [i].change, clear, cases [i].clear? 1: 0, error, sizeof error), -1);
        ck_assert_msg (strstr (error, cases [i].says), "case %zu: '%s'", i, error);
        ck_assert_msg (strstr (error, "bcbs"), "case %zu names no queue: '%s'", i, error);
        //  Nothing changed.
        ck_assert_uint_eq (queue->n_grid, 1);
        ck_assert_str_eq (grid_row (queue, "follow_up")->lead, "lena");
    }
    codec_free (queue);
}
END_TEST

START_TEST (test_contacts)
{
    Queue *queue = s_queue ("pilot");
    char error [256] = "";
    Contact contact = CONTACT__INIT;
    contact.topic = "urgent";
    contact.side = "internal";
    contact.name = "lena";
    ck_assert_int_eq (grid_contact_set (queue, &contact, error, sizeof error), 0);
    contact.side = "vendor";
    contact.name = "vic";
    ck_assert_int_eq (grid_contact_set (queue, &contact, error, sizeof error), 0);
    contact.name = "val";               //  the same (topic, side): replaced
    ck_assert_int_eq (grid_contact_set (queue, &contact, error, sizeof error), 0);
    ck_assert_uint_eq (queue->n_contacts, 2);
    ck_assert_str_eq (queue->contacts [1]->name, "val");
    contact.topic = "weekend";
    ck_assert_int_eq (grid_contact_set (queue, &contact, error, sizeof error), -1);
    ck_assert_ptr_nonnull (strstr (error, "no contact topic 'weekend'"));
    contact.topic = "urgent";
    contact.side = "offshore";
    ck_assert_int_eq (grid_contact_set (queue, &contact, error, sizeof error), -1);
    ck_assert_ptr_nonnull (strstr (error, "no contact side 'offshore'"));
    ck_assert_uint_eq (queue->n_contacts, 2);
    //  An empty name removes it; the other stays.
    contact.side = "internal";
    contact.name = "";
    ck_assert_int_eq (grid_contact_set (queue, &contact, error, sizeof error), 0);
    ck_assert_uint_eq (queue->n_contacts, 1);
    ck_assert_str_eq (queue->contacts [0]->side, "vendor");
    codec_free (queue);
}
END_TEST

Suite *
grid_suite (void)
{
    Suite *suite = suite_create ("grid");
    TCase *tc = tcase_create ("grid");
    tcase_add_test (tc, test_unknown_type);
    tcase_add_test (tc, test_built_in);
    tcase_add_test (tc, test_precedence);
    tcase_add_test (tc, test_phase_moves_all_but_documentation);
    tcase_add_test (tc, test_documentation_without_row);
    tcase_add_test (tc, test_level_one);
    tcase_add_test (tc, test_set_keeps_the_rest);
    tcase_add_test (tc, test_set_refused);
    tcase_add_test (tc, test_contacts);
    suite_add_tcase (suite, tc);
    return suite;
}
