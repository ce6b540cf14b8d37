/*  x12: streaming X12 tokenizer and envelope validator (see x12.h).

    The reader has three layers, each a section below:
    - input: chunks from a FILE* (read into our own buffer) or a memory
      buffer (pointed at, never copied), refilled on demand;
    - tokenizer: skips the BOM and the CR / LF / blanks between segments,
      reads an ISA as 106 fixed bytes to learn the separators, and any other
      segment up to its terminator, then splits it into elements and
      components in place;
    - envelope: a small state machine (outside, in ISA, in GS, in ST) with
      the counters and control numbers that IEA, GE and SE must match.
    Every error is recorded once as "segment N (ID): reason" and sticks.
*/
#include "x12.h"

#include <assert.h>
#include <inttypes.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

//  The ISA is fixed-width: 106 characters, terminator included.
#define ISA_LENGTH 106
#define CONTROL_MAX 31

//  Offsets in the ISA of the element separators after ISA01 .. ISA15, and of
//  the two separators carried as data (ISA11 repetition, ISA16 component).
static const int s_isa_separator_at [] = {
    3, 6, 17, 20, 31, 34, 50, 53, 69, 76, 81, 83, 89, 99, 101, 103
};
#define ISA_REPETITION_AT 82
#define ISA_COMPONENT_AT  104
#define ISA_TERMINATOR_AT 105

//  What s_split's scan stops at (0 elsewhere).
#define S_STOP_ELEMENT   1
#define S_STOP_COMPONENT 2
#define S_STOP_END       3      //  NUL: the segment's end, or a NUL byte in it

typedef enum {
    ENV_OUTSIDE,        //  before the first ISA, or after an IEA
    ENV_INTERCHANGE,    //  after ISA, expecting GS or IEA
    ENV_GROUP,          //  after GS, expecting ST or GE
    ENV_TRANSACTION     //  after ST, until SE
} s_envelope_t;

struct _x12_segment_t {
    uint64_t number;
    char *text;                 //  elements, separators replaced by NUL
    char *parts;                //  components, both separators replaced by NUL
    size_t capacity;            //  of text and parts
    const char **elements;      //  [0] = id
    bool split;                 //  a component separator was seen: the three below are set
    size_t *first_part;         //  index in parts_at of each element's component 1
    size_t *part_count;         //  components in each element
    size_t count;               //  elements including the id
    size_t elements_cap;
    const char **parts_at;
    size_t parts_cap;
};

struct _x12_reader_t {
    //  Input
    FILE *file;
    const uint8_t *data;        //  buffer source
    size_t data_size;
    size_t data_offset;
    uint8_t *owned_chunk;       //  file source reads into this
    size_t chunk_size;
    const uint8_t *chunk;       //  current chunk
    size_t chunk_len;
    size_t chunk_pos;
    bool eof;
    bool at_start;              //  nothing read yet: a BOM may come
    uint64_t bytes_in;          //  bytes taken from the input so far

    //  Tokenizer
    char *raw;                  //  a segment's bytes gathered across chunks, and the ISA
    size_t raw_len;
    size_t raw_cap;
    const char *bytes;          //  the current segment's bytes: in the chunk, or raw
    size_t bytes_len;           //  terminator and trailing CRs excluded
    x12_separators_t sep;
    uint8_t stops [256];        //  S_STOP_* at the element and component separators and NUL
    uint8_t id_char [256];      //  1 at the capital letters and digits

    //  Envelope
    s_envelope_t envelope;
    uint64_t segments;
    uint32_t interchanges;
    uint64_t isa_segment;       //  segment number of the open ISA
    char isa13 [CONTROL_MAX + 1];
    char gs06 [CONTROL_MAX + 1];
    char st02 [CONTROL_MAX + 1];
    uint64_t groups_in_isa;
    uint64_t sets_in_group;
    uint64_t segments_in_set;

    //  Errors
    bool failed;
    char error [320];
    uint64_t error_segment;
    char error_id [4];

    x12_segment_t segment;
};


//  ---------------------------------------------------------------------
//  Construction

