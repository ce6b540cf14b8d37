/*  rcmqctl metrics: the KPIs leaders review (docs/metrics.md).

        metrics kpi [--by DIM[,DIM...]] [filters] [period]
        metrics aging [--by DIM] [filters] [--as-of D]
        metrics trend KPI [--interval day|week|month] [--periods N] [filters] [--as-of D]
        metrics scorecard [filters] [period]
        metrics drill KPI [filters] [period] [--numerator] [--limit N] [--after TOKEN]
        metrics work [--by DIM[,DIM]] [--service S] [--type T] [--queue Q]
                     [--team T] [--owner U] [period]
        metrics rebuild

    filters: --payer P --payer-group G --location L --service-line S
             --queue Q --team T
    period:  --from D --to D --as-of D --window DAYS (dates YYYY-MM-DD)

    Rates print as percentages in tables and as fractions in JSON; a figure
    whose denominator is empty prints "n/a" (null in JSON).
*/
#include "ctl.h"
#include "pbjson.h"
#include "metrics.pb-c.h"
#include "kpitext.h"

//  The filters, in MetricsFilters' field order, and their options.
static const struct {
    const char *option;
    size_t offset;
} s_filters [] = {
    { "payer",        offsetof (MetricsFilters, payer_id) },
    { "payer-group",  offsetof (MetricsFilters, payer_group) },
    { "location",     offsetof (MetricsFilters, location) },
    { "service-line", offsetof (MetricsFilters, service_line) },
    { "queue",        offsetof (MetricsFilters, queue) },
    { "team",         offsetof (MetricsFilters, owner_team) },
};
#define FILTER_COUNT (sizeof s_filters / sizeof s_filters [0])

//  The ranges rcmq-metrics accepts (services/metrics/methods.c checks them
//  too); checked here first so a typo is a usage error, not a round trip.
#define METRICS_CTL_MAX_WINDOW  3660
#define METRICS_CTL_MAX_PERIODS 120
#define METRICS_CTL_MAX_LIMIT   1000

//  The KPIs grouped tables and scorecards show, in order: the claims',
//  the work items' (open, overdue, SLA attainment) and the denials'
//  (overturn rate, open): an internal team and a vendor side by side.
static const char *const s_headline [] = {
    "clean_claim_rate", "initial_denial_rate", "net_collection_rate", "days_in_ar",
    "ar_cents", "pct_ar_over_90", "received", "adjudicated",
    "work_open", "work_overdue", "sla_met_rate", "denial_overturn_rate", "denials_open", NULL
};

//  The columns of `metrics work`.
static const char *const s_work_columns [] = {
    "work_open", "work_overdue", "sla_met_rate", "work_first_touch_mean_hours", "work_created", "work_done", NULL
};

//  The intervals of a trend (services/metrics/methods.c refuses others).
static const char *const s_intervals [] = { "day", "week", "month", NULL };

static void
s_read_filters (ctl_args_t *args, MetricsFilters *filters)
{
    metrics_filters__init (filters);
    for (size_t i = 0; i < FILTER_COUNT; i++)
        *(const char **) ((char *) filters + s_filters [i].offset) = ctl_arg_text (args, s_filters [i].option);
}

//  Returns CTL_OK, or CTL_USAGE (printed) for a --window out of range.
static int
s_read_period (ctl_args_t *args, MetricsPeriod *period)
{
    metrics_period__init (period);
    period->from = (char *) ctl_arg_text (args, "from");
    period->to = (char *) ctl_arg_text (args, "to");
    period->as_of = (char *) ctl_arg_text (args, "as-of");
    uint64_t window;
    int rc = ctl_arg_uint (args, "window", 1, METRICS_CTL_MAX_WINDOW, 0, &window);
    period->window_days = (uint32_t) window;
    return rc;
}

//  --------------------------------------------------------------------------
//  Figures as text and JSON

//  A figure's JSON: null when its denominator is empty, cents and counts
//  as exact integers, rates and days as reals (a pbjson render function).
static json_t *
s_value_json (const ProtobufCMessage *message)
{
    return kpitext_json ((const KpiValue *) message);
}

