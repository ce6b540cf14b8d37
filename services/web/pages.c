/*  pages: what each dashboard page shows (docs/dashboard.md). Every figure
    comes from the same request rcmqctl makes (metrics.Kpi, Aging, Trend,
    Scorecard, Drill) with the signed-in user's key, and is printed the way
    `rcmqctl metrics` prints it; each tile also carries the figure exactly
    as `rcmqctl --json` has it (data-value), so a test compares the two.

    Each page has a CSV twin (<page>.csv) with the same figures as the page
    shows, so "download what I see" is the same request again.
*/
#include "http.h"
#include "clock.h"

#include "svg.h"
#include "kpitext.h"
#include "workservice.h"
#include "intake.pb-c.h"
#include "work.pb-c.h"
#include "audit.pb-c.h"
#include "denials.pb-c.h"
#include "workstate.h"

#include <jansson.h>
#include <math.h>

//  The KPIs with a trend on the Overview, in order (rcmqctl's headline).
static const char *const s_headline [] = {
    "clean_claim_rate", "initial_denial_rate", "net_collection_rate", "days_in_ar",
    "ar_cents", "pct_ar_over_90", "received", "adjudicated", NULL
};

//  The Scorecard's columns, as `rcmqctl metrics scorecard` has them: the
//  headline, the work items' and the denials' figures.
static const char *const s_scorecard_columns [] = {
    "clean_claim_rate", "initial_denial_rate", "net_collection_rate", "days_in_ar",
    "ar_cents", "pct_ar_over_90", "received", "adjudicated",
    "work_open", "work_overdue", "sla_met_rate",
    "denial_overturn_rate", "denials_open", "denials_missed_deadline", "denial_recovered_cents",
    "denial_written_off_cents", "denial_days_to_appeal", "denials_opened", "denials_appealed", NULL
};

static const char *const s_buckets [] = { "0_30", "31_60", "61_90", "91_120", "over_120" };
static const char *const s_bucket_titles [] = { "0–30", "31–60", "61–90", "91–120", "over 120" };
#define BUCKET_COUNT 5

#define DRILL_PAGE_ROWS 50

//  --------------------------------------------------------------------------
//  Figures as text, as rcmqctl prints them

//  The figure as rcmqctl --json prints it (null, integer or real).
static void
s_value_json (const KpiValue *value, char *buf, size_t size)
{
    json_t *json = kpitext_json (value);
    char *text = json_dumps (json, JSON_ENCODE_ANY);
    snprintf (buf, size, "%s", text? text: "null");
    free (text);
    json_decref (json);
}

//  A figure as a number for a chart (NAN when not available).
static double
s_value_number (const KpiValue *value)
{
    if (!value || !value->available)
        return NAN;
    return streq (value->unit, "cents") || streq (value->unit, "count")? (double) value->amount: value->value;
}

static const KpiValue *
s_find (const KpiSet *set, const char *name)
{
    for (size_t i = 0; set && i < set->n_values; i++)
        if (streq (set->values [i]->name, name))
            return set->values [i];
    return NULL;
}

static const AgingBucket *
s_bucket (const KpiSet *set, const char *name)
{
    for (size_t i = 0; set && i < set->n_aging; i++)
        if (streq (set->aging [i]->name, name))
            return set->aging [i];
    return NULL;
}

//  --------------------------------------------------------------------------
//  Shared parts

//  A payer's or location's name beside its id (nothing when none is known).
static void
s_name (html_t *out, const char *name)
{
    if (!name || !*name)
        return;
    html_printf (out, " <span class=\"name\">");
    html_text (out, name);
    html_printf (out, "</span>");
}

//  A link to path with the page's filters and one more parameter.
static void
s_link (http_request_t *request, html_t *out, const char *path, const char *name, const char *value)
{
    html_t *query = html_new ();
    filters_query (&request->filters, query);
    html_printf (out, "%s", path);
    const char *separator = "?";
    if (html_size (query)) {
        html_printf (out, "?%s", html_data (query));
        separator = "&";
    }
    if (name) {
        html_printf (out, "%s%s=", separator, name);
        html_url (out, value);
    }
    html_destroy (&query);
}

//  The filter form: a GET, so the filters are the URL (bookmarkable, no
//  state change, no CSRF token needed).
static void
s_filter_form (http_request_t *request, const char *action, const char *keep_name, const char *keep_value)
{
    html_t *out = request->body;
    html_printf (out, "<form class=\"filters\" method=\"get\" action=\"%s\">", action);
    if (keep_name) {
        html_printf (out, "<input type=\"hidden\" name=\"%s\" value=\"", keep_name);
        html_text (out, keep_value);
        html_printf (out, "\">");
    }
    for (const filters_field_t *field = filters_fields; field->name; field++) {
        bool date = field->size == 11;
        html_printf (out, "<label for=\"f-%s\">%s<input id=\"f-%s\" name=\"%s\" %s value=\"", field->name,
                     field->label, field->name, field->name, date? "type=\"date\"": "size=\"10\"");
        html_text (out, (const char *) &request->filters + field->offset);
        html_printf (out, "\"></label>");
    }
    html_printf (out, "<label for=\"f-window\">Window (days)<input id=\"f-window\" name=\"window\" "
                 "inputmode=\"numeric\" size=\"4\" value=\"");
    if (request->filters.window)
        html_printf (out, "%u", request->filters.window);
    html_printf (out, "\"></label><button type=\"submit\">Apply</button> <a href=\"%s\">Clear</a></form>\n", action);
}

static void
s_csv_link (http_request_t *request, const char *path, const char *name, const char *value)
{
    html_printf (request->body, "<p><a class=\"csv\" href=\"");
    html_t *link = html_new ();
    s_link (request, link, path, name, value);
    html_text (request->body, html_data (link));
    html_destroy (&link);
    html_printf (request->body, "\" download>Download CSV</a></p>\n");
}

static void
s_csv_begin (http_request_t *request, const char *name)
{
    request->content_type = "text/csv; charset=utf-8";
    snprintf (request->disposition, sizeof request->disposition, "attachment; filename=\"rcmq-%s.csv\"", name);
}

//  A failed call: the page says what and why (a PERMISSION_DENIED is the
//  service's word on this user's role; 403).
static void
s_call_failed (http_request_t *request, Status status, const char *method, const char *error)
{
    char text [700];
    snprintf (text, sizeof text, "%s: %s", method, error);
    http_error (request, status == STATUS__PERMISSION_DENIED? MHD_HTTP_FORBIDDEN
                       : status == STATUS__INVALID_ARGUMENT? MHD_HTTP_BAD_REQUEST
                       : status == STATUS__NOT_FOUND? MHD_HTTP_NOT_FOUND: MHD_HTTP_BAD_GATEWAY, text);
}

//  A call whose failure fails the page: false when it did not answer OK,
//  and then the response says why (s_call_failed).
static bool
s_call (http_request_t *request, const char *name, const char *method, const void *body,
        const ProtobufCMessageDescriptor *reply_type, void **reply)
{
    char error [600];
    Status status = http_call (request, name, method, body, reply_type, reply, error, sizeof error);
    if (status != STATUS__OK)
        s_call_failed (request, status, method, error);
    return status == STATUS__OK;
}

//  The start of every page: its frame, and the filter form when it has
//  one (action), which keeps keep_name=keep_value beside the filters.
static html_t *
s_page_open (http_request_t *request, const char *title, const char *current, const char *action,
             const char *keep_name, const char *keep_value)
{
    http_page_begin (request, title, current);
    if (action)
        s_filter_form (request, action, keep_name, keep_value);
    return request->body;
}

//  The start of every CSV: its type, file name, and the header line.
static html_t *
s_csv_open (http_request_t *request, const char *name, const char *header)
{
    s_csv_begin (request, name);
    html_printf (request->body, "%s", header);
    return request->body;
}

static bool
s_kpi (http_request_t *request, const char *method, const char *group_by, KpiReply **reply)
{
    KpiRequest body = KPI_REQUEST__INIT;
    MetricsFilters filters;
    MetricsPeriod period;
    filters_request (&request->filters, &filters, &period);
    body.filters = &filters;
    body.period = &period;
    char *groups [1] = { (char *) group_by };
    if (group_by) {
        body.group_by = groups;
        body.n_group_by = 1;
    }
    return s_call (request, "metrics", method, &body, &kpi_reply__descriptor, (void **) reply);
}

//  --------------------------------------------------------------------------
//  Overview

static uint32_t
s_day (const char *text)
{
    int year, month, day;
    if (!text || sscanf (text, "%4d-%2d-%2d", &year, &month, &day) != 3)
        return 0;
    return (uint32_t) clock_days_from_civil (year, month, day);
}

