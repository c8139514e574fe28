"""A reverse proxy that checks every response of the EdControl API against its OpenAPI
document with openapi-core (status, headers and body), for the end-to-end tests of the
generated clients: the clients talk to the proxy, the proxy to the server.

Usage: validating_proxy.py DOCUMENT UPSTREAM_URL REPORT_FILE

Prints the URL it listens on (a free loopback port) once it is ready. Requests go upstream
unchanged, their bodies streamed; each response is read whole, checked, then passed back
unchanged. One JSON line per response is appended to REPORT_FILE: method, path, status and
the problems found (an empty list when the response is as the document says).
"""
import http.client
import http.server
import json
import sys
import threading
import urllib.parse

import yaml
from helper_lifetime import end_with_parent
from openapi_core import Config, OpenAPI
from openapi_core.validation.response.exceptions import MissingData
from openapi_core.contrib.werkzeug import WerkzeugOpenAPIRequest, WerkzeugOpenAPIResponse
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request, Response

# The API's paths; the dashboard's pages beside them are not part of the document.
API_PATHS = ("/api/", "/health", "/ready", "/metrics")
# openapi-core decodes only text/plain and text/html as text: the API's other text files are
# strings too (strictly UTF-8), and the document itself is YAML.
TEXT_TYPES = ("text/vtt", "text/csv", "application/x-subrip")
DESERIALIZERS = {kind: (lambda data, **parameters: data.decode("utf-8")) for kind in TEXT_TYPES}
DESERIALIZERS["application/yaml"] = lambda data, **parameters: yaml.safe_load(data)
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "proxy-connection", "host"}


def problems_of(error):
    """The messages of an openapi-core error and of the errors it wraps, outermost first."""
    found, seen = [], set()
    pending = [error]
    while pending:
        current = pending.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        found.append(f"{type(current).__name__}: {current}")
        pending += list(getattr(current, "schema_errors", []) or []) + [e for e in (current.__cause__, current.__context__) if e]
    return found


class Proxy(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, document, upstream, report):
        super().__init__(("127.0.0.1", 0), Handler)
        self.openapi = OpenAPI.from_file_path(document, config=Config(extra_media_type_deserializers=DESERIALIZERS))
        self.upstream = urllib.parse.urlsplit(upstream)
        self.report = open(report, "a", encoding="utf-8")
        self.report_lock = threading.Lock()

    def check(self, method, target, request_headers, status, response_headers, body):
        path, _, query = target.partition("?")
        if not path.startswith(API_PATHS):
            return
        request = Request(EnvironBuilder(method=method, base_url=f"http://{self.upstream.netloc}/", path=path,
                                         query_string=query, headers=request_headers).get_environ())
        response = Response(response=body, status=status, headers=response_headers)
        content_type = dict((name.lower(), value) for name, value in response_headers).get("content-type", "")
        try:
            self.openapi.validate_response(WerkzeugOpenAPIRequest(request), WerkzeugOpenAPIResponse(response))
            problems = []
        except MissingData:
            # openapi-core takes an empty body for a missing one; an empty text file (the RTTM
            # of a lesson where nobody speaks) is a valid string.
            problems = [] if not body and content_type.startswith(("text/",) + TEXT_TYPES) else ["MissingData: no body"]
        except Exception as error:  # every kind of mismatch is a finding to report, not a crash
            problems = problems_of(error)
        with self.report_lock:
            self.report.write(json.dumps({"method": method, "path": path, "status": status, "problems": problems}) + "\n")
            self.report.flush()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *arguments):
        pass

    def request_body(self):
        """The request's body as a stream of pieces (None without one), never all in memory."""
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            def chunks():
                while True:
                    size = int(self.rfile.readline().split(b";")[0], 16)
                    if size == 0:
                        self.rfile.readline()
                        return
                    yield self.rfile.read(size)
                    self.rfile.readline()
            return chunks()
        length = int(self.headers.get("Content-Length") or 0)
        if length == 0:
            return None

        def pieces(left=length):
            while left > 0:
                piece = self.rfile.read(min(left, 1 << 20))
                if not piece:
                    return
                left -= len(piece)
                yield piece
        return pieces()

    def forward(self):
        proxy = self.server
        headers = {name: value for name, value in self.headers.items() if name.lower() not in HOP_BY_HOP}
        body = self.request_body()
        upstream = http.client.HTTPConnection(proxy.upstream.hostname, proxy.upstream.port, timeout=600)
        try:
            try:
                upstream.request(self.command, self.path, body=body, headers=headers,
                                 encode_chunked=body is not None and "Content-Length" not in headers)
            except (BrokenPipeError, ConnectionResetError):
                # The server answered before taking the whole body (a refused upload): its
                # answer is read all the same, and this connection is not reused.
                self.close_connection = True
            answer = upstream.getresponse()
            data = answer.read()
            response_headers = [(name, value) for name, value in answer.getheaders() if name.lower() not in HOP_BY_HOP]
        finally:
            upstream.close()
        proxy.check(self.command, self.path, list(self.headers.items()), answer.status, response_headers, data)
        self.send_response(answer.status, answer.reason)
        if self.close_connection:
            self.send_header("Connection", "close")
        for name, value in response_headers:
            if name.lower() != "content-length":
                self.send_header(name, value)
        # A HEAD answer keeps the length of the body it describes.
        length = answer.getheader("Content-Length") if self.command == "HEAD" else str(len(data))
        if length is not None:
            self.send_header("Content-Length", length)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = forward


if __name__ == "__main__":
    server = Proxy(*sys.argv[1:4])
    print(f"http://127.0.0.1:{server.server_address[1]}", flush=True)
    end_with_parent()
    server.serve_forever()