static const KpiValue *
s_find (const KpiSet *set, const char *name)
{
    for (size_t i = 0; set && i < set->n_values; i++)
        if (streq (set->values [i]->name, name))
            return set->values [i];
    return NULL;
}

//  The JSON of a KpiSet (docs/metrics.md): each KPI under its own name
//  (s_value_json), aging as three objects by bucket, denials by category
//  and rejections by rule. Which of these a command shows, and what it
//  calls a group's key, differ; the rules below are shared.
static const pbjson_view_t s_denial_view = { &reason_count__descriptor, (const pbjson_rule_t []) {
    { "code", .as = "category" }, { NULL } } };
static const pbjson_view_t s_rejection_view = { &reason_count__descriptor, (const pbjson_rule_t []) {
    { "code", .as = "rule_id" }, { NULL } } };

#define SET_FIGURES \
    { "values", .how = PBJSON_KEYED_INLINE, .key = "name", .render = s_value_json }, \
    { "aging", .how = PBJSON_KEYED, .as = "aging", .key = "name", .value = "cents" }, \
    { "aging", .how = PBJSON_KEYED, .as = "aging_insurance", .key = "name", .value = "insurance_cents" }, \
    { "aging", .how = PBJSON_KEYED, .as = "aging_patient", .key = "name", .value = "patient_cents" }
#define SET_REASONS \
    { "denials", .view = &s_denial_view }, { "rejections", .view = &s_rejection_view }
#define SET_NO_REASONS \
    { "denials", .how = PBJSON_OMIT }, { "rejections", .how = PBJSON_OMIT }

//  The names beside a group's key are set by s_group_names, only when the
//  groups are by payer or location.
#define SET_NO_NAMES \
    { "payer_name", .how = PBJSON_OMIT }, { "location_name", .how = PBJSON_OMIT }

static const pbjson_view_t s_overall_view = { &kpi_set__descriptor, (const pbjson_rule_t []) {
    { "key", .how = PBJSON_OMIT }, SET_FIGURES, SET_REASONS, SET_NO_NAMES, { NULL } } };
static const pbjson_view_t s_overall_aging_view = { &kpi_set__descriptor, (const pbjson_rule_t []) {
    { "key", .how = PBJSON_OMIT }, SET_FIGURES, SET_NO_REASONS, SET_NO_NAMES, { NULL } } };
static const pbjson_view_t s_group_view = { &kpi_set__descriptor, (const pbjson_rule_t []) {
    SET_FIGURES, SET_REASONS, SET_NO_NAMES, { NULL } } };
static const pbjson_view_t s_group_aging_view = { &kpi_set__descriptor, (const pbjson_rule_t []) {
    SET_FIGURES, SET_NO_REASONS, SET_NO_NAMES, { NULL } } };
static const pbjson_view_t s_team_view = { &kpi_set__descriptor, (const pbjson_rule_t []) {
    { "key", .as = "team" }, SET_FIGURES, SET_REASONS, SET_NO_NAMES, { NULL } } };

//  A KpiReply: the overall set's figures at the top, with the period, and
//  the groups (when there are any) under "groups" ("teams" for scorecard).
static const pbjson_view_t s_kpi_view = { &kpi_reply__descriptor, (const pbjson_rule_t []) {
    { "group_by", .how = PBJSON_OMIT }, { "overall", .how = PBJSON_INLINE, .view = &s_overall_view },
    { "groups", .how = PBJSON_OMIT }, { NULL } } };
static const pbjson_view_t s_kpi_by_view = { &kpi_reply__descriptor, (const pbjson_rule_t []) {
    { "group_by", .how = PBJSON_OMIT }, { "overall", .how = PBJSON_INLINE, .view = &s_overall_view },
    { "groups", .view = &s_group_view }, { NULL } } };
static const pbjson_view_t s_aging_view = { &kpi_reply__descriptor, (const pbjson_rule_t []) {
    { "group_by", .how = PBJSON_OMIT }, { "overall", .how = PBJSON_INLINE, .view = &s_overall_aging_view },
    { "groups", .how = PBJSON_OMIT }, { NULL } } };
