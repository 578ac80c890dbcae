#!/usr/bin/env python3
"""A webhook receiver for canthus's tests and benchmarks (standard library only).

Listens on 127.0.0.1, appends one JSON line per POST to LOG — the Idempotency-Key and
Authorization headers, the path and the body parsed as JSON — and answers 200 (or --status).
--silent accepts connections and reads requests but never answers (a receiver that hangs).
--tls CERT KEY serves HTTPS. The port it listens on is printed on the first line of stdout
(give --port 0 for any free one).
"""
import argparse
import http.server
import json
import socket
import ssl
import sys
import threading
import time


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--log", required=True, help="where each request is appended (JSON lines)")
    ap.add_argument("--status", type=int, default=200)
    ap.add_argument("--silent", action="store_true")
    ap.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
    args = ap.parse_args()

    lock = threading.Lock()

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            if args.silent:
                time.sleep(3600)
                return
            try:
                event = json.loads(body)
            except ValueError:
                event = None
            entry = {"key": self.headers.get("Idempotency-Key"), "authorization": self.headers.get("Authorization"),
                     "content_type": self.headers.get("Content-Type"), "path": self.path, "event": event}
            with lock, open(args.log, "a") as f:
                f.write(json.dumps(entry) + "\n")
            self.send_response(args.status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *a):
            pass

    class Server(http.server.ThreadingHTTPServer):
        allow_reuse_address = True
        daemon_threads = True
        address_family = socket.AF_INET

    server = Server(("127.0.0.1", args.port), Handler)
    if args.tls:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(args.tls[0], args.tls[1])
        server.socket = context.wrap_socket(server.socket, server_side=True)
    print(server.server_address[1], flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    sys.exit(0)


if __name__ == "__main__":
    main()
