/*  access_methods: rcmq-audit's access.* request methods, one table over
    common/registry.h (docs/access.md). */
#ifndef RCMQ_AUDIT_ACCESS_METHODS_H
#define RCMQ_AUDIT_ACCESS_METHODS_H

#include "server.h"

extern const server_method_t access_methods [];

#endif
