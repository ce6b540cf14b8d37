/*  httploop: see httploop.h. */
#include "httploop.h"

static void
s_run (struct MHD_Daemon *daemon)
{
    //  MHD_run handles what is ready; a zero timeout after it means it has
    //  more to do at once (buffered data), so run again, boundedly.
    for (int round = 0; round < 8; round++) {
        MHD_run (daemon);
        MHD_UNSIGNED_LONG_LONG timeout;
        if (MHD_get_timeout (daemon, &timeout) != MHD_YES || timeout > 0)
            break;
    }
}

int
httploop_ready (zloop_t *loop, zmq_pollitem_t *item, void *daemon)
{
    (void) loop; (void) item;
    s_run ((struct MHD_Daemon *) daemon);
    return 0;
}

int
httploop_tick (zloop_t *loop, int timer_id, void *daemon)
{
    (void) loop; (void) timer_id;
    s_run ((struct MHD_Daemon *) daemon);
    return 0;
}
