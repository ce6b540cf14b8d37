/*  phi: see phi.h. Key material lives in sodium_malloc'd memory (guarded,
    locked, zeroed on free); the blind-index key is derived from the PHI key
    with crypto_kdf so one file holds one secret.

    Nonces (docs/adr/0047): XChaCha20-Poly1305 needs a nonce never used
    twice under one key. Each loaded key draws a random 16-byte prefix once
    and counts the last 8 bytes up per seal, so a seal costs no system call
    (a getrandom per field was the top system call of intake's ingest).
    Within one prefix the counter never repeats (2^64 seals); two prefixes
    are equal with probability 2^-128 per pair (every process that loads the
    key, every restart and every fork draws its own), the same margin as the
    random 192-bit nonces this replaces over their useful range. A forked
    child would otherwise continue its parent's prefix and counter: a
    pthread_atfork handler moves a generation, and a key whose prefix is of
    an older generation draws a new one before its next seal.
*/
#include "phi.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PHI_KEY_SIZE crypto_aead_xchacha20poly1305_ietf_KEYBYTES
#define PHI_NONCE_SIZE crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define PHI_TAG_SIZE crypto_aead_xchacha20poly1305_ietf_ABYTES

#define PHI_NONCE_PREFIX 16     //  random per key, process and fork
#define PHI_NONCE_COUNTER (PHI_NONCE_SIZE - PHI_NONCE_PREFIX)

struct _phi_key_t {
    uint8_t version;
    uint8_t *key;           //  sodium_malloc: the encryption key
    uint8_t *index_key;     //  sodium_malloc: the blind-index subkey
    //  Nonce = prefix ‖ counter (big-endian). The mutex guards a redraw
    //  of the prefix; seals take counters with an atomic add.
    pthread_mutex_t nonce_lock;
    uint8_t nonce_prefix [PHI_NONCE_PREFIX];
    uint64_t nonce_counter;
    uint64_t nonce_generation;  //  s_fork_generation when prefix was drawn
};

//  Moves at every fork, in the child (s_on_fork): a key whose prefix was
//  drawn in another generation is its parent's and must not be reused.
static uint64_t s_fork_generation = 1;
static pthread_once_t s_fork_once = PTHREAD_ONCE_INIT;

static void
s_on_fork (void)
{
    __atomic_add_fetch (&s_fork_generation, 1, __ATOMIC_SEQ_CST);
}

static void
s_fork_register (void)
{
    pthread_atfork (NULL, NULL, s_on_fork);
}

//  The key's next nonce into nonce: prefix ‖ counter.
static void
s_nonce (phi_key_t *self, uint8_t nonce [PHI_NONCE_SIZE])
{
    uint64_t generation = __atomic_load_n (&s_fork_generation, __ATOMIC_SEQ_CST);
    pthread_mutex_lock (&self->nonce_lock);
    if (self->nonce_generation != generation) {
        randombytes_buf (self->nonce_prefix, PHI_NONCE_PREFIX);
        self->nonce_counter = 0;
        self->nonce_generation = generation;
    }
    uint64_t counter = self->nonce_counter++;
    memcpy (nonce, self->nonce_prefix, PHI_NONCE_PREFIX);
    pthread_mutex_unlock (&self->nonce_lock);
    for (int i = PHI_NONCE_COUNTER - 1; i >= 0; i--) {
        nonce [PHI_NONCE_PREFIX + i] = (uint8_t) counter;
        counter >>= 8;
    }
}

phi_key_t *
phi_key_load (const char *path, char *error, size_t error_size)
{
    if (sodium_init () < 0) {
        snprintf (error, error_size, "libsodium failed to initialize");
        return NULL;
    }
    FILE *file = fopen (path, "r");
    if (!file) {
        snprintf (error, error_size, "PHI key file %s: %s", path, strerror (errno));
        return NULL;
    }
    char line [160] = "";
    char *got = fgets (line, sizeof line, file);
    fclose (file);
    unsigned version = 0;
    char *colon = got? strchr (line, ':'): NULL;
    if (!colon || sscanf (line, "%u:", &version) != 1 || version == 0 || version > 255) {
        sodium_memzero (line, sizeof line);
        snprintf (error, error_size, "PHI key file %s: expected \"<version>:<64 hex digits>\"", path);
        return NULL;
    }
    pthread_once (&s_fork_once, s_fork_register);
    phi_key_t *self = (phi_key_t *) calloc (1, sizeof (phi_key_t));
    self->version = (uint8_t) version;
    pthread_mutex_init (&self->nonce_lock, NULL);
    self->key = (uint8_t *) sodium_malloc (PHI_KEY_SIZE);
    self->index_key = (uint8_t *) sodium_malloc (crypto_generichash_KEYBYTES);
    size_t decoded = 0;
    int rc = sodium_hex2bin (self->key, PHI_KEY_SIZE, colon + 1, strlen (colon + 1),
                             "\r\n ", &decoded, NULL);
    sodium_memzero (line, sizeof line);
    if (rc || decoded != PHI_KEY_SIZE) {
        snprintf (error, error_size, "PHI key file %s: key is not 32 bytes of hex", path);
        phi_key_destroy (&self);
        return NULL;
    }
    crypto_kdf_derive_from_key (self->index_key, crypto_generichash_KEYBYTES, 1, "rcmqbidx", self->key);
    return self;
}

void
phi_key_destroy (phi_key_t **self_p)
{
    phi_key_t *self = *self_p;
    if (!self)
        return;
    sodium_free (self->key);
    sodium_free (self->index_key);
    pthread_mutex_destroy (&self->nonce_lock);
    free (self);
    *self_p = NULL;
}

