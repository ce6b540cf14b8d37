/*  svg: see svg.h. Coordinates are computed in doubles and printed with
    one decimal; the scale always includes zero for bars (a bar's length
    must mean its value) and the series' own range for sparklines (a
    trend's shape is what a sparkline is for).
*/
#include "svg.h"

#include <czmq.h>
#include <math.h>

//  Colour-blind-safe (Okabe-Ito, then Tol's muted), in series order: twelve,
//  so the nine denial categories never share one.
static const char *const s_colours [] = {
    "#0072B2", "#E69F00", "#009E73", "#CC79A7", "#D55E00", "#56B4E9", "#F0E442", "#000000",
    "#882255", "#999999", "#44AA99", "#332288"
};
#define COLOUR_COUNT (sizeof s_colours / sizeof s_colours [0])

static void
s_open (html_t *out, int width, int height, const char *label, const char *class_name)
{
    html_printf (out, "<svg class=\"%s\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                 "viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"", class_name, width, height, width, height);
    html_text (out, label);
    html_printf (out, "\"><title>");
    html_text (out, label);
    html_printf (out, "</title>");
}

void
svg_sparkline (html_t *out, const double *values, const bool *present, size_t count,
               int width, int height, const char *label)
{
    s_open (out, width, height, label, "spark");
    double low = INFINITY, high = -INFINITY;
    size_t points = 0;
    for (size_t i = 0; i < count; i++)
        if (present [i] && isfinite (values [i])) {
            low = fmin (low, values [i]);
            high = fmax (high, values [i]);
            points++;
        }
    if (points == 0) {
        html_printf (out, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" font-size=\"10\">no data</text></svg>",
                     width / 2, height / 2 + 3);
        return;
    }
    double pad = 2, span = high - low;
    //  One point, or a flat series: a line through the middle.
    double step = count > 1? (width - 2 * pad) / (double) (count - 1): 0;
    const char *command = "M";
    html_printf (out, "<path fill=\"none\" stroke=\"#0072B2\" stroke-width=\"1.5\" d=\"");
    double last_x = 0, last_y = 0;
    for (size_t i = 0; i < count; i++) {
        if (!present [i] || !isfinite (values [i])) {
            command = "M";          //  a gap: the next point starts a new run
            continue;
        }
        double x = count > 1? pad + step * (double) i: width / 2.0;
        double y = span > 0? pad + (high - values [i]) / span * (height - 2 * pad): height / 2.0;
        html_printf (out, "%s%.1f %.1f ", command, x, y);
        command = "L";
        last_x = x;
        last_y = y;
    }
    html_printf (out, "\"/><circle cx=\"%.1f\" cy=\"%.1f\" r=\"2\" fill=\"#0072B2\"/></svg>", last_x, last_y);
}

void
svg_stacked_bars (html_t *out, const svg_bar_t *bars, size_t count,
                  const char *const *series_names, size_t n_series,
                  int width, int height, const char *label)
{
    //  The legend wraps: as many swatches a row as fit, rows below the chart.
    int per_row = width / 160 > 0? width / 160: 1;
    int legend_rows = n_series? (int) ((n_series + (size_t) per_row - 1) / (size_t) per_row): 1;
    int chart_height = height;
    height += (legend_rows - 1) * 16;
    s_open (out, width, height, label, "bars");
    if (count == 0) {
        html_printf (out, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">no data</text></svg>",
                     width / 2, height / 2);
        return;
    }
    //  The scale: the largest stack above zero and the deepest below.
    double top = 0, bottom = 0;
    for (size_t b = 0; b < count; b++) {
        double up = 0, down = 0;
        for (size_t s = 0; s < n_series; s++)
            if (bars [b].values [s] > 0)
                up += (double) bars [b].values [s];
            else
                down += (double) bars [b].values [s];
        top = fmax (top, up);
        bottom = fmin (bottom, down);
    }
    double axis_height = chart_height - 40;    //  room for labels under the bars
    double span = top - bottom > 0? top - bottom: 1;
    double zero_y = 10 + top / span * (axis_height - 10);
    double slot = (double) width / (double) count;
    double bar_width = fmax (2, slot * 0.7);
    for (size_t b = 0; b < count; b++) {
        double x = slot * (double) b + (slot - bar_width) / 2;
        if (bars [b].href) {
            html_printf (out, "<a class=\"bar\" href=\"");
            html_text (out, bars [b].href);
            html_printf (out, "\">");
        }
        html_printf (out, "<g data-label=\"");
        html_text (out, bars [b].label);
        html_printf (out, "\">");
        double up = zero_y, down = zero_y;
        for (size_t s = 0; s < n_series; s++) {
            int64_t value = bars [b].values [s];
            if (value == 0)
                continue;
            double length = fabs ((double) value) / span * (axis_height - 10);
            double y = value > 0? up - length: down;
            if (value > 0)
                up -= length;
            else
                down += length;
            char cents [32];
            html_cents (cents, sizeof cents, value);
            html_printf (out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\">"
                         "<title>", x, y, bar_width, fmax (length, 0.5), s_colours [s % COLOUR_COUNT]);
            html_text (out, bars [b].label);
            if (bars [b].name && *bars [b].name) {
                html_printf (out, " ");
                html_text (out, bars [b].name);
            }
            html_printf (out, " %s: $%s</title></rect>", series_names [s], cents);
        }
        html_printf (out, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\" font-size=\"10\">",
                     x + bar_width / 2, chart_height - 24);
        html_text (out, bars [b].label);
        html_printf (out, "</text>");
        if (bars [b].name && *bars [b].name) {
            html_printf (out, "<text class=\"name\" x=\"%.1f\" y=\"%d\" text-anchor=\"middle\" font-size=\"9\">",
                         x + bar_width / 2, chart_height - 14);
            html_text (out, bars [b].name);
            html_printf (out, "</text>");
        }
        html_printf (out, "</g>");
        if (bars [b].href)
            html_printf (out, "</a>");
    }
    html_printf (out, "<line x1=\"0\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#333\"/>", width, zero_y, zero_y);
    //  The legend, one swatch per series.
    for (size_t s = 0; s < n_series; s++) {
        double x = 10 + (double) (s % (size_t) per_row) * 160;
        int y = chart_height - 12 + (int) (s / (size_t) per_row) * 16;
        html_printf (out, "<rect x=\"%.1f\" y=\"%d\" width=\"10\" height=\"10\" fill=\"%s\"/>"
                     "<text x=\"%.1f\" y=\"%d\" font-size=\"11\">", x, y,
                     s_colours [s % COLOUR_COUNT], x + 14, y + 9);
        html_text (out, series_names [s]);
        html_printf (out, "</text>");
    }
    html_printf (out, "</svg>");
}
