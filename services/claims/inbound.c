/*  inbound: see inbound.h. */
#include "inbound.h"

#include <malloc.h>
#include <sys/stat.h>

int
inbound_open (server_call_t *call, inbound_t *in)
{
    const FileRequest *request = (const FileRequest *) call->body;
    memset (in, 0, sizeof *in);
    const char *method = call->request->method;
    if (*request->upload_id && request->content.len) {
        server_call_fail (call, STATUS__INVALID_ARGUMENT, "%s: %s: give the file's content or an upload id, not both",
                          method, request->filename);
        return -1;
    }
    if (!*request->upload_id) {
        in->reader = x12_reader_new_buffer (request->content.data, request->content.len);
        in->filename = request->filename;
        in->bytes = request->content.len;
        return 0;
    }
    const char *spooled;
    in->file = spool_call_open (claims_state (call)->spool, call, request->upload_id, &spooled);
    if (!in->file)
        return -1;
    struct stat info;
    in->bytes = fstat (fileno (in->file), &info) == 0? (uint64_t) info.st_size: 0;
    in->filename = *request->filename? request->filename: spooled;
    in->reader = x12_reader_new_file (in->file);
    return 0;
}

//  Hands the freed pages of a large file's parse back to the system.
static void
s_trim (void *arg)
{
    malloc_trim (0);
}

void
inbound_close (server_call_t *call, inbound_t *in)
{
    x12_reader_destroy (&in->reader);
    if (in->file)
        fclose (in->file);
    in->file = NULL;
    if (in->bytes >= INBOUND_TRIM_BYTES)
        server_call_on_commit (call, s_trim, NULL);
}

static int
s_begin (server_call_t *call)
{
    return spool_call_begin (claims_state (call)->spool, call);
}

static int
s_chunk (server_call_t *call)
{
    return spool_call_chunk (claims_state (call)->spool, call);
}

static int
s_abort (server_call_t *call)
{
    return spool_call_abort (claims_state (call)->spool, call);
}

//  A 277CA or 835 answers for claims of every queue: internal, as
//  claims.Acknowledge and claims.Post are, and with their permission.
const server_method_t inbound_methods [] = {
    SERVER_INTERNAL_METHOD (claims, UploadBegin, post, &upload_begin__descriptor, s_begin),
    SERVER_INTERNAL_METHOD (claims, UploadChunk, post, &upload_chunk__descriptor, s_chunk),
    SERVER_INTERNAL_METHOD (claims, UploadAbort, post, &upload_id__descriptor,    s_abort),
    { NULL }
};