static void
s_day_text (int64_t days, char *buf, size_t size)
{
    int year, month, day;
    clock_civil_from_days (days, &year, &month, &day);
    snprintf (buf, size, "%04d-%02d-%02d", year, month, day);
}

//  The period before the reply's, as long as it: flows over the same
//  number of days ending the day before it began, balances as of that day.
static Status
s_previous (http_request_t *request, const KpiReply *current, KpiReply **reply, char *error, size_t size)
{
    int64_t from = s_day (current->from), to = s_day (current->to);
    char prev_from [11], prev_to [11];
    s_day_text (from - 1 - (to - from), prev_from, sizeof prev_from);
    s_day_text (from - 1, prev_to, sizeof prev_to);
    KpiRequest body = KPI_REQUEST__INIT;
    MetricsFilters filters;
    MetricsPeriod period;
    filters_request (&request->filters, &filters, &period);
    period.from = prev_from;
    period.to = prev_to;
    period.as_of = prev_to;
    period.window_days = current->window_days;
    body.filters = &filters;
    body.period = &period;
    return http_call (request, "metrics", "metrics.Kpi", &body, &kpi_reply__descriptor, (void **) reply, error, size);
}

//  The 12-month trends of kpis (NULL-terminated), all in one metrics.Trend
//  request (its kpis form: one KPI run a month for all of them, where a
//  request a KPI cost the Overview nine). NULL when metrics did not give
//  them: the tiles then say "no trend", the figures still show.
static TrendReply *
s_trends (http_request_t *request, const char *const *kpis, const char *as_of)
{
    TrendRequest body = TREND_REQUEST__INIT;
    MetricsFilters filters;
    MetricsPeriod period;
    filters_request (&request->filters, &filters, &period);
    period.from = "";
    period.to = "";
    period.as_of = (char *) as_of;
    body.kpis = (char **) kpis;
    while (kpis [body.n_kpis])
        body.n_kpis++;
    body.interval = "month";
    body.periods = 12;
    body.filters = &filters;
    body.period = &period;
    TrendReply *reply;
    char error [300];
    if (http_call (request, "metrics", "metrics.Trend", &body, &trend_reply__descriptor, (void **) &reply,
                   error, sizeof error) != STATUS__OK)
        return NULL;
    return reply;
}

static void
s_sparkline (http_request_t *request, const TrendReply *trends, const char *kpi, const char *as_of)
{
    const TrendSeries *series = NULL;
    for (size_t i = 0; trends && i < trends->n_series; i++)
        if (streq (trends->series [i]->kpi, kpi))
            series = trends->series [i];
    if (!series) {
        html_printf (request->body, "<span class=\"spark-missing\">no trend</span>");
        return;
    }
    double values [128];
    bool present [128];
    size_t count = series->n_points < 128? series->n_points: 128;
    for (size_t i = 0; i < count; i++) {
        values [i] = s_value_number (series->points [i]->value);
        present [i] = !isnan (values [i]);
    }
    char label [128];
    snprintf (label, sizeof label, "%s by month, 12 months to %s", kpi, as_of);
    //  The points as rcmqctl --json metrics trend has them (data-values),
    //  so a test compares the two.
    html_printf (request->body, "<span class=\"trend\" data-kpi=\"");
    html_text (request->body, kpi);
    html_printf (request->body, "\" data-values=\"[");
    for (size_t i = 0; i < count; i++) {
        char json [64];
        s_value_json (series->points [i]->value, json, sizeof json);
        html_printf (request->body, "%s", i? ",": "");
        html_text (request->body, json);
    }
    html_printf (request->body, "]\">");
    svg_sparkline (request->body, values, present, count, 180, 36, label);
    html_printf (request->body, "</span>");
}

void
pages_overview (http_request_t *request)
{
    char error [600];
    KpiReply *current = NULL, *previous = NULL;
    if (!s_kpi (request, "metrics.Kpi", NULL, &current))
        return;
    bool have_previous = s_previous (request, current, &previous, error, sizeof error) == STATUS__OK;
    TrendReply *trends = s_trends (request, s_headline, current->as_of);
    html_t *out = s_page_open (request, "Overview", "/", "/", NULL, NULL);
    html_printf (out, "<p class=\"period\">Flows <span id=\"from\">%s</span> to <span id=\"to\">%s</span>; "
                 "balances as of <span id=\"as-of\">%s</span>; days in A/R over %u days.",
                 current->from, current->to, current->as_of, current->window_days);
    if (have_previous)
        html_printf (out, " Previous period: %s to %s.", previous->from, previous->to);
    html_printf (out, "</p>\n<div class=\"tiles\">\n");
    for (size_t i = 0; i < current->overall->n_values; i++) {
        const KpiValue *value = current->overall->values [i];
        char text [64], json [64];
        kpitext_value (value, text, sizeof text);
        s_value_json (value, json, sizeof json);
        html_printf (out, "<div class=\"tile\"");
        html_attr (out, "data-kpi", value->name);
        html_attr (out, "data-value", json);
        html_printf (out, "><div class=\"name\"><a href=\"");
        html_t *link = html_new ();
        s_link (request, link, "/drill", "kpi", value->name);
        html_text (out, html_data (link));
        html_destroy (&link);
        html_printf (out, "\">");
        html_text (out, value->name);
        html_printf (out, "</a></div><div class=\"value\">");
        html_text (out, text);
        html_printf (out, "</div>");
        const KpiValue *before = have_previous? s_find (previous->overall, value->name): NULL;
        if (before) {
            kpitext_value (before, text, sizeof text);
            html_printf (out, "<div class=\"prev\">previous: ");
            html_text (out, text);
            html_printf (out, "</div>");
        }
        for (const char *const *name = s_headline; *name; name++)
            if (streq (*name, value->name))
                s_sparkline (request, trends, value->name, current->as_of);
        html_printf (out, "</div>\n");
    }
    html_printf (out, "</div>\n");
    s_csv_link (request, "/overview.csv", NULL, NULL);
    http_page_end (request);
    codec_free (current);
    codec_free (previous);
    codec_free (trends);
}

void
pages_overview_csv (http_request_t *request)
{
    KpiReply *reply;
    if (!s_kpi (request, "metrics.Kpi", NULL, &reply))
        return;
    html_t *out = s_csv_open (request, "overview", "kpi,unit,value,numerator,denominator,from,to,as_of\r\n");
    for (size_t i = 0; i < reply->overall->n_values; i++) {
        const KpiValue *value = reply->overall->values [i];
        char json [64];
        s_value_json (value, json, sizeof json);
        html_csv (out, value->name);
        html_printf (out, ",");
        html_csv (out, value->unit);
        html_printf (out, ",%s,%" PRId64 ",%" PRId64 ",%s,%s,%s\r\n", streq (json, "null")? "": json,
                     value->numerator, value->denominator, reply->from, reply->to, reply->as_of);
    }
    codec_free (reply);
}

//  --------------------------------------------------------------------------
//  A/R aging by payer

