/*  calendar: business calendars — a time zone, working hours per weekday
    and a list of holidays — and the arithmetic of working time in them.

    An SLA target such as "4 business hours" is working time: it runs only
    inside the calendar's working hours, on days that are not holidays, in
    the calendar's own time zone (a 9–17 day in Chicago is 15:00–23:00 UTC
    in winter and 14:00–22:00 UTC in summer). calendar_add answers "when is
    it due", calendar_between "how much working time has passed".

    Config (common/config.h), for a calendar called NAME:

        calendar
            billing
                zone = "America/Chicago"
                hours = "mon-fri 09:00-17:00; sat 09:00-12:00"
                holidays = "2026-12-25, 2027-01-01"

    `hours` is clauses separated by ';', each a set of weekdays (`mon-fri`,
    `mon,wed,fri`, `sat`) and one or more local ranges `HH:MM-HH:MM`
    separated by ',' (`24:00` ends a day). A weekday no clause names is not
    a working day. `holidays` are local dates (whole days off). zone and
    hours are required for every calendar but "default", which is UTC,
    mon-fri 09:00-17:00 and no holidays unless its keys say otherwise
    (docs/adr/0023 says why UTC and not the host's zone).

    Time zones come from the C library (the system's zoneinfo): at
    calendar_new the zone's UTC offsets are read once, through
    localtime_r under TZ=zone, into a table of offset changes (1970 to
    2100); after that a calendar never touches TZ, so it is a pure value,
    safe to share between threads. calendar_new itself sets TZ for the
    process for a moment and puts it back: call it from one thread while
    no other thread converts local time (rcmq services are single-threaded
    around one loop, and load their calendars at start).

    Local times that a DST change skips (02:30 on a spring-forward day)
    are the instant the clock jumps; local times that happen twice (01:30
    on a fall-back day) are the first of the two. So a 9–17 day is 8 hours
    on either change day, and a 00:00-24:00 day is 23 or 25.
*/
#ifndef RCMQ_CALENDAR_H
#define RCMQ_CALENDAR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

typedef struct _calendar_t calendar_t;

//  The calendar NAME from config (calendar/NAME/zone, /hours, /holidays).
//  A value that is malformed, a zone the system does not know, or a
//  calendar other than "default" without zone or hours: NULL, with error
//  naming the key and the value.
calendar_t *calendar_load (config_t *config, const char *name, char *error, size_t size);
//  A calendar from its three texts (holidays may be NULL or ""). NULL with
//  the reason in error when one is malformed ("hours 'mon-fri 9-17':
//  expected HH:MM-HH:MM at '9-17'"); calendar_load prefixes the key.
calendar_t *calendar_new (const char *zone, const char *hours, const char *holidays,
                          char *error, size_t size);
void        calendar_destroy (calendar_t **self_p);

//  The instant (ms since the epoch, UTC) when business_ms of working time
//  have passed after start_ms: the earliest t with calendar_between
//  (start_ms, t) == business_ms. So a target that ends exactly at the end
//  of a working day is due at 17:00 that day, not 09:00 the next, and 0
//  is start_ms itself, in or out of working hours.
uint64_t    calendar_add (const calendar_t *self, uint64_t start_ms, uint64_t business_ms);
//  Working time in ms between from_ms and to_ms (0 when to <= from).
uint64_t    calendar_between (const calendar_t *self, uint64_t from_ms, uint64_t to_ms);
//  Whether the instant is inside working time.
bool        calendar_working (const calendar_t *self, uint64_t at_ms);
//  The length of the calendar's business day: the working time of its
//  longest weekday (8 h for mon-fri 09:00-17:00). "N business days" in an
//  SLA target is N times this (docs/work-items.md says why).
uint64_t    calendar_day_ms (const calendar_t *self);
//  The calendar's zone name as given ("America/Chicago").
const char *calendar_zone (const calendar_t *self);

#endif
