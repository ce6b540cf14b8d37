/*  methods: rcmq-metrics' request methods, as one dispatch table.

        metrics.Kpi        KpiRequest -> KpiReply           metrics.read
        metrics.Aging      KpiRequest -> KpiReply           metrics.read
        metrics.Trend      TrendRequest -> TrendReply       metrics.read
        metrics.Scorecard  ScorecardRequest -> KpiReply     metrics.read
        metrics.Drill      DrillRequest -> DrillReply       metrics.read
        metrics.Work       WorkMetricsRequest -> KpiReply   metrics.read
        metrics.Rebuild    -> RebuildReply                  metrics.admin

    Every handler reads the aggregates in the call's transaction. Vendor
    roles see only their own team's figures (DESIGN §4, scope): the reads
    are list-filtered (server.h), their owner-team filter forced to
    access_scope_team. Rebuild acts on everything: internal only.
*/
#include "methods.h"
#include "metrics.h"
#include "facts.h"
#include "kpi.h"
#include "work_kpi.h"
#include "denial_kpi.h"
#include "names.h"
#include "access.h"
#include "server.h"
#include "clock.h"

#define METRICS_WINDOW_DAYS 90
#define METRICS_MAX_WINDOW  3660
#define TREND_PERIODS       12
#define TREND_MAX_PERIODS   120
#define TREND_MAX_KPIS      64      //  KPIs in one Trend request

//  Allocations a reply points into, freed after it is packed.
typedef struct {
    zlistx_t *blocks;
} s_arena_t;

static void *
s_alloc (s_arena_t *arena, size_t size)
{
    if (!arena->blocks) {
        arena->blocks = zlistx_new ();
        zlistx_set_destructor (arena->blocks, (zlistx_destructor_fn *) zstr_free);
    }
    void *block = zmalloc (size? size: 1);
    zlistx_add_end (arena->blocks, block);
    return block;
}

static char *
s_strdup (s_arena_t *arena, const char *text)
{
    char *copy = (char *) s_alloc (arena, strlen (text) + 1);
    memcpy (copy, text, strlen (text));
    return copy;
}

static char *
s_day_text (s_arena_t *arena, uint32_t day)
{
    char text [16];
    metrics_day_format (day, text, sizeof text);
    return s_strdup (arena, text);
}

//  The name of kind's id, in the arena ("" when none is known).
static char *
s_name (s_arena_t *arena, server_call_t *call, names_kind_t kind, const char *id)
{
    char name [NAMES_MAX];
    names_get (call->store, call->txn, kind, id, name, sizeof name);
    return s_strdup (arena, name);
}

//  A group's payer and location names, when the groups are by them: the
//  key holds the group's values joined by "|" in group_by order.
static void
s_set_names (s_arena_t *arena, server_call_t *call, const kpi_query_t *query, KpiSet *set)
{
    static const struct {
        const char *dim;
        names_kind_t kind;
        size_t offset;
    } s_named [] = {
        { "payer_id", NAMES_PAYER,    offsetof (KpiSet, payer_name) },
        { "location", NAMES_LOCATION, offsetof (KpiSet, location_name) },
    };
    for (size_t n = 0; n < sizeof s_named / sizeof s_named [0]; n++) {
        int dim = dims_index (s_named [n].dim);
        const char *value = set->key;
        for (size_t g = 0; g < query->group_count && value; g++) {
            const char *end = strchr (value, '|');
            size_t length = end? (size_t) (end - value): strlen (value);
            if (query->group_by [g] == dim) {
                char id [256];
                snprintf (id, sizeof id, "%.*s", (int) length, value);
                *(char **) ((char *) set + s_named [n].offset) = s_name (arena, call, s_named [n].kind, id);
                break;
            }
            value = end? end + 1: NULL;
        }
    }
}

static void
s_arena_free (s_arena_t *arena)
{
    zlistx_destroy (&arena->blocks);
}

//  --------------------------------------------------------------------------
//  Requests into queries

//  Each helper that fails the call returns -1, so a handler stops there.
static int
s_day (server_call_t *call, const char *field, const char *text, uint32_t *day)
{
    *day = metrics_day_from_text (text);
    if (*day)
        return 0;
    server_call_fail (call, STATUS__INVALID_ARGUMENT, "%s: %s '%s' is not a date (YYYY-MM-DD)",
                      call->request->method, field, text);
    return -1;
}