static const pbjson_view_t s_aging_by_view = { &kpi_reply__descriptor, (const pbjson_rule_t []) {
    { "group_by", .how = PBJSON_OMIT }, { "overall", .how = PBJSON_INLINE, .view = &s_overall_aging_view },
    { "groups", .view = &s_group_aging_view }, { NULL } } };
static const pbjson_view_t s_scorecard_view = { &kpi_reply__descriptor, (const pbjson_rule_t []) {
    { "group_by", .how = PBJSON_OMIT }, { "overall", .how = PBJSON_INLINE, .view = &s_overall_view },
    { "groups", .as = "teams", .view = &s_team_view }, { NULL } } };

//  metrics work: only the figures (a KpiReply without aging or reasons).
static const pbjson_view_t s_work_overall_view = { &kpi_set__descriptor, (const pbjson_rule_t []) {
    { "key", .how = PBJSON_OMIT }, { "values", .how = PBJSON_KEYED_INLINE, .key = "name", .render = s_value_json },
    { "aging", .how = PBJSON_OMIT }, SET_NO_REASONS, { NULL } } };
static const pbjson_view_t s_work_group_view = { &kpi_set__descriptor, (const pbjson_rule_t []) {
    { "values", .how = PBJSON_KEYED_INLINE, .key = "name", .render = s_value_json },
    { "aging", .how = PBJSON_OMIT }, SET_NO_REASONS, { NULL } } };
static const pbjson_view_t s_work_view = { &kpi_reply__descriptor, (const pbjson_rule_t []) {
    { "group_by", .how = PBJSON_OMIT }, { "overall", .how = PBJSON_INLINE, .view = &s_work_overall_view },
    { "groups", .how = PBJSON_OMIT }, { NULL } } };
static const pbjson_view_t s_work_by_view = { &kpi_reply__descriptor, (const pbjson_rule_t []) {
    { "group_by", .how = PBJSON_OMIT }, { "overall", .how = PBJSON_INLINE, .view = &s_work_overall_view },
    { "groups", .view = &s_work_group_view }, { NULL } } };

//  A trend point: the figure as s_value_json has it, its numerator and
//  denominator beside it.
static const pbjson_view_t s_fraction_view = { &kpi_value__descriptor, (const pbjson_rule_t []) {
    { "name", .how = PBJSON_OMIT }, { "unit", .how = PBJSON_OMIT }, { "available", .how = PBJSON_OMIT },
    { "value", .how = PBJSON_OMIT }, { "amount", .how = PBJSON_OMIT }, { NULL } } };
static const pbjson_view_t s_point_view = { &trend_point__descriptor, (const pbjson_rule_t []) {
    { "value", .how = PBJSON_CUSTOM, .render = s_value_json },
    { "value", .how = PBJSON_INLINE, .view = &s_fraction_view }, { NULL } } };
//  rcmqctl asks one KPI: the several-KPI form's series (rcmq-web's) is
//  always empty here.
static const pbjson_view_t s_trend_view = { &trend_reply__descriptor, (const pbjson_rule_t []) {
    { "points", .view = &s_point_view }, { "series", .how = PBJSON_OMIT }, { NULL } } };

//  The dimensions whose names metrics gives beside a group's key, under
//  their JSON names (--by takes a dimension's name or its short alias).
static const struct {
    const char *dim;
    const char *alias;
    const char *json;
    size_t offset;
} s_named [] = {
    { "payer_id", "payer",    "payer_name",    offsetof (KpiSet, payer_name) },
    { "location", "location", "location_name", offsetof (KpiSet, location_name) },
};
#define NAMED_COUNT (sizeof s_named / sizeof s_named [0])

//  Whether the groups are by s_named [n]'s dimension.
static bool
s_grouped_by (const KpiReply *reply, size_t n)
{
    for (size_t g = 0; g < reply->n_group_by; g++) {
        char spelled [64];
        snprintf (spelled, sizeof spelled, "%s", reply->group_by [g]);
        for (char *c = spelled; *c; c++)
            if (*c == '-')
                *c = '_';
        if (streq (spelled, s_named [n].dim) || streq (spelled, s_named [n].alias))
            return true;
    }
    return false;
}

