/*  test_note: C2SP signed notes and tlog checkpoints (common/note) against
    fixed vectors: the PeterNeumann key and note of Go's
    golang.org/x/mod/sumdb/note tests (the signer key gives that verifier
    key, signing gives that exact note, a second signer's line is passed
    over), the malformed notes it refuses, and checkpoints built from the
    C2SP tlog-checkpoint text.
*/
#include "suites.h"
#include "note.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define PETER_SKEY "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
#define PETER_VKEY "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
#define ENOCH_VKEY "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"
#define TEXT "If you think cryptography is the answer to your problem,\n" \
             "then you don't know what your problem is.\n"
#define PETER_SIG "\xe2\x80\x94 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
#define ENOCH_SIG "\xe2\x80\x94 EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n"

START_TEST (test_sign_vector)
{
    char error [256] = "";
    note_signer_t *signer = note_signer_new (PETER_SKEY, error, sizeof error);
    ck_assert_msg (signer, "%s", error);
    ck_assert_str_eq (note_signer_name (signer), "PeterNeumann");
    char *vkey = note_signer_verifier_key (signer);
    ck_assert_str_eq (vkey, PETER_VKEY);
    free (vkey);
    char *note = note_sign (signer, TEXT, error, sizeof error);
    ck_assert_str_eq (note, TEXT "\n" PETER_SIG);
    free (note);
    //  Not a note's text: no final newline, empty, a control character.
    ck_assert_ptr_null (note_sign (signer, "abc", error, sizeof error));
    ck_assert_ptr_null (note_sign (signer, "", error, sizeof error));
    ck_assert_ptr_null (note_sign (signer, "a\tb\n", error, sizeof error));
    note_signer_destroy (&signer);
    ck_assert_ptr_null (signer);
}
END_TEST

static int
s_open (note_verifier_t *verifier, const char *message, char **text)
{
    char error [256];
    return note_open (verifier, message, strlen (message), text, error, sizeof error);
}

START_TEST (test_open_vector)
{
    char error [256] = "";
    note_verifier_t *peter = note_verifier_new (PETER_VKEY, error, sizeof error);
    ck_assert_msg (peter, "%s", error);
    note_verifier_t *enoch = note_verifier_new (ENOCH_VKEY, error, sizeof error);
    ck_assert_msg (enoch, "%s", error);
    char *text;
    ck_assert_int_eq (s_open (peter, TEXT "\n" PETER_SIG ENOCH_SIG, &text), 0);
    ck_assert_str_eq (text, TEXT);
    free (text);
    ck_assert_int_eq (s_open (enoch, TEXT "\n" PETER_SIG ENOCH_SIG, &text), 0);
    free (text);
    //  Only another key's signature: refused, naming the key looked for.
    ck_assert_int_eq (note_open (enoch, TEXT "\n" PETER_SIG, strlen (TEXT "\n" PETER_SIG), &text,
                                 error, sizeof error), -1);
    ck_assert_ptr_nonnull (strstr (error, "EnochRoot+af0cfe78"));
    ck_assert_ptr_null (text);
    //  A changed text or signature.
    ck_assert_int_eq (s_open (peter, "If you think\n\n" PETER_SIG, &text), -1);
    char *changed = strdup (TEXT "\n" PETER_SIG);
    changed [strlen (TEXT "\n") + 40] ^= 1;
    ck_assert_int_eq (s_open (peter, changed, &text), -1);
    free (changed);
    //  Malformed: no signatures, no final newline, a stray line, a
    //  control character in the text, a name with a blank.
    const char *bad [] = {
        TEXT, TEXT "\n", TEXT "\n" "\xe2\x80\x94 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=",
        TEXT "\n" PETER_SIG "Unexpected line.\n", "\x01" TEXT "\n" PETER_SIG,
        TEXT "\n" "\xe2\x80\x94 Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n",
        NULL
    };
    for (size_t i = 0; bad [i]; i++)
        ck_assert_msg (s_open (peter, bad [i], &text) == -1, "bad note %zu opened", i);
    note_verifier_destroy (&peter);
    note_verifier_destroy (&enoch);
}
END_TEST