//  A filter that names a value no claim has is a typo far more often than
//  a question, and answering n/a makes a payer look clean: refuse it and
//  list the values that exist (at most a screenful). Returns 0 or -1 with
//  the call failed.
#define KNOWN_VALUES_LISTED 20

//  Refuses the first filter (wanted [i], "" or NULL: none; skip: not
//  checked) that no combination of def holds, naming the dimension
//  (names [i]) and what has it ("claim", "work item").
static int
s_filters_known (server_call_t *call, const combos_def_t *def, const char *const wanted [],
                 const char *const names [], const char *what, int skip)
{
    combos_list_t *list = NULL;
    int rc = 0;
    for (int i = 0; i < def->fields && rc == 0; i++) {
        if (!wanted [i] || !*wanted [i] || i == skip)
            continue;
        if (!list)
            list = combos_load (call->store, call->txn, def);
        zlistx_t *known = zlistx_new ();
        zlistx_set_comparator (known, (zlistx_comparator_fn *) strcmp);
        bool found = false;
        for (size_t e = 0; list && e < list->count && !found; e++) {
            const char *value = list->entries [e].values [i];
            found = streq (value, wanted [i]);
            if (*value && !zlistx_find (known, (void *) value))
                zlistx_add_end (known, (void *) value);
        }
        if (!found) {
            zlistx_sort (known);
            char *listed_names = strdup ("");
            size_t listed = 0;
            for (const char *value = (const char *) zlistx_first (known); value && listed < KNOWN_VALUES_LISTED;
                 value = (const char *) zlistx_next (known), listed++) {
                char *more = zsys_sprintf ("%s%s%s", listed_names, *listed_names? ", ": "", value);
                free (listed_names);
                listed_names = more;
            }
            size_t total = zlistx_size (known);
            server_call_fail (call, STATUS__INVALID_ARGUMENT, "%s: no %s has %s '%s' (known: %s%s)",
                              call->request->method, what, names [i], wanted [i],
                              total? listed_names: "none yet", total > listed? ", ...": "");
            free (listed_names);
            rc = -1;
        }
        zlistx_destroy (&known);
    }
    combos_list_destroy (&list);
    return rc;
}

static int
s_check_filter_values (server_call_t *call, const MetricsFilters *filters, int skip)
{
    const char *wanted [DIMS_COUNT], *names [DIMS_COUNT];
    for (int i = 0; i < DIMS_COUNT; i++) {
        wanted [i] = filters? dims_value (filters, i): "";
        names [i] = dims_table [i].name;
    }
    return s_filters_known (call, &dims_combos, wanted, names, "claim", skip);
}

//  Fills the query's filters and period. Returns 0, or -1 with the call
//  failed (INVALID_ARGUMENT / PERMISSION_DENIED).
static int
s_query (server_call_t *call, const MetricsFilters *filters, const MetricsPeriod *period, kpi_query_t *query)
{
    memset (query, 0, sizeof *query);
    for (int i = 0; i < DIMS_COUNT; i++)
        query->filters [i] = dims_value (filters, i);
    //  Scope (access.h): figures are kept by the team that works a queue
    //  (owner_team), which is the vendor's team exactly when its queue is
    //  in pilot or vendor phase with it; so a vendor's filter is its team.
    const char *scope_team = access_scope_team (call->caller);
    if (scope_team) {
        int team = dims_index ("owner_team");
        if (*query->filters [team] && !streq (query->filters [team], scope_team)) {
            server_call_fail (call, STATUS__PERMISSION_DENIED, "%s: team %s sees only its own figures",
                              call->request->method, scope_team);
            return -1;
        }
        query->filters [team] = scope_team;
    }
    //  A vendor's team filter is its own team, whether it has figures yet
    //  or not; and the list of known teams is not a vendor's to read.
    if (s_check_filter_values (call, filters,
                               access_role_is_vendor (call->caller->role)? dims_index ("owner_team"): -1))
        return -1;
    const char *as_of = period? period->as_of: "", *from = period? period->from: "", *to = period? period->to: "";
    if ((*as_of && s_day (call, "as_of", as_of, &query->as_of))
    ||  (*from && s_day (call, "from", from, &query->from))
    ||  (*to && s_day (call, "to", to, &query->to)))
        return -1;
    query->window_days = period && period->window_days? period->window_days:
                         query->from && query->to? query->to - query->from + 1:
                         METRICS_WINDOW_DAYS;
    if (!query->as_of)
        query->as_of = query->to? query->to: metrics_today ();
    if (!query->to)
        query->to = query->from? query->from + query->window_days - 1: query->as_of;
    if (!query->from)
        query->from = query->to >= query->window_days? query->to - query->window_days + 1: 1;
    if (query->from > query->to || query->window_days > METRICS_MAX_WINDOW) {
        server_call_fail (call, STATUS__INVALID_ARGUMENT, "%s: the period must run forward and span at most %d days",
                          call->request->method, METRICS_MAX_WINDOW);
        return -1;
    }
    return 0;
}

