/*  rcmqctl: the operator's command line for an rcmq deployment.

    rcmqctl [global options] GROUP [COMMAND] [options] [operands]

    main() finds the group in the table that cli/groups.def builds, then the
    command in the group's own table, then parses the rest of the command
    line against the command's options plus the global ones with
    getopt_long. Commands receive parsed arguments (ctl_args_t) and never
    parse argv themselves, which is what gives every command the same
    --help, the same global options in any position and exit code 2 for
    every usage error.
*/
#include "ctl.h"
#include "help.h"

#include <getopt.h>

#define CTL_GROUP(name) extern const ctl_group_t cmd_##name;
#include "groups.def"
#undef CTL_GROUP

static const ctl_group_t *const s_groups [] = {
#define CTL_GROUP(name) &cmd_##name,
#include "groups.def"
#undef CTL_GROUP
};
#define GROUP_COUNT (sizeof s_groups / sizeof s_groups [0])

struct _ctl_args_t {
    zhashx_t *options;      //  command option name -> value ("" for flags)
    char **operands;
    int operand_count;
};

const char *
ctl_arg_option (ctl_args_t *args, const char *name)
{
    return (const char *) zhashx_lookup (args->options, name);
}

const char *
ctl_arg_text (ctl_args_t *args, const char *name)
{
    const char *value = ctl_arg_option (args, name);
    return value? value: "";
}

//  Every usage error about a value reads "rcmqctl: WHAT TEXT: expected ...",
//  so a script or a person sees which option and which value at once.
static int
s_bad_value (const char *what, const char *text, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    fprintf (stderr, "rcmqctl: %s %s: expected ", what, text);
    vfprintf (stderr, format, args);
    fputc ('\n', stderr);
    va_end (args);
    return CTL_USAGE;
}

int
ctl_parse_uint (const char *what, const char *text, uint64_t min, uint64_t max, uint64_t *value)
{
    //  strtoull alone takes "-1" for 2^64-1 and skips leading blanks; only
    //  digits, then a range check with overflow seen, are a number here.
    bool digits = *text != 0;
    for (const char *p = text; *p; p++)
        digits = digits && isdigit ((unsigned char) *p);
    errno = 0;
    unsigned long long number = digits? strtoull (text, NULL, 10): 0;
    if (!digits || errno == ERANGE || number < min || number > max)
        return s_bad_value (what, text, "a whole number from %" PRIu64 " to %" PRIu64, min, max);
    *value = (uint64_t) number;
    return CTL_OK;
}

int
ctl_arg_uint (ctl_args_t *args, const char *name, uint64_t min, uint64_t max,
              uint64_t fallback, uint64_t *value)
{
    const char *text = ctl_arg_option (args, name);
    *value = fallback;
    if (!text)
        return CTL_OK;
    char what [80];
    snprintf (what, sizeof what, "--%s", name);
    return ctl_parse_uint (what, text, min, max, value);
}

int
ctl_parse_cents (const char *what, const char *text, int64_t *cents)
{
    //  Dollars, then at most two decimals: read as text, never through a
    //  double (atof("12x") is 12, and 0.29 * 100 is 28.999...).
    const char *p = text;
    bool negative = *p == '-';
    if (negative)
        p++;
    int64_t dollars = 0;
    int whole_digits = 0;
    while (isdigit ((unsigned char) *p) && whole_digits < 15) {
        dollars = dollars * 10 + (*p++ - '0');
        whole_digits++;
    }
    int64_t fraction = 0;
    int fraction_digits = 0;
    if (*p == '.') {
        p++;
        while (isdigit ((unsigned char) *p) && fraction_digits < 3) {
            fraction = fraction * 10 + (*p++ - '0');
            fraction_digits++;
        }
    }
    if (whole_digits == 0 || *p || fraction_digits > 2 || (p [-1] == '.'))
        return s_bad_value (what, text, "an amount in dollars, e.g. 120 or 120.50");
    if (fraction_digits == 1)
        fraction *= 10;
    *cents = (dollars * 100 + fraction) * (negative? -1: 1);
    return CTL_OK;
}

