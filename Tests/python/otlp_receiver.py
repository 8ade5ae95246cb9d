"""A minimal OTLP/HTTP trace receiver for the tests: decodes each export request with the
official protobuf classes of `opentelemetry-proto` and prints every span as one JSON line.

Usage: otlp_receiver.py PORT_FILE [SECONDS]
Listens on 127.0.0.1 (a free port, written to PORT_FILE), accepts POST /v1/traces
(application/x-protobuf or application/json, gzip or not), answers as a collector does, and
exits on POST /quit or after SECONDS (default 60), whichever comes first.
"""

import gzip
import json
import os
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from google.protobuf import json_format
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

LOCK = threading.Lock()


def any_value(value):
    kind = value.WhichOneof("value")
    if kind == "string_value":
        return value.string_value
    if kind == "int_value":
        return value.int_value
    if kind == "double_value":
        return value.double_value
    if kind == "bool_value":
        return value.bool_value
    return json_format.MessageToDict(value)


def attributes(pairs):
    return {pair.key: any_value(pair.value) for pair in pairs}


def emit(request):
    for resource_spans in request.resource_spans:
        resource = attributes(resource_spans.resource.attributes)
        for scope_spans in resource_spans.scope_spans:
            for span in scope_spans.spans:
                line = {
                    "service": resource.get("service.name"),
                    "trace_id": span.trace_id.hex(),
                    "span_id": span.span_id.hex(),
                    "parent_span_id": span.parent_span_id.hex(),
                    "name": span.name,
                    "kind": span.kind,
                    "start_time_unix_nano": span.start_time_unix_nano,
                    "end_time_unix_nano": span.end_time_unix_nano,
                    "attributes": attributes(span.attributes),
                    "events": [
                        {"name": event.name, "time_unix_nano": event.time_unix_nano,
                         "attributes": attributes(event.attributes)}
                        for event in span.events
                    ],
                    "status": span.status.code,
                }
                with LOCK:
                    print(json.dumps(line), flush=True)


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length", "0")))
        if self.path == "/quit":
            self.reply(200, "text/plain", b"bye")
            threading.Thread(target=self.server.shutdown).start()
            return
        if self.path != "/v1/traces":
            self.reply(404, "text/plain", b"not found")
            return
        if self.headers.get("content-encoding") == "gzip":
            body = gzip.decompress(body)
        request = ExportTraceServiceRequest()
        json_body = self.headers.get("content-type", "").startswith("application/json")
        try:
            if json_body:
                json_format.Parse(body, request)
            else:
                request.ParseFromString(body)
        except Exception as error:  # a malformed export is the exporter's bug: say so, answer 400
            print(f"bad export: {error}", file=sys.stderr, flush=True)
            self.reply(400, "text/plain", b"bad export")
            return
        emit(request)
        response = ExportTraceServiceResponse()
        if json_body:
            self.reply(200, "application/json", json_format.MessageToJson(response).encode())
        else:
            self.reply(200, "application/x-protobuf", response.SerializeToString())

    def reply(self, status, content_type, payload):
        self.send_response(status)
        self.send_header("content-type", content_type)
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


def main():
    port_file = sys.argv[1]
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 60.0
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    with open(port_file + ".tmp", "w") as handle:
        handle.write(str(server.server_address[1]))
    # Renamed into place so a reader never sees a half-written port.
    os.replace(port_file + ".tmp", port_file)
    timer = threading.Timer(seconds, server.shutdown)
    timer.daemon = True
    timer.start()
    server.serve_forever()


if __name__ == "__main__":
    main()