void
pages_aging (http_request_t *request)
{
    KpiReply *reply;
    if (!s_kpi (request, "metrics.Aging", "payer_id", &reply))
        return;
    html_t *out = s_page_open (request, "A/R aging", "/aging", "/aging", NULL, NULL);
    html_printf (out, "<p>A/R by days from date of service, as of %s, by payer. "
                 "Select a bar for the claims behind it.</p>\n", reply->as_of);
    size_t count = reply->n_groups;
    svg_bar_t *bars = (svg_bar_t *) zmalloc ((count + 1) * sizeof (svg_bar_t));
    int64_t *values = (int64_t *) zmalloc ((count + 1) * BUCKET_COUNT * sizeof (int64_t));
    char **links = (char **) zmalloc ((count + 1) * sizeof (char *));
    for (size_t g = 0; g < count; g++) {
        const KpiSet *set = reply->groups [g];
        for (size_t b = 0; b < BUCKET_COUNT; b++) {
            const AgingBucket *bucket = s_bucket (set, s_buckets [b]);
            values [g * BUCKET_COUNT + b] = bucket? bucket->cents: 0;
        }
        //  A bar's drill-down: the A/R claims of this payer, with the
        //  page's other filters (the payer filter replaced by the bar's).
        html_t *link = html_new ();
        filters_t keep = request->filters;
        snprintf (keep.payer, sizeof keep.payer, "%s", set->key);
        html_printf (link, "/drill?kpi=ar_cents");
        html_t *query = html_new ();
        filters_query (&keep, query);
        html_printf (link, "&%s", html_data (query));
        html_destroy (&query);
        size_t size;
        links [g] = html_take (link, &size);
        html_destroy (&link);
        //  A group with no payer id has no drill-down of its own: a payer
        //  filter of "" means every payer.
        bars [g] = (svg_bar_t) { *set->key? set->key: "(none)", *set->key? links [g]: NULL,
                                 values + g * BUCKET_COUNT, set->payer_name };
    }
    int width = count * 90 + 40 > 900? (int) (count * 90 + 40): 900;
    svg_stacked_bars (out, bars, count, s_bucket_titles, BUCKET_COUNT, width, 320, "A/R aging by payer");
    //  The same figures as a table: what the bars stand for, exactly.
    html_printf (out, "\n<table id=\"aging\"><caption>A/R by payer and bucket (dollars)</caption><thead><tr><th scope=\"col\">payer</th>");
    for (size_t b = 0; b < BUCKET_COUNT; b++)
        html_printf (out, "<th scope=\"col\">%s</th>", s_bucket_titles [b]);
    html_printf (out, "<th scope=\"col\">total</th></tr></thead><tbody>\n");
    for (size_t g = 0; g < count; g++) {
        int64_t total = 0;
        html_printf (out, "<tr data-payer=\"");
        html_text (out, reply->groups [g]->key);
        html_printf (out, "\"><th scope=\"row\">");
        if (bars [g].href) {
            html_printf (out, "<a href=\"");
            html_text (out, links [g]);
            html_printf (out, "\">");
        }
        html_text (out, bars [g].label);
        html_printf (out, "%s", bars [g].href? "</a>": "");
        s_name (out, reply->groups [g]->payer_name);
        html_printf (out, "</th>");
        for (size_t b = 0; b < BUCKET_COUNT; b++) {
            char cents [32];
            html_cents (cents, sizeof cents, values [g * BUCKET_COUNT + b]);
            total += values [g * BUCKET_COUNT + b];
            html_printf (out, "<td data-cents=\"%" PRId64 "\">%s</td>", values [g * BUCKET_COUNT + b], cents);
        }
        char cents [32];
        html_cents (cents, sizeof cents, total);
        html_printf (out, "<td data-cents=\"%" PRId64 "\">%s</td></tr>\n", total, cents);
    }
    html_printf (out, "</tbody></table>\n");
    s_csv_link (request, "/aging.csv", NULL, NULL);
    http_page_end (request);
    for (size_t g = 0; g < count; g++)
        free (links [g]);
    free (links);
    free (values);
    free (bars);
    codec_free (reply);
}

void
pages_aging_csv (http_request_t *request)
{
    KpiReply *reply;
    if (!s_kpi (request, "metrics.Aging", "payer_id", &reply))
        return;
    html_t *out = s_csv_open (request, "aging", "payer_id,payer_name,as_of");
    for (size_t b = 0; b < BUCKET_COUNT; b++)
        html_printf (out, ",%s_cents", s_buckets [b]);
    html_printf (out, ",total_cents\r\n");
    for (size_t g = 0; g < reply->n_groups; g++) {
        int64_t total = 0;
        html_csv (out, reply->groups [g]->key);
        html_printf (out, ",");
        html_csv (out, reply->groups [g]->payer_name);
        html_printf (out, ",%s", reply->as_of);
        for (size_t b = 0; b < BUCKET_COUNT; b++) {
            const AgingBucket *bucket = s_bucket (reply->groups [g], s_buckets [b]);
            int64_t cents = bucket? bucket->cents: 0;
            total += cents;
            html_printf (out, ",%" PRId64, cents);
        }
        html_printf (out, ",%" PRId64 "\r\n", total);
    }
    codec_free (reply);
}

//  --------------------------------------------------------------------------
//  Drill-down: the claims behind a figure, paged

static bool
s_drill (http_request_t *request, DrillReply **reply)
{
    DrillRequest body = DRILL_REQUEST__INIT;
    MetricsFilters filters;
    MetricsPeriod period;
    filters_request (&request->filters, &filters, &period);
    const char *kpi = http_query (request, "kpi");
    const char *after = http_query (request, "after");
    body.kpi = (char *) (kpi? kpi: "");
    body.after = (char *) (after? after: "");
    body.limit = DRILL_PAGE_ROWS;
    body.filters = &filters;
    body.period = &period;
    return s_call (request, "metrics", "metrics.Drill", &body, &drill_reply__descriptor, (void **) reply);
}

void
pages_drill (http_request_t *request)
{
    DrillReply *reply;
    if (!s_drill (request, &reply))
        return;
    const char *kpi = http_query (request, "kpi");
    char title [128];
    snprintf (title, sizeof title, "Claims behind %s", reply->kpi);
    html_t *out = s_page_open (request, title, NULL, "/drill", "kpi", kpi);
    static const char *const columns [] = {
        "pcn", "date", "counted", "payer", "payer name", "location", "location name", "rendering provider",
        "provider name", "service line", "queue", "team", "date of service", "status", "charge", "paid", "A/R", NULL
    };
    html_printf (out, "<table id=\"claims\"><thead><tr>");
    for (const char *const *column = columns; *column; column++)
        html_printf (out, "<th scope=\"col\">%s</th>", *column);
    html_printf (out, "</tr></thead><tbody>\n");
    for (size_t i = 0; i < reply->n_rows; i++) {
        const DrillRow *row = reply->rows [i];
        const char *texts [] = {
            row->pcn, row->date, row->counted? "yes": "no",
            row->dims? row->dims->payer_id: "", row->dims? row->dims->payer_name: "",
            row->dims? row->dims->location: "", row->dims? row->dims->location_name: "",
            row->dims? row->dims->provider_id: "", row->dims? row->dims->provider_name: "",
            row->dims? row->dims->service_line: "", row->dims? row->dims->queue: "",
            row->dims? row->dims->owner_team: "", row->date_of_service, row->status,
        };
        html_printf (out, "<tr>");
        for (size_t c = 0; c < sizeof texts / sizeof texts [0]; c++) {
            html_printf (out, c == 0? "<th scope=\"row\">": "<td>");
            html_text (out, texts [c]);
            html_printf (out, c == 0? "</th>": "</td>");
        }
        int64_t money [] = { row->charge_cents, row->paid_cents, row->ar_insurance_cents + row->ar_patient_cents };
        for (size_t m = 0; m < 3; m++) {
            char cents [32];
            html_cents (cents, sizeof cents, money [m]);
            html_printf (out, "<td>%s</td>", cents);
        }
        html_printf (out, "</tr>\n");
    }
    html_printf (out, "</tbody></table>\n<p>%zu claims on this page.", reply->n_rows);
    if (*reply->next) {
        html_t *link = html_new ();
        s_link (request, link, "/drill", "kpi", kpi? kpi: "");
        html_printf (link, "&after=");
        html_url (link, reply->next);
        html_printf (out, " <a rel=\"next\" href=\"");
        html_text (out, html_data (link));
        html_printf (out, "\">Next page</a>");
        html_destroy (&link);
    }
    html_printf (out, "</p>\n");
    //  The CSV of this page: the same kpi and cursor.
    html_t *csv = html_new ();
    s_link (request, csv, "/drill.csv", "kpi", kpi? kpi: "");
    const char *after = http_query (request, "after");
    if (after && *after) {
        html_printf (csv, "&after=");
        html_url (csv, after);
    }
    html_printf (out, "<p><a class=\"csv\" href=\"");
    html_text (out, html_data (csv));
    html_printf (out, "\" download>Download CSV</a></p>\n");
    html_destroy (&csv);
    http_page_end (request);
    codec_free (reply);
}

void
pages_drill_csv (http_request_t *request)
{
    DrillReply *reply;
    if (!s_drill (request, &reply))
        return;
    html_t *out = s_csv_open (request, "claims", "pcn,date,counted,payer_id,location,service_line,queue,owner_team,date_of_service,status,"
                 "charge_cents,paid_cents,ar_insurance_cents,ar_patient_cents,payer_name,location_name,provider_id,provider_name\r\n");
    for (size_t i = 0; i < reply->n_rows; i++) {
        const DrillRow *row = reply->rows [i];
        const char *texts [] = {
            row->pcn, row->date, row->counted? "true": "false",
            row->dims? row->dims->payer_id: "", row->dims? row->dims->location: "",
            row->dims? row->dims->service_line: "", row->dims? row->dims->queue: "",
            row->dims? row->dims->owner_team: "", row->date_of_service, row->status,
        };
        for (size_t c = 0; c < sizeof texts / sizeof texts [0]; c++) {
            html_csv (out, texts [c]);
            html_printf (out, ",");
        }
        html_printf (out, "%" PRId64 ",%" PRId64 ",%" PRId64 ",%" PRId64, row->charge_cents,
                     row->paid_cents, row->ar_insurance_cents, row->ar_patient_cents);
        //  The names beside the ids, after the columns the CSV had first.
        const char *names [] = {
            row->dims? row->dims->payer_name: "", row->dims? row->dims->location_name: "",
            row->dims? row->dims->provider_id: "", row->dims? row->dims->provider_name: "",
        };
        for (size_t c = 0; c < sizeof names / sizeof names [0]; c++) {
            html_printf (out, ",");
            html_csv (out, names [c]);
        }
        html_printf (out, "\r\n");
    }
    codec_free (reply);
}