//  payer_name / location_name on each group of a rendered reply, when the
//  groups are by payer / location ("" when no 837P named the id).
static json_t *
s_group_names (json_t *root, const KpiReply *reply, const char *groups_key)
{
    json_t *groups = json_object_get (root, groups_key);
    for (size_t n = 0; n < NAMED_COUNT; n++)
        for (size_t g = 0; s_grouped_by (reply, n) && g < reply->n_groups && g < json_array_size (groups); g++) {
            const char *name = *(char *const *) ((const char *) reply->groups [g] + s_named [n].offset);
            json_object_set_new (json_array_get (groups, g), s_named [n].json, json_string (name? name: ""));
        }
    return root;
}

//  A wide table: one row per group, the given KPIs as columns.
static void
s_print_wide (ctl_t *ctl, const KpiReply *reply, const char *key_title, const char *const *names)
{
    //  A column is titled by its KPI, less a "_cents" its cells do not
    //  hold: they print dollars ("$1234.56"), and "AR CENTS" over them
    //  would be off by a factor of 100 (the JSON keeps the KPI's name and
    //  its cents).
    output_column_t columns [20];
    char titles [20][64];
    size_t count = 0;
    columns [count++] = (output_column_t) { key_title, OUTPUT_TEXT };
    bool named [NAMED_COUNT];
    for (size_t n = 0; n < NAMED_COUNT; n++)
        if ((named [n] = s_grouped_by (reply, n)))
            columns [count++] = (output_column_t) { s_named [n].json, OUTPUT_TEXT };
    for (const char *const *name = names; *name && count < 19; name++) {
        size_t length = strlen (*name);
        bool cents = length > 6 && streq (*name + length - 6, "_cents");
        snprintf (titles [count], sizeof titles [count], "%.*s", (int) (cents? length - 6: length), *name);
        columns [count] = (output_column_t) { titles [count], OUTPUT_TEXT };
        count++;
    }
    columns [count] = (output_column_t) { NULL };
    output_table_t *table = output_table_new (columns);
    for (size_t g = 0; g < reply->n_groups; g++) {
        output_table_row (table);
        output_table_cell (table, *reply->groups [g]->key? reply->groups [g]->key: "(none)");
        for (size_t n = 0; n < NAMED_COUNT; n++)
            if (named [n])
                output_table_cell (table, *(char *const *) ((const char *) reply->groups [g] + s_named [n].offset));
        for (const char *const *name = names; *name; name++) {
            char text [64] = "-";
            const KpiValue *value = s_find (reply->groups [g], *name);
            if (value)
                kpitext_value (value, text, sizeof text);
            output_table_cell (table, text);
        }
    }
    output_table_print (table, ctl_format (ctl), stdout);
    output_table_destroy (&table);
}

static void
s_print_reasons (ctl_t *ctl, const char *title, ReasonCount **reasons, size_t count)
{
    if (!count)
        return;
    output_column_t columns [] = { { title, OUTPUT_TEXT }, { "claims", OUTPUT_TEXT }, { "amount", OUTPUT_TEXT }, { NULL } };
    output_table_t *table = output_table_new (columns);
    for (size_t i = 0; i < count; i++) {
        char cents [32];
        kpitext_cents (cents, sizeof cents, reasons [i]->cents);
        output_table_row (table);
        output_table_cell (table, reasons [i]->code);
        output_table_cellf (table, "%" PRId64, reasons [i]->count);
        output_table_cell (table, cents);
    }
    printf ("\n");
    output_table_print (table, ctl_format (ctl), stdout);
    output_table_destroy (&table);
}

static void
s_print_aging (ctl_t *ctl, const KpiSet *set)
{
    output_column_t columns [] = { { "bucket", OUTPUT_TEXT }, { "insurance", OUTPUT_TEXT },
                                   { "patient", OUTPUT_TEXT }, { "total", OUTPUT_TEXT }, { NULL } };
    output_table_t *table = output_table_new (columns);
    for (size_t i = 0; i < set->n_aging; i++) {
        char text [32];
        output_table_row (table);
        output_table_cell (table, set->aging [i]->name);
        kpitext_cents (text, sizeof text, set->aging [i]->insurance_cents);
        output_table_cell (table, text);
        kpitext_cents (text, sizeof text, set->aging [i]->patient_cents);
        output_table_cell (table, text);
        kpitext_cents (text, sizeof text, set->aging [i]->cents);
        output_table_cell (table, text);
    }
    output_table_print (table, ctl_format (ctl), stdout);
    output_table_destroy (&table);
}

