/*  parse_837p: 837P claims from an X12 reader (see parse_837p.h).

    The parser is a loop tracker. `base` is the loop that anchors where we
    are (header, 2000A, 2000B, 2000C, 2300, 2320, 2400); `loop` is the entity
    loop inside it that an NM1 opened (2010AA, 2310B, ...), so N3 / N4 / DMG
    / REF land on the right entity. Anchor segments (ST, BHT, HL, CLM, SBR,
    LX, SV1, NM1, SE) move between loops and carry the structural checks;
    every other segment is looked up in its id's rows by (loop or base,
    first element) and ignored when no row matches, since an 837P carries
    many segments intake has no use for (PER, PRV*PE in 2420, AMT, NTE, ...).

    Entities above the claim (billing provider, subscriber, payer, patient,
    submitter, receiver) are kept as messages while their loop is open and
    each Claim points to them from CLM on (shared by the claims of the HL,
    read only: parse_837p.h). The claim is handed out when its 2300 loop
    ends (next CLM, HL or SE) and freed right after.

    Memory (ADR 61): the open claim lives in an arena, its strings, lines,
    dates, diagnoses and findings taking their memory from a kept block
    that is reset once the callback has returned, instead of a malloc and
    a free each (they were a third of the parse); the entities live in an
    arena a level (header, 2000A, 2000B, 2000C), reset when the level's
    HL opens again. While a claim is open every write of a content handler
    goes to it (an entity loop opens only under an HL, which closes the
    claim first); with no claim open, to the entity of the base loop. So
    s_alloc picks the arena from the open claim or the base loop.

    Limits (ADR 81): s_set tests each text element against its row in
    element_limits.h as it stores it; only a claim that stored a suspect
    one, or whose entities or envelope did, is walked for the length and
    character findings when it closes.
*/
#include "parse_837p.h"
#include "element_limits.h"
#include "text.h"
#include "codec.h"

#include <assert.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

//  Repeat limits of the 837P guide (005010X222A1). Beyond them the parser
//  keeps nothing more of the claim (so one claim cannot grow without
//  bound) and records a finding that rejects it; the rest of the file goes
//  on.
#define MAX_DIAGNOSES 12        //  HI: principal + 11 other diagnoses
#define MAX_MODIFIERS 4         //  SV101-3 .. SV101-6
#define MAX_POINTERS 4          //  SV107-1 .. SV107-4
#define MAX_LINES 50            //  2400 loop repeat
#define MAX_CLAIM_DATES 17      //  the guide's 2300 DTP segments, each used once
#define MAX_CLAIMS_PER_HL 100   //  2300 loop repeat under one 2000B / 2000C
//  Longest offending value quoted in a finding's message.
#define MAX_DETAIL 40

typedef enum {
    LOOP_NONE,          //  outside a transaction set
    LOOP_HEADER,        //  ST, BHT and the 1000A / 1000B loops
    LOOP_1000A,
    LOOP_1000B,
    LOOP_2000A,
    LOOP_2010AA,
    LOOP_2000B,
    LOOP_2010BA,
    LOOP_2010BB,
    LOOP_2000C,
    LOOP_2010CA,
    LOOP_2300,
    LOOP_2310B,
    LOOP_2310C,
    LOOP_2320,          //  other subscriber (with its 2330 loops): not extracted
    LOOP_2400,
    LOOP_SKIP           //  an entity loop intake does not extract (2010AB, 2310A, 2420x, ...)
} s_loop_t;

//  Claim-level problems. The index is the finding's identity in code; the
//  rule id is its stable name outside.
typedef enum {
    PRS_PCN, PRS_CHARGE, PRS_PLACE, PRS_FREQUENCY, PRS_DIAGNOSIS, PRS_TOO_MANY_DX,
    PRS_PROCEDURE, PRS_LINE_CHARGE, PRS_UNITS, PRS_POINTER, PRS_LINE_DATE,
    PRS_NO_LINES, PRS_CLAIM_DATE, PRS_NO_SV1,
    REP_LINES, REP_POINTERS, REP_DATES, REP_CLAIMS
} s_problem_t;

static const struct {
    const char *rule_id;
    const char *field;
    const char *message;
} s_problems [] = {
    [PRS_PCN]         = { "PRS001", "patient_control_number", "CLM01 patient control number is missing" },
    [PRS_CHARGE]      = { "PRS002", "total_charge_cents", "CLM02 total charge is missing or not an amount" },
    [PRS_PLACE]       = { "PRS003", "place_of_service", "CLM05-1 place of service is missing" },
    [PRS_FREQUENCY]   = { "PRS004", "frequency_code", "CLM05-3 claim frequency code is missing" },
    [PRS_DIAGNOSIS]   = { "PRS005", "diagnoses", "HI diagnosis code is missing" },
    [PRS_TOO_MANY_DX] = { "PRS006", "diagnoses", "more than 12 diagnosis codes" },
    [PRS_PROCEDURE]   = { "PRS007", "lines.procedure_code", "SV101 procedure code is missing" },
    [PRS_LINE_CHARGE] = { "PRS008", "lines.charge_cents", "SV102 line charge is missing or not an amount" },
    [PRS_UNITS]       = { "PRS009", "lines.units", "SV104 units are missing or not a number" },
    [PRS_POINTER]     = { "PRS010", "lines.diagnosis_pointers", "SV107 diagnosis pointer is not a number from 1 to 12" },
    [PRS_LINE_DATE]   = { "PRS011", "lines.service_date_from", "DTP*472 date of service is missing or not a valid D8 / RD8 date" },
    [PRS_NO_LINES]    = { "PRS012", "lines", "claim has no service line (2400)" },
    [PRS_CLAIM_DATE]  = { "PRS013", "dates", "DTP date is not a valid D8 / RD8 date" },
    [PRS_NO_SV1]      = { "PRS014", "lines", "service line has no SV1 segment" },
    [REP_LINES]       = { "REP001", "lines", "claim has more than 50 service lines (2400), the 837P guide's limit" },
    [REP_POINTERS]    = { "REP002", "lines.diagnosis_pointers", "SV107 has more than 4 diagnosis pointers" },
    [REP_DATES]       = { "REP003", "dates", "claim has more than 17 DTP segments in 2300, the 837P guide's limit" },
    [REP_CLAIMS]      = { "REP004", "patient_control_number", "more than 100 claims (2300) under one subscriber or patient HL, the 837P guide's limit" },
};

//  The envelope's elements each claim carries, as the Claim's fields.
typedef enum {
    ENV_SENDER_QUALIFIER, ENV_SENDER_ID, ENV_RECEIVER_QUALIFIER, ENV_RECEIVER_ID, ENV_ISA13,
    ENV_GS06, ENV_ST02, ENV_IMPLEMENTATION, ENV_BHT03, ENV_BHT04, ENV_COUNT
} s_envelope_t;