//  --------------------------------------------------------------------------
//  Scorecard: the headline KPIs, one row per owner team

static bool
s_scorecard (http_request_t *request, KpiReply **reply)
{
    ScorecardRequest body = SCORECARD_REQUEST__INIT;
    MetricsFilters filters;
    MetricsPeriod period;
    filters_request (&request->filters, &filters, &period);
    body.filters = &filters;
    body.period = &period;
    return s_call (request, "metrics", "metrics.Scorecard", &body, &kpi_reply__descriptor, (void **) reply);
}

void
pages_scorecard (http_request_t *request)
{
    KpiReply *reply;
    if (!s_scorecard (request, &reply))
        return;
    html_t *out = s_page_open (request, "Scorecard", "/scorecard", "/scorecard", NULL, NULL);
    html_printf (out, "<p>Flows %s to %s, balances as of %s, one row per owner team (internal and vendor side by side).</p>\n"
                 "<div class=\"scroll\"><table id=\"scorecard\"><thead><tr><th scope=\"col\">team</th>", reply->from, reply->to, reply->as_of);
    for (const char *const *name = s_scorecard_columns; *name; name++)
        html_printf (out, "<th scope=\"col\">%s</th>", *name);
    html_printf (out, "</tr></thead><tbody>\n");
    for (size_t g = 0; g < reply->n_groups; g++) {
        html_printf (out, "<tr><th scope=\"row\">");
        html_text (out, *reply->groups [g]->key? reply->groups [g]->key: "(none)");
        html_printf (out, "</th>");
        for (const char *const *name = s_scorecard_columns; *name; name++) {
            const KpiValue *value = s_find (reply->groups [g], *name);
            char text [64] = "-", json [64] = "null";
            if (value) {
                kpitext_value (value, text, sizeof text);
                s_value_json (value, json, sizeof json);
            }
            html_printf (out, "<td data-kpi=\"%s\" data-value=\"", *name);
            html_text (out, json);
            html_printf (out, "\">");
            html_text (out, text);
            html_printf (out, "</td>");
        }
        html_printf (out, "</tr>\n");
    }
    html_printf (out, "</tbody></table></div>\n");
    s_csv_link (request, "/scorecard.csv", NULL, NULL);
    http_page_end (request);
    codec_free (reply);
}

void
pages_scorecard_csv (http_request_t *request)
{
    KpiReply *reply;
    if (!s_scorecard (request, &reply))
        return;
    html_t *out = s_csv_open (request, "scorecard", "team");
    for (const char *const *name = s_scorecard_columns; *name; name++)
        html_printf (out, ",%s", *name);
    html_printf (out, "\r\n");
    for (size_t g = 0; g < reply->n_groups; g++) {
        html_csv (out, reply->groups [g]->key);
        for (const char *const *name = s_scorecard_columns; *name; name++) {
            const KpiValue *value = s_find (reply->groups [g], *name);
            char json [64] = "";
            if (value && value->available)
                s_value_json (value, json, sizeof json);
            html_printf (out, ",%s", json);
        }
        html_printf (out, "\r\n");
    }
    codec_free (reply);
}

//  --------------------------------------------------------------------------
//  Denials: by root-cause category, by payer, and the rate over time

//  The categories any group has, in name order (a list to free, not its
//  strings: they are the reply's).
static zlistx_t *
s_categories (const KpiReply *reply)
{
    zlistx_t *names = zlistx_new ();
    zlistx_set_comparator (names, (zlistx_comparator_fn *) strcmp);
    for (size_t g = 0; g < reply->n_groups; g++)
        for (size_t d = 0; d < reply->groups [g]->n_denials; d++)
            if (!zlistx_find (names, reply->groups [g]->denials [d]->code))
                zlistx_add_end (names, reply->groups [g]->denials [d]->code);
    zlistx_sort (names);
    return names;
}

//  The denial figures (metrics' denial_kpi.c: appeals, outcomes, money,
//  deadlines), as tiles overall and as columns by payer.
static const char *const s_denial_figures [] = {
    "denial_overturn_rate", "denials_open", "denials_missed_deadline", "denial_recovered_cents",
    "denial_written_off_cents", "denial_days_to_appeal", "denials_opened", "denials_appealed", NULL
};

//  One cell (td) or tile (div) of a figure: its text, and its value as
//  rcmqctl --json has it (data-value), so a test compares the two.
static void
s_denial_figure (html_t *out, const KpiSet *set, const char *name, bool tile)
{
    const KpiValue *value = s_find (set, name);
    char text [64] = "-", json [64] = "null";
    if (value) {
        kpitext_value (value, text, sizeof text);
        s_value_json (value, json, sizeof json);
    }
    html_printf (out, tile? "<div class=\"tile\" data-kpi=\"%s\" data-value=\"": "<td data-kpi=\"%s\" data-value=\"", name);
    html_text (out, json);
    html_printf (out, "\">");
    if (tile)
        html_printf (out, "<div class=\"name\">%s</div><div class=\"value\">", name);
    html_text (out, text);
    html_printf (out, tile? "</div></div>\n": "</td>");
}

static const ReasonCount *
s_reason (const KpiSet *set, const char *code)
{
    for (size_t d = 0; d < set->n_denials; d++)
        if (streq (set->denials [d]->code, code))
            return set->denials [d];
    return NULL;
}

//  Top denial patterns (denials.Patterns, as `rcmqctl denials patterns`):
//  preventable denials of one payer and procedure (or scrub rule) and
//  category within their window, most denials first. Only the payer
//  filter applies (a pattern has no location, queue or team); a role the
//  denials service refuses sees why instead of the panel.
static DenialPatternList *
s_patterns (http_request_t *request, char *error, size_t size, Status *status)
{
    DenialPatternList *reply;
    *status = http_call (request, "denials", "denials.Patterns", NULL, &denial_pattern_list__descriptor,
                         (void **) &reply, error, size);
    return *status == STATUS__OK? reply: NULL;
}

static bool
s_pattern_shown (http_request_t *request, const DenialPattern *pattern)
{
    return !*request->filters.payer || streq (request->filters.payer, pattern->payer_id);
}

static void
s_patterns_panel (http_request_t *request, const KpiReply *by_payer)
{
    html_t *out = request->body;
    char error [600];
    Status status;
    DenialPatternList *list = s_patterns (request, error, sizeof error, &status);
    html_printf (out, "\n<h2>Top denial patterns</h2>\n");
    if (!list) {
        html_printf (out, "<p class=\"error\" id=\"patterns-error\">denials.Patterns: ");
        html_text (out, error);
        html_printf (out, "</p>\n");
        return;
    }
    html_printf (out, "<p>Preventable denials of one payer and procedure (or scrub rule) and category within "
                 "their window, most first, as intake warns of them; only the payer filter applies.</p>\n"
                 "<table id=\"patterns\"><thead><tr><th scope=\"col\">payer</th><th scope=\"col\">procedure or rule</th>"
                 "<th scope=\"col\">category</th><th scope=\"col\">denials</th><th scope=\"col\">dollars</th>"
                 "<th scope=\"col\">trend</th><th scope=\"col\">CARC</th><th scope=\"col\">window (days)</th>"
                 "</tr></thead><tbody>\n");
    size_t shown = 0;
    for (size_t i = 0; i < list->n_patterns; i++) {
        const DenialPattern *pattern = list->patterns [i];
        if (!s_pattern_shown (request, pattern))
            continue;
        const char *payer_name = NULL;
        for (size_t g = 0; by_payer && g < by_payer->n_groups; g++)
            if (streq (by_payer->groups [g]->key, pattern->payer_id))
                payer_name = by_payer->groups [g]->payer_name;
        char cents [32];
        html_cents (cents, sizeof cents, pattern->cents);
        html_printf (out, "<tr");
        html_attr (out, "data-payer", pattern->payer_id);
        html_attr (out, "data-procedure", pattern->procedure_code);
        html_attr (out, "data-rule", pattern->rule);
        html_attr (out, "data-category", pattern->category);
        html_printf (out, " data-count=\"%u\" data-cents=\"%" PRId64 "\"><th scope=\"row\">",
                     pattern->count, pattern->cents);
        html_text (out, pattern->payer_id);
        s_name (out, payer_name);
        html_printf (out, "</th><td>%s", *pattern->rule? "rule ": "");
        html_text (out, *pattern->rule? pattern->rule: pattern->procedure_code);
        html_printf (out, "</td><td>");
        html_text (out, pattern->category);
        html_printf (out, "</td><td>%u</td><td>%s</td><td class=\"trend\">", pattern->count, cents);
        html_text (out, pattern->trend);
        html_printf (out, "</td><td>");
        html_text (out, pattern->carc);
        html_printf (out, "</td><td>%u</td></tr>\n", pattern->window_days);
        shown++;
    }
    html_printf (out, "</tbody></table>\n");
    if (!shown)
        html_printf (out, "<p id=\"patterns-none\">No denial pattern in force%s.</p>\n",
                     *request->filters.payer? " for this payer": "");
    s_csv_link (request, "/denial-patterns.csv", NULL, NULL);
    codec_free (list);
}

