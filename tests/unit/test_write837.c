/*  Tests for write837: claims written as an 837P batch and read back with
    our own reader and parse_837p must come back field for field (bar the
    envelope, which must equal the header); the envelope counts, control
    numbers and HL hierarchy must hold; claims that cannot be sent are
    refused with their PCN; separators move aside when data holds them; and
    Debian's X12::Parser (tests/unit/x12parser-837.pl) must read the file
    with every segment in a loop its 837P map allows.

    Claims are built the way intake builds them (every Provider has an
    Address message, ids carry NM108), since those are the claims the writer
    is given.
*/
#include "suites.h"
#include "parse_837p.h"
#include "write837.h"

#include <libgen.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#define PAYER "60054"
//  2026-11-02T09:30:00Z
#define NOW_MS UINT64_C (1793611800000)


//  ---------------------------------------------------------------------
//  Building claims

static char *
s_str (const char *text)
{
    char *copy = strdup (text? text: "");
    ck_assert_ptr_nonnull (copy);
    return copy;
}

static Address *
s_address (const char *line1, const char *line2, const char *city, const char *state, const char *zip)
{
    Address *address = malloc (sizeof *address);
    address__init (address);
    address->line1 = s_str (line1);
    address->line2 = s_str (line2);
    address->city = s_str (city);
    address->state = s_str (state);
    address->postal_code = s_str (zip);
    return address;
}

static Provider *
s_provider (const char *entity, const char *name, const char *first, const char *npi)
{
    Provider *provider = malloc (sizeof *provider);
    provider__init (provider);
    provider->entity_type = s_str (entity);
    provider->name = s_str (name);
    provider->first_name = s_str (first);
    provider->id_qualifier = s_str ("XX");
    provider->id = s_str (npi);
    provider->npi = s_str (npi);
    provider->address = s_address (NULL, NULL, NULL, NULL, NULL);
    return provider;
}

static void
s_push (void ***array, size_t *count, void *item)
{
    *array = realloc (*array, (*count + 1) * sizeof (void *));
    (*array) [(*count)++] = item;
}

static const char *s_codes [] = { "E119", "I10", "J069", "M545", "Z0000", "E785",
                                  "R05", "K219", "F419", "Z23", "M25561", "S93401A" };
static const char *s_procedures [] = { "99213", "99214", "36415", "J3301", "93000" };
static const char *s_modifiers [] = { "25", "59", "GT", "LT" };

