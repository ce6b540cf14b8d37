/*  kpi: see kpi.h. The table below is the single statement of every
    formula in docs/metrics.md; a figure is its numerator terms over its
    denominator terms.
*/
#include "kpi.h"
#include "clock.h"

#define FLOW(name)    (KPI_SLOT_FLOW + AGG_DAY_##name + 1)
#define COHORT(name)  (KPI_SLOT_COHORT + AGG_DOS_##name + 1)
#define SLOT(slot)    ((slot) + 1)
#define MINUS(term)   (-(term))

const kpi_def_t kpi_table [] = {
    //  Claims accepted by intake with no scrub error / claims received, by day received.
    { "clean_claim_rate", "clean claim rate", KPI_RATIO,
      { FLOW (clean) }, { FLOW (received) }, true },
    //  First adjudication a denial / claims first adjudicated, by remit date.
    { "initial_denial_rate", "initial denial rate", KPI_RATIO,
      { FLOW (first_denied) }, { FLOW (first_adjudicated) }, true },
    { "initial_denial_rate_dollars", "initial denial rate $", KPI_RATIO,
      { FLOW (first_denied_cents) }, { FLOW (first_adjudicated_cents) }, false },
    //  Payments / (charges - contractual adjustments), cohort by date of service.
    { "net_collection_rate", "net collection rate", KPI_RATIO,
      { COHORT (paid_cents) }, { COHORT (charge_cents), MINUS (COHORT (contractual_cents)) }, true },
    //  A/R / (charges with date of service in the window_days to as_of / window_days).
    { "days_in_ar", "days in A/R", KPI_DAYS,
      { SLOT (KPI_SLOT_AR_INSURANCE), SLOT (KPI_SLOT_AR_PATIENT) }, { SLOT (KPI_SLOT_DAR_CHARGES) }, true },
    { "ar_cents", "A/R", KPI_CENTS,
      { SLOT (KPI_SLOT_AR_INSURANCE), SLOT (KPI_SLOT_AR_PATIENT) }, { 0 }, true },
    { "ar_insurance_cents", "insurance A/R", KPI_CENTS, { SLOT (KPI_SLOT_AR_INSURANCE) }, { 0 }, false },
    { "ar_patient_cents", "patient A/R", KPI_CENTS, { SLOT (KPI_SLOT_AR_PATIENT) }, { 0 }, false },
    //  A/R more than 90 days from date of service / A/R.
    { "pct_ar_over_90", "A/R > 90 days", KPI_RATIO,
      { SLOT (KPI_SLOT_AGING + 3), SLOT (KPI_SLOT_AGING + 4) },
      { SLOT (KPI_SLOT_AR_INSURANCE), SLOT (KPI_SLOT_AR_PATIENT) }, true },
    //  The cohort behind the net collection rate.
    { "charges_cents", "charges", KPI_CENTS, { COHORT (charge_cents) }, { 0 }, false },
    { "payments_cents", "payments", KPI_CENTS, { COHORT (paid_cents) }, { 0 }, false },
    { "contractual_cents", "contractual adj.", KPI_CENTS, { COHORT (contractual_cents) }, { 0 }, false },
    //  Throughput in [from, to].
    { "received", "received", KPI_COUNT, { FLOW (received) }, { 0 }, false },
    { "clean", "clean", KPI_COUNT, { FLOW (clean) }, { 0 }, false },
    { "rejected", "rejected", KPI_COUNT, { FLOW (rejected) }, { 0 }, false },
    { "submitted", "submitted", KPI_COUNT, { FLOW (submitted) }, { 0 }, false },
    { "adjudicated", "adjudicated", KPI_COUNT, { FLOW (adjudicated) }, { 0 }, false },
    { "paid", "paid", KPI_COUNT, { FLOW (paid) }, { 0 }, false },
    { "payments_posted_cents", "payments posted", KPI_CENTS, { FLOW (paid_cents) }, { 0 }, false },
    { "denied", "denials", KPI_COUNT, { FLOW (denied) }, { 0 }, false },
    { "denied_cents", "denied $", KPI_CENTS, { FLOW (denied_cents) }, { 0 }, false },
    { "written_off_cents", "written off", KPI_CENTS, { FLOW (written_off_cents) }, { 0 }, false },
};
const size_t kpi_table_size = sizeof kpi_table / sizeof kpi_table [0];

const kpi_def_t *
kpi_find (const char *name)
{
    for (size_t i = 0; i < kpi_table_size; i++)
        if (streq (kpi_table [i].name, name))
            return &kpi_table [i];
    return NULL;
}

