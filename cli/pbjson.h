/*  pbjson: any protobuf-c message as a jansson object, by walking its
    descriptor, so every command's --json output has the proto's own field
    names and every field, and no command hand-writes its JSON.

    Scalars map to JSON numbers / booleans / strings, enums to their value
    names ("STATUS__OK" -> "OK"), bytes to lowercase hex, repeated fields to
    arrays, messages to objects (null when absent).

    Where a command's JSON is not the message as it stands -- a field left
    out, renamed, a nested message's fields lifted into its parent, a list
    of {name, value} items turned into an object keyed by name, a figure
    whose JSON type depends on its unit -- the command says so in a view: a
    table of rules, one or more per field, read by the same walk. Fields no
    rule names are rendered as above, so a field added to the proto shows up
    in every view without a change here. A command that adds a field the
    reply does not carry (the service it asked, say) sets it on the object
    pbjson_render returns.
*/
#ifndef RCMQ_PBJSON_H
#define RCMQ_PBJSON_H

#include <jansson.h>
#include <protobuf-c/protobuf-c.h>

typedef enum {
    PBJSON_AS_IS = 0,   //  as pbjson_message would, under .as; .view for message fields
    PBJSON_OMIT,        //  left out
    PBJSON_OMIT_EMPTY,  //  as is, but left out when 0, "" or false
    PBJSON_INLINE,      //  a message field: its fields (through .view) set on this object
    PBJSON_KEYED,       //  repeated message: an object {item.key: item.value} under .as;
                        //  with .render, {item.key: render (item)}
    PBJSON_KEYED_INLINE,//  the same pairs set on this object itself
    PBJSON_CUSTOM       //  render's JSON under .as
} pbjson_how_t;

typedef struct _pbjson_view_t pbjson_view_t;

//  render is called with the field's message for a message field (which
//  may be NULL), and with the message holding the field for a scalar one.
typedef json_t *(pbjson_render_fn) (const ProtobufCMessage *message);

typedef struct {
    const char *field;          //  the proto field's name
    pbjson_how_t how;
    const char *as;             //  the JSON key; NULL: the field's name
    const pbjson_view_t *view;  //  how to render the field's message(s); NULL: as they are
    const char *key;            //  KEYED: the item field whose value is the key
    const char *value;          //  KEYED: the item field whose JSON is the value
    pbjson_render_fn *render;   //  CUSTOM, or KEYED by function
} pbjson_rule_t;

struct _pbjson_view_t {
    const ProtobufCMessageDescriptor *descriptor;   //  the message type it is for
    const pbjson_rule_t *rules;                     //  ends with { NULL }
};

//  Every field, as it stands.
json_t *pbjson_message (const ProtobufCMessage *message);

//  Through a view (NULL: as pbjson_message). The view must be for the
//  message's type, and its rules name the type's fields (asserted: a
//  misspelt rule would otherwise change nothing without a word).
json_t *pbjson_render (const ProtobufCMessage *message, const pbjson_view_t *view);

#endif