//  One set, one KPI a row.
static void
s_print_tall (ctl_t *ctl, const KpiSet *set)
{
    output_column_t columns [] = { { "kpi", OUTPUT_TEXT }, { "value", OUTPUT_TEXT },
                                   { "numerator", OUTPUT_TEXT }, { "denominator", OUTPUT_TEXT }, { NULL } };
    output_table_t *table = output_table_new (columns);
    for (size_t i = 0; i < set->n_values; i++) {
        const KpiValue *value = set->values [i];
        char text [64];
        kpitext_value (value, text, sizeof text);
        bool rate = streq (value->unit, "ratio") || streq (value->unit, "days") || streq (value->unit, "hours");
        output_table_row (table);
        output_table_cell (table, value->name);
        output_table_cell (table, text);
        if (rate) {
            output_table_cellf (table, "%" PRId64, value->numerator);
            output_table_cellf (table, "%" PRId64, value->denominator);
        }
        else {
            output_table_cell (table, "");
            output_table_cell (table, "");
        }
    }
    output_table_print (table, ctl_format (ctl), stdout);
    output_table_destroy (&table);
}

//  --------------------------------------------------------------------------
//  Commands

static int
s_kpi_or_aging (ctl_t *ctl, ctl_args_t *args, const char *method)
{
    bool aging = streq (method, "metrics.Aging");
    KpiRequest request = KPI_REQUEST__INIT;
    MetricsFilters filters;
    MetricsPeriod period;
    s_read_filters (args, &filters);
    if (s_read_period (args, &period))
        return CTL_USAGE;
    request.filters = &filters;
    request.period = &period;
    request.group_by = ctl_arg_list (args, "by", &request.n_group_by);
    KpiReply *reply;
    int rc = ctl_call (ctl, "metrics", method, &request, &kpi_reply__descriptor, (void **) &reply);
    if (rc == CTL_OK) {
        bool grouped = request.n_group_by > 0;
        if (ctl_format (ctl) == OUTPUT_JSON)
            output_json (s_group_names (pbjson_render (&reply->base, aging? (grouped? &s_aging_by_view: &s_aging_view)
                                                                          : (grouped? &s_kpi_by_view: &s_kpi_view)),
                                        reply, "groups"), stdout);
        else
        if (grouped) {
            static const char *const aging_columns [] = { "ar_cents", "pct_ar_over_90", "days_in_ar", NULL };
            s_print_wide (ctl, reply, "key", aging? aging_columns: s_headline);
        }
        else {
            if (ctl_format (ctl) == OUTPUT_TABLE)
                printf ("as of %s; flows %s .. %s; days in A/R over %u days\n\n",
                        reply->as_of, reply->from, reply->to, reply->window_days);
            s_print_tall (ctl, reply->overall);
            if (ctl_format (ctl) == OUTPUT_TABLE) {
                printf ("\n");
                s_print_aging (ctl, reply->overall);
                s_print_reasons (ctl, "denial_category", reply->overall->denials, reply->overall->n_denials);
                s_print_reasons (ctl, "scrub_rule", reply->overall->rejections, reply->overall->n_rejections);
            }
        }
    }
    codec_free (reply);
    ctl_list_free (request.group_by, request.n_group_by);
    return rc;
}

static int
s_kpi (ctl_t *ctl, ctl_args_t *args)
{
    return s_kpi_or_aging (ctl, args, "metrics.Kpi");
}

static int
s_aging (ctl_t *ctl, ctl_args_t *args)
{
    return s_kpi_or_aging (ctl, args, "metrics.Aging");
}