#define S_ENVELOPE(field) { offsetof (Claim, field), ELEMENT_MAX (Claim, field) }
static const struct {
    size_t offset;              //  of the Claim's field
    size_t max;                 //  its row's maximum
} s_envelope_fields [ENV_COUNT] = {
    [ENV_SENDER_QUALIFIER]   = S_ENVELOPE (sender_qualifier),
    [ENV_SENDER_ID]          = S_ENVELOPE (sender_id),
    [ENV_RECEIVER_QUALIFIER] = S_ENVELOPE (receiver_qualifier),
    [ENV_RECEIVER_ID]        = S_ENVELOPE (receiver_id),
    [ENV_ISA13]              = S_ENVELOPE (interchange_control_number),
    [ENV_GS06]               = S_ENVELOPE (group_control_number),
    [ENV_ST02]               = S_ENVELOPE (transaction_control_number),
    [ENV_IMPLEMENTATION]     = S_ENVELOPE (implementation),
    [ENV_BHT03]              = S_ENVELOPE (bht_reference),
    [ENV_BHT04]              = S_ENVELOPE (file_date),
};

typedef struct {
    x12_reader_t *reader;
    parse_837p_fn *on_claim;
    void *arg;
    parse_837p_report_t *report;
    bool failed;

    //  Envelope: what each claim carries (shared, s_on_clm), with a bit
    //  an element that is suspect (s_envelope_set), and GS08.
    char *envelope [ENV_COUNT];
    unsigned suspect_envelope;
    char *gs08;
    uint64_t st_segment;
    bool expect_bht;

    //  Loops.
    s_loop_t base;
    s_loop_t loop;
    x12_hl_t hl;                //  the open HLs (s_levels); hl.level the innermost
    uint64_t hl_segment;

    //  Entities of the open loops.
    Provider *submitter;
    Provider *receiver;
    Provider *billing;
    Subscriber *subscriber;
    Payer *payer;
    Patient *patient;

    //  The open claim and its open service line. A line past MAX_LINES is
    //  parsed (its segments must still fit the structure) but not kept:
    //  line_dropped, and it is freed when it closes: its memory is the
    //  scratch arena's, reset then, so a claim of a million lines holds 50.
    Claim *claim;
    ServiceLine *line;
    codec_arena_t *arena;       //  the open claim's memory (see above)
    codec_arena_t *scratch;     //  the open dropped line's
    //  The entities' memory, one arena a level, reset when the level's HL
    //  (or one above it) opens again, and all at ST / SE: the header's
    //  submitter and receiver, the billing provider, the subscriber with
    //  the payer, the patient.
    codec_arena_t *levels [4];
    bool line_has_sv1;
    bool line_has_date;
    bool line_dropped;
    size_t dropped_lines;       //  of the open claim
    size_t dropped_dates;       //  1 when claim_dtps passed the limit
    size_t claim_dtps;          //  2300 DTP segments of the open claim
    //  A string was stored that is longer than its row allows or not
    //  printable ASCII (s_set): in the open claim, or in an entity of a
    //  level (a bit a level, cleared when the level starts again).
    bool suspect_claim;
    unsigned suspect_levels;
    uint32_t claims_in_hl;      //  CLMs under the open 2000B / 2000C HL
} s_parser_t;


//  ---------------------------------------------------------------------
//  Small helpers

//  An envelope element, as codec_set_text (value NULL: empty), trailing
//  blanks dropped when trim (ISA fields are blank-padded). It is tested
//  here, once, against its row in the claim (s_set says why): the claims
//  of the envelope point to it instead of a copy each.
static void
s_envelope_set (s_parser_t *self, s_envelope_t which, const char *value, bool trim)
{
    size_t len = value? strlen (value): 0;
    while (trim && len > 0 && value [len - 1] == ' ')
        len--;
    char **field = &self->envelope [which];
    if (*field != protobuf_c_empty_string)
        free (*field);
    *field = len? strndup (value, len): (char *) protobuf_c_empty_string;
    assert (*field);
    const unsigned char *c = (const unsigned char *) *field;
    while (*c >= 0x20 && *c < 0x7F)
        c++;
    if (*c || len > s_envelope_fields [which].max)
        self->suspect_envelope |= 1u << which;
    else
        self->suspect_envelope &= ~(1u << which);
}

enum { LEVEL_HEADER, LEVEL_BILLING, LEVEL_SUBSCRIBER, LEVEL_PATIENT };

//  The level of the entity a handler writes with no claim open: its base
//  loop's (header, 2000A, 2000B, 2000C and the entity loops in them).
static size_t
s_level (s_parser_t *self)
{
    switch (self->base) {
        case LOOP_HEADER: return LEVEL_HEADER;
        case LOOP_2000A:  return LEVEL_BILLING;
        case LOOP_2000B:  return LEVEL_SUBSCRIBER;
        case LOOP_2000C:  return LEVEL_PATIENT;
        default:
            assert (false);     //  no entity is written outside these
            return LEVEL_HEADER;
    }
}

//  Memory of the open claim, or with no claim open of the entity the base
//  loop's segments write: taken from an arena, never freed one by one.
//  While a dropped line is open every write is that line's (its findings
//  are not recorded and nothing of the claim's own comes in the 2400
//  loop), so it goes to the scratch arena. With no claim open a handler
//  writes only the entity of its base loop (header, 2000A, 2000B, 2000C
//  and the entity loops in them).
static void *
s_alloc (s_parser_t *self, size_t size)
{
    codec_arena_t *arena;
    if (self->claim)
        arena = self->line_dropped? self->scratch: self->arena;
    else
        arena = self->levels [s_level (self)];
    void *block = arena->allocator.alloc (arena->allocator.allocator_data, size);
    assert (block);
    return block;
}

//  Starts a level's entities again: their memory, and the level's mark of
//  a suspect string (s_set).
static void
s_level_reset (s_parser_t *self, size_t level)
{
    codec_arena_reset (self->levels [level]);
    self->suspect_levels &= ~(1u << level);
}

static char *
s_strdup (s_parser_t *self, const char *value)
{
    if (!value || !*value)
        return (char *) protobuf_c_empty_string;
    size_t size = strlen (value) + 1;
    return (char *) memcpy (s_alloc (self, size), value, size);
}

//  codec_set_text for a content handler: into the open claim's arena when
//  a claim is open (every field a handler writes then is the claim's),
//  else into the arena of the entity's level (s_alloc). max is the
//  element's row's maximum (ELEMENT_MAX): a value that is longer or holds
//  a byte outside printable ASCII marks the claim, or the entity's level,
//  as holding a suspect string, and only a claim so marked (or one while a
//  level is marked) is walked for the length and character findings when
//  it closes (s_close_claim). The walk's cost was its traversal of ~140
//  fields a claim, for strings nearly all plain and short enough.
static void
s_set (s_parser_t *self, char **field, const char *value, size_t max)
{
    const unsigned char *c = (const unsigned char *) value;
    while (*c >= 0x20 && *c < 0x7F)
        c++;
    size_t size = (size_t) (c - (const unsigned char *) value);
    if (*c || size > max) {
        size += strlen ((const char *) c);
        if (self->claim)
            self->suspect_claim = true;
        else
            self->suspect_levels |= 1u << s_level (self);
    }
    if (size == 0) {
        *field = (char *) protobuf_c_empty_string;
        return;
    }
    *field = (char *) memcpy (s_alloc (self, size + 1), value, size + 1);
}

//  s_set of a message's field, its maximum the row of the same message
//  type and field (element_limits.h).
#define S_SET(self, type, message, field, value) \
    s_set ((self), &(message)->field, (value), ELEMENT_MAX (type, field))