static int
s_group_by (server_call_t *call, char **names, size_t count, kpi_query_t *query)
{
    for (size_t i = 0; i < count && i < DIMS_COUNT; i++) {
        int index = dims_index (names [i]);
        if (index < 0) {
            server_call_fail (call, STATUS__INVALID_ARGUMENT,
                              "%s: cannot group by '%s' (payer_id, payer_group, location, "
                              "service_line, queue, owner_team)", call->request->method, names [i]);
            return -1;
        }
        query->group_by [query->group_count++] = index;
    }
    return 0;
}

//  --------------------------------------------------------------------------
//  Results into replies

static void
s_value (const kpi_def_t *def, kpi_value_t figure, KpiValue *value)
{
    kpi_value__init (value);
    value->name = (char *) def->name;
    value->unit = (char *) kpi_unit_name (def->unit);
    value->available = figure.available;
    value->value = figure.value;
    value->amount = figure.amount;
    value->numerator = figure.numerator;
    value->denominator = figure.denominator;
}

static int
s_reason_compare (const void *a, const void *b)
{
    return strcmp ((*(ReasonCount *const *) a)->code, (*(ReasonCount *const *) b)->code);
}

static ReasonCount **
s_reasons (s_arena_t *arena, zhashx_t *reasons, size_t *count)
{
    *count = zhashx_size (reasons);
    ReasonCount **rows = (ReasonCount **) s_alloc (arena, (*count + 1) * sizeof (ReasonCount *));
    size_t index = 0;
    for (int64_t *row = (int64_t *) zhashx_first (reasons); row; row = (int64_t *) zhashx_next (reasons)) {
        ReasonCount *reason = (ReasonCount *) s_alloc (arena, sizeof (ReasonCount));
        reason_count__init (reason);
        reason->code = s_strdup (arena, (const char *) zhashx_cursor (reasons));
        reason->count = row [0];
        reason->cents = row [1];
        rows [index++] = reason;
    }
    qsort (rows, *count, sizeof (ReasonCount *), s_reason_compare);
    return rows;
}

static bool
s_wanted (const char *const *only, const char *kpi)
{
    bool wanted = !only;
    for (const char *const *name = only; name && *name && !wanted; name++)
        wanted = streq (*name, kpi);
    return wanted;
}

