/*  note: see note.h. Base64 is the standard alphabet with padding
    (libsodium's ORIGINAL variant), as Go's encoding/base64.StdEncoding.
*/
#include "note.h"
#include "sha256.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#define NOTE_ALG_ED25519 0x01
#define NOTE_DASH "\xe2\x80\x94 "       //  U+2014 and a space
#define NOTE_MAX_SIGNATURES 100
#define B64 sodium_base64_VARIANT_ORIGINAL

struct _note_signer_t {
    char *name;
    uint32_t hash;
    uint8_t public_key [crypto_sign_PUBLICKEYBYTES];
    uint8_t *secret_key;                //  sodium_malloc'd
};

struct _note_verifier_t {
    char *name;
    uint32_t hash;
    uint8_t public_key [crypto_sign_PUBLICKEYBYTES];
};

static void
s_error (char *error, size_t error_size, const char *format, ...)
{
    if (!error || !error_size)
        return;
    va_list args;
    va_start (args, format);
    vsnprintf (error, error_size, format, args);
    va_end (args);
}

bool
note_name_valid (const char *name)
{
    if (!name || !*name)
        return false;
    for (const unsigned char *c = (const unsigned char *) name; *c; c++)
        if (*c <= ' ' || *c == '+' || *c == 0x7f)
            return false;
    return true;
}

uint32_t
note_key_hash (const char *name, const uint8_t public_key [32])
{
    sha256_state_t state;
    uint8_t digest [SHA256_BYTES];
    static const uint8_t tail [2] = { '\n', NOTE_ALG_ED25519 };
    sha256_init (&state);
    sha256_update (&state, name, strlen (name));
    sha256_update (&state, tail, sizeof tail);
    sha256_update (&state, public_key, 32);
    sha256_final (&state, digest);
    return (uint32_t) digest [0] << 24 | (uint32_t) digest [1] << 16
         | (uint32_t) digest [2] << 8 | digest [3];
}

static char *
s_base64 (const uint8_t *data, size_t size)
{
    size_t length = sodium_base64_ENCODED_LEN (size, B64);
    char *text = (char *) malloc (length);
    sodium_bin2base64 (text, length, data, size, B64);
    return text;
}

//  Decodes all of text (length bytes) into out: the decoded size, or -1.
static long
s_unbase64 (const char *text, size_t length, uint8_t *out, size_t max)
{
    size_t size;
    const char *end;
    if (length == 0
    ||  sodium_base642bin (out, max, text, length, NULL, &size, &end, B64) != 0
    ||  end != text + length)
        return -1;
    return (long) size;
}

//  "<name>+<hash>+<base64>": the parts of a key's text, with a copy of the
//  name. -1 when it does not split so.
static int
s_key_parts (const char *key, char **name_p, uint32_t *hash, uint8_t *data, size_t data_size,
             char *error, size_t error_size)
{
    const char *plus1 = strchr (key, '+');
    const char *plus2 = plus1? strchr (plus1 + 1, '+'): NULL;
    if (!plus1 || !plus2 || plus2 - plus1 != 9) {
        s_error (error, error_size, "key is not <name>+<8 hex digits>+<base64 key>");
        return -1;
    }
    char *name = strndup (key, (size_t) (plus1 - key));
    char hex [9];
    memcpy (hex, plus1 + 1, 8);
    hex [8] = 0;
    char *end;
    unsigned long value = strtoul (hex, &end, 16);
    bool hex_ok = *end == 0 && strspn (hex, "0123456789abcdef") == 8;
    long size = s_unbase64 (plus2 + 1, strlen (plus2 + 1), data, data_size);
    if (!note_name_valid (name) || !hex_ok || size != (long) data_size || data [0] != NOTE_ALG_ED25519) {
        s_error (error, error_size, "key '%s' is not <name>+<8 lowercase hex digits>+<base64 of an "
                 "Ed25519 key>", name);
        free (name);
        return -1;
    }
    *name_p = name;
    *hash = (uint32_t) value;
    return 0;
}