//  Appends to a repeated field of the open claim. The capacity follows from
//  the count (4, 8, 16, ...), so the array grows by doubling with nothing
//  kept beside it; an outgrown array stays in the arena until the reset.
static void
s_append (s_parser_t *self, void ***array, size_t *count, void *item)
{
    size_t n = *count;
    if (n == 0 || (n >= 4 && (n & (n - 1)) == 0)) {
        size_t capacity = n? n * 2: 4;
        void **grown = (void **) s_alloc (self, capacity * sizeof (void *));
        if (n)
            memcpy (grown, *array, n * sizeof (void *));
        *array = grown;
    }
    (*array) [(*count)++] = item;
}

static Address *
s_address_new (s_parser_t *self)
{
    Address *address = s_alloc (self, sizeof *address);
    address__init (address);
    return address;
}

//  A provider of the open claim (2310B, 2310C) or of the base loop, in
//  its arena (s_alloc).
static Provider *
s_provider_new (s_parser_t *self)
{
    Provider *provider = s_alloc (self, sizeof *provider);
    provider__init (provider);
    provider->address = s_alloc (self, sizeof (Address));
    address__init (provider->address);
    return provider;
}

static Subscriber *
s_subscriber_new (s_parser_t *self)
{
    Subscriber *subscriber = s_alloc (self, sizeof *subscriber);
    subscriber__init (subscriber);
    subscriber->address = s_address_new (self);
    return subscriber;
}

static Patient *
s_patient_new (s_parser_t *self)
{
    Patient *patient = s_alloc (self, sizeof *patient);
    patient__init (patient);
    patient->address = s_address_new (self);
    return patient;
}

//  The refusal reason goes to the batch record, the 999 and an operator's
//  screen, and may quote what the file sent: control characters and
//  invalid UTF-8 in it are escaped.
static void
s_report_error (parse_837p_report_t *report, const char *error)
{
    char *shown = text_escape (error, false);
    snprintf (report->error, sizeof report->error, "%s", shown);
    free (shown);
}

static int
s_structural (s_parser_t *self, x12_segment_t *seg, const char *format, ...)
{
    parse_837p_report_t *report = self->report;
    self->failed = true;
    char error [sizeof report->error];
    va_list args;
    va_start (args, format);
    x12_segment_error (seg, &report->error_segment, report->error_id, sizeof report->error_id,
                       error, sizeof error, format, args);
    va_end (args);
    s_report_error (report, error);
    return -1;
}

//  Records a claim-level problem on the open claim; detail (may be NULL)
//  adds the offending value or position.
static void
s_problem (s_parser_t *self, s_problem_t problem, int line, const char *detail)
{
    assert (self->claim);
    //  The lines past the guide's limit are refused as a whole (REP001),
    //  not one finding each.
    if (line > 0 && self->line_dropped)
        return;
    ScrubFinding *finding = s_alloc (self, sizeof *finding);
    scrub_finding__init (finding);
    finding->rule_id = s_strdup (self, s_problems [problem].rule_id);
    finding->severity = SEVERITY__SEVERITY_ERROR;
    char text [256];
    const char *field = s_problems [problem].field;
    if (line > 0 && strncmp (field, "lines.", 6) == 0)
        snprintf (text, sizeof text, "lines[%d].%s", line, field + 6);
    else
    if (line > 0)
        snprintf (text, sizeof text, "%s[%d]", field, line);
    else
        snprintf (text, sizeof text, "%s", field);
    finding->field = s_strdup (self, text);
    if (detail) {
        //  The detail quotes the sender's value: escaped (no control
        //  character or invalid UTF-8 reaches a report) and cut short (an
        //  element may be kilobytes long).
        char *shown = text_escape (detail, false);
        bool cut = strlen (shown) > MAX_DETAIL;
        snprintf (text, sizeof text, "%s: %.*s%s", s_problems [problem].message,
                  MAX_DETAIL, shown, cut? "...": "");
        free (shown);
    }
    else
        snprintf (text, sizeof text, "%s", s_problems [problem].message);
    finding->message = s_strdup (self, text);
    s_append (self, (void ***) &self->claim->parse_findings, &self->claim->n_parse_findings, finding);
}


//  A finding with its own field and message (the length and character
//  findings, whose field is wherever the element is).
static void
s_element_finding (s_parser_t *self, const char *rule_id, const char *field, const char *message)
{
    ScrubFinding *finding = s_alloc (self, sizeof *finding);
    scrub_finding__init (finding);
    finding->rule_id = s_strdup (self, rule_id);
    finding->severity = SEVERITY__SEVERITY_ERROR;
    finding->field = s_strdup (self, field);
    finding->message = s_strdup (self, message);
    s_append (self, (void ***) &self->claim->parse_findings, &self->claim->n_parse_findings, finding);
}

#define S_LEN_MESSAGE "element is longer than the 837P implementation guide allows"
#define S_CHR_MESSAGE "element holds a control character or is not valid UTF-8"

//  The elements the parser converts instead of keeping as text (amounts,
//  LX01, dates) have their length checked as they are read; the text ones
//  when the claim closes (s_check_element). Returns true when too long.
static bool
s_too_long (s_parser_t *self, int line, const char *field, const char *element,
            const char *value, size_t max)
{
    size_t length = strlen (value);
    if (length <= max)
        return false;
    if (line > 0 && self->line_dropped)
        return true;
    char path [96], message [200];
    if (line > 0)
        snprintf (path, sizeof path, "lines[%d].%s", line, field);
    else
        snprintf (path, sizeof path, "%s", field);
    snprintf (message, sizeof message, S_LEN_MESSAGE ": %s is %zu characters, at most %zu", element, length, max);
    s_element_finding (self, "LEN001", path, message);
    return true;
}

//  Every text element the claim keeps: its length in characters against
//  the guide's maximum (element_limits.c), and its bytes (UTF-8 with no
//  control character: a terminal obeys ESC sequences, JSON cannot carry
//  invalid UTF-8). These are implementation errors, as the 999 sees them
//  (IK4 "data element too long", "invalid character"), so they are parse
//  findings. The messages name the element, never the value.
static void
s_check_element (void *arg, const element_site_t *site, const char *value)
{
    s_parser_t *self = (s_parser_t *) arg;
    const element_limit_t *limit = element_site_limit (site);
    size_t chars = strlen (value), at;
    //  Printable ASCII of a fitting length, nearly every element, costs
    //  one pass; the rest is measured and described.
    bool plain = true;
    for (const unsigned char *c = (const unsigned char *) value; *c && plain; c++)
        plain = *c >= 0x20 && *c < 0x7F;
    if (plain && (!limit || chars <= limit->max))
        return;
    text_status_t status = text_check (value, &chars, &at);
    char path [160], element [64], message [256];
    element_site_path (site, path, sizeof path);
    element_site_element (site, element, sizeof element);
    if (limit && chars > limit->max) {
        snprintf (message, sizeof message, S_LEN_MESSAGE ": %s is %zu characters, at most %zu",
                  element, chars, limit->max);
        s_element_finding (self, "LEN001", path, message);
    }
    if (status != TEXT_OK) {
        snprintf (message, sizeof message, S_CHR_MESSAGE ": %s %s (byte 0x%02X at offset %zu)", element,
                  status == TEXT_CONTROL? "holds a control character": "is not valid UTF-8",
                  (unsigned char) value [at], at);
        s_element_finding (self, "CHR001", path, message);
    }
}


