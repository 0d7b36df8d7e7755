// Token introspection as another service calls it: HTTP Basic credentials of one of
// INTROSPECTION_CLIENTS, a form body, and an RFC 7662 answer (plain JSON, not the envelope).

import assert from "node:assert/strict";

import { type Client, expectStatus, login } from "./support.js";

/** One `id:secret` pair of the server's INTROSPECTION_CLIENTS. */
export interface Introspector {
  id: string;
  secret: string;
}

export async function checkIntrospection(
  client: Client,
  introspector: Introspector,
  email: string,
  password: string,
): Promise<void> {
  const session = await login(client, "login to introspect", email, password);
  const basic = Buffer.from(`${introspector.id}:${introspector.secret}`).toString("base64");
  const introspect = (token: string, authorization?: string) =>
    client.POST("/api/v1/auth/introspect", {
      body: { token },
      bodySerializer: (body) => new URLSearchParams(body as Record<string, string>).toString(),
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        ...(authorization ? { authorization } : {}),
      },
    });

  const active = await introspect(session.accessToken, `Basic ${basic}`);
  expectStatus("introspect", active.response, 200, active.data ?? active.error);
  assert.equal(active.data?.active, true, "introspect: active");
  assert.equal(active.data?.sub, session.user.id, "introspect: sub");
  assert.equal(active.data?.role, "user", "introspect: role");
  assert.equal(active.data?.token_type, "access_token", "introspect: token_type");
  assert.equal(active.response.headers.get("cache-control"), "no-store", "introspect: cache-control");

  const garbage = await introspect("not-a-token", `Basic ${basic}`);
  expectStatus("introspect garbage", garbage.response, 200, garbage.data ?? garbage.error);
  assert.deepEqual(garbage.data, { active: false }, "introspect garbage: exactly inactive");

  const anonymous = await introspect(session.accessToken);
  assert.equal(anonymous.response.status, 401, "introspect without credentials");
  assert.equal(
    anonymous.response.headers.get("www-authenticate"),
    'Basic realm="postern"',
    "introspect without credentials: challenge",
  );
}