//  A claim whose shape depends on variant, so a handful of variants cover
//  patient / no patient, rendering / facility present or not, frequency 1 /
//  7 / 8, D8 and RD8 dates, 1 to 12 diagnoses, 0 to 4 modifiers and
//  pointers, fractional units, line place of service.
static Claim *
s_claim (const char *pcn, int variant)
{
    Claim *claim = malloc (sizeof *claim);
    claim__init (claim);

    claim->billing_provider = variant % 2 == 0
        ? s_provider ("2", "RIVERSIDE MEDICAL GROUP", "", "1542098725")
        : s_provider ("2", "LAKESHORE PHYSICIANS", "", "1765432197");
    Provider *billing = claim->billing_provider;
    address__free_unpacked (billing->address, NULL);
    billing->address = variant % 2 == 0
        ? s_address ("100 RIVER RD", "SUITE 4", "SPRINGFIELD", "IL", "62701")
        : s_address ("8 LAKE SHORE DR", "", "CHICAGO", "IL", "60611");
    billing->tax_id = s_str (variant % 2 == 0? "371234567": "362345678");
    billing->taxonomy = s_str (variant % 2 == 0? "207Q00000X": "207R00000X");

    bool dependant = variant % 3 == 1;
    Subscriber *sub = malloc (sizeof *sub);
    subscriber__init (sub);
    sub->payer_responsibility = s_str ("P");
    sub->relationship = s_str (dependant? "": "18");
    sub->group_number = s_str ("GRP60054");
    sub->group_name = s_str (variant % 2? "ACME EMPLOYEES": "");
    sub->claim_filing_indicator = s_str ("CI");
    sub->last_name = s_str ("SMITH");
    sub->first_name = s_str ("MARY");
    sub->middle_name = s_str (variant % 2? "Q": "");
    sub->suffix = s_str (variant % 4 == 0? "JR": "");
    char member [32];
    snprintf (member, sizeof member, "M%09d", 1000 + variant);
    sub->member_id = s_str (member);
    sub->birth_date = s_str ("19800215");
    sub->gender = s_str ("F");
    sub->address = s_address ("12 MAPLE AVE", variant % 2? "APT 3": "", "PEORIA", "IL", "61602");
    claim->subscriber = sub;

    Payer *payer = malloc (sizeof *payer);
    payer__init (payer);
    payer->name = s_str ("ACME HEALTH PLAN");
    payer->payer_id = s_str (PAYER);
    claim->payer = payer;

    if (dependant) {
        Patient *patient = malloc (sizeof *patient);
        patient__init (patient);
        patient->relationship = s_str ("19");
        patient->last_name = s_str ("SMITH");
        patient->first_name = s_str ("JOSEPH");
        patient->middle_name = s_str ("");
        patient->suffix = s_str ("");
        patient->birth_date = s_str ("20150704");
        patient->gender = s_str ("M");
        patient->address = s_address ("12 MAPLE AVE", "", "PEORIA", "IL", "61602");
        claim->patient = patient;
    }

    claim->patient_control_number = s_str (pcn);
    claim->place_of_service = s_str (variant % 5 == 2? "02": "11");
    claim->facility_code_qualifier = s_str ("B");
    static const char *frequencies [] = { "1", "1", "7", "1", "8" };
    const char *frequency = frequencies [variant % 5];
    claim->frequency_code = s_str (frequency);
    if (strcmp (frequency, "1") != 0)
        claim->payer_claim_number = s_str ("PAYERICN0042");
    else
        claim->payer_claim_number = s_str ("");
    claim->prior_authorization = s_str (variant % 2 == 0? "PA000123": "");

    ClaimDate *onset = malloc (sizeof *onset);
    claim_date__init (onset);
    onset->qualifier = s_str ("431");
    onset->date_from = s_str ("20261001");
    onset->date_to = s_str ("20261001");
    s_push ((void ***) &claim->dates, &claim->n_dates, onset);
    if (variant % 2) {
        ClaimDate *range = malloc (sizeof *range);
        claim_date__init (range);
        range->qualifier = s_str ("435");
        range->date_from = s_str ("20261003");
        range->date_to = s_str ("20261006");
        s_push ((void ***) &claim->dates, &claim->n_dates, range);
    }

    size_t dx_count = variant == 3? 12: 1 + (size_t) variant % 4;
    for (size_t i = 0; i < dx_count; i++) {
        Diagnosis *dx = malloc (sizeof *dx);
        diagnosis__init (dx);
        dx->qualifier = s_str (i == 0? "ABK": "ABF");
        dx->code = s_str (s_codes [(i + (size_t) variant) % 12]);
        s_push ((void ***) &claim->diagnoses, &claim->n_diagnoses, dx);
    }

    if (variant % 2 == 0) {
        claim->rendering_provider = s_provider ("1", "NGUYEN", "LINDA", "1245319599");
        claim->rendering_provider->taxonomy = s_str ("207Q00000X");
    }
    if (variant % 5 != 4) {
        claim->service_facility = s_provider ("2", "RIVERSIDE WEST", "", "1199887761");
        address__free_unpacked (claim->service_facility->address, NULL);
        claim->service_facility->address = s_address ("4500 WEST ST", "", "SPRINGFIELD", "IL", "62704");
    }

    size_t lines = 1 + (size_t) variant % 4;
    int64_t total = 0;
    for (size_t j = 0; j < lines; j++) {
        ServiceLine *line = malloc (sizeof *line);
        service_line__init (line);
        line->line_number = (uint32_t) j + 1;
        line->procedure_qualifier = s_str ("HC");
        line->procedure_code = s_str (s_procedures [(j + (size_t) variant) % 5]);
        size_t modifiers = (j + (size_t) variant) % 5;
        for (size_t m = 0; m < modifiers; m++)
            s_push ((void ***) &line->modifiers, &line->n_modifiers, s_str (s_modifiers [m]));
        line->charge_cents = 12500 + (int64_t) j * 1001 + variant;
        total += line->charge_cents;
        bool half = (j + (size_t) variant) % 3 == 2;
        line->unit_type = s_str (half? "MJ": "UN");
        line->units = s_str (half? "1.5": j == 1? "2": "1");
        line->units_milli = half? 1500: j == 1? 2000: 1000;
        line->place_of_service = s_str (j == 2? "22": "");
        size_t pointers = 1 + (j + (size_t) variant) % 4;
        if (pointers > dx_count)
            pointers = dx_count;
        line->diagnosis_pointers = calloc (pointers, sizeof (uint32_t));
        for (size_t p = 0; p < pointers; p++)
            line->diagnosis_pointers [line->n_diagnosis_pointers++] = (uint32_t) (dx_count - p);
        line->service_date_from = s_str ("20261005");
        line->service_date_to = s_str (j == 1? "20261007": "20261005");
        line->line_item_control_number = s_str (j == 0? "FROM-THE-PRACTICE": "");
        s_push ((void ***) &claim->lines, &claim->n_lines, line);
    }
    claim->total_charge_cents = total;
    return claim;
}

static Provider *
s_header_party (const char *name, const char *id)
{
    Provider *party = malloc (sizeof *party);
    provider__init (party);
    party->name = s_str (name);
    party->id = s_str (id);
    return party;
}

