/*  test_claims_upload: 277CA and 835 files sent to rcmq-claims in chunks
    (issue 19, common/spool.h), with a real rcmq-broker and rcmq-claims,
    through the client library as rcmqctl uses it; the refusals a client
    can meet, each naming the upload id and changing nothing. (The figures
    of files applied in chunks are tests/integration/claims-chunked.sh's.)

      refusals    with claims/max-request-bytes = 8192: a chunk at an offset
                  past what arrived, a post of the upload before it is whole,
                  a post naming an unknown upload, another identity's chunk
                  and post, a request carrying both content and an upload id,
                  each refused with its status and the id in the message;
                  after them the upload completes from where it was;
      consumed    claims.Acknowledge of the completed upload reads it (it is
                  not a 277CA: INVALID_ARGUMENT saying so, with the file name
                  given at UploadBegin), and the upload is gone after that
                  call (NOT_FOUND), its file too;
      abort       an aborted upload's file goes at once and a chunk after it
                  is NOT_FOUND.
*/
#include "suites.h"
#include "harness.h"
#include "client.h"
#include "codec.h"
#include "transport.h"
#include "claims.pb-c.h"
#include "upload.pb-c.h"


#define CU_LIMIT    8192        //  claims/max-request-bytes
#define CU_CHUNK    6000
#define CU_SIZE     20000

static const char *const s_services [] = { "broker", "claims", NULL };

//  A call: its status, the message copied into message.
static Status
s_call (client_t *client, const char *method, const void *body, char *message, size_t size, Spool **spool)
{
    Reply *reply = client_call (client, method, body);
    Status status = reply? reply->status: STATUS__UNKNOWN;
    snprintf (message, size, "%s", reply? reply->message: client_error (client));
    if (spool)
        *spool = reply && reply->status == STATUS__OK
            ? (Spool *) codec_decode (&spool__descriptor, reply->body.data, reply->body.len): NULL;
    codec_free (reply);
    return status;
}

static Status
s_chunk (client_t *client, const char *id, const uint8_t *data, uint64_t offset, size_t length,
         char *message, size_t size, uint64_t *received)
{
    UploadChunk chunk = UPLOAD_CHUNK__INIT;
    chunk.upload_id = (char *) id;
    chunk.offset = offset;
    chunk.data.data = (uint8_t *) data + offset;
    chunk.data.len = length;
    Spool *spool = NULL;
    Status status = s_call (client, "claims.UploadChunk", &chunk, message, size, &spool);
    if (received && spool)
        *received = spool->bytes_received;
    codec_free (spool);
    return status;
}

static Status
s_file_call (client_t *client, const char *method, const char *id, const uint8_t *content, size_t length,
             char *message, size_t size)
{
    FileRequest request = FILE_REQUEST__INIT;
    request.filename = "";
    request.upload_id = (char *) id;
    request.content.data = (uint8_t *) content;
    request.content.len = length;
    return s_call (client, method, &request, message, size, NULL);
}

