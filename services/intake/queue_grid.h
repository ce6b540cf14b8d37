/*  queue_grid: queue.GridSet, queue.Grid, queue.ContactsSet and
    queue.Contacts -- the responsibility grid and contacts of intake's
    queues (issue 15): their handlers and the resolvers of their scope
    marks, rows of intake's one table (methods.c).
*/
#ifndef RCMQ_INTAKE_QUEUE_GRID_H
#define RCMQ_INTAKE_QUEUE_GRID_H

#include "intake.h"

int queue_grid_set (server_call_t *call);                   //  queue.GridSet
int queue_grid_read (server_call_t *call);                  //  queue.Grid
int queue_grid_contacts_set (server_call_t *call);          //  queue.ContactsSet
int queue_grid_contacts (server_call_t *call);              //  queue.Contacts
//  The queue that GridSet and ContactsSet change (their scope marks).
int queue_grid_scope_set (server_call_t *call);
int queue_grid_scope_contacts_set (server_call_t *call);

#endif
