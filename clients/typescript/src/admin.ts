// The admin API, as an admin's tools call it: find an account, change its role, disable it,
// drop its cached profile, read its audit trail, and look after the event queues. A plain
// user is refused.

import assert from "node:assert/strict";

import type { Account } from "./account.js";
import { bearer, type Client, expectStatus, failure, login, success } from "./support.js";

export interface Admin {
  email: string;
  password: string;
}

export async function checkAdmin(client: Client, admin: Admin, account: Account): Promise<void> {
  const userSession = await login(client, "user login", account.email, account.password);
  const refused = await client.GET("/api/v1/admin/users", bearer(userSession.accessToken));
  expectStatus("admin list as a user", refused.response, 403, refused.error ?? refused.data);
  failure("admin list as a user", refused.error, "forbidden");

  const token = (await login(client, "admin login", admin.email, admin.password)).accessToken;

  const users = await client.GET("/api/v1/admin/users", {
    ...bearer(token),
    params: { query: { email: account.email, limit: 10 } },
  });
  expectStatus("list users", users.response, 200, users.error ?? users.data);
  const found = success("list users", users.data);
  assert.deepEqual(found.map((u) => u.id), [account.id], "list users: the email filter");
  assert.equal(users.data?.meta.limit, 10, "list users: meta.limit");

  const promoted = await client.PATCH("/api/v1/admin/users/{id}", {
    ...bearer(token),
    params: { path: { id: account.id } },
    body: { role: "manager" },
  });
  expectStatus("promote", promoted.response, 200, promoted.error ?? promoted.data);
  assert.equal(success("promote", promoted.data).role, "manager", "promote: role");

  await checkDisable(client, token, account);

  const dropped = await client.DELETE("/api/v1/admin/users/{id}/cache", {
    ...bearer(token),
    params: { path: { id: account.id } },
  });
  expectStatus("drop cache", dropped.response, 200, dropped.error ?? dropped.data);
  success("drop cache", dropped.data);

  await checkAudit(client, token, account);
  await checkQueues(client, token);
}

/** A disabled account cannot log in until it is enabled again. */
async function checkDisable(client: Client, token: string, account: Account) {
  const update = (disabled: boolean) =>
    client.PATCH("/api/v1/admin/users/{id}", {
      ...bearer(token),
      params: { path: { id: account.id } },
      body: { disabled },
    });
  const disabled = await update(true);
  expectStatus("disable", disabled.response, 200, disabled.error ?? disabled.data);
  assert.equal(success("disable", disabled.data).disabled, true, "disable: disabled");
  const refused = await client.POST("/api/v1/auth/login", {
    body: { email: account.email, password: account.password },
  });
  expectStatus("login while disabled", refused.response, 403, refused.error ?? refused.data);
  failure("login while disabled", refused.error, "forbidden");

  const enabled = await update(false);
  expectStatus("enable", enabled.response, 200, enabled.error ?? enabled.data);
  assert.equal(success("enable", enabled.data).disabled, false, "enable: disabled");
}

/** The audit trail fills as the outbox is delivered, so it is read until the signup shows. */
async function checkAudit(client: Client, token: string, account: Account) {
  for (let attempt = 0; attempt < 50; attempt++) {
    const audit = await client.GET("/api/v1/admin/audit", {
      ...bearer(token),
      params: { query: { userId: account.id, type: "user.signed_up", limit: 5 } },
    });
    expectStatus("audit", audit.response, 200, audit.error ?? audit.data);
    const entries = success("audit", audit.data);
    if (entries.length > 0) {
      assert.ok(entries.every((e) => e.userId === account.id && e.type === "user.signed_up"));
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.fail("audit: the signup never reached the audit log");
}

async function checkQueues(client: Client, token: string) {
  const queues = await client.GET("/api/v1/admin/queues", bearer(token));
  expectStatus("queues", queues.response, 200, queues.error ?? queues.data);
  const outbox = success("queues", queues.data).find((q) => q.name === "outbox");
  assert.ok(outbox, "queues: the outbox");
  assert.equal(outbox.deadLetters, 0, "queues: outbox dead letters");

  const replay = await client.POST("/api/v1/admin/queues/{stream}/dead-letters/replay", {
    ...bearer(token),
    params: { path: { stream: "outbox" } },
  });
  expectStatus("replay", replay.response, 200, replay.error ?? replay.data);
  assert.equal(success("replay", replay.data).replayed, 0, "replay: nothing to replay");

  const unknown = await client.POST("/api/v1/admin/queues/{stream}/dead-letters/replay", {
    ...bearer(token),
    params: { path: { stream: "no-such-queue" } },
  });
  expectStatus("replay an unknown queue", unknown.response, 404, unknown.error ?? unknown.data);
  failure("replay an unknown queue", unknown.error, "not_found");
}