static write837_header_t
s_header (void)
{
    write837_header_t header = {
        .payer_id = PAYER,
        .sender_id = "RCMQCLAIMS",
        .receiver_id = "CLEARHOUSE01",
        .submitter = s_header_party ("RCMQ BILLING", "RCMQ01"),
        .contact_name = "BILLING OFFICE",
        .contact_phone = "5555550100",
        .receiver = s_header_party ("ACME CLEARING", "CH9000"),
        .interchange_control_number = 4711,
        .group_control_number = 812,
        .transaction_control_number = 1,
        .reference = "SUB4711",
        .now_ms = NOW_MS,
    };
    return header;
}

static void
s_header_free (write837_header_t *header)
{
    provider__free_unpacked ((Provider *) header->submitter, NULL);
    provider__free_unpacked ((Provider *) header->receiver, NULL);
}


//  ---------------------------------------------------------------------
//  Reading back

typedef struct {
    Claim *claims [64];
    size_t count;
} s_sink_t;

static int
s_collect (const Claim *claim, void *arg)
{
    s_sink_t *sink = arg;
    ck_assert_uint_lt (sink->count, 64);
    size_t size = claim__get_packed_size (claim);
    uint8_t *buffer = malloc (size + 1);
    claim__pack (claim, buffer);
    sink->claims [sink->count++] = claim__unpack (NULL, size, buffer);
    free (buffer);
    return 0;
}

static void
s_sink_free (s_sink_t *sink)
{
    for (size_t i = 0; i < sink->count; i++)
        claim__free_unpacked (sink->claims [i], NULL);
    sink->count = 0;
}

static int
s_read_back (const char *text, size_t size, s_sink_t *sink, parse_837p_report_t *report)
{
    x12_reader_t *reader = x12_reader_new_buffer (text, size);
    int rc = parse_837p (reader, s_collect, sink, report);
    if (rc)
        fprintf (stderr, "parse_837p: %s\n", report->error);
    x12_reader_destroy (&reader);
    return rc;
}

static Claim *
s_find (s_sink_t *sink, const char *pcn)
{
    for (size_t i = 0; i < sink->count; i++)
        if (strcmp (sink->claims [i]->patient_control_number, pcn) == 0)
            return sink->claims [i];
    return NULL;
}

//  Compares two messages field by field through their descriptors; on the
//  first difference writes its path into where and returns false.
static bool
s_equal (const ProtobufCMessage *a, const ProtobufCMessage *b, const char *path, char *where, size_t size)
{
    if (!a || !b) {
        if (a != b)
            snprintf (where, size, "%s: present in one only", path);
        return a == b;
    }
    const ProtobufCMessageDescriptor *desc = a->descriptor;
    for (unsigned f = 0; f < desc->n_fields; f++) {
        const ProtobufCFieldDescriptor *field = &desc->fields [f];
        char sub [256];
        snprintf (sub, sizeof sub, "%s%s%s", path, *path? ".": "", field->name);
        const char *pa = (const char *) a + field->offset;
        const char *pb = (const char *) b + field->offset;
        size_t count = 1;
        if (field->label == PROTOBUF_C_LABEL_REPEATED) {
            size_t na = *(const size_t *) ((const char *) a + field->quantifier_offset);
            size_t nb = *(const size_t *) ((const char *) b + field->quantifier_offset);
            if (na != nb) {
                snprintf (where, size, "%s: %zu items against %zu", sub, na, nb);
                return false;
            }
            count = na;
            pa = *(const char *const *) pa;
            pb = *(const char *const *) pb;
        }
        for (size_t i = 0; i < count; i++) {
            char item [288];
            if (field->label == PROTOBUF_C_LABEL_REPEATED)
                snprintf (item, sizeof item, "%s[%zu]", sub, i);
            else
                snprintf (item, sizeof item, "%s", sub);
            switch (field->type) {
                case PROTOBUF_C_TYPE_STRING: {
                    const char *sa = ((const char *const *) pa) [i];
                    const char *sb = ((const char *const *) pb) [i];
                    if (strcmp (sa? sa: "", sb? sb: "") != 0) {
                        snprintf (where, size, "%s: '%s' against '%s'", item, sa? sa: "", sb? sb: "");
                        return false;
                    }
                    break;
                }
                case PROTOBUF_C_TYPE_MESSAGE:
                    if (!s_equal (((const ProtobufCMessage *const *) pa) [i],
                                  ((const ProtobufCMessage *const *) pb) [i], item, where, size))
                        return false;
                    break;
                case PROTOBUF_C_TYPE_INT64:
                case PROTOBUF_C_TYPE_UINT64:
                    if (((const uint64_t *) pa) [i] != ((const uint64_t *) pb) [i]) {
                        snprintf (where, size, "%s: %lld against %lld", item,
                                  (long long) ((const int64_t *) pa) [i], (long long) ((const int64_t *) pb) [i]);
                        return false;
                    }
                    break;
                default:        //  32-bit scalars and enums
                    if (((const uint32_t *) pa) [i] != ((const uint32_t *) pb) [i]) {
                        snprintf (where, size, "%s: %u against %u", item,
                                  ((const uint32_t *) pa) [i], ((const uint32_t *) pb) [i]);
                        return false;
                    }
            }
        }
    }
    return true;
}

