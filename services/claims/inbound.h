/*  inbound: the 277CA and 835 files claims.Acknowledge and claims.Post
    read, whole in the request (content) or spooled in chunks beforehand
    (upload_id: claims.UploadBegin / UploadChunk / UploadAbort, common/spool.h).

        claims.UploadBegin  UploadBegin -> Spool   claims.post
        claims.UploadChunk  UploadChunk -> Spool   claims.post
        claims.UploadAbort  UploadId -> Spool      claims.post

    Either way the handler gets one X12 reader and applies the file exactly
    as before: whole or not at all, the same duplicate detection, the same
    reply. A spooled file is removed once the call that read it commits.
*/
#ifndef RCMQ_CLAIMS_INBOUND_H
#define RCMQ_CLAIMS_INBOUND_H

#include "claims.h"
#include "x12.h"

//  From this many bytes on, a file leaves the heap trimmed after its call
//  (malloc_trim): glibc keeps its high mark otherwise (on purpose since ADR
//  79, memory_init), and the parse of a large file holds every claim of it
//  at once — at 1M claims a 167k-claim 835. The one place a process gives
//  pages back: claims' largest peak is not held once the file is done, for
//  the faults of the next large file (18-20 K in a 100k post).
#define INBOUND_TRIM_BYTES  (1u << 20)

typedef struct {
    x12_reader_t *reader;
    const char *filename;       //  the request's, else the spool's
    uint64_t bytes;
    FILE *file;                 //  a spooled file, or NULL
} inbound_t;

//  Opens the file of the call's request (a FileRequest: the method's row
//  says so) for reading: 0 with in filled, or -1 with the call failed (no
//  content and no upload, both, or no such complete upload of the caller's).
int  inbound_open (server_call_t *call, inbound_t *in);
//  Done reading; the heap is trimmed after the call when the file was large.
void inbound_close (server_call_t *call, inbound_t *in);

extern const server_method_t inbound_methods [];

#endif
