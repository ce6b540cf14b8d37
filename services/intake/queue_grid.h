/*  queue_grid: queue.GridSet, queue.Grid, queue.ContactsSet and
    queue.Contacts -- the responsibility grid and contacts of intake's
    queues (issue 15), as one method table the process adds at start.
*/
#ifndef RCMQ_INTAKE_QUEUE_GRID_H
#define RCMQ_INTAKE_QUEUE_GRID_H

#include "intake.h"

extern const server_method_t queue_grid_methods [];

#endif
