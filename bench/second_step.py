"""The latency a TOTP second step adds to a login, one request at a time on an idle server.

Usage: second_step.py BASE_URL ACCOUNTS

A TOTP code is accepted once per factor and 30-second step, so a load generator cannot replay
one: each of ACCOUNTS accounts gets its own factor, confirmed in one step, and is then logged in
once, in a later step, with the code of that step. The same number of password-only logins of
one more account are timed alongside, in turns, so that both see the same machine. Prints one
JSON object: the medians and the 99th percentiles in milliseconds of the password-only login,
of the first step of a login with a factor, of its second step, and of the two together."""

import base64
import hashlib
import hmac
import http.client
import json
import statistics
import struct
import sys
import time
from urllib.parse import urlsplit

STEP_SECONDS = 30
PASSWORD = "second step bench password 123"


def totp(secret_base32, at):
    key = base64.b32decode(secret_base32 + "=" * (-len(secret_base32) % 8))
    mac = hmac.new(key, struct.pack(">Q", int(at) // STEP_SECONDS), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    return f"{(struct.unpack('>I', mac[offset:offset + 4])[0] & 0x7FFFFFFF) % 1_000_000:06d}"


class Client:
    def __init__(self, base):
        url = urlsplit(base)
        self.conn = http.client.HTTPConnection(url.hostname, url.port)

    def call(self, method, path, body=None, token=None):
        headers = {"content-type": "application/json"}
        if token:
            headers["authorization"] = f"Bearer {token}"
        self.conn.request(method, path, json.dumps(body) if body is not None else None, headers)
        response = self.conn.getresponse()
        payload = json.loads(response.read() or b"null")
        if response.status >= 300:
            sys.exit(f"{method} {path}: {response.status} {payload}")
        return payload["data"]

    def timed(self, method, path, body):
        start = time.perf_counter()
        data = self.call(method, path, body)
        return data, (time.perf_counter() - start) * 1000


def account_with_factor(client, email):
    client.call("POST", "/api/v1/auth/signup", {"email": email, "password": PASSWORD})
    token = client.call("POST", "/api/v1/auth/login", {"email": email, "password": PASSWORD})["accessToken"]
    factor = client.call("POST", "/api/v1/user/mfa/totp", {"currentPassword": PASSWORD}, token)
    client.call(
        "POST",
        "/api/v1/user/mfa/totp/confirm",
        {"factorId": factor["factorId"], "code": totp(factor["secret"], time.time())},
        token,
    )
    return email, factor["secret"]


def wait_for_next_step():
    time.sleep(STEP_SECONDS - time.time() % STEP_SECONDS + 0.05)


def summary(samples):
    ordered = sorted(samples)
    return {
        "p50_ms": round(statistics.median(ordered), 3),
        "p99_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))], 3),
    }


def main():
    base, count = sys.argv[1], int(sys.argv[2])
    client = Client(base)
    tag = f"{int(time.time())}"
    plain = f"second-step-plain-{tag}@bench.test"
    client.call("POST", "/api/v1/auth/signup", {"email": plain, "password": PASSWORD})
    accounts = [account_with_factor(client, f"second-step-{tag}-{i}@bench.test") for i in range(count)]
    # Every factor's confirmation spent a step; a code of that step would be refused now. The
    # wait may outlast the server's keep-alive, so the timed requests use a new connection.
    wait_for_next_step()
    client = Client(base)
    password_only, first, second, both = [], [], [], []
    for email, secret in accounts:
        _, ms = client.timed("POST", "/api/v1/auth/login", {"email": plain, "password": PASSWORD})
        password_only.append(ms)
        answer, first_ms = client.timed("POST", "/api/v1/auth/login", {"email": email, "password": PASSWORD})
        if not answer.get("mfaRequired"):
            sys.exit(f"{email}: the login did not ask for the second step: {answer}")
        body = {"mfaToken": answer["mfaToken"], "code": totp(secret, time.time())}
        tokens, second_ms = client.timed("POST", "/api/v1/auth/mfa/verify", body)
        if "accessToken" not in tokens:
            sys.exit(f"{email}: the second step gave no tokens: {tokens}")
        first.append(first_ms)
        second.append(second_ms)
        both.append(first_ms + second_ms)
    result = {
        "logins": count,
        "password_only": summary(password_only),
        "first_step": summary(first),
        "second_step": summary(second),
        "both_steps": summary(both),
    }
    result["added_p50_ms"] = round(result["both_steps"]["p50_ms"] - result["password_only"]["p50_ms"], 3)
    print(json.dumps(result))


main()
