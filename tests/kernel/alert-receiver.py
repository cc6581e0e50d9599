#!/usr/bin/env python3
"""Alertmanager webhook receiver for the real-kernel alert test, and a waiter over what it received.

  alert-receiver.py serve PORT FILE      append each POST as one JSON line {"received": unix_seconds, "body": {...}}
  alert-receiver.py wait FILE SINCE TIMEOUT STATUS ALERTNAME [LABEL=VALUE ...] [LABEL=]
      wait until an alert with that status and labels (LABEL= means: has no such label) arrives after SINCE
      (unix seconds); print its receive time and exit 0, or exit 1 at TIMEOUT seconds.
"""
import json, sys, time
from http.server import BaseHTTPRequestHandler, HTTPServer


def serve(port, path):
    out = open(path, "a", buffering=1)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            out.write(json.dumps({"received": time.time(), "body": json.loads(body)}) + "\n")
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    HTTPServer(("127.0.0.1", port), Handler).serve_forever()


def matches(alert, status, name, wanted):
    labels = alert.get("labels", {})
    if alert.get("status") != status or labels.get("alertname") != name:
        return False
    return all(labels.get(k, "") == v for k, v in wanted)


def wait(path, since, timeout, status, name, conditions):
    wanted = [c.split("=", 1) for c in conditions]
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            lines = open(path).read().splitlines()
        except FileNotFoundError:
            lines = []
        for line in lines:
            entry = json.loads(line)
            if entry["received"] >= since and any(matches(a, status, name, wanted) for a in entry["body"].get("alerts", [])):
                print("%.3f" % entry["received"])
                return 0
        time.sleep(0.25)
    return 1


if __name__ == "__main__":
    if sys.argv[1] == "serve":
        serve(int(sys.argv[2]), sys.argv[3])
    else:
        sys.exit(wait(sys.argv[2], float(sys.argv[3]), float(sys.argv[4]), sys.argv[5], sys.argv[6], sys.argv[7:]))
