"""Commits N `user.logged_in` events to the embedded default's outbox in one transaction, in the
form the server writes them (16-byte blob ids, RFC 3339 text timestamps), for bench/run.sh's
pipeline measurement. Usage: sqlite_events.py DB USER_ID N"""

import datetime
import json
import sqlite3
import sys
import uuid

db, user_id, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
now = datetime.datetime.now(datetime.timezone.utc)
stamp = now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"
rows = []
for _ in range(count):
    event_id = uuid.uuid4()
    payload = {"id": str(event_id), "type": "user.logged_in",
               "data": {"sessionId": str(uuid.uuid4()), "ip": None, "userAgent": None},
               "version": 1, "occurredAt": stamp, "userId": user_id}
    rows.append((event_id.bytes, json.dumps(payload), stamp, stamp))
connection = sqlite3.connect(db, timeout=30)
with connection:
    connection.executemany(
        "insert into outbox (id, event_type, payload, occurred_at, attempts, next_attempt_at)"
        " values (?, 'user.logged_in', ?, ?, 0, ?)", rows)
connection.close()
