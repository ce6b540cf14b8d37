/*  outbound: the folder of 837P files for the clearinghouse, and the
    register of what went out, kept beside the files.

    The claims store says which claims are submitted, but a store restored
    from an older copy forgets what was sent since: its claims are ready
    again and its control numbers start over, so the next submit sent
    them twice and reused file names. The register is an append-only text
    file in the outbound folder (".rcmq-sent"), one line per claim sent:

        <control> TAB <file> TAB <PCN> TAB <frequency> TAB <digest hex>

    where the digest is phi_digest of the claim as sent (no PHI in the
    register). From it the service takes its next control number (so a
    file name never repeats: names carry it), and a store whose control
    number is behind the register's learns which claims were sent after
    its copy was made. A file is written only once, never over another
    (files_write_new), and a stored submission already in the register is
    not written again even when a transfer agent has taken its file away.
*/
#ifndef RCMQ_CLAIMS_OUTBOUND_H
#define RCMQ_CLAIMS_OUTBOUND_H

#include "claims.pb-c.h"

#include <czmq.h>

typedef struct _outbound_t outbound_t;

//  Opens the folder (made 0700 when missing) and reads the register's
//  last control number. NULL with a reason in error.
outbound_t *outbound_new (const char *dir, char *error, size_t error_size);
void        outbound_destroy (outbound_t **self_p);
const char *outbound_dir (outbound_t *self);
//  The highest control number the register holds (0 for none).
uint32_t    outbound_last_control (outbound_t *self);
//  What the register holds of files with a control number above after:
//  keys "<pcn>" and "<pcn>\t<frequency>\t<digest hex>", each mapped to the
//  file that sent it. Destroy with zhashx_destroy. NULL when the register
//  cannot be read (error says why).
zhashx_t   *outbound_sent_since (outbound_t *self, uint32_t after, char *error, size_t error_size);
//  True when path names a file there now, or the register holds the name.
bool        outbound_taken (outbound_t *self, const char *filename);
//  Writes a submission's file (content is the 837P text) and registers its
//  claims. Returns 0 (also when the same bytes were already there, as after
//  a crash between the two steps), FILES_EXISTS when another file has the
//  name (it is left untouched), or -1 with a reason in error.
int         outbound_send (outbound_t *self, const Submission *submission, const uint8_t *content,
                           size_t size, char *error, size_t error_size);
//  Digest in hex (2 * 32 + 1 bytes).
void        outbound_digest_hex (const uint8_t *digest, size_t size, char *hex);

#endif
