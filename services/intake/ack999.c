/*  ack999: see ack999.h. Written with our own fixed separators (* : ^ ~),
    whatever the acknowledged file used, one segment per line for people.
*/
#include "ack999.h"
#include "clock.h"

#include <czmq.h>

typedef struct {
    char *text;
    size_t length;
    size_t capacity;
    uint32_t segments;      //  since ST, for SE01
} s_out_t;

static void
s_add (s_out_t *out, const char *format, ...)
{
    char line [512];
    va_list args;
    va_start (args, format);
    int n = vsnprintf (line, sizeof line, format, args);
    va_end (args);
    if (n < 0)
        return;
    size_t need = out->length + (size_t) n + 3;
    if (need > out->capacity) {
        out->capacity = need * 2;
        out->text = (char *) realloc (out->text, out->capacity);
    }
    memcpy (out->text + out->length, line, (size_t) n);
    out->length += (size_t) n;
    out->text [out->length++] = '~';
    out->text [out->length++] = '\n';
    out->text [out->length] = 0;
    out->segments++;
}

static void
s_open (s_out_t *out, const ack999_header_t *h)
{
    char date [16], stamp [32];
    clock_format_iso8601 (h->now_ms, stamp, sizeof stamp);
    snprintf (date, sizeof date, "%.4s%.2s%.2s", stamp, stamp + 5, stamp + 8);
    //  The 999 goes back the way the file came: its sender is our receiver.
    s_add (out, "ISA*00*          *00*          *%-2s*%-15.15s*%-2s*%-15.15s*%.6s*%.2s%.2s*^*00501*%09u*0*P*:",
           h->receiver_qualifier, h->receiver_id, h->sender_qualifier, h->sender_id,
           date + 2, stamp + 11, stamp + 14, h->control);
    s_add (out, "GS*FA*%s*%s*%s*%.2s%.2s*%u*X*005010X231A1",
           h->receiver_id, h->sender_id, date, stamp + 11, stamp + 14, h->control);
    out->segments = 0;
    s_add (out, "ST*999*0001*005010X231A1");
    s_add (out, "AK1*HC*%s*005010X222A1", h->group_control);
}

static char *
s_close (s_out_t *out, const ack999_header_t *h)
{
    s_add (out, "SE*%u*0001", out->segments + 1);
    s_add (out, "GE*1*%u", h->control);
    s_add (out, "IEA*1*%09u", h->control);
    return out->text;
}

char *
ack999_build (const ack999_header_t *header, const ack999_set_t *sets, size_t count)
{
    s_out_t out = { 0 };
    s_open (&out, header);
    uint32_t accepted = 0;
    for (size_t i = 0; i < count; i++) {
        s_add (&out, "AK2*837*%s*005010X222A1", sets [i].control_number);
        bool all_bad = sets [i].claims > 0 && sets [i].with_errors == sets [i].claims;
        const char *code = all_bad? "R": sets [i].with_errors? "E": "A";
        if (!all_bad)
            accepted++;
        s_add (&out, "IK5*%s%s", code, all_bad? "*5": "");
    }
    const char *overall = accepted == count? "A": accepted? "P": "R";
    s_add (&out, "AK9*%s*%zu*%zu*%u", overall, count, count, accepted);
    return s_close (&out, header);
}

char *
ack999_refusal (const ack999_header_t *header, uint64_t segment, const char *segment_id,
                const char *reason)
{
    s_out_t out = { 0 };
    s_open (&out, header);
    //  The reason goes in as free text of IK3's business unit: the codes
    //  alone would not tell a sender which count or number was wrong.
    char clean [120];
    size_t n = 0;
    for (const char *p = reason; *p && n + 1 < sizeof clean; p++)
        clean [n++] = strchr ("*:^~\r\n", *p)? ' ': *p;
    clean [n] = 0;
    s_add (&out, "AK2*837*0000*005010X222A1");
    s_add (&out, "IK3*%s*%" PRIu64 "*%s*8", *segment_id? segment_id: "ISA", segment, clean);
    s_add (&out, "IK5*R*5");
    s_add (&out, "AK9*R*1*1*0");
    return s_close (&out, header);
}