void
pages_denial_patterns_csv (http_request_t *request)
{
    char error [600];
    Status status;
    DenialPatternList *list = s_patterns (request, error, sizeof error, &status);
    if (!list) {
        s_call_failed (request, status, "denials.Patterns", error);
        return;
    }
    html_t *out = s_csv_open (request, "denial-patterns",
                              "payer_id,procedure_code,rule,category,count,cents,trend,carc,window_days,"
                              "first_seen_ms,last_seen_ms\r\n");
    for (size_t i = 0; i < list->n_patterns; i++) {
        const DenialPattern *pattern = list->patterns [i];
        if (!s_pattern_shown (request, pattern))
            continue;
        const char *texts [] = { pattern->payer_id, pattern->procedure_code, pattern->rule, pattern->category };
        for (size_t t = 0; t < 4; t++) {
            html_csv (out, texts [t]);
            html_printf (out, ",");
        }
        html_printf (out, "%u,%" PRId64 ",", pattern->count, pattern->cents);
        html_csv (out, pattern->trend);
        html_printf (out, ",");
        html_csv (out, pattern->carc);
        html_printf (out, ",%u,%" PRIu64 ",%" PRIu64 "\r\n", pattern->window_days, pattern->first_seen_ms,
                     pattern->last_seen_ms);
    }
    codec_free (list);
}

void
pages_denials (http_request_t *request)
{
    KpiReply *reply;
    if (!s_kpi (request, "metrics.Kpi", "payer_id", &reply))
        return;
    html_t *out = s_page_open (request, "Denials", "/denials", "/denials", NULL, NULL);
    html_printf (out, "<p>Denials adjudicated %s to %s by root-cause category, by payer (dollars denied). "
                 "Select a bar for the denied claims behind it.</p>\n", reply->from, reply->to);
    zlistx_t *names = s_categories (reply);
    size_t n_series = zlistx_size (names), count = reply->n_groups;
    const char **series = (const char **) zmalloc ((n_series + 1) * sizeof (char *));
    size_t s = 0;
    for (const char *name = (const char *) zlistx_first (names); name; name = (const char *) zlistx_next (names))
        series [s++] = name;
    svg_bar_t *bars = (svg_bar_t *) zmalloc ((count + 1) * sizeof (svg_bar_t));
    int64_t *values = (int64_t *) zmalloc ((count + 1) * (n_series + 1) * sizeof (int64_t));
    char **links = (char **) zmalloc ((count + 1) * sizeof (char *));
    for (size_t g = 0; g < count; g++) {
        const KpiSet *set = reply->groups [g];
        for (s = 0; s < n_series; s++) {
            const ReasonCount *reason = s_reason (set, series [s]);
            values [g * n_series + s] = reason? reason->cents: 0;
        }
        html_t *link = html_new ();
        filters_t keep = request->filters;
        snprintf (keep.payer, sizeof keep.payer, "%s", set->key);
        html_t *query = html_new ();
        filters_query (&keep, query);
        html_printf (link, "/drill?kpi=denied&%s", html_data (query));
        html_destroy (&query);
        size_t size;
        links [g] = html_take (link, &size);
        html_destroy (&link);
        bars [g] = (svg_bar_t) { *set->key? set->key: "(none)", *set->key? links [g]: NULL, values + g * n_series,
                                 set->payer_name };
    }
    int width = count * 90 + 40 > 900? (int) (count * 90 + 40): 900;
    svg_stacked_bars (out, bars, count, series, n_series, width, 320, "Denied dollars by payer and category");
    static const char *const trend_kpis [] = { "initial_denial_rate", "denial_overturn_rate", NULL };
    TrendReply *trends = s_trends (request, trend_kpis, reply->as_of);
    html_printf (out, "\n<h2>Initial denial rate by month</h2>\n");
    s_sparkline (request, trends, "initial_denial_rate", reply->as_of);
    html_printf (out, "\n<table id=\"denials\"><caption>Denials by category (claims, dollars)</caption>"
                 "<thead><tr><th scope=\"col\">category</th><th scope=\"col\">claims</th>"
                 "<th scope=\"col\">dollars</th></tr></thead><tbody>\n");
    for (size_t d = 0; d < reply->overall->n_denials; d++) {
        const ReasonCount *reason = reply->overall->denials [d];
        char cents [32];
        html_cents (cents, sizeof cents, reason->cents);
        html_printf (out, "<tr data-category=\"");
        html_text (out, reason->code);
        html_printf (out, "\"><th scope=\"row\">");
        html_text (out, reason->code);
        html_printf (out, "</th><td>%" PRId64 "</td><td data-cents=\"%" PRId64 "\">%s</td></tr>\n",
                     reason->count, reason->cents, cents);
    }
    html_printf (out, "</tbody></table>\n");
    //  Appeals and outcomes: what the denials service's workflow did with
    //  the denials (won / decided appeals, open now, deadlines missed ...).
    html_printf (out, "\n<h2>Appeals and outcomes</h2>\n<p>Appeals decided, money recovered and written off, "
                 "deadlines missed %s to %s; open denials now.</p>\n<div class=\"tiles\" id=\"denial-figures\">\n",
                 reply->from, reply->to);
    for (const char *const *name = s_denial_figures; *name; name++)
        s_denial_figure (out, reply->overall, *name, true);
    html_printf (out, "</div>\n<h2>Appeal overturn rate by month</h2>\n");
    s_sparkline (request, trends, "denial_overturn_rate", reply->as_of);
    codec_free (trends);
    html_printf (out, "\n<table id=\"denial-outcomes\"><caption>Appeals and outcomes by payer</caption>"
                 "<thead><tr><th scope=\"col\">payer</th>");
    for (const char *const *name = s_denial_figures; *name; name++)
        html_printf (out, "<th scope=\"col\">%s</th>", *name);
    html_printf (out, "</tr></thead><tbody>\n");
    for (size_t g = 0; g < count; g++) {
        const KpiSet *set = reply->groups [g];
        html_printf (out, "<tr data-payer=\"");
        html_text (out, set->key);
        html_printf (out, "\"><th scope=\"row\">");
        html_text (out, *set->key? set->key: "(none)");
        s_name (out, set->payer_name);
        html_printf (out, "</th>");
        for (const char *const *name = s_denial_figures; *name; name++)
            s_denial_figure (out, set, *name, false);
        html_printf (out, "</tr>\n");
    }
    html_printf (out, "</tbody></table>\n");
    s_patterns_panel (request, reply);
    s_csv_link (request, "/denials.csv", NULL, NULL);
    http_page_end (request);
    for (size_t g = 0; g < count; g++)
        free (links [g]);
    free (links);
    free (values);
    free (bars);
    free (series);
    zlistx_destroy (&names);
    codec_free (reply);
}

//  A figure as a CSV cell: as rcmqctl --json has it, empty when not
//  available (or absent).
static void
s_csv_figure (html_t *out, const KpiSet *set, const char *name)
{
    const KpiValue *value = s_find (set, name);
    char json [64] = "";
    if (value && value->available)
        s_value_json (value, json, sizeof json);
    html_printf (out, ",%s", json);
}

//  A row per payer and category (claims and dollars denied), each with its
//  payer's appeal and outcome figures after (denial_overturn_rate ...); a
//  payer with figures and no denial in the period has one row, category
//  empty.
void
pages_denials_csv (http_request_t *request)
{
    KpiReply *reply;
    if (!s_kpi (request, "metrics.Kpi", "payer_id", &reply))
        return;
    html_t *out = s_csv_open (request, "denials", "payer_id,payer_name,category,claims,cents,from,to");
    for (const char *const *name = s_denial_figures; *name; name++)
        html_printf (out, ",%s", *name);
    html_printf (out, "\r\n");
    for (size_t g = 0; g < reply->n_groups; g++) {
        const KpiSet *set = reply->groups [g];
        for (size_t d = 0; d < set->n_denials || (d == 0 && set->n_denials == 0); d++) {
            const ReasonCount *reason = set->n_denials? set->denials [d]: NULL;
            html_csv (out, set->key);
            html_printf (out, ",");
            html_csv (out, set->payer_name);
            html_printf (out, ",");
            if (reason) {
                html_csv (out, reason->code);
                html_printf (out, ",%" PRId64 ",%" PRId64, reason->count, reason->cents);
            }
            else
                html_printf (out, ",,");
            html_printf (out, ",%s,%s", reply->from, reply->to);
            for (const char *const *name = s_denial_figures; *name; name++)
                s_csv_figure (out, set, *name);
            html_printf (out, "\r\n");
        }
    }
    codec_free (reply);
}

