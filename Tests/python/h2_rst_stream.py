"""RST_STREAM in the middle of a response: the server stops that stream (the Swift test then
checks the handler's task was cancelled) and the connection serves the next request."""

import h2.errors

from h2_common import Client, fail, port_argument

client = Client(port_argument())
waiting = client.request("/wait")
if not client.read_until(lambda: len(client.body(waiting)) > 0):
    fail("no response data on the waiting stream")
client.conn.reset_stream(waiting, error_code=h2.errors.ErrorCodes.CANCEL)
client.flush()
after = client.request("/hello")
if not client.read_until(lambda: after in client.ended):
    fail("the request after RST_STREAM did not complete")
if client.status(after) != "200" or client.body(after) != b"hello, world\n":
    fail("unexpected response after RST_STREAM: %r %r" % (client.status(after), client.body(after)))
if client.goaway is not None:
    fail("connection went away: %r" % (client.goaway,))
print("ok")