//  DTP02 format + DTP03 value -> from / to. Returns 0 or -1.
static int
s_date_range (const char *format, const char *value, char from [9], char to [9])
{
    if (streq (format, "D8")) {
        if (!x12_valid_date (value))
            return -1;
        memcpy (from, value, 9);
        memcpy (to, value, 9);
        return 0;
    }
    if (streq (format, "RD8")) {
        if (strlen (value) != 17 || value [8] != '-')
            return -1;
        memcpy (from, value, 8);
        from [8] = 0;
        memcpy (to, value + 9, 9);
        if (!x12_valid_date (from) || !x12_valid_date (to) || strcmp (from, to) > 0)
            return -1;
        return 0;
    }
    return -1;
}


//  ---------------------------------------------------------------------
//  Closing loops

static void
s_reset_transaction (s_parser_t *self)
{
    self->submitter = self->receiver = self->billing = NULL;
    self->subscriber = NULL;
    self->payer = NULL;
    self->patient = NULL;
    for (size_t i = 0; i < sizeof self->levels / sizeof self->levels [0]; i++)
        s_level_reset (self, i);
    x12_hl_reset (&self->hl);
}

//  Checks the open service line is complete.
static void
s_close_line (s_parser_t *self)
{
    if (!self->line)
        return;
    int index = (int) self->claim->n_lines;
    if (!self->line_has_sv1)
        s_problem (self, PRS_NO_SV1, index, NULL);
    else
    if (!self->line_has_date)
        s_problem (self, PRS_LINE_DATE, index, NULL);
    if (self->line_dropped)
        codec_arena_reset (self->scratch);
    self->line = NULL;
    self->line_dropped = false;
}

//  Hands the open claim to the callback and frees it.
static int
s_close_claim (s_parser_t *self, x12_segment_t *seg)
{
    if (!self->claim)
        return 0;
    s_close_line (self);
    Claim *claim = self->claim;
    self->claim = NULL;
    self->claim = claim;
    if (claim->n_lines == 0)
        s_problem (self, PRS_NO_LINES, 0, NULL);
    if (self->suspect_claim || self->suspect_levels)
        element_limits_walk_suspect (claim, s_check_element, self);
    char detail [64];
    if (self->dropped_lines) {
        snprintf (detail, sizeof detail, "%zu lines", claim->n_lines + self->dropped_lines);
        s_problem (self, REP_LINES, 0, detail);
    }
    if (self->dropped_dates) {
        snprintf (detail, sizeof detail, "%zu DTP segments", self->claim_dtps);
        s_problem (self, REP_DATES, 0, detail);
    }
    self->claim = NULL;
    self->report->claims++;
    claim->claim_index = self->report->claims;
    if (claim->n_parse_findings)
        self->report->claims_with_findings++;
    int rc = self->on_claim? self->on_claim (claim, self->arg): 0;
    codec_arena_reset (self->arena);
    if (rc != 0)
        return s_structural (self, seg, "stopped by the claim callback");
    return 0;
}


//  ---------------------------------------------------------------------
//  Anchor segments: they move between loops and check the structure.

static int
s_on_isa (s_parser_t *self, x12_segment_t *seg)
{
    s_envelope_set (self, ENV_SENDER_QUALIFIER, x12_segment_element (seg, 5), true);
    s_envelope_set (self, ENV_SENDER_ID, x12_segment_element (seg, 6), true);
    s_envelope_set (self, ENV_RECEIVER_QUALIFIER, x12_segment_element (seg, 7), true);
    s_envelope_set (self, ENV_RECEIVER_ID, x12_segment_element (seg, 8), true);
    s_envelope_set (self, ENV_ISA13, x12_segment_element (seg, 13), true);
    self->report->interchanges++;
    return 0;
}

static int
s_on_gs (s_parser_t *self, x12_segment_t *seg)
{
    s_envelope_set (self, ENV_GS06, x12_segment_element (seg, 6), false);
    codec_set_text (&self->gs08, x12_segment_element (seg, 8));
    self->report->groups++;
    return 0;
}

//  The implementation guide a transaction set follows, from ST03 or GS08:
//  837P is 005010X222 (with or without the A1 errata).
static int
s_on_st (s_parser_t *self, x12_segment_t *seg)
{
    const char *type = x12_segment_element (seg, 1);
    if (!streq (type, "837"))
        return s_structural (self, seg, "transaction set %s is not an 837 claim", type);
    const char *version = x12_segment_element (seg, 3);
    if (!*version)
        version = self->gs08;
    if (*version && strncmp (version, "005010X222", 10) != 0) {
        if (strncmp (version, "005010X223", 10) == 0)
            return s_structural (self, seg, "implementation %s is 837I (institutional), not 837P", version);
        if (strncmp (version, "005010X224", 10) == 0)
            return s_structural (self, seg, "implementation %s is 837D (dental), not 837P", version);
        return s_structural (self, seg, "implementation %s is not 837P (005010X222A1)", version);
    }
    s_envelope_set (self, ENV_IMPLEMENTATION, version, false);
    s_envelope_set (self, ENV_ST02, x12_segment_element (seg, 2), false);
    s_envelope_set (self, ENV_BHT03, NULL, false);
    s_envelope_set (self, ENV_BHT04, NULL, false);
    self->st_segment = x12_segment_number (seg);
    self->expect_bht = true;
    self->base = self->loop = LOOP_HEADER;
    s_reset_transaction (self);
    self->report->transactions++;
    return 0;
}

static void
s_on_bht (s_parser_t *self, x12_segment_t *seg)
{
    s_envelope_set (self, ENV_BHT03, x12_segment_element (seg, 3), false);
    s_envelope_set (self, ENV_BHT04, x12_segment_element (seg, 4), false);
}

static int
s_on_se (s_parser_t *self, x12_segment_t *seg)
{
    if (s_close_claim (self, seg))
        return -1;
    s_reset_transaction (self);
    self->base = self->loop = LOOP_NONE;
    return 0;
}

//  The 837P's HL levels, each the row of its parent's level and the loop
//  it opens (common/x12.h reads the hierarchy).
enum { HL_BILLING, HL_SUBSCRIBER, HL_PATIENT };

static const x12_hl_level_t s_levels [] = {
    [HL_BILLING]    = { "20", -1,            "billing provider", LOOP_2000A },
    [HL_SUBSCRIBER] = { "22", HL_BILLING,    "subscriber",       LOOP_2000B },
    [HL_PATIENT]    = { "23", HL_SUBSCRIBER, "patient",          LOOP_2000C },
};

static int
s_on_hl (s_parser_t *self, x12_segment_t *seg)
{
    if (s_close_claim (self, seg))
        return -1;
    char reason [160];
    int row = x12_hl_open (&self->hl, seg, reason, sizeof reason);
    if (row < 0)
        return s_structural (self, seg, "%s", reason);
    self->hl_segment = x12_segment_number (seg);
    self->claims_in_hl = 0;
    self->base = self->loop = (s_loop_t) s_levels [row].loop;

    //  The entities of the level opened, and of those under it, start again.
    //  Each in its level's arena (s_alloc, by the base loop just set).
    if (row == HL_BILLING) {
        self->subscriber = NULL;
        self->payer = NULL;
        self->patient = NULL;
        s_level_reset (self, LEVEL_BILLING);
        s_level_reset (self, LEVEL_SUBSCRIBER);
        s_level_reset (self, LEVEL_PATIENT);
        self->billing = s_provider_new (self);
    }
    else
    if (row == HL_SUBSCRIBER) {
        self->patient = NULL;
        s_level_reset (self, LEVEL_SUBSCRIBER);
        s_level_reset (self, LEVEL_PATIENT);
        self->subscriber = s_subscriber_new (self);
        self->payer = s_alloc (self, sizeof (Payer));
        payer__init (self->payer);
    }
    else {
        s_level_reset (self, LEVEL_PATIENT);
        self->patient = s_patient_new (self);
    }
    return 0;
}