int
ctl_arg_cents (ctl_args_t *args, const char *name, int64_t *cents)
{
    const char *text = ctl_arg_option (args, name);
    if (!text)
        return CTL_OK;
    char what [80];
    snprintf (what, sizeof what, "--%s", name);
    return ctl_parse_cents (what, text, cents);
}

int
ctl_parse_choice (const char *what, const char *text, const char *const *choices)
{
    for (const char *const *choice = choices; *choice; choice++)
        if (streq (*choice, text))
            return CTL_OK;
    char list [1024] = "";
    for (const char *const *choice = choices; *choice; choice++)
        snprintf (list + strlen (list), sizeof list - strlen (list), "%s%s",
                  choice == choices? "": ", ", *choice);
    return s_bad_value (what, text, "one of %s", list);
}

int
ctl_arg_choice (ctl_args_t *args, const char *name, const char *const *choices,
                const char *fallback, const char **value)
{
    const char *text = ctl_arg_option (args, name);
    *value = fallback;
    if (!text)
        return CTL_OK;
    char what [80];
    snprintf (what, sizeof what, "--%s", name);
    if (ctl_parse_choice (what, text, choices))
        return CTL_USAGE;
    *value = text;
    return CTL_OK;
}

char **
ctl_arg_list (ctl_args_t *args, const char *name, size_t *count)
{
    const char *text = ctl_arg_option (args, name);
    *count = 0;
    if (!text || !*text)
        return NULL;
    char **list = NULL;
    char *copy = strdup (text), *save = NULL;
    for (char *item = strtok_r (copy, ",", &save); item; item = strtok_r (NULL, ",", &save)) {
        list = (char **) realloc (list, (*count + 1) * sizeof (char *));
        list [(*count)++] = strdup (item);
    }
    free (copy);
    return list;
}

void
ctl_list_free (char **list, size_t count)
{
    for (size_t i = 0; i < count; i++)
        free (list [i]);
    free (list);
}

bool
ctl_arg_flag (ctl_args_t *args, const char *name)
{
    return ctl_arg_option (args, name) != NULL;
}

int
ctl_arg_count (ctl_args_t *args)
{
    return args->operand_count;
}

const char *
ctl_arg_operand (ctl_args_t *args, int index)
{
    return index >= 0 && index < args->operand_count? args->operands [index]: NULL;
}

//  ---------------------------------------------------------------------
//  Parsing

//  Option ids handed to getopt_long: global options from 256, the
//  command's own from 512, so one switch tells them apart.
#define ID_GLOBAL   256
#define ID_COMMAND  512

static size_t
s_option_count (const ctl_option_t *options)
{
    size_t count = 0;
    while (options && options [count].name)
        count++;
    return count;
}

static struct option *
s_long_options (const ctl_option_t *command_options)
{
    size_t globals = s_option_count (ctl_global_options);
    size_t owns = s_option_count (command_options);
    struct option *table = (struct option *) zmalloc ((globals + owns + 1) * sizeof (struct option));
    for (size_t i = 0; i < globals; i++)
        table [i] = (struct option) { ctl_global_options [i].name,
            ctl_global_options [i].arg? required_argument: no_argument, NULL, ID_GLOBAL + (int) i };
    for (size_t i = 0; i < owns; i++)
        table [globals + i] = (struct option) { command_options [i].name,
            command_options [i].arg? required_argument: no_argument, NULL, ID_COMMAND + (int) i };
    return table;
}

typedef enum { PARSE_OK, PARSE_HELP, PARSE_USAGE } parse_t;

//  True when a list value ("ID[,ID...]") has an empty item: it is empty,
//  starts or ends with a comma, or has two in a row.
static bool
s_has_empty_item (const char *value)
{
    size_t length = strlen (value);
    return !length || value [0] == ',' || value [length - 1] == ',' || strstr (value, ",,");
}

