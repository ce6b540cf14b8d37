/*  element_limits: see element_limits.h.

    Maximum lengths are the X12 element dictionary's, as the 837P guide
    uses them (a few guide-specific ones: CLM01 38, an NPI exactly 10).
    The walk is generic, over protobuf-c's descriptors, so it sees every
    string the parser filled without a list of fields to keep in step.
*/
#include "element_limits.h"

#include <assert.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

//  The rows of ELEMENT_LIMITS (element_limits.h), as strings.
static const element_limit_t s_limits [] = {
#define S_ROW(message, field, element, max) { #message, #field, element, max },
    ELEMENT_LIMITS (S_ROW)
#undef S_ROW
};

//  The loop of an element inside a message hanging from a Claim field;
//  field NULL = any field of it not listed before.
static const struct {
    const char *top;            //  the Claim field: "subscriber"
    const char *field;          //  the leaf field, NULL = any
    const char *loop;
} s_loops [] = {
    { "submitter",          NULL,                     "1000A" },
    { "receiver",           NULL,                     "1000B" },
    { "billing_provider",   "taxonomy",               "2000A" },
    { "billing_provider",   NULL,                     "2010AA" },
    { "subscriber",         "payer_responsibility",   "2000B" },
    { "subscriber",         "relationship",           "2000B" },
    { "subscriber",         "group_number",           "2000B" },
    { "subscriber",         "group_name",             "2000B" },
    { "subscriber",         "claim_filing_indicator", "2000B" },
    { "subscriber",         NULL,                     "2010BA" },
    { "payer",              NULL,                     "2010BB" },
    { "patient",            "relationship",           "2000C" },
    { "patient",            NULL,                     "2010CA" },
    { "rendering_provider", NULL,                     "2310B" },
    { "service_facility",   NULL,                     "2310C" },
    { "dates",              NULL,                     "2300" },
    { "diagnoses",          NULL,                     "2300" },
    { "lines",              NULL,                     "2400" },
};

const element_limit_t *
element_limit (const char *message, const char *field)
{
    assert (message && field);
    for (size_t i = 0; i < sizeof s_limits / sizeof s_limits [0]; i++)
        if (strcmp (s_limits [i].message, message) == 0 && strcmp (s_limits [i].field, field) == 0)
            return &s_limits [i];
    return NULL;
}

size_t
element_limit_count (void)
{
    return sizeof s_limits / sizeof s_limits [0];
}

const element_limit_t *
element_limit_at (size_t index)
{
    return index < element_limit_count ()? &s_limits [index]: NULL;
}

static const char *
s_loop (const char *top, const char *field)
{
    for (size_t i = 0; top && i < sizeof s_loops / sizeof s_loops [0]; i++)
        if (strcmp (s_loops [i].top, top) == 0 && (!s_loops [i].field || strcmp (s_loops [i].field, field) == 0))
            return s_loops [i].loop;
    return NULL;
}

//  The rows of a message type's fields by field index, found once per
//  type: the walk runs for every claim and must not search the table for
//  every string. Two threads parse at once (intake.Submit on the loop,
//  an upload on its actor), so a slot is filled under a lock and
//  published with a release store: a reader that sees the descriptor sees
//  its rows, and two threads never fill one slot with two types.
#define S_TYPES_MAX 16
#define S_FIELDS_MAX 64

//  With the rows, the fields the walk visits (strings and messages other
//  than findings), in the descriptor's order: the walk of a message goes
//  through these alone, every claim, instead of every field's descriptor.
typedef struct {
    unsigned index;             //  in the descriptor's fields
    bool message;
    bool repeated;
} s_visit_t;

typedef struct {
    const ProtobufCMessageDescriptor *descriptor;
    const element_limit_t *rows [S_FIELDS_MAX];
    s_visit_t visits [S_FIELDS_MAX];
    size_t n_visits;
} s_type_t;

static s_type_t s_cache [S_TYPES_MAX];
static pthread_mutex_t s_cache_lock = PTHREAD_MUTEX_INITIALIZER;

//  Fills slot i with the descriptor's rows unless another thread has
//  filled it first; returns the type the slot holds.
static const ProtobufCMessageDescriptor *
s_fill (size_t i, const ProtobufCMessageDescriptor *descriptor)
{
    pthread_mutex_lock (&s_cache_lock);
    if (!s_cache [i].descriptor) {
        assert (descriptor->n_fields <= S_FIELDS_MAX);
        s_type_t *type = &s_cache [i];
        type->n_visits = 0;
        for (unsigned f = 0; f < descriptor->n_fields; f++) {
            const ProtobufCFieldDescriptor *field = &descriptor->fields [f];
            type->rows [f] = element_limit (descriptor->name, field->name);
            if (field->type != PROTOBUF_C_TYPE_STRING && field->type != PROTOBUF_C_TYPE_MESSAGE)
                continue;
            //  Findings are the parser's words, not the sender's elements.
            if (field->type == PROTOBUF_C_TYPE_MESSAGE
            &&  field->descriptor == &scrub_finding__descriptor)
                continue;
            type->visits [type->n_visits++] = (s_visit_t) {
                f, field->type == PROTOBUF_C_TYPE_MESSAGE, field->label == PROTOBUF_C_LABEL_REPEATED
            };
        }
        __atomic_store_n (&s_cache [i].descriptor, descriptor, __ATOMIC_RELEASE);
    }
    const ProtobufCMessageDescriptor *filled = s_cache [i].descriptor;
    pthread_mutex_unlock (&s_cache_lock);
    return filled;
}

