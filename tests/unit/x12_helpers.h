/*  x12_helpers: X12 text for the suites of the X12 readers (test_837p,
    test_ack277, test_remit835).

    Those suites write only the segments a test is about; this puts them
    into an interchange with the envelope the reader checks, so the SE
    count is always right and each suite names only its own ISA, GS, ST
    and trailer.
*/
#ifndef RCMQ_TEST_X12_HELPERS_H
#define RCMQ_TEST_X12_HELPERS_H

//  HEAD (the ISA, GS and ST segments), BODY, then SE with the count of ST,
//  the body's segments and SE and with st_control as SE02, then TRAILER
//  (GE and IEA). Caller frees.
char *test_x12_wrap (const char *head, const char *body, const char *st_control, const char *trailer);

#endif
