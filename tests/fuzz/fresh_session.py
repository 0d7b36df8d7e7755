"""Schemathesis hook of tests/fuzz/schemathesis.sh: a session of its own for every test case.

Logging out, logging out everywhere and changing the password end the session whose token they
are called with, so with one token for the whole run only its first request could get past
authentication. Here each test case logs in first and sends the new session's access token.

Reads POSTERN_FUZZ_BASE (the server), POSTERN_FUZZ_EMAIL and POSTERN_FUZZ_PASSWORD (the account).
"""

import json
import os
import urllib.request

import schemathesis


def _login() -> str:
    body = json.dumps(
        {"email": os.environ["POSTERN_FUZZ_EMAIL"], "password": os.environ["POSTERN_FUZZ_PASSWORD"]}
    ).encode()
    request = urllib.request.Request(
        os.environ["POSTERN_FUZZ_BASE"] + "/api/v1/auth/login",
        data=body,
        headers={"content-type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)["data"]["accessToken"]


# No caching: a token is never reused, since the case it was sent with may have ended its session.
@schemathesis.auth(refresh_interval=None)
class FreshSession:
    def get(self, case, context):
        return _login()

    def set(self, case, data, context):
        case.headers = case.headers or {}
        case.headers["Authorization"] = f"Bearer {data}"