//  only: the KPI names to include (NULL-terminated), or NULL for all.
//  work, denials: the work-item and denial figures to add (NULL: none),
//  of the group's key or, for the overall set, their overall.
static KpiSet *
s_set (s_arena_t *arena, const kpi_group_t *group, const kpi_query_t *query, const char *const *only,
       const work_result_t *work, const denial_result_t *denials, bool overall)
{
    KpiSet *set = (KpiSet *) s_alloc (arena, sizeof (KpiSet));
    kpi_set__init (set);
    set->key = group->key;
    set->values = (KpiValue **) s_alloc (arena, (kpi_table_size + work_kpi_count + denial_kpi_count)
                                                * sizeof (KpiValue *));
    for (size_t i = 0; i < kpi_table_size; i++) {
        const kpi_def_t *def = &kpi_table [i];
        if (!s_wanted (only, def->name))
            continue;
        KpiValue *value = (KpiValue *) s_alloc (arena, sizeof (KpiValue));
        s_value (def, kpi_evaluate (def, &group->totals, query->window_days), value);
        set->values [set->n_values++] = value;
    }
    for (size_t i = 0; work && i < work_kpi_count; i++) {
        if (!s_wanted (only, work_kpi_table [i].name))
            continue;
        KpiValue *value = (KpiValue *) s_alloc (arena, sizeof (KpiValue));
        work_kpi_value (work, overall? NULL: group->key, i, value);
        set->values [set->n_values++] = value;
    }
    for (size_t i = 0; denials && i < denial_kpi_count; i++) {
        if (!s_wanted (only, denial_kpi_table [i].name))
            continue;
        KpiValue *value = (KpiValue *) s_alloc (arena, sizeof (KpiValue));
        denial_kpi_value (denials, overall? NULL: group->key, i, value);
        set->values [set->n_values++] = value;
    }
    set->n_aging = AGG_BUCKETS;
    set->aging = (AgingBucket **) s_alloc (arena, AGG_BUCKETS * sizeof (AgingBucket *));
    for (int i = 0; i < AGG_BUCKETS; i++) {
        AgingBucket *bucket = (AgingBucket *) s_alloc (arena, sizeof (AgingBucket));
        aging_bucket__init (bucket);
        bucket->name = (char *) agg_buckets [i].name;
        bucket->insurance_cents = group->totals.insurance [i];
        bucket->patient_cents = group->totals.patient [i];
        bucket->cents = bucket->insurance_cents + bucket->patient_cents;
        set->aging [i] = bucket;
    }
    if (!query->balances_only) {
        set->denials = s_reasons (arena, group->totals.reasons [0], &set->n_denials);
        set->rejections = s_reasons (arena, group->totals.reasons [1], &set->n_rejections);
    }
    return set;
}

static int
s_reply_kpis (server_call_t *call, const kpi_query_t *query, char **group_by, size_t n_group_by,
              const char *const *only)
{
    kpi_result_t *result;
    work_result_t *work = NULL;
    denial_result_t *denials = NULL;
    int rc = kpi_run (call->store, call->txn, query, &result);
    //  The work-item figures beside the claims' (not in aging): a team or
    //  queue with work items and no claims still gets its group.
    if (rc == 0 && !query->balances_only) {
        work_query_t work_query;
        work_query_from_kpi (&work_query, query);
        rc = work_kpi_run (call->store, call->txn, &work_query, &work);
        for (size_t i = 0; rc == 0 && query->group_count && i < work_result_group_count (work); i++)
            kpi_result_group (result, work_result_group_key (work, i));
    }
    //  The denial figures, over the same combinations (a denial carries
    //  the claims dimensions).
    if (rc == 0 && !query->balances_only) {
        rc = denial_kpi_run (call->store, call->txn, query, &denials);
        for (size_t i = 0; rc == 0 && query->group_count && i < denial_result_group_count (denials); i++)
            kpi_result_group (result, denial_result_group_key (denials, i));
    }
    if (rc) {
        kpi_result_destroy (&result);
        work_result_destroy (&work);
        denial_result_destroy (&denials);
        return rc;
    }
    s_arena_t arena = { NULL };
    KpiReply reply = KPI_REPLY__INIT;
    reply.from = s_day_text (&arena, query->from);
    reply.to = s_day_text (&arena, query->to);
    reply.as_of = s_day_text (&arena, query->as_of);
    reply.window_days = query->window_days;
    reply.n_group_by = n_group_by;
    reply.group_by = group_by;
    reply.overall = s_set (&arena, &result->overall, query, only, work, denials, true);
    reply.n_groups = result->group_count;
    reply.groups = (KpiSet **) s_alloc (&arena, (result->group_count + 1) * sizeof (KpiSet *));
    for (size_t i = 0; i < result->group_count; i++) {
        reply.groups [i] = s_set (&arena, result->groups [i], query, only, work, denials, false);
        s_set_names (&arena, call, query, reply.groups [i]);
    }
    server_call_reply (call, &reply);
    s_arena_free (&arena);
    kpi_result_destroy (&result);
    work_result_destroy (&work);
    denial_result_destroy (&denials);
    return 0;
}

//  --------------------------------------------------------------------------
//  Handlers

static int
s_kpi (server_call_t *call)
{
    KpiRequest *request = (KpiRequest *) call->body;
    kpi_query_t query;
    if (s_query (call, request->filters, request->period, &query)
    ||  s_group_by (call, request->group_by, request->n_group_by, &query))
        return 0;
    return s_reply_kpis (call, &query, request->group_by, request->n_group_by, NULL);
}

