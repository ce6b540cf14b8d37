/*  problems: see problems.h. A short list: a process has a handful of
    problems at most, so a linear search is the clearest structure.
*/
#include "problems.h"

#include <czmq.h>
#include <stdarg.h>

typedef struct {
    char *code;
    char *subject;
    uint64_t seq;
    char *message;
    char *stream;
    char *error;
} s_problem_t;

struct _problems_t {
    zlistx_t *list;             //  s_problem_t *
};

static void
s_problem_free (void **item_p)
{
    s_problem_t *problem = (s_problem_t *) *item_p;
    if (problem) {
        free (problem->code);
        free (problem->subject);
        free (problem->message);
        free (problem->stream);
        free (problem->error);
        free (problem);
    }
    *item_p = NULL;
}

problems_t *
problems_new (void)
{
    problems_t *self = (problems_t *) zmalloc (sizeof (problems_t));
    self->list = zlistx_new ();
    zlistx_set_destructor (self->list, s_problem_free);
    return self;
}

void
problems_destroy (problems_t **self_p)
{
    assert (self_p);
    problems_t *self = *self_p;
    if (!self)
        return;
    zlistx_destroy (&self->list);
    free (self);
    *self_p = NULL;
}

static s_problem_t *
s_find (problems_t *self, const char *code, const char *subject)
{
    for (s_problem_t *problem = (s_problem_t *) zlistx_first (self->list); problem;
         problem = (s_problem_t *) zlistx_next (self->list))
        if (streq (problem->code, code) && streq (problem->subject, subject? subject: ""))
            return problem;
    return NULL;
}

bool
problems_raise (problems_t *self, const char *code, const char *subject,
                uint64_t seq, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    char *message = zsys_vprintf (format, args);
    va_end (args);
    s_problem_t *problem = s_find (self, code, subject);
    bool is_new = problem == NULL;
    if (is_new) {
        problem = (s_problem_t *) zmalloc (sizeof (s_problem_t));
        problem->code = strdup (code);
        problem->subject = strdup (subject? subject: "");
        zlistx_add_end (self->list, problem);
    }
    free (problem->message);
    problem->message = message;
    problem->seq = seq;
    return is_new;
}

void
problems_detail (problems_t *self, const char *code, const char *subject,
                 const char *stream, const char *error)
{
    s_problem_t *problem = s_find (self, code, subject);
    if (!problem)
        return;
    free (problem->stream);
    free (problem->error);
    problem->stream = stream? strdup (stream): NULL;
    problem->error = error? strdup (error): NULL;
}

bool
problems_clear (problems_t *self, const char *code, const char *subject)
{
    s_problem_t *problem = s_find (self, code, subject);
    if (!problem)
        return false;
    void *handle = zlistx_find (self->list, problem);
    zlistx_delete (self->list, handle);
    return true;
}

bool
problems_has (problems_t *self, const char *code, const char *subject)
{
    return s_find (self, code, subject) != NULL;
}

size_t
problems_count (problems_t *self)
{
    return zlistx_size (self->list);
}

Problem **
problems_to_proto (problems_t *const *lists, size_t count, size_t *n_p)
{
    size_t total = 0;
    for (size_t i = 0; i < count; i++)
        total += lists [i]? zlistx_size (lists [i]->list): 0;
    Problem **array = (Problem **) calloc (total + 1, sizeof (Problem *));
    size_t n = 0;
    for (size_t i = 0; i < count; i++) {
        if (!lists [i])
            continue;
        zlistx_t *list = lists [i]->list;
        for (s_problem_t *problem = (s_problem_t *) zlistx_first (list); problem;
             problem = (s_problem_t *) zlistx_next (list)) {
            Problem *message = (Problem *) zmalloc (sizeof (Problem));
            problem__init (message);
            message->code = strdup (problem->code);
            message->subject = strdup (problem->subject);
            message->message = strdup (problem->message);
            message->seq = problem->seq;
            message->stream = strdup (problem->stream? problem->stream: "");
            message->error = strdup (problem->error? problem->error: "");
            array [n++] = message;
        }
    }
    *n_p = n;
    return array;
}

void
problems_proto_free (Problem ***array_p, size_t n)
{
    Problem **array = *array_p;
    if (!array)
        return;
    for (size_t i = 0; i < n; i++) {
        free (array [i]->code);
        free (array [i]->subject);
        free (array [i]->message);
        free (array [i]->stream);
        free (array [i]->error);
        free (array [i]);
    }
    free (array);
    *array_p = NULL;
}
