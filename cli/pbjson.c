/*  pbjson: see pbjson.h.

    One walk over the message's descriptor, field by field in proto order;
    for each field the view's rules that name it are applied in their
    order (several rules may read one field, e.g. an aging bucket list
    becoming three objects), or the field is rendered as it stands.
*/
#include "pbjson.h"
#include "output.h"

#include <assert.h>
#include <stdbool.h>
#include <string.h>

static json_t *s_value (const ProtobufCFieldDescriptor *field, const void *value,
                        const pbjson_view_t *view);

static json_t *
s_bytes (const ProtobufCBinaryData *data)
{
    char *hex = (char *) malloc (data->len * 2 + 1);
    for (size_t i = 0; i < data->len; i++)
        snprintf (hex + i * 2, 3, "%02x", data->data [i]);
    hex [data->len * 2] = 0;
    json_t *result = json_string (hex);
    free (hex);
    return result;
}

//  One value of a field (one item of a repeated one); view applies to a
//  message value.
static json_t *
s_value (const ProtobufCFieldDescriptor *field, const void *value, const pbjson_view_t *view)
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
        case PROTOBUF_C_TYPE_STRING:
            //  Data: never lost to invalid UTF-8 (see output.h).
            return output_json_string (*(char *const *) value);
        case PROTOBUF_C_TYPE_BYTES:
            return s_bytes ((const ProtobufCBinaryData *) value);
        case PROTOBUF_C_TYPE_MESSAGE: {
            const ProtobufCMessage *inner = *(ProtobufCMessage *const *) value;
            return inner? pbjson_render (inner, view): json_null ();
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

//  True when a single value is its type's zero: 0, "", false, no bytes,
//  no message.
static bool
s_is_empty (const ProtobufCFieldDescriptor *field, const void *value)
{
    switch (field->type) {
        case PROTOBUF_C_TYPE_STRING: {
            const char *text = *(char *const *) value;
            return !text || !*text;
        }
        case PROTOBUF_C_TYPE_BYTES:
            return ((const ProtobufCBinaryData *) value)->len == 0;
        case PROTOBUF_C_TYPE_MESSAGE:
            return *(ProtobufCMessage *const *) value == NULL;
        default: {
            static const char zero [8] = { 0 };
            return memcmp (value, zero, s_size (field)) == 0;
        }
    }
}

static const ProtobufCFieldDescriptor *
s_field (const ProtobufCMessageDescriptor *descriptor, const char *name)
{
    const ProtobufCFieldDescriptor *field =
        protobuf_c_message_descriptor_get_field_by_name (descriptor, name);
    assert (field);         //  a rule names a field the message does not have
    return field;
}

//  Applies one rule (NULL: as is) of field to object.
static void
s_apply (json_t *object, const ProtobufCMessage *message,
         const ProtobufCFieldDescriptor *field, const pbjson_rule_t *rule)
{
    pbjson_how_t how = rule? rule->how: PBJSON_AS_IS;
    const char *name = rule && rule->as? rule->as: field->name;
    const pbjson_view_t *view = rule? rule->view: NULL;
    const char *base = (const char *) message + field->offset;
    bool repeated = field->label == PROTOBUF_C_LABEL_REPEATED;
    size_t count = repeated? *(const size_t *) ((const char *) message + field->quantifier_offset): 0;
    const char *items = repeated? *(char *const *) base: NULL;

    if (how == PBJSON_OMIT)
        return;
    if (how == PBJSON_OMIT_EMPTY && (repeated? count == 0: s_is_empty (field, base)))
        return;
    if (how == PBJSON_AS_IS || how == PBJSON_OMIT_EMPTY) {
        if (repeated) {
            json_t *array = json_array ();
            for (size_t i = 0; i < count; i++)
                json_array_append_new (array, s_value (field, items + i * s_size (field), view));
            json_object_set_new (object, name, array);
        }
        else
            json_object_set_new (object, name, s_value (field, base, view));
    }
    else
    if (how == PBJSON_INLINE) {
        assert (field->type == PROTOBUF_C_TYPE_MESSAGE && !repeated);
        const ProtobufCMessage *inner = *(ProtobufCMessage *const *) base;
        if (inner) {
            json_t *fields = pbjson_render (inner, view);
            json_object_update (object, fields);
            json_decref (fields);
        }
    }
    else
    if (how == PBJSON_KEYED || how == PBJSON_KEYED_INLINE) {
        assert (field->type == PROTOBUF_C_TYPE_MESSAGE && repeated && rule->key);
        json_t *keyed = json_object ();
        for (size_t i = 0; i < count; i++) {
            const ProtobufCMessage *item = ((ProtobufCMessage *const *) items) [i];
            const ProtobufCFieldDescriptor *key = s_field (item->descriptor, rule->key);
            assert (key->type == PROTOBUF_C_TYPE_STRING);
            const char *text = *(char *const *) ((const char *) item + key->offset);
            json_t *value;
            if (rule->render)
                value = rule->render (item);
            else {
                const ProtobufCFieldDescriptor *from = s_field (item->descriptor, rule->value);
                value = s_value (from, (const char *) item + from->offset, NULL);
            }
            json_object_set_new (keyed, text? text: "", value);
        }
        if (how == PBJSON_KEYED_INLINE) {
            json_object_update (object, keyed);
            json_decref (keyed);
        }
        else
            json_object_set_new (object, name, keyed);
    }
    else
    if (how == PBJSON_CUSTOM) {
        assert (rule->render);
        const ProtobufCMessage *subject = field->type == PROTOBUF_C_TYPE_MESSAGE && !repeated
                                        ? *(ProtobufCMessage *const *) base: message;
        json_object_set_new (object, name, rule->render (subject));
    }
}

json_t *
pbjson_render (const ProtobufCMessage *message, const pbjson_view_t *view)
{
    const ProtobufCMessageDescriptor *descriptor = message->descriptor;
    assert (!view || view->descriptor == descriptor);
    //  Every rule names a real field: a typo would otherwise be ignored.
    for (const pbjson_rule_t *rule = view? view->rules: NULL; rule && rule->field; rule++)
        s_field (descriptor, rule->field);
    json_t *object = json_object ();
    for (unsigned i = 0; i < descriptor->n_fields; i++) {
        const ProtobufCFieldDescriptor *field = &descriptor->fields [i];
        bool ruled = false;
        for (const pbjson_rule_t *rule = view? view->rules: NULL; rule && rule->field; rule++)
            if (strcmp (rule->field, field->name) == 0) {
                s_apply (object, message, field, rule);
                ruled = true;
            }
        if (!ruled)
            s_apply (object, message, field, NULL);
    }
    return object;
}

json_t *
pbjson_message (const ProtobufCMessage *message)
{
    return pbjson_render (message, NULL);
}
