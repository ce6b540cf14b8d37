/*  files: see files.h. */
#include "files.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int
files_dir_create (const char *path, char *error, size_t error_size)
{
    size_t length = strlen (path);
    if (length == 0 || length >= PATH_MAX) {
        snprintf (error, error_size, "folder name '%s' is empty or too long", path);
        return -1;
    }
    char partial [PATH_MAX];
    memcpy (partial, path, length + 1);
    //  Each prefix in turn, like mkdir -p, then the whole path.
    for (size_t i = 1; i <= length; i++) {
        if (partial [i] != '/' && partial [i] != 0)
            continue;
        char saved = partial [i];
        partial [i] = 0;
        if (mkdir (partial, 0700) && errno != EEXIST) {
            snprintf (error, error_size, "cannot create folder %s: %s", partial, strerror (errno));
            return -1;
        }
        partial [i] = saved;
    }
    struct stat st;
    if (stat (path, &st) || !S_ISDIR (st.st_mode)) {
        snprintf (error, error_size, "%s is not a folder", path);
        return -1;
    }
    return 0;
}

//  The temporary's name: ".<name>.tmp" in the same folder, so rename and
//  link stay on one file system and folder scans (ours, a transfer
//  agent's) that skip dot files never see it.
static int
s_temp_name (const char *path, char *temp, size_t size)
{
    const char *slash = strrchr (path, '/');
    const char *name = slash? slash + 1: path;
    int n = snprintf (temp, size, "%.*s.%s.tmp", (int) (name - path), path, name);
    return n < 0 || (size_t) n >= size? -1: 0;
}

int
files_write_new (const char *path, const void *data, size_t size, char *error, size_t error_size)
{
    if (access (path, F_OK) == 0)
        return FILES_EXISTS;
    char temp [PATH_MAX];
    if (s_temp_name (path, temp, sizeof temp)) {
        snprintf (error, error_size, "file name %s is too long", path);
        return -1;
    }
    //  A temporary left by a crash is ours and incomplete: start again.
    unlink (temp);
    int fd = open (temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        snprintf (error, error_size, "cannot create %s: %s", temp, strerror (errno));
        return -1;
    }
    const char *bytes = (const char *) data;
    size_t done = 0;
    while (done < size) {
        ssize_t n = write (fd, bytes + done, size - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        done += (size_t) n;
    }
    int rc = done == size && fsync (fd) == 0? 0: -1;
    int saved = errno;
    if (close (fd) && rc == 0) {
        rc = -1;
        saved = errno;
    }
    if (rc) {
        snprintf (error, error_size, "cannot write %s: %s", temp, strerror (saved));
        unlink (temp);
        return -1;
    }
    //  link, not rename: rename would replace a file of that name.
    if (link (temp, path)) {
        saved = errno;
        unlink (temp);
        if (saved == EEXIST)
            return FILES_EXISTS;
        snprintf (error, error_size, "cannot create %s: %s", path, strerror (saved));
        return -1;
    }
    unlink (temp);
    //  The new name is durable once its folder is.
    char folder [PATH_MAX];
    const char *slash = strrchr (path, '/');
    snprintf (folder, sizeof folder, "%.*s", slash? (int) (slash - path): 1, slash? path: ".");
    int dir = open (*folder? folder: "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir >= 0) {
        fsync (dir);
        close (dir);
    }
    return 0;
}

bool
files_same_content (const char *path, const void *data, size_t size)
{
    FILE *file = fopen (path, "rb");
    if (!file)
        return false;
    bool same = true;
    char buffer [65536];
    size_t offset = 0, n;
    while (same && (n = fread (buffer, 1, sizeof buffer, file)) > 0) {
        same = offset + n <= size && memcmp (buffer, (const char *) data + offset, n) == 0;
        offset += n;
    }
    same = same && !ferror (file) && offset == size;
    fclose (file);
    return same;
}

size_t
files_dir_empty (const char *path)
{
    DIR *folder = opendir (path);
    size_t removed = 0;
    for (struct dirent *entry = folder? readdir (folder): NULL; entry; entry = readdir (folder)) {
        if (*entry->d_name == '.')
            continue;
        char file [PATH_MAX];
        snprintf (file, sizeof file, "%s/%s", path, entry->d_name);
        if (unlink (file) == 0)
            removed++;
    }
    if (folder)
        closedir (folder);
    return removed;
}