//  The envelope and position fields the parser adds from the file, which
//  the round trip does not compare (the envelope is checked against the
//  header instead).
static void
s_clear_envelope (Claim *claim)
{
    char **strings [] = {
        &claim->sender_qualifier, &claim->sender_id, &claim->receiver_qualifier, &claim->receiver_id,
        &claim->interchange_control_number, &claim->group_control_number,
        &claim->transaction_control_number, &claim->implementation, &claim->bht_reference,
        &claim->file_date
    };
    for (size_t i = 0; i < sizeof strings / sizeof strings [0]; i++) {
        free (*strings [i]);
        *strings [i] = s_str ("");
    }
    if (claim->submitter)
        provider__free_unpacked (claim->submitter, NULL);
    if (claim->receiver)
        provider__free_unpacked (claim->receiver, NULL);
    claim->submitter = claim->receiver = NULL;
    claim->segment_index = claim->hl_segment_index = claim->transaction_segment_index = 0;
    claim->interchange_index = claim->claim_index = 0;
    for (size_t i = 0; i < claim->n_lines; i++)
        claim->lines [i]->segment_index = 0;
}

//  What the writer is expected to change: REF*6R becomes <PCN>-<LX>.
static void
s_expect_line_ids (Claim *claim)
{
    for (size_t i = 0; i < claim->n_lines; i++) {
        char id [64];
        write837_line_id (claim->patient_control_number, (uint32_t) i + 1, id, sizeof id);
        free (claim->lines [i]->line_item_control_number);
        claim->lines [i]->line_item_control_number = s_str (id);
    }
}

static char *
s_write (write837_header_t *header, Claim **claims, size_t count, size_t *size)
{
    char error [WRITE837_ERROR_SIZE];
    char *text = write837_batch (header, claims, count, size, error);
    if (!text)
        ck_abort_msg ("write837_batch: %s", error);
    ck_assert_uint_eq (strlen (text), *size);
    return text;
}


//  ---------------------------------------------------------------------
//  Tests

#define VARIANTS 12

START_TEST (test_round_trip)
{
    Claim *claims [VARIANTS];
    char pcn [32];
    for (int v = 0; v < VARIANTS; v++) {
        snprintf (pcn, sizeof pcn, "PCN%04d", v);
        claims [v] = s_claim (pcn, v);
    }
    write837_header_t header = s_header ();
    size_t size;
    char *text = s_write (&header, claims, VARIANTS, &size);

    s_sink_t sink = { .count = 0 };
    parse_837p_report_t report;
    ck_assert_int_eq (s_read_back (text, size, &sink, &report), 0);
    ck_assert_uint_eq (report.claims, VARIANTS);
    ck_assert_uint_eq (report.claims_with_findings, 0);
    ck_assert_uint_eq (report.interchanges, 1);
    ck_assert_uint_eq (report.transactions, 1);

    for (int v = 0; v < VARIANTS; v++) {
        Claim *got = s_find (&sink, claims [v]->patient_control_number);
        ck_assert_msg (got, "claim %s not read back", claims [v]->patient_control_number);
        //  The envelope is the header's.
        ck_assert_str_eq (got->sender_qualifier, "ZZ");
        ck_assert_str_eq (got->sender_id, "RCMQCLAIMS");
        ck_assert_str_eq (got->receiver_qualifier, "ZZ");
        ck_assert_str_eq (got->receiver_id, "CLEARHOUSE01");
        ck_assert_str_eq (got->interchange_control_number, "000004711");
        ck_assert_str_eq (got->group_control_number, "812");
        ck_assert_str_eq (got->transaction_control_number, "0001");
        ck_assert_str_eq (got->implementation, "005010X222A1");
        ck_assert_str_eq (got->bht_reference, "SUB4711");
        ck_assert_str_eq (got->file_date, "20261102");
        ck_assert_str_eq (got->submitter->name, "RCMQ BILLING");
        ck_assert_str_eq (got->submitter->id_qualifier, "46");
        ck_assert_str_eq (got->submitter->id, "RCMQ01");
        ck_assert_str_eq (got->receiver->name, "ACME CLEARING");
        ck_assert_str_eq (got->receiver->id, "CH9000");
        //  Everything else equals what was written.
        s_clear_envelope (got);
        s_expect_line_ids (claims [v]);
        char where [512] = "";
        ck_assert_msg (s_equal (&claims [v]->base, &got->base, "", where, sizeof where),
                       "claim %s differs at %s", claims [v]->patient_control_number, where);
    }
    s_sink_free (&sink);
    free (text);
    for (int v = 0; v < VARIANTS; v++)
        claim__free_unpacked (claims [v], NULL);
    s_header_free (&header);
}
END_TEST

