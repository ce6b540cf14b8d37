/*  audit_methods: the audit.* methods over the transparency log
    (audit_methods.c lists them).
*/
#ifndef RCMQ_AUDIT_METHODS_H
#define RCMQ_AUDIT_METHODS_H

#include "server.h"

extern const server_method_t audit_methods [];

#endif
