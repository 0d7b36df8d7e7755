// An account's end of life: a change of email address (the confirming link reaches only the
// new mailbox, so a made-up token shows how it is refused), the export of everything the
// service holds about the account, deletion by its user, and deletion by an admin.

import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";

import type { Admin } from "./admin.js";
import { bearer, type Client, expectStatus, failure, login, success } from "./support.js";

const password = "lifecycle horse battery staple";

/** Signs up a fresh account and returns its id, email and a session. */
async function freshAccount(client: Client, step: string) {
  const email = `ts-lifecycle-${randomUUID()}@example.com`;
  const signup = await client.POST("/api/v1/auth/signup", { body: { email, password } });
  expectStatus(step, signup.response, 201, signup.error ?? signup.data);
  const id = success(step, signup.data).id;
  return { id, email, session: await login(client, `${step} login`, email, password) };
}

export async function checkLifecycle(client: Client, admin: Admin): Promise<void> {
  const own = await freshAccount(client, "lifecycle signup");
  const access = own.session.accessToken;

  const change = await client.POST("/api/v1/user/email", {
    ...bearer(access),
    body: { newEmail: `ts-moved-${randomUUID()}@example.com`, currentPassword: password },
  });
  expectStatus("email change", change.response, 202, change.error ?? change.data);
  success("email change", change.data);
  const confirm = await client.POST("/api/v1/auth/email/change/confirm", {
    body: { token: "not-a-token-from-a-mail" },
  });
  expectStatus("confirm a made-up token", confirm.response, 400, confirm.error ?? confirm.data);
  failure("confirm a made-up token", confirm.error, "invalid_token");

  const exported = await client.GET("/api/v1/user/export", bearer(access));
  expectStatus("export", exported.response, 200, exported.error ?? exported.data);
  const data = success("export", exported.data);
  assert.equal(data.user.id, own.id, "export: the account");
  assert.equal(data.sessions.filter((s) => s.current).length, 1, "export: this session");
  assert.deepEqual([data.identities, data.factors], [[], []], "export: no identities or factors");
  assert.ok(!JSON.stringify(data).includes("$argon2"), "export: a hash leaked");

  const deleted = await client.DELETE("/api/v1/user/account", {
    ...bearer(access),
    body: { currentPassword: password },
  });
  expectStatus("delete own account", deleted.response, 200, deleted.error ?? deleted.data);
  success("delete own account", deleted.data);
  const after = await client.GET("/api/v1/auth/me", bearer(access));
  expectStatus("me after deletion", after.response, 401, after.error ?? after.data);
  failure("me after deletion", after.error, "unauthorized");

  const other = await freshAccount(client, "second lifecycle signup");
  const token = (await login(client, "admin login for deletion", admin.email, admin.password))
    .accessToken;
  const byAdmin = () =>
    client.DELETE("/api/v1/admin/users/{id}", {
      ...bearer(token),
      params: { path: { id: other.id } },
    });
  const removed = await byAdmin();
  expectStatus("delete a user", removed.response, 200, removed.error ?? removed.data);
  success("delete a user", removed.data);
  const again = await byAdmin();
  expectStatus("delete a deleted user", again.response, 404, again.error ?? again.data);
  failure("delete a deleted user", again.error, "not_found");
}