//  --------------------------------------------------------------------------
//  Queues & gates: each queue's phase and teams (intake's queue.List) beside
//  its figures (metrics.Kpi by queue); the gates' criteria are not served yet

//  The KPIs a queue's row shows.
static const char *const s_queue_kpis [] = {
    "clean_claim_rate", "initial_denial_rate", "days_in_ar", "ar_cents", "received", NULL
};

static const KpiSet *
s_group (const KpiReply *reply, const char *key)
{
    for (size_t g = 0; g < reply->n_groups; g++)
        if (streq (reply->groups [g]->key, key))
            return reply->groups [g];
    return NULL;
}

static bool
s_queues (http_request_t *request, QueueList **queues, KpiReply **figures)
{
    *figures = NULL;
    if (!s_call (request, "intake", "queue.List", NULL, &queue_list__descriptor, (void **) queues))
        return false;
    if (s_kpi (request, "metrics.Kpi", "queue", figures))
        return true;
    codec_free (*queues);
    return false;
}

void
pages_queues (http_request_t *request)
{
    QueueList *queues;
    KpiReply *figures;
    if (!s_queues (request, &queues, &figures))
        return;
    html_t *out = s_page_open (request, "Queues & gates", "/queues", "/queues", NULL, NULL);
    html_printf (out, "<p>Each work queue's rollout phase (internal → pilot → vendor) and teams, with its figures "
                 "for %s to %s. A queue's name opens the Overview for that queue.</p>\n"
                 "<table id=\"queues\"><thead><tr><th scope=\"col\">queue</th><th scope=\"col\">name</th>"
                 "<th scope=\"col\">phase</th><th scope=\"col\">owner team</th><th scope=\"col\">vendor team</th>",
                 figures->from, figures->to);
    for (const char *const *name = s_queue_kpis; *name; name++)
        html_printf (out, "<th scope=\"col\">%s</th>", *name);
    html_printf (out, "</tr></thead><tbody>\n");
    for (size_t q = 0; q < queues->n_queues; q++) {
        const Queue *queue = queues->queues [q];
        filters_t keep = request->filters;
        snprintf (keep.queue, sizeof keep.queue, "%s", queue->id);
        html_t *query = html_new ();
        filters_query (&keep, query);
        html_printf (out, "<tr data-queue=\"");
        html_text (out, queue->id);
        html_printf (out, "\"><th scope=\"row\"><a href=\"/?");
        html_text (out, html_data (query));
        html_printf (out, "\">");
        html_text (out, queue->id);
        html_printf (out, "</a></th>");
        html_destroy (&query);
        //  The name opens the queue's own page (queue.Show: a vendor may
        //  open only its own team's queues).
        html_printf (out, "<td><a href=\"/queue?id=");
        html_url (out, queue->id);
        html_printf (out, "\">");
        html_text (out, *queue->name? queue->name: queue->id);
        html_printf (out, "</a></td>");
        const char *cells [] = { queue->phase, queue->owner_team, queue->vendor_team };
        for (size_t c = 0; c < 3; c++) {
            html_printf (out, c == 0? "<td class=\"phase\">": "<td>");
            html_text (out, cells [c]);
            html_printf (out, "</td>");
        }
        const KpiSet *set = s_group (figures, queue->id);
        for (const char *const *name = s_queue_kpis; *name; name++) {
            const KpiValue *value = set? s_find (set, *name): NULL;
            char text [64] = "-", json [64] = "null";
            if (value) {
                kpitext_value (value, text, sizeof text);
                s_value_json (value, json, sizeof json);
            }
            html_printf (out, "<td data-kpi=\"%s\" data-value=\"", *name);
            html_text (out, json);
            html_printf (out, "\">");
            html_text (out, text);
            html_printf (out, "</td>");
        }
        html_printf (out, "</tr>\n");
    }
    html_printf (out, "</tbody></table>\n<h2>Gate criteria</h2>\n<div class=\"pending\" id=\"gates\" role=\"status\">"
                 "<p><strong>No gate figures exist yet.</strong> A queue moves one phase at a time (internal → pilot → "
                 "vendor) only when its gate's criteria pass, computed by metrics from live figures; no service "
                 "computes or serves those criteria yet, so this page cannot say whether any queue's gate passes. "
                 "The phases above are the queues' own.</p></div>\n");
    s_csv_link (request, "/queues.csv", NULL, NULL);
    http_page_end (request);
    codec_free (queues);
    codec_free (figures);
}

void
pages_queues_csv (http_request_t *request)
{
    QueueList *queues;
    KpiReply *figures;
    if (!s_queues (request, &queues, &figures))
        return;
    html_t *out = s_csv_open (request, "queues", "queue,name,phase,owner_team,vendor_team");
    for (const char *const *name = s_queue_kpis; *name; name++)
        html_printf (out, ",%s", *name);
    html_printf (out, "\r\n");
    for (size_t q = 0; q < queues->n_queues; q++) {
        const Queue *queue = queues->queues [q];
        const char *cells [] = { queue->id, queue->name, queue->phase, queue->owner_team, queue->vendor_team };
        for (size_t c = 0; c < 5; c++) {
            if (c)
                html_printf (out, ",");
            html_csv (out, cells [c]);
        }
        const KpiSet *set = s_group (figures, queue->id);
        for (const char *const *name = s_queue_kpis; *name; name++) {
            const KpiValue *value = set? s_find (set, *name): NULL;
            char json [64] = "";
            if (value && value->available)
                s_value_json (value, json, sizeof json);
            html_printf (out, ",%s", json);
        }
        html_printf (out, "\r\n");
    }
    codec_free (queues);
    codec_free (figures);
}

//  --------------------------------------------------------------------------
//  Panels whose figures the services do not give yet

void
pages_pending (http_request_t *request)
{
    static const struct {
        const char *path;
        const char *title;
        const char *waits;
    } s_pending [] = {
        { "/patients", "Patient follow-up", "open patient balances and their follow-up status" },
    };
    size_t i = 0;
    while (i < sizeof s_pending / sizeof s_pending [0] && !streq (s_pending [i].path, request->path))
        i++;
    assert (i < sizeof s_pending / sizeof s_pending [0]);
    http_page_begin (request, s_pending [i].title, s_pending [i].path);
    html_printf (request->body, "<div class=\"pending\" role=\"status\"><p><strong>Not available yet.</strong> "
                 "The figures of this panel — %s — are not served by the services yet; "
                 "this page shows them as soon as they are.</p></div>\n", s_pending [i].waits);
    http_page_end (request);
}

//  --------------------------------------------------------------------------
//  Work: open, overdue and escalated items by queue and team, and the
//  signed-in user's own, from the work lists of the services that hold
//  items (<service>.WorkList, as `rcmqctl work list` merges them). The
//  services scope them: a vendor sees its team's items only.


//  Pages of 1000 read at most per service: the counts say when they stop
//  short, rather than load the loop's thread without bound.
#define WORK_PAGE_ITEMS 1000
#define WORK_MAX_PAGES  20

typedef struct {
    char queue [FILTERS_TEXT];
    char team [FILTERS_TEXT];
    size_t open, overdue, escalated;
} s_work_row_t;

typedef struct {
    zlistx_t *lists;                //  WorkList replies, owned
    zlistx_t *rows;                 //  s_work_row_t, by queue then team
    zlistx_t *mine;                 //  WorkItem of the replies: open, owned by the user
    size_t open, overdue, escalated;
    bool cut;                       //  a service had more than WORK_MAX_PAGES pages
} s_work_t;

static int
s_work_row_compare (const void *a, const void *b)
{
    const s_work_row_t *x = (const s_work_row_t *) a, *y = (const s_work_row_t *) b;
    int order = strcmp (x->queue, y->queue);
    return order? order: strcmp (x->team, y->team);
}

static void
s_work_destroy (s_work_t *work)
{
    zlistx_destroy (&work->rows);
    zlistx_destroy (&work->mine);
    zlistx_destroy (&work->lists);
}

