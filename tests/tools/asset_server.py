#!/usr/bin/env python3
"""asset_server — a loopback HTTP server of fixture files for the
download-assets tests: GET /files/NAME serves DIR/NAME with Range support
(206); GET /cut/NAME without a Range header sends the headers of the whole
file, half of its bytes, and closes the connection; with a Range header it
serves like /files/. Anything else is 404. Every request is logged to
DIR/requests.log (path and Range). Usage: asset_server.py DIR PORTFILE"""
import http.server, os, sys

ROOT, PORTFILE = sys.argv[1], sys.argv[2]


class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def do_GET(self):
        rng = self.headers.get("Range")
        with open(os.path.join(ROOT, "requests.log"), "a") as f:
            f.write("%s %s\n" % (self.path, rng or "-"))
        parts = self.path.split("/")
        if len(parts) != 3 or parts[1] not in ("files", "cut"):
            return self.send_error(404)
        p = os.path.join(ROOT, "files", parts[2])
        if not os.path.isfile(p):
            return self.send_error(404)
        data = open(p, "rb").read()
        start = 0
        if rng and rng.startswith("bytes="):
            start = int(rng[6:].split("-")[0])
            if start >= len(data):
                self.send_response(416)
                self.send_header("Content-Range", "bytes */%d" % len(data))
                self.end_headers()
                return
            self.send_response(206)
            self.send_header("Content-Range", "bytes %d-%d/%d" % (start, len(data) - 1, len(data)))
        else:
            self.send_response(200)
        body = data[start:]
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Content-Type", "application/octet-stream")
        self.end_headers()
        if parts[1] == "cut" and not rng:
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        self.wfile.write(body)


class S(http.server.ThreadingHTTPServer):
    daemon_threads = True


srv = S(("127.0.0.1", 0), H)
with open(PORTFILE + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
os.rename(PORTFILE + ".tmp", PORTFILE)
srv.serve_forever()