//  Parses argv [1..] against the command's options and the global ones.
//  what names the command in error messages ("rcmqctl keys init"). stop_at_operand makes the
//  first operand end option parsing (for the options before the group).
static parse_t
s_parse (ctl_t *ctl, int argc, char **argv, const char *what, const ctl_option_t *options,
         bool stop_at_operand, zhashx_t *values, int *next)
{
    struct option *table = s_long_options (options);
    parse_t result = PARSE_OK;
    optind = 0;             //  GNU: start afresh, argv [0] is the command
    opterr = 0;             //  our own messages name the command
    while (result == PARSE_OK) {
        int id = getopt_long (argc, argv, stop_at_operand? "+:h": ":h", table, NULL);
        if (id == -1)
            break;
        if (id == 'h')
            result = PARSE_HELP;
        else
        if (id >= ID_COMMAND) {
            //  A list option (its arg ends "...]") given again adds to the
            //  list; any other option given again takes the last value.
            const ctl_option_t *option = &options [id - ID_COMMAND];
            const char *had = (const char *) zhashx_lookup (values, option->name);
            bool list = option->arg && strstr (option->arg, "...]");
            if (list && optarg && s_has_empty_item (optarg)) {
                //  "A,,B" or "--by ''" is a slip of the hand: skipping the
                //  empty item would run the command on a list the user
                //  did not write.
                fprintf (stderr, "%s: --%s '%s': an empty item in %s\n", what, option->name, optarg, option->arg);
                result = PARSE_USAGE;
            }
            else
            if (had && list && optarg) {
                char *joined = zsys_sprintf ("%s,%s", had, optarg);
                zhashx_update (values, option->name, joined);
                zstr_free (&joined);
            }
            else
                zhashx_update (values, option->name, optarg? optarg: "");
        }
        else
        if (id >= ID_GLOBAL) {
            const char *name = ctl_global_options [id - ID_GLOBAL].name;
            if (streq (name, "help"))
                result = PARSE_HELP;
            else
            if (ctl_set_global (ctl, name, optarg? optarg: ""))
                result = PARSE_USAGE;
        }
        else {
            //  With a leading ':' in the optstring getopt says ':' for a
            //  missing value and '?' for an unknown option; either way the
            //  word it stopped at is the one before optind.
            char word [64];
            if (id == '?' && optopt > 0 && optopt < 256)
                snprintf (word, sizeof word, "-%c", optopt);
            else
                snprintf (word, sizeof word, "%s", argv [optind - 1]);
            fprintf (stderr, "%s: %s %s (see `%s --help`)\n", what,
                     id == ':'? "missing value for": "unknown option", word, what);
            result = PARSE_USAGE;
        }
    }
    *next = optind;
    free (table);
    return result;
}

//  ---------------------------------------------------------------------
//  Dispatch

static const ctl_group_t *
s_find_group (const char *name)
{
    for (size_t g = 0; g < GROUP_COUNT; g++)
        if (streq (s_groups [g]->name, name))
            return s_groups [g];
    return NULL;
}

static const ctl_command_t *
s_find_command (const ctl_group_t *group, const char *name)
{
    for (const ctl_command_t *command = group->commands; command->run; command++)
        if (command->name && streq (command->name, name))
            return command;
    return NULL;
}

static bool
s_is_help (const char *word)
{
    return streq (word, "--help") || streq (word, "-h") || streq (word, "help");
}

//  `rcmqctl help [GROUP [COMMAND]]` and `rcmqctl help --markdown`.
static int
s_help (int argc, char **argv)
{
    if (argc == 0) {
        help_usage (s_groups, GROUP_COUNT, stdout);
        return CTL_OK;
    }
    if (argc == 1 && streq (argv [0], "--markdown")) {
        help_markdown (s_groups, GROUP_COUNT, stdout);
        return CTL_OK;
    }
    const ctl_group_t *group = s_find_group (argv [0]);
    if (!group) {
        fprintf (stderr, "rcmqctl help: unknown command '%s' (see `rcmqctl --help`)\n", argv [0]);
        return CTL_USAGE;
    }
    if (argc == 1) {
        help_group (group, stdout);
        return CTL_OK;
    }
    const ctl_command_t *command = s_find_command (group, argv [1]);
    if (!command || argc > 2) {
        fprintf (stderr, "rcmqctl help %s: unknown command '%s' (see `rcmqctl %s --help`)\n",
                 group->name, argv [1], group->name);
        return CTL_USAGE;
    }
    help_command (group, command, stdout);
    return CTL_OK;
}