static x12_reader_t *
s_new (void)
{
    x12_reader_t *self = calloc (1, sizeof *self);
    assert (self);
    self->chunk_size = X12_DEFAULT_CHUNK;
    self->at_start = true;
    self->envelope = ENV_OUTSIDE;
    self->stops [0] = S_STOP_END;
    for (int c = 0; c < 256; c++)
        self->id_char [c] = (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    return self;
}

x12_reader_t *
x12_reader_new_file (FILE *file)
{
    assert (file);
    x12_reader_t *self = s_new ();
    self->file = file;
    return self;
}

x12_reader_t *
x12_reader_new_buffer (const void *data, size_t size)
{
    assert (data || size == 0);
    x12_reader_t *self = s_new ();
    self->data = data;
    self->data_size = size;
    return self;
}

void
x12_reader_destroy (x12_reader_t **self_p)
{
    assert (self_p);
    x12_reader_t *self = *self_p;
    if (self) {
        free (self->owned_chunk);
        free (self->raw);
        free (self->segment.text);
        free (self->segment.parts);
        free (self->segment.elements);
        free (self->segment.first_part);
        free (self->segment.part_count);
        free (self->segment.parts_at);
        free (self);
        *self_p = NULL;
    }
}

void
x12_reader_set_chunk_size (x12_reader_t *self, size_t size)
{
    assert (self);
    assert (size > 0);
    //  A file reader's buffer is sized on first refill; changing the size
    //  after reading has begun would strand bytes in it.
    assert (!self->owned_chunk);
    self->chunk_size = size;
}


//  ---------------------------------------------------------------------
//  Errors

static int
s_fail (x12_reader_t *self, uint64_t number, const char *id, const char *format, ...)
{
    if (self->failed)
        return -1;
    self->failed = true;
    self->error_segment = number;
    snprintf (self->error_id, sizeof self->error_id, "%s", id? id: "");
    char reason [256];
    va_list args;
    va_start (args, format);
    vsnprintf (reason, sizeof reason, format, args);
    va_end (args);
    if (*self->error_id)
        snprintf (self->error, sizeof self->error, "segment %llu (%s): %s",
                  (unsigned long long) number, self->error_id, reason);
    else
        snprintf (self->error, sizeof self->error, "segment %llu: %s",
                  (unsigned long long) number, reason);
    return -1;
}

const char *
x12_reader_error (x12_reader_t *self)
{
    assert (self);
    return self->failed? self->error: NULL;
}

uint64_t
x12_reader_error_segment (x12_reader_t *self)
{
    assert (self);
    return self->failed? self->error_segment: 0;
}

const char *
x12_reader_error_id (x12_reader_t *self)
{
    assert (self);
    return self->failed? self->error_id: "";
}

x12_separators_t
x12_reader_separators (x12_reader_t *self)
{
    assert (self);
    return self->sep;
}

uint64_t
x12_reader_segments (x12_reader_t *self)
{
    assert (self);
    return self->segments;
}

uint64_t
x12_reader_bytes (x12_reader_t *self)
{
    assert (self);
    return self->bytes_in;
}

uint32_t
x12_reader_interchanges (x12_reader_t *self)
{
    assert (self);
    return self->interchanges;
}


//  ---------------------------------------------------------------------
//  Input: makes the next chunk current. Returns 1, 0 at end of input, -1
//  on a read error.

static int
s_refill (x12_reader_t *self)
{
    if (self->eof)
        return 0;
    self->chunk_pos = 0;
    if (self->file) {
        if (!self->owned_chunk) {
            self->owned_chunk = malloc (self->chunk_size);
            assert (self->owned_chunk);
        }
        self->chunk_len = fread (self->owned_chunk, 1, self->chunk_size, self->file);
        self->chunk = self->owned_chunk;
        self->bytes_in += self->chunk_len;
        if (self->chunk_len == 0) {
            self->eof = true;
            if (ferror (self->file))
                return s_fail (self, self->segments + 1, "", "read error");
            return 0;
        }
        return 1;
    }
    size_t left = self->data_size - self->data_offset;
    if (left == 0) {
        self->eof = true;
        self->chunk_len = 0;
        return 0;
    }
    self->chunk = self->data + self->data_offset;
    self->chunk_len = left < self->chunk_size? left: self->chunk_size;
    self->data_offset += self->chunk_len;
    self->bytes_in += self->chunk_len;
    return 1;
}

//  Next byte without consuming it: 0..255, or -1 at end / on error.
static int
s_peek (x12_reader_t *self)
{
    if (self->chunk_pos == self->chunk_len) {
        if (s_refill (self) != 1)
            return -1;
    }
    return self->chunk [self->chunk_pos];
}

static void
s_raw_append (x12_reader_t *self, const uint8_t *bytes, size_t size)
{
    if (self->raw_len + size + 1 > self->raw_cap) {
        size_t cap = self->raw_cap? self->raw_cap: 256;
        while (cap < self->raw_len + size + 1)
            cap *= 2;
        self->raw = realloc (self->raw, cap);
        assert (self->raw);
        self->raw_cap = cap;
    }
    memcpy (self->raw + self->raw_len, bytes, size);
    self->raw_len += size;
    self->raw [self->raw_len] = 0;
}


//  ---------------------------------------------------------------------
//  Tokenizer

//  The id of a segment's bytes, for error messages: its first letters
//  and digits, at most three.
static void
s_bytes_id (const char *bytes, size_t size, char id [4])
{
    size_t i = 0;
    while (i < 3 && i < size) {
        unsigned char c = (unsigned char) bytes [i];
        if (!isalnum (c))
            break;
        id [i] = (char) c;
        i++;
    }
    id [i] = 0;
}

//  The id of the segment in raw.
static void
s_raw_id (x12_reader_t *self, char id [4])
{
    s_bytes_id (self->raw, self->raw_len, id);
}

//  Skips what may sit between segments: CR, LF, blanks (files are often
//  indented) and, at the very start, a UTF-8 BOM.
static void
s_skip_between (x12_reader_t *self)
{
    if (self->at_start) {
        self->at_start = false;
        static const uint8_t bom [3] = { 0xEF, 0xBB, 0xBF };
        int c = s_peek (self);
        if (c == bom [0]) {
            //  The BOM may straddle chunks; match it byte by byte.
            size_t matched = 0;
            while (matched < 3 && s_peek (self) == bom [matched]) {
                self->chunk_pos++;
                matched++;
            }
            if (matched != 3) {
                //  Not a BOM after all: keep what was consumed so the
                //  ISA check reports the real first bytes.
                s_raw_append (self, bom, matched);
                return;
            }
        }
    }
    //  After a complete interchange, DOS end-of-file marks (^Z) and NUL
    //  padding that some systems append are not the start of another ISA.
    bool padding = self->envelope == ENV_OUTSIDE && self->interchanges > 0;
    while (true) {
        int c = s_peek (self);
        if (c == '\r' || c == '\n' || c == ' ' || c == '\t'
        ||  (padding && (c == 0x1A || c == 0)))
            self->chunk_pos++;
        else
            return;
    }
}

//  Reads exactly ISA_LENGTH bytes (some may already be in raw) and takes
//  the separators from them.
static int
s_read_isa (x12_reader_t *self)
{
    uint64_t number = self->segments + 1;
    while (self->raw_len < ISA_LENGTH) {
        if (s_peek (self) < 0)
            break;
        size_t want = ISA_LENGTH - self->raw_len;
        size_t have = self->chunk_len - self->chunk_pos;
        size_t take = want < have? want: have;
        s_raw_append (self, self->chunk + self->chunk_pos, take);
        self->chunk_pos += take;
    }
    if (self->failed)
        return -1;
    size_t head = self->raw_len < 3? self->raw_len: 3;
    if (memcmp (self->raw, "ISA", head) != 0) {
        char id [4];
        s_raw_id (self, id);
        if (self->interchanges == 0)
            return s_fail (self, number, id, "file does not start with an ISA segment");
        return s_fail (self, number, id, "expected ISA after IEA");
    }
    if (self->raw_len < ISA_LENGTH)
        return s_fail (self, number, "ISA",
                       "ISA truncated: %zu of %d characters before end of file",
                       self->raw_len, ISA_LENGTH);
    const char *isa = self->raw;
    char element = isa [3];
    for (size_t i = 1; i < sizeof s_isa_separator_at / sizeof s_isa_separator_at [0]; i++) {
        int at = s_isa_separator_at [i];
        if (isa [at] != element)
            return s_fail (self, number, "ISA",
                           "ISA is not 106 characters of fixed-width elements: "
                           "element separator '%c' expected at position %d",
                           element, at + 1);
    }
    char component = isa [ISA_COMPONENT_AT];
    char terminator = isa [ISA_TERMINATOR_AT];
    char repetition = isa [ISA_REPETITION_AT];
    const char *roles [3] = { "element", "component", "segment" };
    char seps [3] = { element, component, terminator };
    for (int i = 0; i < 3; i++) {
        unsigned char c = (unsigned char) seps [i];
        if (isalnum (c) || c == ' ' || c == 0)
            return s_fail (self, number, "ISA",
                           "%s separator 0x%02x is a letter, digit, blank or NUL",
                           roles [i], c);
        for (int j = 0; j < i; j++)
            if (seps [j] == seps [i])
                return s_fail (self, number, "ISA",
                               "%s and %s separators are both '%c'",
                               roles [j], roles [i], seps [i]);
    }
    //  ISA11 is a separator only in 5010 and when it is a delimiter-like
    //  byte distinct from the others; 4010 files send "U" there, and some
    //  real files repeat the component separator in it.
    unsigned char r = (unsigned char) repetition;
    if (isalnum (r) || r == ' ' || repetition == element
    ||  repetition == component || repetition == terminator)
        repetition = 0;
    self->sep.element = element;
    self->sep.component = component;
    self->sep.repetition = repetition;
    self->sep.segment = terminator;
    memset (self->stops, 0, sizeof self->stops);
    self->stops [0] = S_STOP_END;
    self->stops [(unsigned char) element] = S_STOP_ELEMENT;
    self->stops [(unsigned char) component] = S_STOP_COMPONENT;
    //  The terminator is not part of the segment's text.
    self->raw_len = ISA_LENGTH - 1;
    self->raw [self->raw_len] = 0;
    return 0;
}

//  Reads up to and excluding the segment terminator. Returns 1 with the
//  segment's bytes in bytes / bytes_len, 0 at a clean end of input, -1 on
//  error. A segment that lies whole in the chunk is pointed at there; one
//  that straddles chunks (and the ISA) is gathered in raw: s_split copies
//  the bytes once either way (issue 19: a copy into raw for every segment
//  was ~10 % of the tokenizer).
static int
s_read_raw (x12_reader_t *self)
{
    self->raw_len = 0;
    //  Between segments there is mostly nothing to skip: the call only
    //  when the next byte may be skipped (or is not in the chunk).
    bool skip = self->at_start || self->chunk_pos == self->chunk_len
             || self->envelope == ENV_OUTSIDE;
    if (!skip) {
        uint8_t c = self->chunk [self->chunk_pos];
        skip = c == '\r' || c == '\n' || c == ' ' || c == '\t';
    }
    if (skip) {
        s_skip_between (self);
        if (self->failed)
            return -1;
    }
    if (self->envelope == ENV_OUTSIDE) {
        if (self->raw_len == 0 && s_peek (self) < 0) {
            if (self->failed)
                return -1;
            if (self->interchanges == 0)
                return s_fail (self, 1, "", "empty file: no ISA segment");
            return 0;
        }
        if (s_read_isa (self))
            return -1;
        self->bytes = self->raw;
        self->bytes_len = self->raw_len;
        return 1;
    }
    if (self->chunk_pos < self->chunk_len) {
        const uint8_t *start = self->chunk + self->chunk_pos;
        size_t have = self->chunk_len - self->chunk_pos;
        const uint8_t *end = memchr (start, (unsigned char) self->sep.segment, have);
        size_t take = end? (size_t) (end - start): 0;
        if (end && take <= X12_MAX_SEGMENT) {
            self->chunk_pos += take + 1;        //  the terminator too
            //  A newline terminator in a CRLF file leaves the CR behind.
            while (take > 0 && start [take - 1] == '\r')
                take--;
            self->bytes = (const char *) start;
            self->bytes_len = take;
            return 1;
        }
    }
    while (true) {
        if (s_peek (self) < 0) {
            if (self->failed)
                return -1;
            if (self->raw_len == 0)
                return 0;
            char id [4];
            s_raw_id (self, id);
            return s_fail (self, self->segments + 1, id,
                           "file ends inside a segment (no segment terminator '%c')",
                           self->sep.segment);
        }
        const uint8_t *start = self->chunk + self->chunk_pos;
        size_t have = self->chunk_len - self->chunk_pos;
        const uint8_t *end = memchr (start, (unsigned char) self->sep.segment, have);
        size_t take = end? (size_t) (end - start): have;
        if (self->raw_len + take > X12_MAX_SEGMENT) {
            char id [4];
            if (self->raw_len < 3)
                s_raw_append (self, start, take < 3? take: 3);
            s_raw_id (self, id);
            return s_fail (self, self->segments + 1, id,
                           "segment longer than %d bytes (missing terminator '%c'?)",
                           X12_MAX_SEGMENT, self->sep.segment);
        }
        s_raw_append (self, start, take);
        self->chunk_pos += take;
        if (end) {
            self->chunk_pos++;      //  the terminator
            //  A newline terminator in a CRLF file leaves the CR behind.
            while (self->raw_len > 0 && self->raw [self->raw_len - 1] == '\r')
                self->raw [--self->raw_len] = 0;
            self->bytes = self->raw;
            self->bytes_len = self->raw_len;
            return 1;
        }
    }
}

static void
s_grow (void **array, size_t *cap, size_t need, size_t item)
{
    if (need <= *cap)
        return;
    size_t n = *cap? *cap: 32;
    while (n < need)
        n *= 2;
    *array = realloc (*array, n * item);
    assert (*array);
    *cap = n;
}

//  Splits bytes into the segment's elements and components. Returns 0 or -1
//  (bad segment id, NUL byte).
//
//  One copy of the segment (text) is cut at its element separators; the
//  components of an element without a component separator are the element
//  itself, so a second copy (parts, cut at both separators) is made only
//  from the first component separator on: most segments have none. The
//  scan stops only at the bytes in stops (the two separators and NUL):
//  the tokenizer was 42 % of parse + scrub (issue 19).
static int
s_split (x12_reader_t *self)
{
    x12_segment_t *seg = &self->segment;
    uint64_t number = self->segments + 1;
    seg->number = number;
    size_t size = self->bytes_len;
    if (size + 1 > seg->capacity) {
        seg->capacity = size + 1;
        seg->text = realloc (seg->text, seg->capacity);
        seg->parts = realloc (seg->parts, seg->capacity);
        assert (seg->text && seg->parts);
    }
    char *text = seg->text;
    memcpy (text, self->bytes, size);
    text [size] = 0;
    //  A segment of size bytes has at most size + 1 elements and parts:
    //  the arrays are grown once here, not checked at every separator.
    size_t cap = seg->elements_cap;
    s_grow ((void **) &seg->elements, &seg->elements_cap, size + 1, sizeof (char *));
    if (seg->elements_cap != cap) {
        //  The three per-element arrays grow together.
        seg->first_part = realloc (seg->first_part, seg->elements_cap * sizeof (size_t));
        seg->part_count = realloc (seg->part_count, seg->elements_cap * sizeof (size_t));
        assert (seg->first_part && seg->part_count);
    }
    s_grow ((void **) &seg->parts_at, &seg->parts_cap, size + 1, sizeof (char *));
    seg->count = 0;
    seg->split = false;
    size_t parts = 0;
    size_t start = 0;
    size_t part_start = 0;
    size_t element_first = 0;   //  index in parts_at of this element's component 1
    char *cut = NULL;           //  parts, once a component separator was seen
    const uint8_t *stops = self->stops;
    size_t i = 0;
    while (true) {
        uint8_t stop;
        while (!(stop = stops [(unsigned char) text [i]]))
            i++;
        if (stop != S_STOP_ELEMENT) {
            if (stop == S_STOP_COMPONENT) {
                if (seg->count == 0) {
                    i++;        //  inside the id: a plain byte (the id check fails)
                    continue;
                }
                if (!cut) {
                    //  What is before is cut already in text: copied with
                    //  it, and the elements so far are one component each.
                    cut = seg->parts;
                    memcpy (cut, text, size + 1);
                    for (size_t k = 0; k < seg->count; k++) {
                        seg->parts_at [k] = seg->elements [k];
                        seg->first_part [k] = k;
                        seg->part_count [k] = 1;
                    }
                    parts = element_first = seg->count;
                    seg->split = true;
                }
                cut [i] = 0;
                seg->parts_at [parts++] = cut + part_start;
                part_start = ++i;
                continue;
            }
            if (i < size) {
                char id [4];
                s_bytes_id (self->bytes, size, id);
                return s_fail (self, number, id, "NUL byte inside the segment");
            }
        }
        //  An element separator, or the end (text [size] is its NUL).
        text [i] = 0;
        if (cut) {
            cut [i] = 0;
            seg->parts_at [parts++] = cut + part_start;
            seg->first_part [seg->count] = element_first;
            seg->part_count [seg->count] = parts - element_first;
            element_first = parts;
        }
        seg->elements [seg->count++] = text + start;
        if (stop == S_STOP_END)
            break;
        start = part_start = ++i;
    }
    //  The id: element 0, which ends before any component is cut.
    const char *id = seg->elements [0];
    size_t id_len = seg->count > 1? (size_t) (seg->elements [1] - text) - 1: size;
    const uint8_t *id_char = self->id_char;
    bool ok = id_len >= 2 && id_len <= 3
           && id_char [(unsigned char) id [0]] && id_char [(unsigned char) id [1]]
           && (id_len == 2 || id_char [(unsigned char) id [2]]);
    if (!ok) {
        char shown [4];
        s_bytes_id (self->bytes, size, shown);
        return s_fail (self, number, shown,
                       "segment id '%s' is not 2 or 3 capital letters and digits", shown);
    }
    return 0;
}


//  ---------------------------------------------------------------------
//  Envelope

//  Copies a control number, trailing blanks removed; -1 when too long.
static int
s_control (char *dest, const char *value)
{
    size_t len = strlen (value);
    while (len > 0 && value [len - 1] == ' ')
        len--;
    if (len > CONTROL_MAX)
        return -1;
    memcpy (dest, value, len);
    dest [len] = 0;
    return 0;
}

//  Control numbers match when equal as text or, both being digits only,
//  as numbers ("000000905" and "905"): senders differ in zero padding.
static bool
s_same_control (const char *a, const char *b)
{
    if (strcmp (a, b) == 0)
        return true;
    if (!*a || !*b || strspn (a, "0123456789") != strlen (a)
    ||  strspn (b, "0123456789") != strlen (b))
        return false;
    while (*a == '0' && a [1]) a++;
    while (*b == '0' && b [1]) b++;
    return strcmp (a, b) == 0;
}

//  Parses a count element: digits only. Returns -1 when not a number.
static int64_t
s_count (const char *value)
{
    if (!*value || strlen (value) > 15 || strspn (value, "0123456789") != strlen (value))
        return -1;
    return strtoll (value, NULL, 10);
}

//  id is the envelope segment name: the first letter first, since nearly
//  every segment of a file is content and fails on it.
static inline bool
s_is (const char *id, const char *name)
{
    return id [0] == name [0] && strcmp (id, name) == 0;
}

static inline const char *
s_element (const x12_segment_t *seg, size_t index)
{
    return index < seg->count? seg->elements [index]: "";
}

static int
s_envelope (x12_reader_t *self)
{
    x12_segment_t *seg = &self->segment;
    const char *id = seg->elements [0];
    //  Nearly every segment is content inside a transaction set: no
    //  envelope id starts with another letter than I, G or S.
    if (self->envelope == ENV_TRANSACTION && id [0] != 'I' && id [0] != 'G' && id [0] != 'S') {
        self->segments_in_set++;
        return 0;
    }
    uint64_t n = seg->number;
    const char *e1 = s_element (seg, 1);
    const char *e2 = s_element (seg, 2);

    if (s_is (id, "ISA")) {
        if (self->envelope != ENV_OUTSIDE)
            return s_fail (self, n, id, "ISA inside an open interchange (IEA missing)");
        if (s_control (self->isa13, x12_segment_element (seg, 13)))
            return s_fail (self, n, id, "ISA13 control number too long");
        self->envelope = ENV_INTERCHANGE;
        self->interchanges++;
        self->isa_segment = n;
        self->groups_in_isa = 0;
        return 0;
    }
    if (s_is (id, "IEA")) {
        if (self->envelope != ENV_INTERCHANGE)
            return s_fail (self, n, id, self->envelope == ENV_OUTSIDE
                           ? "IEA without ISA": "IEA before the open group or transaction set is closed");
        int64_t count = s_count (e1);
        if (count < 0 || (uint64_t) count != self->groups_in_isa)
            return s_fail (self, n, id, "IEA01 is '%s' but the interchange has %llu functional groups",
                           e1, (unsigned long long) self->groups_in_isa);
        if (!s_same_control (e2, self->isa13))
            return s_fail (self, n, id, "IEA02 '%s' does not match ISA13 '%s'", e2, self->isa13);
        self->envelope = ENV_OUTSIDE;
        return 0;
    }
    if (s_is (id, "GS")) {
        if (self->envelope != ENV_INTERCHANGE)
            return s_fail (self, n, id, self->envelope == ENV_OUTSIDE
                           ? "GS outside an interchange (no ISA)": "GS inside an open functional group (GE missing)");
        if (s_control (self->gs06, x12_segment_element (seg, 6)))
            return s_fail (self, n, id, "GS06 control number too long");
        self->envelope = ENV_GROUP;
        self->groups_in_isa++;
        self->sets_in_group = 0;
        return 0;
    }
    if (s_is (id, "GE")) {
        if (self->envelope != ENV_GROUP)
            return s_fail (self, n, id, self->envelope == ENV_TRANSACTION
                           ? "GE before the open transaction set is closed (SE missing)": "GE without GS");
        int64_t count = s_count (e1);
        if (count < 0 || (uint64_t) count != self->sets_in_group)
            return s_fail (self, n, id, "GE01 is '%s' but the group has %llu transaction sets",
                           e1, (unsigned long long) self->sets_in_group);
        if (!s_same_control (e2, self->gs06))
            return s_fail (self, n, id, "GE02 '%s' does not match GS06 '%s'", e2, self->gs06);
        self->envelope = ENV_INTERCHANGE;
        return 0;
    }
    if (s_is (id, "ST")) {
        if (self->envelope != ENV_GROUP)
            return s_fail (self, n, id, self->envelope == ENV_TRANSACTION
                           ? "ST inside an open transaction set (SE missing)": "ST outside a functional group (no GS)");
        if (s_control (self->st02, e2))
            return s_fail (self, n, id, "ST02 control number too long");
        self->envelope = ENV_TRANSACTION;
        self->sets_in_group++;
        self->segments_in_set = 1;
        return 0;
    }
    if (self->envelope != ENV_TRANSACTION)
        return s_fail (self, n, id, "%s outside a transaction set (no ST)", id);
    self->segments_in_set++;
    if (s_is (id, "SE")) {
        int64_t count = s_count (e1);
        if (count < 0 || (uint64_t) count != self->segments_in_set)
            return s_fail (self, n, id, "SE01 is '%s' but the transaction set has %llu segments",
                           e1, (unsigned long long) self->segments_in_set);
        if (!s_same_control (e2, self->st02))
            return s_fail (self, n, id, "SE02 '%s' does not match ST02 '%s'", e2, self->st02);
        self->envelope = ENV_GROUP;
    }
    return 0;
}


//  ---------------------------------------------------------------------
//  The reader

int
x12_reader_next (x12_reader_t *self, x12_segment_t **segment_p)
{
    assert (self);
    assert (segment_p);
    *segment_p = NULL;
    if (self->failed)
        return -1;
    int rc = s_read_raw (self);
    if (rc == 0) {
        if (self->envelope != ENV_OUTSIDE)
            return s_fail (self, self->segments + 1, "",
                           "file ends inside the interchange opened at segment %llu (IEA missing)",
                           (unsigned long long) self->isa_segment);
        return 0;
    }
    if (rc < 0)
        return -1;
    if (s_split (self) || s_envelope (self))
        return -1;
    self->segments++;
    *segment_p = &self->segment;
    return 1;
}


//  ---------------------------------------------------------------------
//  Segment accessors

const char *
x12_segment_id (x12_segment_t *self)
{
    assert (self);
    return self->elements [0];
}

uint64_t
x12_segment_number (x12_segment_t *self)
{
    assert (self);
    return self->number;
}

size_t
x12_segment_count (x12_segment_t *self)
{
    assert (self);
    return self->count - 1;
}

const char *
x12_segment_element (x12_segment_t *self, size_t index)
{
    assert (self);
    return index < self->count? self->elements [index]: "";
}

size_t
x12_segment_components (x12_segment_t *self, size_t index)
{
    assert (self);
    if (index == 0 || index >= self->count)
        return 0;
    return self->split? self->part_count [index]: 1;
}

const char *
x12_segment_component (x12_segment_t *self, size_t index, size_t component)
{
    assert (self);
    if (index == 0 || index >= self->count || component == 0)
        return "";
    if (!self->split)
        //  No component separator in the segment: each element is one.
        return component == 1? self->elements [index]: "";
    if (component > self->part_count [index])
        return "";
    return self->parts_at [self->first_part [index] + component - 1];
}


//  ---------------------------------------------------------------------
//  Element values: numbers and dates, exact, no floating point.

//  Parses an optionally signed decimal into units of 10^-scale; fraction
//  digits beyond scale must be zeros.
static int
s_fixed (const char *text, int scale, int64_t *value)
{
    const char *p = text;
    bool negative = false;
    if (*p == '-' || *p == '+')
        negative = *p++ == '-';
    int64_t whole = 0;
    int digits = 0;
    while (isdigit ((unsigned char) *p)) {
        if (whole > (INT64_C (1) << 40))
            return -1;          //  far beyond any charge: refuse before overflow
        whole = whole * 10 + (*p++ - '0');
        digits++;
    }
    int64_t fraction = 0;
    int places = 0;
    if (*p == '.') {
        p++;
        while (isdigit ((unsigned char) *p)) {
            if (places < scale) {
                fraction = fraction * 10 + (*p - '0');
                places++;
            }
            else
            if (*p != '0')
                return -1;      //  would need rounding: not exact
            p++;
            digits++;
        }
    }
    if (*p || digits == 0)
        return -1;
    while (places < scale) {
        fraction *= 10;
        places++;
    }
    int64_t unit = 1;
    for (int i = 0; i < scale; i++)
        unit *= 10;
    *value = whole * unit + fraction;
    if (negative)
        *value = -*value;
    return 0;
}

int
x12_cents (const char *text, int64_t *cents)
{
    assert (text && cents);
    return s_fixed (text, 2, cents);
}

int
x12_milli (const char *text, int64_t *milli)
{
    assert (text && milli);
    return s_fixed (text, 3, milli);
}

int
x12_valid_date (const char *text)
{
    assert (text);
    if (strlen (text) != 8 || strspn (text, "0123456789") != 8)
        return 0;
    int year = (text [0] - '0') * 1000 + (text [1] - '0') * 100 + (text [2] - '0') * 10 + (text [3] - '0');
    int month = (text [4] - '0') * 10 + (text [5] - '0');
    int day = (text [6] - '0') * 10 + (text [7] - '0');
    static const int days_in [] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    if (year < 1800 || month < 1 || month > 12 || day < 1)
        return 0;
    int last = days_in [month - 1];
    if (month == 2 && ((year % 4 == 0 && year % 100 != 0) || year % 400 == 0))
        last = 29;
    return day <= last;
}

int
x12_number (const char *text, uint64_t *value)
{
    assert (text && value);
    //  By hand: strlen, strspn and strtoull took ~160 instructions an HL.
    uint64_t number = 0;
    size_t i = 0;
    for (; text [i] >= '0' && text [i] <= '9'; i++) {
        if (i == 12)
            return -1;
        number = number * 10 + (uint64_t) (text [i] - '0');
    }
    if (i == 0 || text [i])
        return -1;
    *value = number;
    return 0;
}

void
x12_reader_error_into (x12_reader_t *self, uint64_t *segment, char *id, size_t id_size,
                       char *error, size_t error_size)
{
    *segment = x12_reader_error_segment (self);
    snprintf (id, id_size, "%s", x12_reader_error_id (self));
    snprintf (error, error_size, "%s", x12_reader_error (self));
}

void
x12_segment_error (x12_segment_t *seg, uint64_t *segment, char *id, size_t id_size,
                   char *error, size_t error_size, const char *format, va_list args)
{
    char reason [256];
    vsnprintf (reason, sizeof reason, format, args);
    if (segment)
        *segment = x12_segment_number (seg);
    if (id)
        snprintf (id, id_size, "%s", x12_segment_id (seg));
    snprintf (error, error_size, "segment %" PRIu64 " (%s): %s",
              x12_segment_number (seg), x12_segment_id (seg), reason);
}

//  HL01 and HL02: HL01 a number above the transaction set's previous HL01
//  (*last, when *have), HL02 a number or empty (0). Moves *last / *have on
//  and returns 0, or -1 with the reason in reason.
static int
s_hl_ids (x12_segment_t *seg, uint64_t *last, bool *have, uint64_t *id, uint64_t *parent,
          char *reason, size_t reason_size)
{
    const char *id_text = x12_segment_element (seg, 1);
    const char *parent_text = x12_segment_element (seg, 2);
    *parent = 0;
    if (x12_number (id_text, id)) {
        snprintf (reason, reason_size, "HL01 '%s' is not a number", id_text);
        return -1;
    }
    if (*have && *id <= *last) {
        snprintf (reason, reason_size, "HL01 %s is not greater than the previous HL01 %" PRIu64, id_text, *last);
        return -1;
    }
    if (*parent_text && x12_number (parent_text, parent)) {
        snprintf (reason, reason_size, "HL02 '%s' is not a number", parent_text);
        return -1;
    }
    *have = true;
    *last = *id;
    return 0;
}

void
x12_hl_init (x12_hl_t *self, const x12_hl_level_t *levels, size_t count, const char *guide)
{
    assert (count <= X12_HL_LEVELS);
    memset (self, 0, sizeof *self);
    self->levels = levels;
    self->count = count;
    self->guide = guide;
    x12_hl_reset (self);
}

void
x12_hl_reset (x12_hl_t *self)
{
    self->have = false;
    self->last = 0;
    for (size_t i = 0; i < self->count; i++)
        self->is_open [i] = false;
    self->level = -1;
}

int
x12_hl_open (x12_hl_t *self, x12_segment_t *seg, char *reason, size_t reason_size)
{
    uint64_t id, parent;
    if (s_hl_ids (seg, &self->last, &self->have, &id, &parent, reason, reason_size))
        return -1;
    const char *code = x12_segment_element (seg, 3);
    size_t row = 0;
    while (row < self->count && strcmp (self->levels [row].code, code) != 0)
        row++;
    if (row == self->count) {
        //  The guide's codes, as a reader says them: "20, 22 or 23".
        char codes [128] = "";
        size_t used = 0;
        for (size_t i = 0; i < self->count && used < sizeof codes; i++)
            used += snprintf (codes + used, sizeof codes - used, "%s%s",
                              i == 0? "": i + 1 == self->count? " or ": ", ", self->levels [i].code);
        snprintf (reason, reason_size, "HL03 level '%s' is not %s (%s)", code, codes, self->guide);
        return -1;
    }
    const x12_hl_level_t *level = &self->levels [row];
    if (level->parent >= 0) {
        size_t up = (size_t) level->parent;
        if (!self->is_open [up] || parent != self->open [up]) {
            snprintf (reason, reason_size, "%s HL's parent '%s' is not the open %s HL%s",
                      level->name, x12_segment_element (seg, 2), self->levels [up].name,
                      self->is_open [up]? "": " (none open)");
            return -1;
        }
    }
    //  Levels are listed top down: those after this one are under it.
    for (size_t under = row + 1; under < self->count; under++)
        self->is_open [under] = false;
    self->open [row] = id;
    self->is_open [row] = true;
    self->level = (int) row;
    return (int) row;
}
