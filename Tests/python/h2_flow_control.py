"""A stream whose window is 1 byte stalls alone: the connection's other streams complete
while it has received at most one byte."""

import h2.settings

from h2_common import Client, fail, port_argument

client = Client(port_argument(), settings={h2.settings.SettingCodes.INITIAL_WINDOW_SIZE: 1})
slow = client.request("/stream?n=2000")
client.unacknowledged.add(slow)
fast = [client.request("/stream?n=3000") for _ in range(3)]
for stream_id in fast:
    client.conn.increment_flow_control_window(1 << 20, stream_id=stream_id)
client.conn.increment_flow_control_window(1 << 24)
client.flush()
if not client.read_until(lambda: all(stream_id in client.ended for stream_id in fast), timeout=20):
    fail("fast streams did not finish: %r" % {s: len(client.body(s)) for s in fast})
for stream_id in fast:
    lines = client.body(stream_id).splitlines()
    if len(lines) != 3000 or lines[-1] != b"chunk 2999":
        fail("stream %d got %d lines" % (stream_id, len(lines)))
if slow in client.ended or len(client.body(slow)) > 1:
    fail("the 1-byte-window stream got %d bytes" % len(client.body(slow)))
if client.goaway is not None:
    fail("connection went away: %r" % (client.goaway,))
print("ok slow=%d bytes" % len(client.body(slow)))