static int
s_scorecard (ctl_t *ctl, ctl_args_t *args)
{
    ScorecardRequest request = SCORECARD_REQUEST__INIT;
    MetricsFilters filters;
    MetricsPeriod period;
    s_read_filters (args, &filters);
    if (s_read_period (args, &period))
        return CTL_USAGE;
    request.filters = &filters;
    request.period = &period;
    KpiReply *reply;
    int rc = ctl_call (ctl, "metrics", "metrics.Scorecard", &request, &kpi_reply__descriptor, (void **) &reply);
    if (rc == CTL_OK) {
        if (ctl_format (ctl) == OUTPUT_JSON)
            output_json (pbjson_render (&reply->base, &s_scorecard_view), stdout);
        else
            s_print_wide (ctl, reply, "team", s_headline);
    }
    codec_free (reply);
    return rc;
}

static int
s_trend (ctl_t *ctl, ctl_args_t *args)
{
    TrendRequest request = TREND_REQUEST__INIT;
    MetricsFilters filters;
    MetricsPeriod period;
    s_read_filters (args, &filters);
    if (s_read_period (args, &period))
        return CTL_USAGE;
    request.filters = &filters;
    request.period = &period;
    request.kpi = (char *) ctl_arg_operand (args, 0);
    const char *interval;
    if (ctl_arg_choice (args, "interval", s_intervals, "", &interval))
        return CTL_USAGE;
    request.interval = (char *) interval;
    uint64_t periods;
    if (ctl_arg_uint (args, "periods", 1, METRICS_CTL_MAX_PERIODS, 0, &periods))
        return CTL_USAGE;
    request.periods = (uint32_t) periods;
    TrendReply *reply;
    int rc = ctl_call (ctl, "metrics", "metrics.Trend", &request, &trend_reply__descriptor, (void **) &reply);
    if (rc == CTL_OK && ctl_format (ctl) == OUTPUT_JSON)
        output_json (pbjson_render (&reply->base, &s_trend_view), stdout);
    else
    if (rc == CTL_OK) {
        output_column_t columns [] = { { "from", OUTPUT_TEXT }, { "to", OUTPUT_TEXT }, { "value", OUTPUT_TEXT },
                                       { "numerator", OUTPUT_TEXT }, { "denominator", OUTPUT_TEXT }, { NULL } };
        output_table_t *table = output_table_new (columns);
        for (size_t i = 0; i < reply->n_points; i++) {
            char text [64];
            kpitext_value (reply->points [i]->value, text, sizeof text);
            output_table_row (table);
            output_table_cell (table, reply->points [i]->from);
            output_table_cell (table, reply->points [i]->to);
            output_table_cell (table, text);
            output_table_cellf (table, "%" PRId64, reply->points [i]->value->numerator);
            output_table_cellf (table, "%" PRId64, reply->points [i]->value->denominator);
        }
        output_table_print (table, ctl_format (ctl), stdout);
        output_table_destroy (&table);
    }
    codec_free (reply);
    return rc;
}

static int
s_drill (ctl_t *ctl, ctl_args_t *args)
{
    DrillRequest request = DRILL_REQUEST__INIT;
    MetricsFilters filters;
    MetricsPeriod period;
    s_read_filters (args, &filters);
    if (s_read_period (args, &period))
        return CTL_USAGE;
    request.filters = &filters;
    request.period = &period;
    request.kpi = (char *) ctl_arg_operand (args, 0);
    request.numerator_only = ctl_arg_flag (args, "numerator");
    uint64_t limit;
    if (ctl_arg_uint (args, "limit", 1, METRICS_CTL_MAX_LIMIT, 0, &limit))
        return CTL_USAGE;
    request.limit = (uint32_t) limit;
    request.after = (char *) ctl_arg_text (args, "after");
    DrillReply *reply;
    int rc = ctl_call (ctl, "metrics", "metrics.Drill", &request, &drill_reply__descriptor, (void **) &reply);
    if (rc == CTL_OK && ctl_format (ctl) == OUTPUT_JSON)
        output_json (pbjson_message (&reply->base), stdout);
    else
    if (rc == CTL_OK) {
        output_column_t columns [] = {
            { "pcn", OUTPUT_TEXT }, { "date", OUTPUT_TEXT }, { "counted", OUTPUT_BOOL },
            { "payer", OUTPUT_TEXT }, { "queue", OUTPUT_TEXT }, { "team", OUTPUT_TEXT },
            { "dos", OUTPUT_TEXT }, { "status", OUTPUT_TEXT }, { "charge", OUTPUT_TEXT },
            { "paid", OUTPUT_TEXT }, { "ar", OUTPUT_TEXT }, { NULL }
        };
        output_table_t *table = output_table_new (columns);
        for (size_t i = 0; i < reply->n_rows; i++) {
            DrillRow *row = reply->rows [i];
            char text [32];
            output_table_row (table);
            output_table_cell (table, row->pcn);
            output_table_cell (table, row->date);
            output_table_cell (table, row->counted? "yes": "no");
            output_table_cell (table, row->dims? row->dims->payer_id: "");
            output_table_cell (table, row->dims? row->dims->queue: "");
            output_table_cell (table, row->dims? row->dims->owner_team: "");
            output_table_cell (table, row->date_of_service);
            output_table_cell (table, row->status);
            kpitext_cents (text, sizeof text, row->charge_cents);
            output_table_cell (table, text);
            kpitext_cents (text, sizeof text, row->paid_cents);
            output_table_cell (table, text);
            kpitext_cents (text, sizeof text, row->ar_insurance_cents + row->ar_patient_cents);
            output_table_cell (table, text);
        }
        output_table_print (table, ctl_format (ctl), stdout);
        output_table_destroy (&table);
        if (*reply->next)
            fprintf (stderr, "more: --after %s\n", reply->next);
    }
    codec_free (reply);
    return rc;
}

