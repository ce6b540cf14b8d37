/*  methods: rcmq-denials' request methods (denials.List), as one table. */
#ifndef RCMQ_DENIALS_METHODS_H
#define RCMQ_DENIALS_METHODS_H

#include "server.h"

extern const server_method_t denials_methods [];

#endif
