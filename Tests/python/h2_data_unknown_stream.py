"""DATA on an idle stream (one the client never opened) is a connection error of type
PROTOCOL_ERROR (RFC 9113 §5.1, "idle"): the server sends GOAWAY with that code. A stream
that completed before it is unaffected, and the server keeps serving new connections."""

import struct

from h2_common import PROTOCOL_ERROR, Client, fail, port_argument

port = port_argument()
client = Client(port)
first = client.request("/hello")
if not client.read_until(lambda: first in client.ended) or client.status(first) != "200":
    fail("first stream failed")
# A DATA frame on stream 9, which is idle: h2 refuses to build it, so it is written raw.
payload = b"orphan"
client.sock.sendall(struct.pack(">I", len(payload))[1:] + b"\x00\x00" + struct.pack(">I", 9) + payload)
client.read_until(lambda: client.goaway is not None, timeout=5)
if client.goaway is None or client.goaway[0] != PROTOCOL_ERROR:
    fail("expected GOAWAY PROTOCOL_ERROR, got %r" % (client.goaway,))
if client.goaway[1] != first:
    fail("GOAWAY last stream id %r, expected %d" % (client.goaway[1], first))
fresh = Client(port)
again = fresh.request("/hello")
if not fresh.read_until(lambda: again in fresh.ended) or fresh.status(again) != "200":
    fail("a new connection was not served")
print("ok")
