/*  note: C2SP signed notes (Ed25519) and tlog checkpoints, the formats
    that Go's golang.org/x/mod/sumdb/note and sumdb/tlog, Sigstore and the
    transparency-dev witnesses read.

    A signed note is its text (non-empty, ending in a newline), a blank
    line, and one line per signature:

        — <name> <base64(key hash ‖ signature)>

    (U+2014 EM DASH, a space, the key's name, a space). The key hash is
    the first 4 bytes, big-endian, of SHA-256(name ‖ "\n" ‖ 0x01 ‖ the
    Ed25519 public key); 0x01 is the Ed25519 algorithm byte. The signature
    is Ed25519 over the text (newline included, blank line excluded).

    Keys are text, as Go writes them:
        verifier  <name>+<8 hex digits of the hash>+<base64(0x01 ‖ public key)>
        signer    PRIVATE+KEY+<name>+<hash>+<base64(0x01 ‖ 32-byte seed)>

    A tlog checkpoint is a note text of three lines and optional extension
    lines: the log's origin, the tree size in decimal, the base64 root
    hash, then non-empty lines a reader that does not know them ignores.
*/
#ifndef RCMQ_NOTE_H
#define RCMQ_NOTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct _note_signer_t note_signer_t;
typedef struct _note_verifier_t note_verifier_t;

//  True for a key name: non-empty, printable, no '+' and no blank.
bool             note_name_valid (const char *name);
//  The key hash of name and a 32-byte Ed25519 public key.
uint32_t         note_key_hash (const char *name, const uint8_t public_key [32]);

//  A new random signer key's text for name (free it, after
//  sodium_memzero), or NULL for a name that is not valid.
char            *note_key_generate (const char *name);
//  Reads a signer key's text. NULL with error saying what is wrong.
note_signer_t   *note_signer_new (const char *key, char *error, size_t error_size);
void             note_signer_destroy (note_signer_t **self_p);
const char      *note_signer_name (note_signer_t *self);
//  The verifier key text for this signer (free it).
char            *note_signer_verifier_key (note_signer_t *self);
//  The signed note of text (free it), or NULL with error when text is not
//  a note's text (empty, not ending in a newline, a control character).
char            *note_sign (note_signer_t *self, const char *text, char *error, size_t error_size);

//  Reads a verifier key's text. NULL with error saying what is wrong.
note_verifier_t *note_verifier_new (const char *key, char *error, size_t error_size);
void             note_verifier_destroy (note_verifier_t **self_p);
const char      *note_verifier_name (note_verifier_t *self);
//  Checks that the signed note message (size bytes) carries a valid
//  signature by verifier's key: 0 with its text in *text_p (free it), or
//  -1 with error (malformed, no signature by this key, a signature by
//  this key that does not verify). Signatures by other keys are ignored.
int              note_open (note_verifier_t *verifier, const char *message, size_t size,
                            char **text_p, char *error, size_t error_size);

//  The text of a checkpoint (free it): origin, size, base64 root, then the
//  extension lines (NULL-terminated, may be NULL), each ending in "\n".
char            *note_checkpoint_text (const char *origin, uint64_t size, const uint8_t root [32],
                                       const char *const *extensions);
//  Reads a checkpoint's text: its origin (copied into origin), size and
//  root; extension lines are passed over. 0, or -1 with error naming the
//  line that is wrong.
int              note_checkpoint_parse (const char *text, char *origin, size_t origin_size,
                                        uint64_t *size, uint8_t root [32],
                                        char *error, size_t error_size);

#endif
