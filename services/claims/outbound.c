/*  outbound: see outbound.h. */
#include "outbound.h"
#include "files.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>

#define REGISTER_NAME ".rcmq-sent"
#define TAIL_BYTES 65536        //  the last line is in the last 64 KiB

struct _outbound_t {
    char *dir;
    char *register_path;
    uint32_t last_control;
};

//  Parses one register line; 0 when it has the five fields.
static int
s_parse (char *line, uint32_t *control, char **file, char **pcn, char **frequency, char **digest)
{
    line [strcspn (line, "\n")] = 0;
    char *first = strchr (line, '\t');
    char *second = first? strchr (first + 1, '\t'): NULL;
    char *last = strrchr (line, '\t');
    char *before_last = last && last > line? memrchr (line, '\t', (size_t) (last - line)): NULL;
    if (!first || !second || !before_last || before_last <= second)
        return -1;
    *first = *second = *before_last = *last = 0;
    char *end;
    errno = 0;
    unsigned long value = strtoul (line, &end, 10);
    if (errno || *end || value > UINT32_MAX)
        return -1;
    *control = (uint32_t) value;
    *file = first + 1;
    *pcn = second + 1;
    *frequency = before_last + 1;
    *digest = last + 1;
    return 0;
}

static void
s_read_last_control (outbound_t *self)
{
    FILE *file = fopen (self->register_path, "r");
    if (!file)
        return;
    //  Appended in control order: the tail holds the highest.
    if (fseek (file, -TAIL_BYTES, SEEK_END) == 0) {
        int c;
        while ((c = fgetc (file)) != EOF && c != '\n')
            ;
    }
    else
        rewind (file);
    char *line = NULL;
    size_t capacity = 0;
    while (getline (&line, &capacity, file) > 0) {
        uint32_t control;
        char *name, *pcn, *frequency, *digest;
        if (s_parse (line, &control, &name, &pcn, &frequency, &digest) == 0 && control > self->last_control)
            self->last_control = control;
    }
    free (line);
    fclose (file);
}

outbound_t *
outbound_new (const char *dir, char *error, size_t error_size)
{
    if (files_dir_create (dir, error, error_size))
        return NULL;
    outbound_t *self = (outbound_t *) zmalloc (sizeof (outbound_t));
    self->dir = strdup (dir);
    self->register_path = zsys_sprintf ("%s/%s", dir, REGISTER_NAME);
    s_read_last_control (self);
    return self;
}

void
outbound_destroy (outbound_t **self_p)
{
    outbound_t *self = *self_p;
    if (!self)
        return;
    free (self->dir);
    free (self->register_path);
    free (self);
    *self_p = NULL;
}

const char *
outbound_dir (outbound_t *self)
{
    return self->dir;
}

uint32_t
outbound_last_control (outbound_t *self)
{
    return self->last_control;
}

zhashx_t *
outbound_sent_since (outbound_t *self, uint32_t after, char *error, size_t error_size)
{
    zhashx_t *sent = zhashx_new ();
    zhashx_set_destructor (sent, (zhashx_destructor_fn *) zstr_free);
    zhashx_set_duplicator (sent, (zhashx_duplicator_fn *) strdup);
    FILE *file = fopen (self->register_path, "r");
    if (!file) {
        if (errno == ENOENT)
            return sent;
        snprintf (error, error_size, "cannot read %s: %s", self->register_path, strerror (errno));
        zhashx_destroy (&sent);
        return NULL;
    }
    char *line = NULL;
    size_t capacity = 0;
    while (getline (&line, &capacity, file) > 0) {
        uint32_t control;
        char *name, *pcn, *frequency, *digest;
        if (s_parse (line, &control, &name, &pcn, &frequency, &digest) || control <= after)
            continue;
        zhashx_update (sent, pcn, name);
        char *key = zsys_sprintf ("%s\t%s\t%s", pcn, frequency, digest);
        zhashx_update (sent, key, name);
        zstr_free (&key);
    }
    free (line);
    fclose (file);
    return sent;
}

bool
outbound_taken (outbound_t *self, const char *filename)
{
    char *path = zsys_sprintf ("%s/%s", self->dir, filename);
    bool taken = access (path, F_OK) == 0;
    zstr_free (&path);
    return taken;
}

void
outbound_digest_hex (const uint8_t *digest, size_t size, char *hex)
{
    sodium_bin2hex (hex, 2 * size + 1, digest, size);
}

int
outbound_send (outbound_t *self, const Submission *submission, const uint8_t *content,
               size_t size, char *error, size_t error_size)
{
    char *path = zsys_sprintf ("%s/%s", self->dir, submission->filename);
    int rc = files_write_new (path, content, size, error, error_size);
    //  The same bytes already there: written before a crash kept the
    //  register from being appended; register them now.
    if (rc == FILES_EXISTS && files_same_content (path, content, size))
        rc = 0;
    zstr_free (&path);
    if (rc)
        return rc;
    int fd = open (self->register_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    FILE *file = fd >= 0? fdopen (fd, "a"): NULL;
    if (fd >= 0 && !file)
        close (fd);
    for (size_t i = 0; file && i < submission->n_sent; i++) {
        const SentClaim *claim = submission->sent [i];
        char hex [2 * 64 + 1] = "";
        if (claim->digest.len <= 64)
            outbound_digest_hex (claim->digest.data, claim->digest.len, hex);
        fprintf (file, "%u\t%s\t%s\t%s\t%s\n", submission->control, submission->filename,
                 claim->pcn, claim->frequency, hex);
    }
    bool appended = file && fflush (file) == 0 && fsync (fileno (file)) == 0;
    int saved = errno;
    if (file && fclose (file))
        appended = false;
    if (!appended) {
        snprintf (error, error_size, "%s written, but the register %s could not be appended: %s",
                  submission->filename, self->register_path, strerror (saved));
        return -1;
    }
    if (submission->control > self->last_control)
        self->last_control = submission->control;
    return 0;
}
