/*  ctl: what every rcmqctl command shares.

    rcmqctl is one program with command groups (`keys`, `status`, later
    `intake`, `claims` ...). A group is a ctl_group_t in its own cmd_<group>.c
    with a table of commands; cli/groups.def lists the groups, one row each.
    main.c parses the command line for every command from the command's
    option table plus the global options, so a command never calls getopt
    itself and every command gets --help, --json and exit code 2 on a usage
    error for free. See docs/rcmqctl.md for how to add a group.

    The context (ctl_t) holds the global options and, loaded on first use,
    the configuration: --config FILE, else $RCMQ_CONFIG, else ./var/rcmq.conf
    when it exists, else built-in defaults (docs/configuration.md).
*/
#ifndef RCMQ_CTL_H
#define RCMQ_CTL_H

#include <czmq.h>
#include <stdbool.h>

#include "client.h"
#include "config.h"
#include "output.h"

//  Exit codes: success, a failure the command reports, a usage error.
#define CTL_OK      0
#define CTL_FAILED  1
#define CTL_USAGE   2

//  Default per-call timeout for requests to services, in milliseconds.
#define CTL_TIMEOUT_MS  3000

typedef struct _ctl_t ctl_t;
typedef struct _ctl_args_t ctl_args_t;

//  One option of a command. arg names the value ("ROLE") or is NULL for a
//  flag that takes none. An arg ending "...]" ("ID[,ID...]") is a list:
//  the option may be given again, each value adding to it (ctl_arg_list).
typedef struct {
    const char *name;
    const char *arg;
    const char *help;
} ctl_option_t;

typedef struct {
    const char *name;           //  "init"; NULL when the group is itself the command
    const char *operands;       //  for usage, e.g. "DIR", "[NAME]"
    int min_operands;
    int max_operands;           //  -1: any number
    const char *summary;        //  one line, for `rcmqctl --help`
    const char *help;           //  what it does, printed by --help; may be NULL
    const ctl_option_t *options;    //  ends with { NULL }; may be NULL
    int (*run) (ctl_t *ctl, ctl_args_t *args);
} ctl_command_t;

typedef struct {
    const char *name;               //  "keys"
    const char *summary;
    const ctl_command_t *commands;  //  ends with { NULL, ... run = NULL }
} ctl_group_t;

//  ---------------------------------------------------------------------
//  Arguments of the command being run

//  The value of a command option; "" for a flag that was given; NULL when
//  the option was not given.
const char *ctl_arg_option (ctl_args_t *args, const char *name);
//  The same, "" when the option was not given: what a request's string
//  field holds for "any" (filters, paging cursors).
const char *ctl_arg_text (ctl_args_t *args, const char *name);
bool        ctl_arg_flag (ctl_args_t *args, const char *name);
int         ctl_arg_count (ctl_args_t *args);
const char *ctl_arg_operand (ctl_args_t *args, int index);
//  A whole-number option, checked: when absent *value is fallback; when
//  given it must be digits only and within [min, max] ("--limit -1" or
//  "--limit 4294967297" are errors, never the maximum or 1). Returns CTL_OK,
//  or CTL_USAGE with the reason printed ("--limit abc: expected a whole
//  number from 1 to 1000").
int         ctl_arg_uint (ctl_args_t *args, const char *name, uint64_t min, uint64_t max,
                          uint64_t fallback, uint64_t *value);
//  An amount-of-money option in dollars as cents (ctl_parse_cents); absent,
//  *cents is left as it is.
int         ctl_arg_cents (ctl_args_t *args, const char *name, int64_t *cents);
//  An option whose value must be one of choices (ends with NULL); absent,
//  *value is fallback. Anything else is CTL_USAGE with the choices printed
//  ("--status deneid: expected one of ready, submitted, ...").
int         ctl_arg_choice (ctl_args_t *args, const char *name, const char *const *choices,
                            const char *fallback, const char **value);