static int
s_on_clm (s_parser_t *self, x12_segment_t *seg)
{
    if (s_close_claim (self, seg))
        return -1;
    if (self->hl.level != HL_SUBSCRIBER && self->hl.level != HL_PATIENT)
        return s_structural (self, seg, "CLM outside a subscriber or patient HL (2000B / 2000C)");
    Claim *claim = s_alloc (self, sizeof *claim);
    claim__init (claim);
    self->claim = claim;
    self->line = NULL;
    self->line_dropped = false;
    self->dropped_lines = self->dropped_dates = self->claim_dtps = 0;
    self->base = self->loop = LOOP_2300;

    //  The envelope's elements are shared too: an ISA, GS, ST or BHT
    //  that would change one comes after SE closed the claim (the reader
    //  refuses them inside a transaction set; a BHT in a claim's loops is
    //  not read). They were tested when set.
    for (size_t i = 0; i < ENV_COUNT; i++)
        *(char **) ((char *) claim + s_envelope_fields [i].offset) = self->envelope [i];
    self->suspect_claim = self->suspect_envelope != 0;
    //  The entities are shared, not copied: nothing writes them while the
    //  claim is open (an HL closes it first, the reader refuses an ST in
    //  an open transaction set) and the callback reads the claim only.
    claim->submitter = self->submitter;
    claim->receiver = self->receiver;
    claim->billing_provider = self->billing;
    claim->subscriber = self->subscriber;
    claim->payer = self->payer;
    if (self->hl.level == HL_PATIENT)
        claim->patient = self->patient;
    claim->segment_index = x12_segment_number (seg);
    claim->hl_segment_index = self->hl_segment;
    claim->transaction_segment_index = self->st_segment;
    claim->interchange_index = x12_reader_interchanges (self->reader);

    const char *pcn = x12_segment_element (seg, 1);
    S_SET (self, Claim, claim, patient_control_number, pcn);
    if (!*pcn)
        s_problem (self, PRS_PCN, 0, NULL);
    const char *charge = x12_segment_element (seg, 2);
    if (s_too_long (self, 0, "total_charge_cents", "2300 CLM02", charge, 18))
        claim->total_charge_cents = 0;
    else
    if (x12_cents (charge, &claim->total_charge_cents)) {
        claim->total_charge_cents = 0;
        s_problem (self, PRS_CHARGE, 0, *charge? charge: NULL);
    }
    S_SET (self, Claim, claim, place_of_service, x12_segment_component (seg, 5, 1));
    S_SET (self, Claim, claim, facility_code_qualifier, x12_segment_component (seg, 5, 2));
    S_SET (self, Claim, claim, frequency_code, x12_segment_component (seg, 5, 3));
    if (!*claim->place_of_service)
        s_problem (self, PRS_PLACE, 0, NULL);
    if (!*claim->frequency_code)
        s_problem (self, PRS_FREQUENCY, 0, NULL);
    if (++self->claims_in_hl > MAX_CLAIMS_PER_HL) {
        char detail [32];
        snprintf (detail, sizeof detail, "claim %u of the HL", self->claims_in_hl);
        s_problem (self, REP_CLAIMS, 0, detail);
    }
    return 0;
}

static int
s_on_sbr (s_parser_t *self, x12_segment_t *seg)
{
    if (self->base == LOOP_2000B) {
        Subscriber *subscriber = self->subscriber;
        S_SET (self, Subscriber, subscriber, payer_responsibility, x12_segment_element (seg, 1));
        S_SET (self, Subscriber, subscriber, relationship, x12_segment_element (seg, 2));
        S_SET (self, Subscriber, subscriber, group_number, x12_segment_element (seg, 3));
        S_SET (self, Subscriber, subscriber, group_name, x12_segment_element (seg, 4));
        S_SET (self, Subscriber, subscriber, claim_filing_indicator, x12_segment_element (seg, 9));
        return 0;
    }
    //  In a claim, SBR opens 2320 (other subscriber for coordination of
    //  benefits); its 2330 NM1s must not overwrite the claim's subscriber.
    if (self->base == LOOP_2300 || self->base == LOOP_2320) {
        self->base = self->loop = LOOP_2320;
        return 0;
    }
    return s_structural (self, seg, "SBR outside a subscriber HL or a claim");
}

//  LX01 as strtoul reads it, the digits (nearly always one or two) read
//  here and anything else left to strtoul (signs, blanks, overflow).
static uint32_t
s_line_number (const char *text)
{
    uint32_t value = 0;
    size_t i = 0;
    for (; i < 9 && text [i] >= '0' && text [i] <= '9'; i++)
        value = value * 10 + (uint32_t) (text [i] - '0');
    if (!text [i])
        return value;
    return (uint32_t) strtoul (text, NULL, 10);
}

static int
s_on_lx (s_parser_t *self, x12_segment_t *seg)
{
    if (!self->claim)
        return s_structural (self, seg, "LX outside a claim (no CLM)");
    s_close_line (self);
    self->line_dropped = self->claim->n_lines == MAX_LINES;
    ServiceLine *line = s_alloc (self, sizeof *line);
    service_line__init (line);
    line->line_number = s_line_number (x12_segment_element (seg, 1));
    line->segment_index = x12_segment_number (seg);
    if (self->line_dropped)
        self->dropped_lines++;
    else
        s_append (self, (void ***) &self->claim->lines, &self->claim->n_lines, line);
    self->line = line;
    self->line_has_sv1 = false;
    self->line_has_date = false;
    self->base = self->loop = LOOP_2400;
    s_too_long (self, (int) self->claim->n_lines, "line_number", "2400 LX01", x12_segment_element (seg, 1), 6);
    return 0;
}