int
phi_key_generate (const char *path)
{
    if (sodium_init () < 0)
        return -1;
    int fd = open (path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (fd < 0)
        return errno == EEXIST? 0: -1;
    uint8_t key [PHI_KEY_SIZE];
    randombytes_buf (key, sizeof key);
    char text [2 * PHI_KEY_SIZE + 8];
    int prefix = snprintf (text, sizeof text, "1:");
    sodium_bin2hex (text + prefix, sizeof text - (size_t) prefix, key, sizeof key);
    size_t length = strlen (text);
    text [length++] = '\n';
    ssize_t written = write (fd, text, length);
    sodium_memzero (key, sizeof key);
    sodium_memzero (text, sizeof text);
    int rc = (written == (ssize_t) length && fsync (fd) == 0)? 0: -1;
    close (fd);
    return rc;
}

uint8_t
phi_key_version (phi_key_t *self)
{
    return self->version;
}

//  record id ‖ 0 ‖ field ‖ 0 ‖ version, into buffer when it fits (ids
//  and field names are short), else into a malloc'd one; free it with
//  s_additional_data_free.
static uint8_t *
s_additional_data (const char *record_id, const char *field, uint8_t version, size_t *size,
                   uint8_t *buffer, size_t buffer_size)
{
    size_t record_len = strlen (record_id), field_len = strlen (field);
    *size = record_len + 1 + field_len + 1 + 1;
    uint8_t *ad = *size <= buffer_size? buffer: (uint8_t *) malloc (*size);
    memcpy (ad, record_id, record_len + 1);
    memcpy (ad + record_len + 1, field, field_len + 1);
    ad [*size - 1] = version;
    return ad;
}

static void
s_additional_data_free (uint8_t *ad, uint8_t *buffer)
{
    if (ad != buffer)
        free (ad);
}

uint8_t *
phi_seal (phi_key_t *self, const char *record_id, const char *field,
          const uint8_t *plaintext, size_t length, size_t *size)
{
    *size = 1 + PHI_NONCE_SIZE + length + PHI_TAG_SIZE;
    uint8_t *sealed = (uint8_t *) malloc (*size);
    sealed [0] = self->version;
    s_nonce (self, sealed + 1);
    size_t ad_size;
    uint8_t buffer [256];
    uint8_t *ad = s_additional_data (record_id, field, self->version, &ad_size, buffer, sizeof buffer);
    unsigned long long ciphertext_len;
    crypto_aead_xchacha20poly1305_ietf_encrypt (sealed + 1 + PHI_NONCE_SIZE, &ciphertext_len,
                                                plaintext, length, ad, ad_size, NULL,
                                                sealed + 1, self->key);
    s_additional_data_free (ad, buffer);
    return sealed;
}

int
phi_open_to (phi_key_t *self, const char *record_id, const char *field,
             const uint8_t *sealed, size_t size, char *out, size_t *length)
{
    if (size < 1 + PHI_NONCE_SIZE + PHI_TAG_SIZE || sealed [0] != self->version)
        return -1;
    size_t ad_size;
    uint8_t buffer [256];
    uint8_t *ad = s_additional_data (record_id, field, sealed [0], &ad_size, buffer, sizeof buffer);
    unsigned long long plain_len;
    int rc = crypto_aead_xchacha20poly1305_ietf_decrypt ((uint8_t *) out, &plain_len, NULL,
                                                         sealed + 1 + PHI_NONCE_SIZE,
                                                         size - 1 - PHI_NONCE_SIZE, ad, ad_size,
                                                         sealed + 1, self->key);
    s_additional_data_free (ad, buffer);
    if (rc)
        return -1;
    out [plain_len] = 0;
    if (length)
        *length = (size_t) plain_len;
    return 0;
}

size_t
phi_open_size (size_t size)
{
    return size < 1 + PHI_NONCE_SIZE + PHI_TAG_SIZE? 0: size - 1 - PHI_NONCE_SIZE - PHI_TAG_SIZE + 1;
}

char *
phi_open (phi_key_t *self, const char *record_id, const char *field,
          const uint8_t *sealed, size_t size, size_t *length)
{
    size_t room = phi_open_size (size);
    if (!room)
        return NULL;
    char *plaintext = (char *) malloc (room);
    if (plaintext && phi_open_to (self, record_id, field, sealed, size, plaintext, length)) {
        free (plaintext);
        plaintext = NULL;
    }
    return plaintext;
}

void
phi_blind_index (phi_key_t *self, const char *member_id, uint8_t out [PHI_BLIND_INDEX_SIZE])
{
    //  "abc 123" and "ABC123" are the same member id to a payer.
    char normal [128];
    size_t n = 0;
    for (const char *p = member_id; *p && n + 1 < sizeof normal; p++)
        if (!isspace ((unsigned char) *p))
            normal [n++] = (char) toupper ((unsigned char) *p);
    crypto_generichash (out, PHI_BLIND_INDEX_SIZE, (const uint8_t *) normal, n,
                        self->index_key, crypto_generichash_KEYBYTES);
    sodium_memzero (normal, sizeof normal);
}

void
phi_digest (phi_key_t *self, const void *data, size_t size, uint8_t out [PHI_BLIND_INDEX_SIZE])
{
    //  A domain label first, so a digest never equals a member id's index.
    crypto_generichash_state state;
    crypto_generichash_init (&state, self->index_key, crypto_generichash_KEYBYTES, PHI_BLIND_INDEX_SIZE);
    crypto_generichash_update (&state, (const uint8_t *) "rcmq digest", 12);
    crypto_generichash_update (&state, (const uint8_t *) data, size);
    crypto_generichash_final (&state, out, PHI_BLIND_INDEX_SIZE);
}