//  A comma-separated option ("a,b") as a list of count strings, NULL and 0
//  when absent or empty; free with ctl_list_free.
char      **ctl_arg_list (ctl_args_t *args, const char *name, size_t *count);
void        ctl_list_free (char **list, size_t count);

//  The parsers behind them, for operands and global options. what names
//  the value in the error ("--limit", "SEQ").
//  A whole number in [min, max]: digits only, no sign, no blanks.
int         ctl_parse_uint (const char *what, const char *text, uint64_t min, uint64_t max,
                            uint64_t *value);
//  An amount of money in dollars ("120", "120.5", "120.50", "-3.25") as
//  cents. Anything else ("12x", "1.234", "1e3", "") is CTL_USAGE with the
//  reason printed, naming option.
int         ctl_parse_cents (const char *what, const char *text, int64_t *cents);
//  One of choices (ends with NULL).
int         ctl_parse_choice (const char *what, const char *text, const char *const *choices);

//  ---------------------------------------------------------------------
//  The context

//  The global options every command accepts (--config, --keys, --as,
//  --json, --csv, --timeout, --help), ends with { NULL }.
extern const ctl_option_t ctl_global_options [];

ctl_t      *ctl_new (void);
void        ctl_destroy (ctl_t **self_p);
//  Applies a global option. Returns 0, or -1 with the reason printed when
//  its value is not acceptable (a usage error).
int         ctl_set_global (ctl_t *ctl, const char *name, const char *value);

//  The configuration, loaded on first call. NULL when the file named by
//  --config or RCMQ_CONFIG cannot be read; the error is printed.
config_t   *ctl_config (ctl_t *ctl);
//  --keys, else keys/dir from the configuration, else var/keys.
const char *ctl_keys_dir (ctl_t *ctl);
//  --as, else client/name, else "admin".
const char *ctl_client_name (ctl_t *ctl);
//  The endpoint of a service's api socket: config <name>/api or the default.
const char *ctl_endpoint (ctl_t *ctl, const char *name);
//  --timeout when given, else fallback.
int         ctl_timeout (ctl_t *ctl, int fallback);
output_format_t ctl_format (ctl_t *ctl);

//  Our client certificate (keys/secret/<as>.cert_secret), loaded once. NULL
//  with the error printed when it is missing.
zcert_t    *ctl_client_cert (ctl_t *ctl);
//  A client of service name's api socket, with the server's public key
//  from keys/public/<name>.cert and our cert. NULL when a key is missing;
//  error then says which file.
client_t   *ctl_client_new (ctl_t *ctl, const char *name, char *error, size_t error_size);

//  Calls method on service name with body (a protobuf-c message or NULL)
//  and decodes the reply body as reply_type into *reply_body (free with
//  codec_free; reply_type may be NULL for no body). Returns CTL_OK, or
//  CTL_FAILED with the error printed: no reply (which endpoint, why), or the
//  service's status and message ("NOT_FOUND: intake.GetBatch: no batch 'x'").
int         ctl_call (ctl_t *ctl, const char *name, const char *method, const void *body,
                      const ProtobufCMessageDescriptor *reply_type, void **reply_body);

//  Same, with a per-attempt timeout of its own (file uploads) and one resend.
int         ctl_call_timeout (ctl_t *ctl, const char *name, const char *method, const void *body,
                              const ProtobufCMessageDescriptor *reply_type, void **reply_body,
                              int timeout_ms);

//  The same on a client of service name the caller made (and set up).
int         ctl_client_call (client_t *client, const char *name, const char *method, const void *body,
                             const ProtobufCMessageDescriptor *reply_type, void **reply_body);
//  A whole file's bytes, or NULL with the reason printed (naming the file).
zchunk_t   *ctl_read_file (const char *command, const char *path);

//  Prints "rcmqctl: <message>" on stderr. Returns CTL_FAILED.
int         ctl_fail (const char *format, ...) __attribute__ ((format (printf, 1, 2)));

#endif