static int
s_on_sv1 (s_parser_t *self, x12_segment_t *seg)
{
    if (self->base != LOOP_2400 || !self->line)
        return s_structural (self, seg, "SV1 outside a service line (no LX)");
    if (self->line_has_sv1)
        return s_structural (self, seg, "second SV1 in one service line");
    self->line_has_sv1 = true;
    ServiceLine *line = self->line;
    int index = (int) self->claim->n_lines;

    S_SET (self, ServiceLine, line, procedure_qualifier, x12_segment_component (seg, 1, 1));
    S_SET (self, ServiceLine, line, procedure_code, x12_segment_component (seg, 1, 2));
    if (!*line->procedure_code)
        s_problem (self, PRS_PROCEDURE, index, NULL);
    line->modifiers = s_alloc (self, MAX_MODIFIERS * sizeof (char *));
    memset (line->modifiers, 0, MAX_MODIFIERS * sizeof (char *));
    for (size_t i = 0; i < MAX_MODIFIERS; i++) {
        const char *modifier = x12_segment_component (seg, 1, 3 + i);
        if (*modifier)
            s_set (self, &line->modifiers [line->n_modifiers++], modifier, ELEMENT_MAX (ServiceLine, modifiers));
    }
    const char *charge = x12_segment_element (seg, 2);
    if (s_too_long (self, index, "charge_cents", "2400 SV102", charge, 18))
        line->charge_cents = 0;
    else
    if (x12_cents (charge, &line->charge_cents)) {
        line->charge_cents = 0;
        s_problem (self, PRS_LINE_CHARGE, index, *charge? charge: NULL);
    }
    S_SET (self, ServiceLine, line, unit_type, x12_segment_element (seg, 3));
    const char *units = x12_segment_element (seg, 4);
    S_SET (self, ServiceLine, line, units, units);
    if (x12_milli (units, &line->units_milli) || line->units_milli < 0) {
        line->units_milli = 0;
        s_problem (self, PRS_UNITS, index, *units? units: NULL);
    }
    S_SET (self, ServiceLine, line, place_of_service, x12_segment_element (seg, 5));
    size_t pointers = x12_segment_components (seg, 7);
    if (pointers > MAX_POINTERS) {
        char detail [32];
        snprintf (detail, sizeof detail, "%zu pointers", pointers);
        s_problem (self, REP_POINTERS, index, detail);
        pointers = MAX_POINTERS;
    }
    line->diagnosis_pointers = s_alloc (self, MAX_POINTERS * sizeof (uint32_t));
    memset (line->diagnosis_pointers, 0, MAX_POINTERS * sizeof (uint32_t));
    for (size_t i = 1; i <= pointers; i++) {
        const char *pointer = x12_segment_component (seg, 7, i);
        if (!*pointer)
            continue;
        //  One or two digits, read here: strtoul and strspn were ~4 % of
        //  parse + scrub.
        size_t len = 0;
        uint32_t value = 0;
        while (len <= 2 && pointer [len] >= '0' && pointer [len] <= '9')
            value = value * 10 + (uint32_t) (pointer [len++] - '0');
        if (pointer [len] || len > 2 || value < 1 || value > MAX_DIAGNOSES) {
            s_problem (self, PRS_POINTER, index, pointer);
            continue;
        }
        line->diagnosis_pointers [line->n_diagnosis_pointers++] = value;
    }
    return 0;
}


//  ---------------------------------------------------------------------
//  Content segments: table-driven, by loop, segment id and first element.

typedef void (s_handler_fn) (s_parser_t *self, x12_segment_t *seg);

//  The entity an N3 / N4 / REF / DMG / PRV in the current loop belongs to.
static Provider *
s_loop_provider (s_parser_t *self)
{
    switch (self->loop) {
        case LOOP_2010AA: return self->billing;
        case LOOP_2310B:  return self->claim->rendering_provider;
        case LOOP_2310C:  return self->claim->service_facility;
        default:          return NULL;
    }
}

static Address *
s_loop_address (s_parser_t *self)
{
    Provider *provider = s_loop_provider (self);
    if (provider)
        return provider->address;
    if (self->loop == LOOP_2010BA)
        return self->subscriber->address;
    if (self->loop == LOOP_2010CA)
        return self->patient->address;
    return NULL;
}

static void
s_on_n3 (s_parser_t *self, x12_segment_t *seg)
{
    Address *address = s_loop_address (self);
    if (address) {
        S_SET (self, Address, address, line1, x12_segment_element (seg, 1));
        S_SET (self, Address, address, line2, x12_segment_element (seg, 2));
    }
}

static void
s_on_n4 (s_parser_t *self, x12_segment_t *seg)
{
    Address *address = s_loop_address (self);
    if (address) {
        S_SET (self, Address, address, city, x12_segment_element (seg, 1));
        S_SET (self, Address, address, state, x12_segment_element (seg, 2));
        S_SET (self, Address, address, postal_code, x12_segment_element (seg, 3));
    }
}

static void
s_on_dmg (s_parser_t *self, x12_segment_t *seg)
{
    if (!streq (x12_segment_element (seg, 1), "D8"))
        return;
    if (self->loop == LOOP_2010BA) {
        S_SET (self, Subscriber, self->subscriber, birth_date, x12_segment_element (seg, 2));
        S_SET (self, Subscriber, self->subscriber, gender, x12_segment_element (seg, 3));
    }
    else
    if (self->loop == LOOP_2010CA) {
        S_SET (self, Patient, self->patient, birth_date, x12_segment_element (seg, 2));
        S_SET (self, Patient, self->patient, gender, x12_segment_element (seg, 3));
    }
}

static void
s_on_tax_id (s_parser_t *self, x12_segment_t *seg)
{
    S_SET (self, Provider, self->billing, tax_id, x12_segment_element (seg, 2));
}

static void
s_on_taxonomy (s_parser_t *self, x12_segment_t *seg)
{
    Provider *provider = self->base == LOOP_2000A? self->billing: s_loop_provider (self);
    if (provider && streq (x12_segment_element (seg, 2), "PXC"))
        S_SET (self, Provider, provider, taxonomy, x12_segment_element (seg, 3));
}

static void
s_on_pat (s_parser_t *self, x12_segment_t *seg)
{
    S_SET (self, Patient, self->patient, relationship, x12_segment_element (seg, 1));
}

static void
s_on_claim_dtp (s_parser_t *self, x12_segment_t *seg)
{
    //  Counted before anything else, so a claim of a million DTPs costs
    //  one finding, not a million.
    if (self->claim_dtps++ == MAX_CLAIM_DATES) {
        self->dropped_dates = 1;
        return;
    }
    if (self->dropped_dates)
        return;
    char from [9], to [9];
    const char *value = x12_segment_element (seg, 3);
    if (s_too_long (self, 0, "dates", "2300 DTP03", value, 35))
        return;
    if (s_date_range (x12_segment_element (seg, 2), value, from, to)) {
        s_problem (self, PRS_CLAIM_DATE, 0, value);
        return;
    }
    ClaimDate *date = s_alloc (self, sizeof *date);
    claim_date__init (date);
    S_SET (self, ClaimDate, date, qualifier, x12_segment_element (seg, 1));
    S_SET (self, ClaimDate, date, date_from, from);
    S_SET (self, ClaimDate, date, date_to, to);
    s_append (self, (void ***) &self->claim->dates, &self->claim->n_dates, date);
}

static void
s_on_prior_auth (s_parser_t *self, x12_segment_t *seg)
{
    S_SET (self, Claim, self->claim, prior_authorization, x12_segment_element (seg, 2));
}

static void
s_on_payer_claim_number (s_parser_t *self, x12_segment_t *seg)
{
    S_SET (self, Claim, self->claim, payer_claim_number, x12_segment_element (seg, 2));
}