START_TEST (test_claims_upload)
{
    harness_t *harness = harness_new ("claims-upload");
    ck_assert_ptr_nonnull (harness);
    bool ok = harness_keys (harness, NULL) == 0 && harness_config (harness) != NULL;
    char *add [] = { (char *) harness_bin (harness, "cli/rcmqctl"), "keys", "add", "biller",
                     "--role", "internal-biller", "--team", "internal",
                     "--dir", (char *) harness_path (harness, "keys"), NULL };
    ok = ok && harness_run (harness, "rcmqctl", add, NULL, 20000) == 0;
    char uploads [1100];
    snprintf (uploads, sizeof uploads, "%s/claims-uploads", harness_dir (harness));
    int port = harness_free_port ();
    ok = ok && harness_config_append (harness,
        "claims\n    api = \"tcp://127.0.0.1:%d\"\n    upload-dir = \"%s\"\n    max-request-bytes = %d\n",
        port, uploads, CU_LIMIT) == 0;
    harness_proc_t *procs [2] = { NULL };
    ok = ok && harness_start_services (harness, s_services, procs, harness_scaled_ms (30000));
    ok = ok && harness_grant (harness, "biller", "internal-biller", "internal", NULL) == 0;
    if (!ok) {
        harness_destroy (&harness, true);
        ck_abort_msg ("setup failed");
    }
    char endpoint [64];
    snprintf (endpoint, sizeof endpoint, "tcp://127.0.0.1:%d", port);
    const char *keys = harness_path (harness, "keys");
    char *claims_key = transport_load_public_key (keys, "claims");
    zcert_t *admin_cert = transport_load_secret (keys, "admin");
    zcert_t *biller_cert = transport_load_secret (keys, "biller");
    client_t *admin = client_new (endpoint, claims_key, admin_cert);
    client_t *biller = client_new (endpoint, claims_key, biller_cert);
    client_set_timeout (admin, harness_scaled_ms (20000));
    client_set_timeout (biller, harness_scaled_ms (20000));
    client_set_max_request (admin, CU_LIMIT);
    client_set_max_request (biller, CU_LIMIT);
    uint8_t data [CU_SIZE];
    for (size_t i = 0; i < sizeof data; i++)
        data [i] = (uint8_t) ('A' + i % 26);
    int failures = 0;
#   define CHECK(cond, ...) do { if (!(cond)) { failures++; fprintf (stderr, "test_claims_upload: FAIL: " __VA_ARGS__); \
                                               fprintf (stderr, "\n"); } } while (0)
    char message [600];

    //  Refusals
    UploadBegin begin = UPLOAD_BEGIN__INIT;
    begin.filename = "big-277ca.x12";
    begin.size = CU_SIZE;
    Spool *spool = NULL;
    Status status = s_call (admin, "claims.UploadBegin", &begin, message, sizeof message, &spool);
    CHECK (status == STATUS__OK && spool && streq (spool->state, "receiving"), "UploadBegin: %s", message);
    char id [64] = "";
    if (spool)
        snprintf (id, sizeof id, "%s", spool->upload_id);
    codec_free (spool);
    uint64_t received = 0;
    status = s_chunk (admin, id, data, 0, CU_CHUNK, message, sizeof message, &received);
    CHECK (status == STATUS__OK && received == CU_CHUNK, "first chunk: %s", message);
    status = s_chunk (admin, id, data, 2 * CU_CHUNK, CU_CHUNK, message, sizeof message, NULL);
    CHECK (status == STATUS__FAILED_PRECONDITION && strstr (message, id) && strstr (message, "send from byte 6000"),
           "a chunk past what arrived: %s: %s", codec_status_name (status), message);
    status = s_file_call (admin, "claims.Acknowledge", id, NULL, 0, message, sizeof message);
    CHECK (status == STATUS__FAILED_PRECONDITION && strstr (message, id) && strstr (message, "6000 of its 20000"),
           "a call on part of the file: %s: %s", codec_status_name (status), message);
    status = s_file_call (admin, "claims.Post", "S00nope", NULL, 0, message, sizeof message);
    CHECK (status == STATUS__NOT_FOUND && strstr (message, "S00nope"),
           "an unknown upload: %s: %s", codec_status_name (status), message);
    status = s_chunk (biller, id, data, CU_CHUNK, CU_CHUNK, message, sizeof message, NULL);
    CHECK (status == STATUS__PERMISSION_DENIED && strstr (message, id),
           "another identity's chunk: %s: %s", codec_status_name (status), message);
    status = s_file_call (biller, "claims.Post", id, NULL, 0, message, sizeof message);
    CHECK (status == STATUS__PERMISSION_DENIED && strstr (message, id),
           "another identity's post: %s: %s", codec_status_name (status), message);
    status = s_file_call (admin, "claims.Post", id, data, 100, message, sizeof message);
    CHECK (status == STATUS__INVALID_ARGUMENT && strstr (message, "not both"),
           "content and an upload id: %s: %s", codec_status_name (status), message);
    //  None of it changed the upload: it completes from byte 6000.
    for (uint64_t offset = CU_CHUNK; offset < CU_SIZE; offset += CU_CHUNK) {
        size_t length = CU_SIZE - offset < CU_CHUNK? CU_SIZE - offset: CU_CHUNK;
        status = s_chunk (admin, id, data, offset, length, message, sizeof message, &received);
        CHECK (status == STATUS__OK, "chunk at %" PRIu64 ": %s", offset, message);
    }
    CHECK (received == CU_SIZE, "%" PRIu64 " bytes received, expected %d", received, CU_SIZE);
    CHECK (harness_files_in (uploads) == 1, "%zu files spooled, expected 1", harness_files_in (uploads));

    //  Consumed by the call that reads it, whatever it makes of it.
    status = s_file_call (admin, "claims.Acknowledge", id, NULL, 0, message, sizeof message);
    CHECK (status == STATUS__INVALID_ARGUMENT && strstr (message, "big-277ca.x12 is not a readable 277CA"),
           "a spooled file that is no 277CA: %s: %s", codec_status_name (status), message);
    status = s_file_call (admin, "claims.Acknowledge", id, NULL, 0, message, sizeof message);
    CHECK (status == STATUS__NOT_FOUND && strstr (message, id),
           "the upload after the call that read it: %s: %s", codec_status_name (status), message);
    CHECK (harness_files_in (uploads) == 0, "%zu files left in the upload folder", harness_files_in (uploads));

    //  Abort
    begin.filename = "abandoned.x12";
    status = s_call (admin, "claims.UploadBegin", &begin, message, sizeof message, &spool);
    snprintf (id, sizeof id, "%s", spool? spool->upload_id: "");
    codec_free (spool);
    status = s_chunk (admin, id, data, 0, CU_CHUNK, message, sizeof message, NULL);
    CHECK (status == STATUS__OK && harness_files_in (uploads) == 1, "chunk of the upload to abort: %s", message);
    UploadId abort_request = UPLOAD_ID__INIT;
    abort_request.upload_id = id;
    status = s_call (admin, "claims.UploadAbort", &abort_request, message, sizeof message, &spool);
    CHECK (status == STATUS__OK && spool && streq (spool->state, "aborted"), "UploadAbort: %s", message);
    codec_free (spool);
    CHECK (harness_files_in (uploads) == 0, "the aborted upload's file is still there");
    status = s_chunk (admin, id, data, CU_CHUNK, CU_CHUNK, message, sizeof message, NULL);
    CHECK (status == STATUS__NOT_FOUND && strstr (message, id), "a chunk after the abort: %s: %s",
           codec_status_name (status), message);

    client_destroy (&admin);
    client_destroy (&biller);
    zcert_destroy (&admin_cert);
    zcert_destroy (&biller_cert);
    free (claims_key);
    int exit_status = 0;
    CHECK (harness_first_exited (procs, 2, &exit_status) < 0, "a process exited (status %d)", exit_status);
    harness_destroy (&harness, failures > 0);
    ck_assert_msg (failures == 0, "%d check(s) failed (see above)", failures);
}
END_TEST

Suite *
claims_upload_suite (void)
{
    Suite *suite = suite_create ("claims_upload");
    TCase *tcase = tcase_create ("claims_upload");
    tcase_set_timeout (tcase, 240);
    tcase_add_test (tcase, test_claims_upload);
    suite_add_tcase (suite, tcase);
    return suite;
}
