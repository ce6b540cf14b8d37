/*  files: data files that hold or may hold patient data (837P, 999, 277CA,
    reports, processed inbox files) are written here, so every service
    writes them the same way:

    - folders are made 0700 and files 0600: only the service's own user
      reads them (the process umask would give 0755 / 0644);
    - a new file appears whole under its name or not at all (written to a
      dot-named temporary beside it, flushed, then linked in), so a reader
      that polls the folder never takes half a file;
    - a new file never replaces one already there: link(2) fails on an
      existing name as O_EXCL does, and the caller gets FILES_EXISTS, so a
      store restored from an older copy cannot overwrite a file it sent
      before.
*/
#ifndef RCMQ_FILES_H
#define RCMQ_FILES_H

#include <stdbool.h>
#include <stddef.h>

#define FILES_EXISTS 1

//  Makes a folder and its missing parents, each one made 0700. Returns 0,
//  or -1 with a reason in error.
int  files_dir_create (const char *path, char *error, size_t error_size);
//  Removes every file of folder path whose name does not start with a dot
//  (what a previous run staged there); returns how many it removed.
size_t files_dir_empty (const char *path);
//  Writes size bytes to a new file at path, mode 0600. Returns 0;
//  FILES_EXISTS when a file of that name is already there (left as it
//  was); -1 with a reason in error.
int  files_write_new (const char *path, const void *data, size_t size, char *error, size_t error_size);
//  True when the file at path holds exactly these bytes.
bool files_same_content (const char *path, const void *data, size_t size);

#endif