//  HI: each element is qualifier:code. Diagnosis qualifiers go into the
//  claim's list; other HI uses (condition codes BG, anesthesia BP, ...)
//  are not diagnoses and are skipped.
static void
s_on_hi (s_parser_t *self, x12_segment_t *seg)
{
    static const char *dx_qualifiers [] = { "ABK", "ABF", "BK", "BF" };
    Claim *claim = self->claim;
    for (size_t i = 1; i <= x12_segment_count (seg); i++) {
        const char *qualifier = x12_segment_component (seg, i, 1);
        const char *code = x12_segment_component (seg, i, 2);
        if (!*qualifier && !*code)
            continue;
        bool diagnosis = false;
        for (size_t q = 0; q < sizeof dx_qualifiers / sizeof dx_qualifiers [0]; q++)
            diagnosis |= streq (qualifier, dx_qualifiers [q]);
        if (!diagnosis)
            continue;
        if (!*code) {
            s_problem (self, PRS_DIAGNOSIS, 0, qualifier);
            continue;
        }
        if (claim->n_diagnoses == MAX_DIAGNOSES) {
            s_problem (self, PRS_TOO_MANY_DX, 0, code);
            return;
        }
        if (!claim->diagnoses) {
            claim->diagnoses = s_alloc (self, MAX_DIAGNOSES * sizeof (Diagnosis *));
            memset (claim->diagnoses, 0, MAX_DIAGNOSES * sizeof (Diagnosis *));
        }
        Diagnosis *dx = s_alloc (self, sizeof *dx);
        diagnosis__init (dx);
        S_SET (self, Diagnosis, dx, qualifier, qualifier);
        S_SET (self, Diagnosis, dx, code, code);
        claim->diagnoses [claim->n_diagnoses++] = dx;
    }
}

static void
s_on_line_dtp (s_parser_t *self, x12_segment_t *seg)
{
    ServiceLine *line = self->line;
    char from [9], to [9];
    if (s_too_long (self, (int) self->claim->n_lines, "service_date_from", "2400 DTP03 (DTP*472)",
                    x12_segment_element (seg, 3), 35)) {
        self->line_has_date = true;     //  reported: not "missing" as well
        return;
    }
    if (s_date_range (x12_segment_element (seg, 2), x12_segment_element (seg, 3), from, to)) {
        s_problem (self, PRS_LINE_DATE, (int) self->claim->n_lines, x12_segment_element (seg, 3));
        //  Reported once: the missing-date check at the end of the line
        //  must not report it again.
        self->line_has_date = true;
        return;
    }
    S_SET (self, ServiceLine, line, service_date_from, from);
    S_SET (self, ServiceLine, line, service_date_to, to);
    self->line_has_date = true;
}

static void
s_on_line_control (s_parser_t *self, x12_segment_t *seg)
{
    S_SET (self, ServiceLine, self->line, line_item_control_number, x12_segment_element (seg, 2));
}

//  A segment id's (up to) three bytes as one number, for a switch.
#define S_KEY(a, b, c) ((uint32_t) (a) | (uint32_t) (b) << 8 | (uint32_t) (c) << 16)
#define S_COUNT(rows) (sizeof (rows) / sizeof (rows) [0])

//  The rows for the segments looked up by loop: one table an id, picked
//  by the dispatch's switch (a single table searched by id and loop cost
//  22 rows for each segment no row wanted); the first row that matches
//  wins, as in the single table, whose order each keeps.
typedef struct {
    s_loop_t loop;          //  matches the current loop or the current base
    const char *qualifier;  //  first element, NULL = any
    s_handler_fn *handler;
} s_handler_t;

static const s_handler_t s_bht_rows [] = {
    { LOOP_HEADER, NULL,  s_on_bht },
};
static const s_handler_t s_prv_rows [] = {
    { LOOP_2000A,  "BI",  s_on_taxonomy },
    { LOOP_2310B,  "PE",  s_on_taxonomy },
};
static const s_handler_t s_n3_rows [] = {
    { LOOP_2010AA, NULL,  s_on_n3 },
    { LOOP_2010BA, NULL,  s_on_n3 },
    { LOOP_2010CA, NULL,  s_on_n3 },
    { LOOP_2310C,  NULL,  s_on_n3 },
};
static const s_handler_t s_n4_rows [] = {
    { LOOP_2010AA, NULL,  s_on_n4 },
    { LOOP_2010BA, NULL,  s_on_n4 },
    { LOOP_2010CA, NULL,  s_on_n4 },
    { LOOP_2310C,  NULL,  s_on_n4 },
};
static const s_handler_t s_ref_rows [] = {
    { LOOP_2010AA, "EI",  s_on_tax_id },
    { LOOP_2010AA, "SY",  s_on_tax_id },
    { LOOP_2300,   "G1",  s_on_prior_auth },
    { LOOP_2300,   "F8",  s_on_payer_claim_number },
    { LOOP_2400,   "6R",  s_on_line_control },
};
static const s_handler_t s_dmg_rows [] = {
    { LOOP_2010BA, NULL,  s_on_dmg },
    { LOOP_2010CA, NULL,  s_on_dmg },
};
static const s_handler_t s_pat_rows [] = {
    { LOOP_2000C,  NULL,  s_on_pat },
};
static const s_handler_t s_dtp_rows [] = {
    { LOOP_2300,   NULL,  s_on_claim_dtp },
    { LOOP_2400,   "472", s_on_line_dtp },
};
static const s_handler_t s_hi_rows [] = {
    { LOOP_2300,   NULL,  s_on_hi },
};

//  NM1 opens an entity loop; which one depends on the base loop and NM101.
static const struct {
    s_loop_t base;
    const char *qualifier;  //  NULL = any other
    s_loop_t loop;
} s_entities [] = {
    { LOOP_HEADER, "41", LOOP_1000A },
    { LOOP_HEADER, "40", LOOP_1000B },
    { LOOP_2000A,  "85", LOOP_2010AA },
    { LOOP_2000B,  "IL", LOOP_2010BA },
    { LOOP_2000B,  "PR", LOOP_2010BB },
    { LOOP_2000C,  "QC", LOOP_2010CA },
    { LOOP_2300,   "82", LOOP_2310B },
    { LOOP_2300,   "77", LOOP_2310C },
};

//  Fills a provider from NM1 (names and identifier).
static void
s_provider_from_nm1 (s_parser_t *self, Provider *provider, x12_segment_t *seg)
{
    S_SET (self, Provider, provider, entity_type, x12_segment_element (seg, 2));
    S_SET (self, Provider, provider, name, x12_segment_element (seg, 3));
    S_SET (self, Provider, provider, first_name, x12_segment_element (seg, 4));
    S_SET (self, Provider, provider, id_qualifier, x12_segment_element (seg, 8));
    S_SET (self, Provider, provider, id, x12_segment_element (seg, 9));
    if (streq (x12_segment_element (seg, 8), "XX"))
        S_SET (self, Provider, provider, npi, x12_segment_element (seg, 9));
}