//  The work-item figures by the work dimensions: overall one KPI a row,
//  with --by one row per group.
static int
s_work (ctl_t *ctl, ctl_args_t *args)
{
    WorkMetricsRequest request = WORK_METRICS_REQUEST__INIT;
    MetricsPeriod period;
    if (s_read_period (args, &period))
        return CTL_USAGE;
    request.period = &period;
    request.service = (char *) ctl_arg_text (args, "service");
    request.type = (char *) ctl_arg_text (args, "type");
    request.queue = (char *) ctl_arg_text (args, "queue");
    request.team = (char *) ctl_arg_text (args, "team");
    request.owner = (char *) ctl_arg_text (args, "owner");
    request.group_by = ctl_arg_list (args, "by", &request.n_group_by);
    KpiReply *reply;
    int rc = ctl_call (ctl, "metrics", "metrics.Work", &request, &kpi_reply__descriptor, (void **) &reply);
    if (rc == CTL_OK) {
        bool grouped = request.n_group_by > 0;
        if (ctl_format (ctl) == OUTPUT_JSON)
            output_json (pbjson_render (&reply->base, grouped? &s_work_by_view: &s_work_view), stdout);
        else
        if (grouped)
            s_print_wide (ctl, reply, "key", s_work_columns);
        else {
            if (ctl_format (ctl) == OUTPUT_TABLE)
                printf ("open and overdue as of now; flows %s .. %s\n\n", reply->from, reply->to);
            s_print_tall (ctl, reply->overall);
        }
    }
    codec_free (reply);
    ctl_list_free (request.group_by, request.n_group_by);
    return rc;
}

static int
s_rebuild (ctl_t *ctl, ctl_args_t *args)
{
    RebuildReply *reply;
    int rc = ctl_call (ctl, "metrics", "metrics.Rebuild", NULL, &rebuild_reply__descriptor, (void **) &reply);
    if (rc == CTL_OK && ctl_format (ctl) == OUTPUT_JSON)
        output_json (pbjson_message (&reply->base), stdout);
    else
    if (rc == CTL_OK)
        printf ("metrics rebuild %" PRIu64 ": %" PRIu64 " claim facts and %" PRIu64 " rows cleared; "
                "replaying every stream from seq 1\n", reply->generation, reply->facts_cleared, reply->rows_cleared);
    codec_free (reply);
    return rc;
}

//  --------------------------------------------------------------------------
//  The table

#define FILTER_OPTIONS \
    { "payer",        "ID",    "only this payer id" }, \
    { "payer-group",  "GROUP", "only this payer group" }, \
    { "location",     "LOC",   "only this location" }, \
    { "service-line", "LINE",  "only this service line" }, \
    { "queue",        "Q",     "only this queue" }, \
    { "team",         "TEAM",  "only this owner team" }
