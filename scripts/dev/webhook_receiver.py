"""A webhook receiver for the tests, in a process of its own (the test process can be too busy
with other tests' analyses to answer a delivery in time): POST /hook answers 200 (500 to the
first REFUSALS calls), POST /redirect answers 307 to /hook. Every call is appended to
LOG_FILE as a line of JSON: its path, its headers (names in lower case) and its body in
base64.

Usage: webhook_receiver.py LOG_FILE [REFUSALS] — prints the port it listens on (loopback) once ready.
"""
import base64
import http.server
import json
import sys
import threading

from helper_lifetime import end_with_parent

refusals_left = int(sys.argv[2]) if len(sys.argv) > 2 else 0
lock = threading.Lock()


class Receiver(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        global refusals_left
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        call = {"path": self.path, "headers": {name.lower(): value for name, value in self.headers.items()},
                "body": base64.b64encode(body).decode()}
        with lock:
            with open(sys.argv[1], "a", encoding="utf-8") as log:
                log.write(json.dumps(call) + "\n")
            refuse = self.path == "/hook" and refusals_left > 0
            if refuse:
                refusals_left -= 1
        if self.path == "/redirect":
            self.send_response(307)
            self.send_header("Location", "/hook")
        elif self.path == "/hook":
            self.send_response(500 if refuse else 200)
        else:
            self.send_response(404)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format, *arguments):
        pass


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
print(server.server_address[1], flush=True)
end_with_parent()
server.serve_forever()