char *
note_key_generate (const char *name)
{
    if (!note_name_valid (name) || sodium_init () < 0)
        return NULL;
    uint8_t seed [1 + crypto_sign_SEEDBYTES];
    seed [0] = NOTE_ALG_ED25519;
    randombytes_buf (seed + 1, crypto_sign_SEEDBYTES);
    uint8_t public_key [crypto_sign_PUBLICKEYBYTES], secret_key [crypto_sign_SECRETKEYBYTES];
    crypto_sign_seed_keypair (public_key, secret_key, seed + 1);
    char *encoded = s_base64 (seed, sizeof seed);
    size_t length = strlen (name) + strlen (encoded) + 32;
    char *key = (char *) malloc (length);
    snprintf (key, length, "PRIVATE+KEY+%s+%08" PRIx32 "+%s", name,
              note_key_hash (name, public_key), encoded);
    sodium_memzero (seed, sizeof seed);
    sodium_memzero (secret_key, sizeof secret_key);
    sodium_memzero (encoded, strlen (encoded));
    free (encoded);
    return key;
}

note_signer_t *
note_signer_new (const char *key, char *error, size_t error_size)
{
    static const char prefix [] = "PRIVATE+KEY+";
    if (sodium_init () < 0) {
        s_error (error, error_size, "libsodium cannot start");
        return NULL;
    }
    if (strncmp (key, prefix, strlen (prefix)) != 0) {
        s_error (error, error_size, "signer key does not begin with %s", prefix);
        return NULL;
    }
    uint8_t seed [1 + crypto_sign_SEEDBYTES];
    char *name;
    uint32_t hash;
    if (s_key_parts (key + strlen (prefix), &name, &hash, seed, sizeof seed, error, error_size))
        return NULL;
    note_signer_t *self = (note_signer_t *) calloc (1, sizeof (note_signer_t));
    self->name = name;
    self->secret_key = (uint8_t *) sodium_malloc (crypto_sign_SECRETKEYBYTES);
    crypto_sign_seed_keypair (self->public_key, self->secret_key, seed + 1);
    sodium_memzero (seed, sizeof seed);
    self->hash = note_key_hash (name, self->public_key);
    if (self->hash != hash) {
        s_error (error, error_size, "signer key '%s': its hash %08" PRIx32 " is not its key's %08" PRIx32,
                 name, hash, self->hash);
        note_signer_destroy (&self);
    }
    return self;
}

void
note_signer_destroy (note_signer_t **self_p)
{
    note_signer_t *self = *self_p;
    if (self) {
        sodium_free (self->secret_key);
        free (self->name);
        free (self);
        *self_p = NULL;
    }
}

const char *
note_signer_name (note_signer_t *self)
{
    return self->name;
}

static char *
s_verifier_text (const char *name, uint32_t hash, const uint8_t public_key [32])
{
    uint8_t data [1 + crypto_sign_PUBLICKEYBYTES];
    data [0] = NOTE_ALG_ED25519;
    memcpy (data + 1, public_key, crypto_sign_PUBLICKEYBYTES);
    char *encoded = s_base64 (data, sizeof data);
    size_t length = strlen (name) + strlen (encoded) + 16;
    char *key = (char *) malloc (length);
    snprintf (key, length, "%s+%08" PRIx32 "+%s", name, hash, encoded);
    free (encoded);
    return key;
}

char *
note_signer_verifier_key (note_signer_t *self)
{
    return s_verifier_text (self->name, self->hash, self->public_key);
}

//  A note's text: non-empty, ends in a newline, no control character but
//  the newlines.
static bool
s_text_valid (const char *text, size_t size)
{
    if (size == 0 || text [size - 1] != '\n')
        return false;
    for (size_t i = 0; i < size; i++) {
        unsigned char c = (unsigned char) text [i];
        if ((c < ' ' && c != '\n') || c == 0x7f)
            return false;
    }
    return true;
}