#define PERIOD_OPTIONS \
    { "from",   "DATE", "first day of the flows (default: to - window + 1)" }, \
    { "to",     "DATE", "last day of the flows (default: as-of)" }, \
    { "as-of",  "DATE", "balances at the end of this day (default: today, RCMQ_NOW)" }, \
    { "window", "DAYS", "days in the window and in days in A/R (default 90)" }

static const ctl_option_t s_kpi_options [] = {
    { "by", "DIM[,DIM...]", "group by payer, payer-group, location, service-line, queue, team" },
    FILTER_OPTIONS, PERIOD_OPTIONS, { NULL }
};
static const ctl_option_t s_scorecard_options [] = { FILTER_OPTIONS, PERIOD_OPTIONS, { NULL } };
static const ctl_option_t s_trend_options [] = {
    { "interval", "I", "day, week (from Monday) or month (default)" },
    { "periods",  "N", "how many periods, the last ending at as-of (default 12)" },
    FILTER_OPTIONS, PERIOD_OPTIONS, { NULL }
};
static const ctl_option_t s_drill_options [] = {
    { "numerator", NULL,    "only the claims counted in the numerator" },
    { "limit",     "N",     "rows per page (default 100)" },
    { "after",     "TOKEN", "the page after the one that printed this token" },
    FILTER_OPTIONS, PERIOD_OPTIONS, { NULL }
};

static const ctl_option_t s_work_options [] = {
    { "by",      "DIM[,DIM...]", "group by service, type, queue, team, owner" },
    { "service", "S",     "only the items this service holds (claims, denials ...)" },
    { "type",    "T",     "only this work type (follow_up, documentation_request ...)" },
    { "queue",   "Q",     "only this queue" },
    { "team",    "TEAM",  "only this owner team" },
    { "owner",   "USER",  "only this owner" },
    PERIOD_OPTIONS, { NULL }
};

static const ctl_command_t s_commands [] = {
    { "kpi", NULL, 0, 0, "clean claim rate, denial rate, collections, days in A/R, aging",
      "Every KPI of docs/metrics.md over the window (default: the 90 days to as-of),\n"
      "overall or grouped with --by. --json prints rates as fractions, money in cents,\n"
      "figures with an empty denominator as null.",
      s_kpi_options, s_kpi },
    { "aging", NULL, 0, 0, "A/R by days from date of service",
      "A/R as of --as-of in buckets 0-30, 31-60, 61-90, 91-120 and over 120 days from\n"
      "date of service, insurance and patient, and the share over 90 days.",
      s_kpi_options, s_aging },
    { "trend", "KPI", 1, 1, "one KPI per day, week or month",
      "One KPI per period, oldest first; flows count in each period, balances as of its\n"
      "last day. KPI is a name from `metrics kpi` (clean_claim_rate, days_in_ar ...).",
      s_trend_options, s_trend },
    { "scorecard", NULL, 0, 0, "the KPIs side by side, one row per owner team",
      NULL, s_scorecard_options, s_scorecard },
    { "drill", "KPI", 1, 1, "the claims behind a figure",
      "The claims behind KPI in the window (A/R figures: the claims with a balance now),\n"
      "paged, with what metrics holds of each.",
      s_drill_options, s_drill },
    { "work", NULL, 0, 0, "work items: open, overdue, SLA attainment, time to first touch",
      "Open and overdue work items now (due at or before the service clock's now), and of\n"
      "the items done in the window the share done within their SLA target\n"
      "(sla_met_rate) and the mean hours from creation to a person's first change, by\n"
      "service, type, queue, team and owner. --json as `metrics kpi --json`, with only\n"
      "these figures.",
      s_work_options, s_work },
    { "rebuild", NULL, 0, 0, "wipe the aggregates and replay every event",
      "Wipes every metrics table and offset and replays the streams from the broker's\n"
      "log; figures come back identical. Needs metrics.admin.",
      NULL, s_rebuild },
    { NULL }
};

const ctl_group_t cmd_metrics = {
    "metrics", "KPIs, aging, trends and scorecards by payer, location, queue and team.", s_commands
};
