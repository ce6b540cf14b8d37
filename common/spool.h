/*  spool: a file larger than one request (api/max-request-bytes), received
    in chunks into the service's data folder, then handed whole to the call
    that consumes it.

        <svc>.UploadBegin   UploadBegin -> Spool    declared size; an id
        <svc>.UploadChunk   UploadChunk -> Spool    bytes at an offset
        <svc>.UploadAbort   UploadId -> Spool       the file goes now
        then the service's own method names the upload id instead of
        carrying the content (claims.Post, claims.Acknowledge: FileRequest
        upload_id), opens the spooled file with spool_call_open, and the
        file is removed once that call commits.

    One spool object per service, owned by its loop's thread; nothing here
    touches the store, so a service's handlers stay what they were and only
    read a file instead of a buffer. Chunks are written at their offset
    (pwrite), so a resent chunk lands on itself; a chunk may not leave a
    hole (offset past what was received) nor run past the declared size.
    The file is complete when every declared byte has arrived.

    Limits, read from <svc>/... settings (docs/configuration.md):
        <svc>/upload-dir            the folder (<data/dir>/<svc>-uploads), 0700,
                                    emptied at start: nothing spooled
                                    survives a restart
        <svc>/uploads-per-caller    open spools of one identity (2)
        <svc>/uploads-max           open spools of all callers (16)
        <svc>/upload-max-bytes      the largest file (4 GiB)
        <svc>/uploads-total-bytes   declared bytes of all open spools (8 GiB)
        <svc>/upload-idle-seconds   a spool nobody touched for this long is
                                    removed (600)
    An upload belongs to the identity that began it; another one is refused
    naming the id. Every refusal names the upload id and what is wrong, and
    changes nothing of the spool.

    A spool's id is a hash of the caller's key and the UploadBegin request
    id, so the same request run again (a resend, a call run again after the
    store's map grew) finds the spool it made instead of opening another.
*/
#ifndef RCMQ_SPOOL_H
#define RCMQ_SPOOL_H

#include "config.h"
#include "server.h"
#include "upload.pb-c.h"

typedef struct _spool_t spool_t;

#define SPOOL_PER_CALLER_DEFAULT    2
#define SPOOL_MAX_OPEN_DEFAULT      16
#define SPOOL_MAX_BYTES_DEFAULT     (4LL << 30)
#define SPOOL_TOTAL_BYTES_DEFAULT   (8LL << 30)
#define SPOOL_IDLE_S_DEFAULT        600

//  The spool of service (the settings' prefix and the messages' name),
//  in its folder, which is made and emptied. NULL with the reason in error
//  when the folder cannot be made or a setting is not a number.
spool_t    *spool_new (config_t *config, const char *service, char *error, size_t size);
void        spool_destroy (spool_t **self_p);
//  Removes idle spools once a second on loop.
int         spool_attach (spool_t *self, zloop_t *loop);
//  Removes the spools untouched since before now_ms - idle (monotonic ms);
//  the timer's work, callable from tests. Returns how many it removed.
size_t      spool_expire (spool_t *self, uint64_t now_ms);
//  Open spools, and their files' bytes received, all callers together.
size_t      spool_open_count (spool_t *self);
uint64_t    spool_open_bytes (spool_t *self);

//  The operations, apart from any request (unit tests call them). caller
//  is the identity's name, token what makes the id (the caller's key and
//  request id). Each returns STATUS__OK with info filled (its strings are
//  the spool's, valid until the next call), or a status with the reason in
//  error, which names the upload id when there is one.
Status      spool_begin (spool_t *self, const char *caller, const char *token, const char *filename,
                         uint64_t size, Spool *info, char *error, size_t error_size);
Status      spool_chunk (spool_t *self, const char *caller, const char *id, uint64_t offset,
                         const uint8_t *data, size_t length, Spool *info, char *error, size_t error_size);
Status      spool_abort (spool_t *self, const char *caller, const char *id, Spool *info,
                         char *error, size_t error_size);
//  The path of the caller's complete spool id (valid while it is there).
Status      spool_path (spool_t *self, const char *caller, const char *id, const char **path,
                        Spool *info, char *error, size_t error_size);
//  Removes spool id and its file (a call consumed it).
void        spool_remove (spool_t *self, const char *id);

//  The method handlers' bodies: a service's table rows call them with its
//  spool (NULL answers UNAVAILABLE). They decode nothing themselves: the
//  row's request type is UploadBegin, UploadChunk, UploadId.
int         spool_call_begin (spool_t *self, server_call_t *call);
int         spool_call_chunk (spool_t *self, server_call_t *call);
int         spool_call_abort (spool_t *self, server_call_t *call);
//  For the method that consumes a spool: the caller's complete spooled
//  file id, opened for reading, and its file name (the spool's, valid
//  during the call); the spool is removed after the call commits, and
//  stays when it does not (the call may be run again). NULL with the call
//  failed (method names it) when there is no such complete spool of the
//  caller's.
FILE       *spool_call_open (spool_t *self, server_call_t *call, const char *id, const char **filename);

#endif
