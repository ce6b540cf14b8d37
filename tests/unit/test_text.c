/*  Tests for common/text: the strict UTF-8 and control-character check
    intake refuses elements by, and the escaping rcmqctl prints with.
*/
#include "suites.h"
#include "text.h"

#include <stdlib.h>
#include <string.h>

START_TEST (test_check)
{
    static const struct {
        const char *text;
        text_status_t status;
        size_t chars;           //  when valid UTF-8
        size_t at;              //  when not OK
    } cases [] = {
        { "PAYER01", TEXT_OK, 7, 0 },
        { "\xC3\x89" "CLAIR", TEXT_OK, 6, 0 },                  //  É
        { "\xF0\x9F\x98\x80", TEXT_OK, 1, 0 },                  //  U+1F600
        { "A\x1b[31m", TEXT_CONTROL, 6, 1 },
        { "AB\x7f", TEXT_CONTROL, 3, 2 },
        { "A\xC2\x85", TEXT_CONTROL, 2, 1 },                    //  U+0085 (C1)
        { "A\xFF", TEXT_BAD_UTF8, 0, 1 },
        { "\xC0\xAF", TEXT_BAD_UTF8, 0, 0 },                    //  overlong '/'
        { "\xED\xA0\x80", TEXT_BAD_UTF8, 0, 0 },                //  surrogate
        { "\xF4\x90\x80\x80", TEXT_BAD_UTF8, 0, 0 },            //  above U+10FFFF
        { "AB\xE2\x82", TEXT_BAD_UTF8, 0, 2 },                  //  cut short
        { "\x1b\xFF", TEXT_BAD_UTF8, 0, 1 },                    //  bad UTF-8 wins
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases [0]; i++) {
        size_t chars = 99, at = 99;
        text_status_t status = text_check (cases [i].text, &chars, &at);
        ck_assert_msg (status == cases [i].status, "case %zu: status %d", i, status);
        if (status != TEXT_BAD_UTF8)
            ck_assert_uint_eq (chars, cases [i].chars);
        else
            ck_assert_uint_eq (chars, strlen (cases [i].text));
        if (status != TEXT_OK)
            ck_assert_msg (at == cases [i].at, "case %zu: at %zu", i, at);
    }
}
END_TEST

START_TEST (test_escape_and_repair)
{
    char *shown = text_escape ("a\x1b[0m\n\xC2\x9B\xFF\xC3\x89", false);
    ck_assert_str_eq (shown, "a\\x1B[0m\\x0A\\xC2\\x9B\\xFF\xC3\x89");
    ck_assert_uint_eq (text_display_width ("a\x1b[0m\n\xC2\x9B\xFF\xC3\x89"), strlen ("a\\x1B[0m\\x0A\\xC2\\x9B\\xFF") + 1);
    free (shown);
    shown = text_escape ("line\nnext\r", true);
    ck_assert_str_eq (shown, "line\nnext\\x0D");
    free (shown);
    char *repaired = text_utf8_repair ("A\xFF\x1b" "B\xE2\x82");
    ck_assert_str_eq (repaired, "A\xEF\xBF\xBD\x1b" "B\xEF\xBF\xBD\xEF\xBF\xBD");
    free (repaired);
}
END_TEST

Suite *
text_suite (void)
{
    Suite *suite = suite_create ("text");
    TCase *tcase = tcase_create ("text");
    tcase_add_test (tcase, test_check);
    tcase_add_test (tcase, test_escape_and_repair);
    suite_add_tcase (suite, tcase);
    return suite;
}
