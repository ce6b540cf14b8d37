/*  pbjson: any protobuf-c message as a jansson object, by walking its
    descriptor, so every command's --json output has the proto's own field
    names and every field, and no command hand-writes its JSON.

    Scalars map to JSON numbers / booleans / strings, enums to their value
    names ("STATUS__OK" -> "OK"), bytes to lowercase hex, repeated fields to
    arrays, messages to objects (null when absent).
*/
#ifndef RCMQ_PBJSON_H
#define RCMQ_PBJSON_H

#include <jansson.h>
#include <protobuf-c/protobuf-c.h>

json_t *pbjson_message (const ProtobufCMessage *message);

#endif
