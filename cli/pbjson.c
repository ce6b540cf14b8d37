/*  pbjson: see pbjson.h. */
#include "pbjson.h"
#include "output.h"

#include <string.h>

static json_t *
s_scalar (const ProtobufCFieldDescriptor *field, const void *value)
{
    switch (field->type) {
        case PROTOBUF_C_TYPE_INT32:
        case PROTOBUF_C_TYPE_SINT32:
        case PROTOBUF_C_TYPE_SFIXED32:
            return json_integer (*(const int32_t *) value);
        case PROTOBUF_C_TYPE_UINT32:
        case PROTOBUF_C_TYPE_FIXED32:
            return json_integer (*(const uint32_t *) value);
        case PROTOBUF_C_TYPE_INT64:
        case PROTOBUF_C_TYPE_SINT64:
        case PROTOBUF_C_TYPE_SFIXED64:
            return json_integer ((json_int_t) *(const int64_t *) value);
        case PROTOBUF_C_TYPE_UINT64:
        case PROTOBUF_C_TYPE_FIXED64:
            return json_integer ((json_int_t) *(const uint64_t *) value);
        case PROTOBUF_C_TYPE_FLOAT:
            return json_real (*(const float *) value);
        case PROTOBUF_C_TYPE_DOUBLE:
            return json_real (*(const double *) value);
        case PROTOBUF_C_TYPE_BOOL:
            return json_boolean (*(const protobuf_c_boolean *) value);
        case PROTOBUF_C_TYPE_ENUM: {
            const ProtobufCEnumValue *named = protobuf_c_enum_descriptor_get_value (
                (const ProtobufCEnumDescriptor *) field->descriptor, *(const int *) value);
            return named? json_string (named->name): json_integer (*(const int *) value);
        }
        case PROTOBUF_C_TYPE_STRING: {
            //  Data: never lost to invalid UTF-8 (see output.h).
            const char *text = *(char *const *) value;
            return output_json_string (text);
        }
        case PROTOBUF_C_TYPE_BYTES: {
            const ProtobufCBinaryData *data = (const ProtobufCBinaryData *) value;
            char *hex = (char *) malloc (data->len * 2 + 1);
            for (size_t i = 0; i < data->len; i++)
                snprintf (hex + i * 2, 3, "%02x", data->data [i]);
            hex [data->len * 2] = 0;
            json_t *result = json_string (hex);
            free (hex);
            return result;
        }
        case PROTOBUF_C_TYPE_MESSAGE: {
            const ProtobufCMessage *inner = *(ProtobufCMessage *const *) value;
            return inner? pbjson_message (inner): json_null ();
        }
    }
    return json_null ();
}

static size_t
s_size (const ProtobufCFieldDescriptor *field)
{
    switch (field->type) {
        case PROTOBUF_C_TYPE_INT64: case PROTOBUF_C_TYPE_SINT64: case PROTOBUF_C_TYPE_SFIXED64:
        case PROTOBUF_C_TYPE_UINT64: case PROTOBUF_C_TYPE_FIXED64: case PROTOBUF_C_TYPE_DOUBLE:
            return 8;
        case PROTOBUF_C_TYPE_STRING: case PROTOBUF_C_TYPE_MESSAGE:
            return sizeof (void *);
        case PROTOBUF_C_TYPE_BYTES:
            return sizeof (ProtobufCBinaryData);
        case PROTOBUF_C_TYPE_BOOL:
            return sizeof (protobuf_c_boolean);
        default:
            return 4;
    }
}

json_t *
pbjson_message (const ProtobufCMessage *message)
{
    json_t *object = json_object ();
    const ProtobufCMessageDescriptor *descriptor = message->descriptor;
    for (unsigned i = 0; i < descriptor->n_fields; i++) {
        const ProtobufCFieldDescriptor *field = &descriptor->fields [i];
        const char *base = (const char *) message + field->offset;
        if (field->label == PROTOBUF_C_LABEL_REPEATED) {
            size_t count = *(const size_t *) ((const char *) message + field->quantifier_offset);
            const char *items = *(char *const *) base;
            json_t *array = json_array ();
            for (size_t j = 0; j < count; j++)
                json_array_append_new (array, s_scalar (field, items + j * s_size (field)));
            json_object_set_new (object, field->name, array);
        }
        else
            json_object_set_new (object, field->name, s_scalar (field, base));
    }
    return object;
}
