"""A webhook receiver for the tests, in a process of its own (the test process can be too busy
with other tests' analyses to answer a delivery in time): POST /hook answers 200, POST
/redirect answers 307 to /hook; every path called is appended to LOG_FILE, a line each.

Usage: webhook_receiver.py LOG_FILE — prints the port it listens on (loopback) once ready.
"""
import http.server
import sys

from helper_lifetime import end_with_parent


class Receiver(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with open(sys.argv[1], "a", encoding="utf-8") as log:
            log.write(self.path + "\n")
        if self.path == "/redirect":
            self.send_response(307)
            self.send_header("Location", "/hook")
        else:
            self.send_response(200 if self.path == "/hook" else 404)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format, *arguments):
        pass


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
print(server.server_address[1], flush=True)
end_with_parent()
server.serve_forever()