//  The comparison itself must see a difference, or the round trip proves
//  nothing.
START_TEST (test_round_trip_can_fail)
{
    Claim *a = s_claim ("PCNX", 6);
    Claim *b = s_claim ("PCNX", 6);
    char where [512] = "";
    ck_assert (s_equal (&a->base, &b->base, "", where, sizeof where));
    b->lines [0]->diagnosis_pointers [0] = 9;
    ck_assert (!s_equal (&a->base, &b->base, "", where, sizeof where));
    ck_assert_str_eq (where, "lines[0].diagnosis_pointers[0]: 3 against 9");
    claim__free_unpacked (b, NULL);
    b = s_claim ("PCNX", 6);
    free (b->subscriber->address->line2);
    b->subscriber->address->line2 = s_str ("X");
    ck_assert (!s_equal (&a->base, &b->base, "", where, sizeof where));
    ck_assert_str_eq (where, "subscriber.address.line2: '' against 'X'");
    claim__free_unpacked (a, NULL);
    claim__free_unpacked (b, NULL);
}
END_TEST

//  Reads the segments of text into an array of strings (default separators).
static size_t
s_segments (const char *text, char ***out)
{
    char *copy = strdup (text);
    size_t count = 0;
    char **list = NULL;
    for (char *save = NULL, *seg = strtok_r (copy, "~\n", &save); seg; seg = strtok_r (NULL, "~\n", &save)) {
        list = realloc (list, (count + 1) * sizeof *list);
        list [count++] = strdup (seg);
    }
    free (copy);
    *out = list;
    return count;
}

static void
s_segments_free (char **list, size_t count)
{
    for (size_t i = 0; i < count; i++)
        free (list [i]);
    free (list);
}

static bool
s_starts (const char *text, const char *prefix)
{
    return strncmp (text, prefix, strlen (prefix)) == 0;
}

START_TEST (test_envelope_and_hierarchy)
{
    //  Claims 0, 2, 4 share one billing provider, 1 and 3 another; 1 and 4
    //  have a patient (2000C).
    Claim *claims [5];
    char pcn [32];
    for (int v = 0; v < 5; v++) {
        snprintf (pcn, sizeof pcn, "HL%d", v);
        claims [v] = s_claim (pcn, v);
    }
    write837_header_t header = s_header ();
    size_t size;
    char *text = s_write (&header, claims, 5, &size);
    char **seg;
    size_t n = s_segments (text, &seg);

    ck_assert_str_eq (seg [0], "ISA*00*          *00*          *ZZ*RCMQCLAIMS     *ZZ*CLEARHOUSE01   "
                               "*261102*0930*^*00501*000004711*0*P*:");
    ck_assert_str_eq (seg [1], "GS*HC*RCMQCLAIMS*CLEARHOUSE01*20261102*0930*812*X*005010X222A1");
    ck_assert_str_eq (seg [2], "ST*837*0001*005010X222A1");
    ck_assert_str_eq (seg [3], "BHT*0019*00*SUB4711*20261102*0930*CH");
    ck_assert_str_eq (seg [4], "NM1*41*2*RCMQ BILLING*****46*RCMQ01");
    ck_assert_str_eq (seg [5], "PER*IC*BILLING OFFICE*TE*5555550100");
    ck_assert_str_eq (seg [6], "NM1*40*2*ACME CLEARING*****46*CH9000");
    char expect [64];
    snprintf (expect, sizeof expect, "SE*%zu*0001", n - 2 - 2);
    ck_assert_str_eq (seg [n - 3], expect);
    ck_assert_str_eq (seg [n - 2], "GE*1*812");
    ck_assert_str_eq (seg [n - 1], "IEA*1*000004711");

    //  HL: numbered 1.. in order, parents point to the right level, HL04
    //  says whether a child follows; one 2000A per billing provider.
    char *hls [32];
    size_t n_hl = 0;
    for (size_t i = 0; i < n; i++)
        if (s_starts (seg [i], "HL*"))
            hls [n_hl++] = seg [i];
    const char *expected_hl [] = {
        "HL*1**20*1", "HL*2*1*22*0", "HL*3*1*22*0", "HL*4*1*22*1", "HL*5*4*23*0",
        "HL*6**20*1", "HL*7*6*22*1", "HL*8*7*23*0", "HL*9*6*22*0",
    };
    ck_assert_uint_eq (n_hl, sizeof expected_hl / sizeof expected_hl [0]);
    for (size_t i = 0; i < n_hl; i++)
        ck_assert_str_eq (hls [i], expected_hl [i]);

    //  Claim 2 (variant 2) in full: place 02, frequency 7 with REF*F8 after
    //  REF*G1, the rendering provider, its facility, lines with modifiers,
    //  units, pointers and REF*6R.
    size_t at = 0;
    while (at < n && !s_starts (seg [at], "CLM*HL2*"))
        at++;
    ck_assert_uint_lt (at, n);
    const char *claim2 [] = {
        "CLM*HL2*405.09***02:B:7*Y*A*Y*Y",
        "DTP*431*D8*20261001",
        "REF*G1*PA000123",
        "REF*F8*PAYERICN0042",
        "HI*ABK:J069*ABF:M545*ABF:Z0000",
        "NM1*82*1*NGUYEN*LINDA****XX*1245319599",
        "PRV*PE*PXC*207Q00000X",
        "NM1*77*2*RIVERSIDE WEST*****XX*1199887761",
        "N3*4500 WEST ST",
        "N4*SPRINGFIELD*IL*62704",
        "LX*1",
        "SV1*HC:36415:25:59*125.02*MJ*1.5***3:2:1",
        "DTP*472*D8*20261005",
        "REF*6R*HL2-1",
        "LX*2",
        "SV1*HC:J3301:25:59:GT*135.03*UN*2***3:2:1",
        "DTP*472*RD8*20261005-20261007",
        "REF*6R*HL2-2",
        "LX*3",
        "SV1*HC:93000:25:59:GT:LT*145.04*UN*1*22**3",
        "DTP*472*D8*20261005",
        "REF*6R*HL2-3",
    };
    for (size_t i = 0; i < sizeof claim2 / sizeof claim2 [0]; i++)
        ck_assert_str_eq (seg [at + i], claim2 [i]);

    s_segments_free (seg, n);
    free (text);
    for (int v = 0; v < 5; v++)
        claim__free_unpacked (claims [v], NULL);
    s_header_free (&header);
}
END_TEST

