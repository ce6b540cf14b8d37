/*  help: what rcmqctl says about itself, from its own tables.

    Every word of help -- `rcmqctl --help`, `rcmqctl GROUP --help` (or
    `rcmqctl help GROUP`), `rcmqctl GROUP COMMAND --help` and the command
    reference of docs/rcmqctl.md (`rcmqctl help --markdown`) -- is printed
    from the group table (cli/groups.def), each group's command table and
    each command's option table, so the help, the parser and the manual
    cannot disagree: an option added to a table is parsed, listed and
    documented at once. tests/integration/cli-help.sh fails when
    docs/rcmqctl.md is not what `rcmqctl help --markdown` prints.
*/
#ifndef RCMQ_HELP_H
#define RCMQ_HELP_H

#include "ctl.h"

//  `rcmqctl --help`: every command of every group, the global options.
void help_usage (const ctl_group_t *const *groups, size_t count, FILE *out);
//  `rcmqctl GROUP --help`: the group's commands, each with its options.
void help_group (const ctl_group_t *group, FILE *out);
//  `rcmqctl GROUP COMMAND --help`: usage line, what it does, its options
//  and the global ones.
void help_command (const ctl_group_t *group, const ctl_command_t *command, FILE *out);
//  The command reference as Markdown, for docs/rcmqctl.md.
void help_markdown (const ctl_group_t *const *groups, size_t count, FILE *out);

#endif
