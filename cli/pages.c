/*  pages: see pages.h. The reply's rows are moved, not copied: every
    message here was decoded with protobuf-c's default allocator, so a row
    pointer taken from one page's array and freed with the merged reply is
    freed once, by the same free.
*/
#include "pages.h"
#include "codec.h"

//  The one repeated message field of a list reply (as the server's
//  server_call_reply_page finds it).
static const ProtobufCFieldDescriptor *
s_rows_field (const ProtobufCMessageDescriptor *type)
{
    const ProtobufCFieldDescriptor *rows = NULL;
    for (unsigned i = 0; i < type->n_fields; i++)
        if (type->fields [i].label == PROTOBUF_C_LABEL_REPEATED && type->fields [i].type == PROTOBUF_C_TYPE_MESSAGE)
            rows = &type->fields [i];
    return rows;
}

static const ProtobufCFieldDescriptor *
s_next_field (const ProtobufCMessageDescriptor *type)
{
    const ProtobufCFieldDescriptor *next = protobuf_c_message_descriptor_get_field_by_name (type, "next_after");
    return next? next: protobuf_c_message_descriptor_get_field_by_name (type, "next");
}

const char *
pages_next_after (const ProtobufCMessage *reply)
{
    const ProtobufCFieldDescriptor *next = s_next_field (reply->descriptor);
    const char *text = next? *(char *const *) ((const char *) reply + next->offset): NULL;
    return text? text: "";
}

int
pages_call_all (ctl_t *ctl, const char *name, const char *method, ProtobufCMessage *request,
                const ProtobufCMessageDescriptor *reply_type, void **reply_body)
{
    const ProtobufCFieldDescriptor *after_field =
        protobuf_c_message_descriptor_get_field_by_name (request->descriptor, "after");
    const ProtobufCFieldDescriptor *rows = s_rows_field (reply_type);
    const ProtobufCFieldDescriptor *next = s_next_field (reply_type);
    assert (after_field && after_field->type == PROTOBUF_C_TYPE_STRING && rows && next);
    char **after_p = (char **) ((char *) request + after_field->offset);
    char *given = *after_p;
    *reply_body = NULL;
    ProtobufCMessage *all = NULL;
    char *after = strdup (given? given: "");
    int rc = CTL_OK;
    while (true) {
        *after_p = after;
        ProtobufCMessage *page = NULL;
        rc = ctl_call (ctl, name, method, request, reply_type, (void **) &page);
        if (rc != CTL_OK)
            break;
        free (after);
        after = strdup (pages_next_after (page));
        if (!all)
            all = page;
        else {
            //  This page's rows go to the end of the first's.
            size_t *all_count = (size_t *) ((char *) all + rows->quantifier_offset);
            void ***all_rows = (void ***) ((char *) all + rows->offset);
            size_t *count = (size_t *) ((char *) page + rows->quantifier_offset);
            void ***page_rows = (void ***) ((char *) page + rows->offset);
            *all_rows = (void **) realloc (*all_rows, (*all_count + *count + 1) * sizeof (void *));
            assert (*all_rows);
            memcpy (*all_rows + *all_count, *page_rows, *count * sizeof (void *));
            *all_count += *count;
            *count = 0;
            codec_free (page);
        }
        if (!*after)
            break;
    }
    *after_p = given;
    free (after);
    if (rc != CTL_OK) {
        codec_free (all);
        return rc;
    }
    //  The whole list has no next page.
    codec_set_text ((char **) ((char *) all + next->offset), "");
    *reply_body = all;
    return CTL_OK;
}