static int
s_aging (server_call_t *call)
{
    static const char *const balances [] = {
        "ar_cents", "ar_insurance_cents", "ar_patient_cents", "pct_ar_over_90", "days_in_ar", NULL
    };
    KpiRequest *request = (KpiRequest *) call->body;
    kpi_query_t query;
    if (s_query (call, request->filters, request->period, &query)
    ||  s_group_by (call, request->group_by, request->n_group_by, &query))
        return 0;
    query.balances_only = true;
    return s_reply_kpis (call, &query, request->group_by, request->n_group_by, balances);
}

static int
s_scorecard (server_call_t *call)
{
    ScorecardRequest *request = (ScorecardRequest *) call->body;
    kpi_query_t query;
    if (s_query (call, request->filters, request->period, &query))
        return 0;
    char *by [] = { "owner_team" };
    query.group_by [query.group_count++] = dims_index ("owner_team");
    return s_reply_kpis (call, &query, by, 1, NULL);
}

//  A KPI a trend can follow: one of the claims' table or of the denials'
//  (denial_kpi.h), which have their own run.
typedef struct {
    const kpi_def_t *def;
    int denial;                     //  index in denial_kpi_table, or -1
    TrendPoint **points;
} s_trend_kpi_t;

static bool
s_trend_kpi (server_call_t *call, const char *name, s_trend_kpi_t *kpi)
{
    kpi->def = kpi_find (name);
    kpi->denial = -1;
    for (size_t i = 0; !kpi->def && i < denial_kpi_count; i++)
        if (streq (denial_kpi_table [i].name, name))
            kpi->denial = (int) i;
    if (kpi->def || kpi->denial >= 0)
        return true;
    char *names = kpi_names (false);
    for (size_t i = 0; i < denial_kpi_count; i++) {
        char *more = zsys_sprintf ("%s, %s", names, denial_kpi_table [i].name);
        free (names);
        names = more;
    }
    server_call_fail (call, STATUS__INVALID_ARGUMENT, "metrics.Trend: no KPI '%s' (KPIs: %s)", name, names);
    free (names);
    return false;
}

