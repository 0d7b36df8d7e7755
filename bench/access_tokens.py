"""Logs in every account whose email is a line of stdin, all with the same password, PARALLEL at
a time (each login waits on an Argon2 hash), and prints one access token a line, for
bench/scale.sh's profile cache misses. Fails on the first login that does not succeed.
Usage: access_tokens.py BASE_URL PASSWORD PARALLEL < EMAILS"""

import json
import sys
import urllib.request
from concurrent.futures import ThreadPoolExecutor

base, password, parallel = sys.argv[1], sys.argv[2], int(sys.argv[3])


def login(email):
    body = json.dumps({"email": email, "password": password}).encode()
    request = urllib.request.Request(f"{base}/api/v1/auth/login", body,
                                     {"content-type": "application/json"})
    with urllib.request.urlopen(request) as answer:
        return json.load(answer)["data"]["accessToken"]


emails = [line.strip() for line in sys.stdin if line.strip()]
with ThreadPoolExecutor(parallel) as pool:
    for token in pool.map(login, emails):
        print(token)
