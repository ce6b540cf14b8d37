/*  methods: rcmq-intake's request methods (intake.Submit, GetBatch,
    ListRejections, Upload*; queue.Create, SetPhase, List, Show), as one
    table.
*/
#ifndef RCMQ_INTAKE_METHODS_H
#define RCMQ_INTAKE_METHODS_H

#include "intake.h"

extern const server_method_t intake_methods [];
//  After each committed request: writes the 999s of the batches it
//  committed (intake->pending_acks).
void methods_committed (intake_t *intake);

#endif
