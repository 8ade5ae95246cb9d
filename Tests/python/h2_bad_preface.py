"""A connection preface that starts like HTTP/2's but breaks it gets GOAWAY PROTOCOL_ERROR."""

import socket

from h2_common import PROTOCOL_ERROR, fail, goaway_error, port_argument, read_frames

sock = socket.create_connection(("127.0.0.1", port_argument()), timeout=10)
sock.sendall(b"PRI * HTTP/2.0\r\n\r\nXX\r\n\r\n" + b"\x00\x00\x00\x04\x00\x00\x00\x00\x00")
frames = read_frames(sock)
error = goaway_error(frames)
if error != PROTOCOL_ERROR:
    fail("expected GOAWAY PROTOCOL_ERROR, got %r in frames %r" % (error, [f[0] for f in frames]))
print("ok")
