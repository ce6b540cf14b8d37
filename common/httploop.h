/*  httploop: a libmicrohttpd daemon (MHD_USE_EPOLL) answered on a zloop,
    so its handlers run on the thread that owns the figures and stores they
    read (ADR 0027, 0034). Poll the daemon's epoll fd with httploop_ready
    and run a timer with httploop_tick (idle timeouts), each with the
    daemon as arg. The ops port and rcmq-web use it.
*/
#ifndef RCMQ_HTTPLOOP_H
#define RCMQ_HTTPLOOP_H

#include <czmq.h>
#include <microhttpd.h>

int httploop_ready (zloop_t *loop, zmq_pollitem_t *item, void *daemon);
int httploop_tick (zloop_t *loop, int timer_id, void *daemon);

#endif
