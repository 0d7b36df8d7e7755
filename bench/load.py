"""A small mixed-load client for bench/resilience.sh (standard library only).

Usage: load.py BASE_URL ACCESS_TOKEN SECONDS OUT_JSON [CONCURRENCY]

Threads loop over /health, /ready, GET and PATCH /api/v1/user/profile, /api/v1/auth/me and a
login, each request with a 10 s timeout, until SECONDS have passed or the file STOP beside
OUT_JSON exists. OUT_JSON gets per-path status counts, the error codes of 5xx answers, and the
number of requests that got no answer at all, split into refused connections (nothing was in
flight) and broken ones (a request in flight lost its answer)."""

import collections
import http.client
import json
import os
import sys
import threading
import time
import urllib.parse

base, token, seconds, out = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4]
concurrency = int(sys.argv[5]) if len(sys.argv) > 5 else 4
target = urllib.parse.urlsplit(base)
stop_file = os.path.join(os.path.dirname(out), "STOP")
auth = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
login_body = json.dumps({"email": "load@resilience.test", "password": "resilience password"})
requests = [
    ("GET", "/health", None, {}),
    ("GET", "/ready", None, {}),
    ("GET", "/api/v1/user/profile", None, auth),
    ("PATCH", "/api/v1/user/profile", json.dumps({"name": "Load"}), auth),
    ("GET", "/api/v1/auth/me", None, auth),
    ("POST", "/api/v1/auth/login", login_body, {"Content-Type": "application/json"}),
]
lock = threading.Lock()
statuses = collections.Counter()
server_errors = collections.Counter()
refused = 0
broken = 0
deadline = time.monotonic() + seconds


def one(method, path, body, headers):
    global refused, broken
    connection = http.client.HTTPConnection(target.hostname, target.port, timeout=10)
    try:
        connection.connect()
    except OSError:
        with lock:
            refused += 1
        time.sleep(0.05)
        return
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        payload = response.read()
    except (OSError, http.client.HTTPException):
        with lock:
            broken += 1
        return
    finally:
        connection.close()
    with lock:
        statuses[f"{method} {path} {response.status}"] += 1
        if response.status >= 500:
            try:
                code = json.loads(payload).get("code")
            except ValueError:
                code = payload[:60].decode(errors="replace")
            server_errors[f"{method} {path} {response.status} {code}"] += 1


def worker(offset):
    i = offset
    while time.monotonic() < deadline and not os.path.exists(stop_file):
        one(*requests[i % len(requests)])
        i += 1


threads = [threading.Thread(target=worker, args=(n,)) for n in range(concurrency)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
json.dump({"statuses": statuses, "server_errors": server_errors, "refused": refused,
           "broken": broken}, open(out, "w"), indent=1)