char *
note_sign (note_signer_t *self, const char *text, char *error, size_t error_size)
{
    size_t size = strlen (text);
    if (!s_text_valid (text, size)) {
        s_error (error, error_size, "a note's text is not empty, ends in a newline and holds no control character");
        return NULL;
    }
    uint8_t signature [4 + crypto_sign_BYTES];
    signature [0] = (uint8_t) (self->hash >> 24);
    signature [1] = (uint8_t) (self->hash >> 16);
    signature [2] = (uint8_t) (self->hash >> 8);
    signature [3] = (uint8_t) self->hash;
    crypto_sign_detached (signature + 4, NULL, (const uint8_t *) text, size, self->secret_key);
    char *encoded = s_base64 (signature, sizeof signature);
    size_t length = size + strlen (self->name) + strlen (encoded) + 16;
    char *note = (char *) malloc (length);
    snprintf (note, length, "%s\n" NOTE_DASH "%s %s\n", text, self->name, encoded);
    free (encoded);
    return note;
}

note_verifier_t *
note_verifier_new (const char *key, char *error, size_t error_size)
{
    uint8_t data [1 + crypto_sign_PUBLICKEYBYTES];
    char *name;
    uint32_t hash;
    if (s_key_parts (key, &name, &hash, data, sizeof data, error, error_size))
        return NULL;
    note_verifier_t *self = (note_verifier_t *) calloc (1, sizeof (note_verifier_t));
    self->name = name;
    self->hash = hash;
    memcpy (self->public_key, data + 1, crypto_sign_PUBLICKEYBYTES);
    if (note_key_hash (name, self->public_key) != hash) {
        s_error (error, error_size, "verifier key '%s': its hash %08" PRIx32 " is not its key's", name, hash);
        note_verifier_destroy (&self);
    }
    return self;
}

void
note_verifier_destroy (note_verifier_t **self_p)
{
    note_verifier_t *self = *self_p;
    if (self) {
        free (self->name);
        free (self);
        *self_p = NULL;
    }
}

const char *
note_verifier_name (note_verifier_t *self)
{
    return self->name;
}

int
note_open (note_verifier_t *verifier, const char *message, size_t size,
           char **text_p, char *error, size_t error_size)
{
    *text_p = NULL;
    //  The text ends at the last blank line; signatures follow it.
    const char *split = NULL;
    for (size_t i = 1; i < size; i++)
        if (message [i - 1] == '\n' && message [i] == '\n')
            split = message + i;
    if (!split || memchr (message, 0, size)) {
        s_error (error, error_size, "malformed note: no blank line before its signatures");
        return -1;
    }
    size_t text_size = (size_t) (split - message);
    if (!s_text_valid (message, text_size)) {
        s_error (error, error_size, "malformed note: its text holds a control character");
        return -1;
    }
    const char *line = split + 1, *end = message + size;
    if (line == end) {
        s_error (error, error_size, "malformed note: no signature lines");
        return -1;
    }
    bool verified = false;
    size_t lines = 0;
    while (line < end) {
        const char *newline = memchr (line, '\n', (size_t) (end - line));
        const size_t dash = strlen (NOTE_DASH);
        if (!newline || ++lines > NOTE_MAX_SIGNATURES
        ||  (size_t) (newline - line) < dash || memcmp (line, NOTE_DASH, dash) != 0) {
            s_error (error, error_size, "malformed note: signature line %zu is not '— <name> <base64>'", lines);
            return -1;
        }
        const char *name = line + dash;
        const char *space = memchr (name, ' ', (size_t) (newline - name));
        uint8_t signature [256];
        long signature_size = space? s_unbase64 (space + 1, (size_t) (newline - space - 1),
                                                 signature, sizeof signature): -1;
        if (!space || space == name || signature_size < 5) {
            s_error (error, error_size, "malformed note: signature line %zu is not '— <name> <base64>'", lines);
            return -1;
        }
        uint32_t hash = (uint32_t) signature [0] << 24 | (uint32_t) signature [1] << 16
                      | (uint32_t) signature [2] << 8 | signature [3];
        if ((size_t) (space - name) == strlen (verifier->name)
        &&  memcmp (name, verifier->name, (size_t) (space - name)) == 0 && hash == verifier->hash) {
            if (signature_size != 4 + crypto_sign_BYTES
            ||  crypto_sign_verify_detached (signature + 4, (const uint8_t *) message, text_size,
                                             verifier->public_key) != 0) {
                s_error (error, error_size, "invalid signature for key %s+%08" PRIx32, verifier->name, hash);
                return -1;
            }
            verified = true;
        }
        line = newline + 1;
    }
    if (!verified) {
        s_error (error, error_size, "note has no signature by %s+%08" PRIx32, verifier->name, verifier->hash);
        return -1;
    }
    *text_p = strndup (message, text_size);
    return 0;
}