static int
s_on_nm1 (s_parser_t *self, x12_segment_t *seg)
{
    const char *qualifier = x12_segment_element (seg, 1);
    s_loop_t loop = LOOP_SKIP;
    for (size_t i = 0; i < sizeof s_entities / sizeof s_entities [0]; i++)
        if (s_entities [i].base == self->base && streq (s_entities [i].qualifier, qualifier)) {
            loop = s_entities [i].loop;
            break;
        }
    self->loop = loop;
    switch (loop) {
        case LOOP_1000A:
            self->submitter = s_provider_new (self);
            s_provider_from_nm1 (self, self->submitter, seg);
            break;
        case LOOP_1000B:
            self->receiver = s_provider_new (self);
            s_provider_from_nm1 (self, self->receiver, seg);
            break;
        case LOOP_2010AA:
            s_provider_from_nm1 (self, self->billing, seg);
            break;
        case LOOP_2010BA:
            S_SET (self, Subscriber, self->subscriber, last_name, x12_segment_element (seg, 3));
            S_SET (self, Subscriber, self->subscriber, first_name, x12_segment_element (seg, 4));
            S_SET (self, Subscriber, self->subscriber, middle_name, x12_segment_element (seg, 5));
            S_SET (self, Subscriber, self->subscriber, suffix, x12_segment_element (seg, 7));
            S_SET (self, Subscriber, self->subscriber, member_id, x12_segment_element (seg, 9));
            break;
        case LOOP_2010BB:
            S_SET (self, Payer, self->payer, name, x12_segment_element (seg, 3));
            S_SET (self, Payer, self->payer, payer_id, x12_segment_element (seg, 9));
            break;
        case LOOP_2010CA:
            S_SET (self, Patient, self->patient, last_name, x12_segment_element (seg, 3));
            S_SET (self, Patient, self->patient, first_name, x12_segment_element (seg, 4));
            S_SET (self, Patient, self->patient, middle_name, x12_segment_element (seg, 5));
            S_SET (self, Patient, self->patient, suffix, x12_segment_element (seg, 7));
            break;
        case LOOP_2310B:
            self->claim->rendering_provider = s_provider_new (self);
            s_provider_from_nm1 (self, self->claim->rendering_provider, seg);
            break;
        case LOOP_2310C:
            self->claim->service_facility = s_provider_new (self);
            s_provider_from_nm1 (self, self->claim->service_facility, seg);
            break;
        default:
            break;
    }
    return 0;
}


//  ---------------------------------------------------------------------
//  Dispatch

//  A segment id (2 or 3 capitals and digits, as the reader checks) as one
//  number, its bytes from the low end: every segment of the file is
//  dispatched by a switch on it instead of comparing names in a table
//  (S_KEY, defined above the handler rows).

static uint32_t
s_key (const char *id)
{
    if (!id [0] || !id [1])
        return (uint8_t) id [0];
    return S_KEY ((uint8_t) id [0], (uint8_t) id [1], (uint8_t) id [2]);
}

static int
s_segment (s_parser_t *self, x12_segment_t *seg)
{
    const char *id = x12_segment_id (seg);
    uint32_t key = s_key (id);
    if (self->expect_bht && key != S_KEY ('S', 'T', 0)) {
        self->expect_bht = false;
        if (key != S_KEY ('B', 'H', 'T'))
            return s_structural (self, seg, "BHT expected right after ST");
    }
    const s_handler_t *rows;
    size_t count;
    switch (key) {
        case S_KEY ('I', 'S', 'A'): return s_on_isa (self, seg);
        case S_KEY ('G', 'S', 0):   return s_on_gs (self, seg);
        case S_KEY ('S', 'T', 0):   return s_on_st (self, seg);
        case S_KEY ('S', 'E', 0):   return s_on_se (self, seg);
        case S_KEY ('H', 'L', 0):   return s_on_hl (self, seg);
        case S_KEY ('C', 'L', 'M'): return s_on_clm (self, seg);
        case S_KEY ('S', 'B', 'R'): return s_on_sbr (self, seg);
        case S_KEY ('L', 'X', 0):   return s_on_lx (self, seg);
        case S_KEY ('S', 'V', '1'): return s_on_sv1 (self, seg);
        case S_KEY ('N', 'M', '1'): return s_on_nm1 (self, seg);
        //  The ids looked up by loop (and first element) in their rows.
        case S_KEY ('B', 'H', 'T'): rows = s_bht_rows; count = S_COUNT (s_bht_rows); break;
        case S_KEY ('P', 'R', 'V'): rows = s_prv_rows; count = S_COUNT (s_prv_rows); break;
        case S_KEY ('N', '3', 0): rows = s_n3_rows; count = S_COUNT (s_n3_rows); break;
        case S_KEY ('N', '4', 0): rows = s_n4_rows; count = S_COUNT (s_n4_rows); break;
        case S_KEY ('R', 'E', 'F'): rows = s_ref_rows; count = S_COUNT (s_ref_rows); break;
        case S_KEY ('D', 'M', 'G'): rows = s_dmg_rows; count = S_COUNT (s_dmg_rows); break;
        case S_KEY ('P', 'A', 'T'): rows = s_pat_rows; count = S_COUNT (s_pat_rows); break;
        case S_KEY ('D', 'T', 'P'): rows = s_dtp_rows; count = S_COUNT (s_dtp_rows); break;
        case S_KEY ('H', 'I', 0): rows = s_hi_rows; count = S_COUNT (s_hi_rows); break;
        default:
            return 0;       //  a segment intake has no use for (PER, AMT, NTE, GE, IEA, ...)
    }
    if (self->base == LOOP_NONE)
        return 0;
    const char *first = x12_segment_element (seg, 1);
    for (size_t i = 0; i < count; i++) {
        if (rows [i].loop != self->loop && rows [i].loop != self->base)
            continue;
        if (rows [i].qualifier && !streq (rows [i].qualifier, first))
            continue;
        rows [i].handler (self, seg);
        return 0;
    }
    return 0;
}

int
parse_837p (x12_reader_t *reader, parse_837p_fn *on_claim, void *arg,
            parse_837p_report_t *report)
{
    assert (reader);
    parse_837p_report_t local;
    if (!report)
        report = &local;
    memset (report, 0, sizeof *report);

    s_parser_t parser = { .reader = reader, .on_claim = on_claim, .arg = arg, .report = report,
                          .arena = codec_arena_new (), .scratch = codec_arena_new () };
    s_parser_t *self = &parser;
    for (size_t i = 0; i < sizeof self->levels / sizeof self->levels [0]; i++)
        self->levels [i] = codec_arena_new ();
    x12_hl_init (&self->hl, s_levels, sizeof s_levels / sizeof s_levels [0], "837P");
    for (size_t i = 0; i < ENV_COUNT; i++)
        self->envelope [i] = (char *) protobuf_c_empty_string;
    self->gs08 = (char *) protobuf_c_empty_string;

    x12_segment_t *seg;
    int rc;
    while ((rc = x12_reader_next (reader, &seg)) == 1) {
        if (s_segment (self, seg))
            break;
    }
    report->segments = x12_reader_segments (reader);
    if (rc == -1) {
        report->error_segment = x12_reader_error_segment (reader);
        snprintf (report->error_id, sizeof report->error_id, "%s", x12_reader_error_id (reader));
        s_report_error (report, x12_reader_error (reader));
    }
    //  A claim still open here belongs to a refused file: the reader
    //  closes every claim at SE before a clean end.
    self->claim = NULL;
    self->line = NULL;
    self->line_dropped = false;
    s_reset_transaction (self);
    codec_arena_destroy (&self->arena);
    codec_arena_destroy (&self->scratch);
    for (size_t i = 0; i < sizeof self->levels / sizeof self->levels [0]; i++)
        codec_arena_destroy (&self->levels [i]);
    for (size_t i = 0; i < ENV_COUNT; i++)
        codec_set_text (&self->envelope [i], NULL);
    codec_set_text (&self->gs08, NULL);
    return rc == -1 || self->failed? -1: 0;
}
