/*  svg: the dashboard's charts, drawn on the server as inline SVG, so a
    page shows its figures without JavaScript and without a chart library.

    Each chart takes its figures and writes markup into an html_t; its
    numbers are never rounded for drawing beyond the pixel: the figures a
    chart stands for are printed beside it (tiles, tables), and each mark
    has a <title> with the exact value for screen readers and tooltips.
    Edge cases draw something honest: no points says "no data", one point
    is a dot, negative values (credit balances) go below a zero line.
*/
#ifndef RCMQ_WEB_SVG_H
#define RCMQ_WEB_SVG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "html.h"

//  A sparkline: count points (present[i] false: a gap) in width x height.
void svg_sparkline (html_t *out, const double *values, const bool *present, size_t count,
                    int width, int height, const char *label);

typedef struct {
    const char *label;                  //  under the bar (data: escaped)
    const char *href;                   //  where a click goes (NULL: no link)
    const int64_t *values;              //  one per series
    const char *name;                   //  a name beside the label (a payer's), NULL or "": none
} svg_bar_t;

//  Stacked bars, one per item, one segment per series (series_names,
//  colours in order); positive segments stack up from the zero line,
//  negative ones down.
void svg_stacked_bars (html_t *out, const svg_bar_t *bars, size_t count,
                       const char *const *series_names, size_t n_series,
                       int width, int height, const char *label);

#endif
