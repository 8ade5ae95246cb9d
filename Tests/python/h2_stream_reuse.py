"""The server reuses the state of closed streams: on one connection, each request must see
exactly its own header fields, whatever the requests before it carried. A field whose value
no other response repeats (x-request-id) comes HPACK never-indexed; the others indexed."""

import h2.events
import hpack

from h2_common import Client, fail, port_argument


class RawHeadersClient(Client):
    """Keeps each response's header tuples as hpack decoded them (indexed or not)."""

    def __init__(self, port):
        self.raw_headers = {}
        super().__init__(port)

    def handle(self, event):
        if isinstance(event, h2.events.ResponseReceived):
            self.raw_headers[event.stream_id] = list(event.headers)
        super().handle(event)


client = RawHeadersClient(port_argument())


def check(stream_id, index, marked):
    expected = ("x-mark: %d\n" % index) if marked else ""
    if client.status(stream_id) != "200" or client.body(stream_id).decode() != expected:
        fail("request %d: %r %r, expected %r" % (index, client.status(stream_id), client.body(stream_id), expected))
    fields = {field[0]: field for field in client.raw_headers[stream_id]}
    request_id = fields.get("x-request-id")
    if request_id is None or str(request_id[1]) != str(index):
        fail("request %d: x-request-id %r" % (index, request_id))
    if not isinstance(request_id, hpack.NeverIndexedHeaderTuple):
        fail("request %d: x-request-id was not sent never-indexed: %r" % (index, type(request_id)))
    if isinstance(fields.get("content-type"), hpack.NeverIndexedHeaderTuple):
        fail("request %d: content-type was sent never-indexed" % index)


# One at a time, so every stream after the first takes over a closed one's state.
for index in range(40):
    marked = index % 3 == 0
    stream_id = client.request("/headers?id=%d" % index, extra_headers=[("x-mark", str(index))] if marked else [])
    if not client.read_until(lambda: stream_id in client.ended):
        fail("request %d did not finish: resets %r goaway %r" % (index, client.resets, client.goaway))
    check(stream_id, index, marked)

# Then many at once, marked and unmarked mixed.
streams = []
for index in range(40, 60):
    marked = index % 2 == 0
    streams.append((client.request("/headers?id=%d" % index, extra_headers=[("x-mark", str(index))] if marked else []), index, marked))
if not client.read_until(lambda: all(stream_id in client.ended for stream_id, _, _ in streams)):
    fail("concurrent requests did not finish: ended %r" % (client.ended,))
for stream_id, index, marked in streams:
    check(stream_id, index, marked)
print("ok")
