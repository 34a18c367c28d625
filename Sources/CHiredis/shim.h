// hiredis (Debian's libhiredis-dev, 0.14.1): the synchronous RESP2 client for SentinelStreams.
#include <hiredis/hiredis.h>