char *
note_checkpoint_text (const char *origin, uint64_t size, const uint8_t root [32],
                      const char *const *extensions)
{
    char *encoded = s_base64 (root, 32);
    size_t length = strlen (origin) + strlen (encoded) + 32;
    for (size_t i = 0; extensions && extensions [i]; i++)
        length += strlen (extensions [i]) + 1;
    char *text = (char *) malloc (length);
    int at = snprintf (text, length, "%s\n%" PRIu64 "\n%s\n", origin, size, encoded);
    for (size_t i = 0; extensions && extensions [i]; i++)
        at += snprintf (text + at, length - (size_t) at, "%s\n", extensions [i]);
    free (encoded);
    return text;
}

int
note_checkpoint_parse (const char *text, char *origin, size_t origin_size,
                       uint64_t *size, uint8_t root [32], char *error, size_t error_size)
{
    const char *lines [3];
    size_t lengths [3];
    const char *at = text;
    for (int i = 0; i < 3; i++) {
        const char *newline = strchr (at, '\n');
        if (!newline) {
            s_error (error, error_size, "checkpoint has %d lines, not at least 3 (origin, size, root)", i);
            return -1;
        }
        lines [i] = at;
        lengths [i] = (size_t) (newline - at);
        at = newline + 1;
    }
    if (lengths [0] == 0 || lengths [0] >= origin_size) {
        s_error (error, error_size, "checkpoint line 1: the origin is empty or too long");
        return -1;
    }
    memcpy (origin, lines [0], lengths [0]);
    origin [lengths [0]] = 0;
    //  Decimal, no sign, no leading zero: one text per size.
    bool digits = lengths [1] > 0 && lengths [1] <= 20 && strspn (lines [1], "0123456789") >= lengths [1]
               && !(lines [1][0] == '0' && lengths [1] > 1);
    char number [24] = "";
    if (digits)
        memcpy (number, lines [1], lengths [1]);
    errno = 0;
    unsigned long long value = digits? strtoull (number, NULL, 10): 0;
    if (!digits || errno) {
        s_error (error, error_size, "checkpoint line 2: '%.*s' is not a tree size in decimal",
                 (int) (lengths [1] > 30? 30: lengths [1]), lines [1]);
        return -1;
    }
    *size = value;
    if (s_unbase64 (lines [2], lengths [2], root, 32) != 32) {
        s_error (error, error_size, "checkpoint line 3: not the base64 of a 32-byte root hash");
        return -1;
    }
    for (const char *line = at; *line; ) {
        const char *newline = strchr (line, '\n');
        if (!newline || newline == line) {
            s_error (error, error_size, "checkpoint: an extension line is empty or has no newline");
            return -1;
        }
        line = newline + 1;
    }
    return 0;
}