//  Finds the command argv names and runs it; returns the exit code.
static int
s_dispatch (ctl_t *ctl, int argc, char **argv, zhashx_t *values)
{
    int next;
    parse_t parsed = s_parse (ctl, argc, argv, "rcmqctl", NULL, true, values, &next);
    if (parsed == PARSE_OK && next < argc && streq (argv [next], "help"))
        return s_help (argc - next - 1, argv + next + 1);
    if (parsed != PARSE_OK || next >= argc) {
        if (parsed != PARSE_USAGE)
            help_usage (s_groups, GROUP_COUNT, parsed == PARSE_HELP? stdout: stderr);
        return parsed == PARSE_HELP? CTL_OK: CTL_USAGE;
    }
    const ctl_group_t *group = s_find_group (argv [next]);
    if (!group) {
        fprintf (stderr, "rcmqctl: unknown command '%s' (see `rcmqctl --help`)\n", argv [next]);
        return CTL_USAGE;
    }
    //  A group with an unnamed first command is itself the command
    //  (`rcmqctl status`); otherwise the next word names the command.
    const ctl_command_t *command = group->commands;
    if (command->name) {
        next++;
        if (next >= argc || s_is_help (argv [next])) {
            help_group (group, next < argc? stdout: stderr);
            return next < argc? CTL_OK: CTL_USAGE;
        }
        command = s_find_command (group, argv [next]);
        if (!command) {
            fprintf (stderr, "rcmqctl %s: unknown command '%s' (see `rcmqctl %s --help`)\n",
                     group->name, argv [next], group->name);
            return CTL_USAGE;
        }
    }
    char what [128];
    snprintf (what, sizeof what, "rcmqctl %s%s%s", group->name,
              command->name? " ": "", command->name? command->name: "");
    int sub_argc = argc - next;
    char **sub_argv = argv + next;
    parsed = s_parse (ctl, sub_argc, sub_argv, what, command->options, false, values, &next);
    if (parsed == PARSE_HELP) {
        help_command (group, command, stdout);
        return CTL_OK;
    }
    if (parsed == PARSE_USAGE)
        return CTL_USAGE;
    //  A config file named by --config or RCMQ_CONFIG that cannot be read
    //  fails every command: going on with defaults would act on some other
    //  deployment than the one the operator named.
    if (!ctl_config (ctl))
        return CTL_FAILED;
    ctl_args_t args = { values, sub_argv + next, sub_argc - next };
    if (args.operand_count < command->min_operands
    || (command->max_operands >= 0 && args.operand_count > command->max_operands)) {
        if (args.operand_count < command->min_operands)
            fprintf (stderr, "%s: expected %s (see `%s --help`)\n", what, command->operands, what);
        else
            fprintf (stderr, "%s: unexpected operand '%s' (see `%s --help`)\n", what,
                     args.operands [command->max_operands], what);
        return CTL_USAGE;
    }
    return command->run (ctl, &args);
}

int
main (int argc, char *argv [])
{
    //  rcmqctl is a short-lived client: Ctrl-C ends it at once (no czmq
    //  interrupt handler to poll), and a request queued for a dead
    //  endpoint must not hold up the exit.
    zsys_handler_set (NULL);
    zsys_set_linger (0);
    ctl_t *ctl = ctl_new ();
    zhashx_t *values = zhashx_new ();
    //  The values are copies: a list option's is built here (s_parse).
    zhashx_set_duplicator (values, (zhashx_duplicator_fn *) strdup);
    zhashx_set_destructor (values, (zhashx_destructor_fn *) zstr_free);
    int rc = s_dispatch (ctl, argc, argv, values);
    zhashx_destroy (&values);
    ctl_destroy (&ctl);
    return rc;
}
