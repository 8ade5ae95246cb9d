"""A header section over the server's limit gets 431 on its stream; the connection's other
streams continue."""

from h2_common import Client, fail, port_argument

client = Client(port_argument())
big = client.request("/hello", extra_headers=[("x-big", "a" * 20000)])
normal = client.request("/hello")
if not client.read_until(lambda: big in client.ended and normal in client.ended):
    fail("streams did not finish: resets %r goaway %r" % (client.resets, client.goaway))
if client.status(big) != "431":
    fail("oversized header block got %r" % client.status(big))
if client.status(normal) != "200":
    fail("normal stream got %r" % client.status(normal))
after = client.request("/hello")
if not client.read_until(lambda: after in client.ended) or client.status(after) != "200":
    fail("a later stream failed")
print("ok")