static void
s_work_count (s_work_t *work, const WorkItem *item, const char *user)
{
    if (workstate_final (item->state))
        return;
    s_work_row_t key;
    snprintf (key.queue, sizeof key.queue, "%s", item->queue);
    snprintf (key.team, sizeof key.team, "%s", item->team);
    void *handle = zlistx_find (work->rows, &key);
    s_work_row_t *row = handle? (s_work_row_t *) zlistx_handle_item (handle): NULL;
    if (!row) {
        row = (s_work_row_t *) zmalloc (sizeof *row);
        *row = key;
        row->open = row->overdue = row->escalated = 0;
        zlistx_add_end (work->rows, row);
    }
    row->open++;
    row->overdue += item->overdue;
    row->escalated += item->escalation_level > 0;
    work->open++;
    work->overdue += item->overdue;
    work->escalated += item->escalation_level > 0;
    if (streq (item->owner, user))
        zlistx_add_end (work->mine, (void *) item);
}

//  Overdue first, then the earliest due (none last), then id (as `work mine`).
static int
s_work_urgency (const void *a, const void *b)
{
    const WorkItem *x = (const WorkItem *) a, *y = (const WorkItem *) b;
    if (x->overdue != y->overdue)
        return x->overdue? -1: 1;
    uint64_t dx = x->due_ms? x->due_ms: UINT64_MAX, dy = y->due_ms? y->due_ms: UINT64_MAX;
    if (dx != dy)
        return dx < dy? -1: 1;
    return strcmp (x->id, y->id);
}

static bool
s_work_load (http_request_t *request, s_work_t *work)
{
    memset (work, 0, sizeof *work);
    work->lists = zlistx_new ();
    zlistx_set_destructor (work->lists, (czmq_destructor *) codec_destroy);
    work->rows = zlistx_new ();
    zlistx_set_destructor (work->rows, (czmq_destructor *) zstr_free);
    zlistx_set_comparator (work->rows, (zlistx_comparator_fn *) s_work_row_compare);
    work->mine = zlistx_new ();
    zlistx_set_comparator (work->mine, (zlistx_comparator_fn *) s_work_urgency);
    for (const char *const *holder = workservice_holders; *holder; holder++) {
        char method [64];
        snprintf (method, sizeof method, "%s.WorkList", *holder);
        char after [128] = "";
        size_t pages = 0;
        do {
            WorkListRequest body = WORK_LIST_REQUEST__INIT;
            body.queue = request->filters.queue;
            body.team = request->filters.team;
            body.limit = WORK_PAGE_ITEMS;
            body.after = after;
            WorkList *list;
            if (!s_call (request, *holder, method, &body, &work_list__descriptor, (void **) &list)) {
                s_work_destroy (work);
                return false;
            }
            zlistx_add_end (work->lists, list);
            for (size_t i = 0; i < list->n_items; i++)
                s_work_count (work, list->items [i], request->session.user);
            snprintf (after, sizeof after, "%s", list->next_after);
        } while (*after && ++pages < WORK_MAX_PAGES);
        work->cut |= *after != 0;
    }
    zlistx_sort (work->rows);
    zlistx_sort (work->mine);
    return true;
}

void
pages_work (http_request_t *request)
{
    s_work_t work;
    if (!s_work_load (request, &work))
        return;
    html_t *out = s_page_open (request, "Work", "/work", "/work", NULL, NULL);
    html_printf (out, "<p>Work items that are not done or cancelled, by queue and owner team: "
                 "<span id=\"work-open\" data-value=\"%zu\">%zu open</span>, "
                 "<span id=\"work-overdue\" data-value=\"%zu\">%zu overdue</span>, "
                 "<span id=\"work-escalated\" data-value=\"%zu\">%zu escalated</span>. "
                 "Only the queue and team filters apply to work items.</p>\n",
                 work.open, work.open, work.overdue, work.overdue, work.escalated, work.escalated);
    if (work.cut)
        html_printf (out, "<p class=\"pending\" role=\"status\">These counts stop after %d items a service: "
                     "filter by queue or team for the rest.</p>\n", WORK_PAGE_ITEMS * WORK_MAX_PAGES);
    html_printf (out, "<table id=\"work\"><thead><tr><th scope=\"col\">queue</th><th scope=\"col\">team</th>"
                 "<th scope=\"col\">open</th><th scope=\"col\">overdue</th><th scope=\"col\">escalated</th>"
                 "</tr></thead><tbody>\n");
    for (s_work_row_t *row = (s_work_row_t *) zlistx_first (work.rows); row;
         row = (s_work_row_t *) zlistx_next (work.rows)) {
        html_printf (out, "<tr");
        html_attr (out, "data-queue", row->queue);
        html_attr (out, "data-team", row->team);
        html_printf (out, "><th scope=\"row\">");
        html_text (out, *row->queue? row->queue: "(none)");
        html_printf (out, "</th><td>");
        html_text (out, *row->team? row->team: "(none)");
        html_printf (out, "</td><td>%zu</td><td>%zu</td><td>%zu</td></tr>\n", row->open, row->overdue, row->escalated);
    }
    html_printf (out, "</tbody></table>\n<h2>My items</h2>\n");
    if (!zlistx_size (work.mine))
        html_printf (out, "<p id=\"mine-none\">No open work item is assigned to you.</p>\n");
    else {
        html_printf (out, "<table id=\"mine\"><thead><tr><th scope=\"col\">id</th><th scope=\"col\">type</th>"
                     "<th scope=\"col\">subject</th><th scope=\"col\">queue</th><th scope=\"col\">state</th>"
                     "<th scope=\"col\">due</th><th scope=\"col\">overdue</th><th scope=\"col\">level</th>"
                     "</tr></thead><tbody>\n");
        for (WorkItem *item = (WorkItem *) zlistx_first (work.mine); item; item = (WorkItem *) zlistx_next (work.mine)) {
            char due [32] = "";
            if (item->due_ms)
                clock_format_iso8601 (item->due_ms, due, sizeof due);
            const char *cells [] = { item->id, item->type, item->subject, item->queue, item->state, due,
                                     item->overdue? "yes": "no" };
            html_printf (out, "<tr>");
            for (size_t c = 0; c < sizeof cells / sizeof cells [0]; c++) {
                html_printf (out, c == 0? "<th scope=\"row\">": "<td>");
                html_text (out, cells [c]);
                html_printf (out, c == 0? "</th>": "</td>");
            }
            html_printf (out, "<td>%u</td></tr>\n", item->escalation_level);
        }
        html_printf (out, "</tbody></table>\n");
    }
    s_csv_link (request, "/work.csv", NULL, NULL);
    http_page_end (request);
    s_work_destroy (&work);
}

void
pages_work_csv (http_request_t *request)
{
    s_work_t work;
    if (!s_work_load (request, &work))
        return;
    html_t *out = s_csv_open (request, "work", "queue,team,open,overdue,escalated\r\n");
    for (s_work_row_t *row = (s_work_row_t *) zlistx_first (work.rows); row;
         row = (s_work_row_t *) zlistx_next (work.rows)) {
        html_csv (out, row->queue);
        html_printf (out, ",");
        html_csv (out, row->team);
        html_printf (out, ",%zu,%zu,%zu\r\n", row->open, row->overdue, row->escalated);
    }
    s_work_destroy (&work);
}

//  --------------------------------------------------------------------------
//  Audit: compliance's search of the access records (audit.Query, as
//  `rcmqctl audit query`); audit refuses a role without audit.read (403).
//  No member id: a patient's id does not belong in a URL (browser history,
//  proxy logs); `rcmqctl audit report patient` is the way to that search.

static const struct {
    const char *name;               //  query parameter
    const char *label;
    size_t offset;                  //  of the char * in AuditQueryRequest
} s_audit_fields [] = {
    { "actor",     "Actor",     offsetof (AuditQueryRequest, actor) },
    { "claim",     "Claim PCN", offsetof (AuditQueryRequest, claim) },
    { "work_item", "Work item", offsetof (AuditQueryRequest, work_item) },
    { "method",    "Method",    offsetof (AuditQueryRequest, method) },
    { "role",      "Role",      offsetof (AuditQueryRequest, role) },
    { "team",      "Team",      offsetof (AuditQueryRequest, team) },
    { "outcome",   "Outcome",   offsetof (AuditQueryRequest, outcome) },
    { "after",     NULL,        offsetof (AuditQueryRequest, after) },
};
#define AUDIT_FIELDS (sizeof s_audit_fields / sizeof s_audit_fields [0])
#define AUDIT_PAGE_ROWS 100

//  An audit search parameter: like a filter's id, with ':' and '@' (a
//  method's service.Verb needs '.', an item id '-').
static bool
s_audit_value_ok (const char *value)
{
    size_t length = strlen (value);
    if (length > 63)
        return false;
    for (const char *c = value; *c; c++)
        if (!isalnum ((unsigned char) *c) && !strchr ("-_.:@ ", *c))
            return false;
    return true;
}

