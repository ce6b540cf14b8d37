/*  grid: a queue's responsibility grid and contacts (issue 15), read and
    changed the one way every service does.

    The grid lives in the Queue (proto/intake.proto: GridEntry rows and
    Contact rows), which intake owns and publishes on the "queue" stream;
    each service that keeps work items keeps its copy of the queue from that
    stream and asks grid_resolve who owns a work type of it now.

    Resolution, field by field (docs/work-items.md "Responsibility grid"):
      1. the queue's row for the work type, then its "default" row, then the
         built-in defaults (no assignee, no pool, no lead, the queue's old
         escalation_contacts as the chain, the type's SLA policy);
      2. assignee and pool are one choice ("who gets new items"): the first
         row that names either gives both;
      3. the phase decides the owner team. A type's internal team is the
         rows' team, else the queue's owner_team. In `internal` the
         internal team owns every type; in `pilot` and `vendor` the queue's
         vendor team owns every type but documentation_request, which stays
         with the practice's internal team in every phase;
      4. escalation level 1 is the lead unless a row at least as specific
         as the lead's names level 1 itself; the phase never changes lead
         or chain, so the internal lead stays level 1 when the vendor works
         the queue.
    grid_set and grid_contact_set are the edits intake's queue.GridSet and
    queue.ContactsSet apply: pure functions of the queue, checked, so a
    refused change leaves the queue as it was.
*/
#ifndef RCMQ_GRID_H
#define RCMQ_GRID_H

#include <stdbool.h>
#include <stddef.h>
#include "intake.pb-c.h"

#define GRID_NAME_MAX    64     //  bytes of a name with its NUL
#define GRID_POOL_MAX    8
#define GRID_LEVELS      3
//  The work_type of a queue's default row.
#define GRID_DEFAULT     "default"

typedef struct {
    char team [64];          //  owner team of this work type in this queue NOW (phase applied)
    char assignee [64];      //  default assignee, "" when none (pool or unassigned)
    char pool [8][64];       //  round-robin pool
    size_t n_pool;
    char lead [64];          //  the queue's lead for this type (escalation level 1 by default)
    char escalate [3][64];   //  people for escalation levels 1..3
    char sla_policy [64];    //  policy name, "" = the type's default (common/sla, helper h4)
} grid_entry_t;

//  The work types the grid knows, the contact topics and sides; each ends
//  with NULL.
extern const char *const grid_work_types [];
extern const char *const grid_topics [];
extern const char *const grid_sides [];
//  The fields QueueGridSetRequest.clear may name.
extern const char *const grid_fields [];

//  0, or -1 when the work type is not one the grid knows.
int  grid_resolve (const Queue *queue, const char *work_type, grid_entry_t *entry);

//  True when name is in list (one of the tables above).
bool grid_known (const char *const *list, const char *name);
//  The list as "a, b, c" for error messages.
void grid_list_names (const char *const *list, char *buf, size_t size);

//  Changes the row of change->work_type (a work type or GRID_DEFAULT) of a
//  queue that owns its memory (decoded or codec_copy'd): each field change
//  names replaces the row's, each field in clear is reset, the rest stays.
//  0, or -1 with the reason in error and the queue unchanged.
int  grid_set (Queue *queue, const GridEntry *change, char *const *clear, size_t n_clear,
               char *error, size_t size);
//  Sets the contact for (topic, side), or removes it when name is "".
//  0, or -1 with the reason in error and the queue unchanged.
int  grid_contact_set (Queue *queue, const Contact *contact, char *error, size_t size);
//  The queue's row for work_type ("default" included), or NULL.
const GridEntry *grid_row (const Queue *queue, const char *work_type);

#endif
