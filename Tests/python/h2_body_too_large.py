"""A request body over the server's limit gets 413 on its stream; the other streams continue.
The server under test runs with maxBodySize 1024."""

from h2_common import Client, fail, port_argument

client = Client(port_argument())
large = client.request("/echo", method="POST", body=b"x" * 4096)
small = client.request("/echo", method="POST", body=b"y" * 512)
if not client.read_until(lambda: large in client.ended and small in client.ended):
    fail("streams did not finish: resets %r goaway %r" % (client.resets, client.goaway))
if client.status(large) != "413":
    fail("oversized body got %r" % client.status(large))
if client.status(small) != "200" or client.body(small) != b"y" * 512:
    fail("small body got %r" % client.status(small))
print("ok")
