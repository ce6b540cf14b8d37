/*  x12: a streaming X12 tokenizer and envelope validator.

    The reader takes its separators from each ISA segment (element separator
    = byte 3, repetition separator = ISA11, component separator = ISA16,
    segment terminator = the byte after ISA16), so any separator style works,
    and a file may hold several ISA envelopes with different styles. A UTF-8
    BOM at the start, CR / LF after terminators and blanks before a segment
    id are skipped.

    It streams: bytes come in chunks (64 KiB by default) from a FILE* or a
    memory buffer, and only the current segment is kept, so the heap a file
    needs does not grow with its size.

    Every segment handed out has passed the envelope checks that can be made
    when it arrives: ISA is exactly 106 characters with separators where
    they belong; GS only inside ISA, ST only inside GS, content only inside
    ST; SE01 = segments from ST to SE inclusive, SE02 = ST02; GE01 = number
    of ST, GE02 = GS06; IEA01 = number of GS, IEA02 = ISA13; the file ends
    after an IEA. The first violation ends the read with -1 and an error
    naming the segment number (from 1 at the file's first ISA), segment id
    and reason; a file with such an error is to be refused whole.

        x12_reader_t *reader = x12_reader_new_file (file);
        x12_segment_t *segment;
        int rc;
        while ((rc = x12_reader_next (reader, &segment)) == 1)
            use (x12_segment_id (segment), x12_segment_element (segment, 1));
        if (rc == -1)
            fprintf (stderr, "%s\n", x12_reader_error (reader));
        x12_reader_destroy (&reader);
*/
#ifndef RCMQ_X12_H
#define RCMQ_X12_H

#include <stddef.h>
#include <stdint.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

typedef struct _x12_reader_t x12_reader_t;
typedef struct _x12_segment_t x12_segment_t;

//  Longest segment accepted, in bytes; longer is an error (a file without
//  the terminator it announced would otherwise be read whole into memory).
#define X12_MAX_SEGMENT 65536
//  Chunk size used unless x12_reader_set_chunk_size says otherwise.
#define X12_DEFAULT_CHUNK 65536

typedef struct {
    char element;       //  ISA byte 3
    char component;     //  ISA16
    char repetition;    //  ISA11, or 0 when ISA11 is not a separator (4010 "U")
    char segment;       //  byte after ISA16
} x12_separators_t;

//  Reads from an open file; the caller keeps ownership of the FILE*.
x12_reader_t *x12_reader_new_file (FILE *file);
//  Reads from memory the caller keeps alive until the reader is destroyed.
x12_reader_t *x12_reader_new_buffer (const void *data, size_t size);
void          x12_reader_destroy (x12_reader_t **self_p);

//  Reads at most size bytes per refill (at least 1). Tests use tiny sizes
//  to put chunk boundaries everywhere.
void x12_reader_set_chunk_size (x12_reader_t *self, size_t size);

//  Next segment: 1 and *segment_p set (owned by the reader, valid until the
//  next call), 0 at a clean end of input, -1 on error (see x12_reader_error).
//  After -1 every later call returns -1.
int x12_reader_next (x12_reader_t *self, x12_segment_t **segment_p);

//  "segment N (ID): reason" after -1, else NULL.
const char *x12_reader_error (x12_reader_t *self);
//  Segment number and id the error is about (0 and "" when none).
uint64_t    x12_reader_error_segment (x12_reader_t *self);
const char *x12_reader_error_id (x12_reader_t *self);

//  Separators of the current interchange (all zero before the first ISA).
x12_separators_t x12_reader_separators (x12_reader_t *self);
//  Segments handed out so far; ISA envelopes started so far.
uint64_t x12_reader_segments (x12_reader_t *self);
uint32_t x12_reader_interchanges (x12_reader_t *self);
//  Bytes taken from the input so far, whole chunks (so up to a chunk past
//  the current segment): for a FILE*, what ftell would say, without its
//  lseek system call (a progress figure asked once a claim).
uint64_t x12_reader_bytes (x12_reader_t *self);