static int
s_trend (server_call_t *call)
{
    TrendRequest *request = (TrendRequest *) call->body;
    //  The KPIs: kpi (the single form) then kpis (the series form); each
    //  period runs the claims' query once and the denials' once, whatever
    //  the number of KPIs, so a page's nine trends cost one.
    size_t count = (*request->kpi? 1: 0) + request->n_kpis;
    if (count == 0)
        return server_call_fail (call, STATUS__INVALID_ARGUMENT, "metrics.Trend: no KPI named (kpi or kpis)");
    if (count > TREND_MAX_KPIS)
        return server_call_fail (call, STATUS__INVALID_ARGUMENT, "metrics.Trend: %zu KPIs is more than %d",
                                 count, TREND_MAX_KPIS);
    s_trend_kpi_t kpis [TREND_MAX_KPIS];
    bool claims = false, denials = false;
    for (size_t k = 0; k < count; k++) {
        const char *name = *request->kpi? (k == 0? request->kpi: request->kpis [k - 1]): request->kpis [k];
        if (!s_trend_kpi (call, name, &kpis [k]))
            return 0;
        claims |= kpis [k].def != NULL;
        denials |= kpis [k].denial >= 0;
    }
    const char *interval = *request->interval? request->interval: "month";
    if (!streq (interval, "day") && !streq (interval, "week") && !streq (interval, "month"))
        return server_call_fail (call, STATUS__INVALID_ARGUMENT,
                                 "metrics.Trend: interval '%s' is not day, week or month", interval);
    size_t periods = request->periods? request->periods: TREND_PERIODS;
    if (periods > TREND_MAX_PERIODS)
        return server_call_fail (call, STATUS__INVALID_ARGUMENT,
                                 "metrics.Trend: periods %zu is more than %d", periods, TREND_MAX_PERIODS);
    kpi_query_t query;
    if (s_query (call, request->filters, request->period, &query))
        return 0;
    //  Days in A/R keeps its own window at every period end.
    if (!request->period || !request->period->window_days)
        query.window_days = METRICS_WINDOW_DAYS;
    uint32_t from [TREND_MAX_PERIODS], to [TREND_MAX_PERIODS];
    if (kpi_periods (interval, query.as_of, periods, from, to) != periods)
        return server_call_fail (call, STATUS__INVALID_ARGUMENT,
                                 "metrics.Trend: %zu %ss up to %s would begin before 1970-01-01",
                                 periods, interval, request->period && *request->period->as_of
                                 ? request->period->as_of: "today");
    s_arena_t arena = { NULL };
    for (size_t k = 0; k < count; k++)
        kpis [k].points = (TrendPoint **) s_alloc (&arena, periods * sizeof (TrendPoint *));
    int rc = 0;
    for (size_t i = 0; i < periods && rc == 0; i++) {
        kpi_query_t point = query;
        point.from = from [i];
        point.to = to [i];
        point.as_of = to [i];
        //  A trend's points are figures only: no reasons to sum.
        point.without_reasons = true;
        kpi_result_t *result = NULL;
        denial_result_t *denial = NULL;
        if (claims)
            rc = kpi_run (call->store, call->txn, &point, &result);
        //  denials_open is the stock now: only the period ending today has it.
        if (rc == 0 && denials)
            rc = denial_kpi_run (call->store, call->txn, &point, &denial);
        for (size_t k = 0; k < count && rc == 0; k++) {
            TrendPoint *row = (TrendPoint *) s_alloc (&arena, sizeof (TrendPoint));
            trend_point__init (row);
            row->from = s_day_text (&arena, from [i]);
            row->to = s_day_text (&arena, to [i]);
            row->value = (KpiValue *) s_alloc (&arena, sizeof (KpiValue));
            if (kpis [k].def)
                s_value (kpis [k].def, kpi_evaluate (kpis [k].def, &result->overall.totals, point.window_days),
                         row->value);
            else
                denial_kpi_value (denial, NULL, (size_t) kpis [k].denial, row->value);
            kpis [k].points [i] = row;
        }
        kpi_result_destroy (&result);
        denial_result_destroy (&denial);
    }
    TrendReply reply = TREND_REPLY__INIT;
    reply.interval = (char *) interval;
    size_t first = 0;
    if (*request->kpi) {
        reply.kpi = (char *) (kpis [0].def? kpis [0].def->name: denial_kpi_table [kpis [0].denial].name);
        reply.points = kpis [0].points;
        reply.n_points = periods;
        first = 1;
    }
    reply.n_series = count - first;
    reply.series = (TrendSeries **) s_alloc (&arena, (reply.n_series + 1) * sizeof (TrendSeries *));
    for (size_t k = first; k < count; k++) {
        TrendSeries *series = (TrendSeries *) s_alloc (&arena, sizeof (TrendSeries));
        trend_series__init (series);
        series->kpi = (char *) (kpis [k].def? kpis [k].def->name: denial_kpi_table [kpis [k].denial].name);
        series->points = kpis [k].points;
        series->n_points = periods;
        reply.series [k - first] = series;
    }
    if (rc == 0)
        server_call_reply (call, &reply);
    s_arena_free (&arena);
    return rc;
}

