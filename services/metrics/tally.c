/*  tally: see tally.h. Groups are kept by key while rows are added, and
    listed in key order the first time a caller asks for them (a query adds
    every row before it reads any figure).
*/
#include "tally.h"

struct _tally_t {
    size_t slots;
    int64_t *overall;
    int64_t *zero;              //  a group never added
    zhashx_t *groups;           //  key -> int64_t [slots]
    const char **keys;          //  the groups' keys ascending; NULL until asked
    size_t key_count;
};

tally_t *
tally_new (size_t slots)
{
    tally_t *self = (tally_t *) zmalloc (sizeof (tally_t));
    self->slots = slots;
    self->overall = (int64_t *) calloc (slots, sizeof (int64_t));
    self->zero = (int64_t *) calloc (slots, sizeof (int64_t));
    self->groups = zhashx_new ();
    zhashx_set_destructor (self->groups, (zhashx_destructor_fn *) zstr_free);
    return self;
}

void
tally_destroy (tally_t **self_p)
{
    assert (self_p);
    tally_t *self = *self_p;
    if (!self)
        return;
    free (self->keys);
    zhashx_destroy (&self->groups);
    free (self->zero);
    free (self->overall);
    free (self);
    *self_p = NULL;
}

void
tally_add (tally_t *self, const char *key, const int64_t *totals, int from, int to)
{
    assert (self && !self->keys);
    assert (0 <= from && from <= to && (size_t) to <= self->slots);
    for (int s = from; s < to; s++)
        self->overall [s] += totals [s];
    if (!key)
        return;
    int64_t *group = (int64_t *) zhashx_lookup (self->groups, key);
    if (!group) {
        group = (int64_t *) calloc (self->slots, sizeof (int64_t));
        zhashx_insert (self->groups, key, group);
    }
    for (int s = from; s < to; s++)
        group [s] += totals [s];
}

static int
s_key_compare (const void *a, const void *b)
{
    return strcmp (*(const char *const *) a, *(const char *const *) b);
}

//  The keys point into the hash, which takes no more rows once asked.
static void
s_list_keys (tally_t *self)
{
    if (self->keys)
        return;
    self->key_count = zhashx_size (self->groups);
    self->keys = (const char **) calloc (self->key_count + 1, sizeof (char *));
    size_t index = 0;
    for (void *group = zhashx_first (self->groups); group; group = zhashx_next (self->groups))
        self->keys [index++] = (const char *) zhashx_cursor (self->groups);
    qsort (self->keys, self->key_count, sizeof (char *), s_key_compare);
}

size_t
tally_group_count (tally_t *self)
{
    s_list_keys (self);
    return self->key_count;
}

const char *
tally_group_key (tally_t *self, size_t index)
{
    s_list_keys (self);
    return index < self->key_count? self->keys [index]: NULL;
}

void
tally_value (tally_t *self, const tally_def_t *def, const char *group_key, bool available, KpiValue *value)
{
    const int64_t *totals = self->overall;
    if (group_key) {
        totals = (const int64_t *) zhashx_lookup (self->groups, group_key);
        if (!totals)
            totals = self->zero;
    }
    kpi_value__init (value);
    value->name = (char *) def->name;
    value->unit = (char *) def->unit;
    value->numerator = totals [def->numerator];
    value->denominator = def->denominator >= 0? totals [def->denominator]: 0;
    value->available = available && (def->denominator < 0 || value->denominator > 0);
    if (!value->available)
        return;
    if (def->denominator < 0) {
        value->amount = value->numerator;
        value->value = (double) value->numerator;
    }
    else
        value->value = (double) value->numerator / (double) value->denominator / def->scale;
}