char *
kpi_names (bool drillable)
{
    char *names = strdup ("");
    for (size_t i = 0; i < kpi_table_size; i++) {
        if (drillable && !kpi_drill_find (kpi_table [i].name))
            continue;
        char *more = zsys_sprintf ("%s%s%s", names, *names? ", ": "", kpi_table [i].name);
        free (names);
        names = more;
    }
    return names;
}

const char *
kpi_unit_name (kpi_unit_t unit)
{
    static const char *const names [] = { "ratio", "days", "cents", "count" };
    return names [unit];
}

static int64_t
s_terms (const int *terms, const kpi_totals_t *totals)
{
    int64_t sum = 0;
    for (int i = 0; i < KPI_MAX_TERMS && terms [i]; i++)
        sum += terms [i] > 0? totals->slots [terms [i] - 1]: -totals->slots [-terms [i] - 1];
    return sum;
}

kpi_value_t
kpi_evaluate (const kpi_def_t *def, const kpi_totals_t *totals, uint32_t window_days)
{
    kpi_value_t value = { 0 };
    value.numerator = s_terms (def->numerator, totals);
    value.denominator = s_terms (def->denominator, totals);
    if (def->unit == KPI_CENTS || def->unit == KPI_COUNT) {
        value.available = true;
        value.amount = value.numerator;
        value.value = (double) value.numerator;
        return value;
    }
    //  A rate over nothing, or over a negative base, is not a figure.
    value.available = value.denominator > 0 && window_days > 0;
    if (!value.available)
        return value;
    if (def->unit == KPI_DAYS)
        value.value = (double) value.numerator * window_days / (double) value.denominator;
    else
        value.value = (double) value.numerator / (double) value.denominator;
    return value;
}

//  --------------------------------------------------------------------------
//  Totals

static void
s_totals_init (kpi_totals_t *totals)
{
    memset (totals, 0, sizeof *totals);
    for (int kind = 0; kind < 2; kind++) {
        totals->reasons [kind] = zhashx_new ();
        zhashx_set_destructor (totals->reasons [kind], (zhashx_destructor_fn *) zstr_free);
    }
}

static void
s_totals_fini (kpi_totals_t *totals)
{
    for (int kind = 0; kind < 2; kind++)
        zhashx_destroy (&totals->reasons [kind]);
}

static void
s_reason_add (zhashx_t *reasons, const char *code, int64_t count, int64_t cents)
{
    int64_t *row = (int64_t *) zhashx_lookup (reasons, code);
    if (!row) {
        row = (int64_t *) zmalloc (2 * sizeof (int64_t));
        zhashx_insert (reasons, code, row);
    }
    row [0] += count;
    row [1] += cents;
}

//  The reasons of one dims combination, summed before they join its
//  groups' tables. A query reads one reasons row per (combination, day,
//  code) in its window, many more than there are codes, so the rows are
//  summed into a short array sorted by (kind, code), not looked up in a
//  hash row by row; the hashes see each (combination, code) once. The rows
//  of one combination come day by day, each day's codes in order, so the
//  entry after the last one hit (wrapping round) is tried before a search.
typedef struct {
    int kind;                   //  0 denials, 1 rejections
    size_t length;
    char code [65];             //  terminated, for the hashes
    int64_t count;
    int64_t cents;
} s_code_t;

typedef struct {
    s_code_t *codes;
    size_t count;
    size_t capacity;
    size_t next;                //  the entry after the last one hit
} s_codes_t;

//  Any total order serves the search: (kind, length, bytes).
static int
s_code_compare (int kind, const char *code, size_t length, const s_code_t *entry)
{
    if (kind != entry->kind)
        return kind - entry->kind;
    if (length != entry->length)
        return length < entry->length? -1: 1;
    return memcmp (code, entry->code, length);
}