static const s_type_t *
s_type (const ProtobufCMessageDescriptor *descriptor)
{
    for (size_t i = 0; i < S_TYPES_MAX; i++) {
        const ProtobufCMessageDescriptor *cached = __atomic_load_n (&s_cache [i].descriptor, __ATOMIC_ACQUIRE);
        if (!cached)
            cached = s_fill (i, descriptor);
        if (cached == descriptor)
            return &s_cache [i];
    }
    assert (false);             //  more message types than a Claim has
    return NULL;
}

//  A step of the path: a field (and index) of the enclosing message. The
//  steps live on the walk's stack; a path is spelled only when asked.
typedef struct _s_step_t {
    const struct _s_step_t *parent;     //  NULL at the Claim
    const ProtobufCFieldDescriptor *field;
    size_t index;                       //  from 1 in a repeated field, else 0
} s_step_t;

struct _element_site_t {
    s_step_t step;              //  the value's own field
    const char *top;            //  the Claim field the value is under, NULL at the top
    const element_limit_t *limit;
};

const element_limit_t *
element_site_limit (const element_site_t *site)
{
    return site->limit;
}

static void
s_spell (const s_step_t *step, char *buf, size_t size)
{
    if (step->parent) {
        s_spell (step->parent, buf, size);
        size_t used = strlen (buf);
        snprintf (buf + used, size - used, ".");
    }
    else
        buf [0] = 0;
    size_t used = strlen (buf);
    if (step->index)
        snprintf (buf + used, size - used, "%s[%zu]", step->field->name, step->index);
    else
        snprintf (buf + used, size - used, "%s", step->field->name);
}

void
element_site_path (const element_site_t *site, char *buf, size_t size)
{
    assert (size > 0);
    s_spell (&site->step, buf, size);
}

void
element_site_element (const element_site_t *site, char *buf, size_t size)
{
    const char *name = site->step.field->name;
    const char *loop = s_loop (site->top, name);
    snprintf (buf, size, "%s%s%s", loop? loop: "", loop? " ": "",
              site->limit? site->limit->element: name);
}

typedef struct {
    element_limits_fn *fn;
    void *arg;
    bool suspect;               //  only the strings element_limits_walk_suspect names
} s_walk_t;

static void s_message (s_walk_t *walk, const ProtobufCMessage *message, const s_step_t *parent, const char *top);

//  One string of a field (the index-th of a repeated one, from 1; 0 when
//  not repeated): to the callback unless empty.
static inline void
s_string (s_walk_t *walk, const s_type_t *type, const s_visit_t *visit, const ProtobufCFieldDescriptor *field,
          const s_step_t *parent, const char *top, size_t index, const char *value)
{
    if (!value || !*value)
        return;
    const element_limit_t *row = type->rows [visit->index];
    if (walk->suspect) {
        const unsigned char *c = (const unsigned char *) value;
        while (*c >= 0x20 && *c < 0x7F)
            c++;
        if (!*c && (!row || (size_t) (c - (const unsigned char *) value) <= row->max))
            return;             //  plain and fits
    }
    element_site_t site = { { parent, field, index }, top, row };
    walk->fn (walk->arg, &site, value);
}

//  One message of a field, walked below the step to it.
static void
s_child (s_walk_t *walk, const ProtobufCFieldDescriptor *field, const s_step_t *parent,
         const char *top, size_t index, const ProtobufCMessage *child)
{
    if (child) {
        s_step_t step = { parent, field, index };
        s_message (walk, child, &step, top? top: field->name);
    }
}

//  The strings are visited here, in line: ~140 fields a claim, half of
//  them empty, went through a call each.
static void
s_message (s_walk_t *walk, const ProtobufCMessage *message, const s_step_t *parent, const char *top)
{
    const s_type_t *type = s_type (message->descriptor);
    const char *base = (const char *) message;
    for (size_t v = 0; v < type->n_visits; v++) {
        const s_visit_t *visit = &type->visits [v];
        const ProtobufCFieldDescriptor *field = &type->descriptor->fields [visit->index];
        if (visit->repeated) {
            size_t count = *(const size_t *) (base + field->quantifier_offset);
            const void *const *items = *(const void *const *const *) (base + field->offset);
            for (size_t n = 0; n < count; n++)
                if (visit->message)
                    s_child (walk, field, parent, top, n + 1, (const ProtobufCMessage *) items [n]);
                else
                    s_string (walk, type, visit, field, parent, top, n + 1, (const char *) items [n]);
        }
        else
        if (visit->message)
            s_child (walk, field, parent, top, 0, *(const ProtobufCMessage *const *) (base + field->offset));
        else
            s_string (walk, type, visit, field, parent, top, 0, *(const char *const *) (base + field->offset));
    }
}

void
element_limits_walk (const Claim *claim, element_limits_fn *fn, void *arg)
{
    assert (claim && fn);
    s_walk_t walk = { fn, arg, false };
    s_message (&walk, &claim->base, NULL, NULL);
}

void
element_limits_walk_suspect (const Claim *claim, element_limits_fn *fn, void *arg)
{
    assert (claim && fn);
    s_walk_t walk = { fn, arg, true };
    s_message (&walk, &claim->base, NULL, NULL);
}
