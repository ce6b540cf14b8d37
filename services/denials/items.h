/*  items: the events rcmq-denials consumes (see items.c). */
#ifndef RCMQ_DENIALS_ITEMS_H
#define RCMQ_DENIALS_ITEMS_H

#include "denials.h"
#include "consumer.h"

//  claims.denied, adjudicated, reversed, acknowledged; queue.changed.
//  Handlers get the denials_t.
extern const consumer_event_t items_events [];

#endif