START_TEST (test_keys)
{
    char error [256];
    //  Each byte of the verifier key changed: refused.
    char key [] = PETER_VKEY;
    for (size_t i = 0; i < strlen (key); i++) {
        key [i]++;
        note_verifier_t *verifier = note_verifier_new (key, error, sizeof error);
        ck_assert_msg (verifier == NULL, "mangled key '%s' accepted", key);
        key [i]--;
    }
    ck_assert_ptr_null (note_verifier_new ("PeterNeumann+c74f20a3", error, sizeof error));
    ck_assert_ptr_null (note_signer_new (PETER_VKEY, error, sizeof error));
    //  A new key signs what its verifier key opens; another name does not.
    char *secret = note_key_generate ("rcmq-audit");
    ck_assert_ptr_nonnull (secret);
    ck_assert_ptr_null (note_key_generate ("two words"));
    ck_assert_ptr_null (note_key_generate ("a+b"));
    note_signer_t *signer = note_signer_new (secret, error, sizeof error);
    ck_assert_msg (signer, "%s", error);
    free (secret);
    char *vkey = note_signer_verifier_key (signer);
    note_verifier_t *verifier = note_verifier_new (vkey, error, sizeof error);
    ck_assert_msg (verifier, "%s", error);
    char *note = note_sign (signer, "hi\n", error, sizeof error);
    char *text;
    ck_assert_int_eq (s_open (verifier, note, &text), 0);
    ck_assert_str_eq (text, "hi\n");
    free (text);
    free (note);
    free (vkey);
    note_verifier_destroy (&verifier);
    note_signer_destroy (&signer);
}
END_TEST

START_TEST (test_checkpoint)
{
    //  The root of the CT 8-leaf test tree.
    uint8_t root [32], parsed [32];
    size_t size;
    sodium_hex2bin (root, sizeof root, "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
                    64, NULL, &size, NULL);
    char *text = note_checkpoint_text ("example.com/log", 8, root, NULL);
    ck_assert_str_eq (text, "example.com/log\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n");
    char origin [64], error [256];
    uint64_t tree_size;
    ck_assert_int_eq (note_checkpoint_parse (text, origin, sizeof origin, &tree_size, parsed, error, sizeof error), 0);
    ck_assert_str_eq (origin, "example.com/log");
    ck_assert_uint_eq (tree_size, 8);
    ck_assert (memcmp (root, parsed, 32) == 0);
    free (text);
    const char *extensions [] = { "rcmq-time 2026-12-06T08:00:00Z", NULL };
    text = note_checkpoint_text ("o", 0, root, extensions);
    ck_assert_str_eq (text, "o\n0\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\nrcmq-time 2026-12-06T08:00:00Z\n");
    ck_assert_int_eq (note_checkpoint_parse (text, origin, sizeof origin, &tree_size, parsed, error, sizeof error), 0);
    ck_assert_uint_eq (tree_size, 0);
    free (text);
    const char *bad [] = {
        "o\n8\n", "\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n",
        "o\n08\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n", "o\n-8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n",
        "o\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQ=\n", "o\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n\n",
        "o\n99999999999999999999\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n",
        NULL
    };
    for (size_t i = 0; bad [i]; i++)
        ck_assert_msg (note_checkpoint_parse (bad [i], origin, sizeof origin, &tree_size, parsed,
                                              error, sizeof error) == -1, "bad checkpoint %zu parsed", i);
}
END_TEST

Suite *
note_suite (void)
{
    Suite *suite = suite_create ("note");
    TCase *tc = tcase_create ("note");
    tcase_add_test (tc, test_sign_vector);
    tcase_add_test (tc, test_open_vector);
    tcase_add_test (tc, test_keys);
    tcase_add_test (tc, test_checkpoint);
    suite_add_tcase (suite, tc);
    return suite;
}
