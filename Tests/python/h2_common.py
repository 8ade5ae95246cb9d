"""A small HTTP/2 client on the `h2` package for the transport tests: it records what each
stream received (headers, data, end, reset) and what the connection did (GOAWAY, close)."""

import socket
import struct
import sys
import time

import h2.config
import h2.connection
import h2.events


def fail(message):
    print(message, file=sys.stderr)
    sys.exit(1)


def port_argument():
    if len(sys.argv) < 2:
        fail("usage: %s PORT" % sys.argv[0])
    return int(sys.argv[1])


class Client:
    def __init__(self, port, settings=None):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        config = h2.config.H2Configuration(
            client_side=True,
            header_encoding="utf-8",
            validate_outbound_headers=False,
            normalize_outbound_headers=False,
        )
        self.conn = h2.connection.H2Connection(config=config)
        self.conn.initiate_connection()
        if settings:
            self.conn.update_settings(settings)
        self.headers = {}
        self.data = {}
        self.ended = set()
        self.resets = {}
        self.goaway = None
        self.closed = False
        self.unacknowledged = set()
        self.flush()

    def flush(self):
        outgoing = self.conn.data_to_send()
        if outgoing:
            self.sock.sendall(outgoing)

    def request(self, path, method="GET", body=None, extra_headers=(), pseudo=None):
        stream_id = self.conn.get_next_available_stream_id()
        headers = pseudo if pseudo is not None else [
            (":method", method),
            (":scheme", "http"),
            (":authority", "127.0.0.1"),
            (":path", path),
        ]
        headers = list(headers) + list(extra_headers)
        self.conn.send_headers(stream_id, headers, end_stream=body is None)
        if body is not None:
            self.conn.send_data(stream_id, body, end_stream=True)
        self.flush()
        return stream_id

    def status(self, stream_id):
        return self.headers.get(stream_id, {}).get(":status")

    def body(self, stream_id):
        return bytes(self.data.get(stream_id, b""))

    def read_until(self, predicate, timeout=10.0):
        deadline = time.monotonic() + timeout
        while not predicate() and not self.closed and time.monotonic() < deadline:
            self.sock.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                incoming = self.sock.recv(65536)
            except socket.timeout:
                break
            except ConnectionResetError:
                self.closed = True
                break
            if not incoming:
                self.closed = True
                break
            for event in self.conn.receive_data(incoming):
                self.handle(event)
            self.flush()
        return predicate()

    def handle(self, event):
        if isinstance(event, h2.events.ResponseReceived):
            self.headers[event.stream_id] = dict(event.headers)
        elif isinstance(event, h2.events.DataReceived):
            self.data.setdefault(event.stream_id, bytearray()).extend(event.data)
            if event.stream_id not in self.unacknowledged:
                self.conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
        elif isinstance(event, h2.events.StreamEnded):
            self.ended.add(event.stream_id)
        elif isinstance(event, h2.events.StreamReset):
            self.resets[event.stream_id] = event.error_code
        elif isinstance(event, h2.events.ConnectionTerminated):
            self.goaway = (event.error_code, event.last_stream_id)


def read_frames(sock, timeout=5.0):
    """Reads raw frames until the peer closes or `timeout` passes: [(type, flags, stream, payload)]."""
    deadline = time.monotonic() + timeout
    received = bytearray()
    while time.monotonic() < deadline:
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            chunk = sock.recv(65536)
        except (socket.timeout, ConnectionResetError):
            break
        if not chunk:
            break
        received.extend(chunk)
    frames = []
    offset = 0
    while offset + 9 <= len(received):
        length = int.from_bytes(received[offset:offset + 3], "big")
        frame_type, flags = received[offset + 3], received[offset + 4]
        stream_id = struct.unpack(">I", bytes(received[offset + 5:offset + 9]))[0] & 0x7FFFFFFF
        payload = bytes(received[offset + 9:offset + 9 + length])
        frames.append((frame_type, flags, stream_id, payload))
        offset += 9 + length
    return frames


GOAWAY = 0x7
PROTOCOL_ERROR = 0x1
NO_ERROR = 0x0


def goaway_error(frames):
    """The error code of the first GOAWAY among raw frames, or None."""
    for frame_type, _, _, payload in frames:
        if frame_type == GOAWAY and len(payload) >= 8:
            return struct.unpack(">I", payload[4:8])[0]
    return None
