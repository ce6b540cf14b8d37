/*  auditrecord: the leaf of an event that is not audit.access, written
    straight from the event: the same bytes protobuf-c packs for the
    AuditRecord auditlog_apply used to build (proto3: fields in number
    order, a zero number or an empty text left out), without the record's
    size pass, its allocation and its generic field loop (issue 19; a
    leaf is an event's most frequent write in rcmq-audit).

    The leaf is evidence (its hash is in the tree): the unit test holds
    these bytes to protobuf-c's for random events, long texts and the
    largest numbers. An access record (field 9, a message) is not written
    here; auditlog_apply packs that one with protobuf-c. A field added to
    an event's AuditRecord in proto/audit.proto must be written here too
    (and set in the test's reference): nothing else would notice.
*/
#ifndef RCMQ_AUDITRECORD_H
#define RCMQ_AUDITRECORD_H

#include <stddef.h>
#include <stdint.h>
#include "event.pb-c.h"
#include "sha256.h"

//  Writes the AuditRecord of event (stream, seq, type, key, time_ms,
//  producer, producer_seq, payload_sha256 = digest) into out: its size,
//  or 0 when it may not fit in size bytes (pack it another way then).
size_t auditrecord_pack_event (const Event *event, const uint8_t digest [SHA256_BYTES],
                               uint8_t *out, size_t size);

#endif
