/*  test_upload: rcmq-intake's chunked upload and request limit, with a real
    rcmq-broker and rcmq-intake (issue 11, item 3), through the client
    library as rcmqctl uses it.

      protocol    a 200-claim file from scripts/gen-837 in 40,000-byte chunks:
                  a chunk sent twice at the same offset is taken once, a
                  chunk past the end received is refused, a commit before
                  the declared size arrived is refused, the staged file is
                  0600; once committed the upload ends `done` and its batch
                  has the generator's counts;
      limits      with intake/uploads-per-caller = 2 a third open upload of
                  the same identity is refused (RESOURCE_EXHAUSTED) while
                  another identity may begin one, and cannot see the first
                  one's; an upload declared above intake/upload-max-bytes is
                  refused; uploads idle past intake/upload-idle-seconds are
                  removed with their staged files, and one abandoned with
                  UploadAbort frees its slot at once; a request above
                  intake/max-request-bytes (the client's own check turned
                  off) gets no answer, the client says the connection was
                  closed, and intake answers the next request.
*/
#include "suites.h"
#include "harness.h"
#include "client.h"
#include "codec.h"
#include "transport.h"
#include "intake.pb-c.h"
#include "upload.pb-c.h"

#include <jansson.h>
#include <sys/stat.h>

#define UPLOAD_NOW          "2026-11-02T12:00:00Z"
#define UPLOAD_CHUNK        40000
#define UPLOAD_LIMIT        100000      //  intake/max-request-bytes
#define UPLOAD_MAX_BYTES    4000000     //  intake/upload-max-bytes
#define UPLOAD_IDLE_S       2

static const char *const s_services [] = { "broker", "intake", NULL };

//  A call whose reply body is an Upload (NULL when not OK; *status set).
static Upload *
s_call (client_t *client, const char *method, const void *body, Status *status)
{
    Reply *reply = client_call (client, method, body);
    *status = reply? reply->status: STATUS__UNKNOWN;
    Upload *upload = reply && reply->status == STATUS__OK
        ? (Upload *) codec_decode (&upload__descriptor, reply->body.data, reply->body.len): NULL;
    if (reply && reply->status != STATUS__OK)
        fprintf (stderr, "test_upload: %s: %s: %s\n", method, codec_status_name (reply->status), reply->message);
    codec_free (reply);
    return upload;
}

static Upload *
s_begin (client_t *client, const char *name, uint64_t size, Status *status)
{
    UploadBegin begin = UPLOAD_BEGIN__INIT;
    begin.filename = (char *) name;
    begin.size = size;
    return s_call (client, "intake.UploadBegin", &begin, status);
}

static Upload *
s_chunk (client_t *client, const char *id, const uint8_t *data, size_t offset, size_t size, Status *status)
{
    UploadChunk chunk = UPLOAD_CHUNK__INIT;
    chunk.upload_id = (char *) id;
    chunk.offset = offset;
    chunk.data.data = (uint8_t *) data + offset;
    chunk.data.len = size;
    return s_call (client, "intake.UploadChunk", &chunk, status);
}

static Upload *
s_by_id (client_t *client, const char *method, const char *id, Status *status)
{
    UploadId request = UPLOAD_ID__INIT;
    request.upload_id = (char *) id;
    return s_call (client, method, &request, status);
}