//  The segment id ("ISA", "NM1").
const char *x12_segment_id (x12_segment_t *self);
//  True when a segment id is name. Inline, byte by byte: a reader asks it
//  several times a segment (the 277CA's and 835's dispatch, issue 19), and
//  ids are two or three letters, shorter than a call of strcmp.
static inline bool
x12_id_is (const char *id, const char *name)
{
    while (*name && *id == *name) {
        id++;
        name++;
    }
    return *id == *name;
}
//  Segment number in the file, from 1.
uint64_t    x12_segment_number (x12_segment_t *self);
//  Number of elements after the id (trailing empty ones included as sent).
size_t      x12_segment_count (x12_segment_t *self);
//  Element index (from 1, as in "NM109"); "" when the segment has fewer.
//  The text is the whole element, component separators included.
const char *x12_segment_element (x12_segment_t *self, size_t index);
//  Component index (from 1) of element index; "" when absent. An element
//  without component separators is its own component 1.
const char *x12_segment_component (x12_segment_t *self, size_t index, size_t component);
//  Number of components in element index (0 when the element is absent).
size_t      x12_segment_components (x12_segment_t *self, size_t index);
//  A reader's refusal of segment seg, as every reader words it: "segment
//  N (ID): reason", the reason from format, into error; the segment's
//  number and id into *segment and id when they are not NULL.
void x12_segment_error (x12_segment_t *seg, uint64_t *segment, char *id, size_t id_size,
                        char *error, size_t error_size, const char *format, va_list args)
    __attribute__ ((format (printf, 7, 0)));

//  The HL hierarchy of a guide, read the one way every reader of one reads
//  it (837P at intake, 277CA at claims): a level of the guide's table,
//  listed top down, each naming the level its parent must be. An HL must
//  name the open HL of that level as its parent (HL02), since a claim filed
//  under the wrong provider or subscriber would be misread; HL01 grows
//  within a transaction set; opening a level closes those under it.
typedef struct {
    const char *code;           //  HL03: "22"
    int parent;                 //  the row of the parent's level; -1: a top level
    const char *name;           //  in refusals: "subscriber"
    int loop;                   //  the reader's own: the loop the level opens
} x12_hl_level_t;

#define X12_HL_LEVELS 8

typedef struct {
    const x12_hl_level_t *levels;
    size_t count;               //  at most X12_HL_LEVELS
    const char *guide;          //  "837P", in refusals
    uint64_t last;              //  the previous HL01, when have
    bool have;
    uint64_t open [X12_HL_LEVELS];      //  HL01 of the open HL of each level
    bool is_open [X12_HL_LEVELS];
    int level;                  //  the row of the HL opened last; -1: none
} x12_hl_t;

//  Starts a reader's hierarchy on the guide's levels (a static table).
void x12_hl_init (x12_hl_t *self, const x12_hl_level_t *levels, size_t count, const char *guide);
//  A new transaction set (ST, and SE): no HL seen, none open.
void x12_hl_reset (x12_hl_t *self);
//  Opens the HL segment seg: HL01 a number above the previous HL01, HL02 a
//  number or empty, HL03 one of the levels, HL02 the open HL of its
//  parent's level. Returns the level's row (self->level), or -1 with the
//  reason in reason ("HL03 level 'X' is not 20, 22 or 23 (837P)", "patient
//  HL's parent '7' is not the open subscriber HL").
int  x12_hl_open (x12_hl_t *self, x12_segment_t *seg, char *reason, size_t reason_size);

//  Copies the error after -1 into a report's fields (a reader built on
//  this one hands its caller one report: segment number, id, reason).
void x12_reader_error_into (x12_reader_t *self, uint64_t *segment, char *id, size_t id_size,
                            char *error, size_t error_size);

//  Element values, exact (no floating point), shared by every reader of
//  X12 (837P at intake; 835 and 277CA at claims).
//
//  "123.45", "100", "-5.5", ".5" -> cents. Returns 0, or -1 when not a
//  decimal with at most two significant fraction digits or out of range.
int x12_cents (const char *text, int64_t *cents);
//  "1", "1.5", "0.125" -> thousandths. Returns 0 or -1.
int x12_milli (const char *text, int64_t *milli);
//  1 when text is a valid CCYYMMDD calendar date, else 0.
int x12_valid_date (const char *text);
//  A counting number as HL01/HL02 carry it (1 to 12 digits). 0 or -1.
int x12_number (const char *text, uint64_t *value);

#endif