static void
s_on_reason (void *arg, agg_reason_kind_t kind, const char *code, size_t length, int64_t count, int64_t cents)
{
    s_codes_t *codes = (s_codes_t *) arg;
    int index = kind == AGG_REASON_DENIAL? 0: 1;
    assert (length < sizeof codes->codes [0].code);
    size_t at = codes->next < codes->count? codes->next: 0;
    if (at >= codes->count || s_code_compare (index, code, length, &codes->codes [at]) != 0) {
        //  Where it is, or where it goes.
        size_t low = 0, high = codes->count;
        while (low < high) {
            size_t middle = (low + high) / 2;
            int order = s_code_compare (index, code, length, &codes->codes [middle]);
            if (order == 0)
                low = high = middle;
            else
            if (order < 0)
                high = middle;
            else
                low = middle + 1;
        }
        at = low;
        if (at == codes->count || s_code_compare (index, code, length, &codes->codes [at]) != 0) {
            if (codes->count == codes->capacity) {
                codes->capacity = codes->capacity? codes->capacity * 2: 16;
                codes->codes = (s_code_t *) realloc (codes->codes, codes->capacity * sizeof (s_code_t));
                assert (codes->codes);
            }
            memmove (&codes->codes [at + 1], &codes->codes [at], (codes->count - at) * sizeof (s_code_t));
            codes->count++;
            s_code_t *entry = &codes->codes [at];
            entry->kind = index;
            entry->length = length;
            memcpy (entry->code, code, length);
            entry->code [length] = 0;
            entry->count = 0;
            entry->cents = 0;
        }
    }
    codes->codes [at].count += count;
    codes->codes [at].cents += cents;
    codes->next = at + 1;
}

static void
s_totals_add (kpi_totals_t *into, const kpi_totals_t *from, const s_codes_t *codes)
{
    for (int i = 0; i < KPI_SLOT_COUNT; i++)
        into->slots [i] += from->slots [i];
    for (int i = 0; i < AGG_BUCKETS; i++) {
        into->insurance [i] += from->insurance [i];
        into->patient [i] += from->patient [i];
    }
    for (size_t i = 0; i < codes->count; i++)
        s_reason_add (into->reasons [codes->codes [i].kind], codes->codes [i].code,
                      codes->codes [i].count, codes->codes [i].cents);
}

//  The totals of one dims combination.
static int
s_sum (store_t *store, MDB_txn *txn, uint32_t dims, const kpi_query_t *query, kpi_totals_t *totals,
       s_codes_t *codes)
{
    int rc = 0;
    uint32_t dar_from = query->as_of >= query->window_days? query->as_of - query->window_days + 1: 1;
    if (!query->balances_only) {
        rc = agg_day_sum (store, txn, dims, query->from, query->to, totals->slots + KPI_SLOT_FLOW);
        if (rc == 0)
            rc = agg_dos_sum (store, txn, dims, query->from, query->to, totals->slots + KPI_SLOT_COHORT);
        if (rc == 0 && !query->without_reasons)
            rc = agg_reasons_sum (store, txn, dims, AGG_REASON_DENIAL, query->from, query->to, s_on_reason, codes);
        if (rc == 0 && !query->without_reasons)
            rc = agg_reasons_sum (store, txn, dims, AGG_REASON_REJECTION, query->from, query->to, s_on_reason, codes);
    }
    //  Days in A/R's charges are the cohort's when the windows coincide,
    //  which is the default query.
    if (rc == 0 && !query->balances_only && dar_from == query->from && query->as_of == query->to)
        totals->slots [KPI_SLOT_DAR_CHARGES] = totals->slots [KPI_SLOT_COHORT + AGG_DOS_charge_cents];
    else
    if (rc == 0) {
        int64_t cohort [AGG_DOS_COUNT] = { 0 };
        rc = agg_dos_sum (store, txn, dims, dar_from, query->as_of, cohort);
        totals->slots [KPI_SLOT_DAR_CHARGES] = cohort [AGG_DOS_charge_cents];
    }
    if (rc == 0)
        rc = agg_ar_as_of (store, txn, dims, query->as_of, totals->insurance, totals->patient);
    for (int i = 0; i < AGG_BUCKETS; i++) {
        totals->slots [KPI_SLOT_AR_INSURANCE] += totals->insurance [i];
        totals->slots [KPI_SLOT_AR_PATIENT] += totals->patient [i];
        totals->slots [KPI_SLOT_AGING + i] = totals->insurance [i] + totals->patient [i];
    }
    return rc;
}

static int
s_group_compare (const void *a, const void *b)
{
    return strcmp ((*(kpi_group_t *const *) a)->key, (*(kpi_group_t *const *) b)->key);
}

