"""Header-read and idle timeouts. The server under test runs with headerReadTimeout 300 ms
and idleTimeout 600 ms.
- HTTP/1.1 with an unfinished header section gets 408 and the connection closes.
- HTTP/2 with no request gets GOAWAY and the connection closes.
- HTTP/2 idle after a request gets GOAWAY NO_ERROR and closes.
- HTTP/1.1 idle after a response is closed.
- HTTP/1.1 kept alive: requests 200 ms apart outlive the idle timeout, and a later request's
  unfinished header section still gets 408 within the header timeout."""

import socket
import time

from h2_common import NO_ERROR, Client, fail, goaway_error, port_argument, read_frames

port = port_argument()


def read_until_closed(sock):
    """Everything the server sends until it closes the connection."""
    reply = bytearray()
    while True:
        chunk = sock.recv(4096)
        if not chunk:
            return bytes(reply)
        reply.extend(chunk)


sock = socket.create_connection(("127.0.0.1", port), timeout=10)
sock.sendall(b"GET /hello HTTP/1.1\r\nHost: x\r\n")
started = time.monotonic()
reply = read_until_closed(sock)
if not reply.startswith(b"HTTP/1.1 408"):
    fail("HTTP/1.1 header timeout got %r" % bytes(reply[:40]))
if time.monotonic() - started > 5:
    fail("HTTP/1.1 header timeout took too long")

sock = socket.create_connection(("127.0.0.1", port), timeout=10)
sock.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + b"\x00\x00\x00\x04\x00\x00\x00\x00\x00")
if goaway_error(read_frames(sock, timeout=5)) is None:
    fail("HTTP/2 header timeout sent no GOAWAY")

client = Client(port)
stream = client.request("/hello")
if not client.read_until(lambda: stream in client.ended):
    fail("request failed")
client.read_until(lambda: client.closed, timeout=5)
if client.goaway is None or client.goaway[0] != NO_ERROR or not client.closed:
    fail("HTTP/2 idle connection: goaway %r closed %r" % (client.goaway, client.closed))

sock = socket.create_connection(("127.0.0.1", port), timeout=10)
sock.sendall(b"GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
reply = read_until_closed(sock)
if not reply.startswith(b"HTTP/1.1 200") or not reply.endswith(b"hello, world\n"):
    fail("HTTP/1.1 idle connection got %r" % bytes(reply))


def read_response(sock):
    """One whole /hello response (it ends with the 13-byte body)."""
    reply = bytearray()
    while not reply.endswith(b"hello, world\n"):
        chunk = sock.recv(4096)
        if not chunk:
            fail("HTTP/1.1 keep-alive connection closed after %r" % bytes(reply))
        reply.extend(chunk)
    return bytes(reply)


sock = socket.create_connection(("127.0.0.1", port), timeout=10)
started = time.monotonic()
for _ in range(6):
    sock.sendall(b"GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
    if not read_response(sock).startswith(b"HTTP/1.1 200"):
        fail("HTTP/1.1 keep-alive request failed")
    time.sleep(0.2)
if time.monotonic() - started < 1.0:
    fail("HTTP/1.1 keep-alive requests ended too soon to outlive the idle timeout")
sock.sendall(b"GET /hello HTTP/1.1\r\nHost: x\r\n")
started = time.monotonic()
reply = read_until_closed(sock)
if not reply.startswith(b"HTTP/1.1 408"):
    fail("HTTP/1.1 header timeout on a kept-alive connection got %r" % bytes(reply[:40]))
if time.monotonic() - started > 2:
    fail("HTTP/1.1 header timeout on a kept-alive connection took %.1f s" % (time.monotonic() - started))
print("ok")
