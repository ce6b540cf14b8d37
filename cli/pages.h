/*  pages: a whole list from a paged list method (store_page_read on the
    service's side), for commands whose output has always been the whole
    list (`claims exceptions`, `claims credits`, `deadletter list`).
*/
#ifndef RCMQCTL_PAGES_H
#define RCMQCTL_PAGES_H

#include "ctl.h"

//  Calls method page after page: request is the method's request message
//  (its string field "after" is set for each page and put back after);
//  *reply_body is one reply of reply_type holding every page's rows in
//  their order, in its one repeated message field, with next_after (or
//  next) "". Returns CTL_OK, or the first failed call's code (with the
//  error printed and *reply_body NULL): a part of a list is never printed
//  as the whole.
int pages_call_all (ctl_t *ctl, const char *name, const char *method, ProtobufCMessage *request,
                    const ProtobufCMessageDescriptor *reply_type, void **reply_body);

//  The string field "next_after" (or "next") of a paged reply; "" when none.
const char *pages_next_after (const ProtobufCMessage *reply);

#endif
