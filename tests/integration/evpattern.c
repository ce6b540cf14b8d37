/*  evpattern: publishes one denials.pattern event to a running deployment's
    broker, as the denials service would (with its key, as producer
    "denials-evpattern"), and waits for the broker's ack.

        evpattern --config FILE --payer ID --procedure CODE --category C
                  --count N --cents N [--carc CODE] [--seq N]

    The denials service's pattern detector is not built yet (issue 17);
    this stands in for it so intake's side -- a pattern becomes a scrub
    warning on matching claims -- is tested with real processes
    (tests/integration/denial-patterns.sh). A raw DEALER on the ingest
    socket, as test_event_table.c publishes events: the broker takes the
    denials stream only from the denials key, and the producer name is the
    key's ("denials-<instance>"), so this one's sequence never meets the
    real denials service's. Exit 0 once acked; 1 when refused or no answer.
*/
#include "config.h"
#include "clock.h"
#include "codec.h"
#include "transport.h"
#include "broker.pb-c.h"
#include "denials.pb-c.h"
#include "event.pb-c.h"

#include <getopt.h>
#include <sodium.h>

#define EVPATTERN_WAIT_MS 10000

int
main (int argc, char *argv [])
{
    static struct option options [] = {
        { "config",    required_argument, 0, 'c' },
        { "payer",     required_argument, 0, 'p' },
        { "procedure", required_argument, 0, 'P' },
        { "category",  required_argument, 0, 'C' },
        { "count",     required_argument, 0, 'n' },
        { "cents",     required_argument, 0, 'm' },
        { "carc",      required_argument, 0, 'r' },
        { "seq",       required_argument, 0, 's' },
        { 0, 0, 0, 0 }
    };
    DenialPattern pattern = DENIAL_PATTERN__INIT;
    const char *config_file = NULL;
    uint64_t seq = 1;
    int option;
    while ((option = getopt_long (argc, argv, "", options, NULL)) != -1) {
        switch (option) {
            case 'c': config_file = optarg; break;
            case 'p': pattern.payer_id = optarg; break;
            case 'P': pattern.procedure_code = optarg; break;
            case 'C': pattern.category = optarg; break;
            case 'n': pattern.count = (uint32_t) strtoul (optarg, NULL, 10); break;
            case 'm': pattern.cents = strtoll (optarg, NULL, 10); break;
            case 'r': pattern.carc = optarg; break;
            case 's': seq = strtoull (optarg, NULL, 10); break;
            default:
                fprintf (stderr, "usage: evpattern --config FILE --payer ID --procedure CODE --category C "
                         "--count N --cents N [--carc CODE] [--seq N]\n");
                return 2;
        }
    }
    if (!config_file || !*pattern.payer_id || !*pattern.category) {
        fprintf (stderr, "evpattern: --config, --payer and --category are required\n");
        return 2;
    }
    if (sodium_init () < 0)
        return 1;
    uint64_t now = clock_now_ms ();
    pattern.window_days = 30;
    pattern.first_seen_ms = now - 20 * CLOCK_MS_PER_DAY;
    pattern.last_seen_ms = now;
    pattern.trend = "rising";
    config_t *config = config_new ();
    if (config_load (config, config_file)) {
        fprintf (stderr, "evpattern: %s\n", config_error (config));
        return 2;
    }
    const char *keys_dir = config_path (config, "keys/dir", NULL);
    const char *ingest = config_get (config, "broker/ingest", NULL);
    zcert_t *cert = transport_load_secret (keys_dir, "denials");
    char *broker_key = transport_load_public_key (keys_dir, "broker");
    if (!cert || !broker_key || !ingest) {
        fprintf (stderr, "evpattern: the denials key, the broker's public key or broker/ingest is missing\n");
        return 1;
    }
    zsock_t *dealer = zsock_new (ZMQ_DEALER);
    transport_curve_client (dealer, cert, broker_key);
    zsock_set_linger (dealer, 0);
    zsock_connect (dealer, "%s", ingest);

    char key [256];
    snprintf (key, sizeof key, "%s/%s/%s", pattern.payer_id, pattern.procedure_code, pattern.category);
    size_t size;
    uint8_t *payload = codec_pack (&pattern, &size);
    Event event = EVENT__INIT;
    event.stream = "denials";
    event.type = "pattern";
    event.producer = "denials-evpattern";
    event.producer_seq = seq;
    event.key = key;
    event.time_ms = now;
    event.payload.data = payload;
    event.payload.len = size;
    Event *events [1] = { &event };
    PublishBatch batch = PUBLISH_BATCH__INIT;
    batch.producer = event.producer;
    batch.n_events = 1;
    batch.events = events;
    zmsg_t *msg = zmsg_new ();
    zmsg_addstr (msg, "PUBLISH");
    zframe_t *frame = codec_encode (&batch);
    zmsg_append (msg, &frame);
    zmsg_send (&msg, dealer);
    free (payload);

    zpoller_t *poller = zpoller_new (dealer, NULL);
    zmsg_t *reply = zpoller_wait (poller, EVPATTERN_WAIT_MS) == dealer? zmsg_recv (dealer): NULL;
    zpoller_destroy (&poller);
    char *command = reply? zmsg_popstr (reply): NULL;
    bool acked = command && streq (command, "ACK");
    if (!acked)
        fprintf (stderr, "evpattern: the broker answered %s\n", command? command: "nothing");
    else
        printf ("published denials.pattern %s (producer %s seq %" PRIu64 ")\n", key, event.producer, seq);
    free (command);
    zmsg_destroy (&reply);
    zsock_destroy (&dealer);
    zcert_destroy (&cert);
    free (broker_key);
    config_destroy (&config);
    return acked? 0: 1;
}
