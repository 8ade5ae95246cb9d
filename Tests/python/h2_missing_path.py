"""A request without :path gets RST_STREAM PROTOCOL_ERROR (nghttp2's HTTP messaging checks);
the connection's other streams continue."""

from h2_common import PROTOCOL_ERROR, Client, fail, port_argument

client = Client(port_argument())
broken = client.request("", pseudo=[(":method", "GET"), (":scheme", "http"), (":authority", "127.0.0.1")])
normal = client.request("/stream?n=3")
if not client.read_until(lambda: broken in client.resets and normal in client.ended):
    fail("resets %r ended %r goaway %r" % (client.resets, client.ended, client.goaway))
if client.resets[broken] != PROTOCOL_ERROR:
    fail("expected RST_STREAM PROTOCOL_ERROR, got %r" % client.resets[broken])
if client.status(normal) != "200" or client.body(normal) != b"chunk 0\nchunk 1\nchunk 2\n":
    fail("the other stream got %r %r" % (client.status(normal), client.body(normal)))
if client.goaway is not None:
    fail("connection went away: %r" % (client.goaway,))
print("ok")