//  Reads the search from the URL: false with a 400 naming the parameter.
static bool
s_audit_request (http_request_t *request, AuditQueryRequest *query)
{
    audit_query_request__init (query);
    for (size_t f = 0; f < AUDIT_FIELDS; f++) {
        const char *value = http_query (request, s_audit_fields [f].name);
        if (!value)
            value = "";
        if (!s_audit_value_ok (value)) {
            char text [160];
            snprintf (text, sizeof text, "%s: expected letters, digits and - _ . : @ (at most 63)",
                      s_audit_fields [f].name);
            http_error (request, MHD_HTTP_BAD_REQUEST, text);
            return false;
        }
        *(const char **) ((char *) query + s_audit_fields [f].offset) = value;
    }
    if (*query->outcome && !streq (query->outcome, "allowed") && !streq (query->outcome, "denied")) {
        http_error (request, MHD_HTTP_BAD_REQUEST, "outcome: expected allowed or denied");
        return false;
    }
    //  The page's period, as whole days (from's start to the end of to).
    int64_t from = s_day (request->filters.from), to = s_day (request->filters.to);
    query->from_ms = from? (uint64_t) (from * 86400000): 0;
    query->to_ms = to? (uint64_t) ((to + 1) * 86400000): 0;
    query->limit = AUDIT_PAGE_ROWS;
    return true;
}

static const char *
s_outcome (Status status)
{
    return status == STATUS__OK? "allowed": codec_status_name (status);
}

void
pages_audit (http_request_t *request)
{
    AuditQueryRequest query;
    if (!s_audit_request (request, &query))
        return;
    AuditQueryReply *reply;
    if (!s_call (request, "audit", "audit.Query", &query, &audit_query_reply__descriptor, (void **) &reply))
        return;
    html_t *out = s_page_open (request, "Audit", "/audit", NULL, NULL, NULL);
    html_printf (out, "<form class=\"filters\" method=\"get\" action=\"/audit\">");
    for (size_t f = 0; f < AUDIT_FIELDS; f++) {
        if (!s_audit_fields [f].label)
            continue;
        html_printf (out, "<label for=\"a-%s\">%s<input id=\"a-%s\" name=\"%s\" size=\"12\" value=\"",
                     s_audit_fields [f].name, s_audit_fields [f].label, s_audit_fields [f].name, s_audit_fields [f].name);
        html_text (out, *(const char **) ((const char *) &query + s_audit_fields [f].offset));
        html_printf (out, "\"></label>");
    }
    html_printf (out, "<label for=\"a-from\">From<input id=\"a-from\" name=\"from\" type=\"date\" value=\"");
    html_text (out, request->filters.from);
    html_printf (out, "\"></label><label for=\"a-to\">To<input id=\"a-to\" name=\"to\" type=\"date\" value=\"");
    html_text (out, request->filters.to);
    html_printf (out, "\"></label><button type=\"submit\">Search</button> <a href=\"/audit\">Clear</a></form>\n"
                 "<p>Access records, oldest first, %d a page (a search by patient is "
                 "<code>rcmqctl audit report patient</code>: a member id does not belong in a URL).</p>\n"
                 "<table id=\"audit\"><thead><tr><th scope=\"col\">index</th><th scope=\"col\">time</th>"
                 "<th scope=\"col\">actor</th><th scope=\"col\">role</th><th scope=\"col\">team</th>"
                 "<th scope=\"col\">method</th><th scope=\"col\">outcome</th><th scope=\"col\">subjects</th>"
                 "<th scope=\"col\">message</th></tr></thead><tbody>\n", AUDIT_PAGE_ROWS);
    for (size_t i = 0; i < reply->n_records; i++) {
        const AuditRecord *record = reply->records [i]->record;
        const AccessEvent *access = record? record->access: NULL;
        char at [40] = "";
        if (record)
            clock_format_iso8601 (access? access->time_ms: record->time_ms, at, sizeof at);
        html_printf (out, "<tr data-index=\"%" PRIu64 "\"><th scope=\"row\">%" PRIu64 "</th>",
                     reply->records [i]->index, reply->records [i]->index);
        const char *cells [] = {
            at, access? access->actor_name: "", access? access->role: "", access? access->team: "",
            access? access->method: record? record->type: "", access? s_outcome (access->outcome): "",
        };
        for (size_t c = 0; c < sizeof cells / sizeof cells [0]; c++) {
            html_printf (out, c == 5? "<td class=\"outcome\">": "<td>");
            html_text (out, cells [c]);
            html_printf (out, "</td>");
        }
        html_printf (out, "<td>");
        for (size_t s = 0; access && s < access->n_subjects; s++) {
            html_printf (out, s? " ": "");
            html_text (out, access->subjects [s]);
        }
        html_printf (out, "</td><td>");
        html_text (out, access? access->message: "");
        html_printf (out, "</td></tr>\n");
    }
    html_printf (out, "</tbody></table>\n<p>%zu records on this page.", reply->n_records);
    if (*reply->next_after) {
        html_printf (out, " <a rel=\"next\" href=\"/audit?");
        html_t *link = html_new ();
        for (size_t f = 0; f < AUDIT_FIELDS; f++) {
            const char *value = streq (s_audit_fields [f].name, "after")? reply->next_after
                              : *(const char **) ((const char *) &query + s_audit_fields [f].offset);
            html_printf (link, "%s%s=", f? "&": "", s_audit_fields [f].name);
            html_url (link, value);
        }
        html_printf (link, "&from=%s&to=%s", request->filters.from, request->filters.to);
        html_text (out, html_data (link));
        html_destroy (&link);
        html_printf (out, "\">Next page</a>");
    }
    html_printf (out, "</p>\n");
    http_page_end (request);
    codec_free (reply);
}

//  --------------------------------------------------------------------------
//  One queue (intake's queue.Show, scoped to the subject: a vendor's role
//  opens only the queues its team works, anything else is the service's
//  PERMISSION_DENIED, 403 here, and intake's access record of the refusal)

void
pages_queue (http_request_t *request)
{
    const char *id = http_query (request, "id");
    if (!id || !*id || !s_audit_value_ok (id)) {
        http_error (request, MHD_HTTP_BAD_REQUEST, "id: expected a queue id (letters, digits, - _ .)");
        return;
    }
    QueueId body = QUEUE_ID__INIT;
    body.id = (char *) id;
    Queue *queue;
    char error [600];
    Status status = http_call (request, "intake", "queue.Show", &body, &queue__descriptor, (void **) &queue,
                               error, sizeof error);
    //  A queue outside a vendor's scope reads as absent (common/server.c:
    //  the caller learns nothing of others' queues), so NOT_FOUND is a
    //  refusal here, 403, whether the queue exists or not; intake's access
    //  record of the request names it either way.
    if (status == STATUS__NOT_FOUND) {
        char text [700];
        snprintf (text, sizeof text, "queue.Show: %s (a queue your team does not work reads as absent)", error);
        http_error (request, MHD_HTTP_FORBIDDEN, text);
        return;
    }
    if (status != STATUS__OK) {
        s_call_failed (request, status, "queue.Show", error);
        return;
    }
    char title [128];
    snprintf (title, sizeof title, "Queue %s", queue->id);
    html_t *out = s_page_open (request, title, NULL, NULL, NULL, NULL);
    html_printf (out, "<dl id=\"queue\" data-queue=\"");
    html_text (out, queue->id);
    html_printf (out, "\">");
    const struct {
        const char *label;
        const char *value;
    } rows [] = {
        { "name", queue->name }, { "phase", queue->phase }, { "owner team", queue->owner_team },
        { "vendor team", queue->vendor_team }, { "updated by", queue->updated_by },
    };
    for (size_t r = 0; r < sizeof rows / sizeof rows [0]; r++) {
        html_printf (out, "<dt>%s</dt><dd>", rows [r].label);
        html_text (out, *rows [r].value? rows [r].value: "-");
        html_printf (out, "</dd>");
    }
    html_printf (out, "<dt>follow-up days</dt><dd>%u</dd></dl>\n<p>", queue->follow_up_days);
    filters_t keep = request->filters;
    snprintf (keep.queue, sizeof keep.queue, "%s", queue->id);
    html_t *query = html_new ();
    filters_query (&keep, query);
    html_printf (out, "<a href=\"/?");
    html_text (out, html_data (query));
    html_printf (out, "\">Figures of this queue</a> · <a href=\"/work?");
    html_text (out, html_data (query));
    html_printf (out, "\">Its work items</a></p>\n<div class=\"pending\" role=\"status\"><p><strong>Gate criteria: "
                 "no gate figures exist yet.</strong> No service computes this queue's gate yet.</p></div>\n");
    html_destroy (&query);
    http_page_end (request);
    codec_free (queue);
}
