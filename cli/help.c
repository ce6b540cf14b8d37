/*  help: see help.h. Text for the terminal and Markdown for the manual,
    both walking the same three tables: groups, commands, options.
*/
#include "help.h"

//  "claims list", or "status" for a group that is itself the command.
static void
s_command_name (const ctl_group_t *group, const ctl_command_t *command, char *buf, size_t size)
{
    snprintf (buf, size, "%s%s%s", group->name, command->name? " ": "", command->name? command->name: "");
}

//  "--limit N" or "--json".
static void
s_option_name (const ctl_option_t *option, char *buf, size_t size)
{
    snprintf (buf, size, "--%s%s%s", option->name, option->arg? " ": "", option->arg? option->arg: "");
}

static void
s_print_options (const char *title, const ctl_option_t *options, const char *indent, FILE *out)
{
    if (!options || !options [0].name)
        return;
    if (title)
        fprintf (out, "\n%s:\n", title);
    for (const ctl_option_t *option = options; option->name; option++) {
        char left [64];
        s_option_name (option, left, sizeof left);
        fprintf (out, "%s  %-20s %s\n", indent, left, option->help);
    }
}

void
help_usage (const ctl_group_t *const *groups, size_t count, FILE *out)
{
    fprintf (out, "usage: rcmqctl [options] COMMAND [options] [operands]\n\n"
                  "Operates an rcmq deployment: its keys, its processes and their work.\n"
                  "Run from the repository after scripts/run it needs no options.\n\n"
                  "commands:\n");
    for (size_t g = 0; g < count; g++)
        for (const ctl_command_t *command = groups [g]->commands; command->run; command++) {
            char left [64];
            s_command_name (groups [g], command, left, sizeof left);
            fprintf (out, "  %-20s %s\n", left, command->summary);
        }
    s_print_options ("global options", ctl_global_options, "", out);
    fprintf (out, "\nRun `rcmqctl GROUP --help` for a group's commands and options, `rcmqctl\n"
                  "GROUP COMMAND --help` for one command. Exit status: 0 success, 1 failure,\n"
                  "2 usage error. See docs/rcmqctl.md.\n");
}

void
help_group (const ctl_group_t *group, FILE *out)
{
    fprintf (out, "usage: rcmqctl %s COMMAND [options]\n\n%s\n\ncommands:\n",
             group->name, group->summary);
    for (const ctl_command_t *command = group->commands; command->run; command++) {
        char left [64];
        snprintf (left, sizeof left, "%s%s%s", command->name? command->name: group->name,
                  command->operands? " ": "", command->operands? command->operands: "");
        fprintf (out, "  %-22s %s\n", left, command->summary);
        s_print_options (NULL, command->options, "    ", out);
    }
    fprintf (out, "\nRun `rcmqctl %s COMMAND --help` for what a command does; every command\n"
                  "also takes the global options (`rcmqctl --help`).\n", group->name);
}

void
help_command (const ctl_group_t *group, const ctl_command_t *command, FILE *out)
{
    char name [64];
    s_command_name (group, command, name, sizeof name);
    fprintf (out, "usage: rcmqctl %s%s%s [options]\n\n%s\n", name,
             command->operands? " ": "", command->operands? command->operands: "",
             command->help? command->help: command->summary);
    s_print_options ("options", command->options, "", out);
    s_print_options ("global options", ctl_global_options, "", out);
}

//  ---------------------------------------------------------------------
//  Markdown

//  Text as Markdown: '<' and '>' as entities (else "<svc>.Health" is read
//  as an HTML tag and vanishes), and in a table cell '|' escaped.
static void
s_markdown_text (const char *text, bool cell, FILE *out)
{
    for (const char *p = text; *p; p++) {
        if (*p == '<')
            fputs ("&lt;", out);
        else
        if (*p == '>')
            fputs ("&gt;", out);
        else
        if (*p == '|' && cell)
            fputs ("\\|", out);
        else
        if (*p == '\n' && cell)
            fputc (' ', out);
        else
            fputc (*p, out);
    }
}

static void
s_markdown_options (const ctl_option_t *options, FILE *out)
{
    if (!options || !options [0].name)
        return;
    fprintf (out, "\n| option | meaning |\n|---|---|\n");
    for (const ctl_option_t *option = options; option->name; option++) {
        char name [64];
        s_option_name (option, name, sizeof name);
        fprintf (out, "| `%s` | ", name);
        s_markdown_text (option->help, true, out);
        fprintf (out, " |\n");
    }
}

void
help_markdown (const ctl_group_t *const *groups, size_t count, FILE *out)
{
    fprintf (out, "## Global options\n\n"
                  "Every command accepts these, before or after the command name.\n");
    s_markdown_options (ctl_global_options, out);
    fprintf (out, "\n## Commands\n\n| command | what it does |\n|---|---|\n");
    for (size_t g = 0; g < count; g++)
        for (const ctl_command_t *command = groups [g]->commands; command->run; command++) {
            char name [64];
            s_command_name (groups [g], command, name, sizeof name);
            fprintf (out, "| `%s` | ", name);
            s_markdown_text (command->summary, true, out);
            fprintf (out, " |\n");
        }
    for (size_t g = 0; g < count; g++) {
        const ctl_group_t *group = groups [g];
        fprintf (out, "\n### %s\n\n", group->name);
        s_markdown_text (group->summary, false, out);
        fprintf (out, "\n");
        for (const ctl_command_t *command = group->commands; command->run; command++) {
            char name [64];
            s_command_name (group, command, name, sizeof name);
            fprintf (out, "\n#### `rcmqctl %s%s%s`\n\n", name,
                     command->operands? " ": "", command->operands? command->operands: "");
            s_markdown_text (command->summary, false, out);
            fprintf (out, ".\n");
            if (command->help) {
                fprintf (out, "\n");
                s_markdown_text (command->help, false, out);
                fprintf (out, "\n");
            }
            s_markdown_options (command->options, out);
        }
    }
}