static int
s_drill (server_call_t *call)
{
    DrillRequest *request = (DrillRequest *) call->body;
    const kpi_drill_def_t *def = kpi_drill_find (request->kpi);
    if (!def) {
        char *names = kpi_names (true);
        server_call_fail (call, STATUS__INVALID_ARGUMENT, "metrics.Drill: cannot drill into '%s' (one can drill into %s)",
                          request->kpi, names);
        free (names);
        return 0;
    }
    kpi_query_t query;
    if (s_query (call, request->filters, request->period, &query))
        return 0;
    agg_drill_entry_t after = { 0 };
    if (*request->after) {
        unsigned dims, day;
        int used = 0;
        if (sscanf (request->after, "%u:%u:%n", &dims, &day, &used) != 2 || !used
        ||  strlen (request->after + used) >= sizeof after.pcn)
            return server_call_fail (call, STATUS__INVALID_ARGUMENT, "metrics.Drill: after '%s' is not a page token",
                                     request->after);
        after.dims = dims;
        after.day = day;
        snprintf (after.pcn, sizeof after.pcn, "%s", request->after + used);
    }
    size_t limit;
    char error [128];
    if (store_page_limit (request->limit, STORE_PAGE_DEFAULT, STORE_PAGE_MAX, &limit, error, sizeof error))
        return server_call_fail (call, STATUS__INVALID_ARGUMENT, "metrics.Drill: %s", error);
    kpi_drill_page_t page;
    int rc = kpi_drill (call->store, call->txn, &query, def, request->numerator_only, limit,
                        *request->after? &after: NULL, &page);
    if (rc) {
        free (page.entries);
        return rc;
    }
    s_arena_t arena = { NULL };
    dims_list_t *dims = combos_load (call->store, call->txn, &dims_combos);
    DrillReply reply = DRILL_REPLY__INIT;
    reply.kpi = (char *) def->kpi;
    reply.rows = (DrillRow **) s_alloc (&arena, (page.count + 1) * sizeof (DrillRow *));
    for (size_t i = 0; i < page.count; i++) {
        const agg_drill_entry_t *entry = &page.entries [i];
        DrillRow *row = (DrillRow *) s_alloc (&arena, sizeof (DrillRow));
        drill_row__init (row);
        row->pcn = s_strdup (&arena, entry->pcn);
        row->date = s_day_text (&arena, entry->day);
        row->counted = entry->flag;
        const dims_entry_t *where = dims_find (dims, entry->dims);
        if (where) {
            row->dims = (ClaimDimensions *) s_alloc (&arena, sizeof (ClaimDimensions));
            dims_to_message (where, row->dims);
            //  Names beside the ids, and the claim's rendering provider.
            char provider [NAMES_MAX];
            names_claim_provider (call->store, call->txn, entry->pcn, provider, sizeof provider);
            row->dims->payer_name = s_name (&arena, call, NAMES_PAYER, row->dims->payer_id);
            row->dims->location_name = s_name (&arena, call, NAMES_LOCATION, row->dims->location);
            row->dims->provider_id = s_strdup (&arena, provider);
            row->dims->provider_name = s_name (&arena, call, NAMES_PROVIDER, provider);
        }
        ClaimFact *fact = facts_get (call->store, call->txn, entry->pcn);
        if (fact) {
            row->date_of_service = s_day_text (&arena, fact->dos_day);
            row->charge_cents = fact->charge_cents;
            row->paid_cents = fact->paid_cents;
            row->contractual_cents = fact->contractual_cents;
            row->patient_responsibility_cents = fact->patient_responsibility_cents;
            row->ar_insurance_cents = fact->ar_insurance_cents;
            row->ar_patient_cents = fact->ar_patient_cents;
            row->status = s_strdup (&arena, fact->status);
            codec_free (fact);
        }
        server_call_subject (call, entry->pcn);
        reply.rows [reply.n_rows++] = row;
    }
    char next [160] = "";
    if (page.more && page.count)
        snprintf (next, sizeof next, "%u:%u:%s", page.entries [page.count - 1].dims,
                  page.entries [page.count - 1].day, page.entries [page.count - 1].pcn);
    reply.next = next;
    server_call_reply (call, &reply);
    combos_list_destroy (&dims);
    s_arena_free (&arena);
    free (page.entries);
    return 0;
}

//  metrics.Work: the work-item figures by the work dimensions (service,
//  type, queue, team, owner). The period and the vendor's scope are
//  metrics.Kpi's; a filter value no work item has is refused as s_query
//  refuses one no claim has.
static KpiSet *
s_work_set (s_arena_t *arena, const work_result_t *work, const char *key)
{
    KpiSet *set = (KpiSet *) s_alloc (arena, sizeof (KpiSet));
    kpi_set__init (set);
    set->key = s_strdup (arena, key? key: "");
    set->values = (KpiValue **) s_alloc (arena, work_kpi_count * sizeof (KpiValue *));
    for (size_t i = 0; i < work_kpi_count; i++) {
        KpiValue *value = (KpiValue *) s_alloc (arena, sizeof (KpiValue));
        work_kpi_value (work, key, i, value);
        set->values [set->n_values++] = value;
    }
    return set;
}

static int
s_work_filter_known (server_call_t *call, const char *const filters [WORK_DIM_COUNT], int skip)
{
    return s_filters_known (call, &work_combos, filters, work_dim_names, "work item", skip);
}

