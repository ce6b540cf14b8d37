/*  chunks: a file sent to a service in pieces that each fit one request
    (api/max-request-bytes), for the commands whose files can be larger
    than that: `intake submit` (intake.Upload*, then its commit) and
    `claims ack` / `claims post` (claims.Upload*, then the file's call
    naming the upload). Both services take the same requests (upload.proto:
    UploadBegin, UploadChunk, UploadId) and answer the first two with a
    Spool or a message whose first fields are a Spool's (intake's Upload),
    so one loop serves both; what follows the last chunk is the command's.
*/
#ifndef RCMQ_CLI_CHUNKS_H
#define RCMQ_CLI_CHUNKS_H

#include "ctl.h"

//  Room for the Request and UploadChunk around a chunk's bytes.
#define CHUNKS_MARGIN       4096
//  A chunk's bytes when the limit allows more (fewer, larger requests
//  block the service's loop longer each).
#define CHUNKS_MAX_BYTES    (4u << 20)

typedef struct {
    const char *command;        //  "intake submit": what errors start with
    const char *begin;          //  "intake.UploadBegin"
    const char *chunk;          //  "intake.UploadChunk"
    const char *abort;          //  "intake.UploadAbort"
} chunks_methods_t;

//  The request limit service was given, read from the same keys it reads
//  (<service>/max-request-bytes, else api/max-request-bytes), so what
//  rcmqctl sends fits it: 0, or -1 when the setting is not a number
//  (config_bad_setting says which).
int   chunks_request_limit (ctl_t *ctl, const char *service, int64_t *limit);
//  True when a file of size bytes fits one request under limit.
bool  chunks_fits (uint64_t size, int64_t limit);
//  Sends input (path names it in messages, name is the file name the
//  service records, size its bytes or 0 when unknown) with methods->begin,
//  then methods->chunk for each piece of at most what limit allows, showing
//  what was sent on stderr when show. Returns the upload id (to free) and
//  the bytes sent in *sent; NULL with the error printed when a call failed,
//  the input could not be read or was empty, and then the upload is
//  aborted (best effort: the service may be gone).
char *chunks_send (client_t *client, const chunks_methods_t *methods, FILE *input, const char *path,
                   const char *name, uint64_t size, int64_t limit, bool show, uint64_t *sent);

#endif