START_TEST (test_upload)
{
    setenv ("RCMQ_NOW", UPLOAD_NOW, 1);
    harness_t *harness = harness_new ("upload");
    ck_assert_ptr_nonnull (harness);
    bool ok = harness_keys (harness, NULL) == 0 && harness_config (harness) != NULL;
    //  A second person who may submit files.
    char *add [] = { (char *) harness_bin (harness, "cli/rcmqctl"), "keys", "add", "biller",
                     "--role", "internal-biller", "--team", "internal",
                     "--dir", (char *) harness_path (harness, "keys"), NULL };
    ok = ok && harness_run (harness, "rcmqctl", add, NULL, 20000) == 0;
    char uploads [1100];
    snprintf (uploads, sizeof uploads, "%s/uploads", harness_dir (harness));
    int port = harness_free_port ();
    ok = ok && harness_config_append (harness,
        "intake\n    api = \"tcp://127.0.0.1:%d\"\n    inbox-dir = \"%s/inbox\"\n    ack-dir = \"%s/acks\"\n"
        "    upload-dir = \"%s\"\n    uploads-per-caller = 2\n    upload-max-bytes = %d\n"
        "    upload-idle-seconds = %d\n    max-request-bytes = %d\n",
        port, harness_dir (harness), harness_dir (harness), uploads, UPLOAD_MAX_BYTES, UPLOAD_IDLE_S,
        UPLOAD_LIMIT) == 0;
    char file [1100], expect_path [1100];
    snprintf (file, sizeof file, "%s/small.837", harness_dir (harness));
    snprintf (expect_path, sizeof expect_path, "%s/small.json", harness_dir (harness));
    char *gen [] = { "--seed", "77", "--claims", "200", "--date", "2026-11-02", "--error-rate", "ALL=0.02",
                     "--out", file, "--expect", expect_path, NULL };
    ok = ok && harness_script (harness, "gen-837", gen, 60000) == 0;
    harness_proc_t *procs [2] = { NULL };
    ok = ok && harness_start_services (harness, s_services, procs, harness_scaled_ms (30000));
    //  The key file opens nothing: the biller is granted in the registry.
    ok = ok && harness_grant (harness, "biller", "internal-biller", "internal", NULL) == 0;
    if (!ok) {
        harness_destroy (&harness, true);
        ck_abort_msg ("setup failed");
    }
    char endpoint [64];
    snprintf (endpoint, sizeof endpoint, "tcp://127.0.0.1:%d", port);
    const char *keys = harness_path (harness, "keys");
    char *intake_key = transport_load_public_key (keys, "intake");
    zcert_t *admin_cert = transport_load_secret (keys, "admin");
    zcert_t *biller_cert = transport_load_secret (keys, "biller");
    client_t *admin = client_new (endpoint, intake_key, admin_cert);
    client_t *biller = client_new (endpoint, intake_key, biller_cert);
    client_set_timeout (admin, harness_scaled_ms (20000));
    client_set_timeout (biller, harness_scaled_ms (20000));
    char *text = harness_slurp (file);
    json_t *expect = json_load_file (expect_path, 0, NULL);
    ck_assert_ptr_nonnull (text);
    ck_assert_ptr_nonnull (expect);
    size_t size = strlen (text);
    const uint8_t *data = (const uint8_t *) text;
    ck_assert_int_gt (size, 3 * UPLOAD_CHUNK);
    ck_assert_int_lt (size, UPLOAD_MAX_BYTES);
    ck_assert_int_gt (size, UPLOAD_LIMIT);
    int failures = 0;
#   define CHECK(cond, ...) do { if (!(cond)) { failures++; fprintf (stderr, "test_upload: FAIL: " __VA_ARGS__); \
                                               fprintf (stderr, "\n"); } } while (0)

    //  Protocol
    Status status;
    Upload *upload = s_begin (admin, "small.837", size, &status);
    CHECK (upload && streq (upload->state, "receiving"), "UploadBegin: %s", codec_status_name (status));
    char id [64] = "";
    if (upload)
        snprintf (id, sizeof id, "%s", upload->upload_id);
    codec_free (upload);
    upload = s_chunk (admin, id, data, 0, UPLOAD_CHUNK, &status);
    codec_free (upload);
    upload = s_chunk (admin, id, data, 0, UPLOAD_CHUNK, &status);
    CHECK (upload && upload->bytes_received == UPLOAD_CHUNK,
           "a chunk sent twice: %" PRIu64 " bytes received, expected %d", upload? upload->bytes_received: 0, UPLOAD_CHUNK);
    codec_free (upload);
    char staged [1200];
    snprintf (staged, sizeof staged, "%s/%s.837", uploads, id);
    struct stat info;
    CHECK (stat (staged, &info) == 0 && (info.st_mode & 0777) == 0600, "the staged file %s is not 0600", staged);
    upload = s_chunk (admin, id, data, 2 * UPLOAD_CHUNK, UPLOAD_CHUNK, &status);
    CHECK (!upload && status == STATUS__FAILED_PRECONDITION, "a chunk past the end received was taken (%s)",
           codec_status_name (status));
    codec_free (upload);
    upload = s_by_id (admin, "intake.UploadCommit", id, &status);
    CHECK (!upload && status == STATUS__FAILED_PRECONDITION, "a commit of part of the file was taken (%s)",
           codec_status_name (status));
    codec_free (upload);
    for (size_t offset = UPLOAD_CHUNK; offset < size; offset += UPLOAD_CHUNK) {
        upload = s_chunk (admin, id, data, offset, size - offset < UPLOAD_CHUNK? size - offset: UPLOAD_CHUNK, &status);
        CHECK (upload, "chunk at %zu: %s", offset, codec_status_name (status));
        codec_free (upload);
    }
    upload = s_by_id (admin, "intake.UploadCommit", id, &status);
    uint64_t deadline = harness_now_ms () + (uint64_t) harness_scaled_ms (60000);
    while (upload && !streq (upload->state, "done") && !streq (upload->state, "failed")
           && harness_now_ms () < deadline) {
        codec_free (upload);
        harness_sleep_ms (100);
        upload = s_by_id (admin, "intake.UploadStatus", id, &status);
    }
    CHECK (upload && streq (upload->state, "done"), "the upload ended '%s': %s",
           upload? upload->state: codec_status_name (status), upload? upload->error: "");
    if (upload && streq (upload->state, "done")) {
        BatchId request = BATCH_ID__INIT;
        request.batch_id = upload->batch_id;
        Reply *reply = client_call (admin, "intake.GetBatch", &request);
        Batch *batch = reply && reply->status == STATUS__OK
            ? (Batch *) codec_decode (&batch__descriptor, reply->body.data, reply->body.len): NULL;
        json_t *totals = json_object_get (expect, "totals");
        CHECK (batch && streq (batch->status, "completed")
               && batch->claims == json_integer_value (json_object_get (totals, "claims"))
               && batch->accepted == json_integer_value (json_object_get (totals, "accepted"))
               && batch->bytes == size,
               "the batch differs from the generator's counts (claims %u, accepted %u)",
               batch? batch->claims: 0, batch? batch->accepted: 0);
        codec_free (batch);
        codec_free (reply);
    }
    codec_free (upload);
    CHECK (harness_files_in (uploads) == 0, "%zu staged files left after the batch", harness_files_in (uploads));

    //  Limits
    upload = s_begin (admin, "too-big.837", UPLOAD_MAX_BYTES + 1, &status);
    CHECK (!upload && status == STATUS__RESOURCE_EXHAUSTED, "an upload above upload-max-bytes was begun");
    codec_free (upload);
    char first [64] = "";
    for (int i = 0; i < 2; i++) {
        upload = s_begin (admin, "open.837", 0, &status);
        CHECK (upload, "open upload %d: %s", i + 1, codec_status_name (status));
        if (upload && i == 0)
            snprintf (first, sizeof first, "%s", upload->upload_id);
        codec_free (upload);
    }
    upload = s_begin (admin, "third.837", 0, &status);
    CHECK (!upload && status == STATUS__RESOURCE_EXHAUSTED, "a third open upload of one caller was begun (%s)",
           codec_status_name (status));
    codec_free (upload);
    //  Abandoning one frees its slot (and its staged file) at once.
    upload = s_by_id (admin, "intake.UploadAbort", first, &status);
    CHECK (upload && streq (upload->state, "failed"), "UploadAbort: %s", codec_status_name (status));
    codec_free (upload);
    upload = s_begin (admin, "fourth.837", 0, &status);
    CHECK (upload, "after an abort, a new upload was refused: %s", codec_status_name (status));
    codec_free (upload);
    upload = s_begin (biller, "other.837", 0, &status);
    CHECK (upload, "another caller could not begin an upload: %s", codec_status_name (status));
    codec_free (upload);
    upload = s_by_id (biller, "intake.UploadStatus", first, &status);
    CHECK (!upload && status == STATUS__NOT_FOUND, "another caller sees an upload not its own");
    codec_free (upload);
    CHECK (harness_files_in (uploads) == 3, "%zu staged files for 3 open uploads", harness_files_in (uploads));
    //  Idle: removed with their files (the timer runs every second).
    harness_sleep_ms ((UPLOAD_IDLE_S + 2) * 1000);
    upload = s_by_id (admin, "intake.UploadStatus", first, &status);
    CHECK (!upload && status == STATUS__NOT_FOUND, "an idle upload was not removed");
    codec_free (upload);
    CHECK (harness_files_in (uploads) == 0, "%zu staged files left of idle uploads", harness_files_in (uploads));
    upload = s_begin (admin, "again.837", 0, &status);
    CHECK (upload, "after idle uploads went, a new one was refused: %s", codec_status_name (status));
    codec_free (upload);

    //  A request above the limit: dropped, and intake goes on.
    client_set_max_request (admin, 0);
    client_set_retries (admin, 0);
    client_set_timeout (admin, harness_scaled_ms (10000));
    SubmitRequest whole = SUBMIT_REQUEST__INIT;
    whole.filename = "small.837";
    whole.content.data = (uint8_t *) data;
    whole.content.len = size;
    Reply *reply = client_call (admin, "intake.Submit", &whole);
    CHECK (!reply && strstr (client_error (admin), "closed the connection"),
           "a request of %zu bytes above the %d-byte limit: %s", size, UPLOAD_LIMIT,
           reply? "answered": client_error (admin));
    codec_free (reply);
    client_set_max_request (admin, TRANSPORT_MAX_REQUEST_DEFAULT);
    reply = client_call (admin, "intake.Health", NULL);
    CHECK (reply && reply->status == STATUS__OK, "intake does not answer after the oversized request: %s",
           reply? reply->message: client_error (admin));
    codec_free (reply);
    //  With the limit known, the client refuses before sending.
    client_set_max_request (admin, UPLOAD_LIMIT);
    reply = client_call (admin, "intake.Submit", &whole);
    CHECK (!reply && strstr (client_error (admin), "api/max-request-bytes"),
           "the client sent a request above the limit it knows: %s", reply? "answered": client_error (admin));
    codec_free (reply);

    int exit_status = 0;
    CHECK (harness_first_exited (procs, 2, &exit_status) < 0, "a service exited (status %d)", exit_status);
    client_destroy (&admin);
    client_destroy (&biller);
    zcert_destroy (&admin_cert);
    zcert_destroy (&biller_cert);
    free (intake_key);
    free (text);
    json_decref (expect);
    harness_destroy (&harness, failures > 0);
    ck_assert_msg (failures == 0, "%d upload check(s) failed (see above)", failures);
}
END_TEST

Suite *
upload_suite (void)
{
    Suite *suite = suite_create ("upload");
    TCase *tcase = tcase_create ("upload");
    tcase_set_timeout (tcase, 240);
    tcase_add_test (tcase, test_upload);
    suite_add_tcase (suite, tcase);
    return suite;
}