int
kpi_run (store_t *store, MDB_txn *txn, const kpi_query_t *query, kpi_result_t **result)
{
    kpi_result_t *self = (kpi_result_t *) zmalloc (sizeof (kpi_result_t));
    *result = self;
    self->overall.key = strdup ("");
    s_totals_init (&self->overall.totals);
    zhashx_t *groups = zhashx_new ();
    dims_list_t *dims = combos_load (store, txn, &dims_combos);
    s_codes_t codes = { NULL, 0, 0, 0 };
    int rc = 0;
    for (size_t i = 0; i < dims->count && rc == 0; i++) {
        const dims_entry_t *entry = &dims->entries [i];
        if (!dims_match (entry, query->filters))
            continue;
        //  A combination's own totals have no reason tables: its reasons
        //  are in codes.
        kpi_totals_t totals;
        memset (&totals, 0, sizeof totals);
        codes.count = 0;
        codes.next = 0;
        rc = s_sum (store, txn, entry->id, query, &totals, &codes);
        s_totals_add (&self->overall.totals, &totals, &codes);
        if (query->group_count) {
            char key [1024];
            dims_group_key (entry, query->group_by, query->group_count, key, sizeof key);
            kpi_group_t *group = (kpi_group_t *) zhashx_lookup (groups, key);
            if (!group) {
                group = (kpi_group_t *) zmalloc (sizeof (kpi_group_t));
                group->key = strdup (key);
                s_totals_init (&group->totals);
                zhashx_insert (groups, key, group);
            }
            s_totals_add (&group->totals, &totals, &codes);
        }
    }
    free (codes.codes);
    combos_list_destroy (&dims);
    self->group_count = zhashx_size (groups);
    self->groups = (kpi_group_t **) calloc (self->group_count + 1, sizeof (kpi_group_t *));
    size_t index = 0;
    for (kpi_group_t *group = (kpi_group_t *) zhashx_first (groups); group;
         group = (kpi_group_t *) zhashx_next (groups))
        self->groups [index++] = group;
    qsort (self->groups, self->group_count, sizeof (kpi_group_t *), s_group_compare);
    zhashx_destroy (&groups);
    return rc;
}

void
kpi_result_destroy (kpi_result_t **self_p)
{
    assert (self_p);
    kpi_result_t *self = *self_p;
    if (!self)
        return;
    for (size_t i = 0; i < self->group_count; i++) {
        s_totals_fini (&self->groups [i]->totals);
        free (self->groups [i]->key);
        free (self->groups [i]);
    }
    free (self->groups);
    s_totals_fini (&self->overall.totals);
    free (self->overall.key);
    free (self);
    *self_p = NULL;
}

kpi_group_t *
kpi_result_group (kpi_result_t *self, const char *key)
{
    for (size_t i = 0; i < self->group_count; i++)
        if (streq (self->groups [i]->key, key))
            return self->groups [i];
    kpi_group_t *group = (kpi_group_t *) zmalloc (sizeof (kpi_group_t));
    group->key = strdup (key);
    s_totals_init (&group->totals);
    self->groups = (kpi_group_t **) realloc (self->groups, (self->group_count + 2) * sizeof (kpi_group_t *));
    assert (self->groups);
    self->groups [self->group_count++] = group;
    self->groups [self->group_count] = NULL;
    qsort (self->groups, self->group_count, sizeof (kpi_group_t *), s_group_compare);
    return group;
}

kpi_value_t
kpi_get (const kpi_result_t *result, const char *group_key, const char *name, const kpi_query_t *query)
{
    const kpi_def_t *def = kpi_find (name);
    assert (def);
    const kpi_group_t *group = NULL;
    if (!group_key)
        group = &result->overall;
    for (size_t i = 0; !group && i < result->group_count; i++)
        if (streq (result->groups [i]->key, group_key))
            group = result->groups [i];
    if (!group) {
        kpi_value_t none = { 0 };
        return none;
    }
    return kpi_evaluate (def, &group->totals, query->window_days);
}

int64_t
kpi_reason (const kpi_totals_t *totals, int kind, const char *code, bool cents)
{
    int64_t *row = (int64_t *) zhashx_lookup (totals->reasons [kind], code);
    return row? row [cents? 1: 0]: 0;
}

//  --------------------------------------------------------------------------
//  Trend periods

//  The first day of the period holding day, by interval; below 1 when that
//  period would begin before 1970-01-01 (day 1), where days cannot go.
static int64_t
s_period_start (const char *interval, uint32_t day)
{
    if (streq (interval, "day"))
        return day;
    if (streq (interval, "week"))
        //  1970-01-01 (day 1) was a Thursday: Monday-based weeks.
        return (int64_t) day - ((int64_t) day - 1 + 3) % 7;
    int year, month, mday;
    clock_civil_from_days ((int64_t) day - 1, &year, &month, &mday);
    return clock_days_from_civil (year, month, 1) + 1;
}

