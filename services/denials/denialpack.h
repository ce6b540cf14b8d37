/*  denialpack: a denial's stored bytes from its event's (issue 19).

    records_save writes the denial (DenialItem, with its history) and
    sends denials.<type> with the item less its history. protobuf-c packs
    fields in number order, so the stored bytes are the event's with the
    history entries (field 34) put in before the first field numbered
    above it: one pack of the item serves both, where it was packed twice.
    An item with unknown fields (protobuf-c keeps them last, after the
    history) is not for this: records_save packs it twice.
*/
#ifndef RCMQ_DENIALS_DENIALPACK_H
#define RCMQ_DENIALS_DENIALPACK_H

#include <stddef.h>
#include <stdint.h>
#include "denials.pb-c.h"

//  The bytes the history entries take in the packed item.
size_t denialpack_history_size (const DenialItem *item);
//  Writes item's packed bytes at out (light_size + denialpack_history_size
//  bytes) from light, its bytes without the history: codec_pack (item)
//  byte for byte.
void   denialpack_stored (const DenialItem *item, const uint8_t *light, size_t light_size, uint8_t *out);

#endif
