/*  methods: rcmq-denials' request methods, as one table (see methods.c). */
#ifndef RCMQ_DENIALS_METHODS_H
#define RCMQ_DENIALS_METHODS_H

#include "server.h"

extern const server_method_t denials_methods [];

#endif