size_t
kpi_periods (const char *interval, uint32_t as_of, size_t periods, uint32_t *from, uint32_t *to)
{
    //  Counting back from a day near 1970 would wrap around to the far
    //  future; such a trend is refused, not computed.
    uint32_t end = as_of;
    for (size_t i = 0; i < periods; i++) {
        size_t slot = periods - 1 - i;
        int64_t start = end >= 1? s_period_start (interval, end): 0;
        if (start < 1)
            return 0;
        from [slot] = (uint32_t) start;
        to [slot] = end;
        end = from [slot] - 1;
    }
    return periods;
}

//  --------------------------------------------------------------------------
//  Drill

static const kpi_drill_def_t s_drills [] = {
    { "clean_claim_rate",            AGG_DRILL_RECEIVED, KPI_DRILL_WINDOW, 1 },
    { "received",                    AGG_DRILL_RECEIVED, KPI_DRILL_WINDOW, 0 },
    { "clean",                       AGG_DRILL_RECEIVED, KPI_DRILL_WINDOW, 1 },
    { "rejected",                    AGG_DRILL_RECEIVED, KPI_DRILL_WINDOW, -1 },
    { "initial_denial_rate",         AGG_DRILL_FIRST,    KPI_DRILL_WINDOW, 1 },
    { "initial_denial_rate_dollars", AGG_DRILL_FIRST,    KPI_DRILL_WINDOW, 1 },
    { "net_collection_rate",         AGG_DRILL_COHORT,   KPI_DRILL_WINDOW, 0 },
    { "charges_cents",               AGG_DRILL_COHORT,   KPI_DRILL_WINDOW, 0 },
    { "payments_cents",              AGG_DRILL_COHORT,   KPI_DRILL_WINDOW, 0 },
    { "contractual_cents",           AGG_DRILL_COHORT,   KPI_DRILL_WINDOW, 0 },
    { "ar_cents",                    AGG_DRILL_OPEN,     KPI_DRILL_ALL,    0 },
    { "ar_insurance_cents",          AGG_DRILL_OPEN,     KPI_DRILL_ALL,    0 },
    { "ar_patient_cents",            AGG_DRILL_OPEN,     KPI_DRILL_ALL,    0 },
    { "days_in_ar",                  AGG_DRILL_OPEN,     KPI_DRILL_ALL,    0 },
    { "pct_ar_over_90",              AGG_DRILL_OPEN,     KPI_DRILL_OVER_90, 0 },
    { "denied",                      AGG_DRILL_DENIED,   KPI_DRILL_WINDOW, 0 },
    { "denied_cents",                AGG_DRILL_DENIED,   KPI_DRILL_WINDOW, 0 },
    { NULL }
};

const kpi_drill_def_t *
kpi_drill_find (const char *kpi)
{
    for (const kpi_drill_def_t *def = s_drills; def->kpi; def++)
        if (streq (def->kpi, kpi))
            return def;
    return NULL;
}

typedef struct {
    const kpi_drill_def_t *def;
    bool numerator_only;
    kpi_drill_page_t *page;
    size_t limit;
} s_drill_t;

static bool
s_on_entry (void *arg, const agg_drill_entry_t *entry)
{
    s_drill_t *drill = (s_drill_t *) arg;
    agg_drill_entry_t row = *entry;
    row.flag = drill->def->counted == 0? true: drill->def->counted > 0? entry->flag: !entry->flag;
    if (drill->numerator_only && !row.flag)
        return true;
    if (drill->page->count == drill->limit) {
        drill->page->more = true;
        return false;
    }
    drill->page->entries [drill->page->count++] = row;
    return true;
}

int
kpi_drill (store_t *store, MDB_txn *txn, const kpi_query_t *query, const kpi_drill_def_t *def,
           bool numerator_only, size_t limit, const agg_drill_entry_t *after, kpi_drill_page_t *page)
{
    page->entries = (agg_drill_entry_t *) calloc (limit + 1, sizeof (agg_drill_entry_t));
    page->count = 0;
    page->more = false;
    uint32_t from = query->from, to = query->to;
    if (def->range != KPI_DRILL_WINDOW) {
        from = 0;
        to = def->range == KPI_DRILL_ALL? UINT32_MAX: query->as_of > 91? query->as_of - 91: 0;
    }
    s_drill_t drill = { def, numerator_only, page, limit };
    dims_list_t *dims = combos_load (store, txn, &dims_combos);
    int rc = 0;
    for (size_t i = 0; i < dims->count && rc == 0 && !page->more; i++) {
        const dims_entry_t *entry = &dims->entries [i];
        if ((after && entry->id < after->dims) || !dims_match (entry, query->filters))
            continue;
        rc = agg_drill_walk (store, txn, def->kind, entry->id, from, to, after, s_on_entry, &drill);
    }
    combos_list_destroy (&dims);
    return rc;
}