START_TEST (test_several_transaction_sets)
{
    Claim *claims [5];
    char pcn [32];
    for (int v = 0; v < 5; v++) {
        snprintf (pcn, sizeof pcn, "SET%d", v);
        claims [v] = s_claim (pcn, v);
    }
    write837_header_t header = s_header ();
    header.claims_per_set = 2;
    header.transaction_control_number = 41;
    header.newline = true;
    size_t size;
    char *text = s_write (&header, claims, 5, &size);
    ck_assert (strstr (text, "~\nGS*"));
    ck_assert (strstr (text, "ST*837*0041*"));
    ck_assert (strstr (text, "SE*") && strstr (text, "*0043~\nGE*3*812~\nIEA*1*000004711~\n"));

    s_sink_t sink = { .count = 0 };
    parse_837p_report_t report;
    ck_assert_int_eq (s_read_back (text, size, &sink, &report), 0);
    ck_assert_uint_eq (report.transactions, 3);
    ck_assert_uint_eq (report.claims, 5);
    //  Sorted by billing provider: SET0 SET2 | SET4 SET1 | SET3.
    ck_assert_str_eq (s_find (&sink, "SET2")->transaction_control_number, "0041");
    ck_assert_str_eq (s_find (&sink, "SET4")->transaction_control_number, "0042");
    ck_assert_str_eq (s_find (&sink, "SET1")->transaction_control_number, "0042");
    ck_assert_str_eq (s_find (&sink, "SET3")->transaction_control_number, "0043");
    s_sink_free (&sink);
    free (text);
    for (int v = 0; v < 5; v++)
        claim__free_unpacked (claims [v], NULL);
    s_header_free (&header);
}
END_TEST

//  Data that holds * : ^ ~ pushes the separators to the next candidates,
//  and the file still reads back the same.
START_TEST (test_separators_in_data)
{
    Claim *claim = s_claim ("SEP*1~A", 2);
    free (claim->subscriber->last_name);
    claim->subscriber->last_name = s_str ("O:BRIEN^|");
    write837_header_t header = s_header ();
    size_t size;
    char *text = s_write (&header, &claim, 1, &size);
    ck_assert_int_eq (text [3], '!');           //  '*' and '|' are data
    ck_assert_int_eq (text [104], '>');         //  component (ISA16)
    ck_assert_int_eq (text [82], '{');          //  repetition (ISA11)
    ck_assert_int_eq (text [105], '}');         //  terminator

    s_sink_t sink = { .count = 0 };
    parse_837p_report_t report;
    ck_assert_int_eq (s_read_back (text, size, &sink, &report), 0);
    ck_assert_uint_eq (sink.count, 1);
    ck_assert_str_eq (sink.claims [0]->patient_control_number, "SEP*1~A");
    ck_assert_str_eq (sink.claims [0]->subscriber->last_name, "O:BRIEN^|");
    ck_assert_str_eq (sink.claims [0]->lines [0]->line_item_control_number, "SEP*1~A-1");
    s_sink_free (&sink);
    free (text);
    claim__free_unpacked (claim, NULL);
    s_header_free (&header);
}
END_TEST

