/*  chunks: see chunks.h. */
#include "chunks.h"
#include "transport.h"
#include "upload.pb-c.h"

int
chunks_request_limit (ctl_t *ctl, const char *service, int64_t *limit)
{
    config_t *config = ctl_config (ctl);
    *limit = TRANSPORT_MAX_REQUEST_DEFAULT;
    if (!config)
        return 0;
    char key [128];
    snprintf (key, sizeof key, "%s/max-request-bytes", service);
    *limit = config_get_int (config, key,
                             config_get_int (config, "api/max-request-bytes", TRANSPORT_MAX_REQUEST_DEFAULT));
    return config_bad_setting (config)? -1: 0;
}

bool
chunks_fits (uint64_t size, int64_t limit)
{
    return limit <= 0 || size + CHUNKS_MARGIN <= (uint64_t) limit;
}

//  One call; its Spool, or NULL with the error printed.
static Spool *
s_call (client_t *client, const chunks_methods_t *methods, const char *method, const void *body,
        const char *path)
{
    Reply *reply = client_call (client, method, body);
    Spool *spool = NULL;
    if (!reply)
        ctl_fail ("%s %s: %s", methods->command, path, client_error (client));
    else
    if (reply->status != STATUS__OK)
        ctl_fail ("%s %s: %s: %s", methods->command, path, codec_status_name (reply->status), reply->message);
    else {
        spool = (Spool *) codec_decode (&spool__descriptor, reply->body.data, reply->body.len);
        if (!spool)
            ctl_fail ("%s %s: the reply to %s is not an upload's state", methods->command, path, method);
    }
    codec_free (reply);
    return spool;
}

char *
chunks_send (client_t *client, const chunks_methods_t *methods, FILE *input, const char *path,
             const char *name, uint64_t size, int64_t limit, bool show, uint64_t *sent)
{
    size_t chunk_size = CHUNKS_MAX_BYTES;
    if (limit > 0 && (int64_t) chunk_size > limit - CHUNKS_MARGIN)
        chunk_size = limit > 2 * CHUNKS_MARGIN? (size_t) (limit - CHUNKS_MARGIN): CHUNKS_MARGIN;
    *sent = 0;
    UploadBegin begin = UPLOAD_BEGIN__INIT;
    begin.filename = (char *) name;
    begin.size = size;
    Spool *spool = s_call (client, methods, methods->begin, &begin, path);
    char *upload_id = spool? strdup (spool->upload_id): NULL;
    codec_free (spool);
    uint8_t *buffer = (uint8_t *) malloc (chunk_size);
    bool ok = upload_id != NULL;
    while (ok) {
        size_t count = fread (buffer, 1, chunk_size, input);
        if (count == 0) {
            if (ferror (input))
                ok = !ctl_fail ("%s: cannot read %s: %s", methods->command, path, strerror (errno));
            break;
        }
        UploadChunk chunk = UPLOAD_CHUNK__INIT;
        chunk.upload_id = upload_id;
        chunk.offset = *sent;
        chunk.data.data = buffer;
        chunk.data.len = count;
        spool = s_call (client, methods, methods->chunk, &chunk, path);
        ok = spool != NULL;
        codec_free (spool);
        *sent += count;
        if (show && size)
            fprintf (stderr, "\r%s: sent %" PRIu64 " MB (%.0f%%)   ", path, *sent >> 20,
                     100.0 * (double) *sent / (double) size);
        else
        if (show)
            fprintf (stderr, "\r%s: sent %" PRIu64 " MB   ", path, *sent >> 20);
        if (show)
            fflush (stderr);
    }
    free (buffer);
    if (ok && *sent == 0)
        ok = !ctl_fail ("%s: %s is empty", methods->command, path);
    if (!ok && upload_id) {
        //  Free the staged file and our upload slot now, not when the
        //  service finds the upload idle.
        UploadId id = UPLOAD_ID__INIT;
        id.upload_id = upload_id;
        client_set_retries (client, 0);
        client_set_timeout (client, 2000);
        codec_free (client_call (client, methods->abort, &id));
    }
    if (!ok)
        zstr_free (&upload_id);
    return upload_id;
}