static int
s_work (server_call_t *call)
{
    WorkMetricsRequest *request = (WorkMetricsRequest *) call->body;
    kpi_query_t query;
    if (s_query (call, NULL, request->period, &query))
        return 0;
    work_query_t work_query;
    memset (&work_query, 0, sizeof work_query);
    const char *const asked [WORK_DIM_COUNT] = {
        request->service, request->type, request->queue, request->team, request->owner
    };
    for (int d = 0; d < WORK_DIM_COUNT; d++)
        work_query.filters [d] = asked [d];
    //  A vendor's figures are its team's (s_query put its team in).
    const char *scope_team = query.filters [dims_index ("owner_team")];
    if (scope_team && *scope_team) {
        if (*request->team && !streq (request->team, scope_team))
            return server_call_fail (call, STATUS__PERMISSION_DENIED, "metrics.Work: team %s sees only its own figures",
                                     scope_team);
        work_query.filters [WORK_DIM_TEAM] = scope_team;
    }
    if (s_work_filter_known (call, work_query.filters, scope_team && *scope_team? WORK_DIM_TEAM: -1))
        return 0;
    for (size_t i = 0; i < request->n_group_by && i < WORK_DIM_COUNT; i++) {
        int index = work_dim_index (request->group_by [i]);
        if (index < 0)
            return server_call_fail (call, STATUS__INVALID_ARGUMENT,
                                     "metrics.Work: cannot group by '%s' (service, type, queue, team, owner)",
                                     request->group_by [i]);
        work_query.group_by [work_query.group_count++] = index;
    }
    work_query.from = query.from;
    work_query.to = query.to;
    work_query.now_ms = clock_now_ms ();
    work_query.stock = query.as_of == metrics_day_from_ms (work_query.now_ms);
    work_result_t *work;
    int rc = work_kpi_run (call->store, call->txn, &work_query, &work);
    if (rc) {
        work_result_destroy (&work);
        return rc;
    }
    s_arena_t arena = { NULL };
    KpiReply reply = KPI_REPLY__INIT;
    reply.from = s_day_text (&arena, query.from);
    reply.to = s_day_text (&arena, query.to);
    reply.as_of = s_day_text (&arena, query.as_of);
    reply.window_days = query.window_days;
    reply.n_group_by = request->n_group_by;
    reply.group_by = request->group_by;
    reply.overall = s_work_set (&arena, work, NULL);
    size_t groups = work_result_group_count (work);
    reply.groups = (KpiSet **) s_alloc (&arena, (groups + 1) * sizeof (KpiSet *));
    for (size_t i = 0; i < groups; i++)
        reply.groups [reply.n_groups++] = s_work_set (&arena, work, work_result_group_key (work, i));
    server_call_reply (call, &reply);
    s_arena_free (&arena);
    work_result_destroy (&work);
    return 0;
}

static int
s_rebuild (server_call_t *call)
{
    RebuildReply reply = REBUILD_REPLY__INIT;
    int rc = metrics_wipe (call->store, call->txn, &reply.facts_cleared, &reply.rows_cleared);
    if (rc)
        return rc;
    if ((rc = store_get_u64 (call->store, call->txn, "meta", "metrics_generation", &reply.generation)))
        return rc;
    reply.generation++;
    if ((rc = store_put_u64 (call->store, call->txn, "meta", "metrics_generation", reply.generation)))
        return rc;
    //  The consumer replays from seq 1 once this has committed.
    metrics_rebuild_requested ((metrics_t *) service_state ((service_t *) call->state));
    server_call_reply (call, &reply);
    return 0;
}

const server_method_t metrics_methods [] = {
    SERVER_LIST_METHOD     (metrics, Kpi,       read,  &kpi_request__descriptor,          s_kpi),
    SERVER_LIST_METHOD     (metrics, Aging,     read,  &kpi_request__descriptor,          s_aging),
    SERVER_LIST_METHOD     (metrics, Trend,     read,  &trend_request__descriptor,        s_trend),
    SERVER_LIST_METHOD     (metrics, Scorecard, read,  &scorecard_request__descriptor,    s_scorecard),
    SERVER_LIST_METHOD     (metrics, Drill,     read,  &drill_request__descriptor,        s_drill),
    SERVER_LIST_METHOD     (metrics, Work,      read,  &work_metrics_request__descriptor, s_work),
    SERVER_INTERNAL_METHOD (metrics, Rebuild,   admin, NULL,                              s_rebuild),
    { NULL }
};