//  Claims that cannot be sent fail the batch with their PCN and why;
//  write837_check finds them one by one.
START_TEST (test_refusals)
{
    write837_header_t header = s_header ();
    char error [WRITE837_ERROR_SIZE];
    size_t size;
    struct {
        int variant;
        const char *expect;
    } cases [] = {
        { 0, "payer '87726' is not the batch's payer '60054'" },
        { 1, "needs the payer claim number (REF*F8)" },
        { 2, "control character 0x09" },
        { 3, "more than 12 diagnoses" },
        { 4, "1 to 50 service lines" },
        { 5, "frequency code '6' is not 1, 7 or 8" },
        { 6, "line 1 has more than 4 modifiers" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases [0]; i++) {
        Claim *claim = s_claim ("BAD1", 6);
        switch (cases [i].variant) {
            case 0:
                free (claim->payer->payer_id);
                claim->payer->payer_id = s_str ("87726");
                break;
            case 1:
                free (claim->frequency_code);
                claim->frequency_code = s_str ("7");
                free (claim->payer_claim_number);
                claim->payer_claim_number = s_str ("");
                break;
            case 2:
                free (claim->subscriber->first_name);
                claim->subscriber->first_name = s_str ("MA\tRY");
                break;
            case 3:
                for (int k = 0; k < 10; k++) {
                    Diagnosis *dx = malloc (sizeof *dx);
                    diagnosis__init (dx);
                    dx->qualifier = s_str ("ABF");
                    dx->code = s_str ("R05");
                    s_push ((void ***) &claim->diagnoses, &claim->n_diagnoses, dx);
                }
                break;
            case 4:
                for (size_t j = 0; j < claim->n_lines; j++)
                    service_line__free_unpacked (claim->lines [j], NULL);
                claim->n_lines = 0;
                break;
            case 5:
                free (claim->frequency_code);
                claim->frequency_code = s_str ("6");
                break;
            case 6:
                for (int k = 0; k < 5; k++)
                    s_push ((void ***) &claim->lines [0]->modifiers, &claim->lines [0]->n_modifiers, s_str ("XU"));
                break;
        }
        Claim *good = s_claim ("GOOD1", 0);
        Claim *batch [2] = { good, claim };
        ck_assert_ptr_null (write837_batch (&header, batch, 2, &size, error));
        ck_assert_msg (strstr (error, "claim BAD1: ") == error && strstr (error, cases [i].expect),
                       "case %zu: %s", i, error);
        ck_assert_int_eq (write837_check (claim, PAYER, error), -1);
        ck_assert_msg (strstr (error, cases [i].expect), "check, case %zu: %s", i, error);
        ck_assert_int_eq (write837_check (good, PAYER, error), 0);
        claim__free_unpacked (claim, NULL);
        claim__free_unpacked (good, NULL);
    }
    //  A header that cannot make an envelope.
    Claim *good = s_claim ("GOOD1", 0);
    header.sender_id = "A-SENDER-ID-LONGER-THAN-15";
    ck_assert_ptr_null (write837_batch (&header, &good, 1, &size, error));
    ck_assert (strstr (error, "ISA06"));
    header.sender_id = "RCMQCLAIMS";
    header.interchange_control_number = 0;
    ck_assert_ptr_null (write837_batch (&header, &good, 1, &size, error));
    ck_assert (strstr (error, "ISA13"));
    claim__free_unpacked (good, NULL);
    s_header_free (&header);
}
END_TEST

//  write837_check's dry run writes into a buffer on the stack and moves to
//  the heap when a claim's text outgrows it: what it finds there must be
//  the same (a control character past the first 8 KB, a clean claim of
//  that size passing).
START_TEST (test_check_large_claim)
{
    char error [WRITE837_ERROR_SIZE];
    char *name = (char *) malloc (20001);
    memset (name, 'A', 20000);
    name [20000] = 0;
    Claim *claim = s_claim ("BIG1", 0);
    free (claim->billing_provider->name);
    claim->billing_provider->name = strdup (name);
    ck_assert_int_eq (write837_check (claim, PAYER, error), 0);
    name [19990] = '\t';
    free (claim->billing_provider->name);
    claim->billing_provider->name = strdup (name);
    ck_assert_int_eq (write837_check (claim, PAYER, error), -1);
    ck_assert_msg (strstr (error, "claim BIG1: ") == error && strstr (error, "control character 0x09"), "%s", error);
    claim__free_unpacked (claim, NULL);
    free (name);
}
END_TEST

START_TEST (test_line_id)
{
    char id [64];
    write837_line_id ("P1A0000042", 3, id, sizeof id);
    ck_assert_str_eq (id, "P1A0000042-3");
    //  The longest PCN with the largest LX still fits REF02 (50).
    char pcn [WRITE837_MAX_PCN + 1];
    memset (pcn, 'X', WRITE837_MAX_PCN);
    pcn [WRITE837_MAX_PCN] = 0;
    write837_line_id (pcn, 50, id, sizeof id);
    ck_assert_uint_le (strlen (id), 50);
}
END_TEST

//  Debian's X12::Parser reads the file with its 837P map and finds every
//  segment in a loop that allows it (tests/unit/x12parser-837.pl).
START_TEST (test_x12_parser)
{
    if (system ("perl -MX12::Parser -e 1 >/dev/null 2>&1") != 0) {
        fprintf (stderr, "SKIP write837 x12_parser: perl's X12::Parser is missing "
                         "(apt-get install libx12-parser-perl)\n");
        return;
    }
    char source [4096];
    const char *root = getenv ("RCMQ_SOURCE");
    if (root && *root)
        snprintf (source, sizeof source, "%s/tests/unit", root);
    else {
        //  The build passes absolute source paths, so __FILE__ names this
        //  directory.
        char here [4096];
        snprintf (here, sizeof here, "%s", __FILE__);
        snprintf (source, sizeof source, "%s", dirname (here));
    }
    Claim *claims [VARIANTS];
    char pcn [32];
    for (int v = 0; v < VARIANTS; v++) {
        snprintf (pcn, sizeof pcn, "XP%d", v);
        claims [v] = s_claim (pcn, v);
    }
    char *dir = test_tmpdir ("w837");
    write837_header_t header = s_header ();
    char path [4200], out [4200], command [13000];
    snprintf (path, sizeof path, "%s/batch.837", dir);
    snprintf (out, sizeof out, "%s/loops.txt", dir);

    for (int newline = 0; newline <= 1; newline++) {
        header.newline = newline;
        size_t size;
        char *text = s_write (&header, claims, VARIANTS, &size);
        FILE *file = fopen (path, "w");
        ck_assert_ptr_nonnull (file);
        fwrite (text, 1, size, file);
        fclose (file);
        free (text);
        snprintf (command, sizeof command, "perl '%s/x12parser-837.pl' '%s' > '%s' 2>&1",
                  source, path, out);
        int rc = system (command);
        char line [1024] = "";
        file = fopen (out, "r");
        ck_assert_ptr_nonnull (file);
        ck_assert_ptr_nonnull (fgets (line, sizeof line, file));
        fclose (file);
        line [strcspn (line, "\n")] = 0;
        ck_assert_msg (WIFEXITED (rc) && WEXITSTATUS (rc) == 0, "x12parser-837.pl: %s", line);
        //  12 claims: 2 billing providers, 4 with a patient, 6 rendering,
        //  10 facilities (2310D in the 4010 map), 30 lines.
        ck_assert_str_eq (line, "ISA=1 GS=1 ST=1 1000A=1 1000B=1 2000A=2 2010AA=2 2000B=12 2010BA=12 "
                                "2010BB=12 2000C=4 2010CA=4 2300=12 2310B=6 2310D=10 2400=30 SE=1 GE=1 IEA=1");
    }

    //  And the check fails on a misplaced segment: a PAT inside a claim.
    size_t size;
    char *text = s_write (&header, claims, 1, &size);
    char *clm = strstr (text, "CLM*");
    char *after = strchr (clm, '~') + 1;
    FILE *file = fopen (path, "w");
    fwrite (text, 1, (size_t) (after - text), file);
    fputs ("PAT*19~", file);
    fputs (after, file);
    fclose (file);
    free (text);
    snprintf (command, sizeof command, "perl '%s/x12parser-837.pl' '%s' > '%s' 2>&1",
              source, path, out);
    int rc = system (command);
    ck_assert (WIFEXITED (rc) && WEXITSTATUS (rc) == 1);

    test_rmtree (dir);
    free (dir);
    for (int v = 0; v < VARIANTS; v++)
        claim__free_unpacked (claims [v], NULL);
    s_header_free (&header);
}
END_TEST

Suite *
write837_suite (void)
{
    Suite *suite = suite_create ("write837");
    TCase *tc = tcase_create ("write");
    tcase_add_test (tc, test_round_trip);
    tcase_add_test (tc, test_round_trip_can_fail);
    tcase_add_test (tc, test_envelope_and_hierarchy);
    tcase_add_test (tc, test_several_transaction_sets);
    tcase_add_test (tc, test_separators_in_data);
    tcase_add_test (tc, test_refusals);
    tcase_add_test (tc, test_check_large_claim);
    tcase_add_test (tc, test_line_id);
    tcase_add_test (tc, test_x12_parser);
    tcase_set_timeout (tc, 30);
    suite_add_tcase (suite, tc);
    return suite;
}
