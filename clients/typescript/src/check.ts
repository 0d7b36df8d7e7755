// A client built from nothing but the committed OpenAPI document: the types come from
// openapi-typescript, the calls go through openapi-fetch, and `tsc --strict` proves the
// program uses the operations as the document describes them. Run against a live server, it
// walks the session lifecycle and checks every envelope.
//
// POSTERN_BASE_URL: where the server listens, e.g. http://127.0.0.1:8080.

import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";

import createClient from "openapi-fetch";

import type { components, paths } from "./schema.js";

type ErrorBody = components["schemas"]["Error"];
type User = components["schemas"]["User"];

const baseUrl = process.env.POSTERN_BASE_URL;
if (!baseUrl) {
  throw new Error("POSTERN_BASE_URL is not set (e.g. http://127.0.0.1:8080)");
}

const client = createClient<paths>({ baseUrl });

/** Fails with the whole response when an operation did not answer `status`. */
function expectStatus(step: string, response: Response, status: number, body: unknown): void {
  assert.equal(
    response.status,
    status,
    `${step}: expected ${status}, got ${response.status}: ${JSON.stringify(body)}`,
  );
  assert.match(
    response.headers.get("content-type") ?? "",
    /^application\/json/,
    `${step}: the response is not JSON`,
  );
}

/** Checks the success envelope and returns its payload. */
function success<T>(step: string, body: { success: boolean; data: T } | undefined): T {
  assert.ok(body, `${step}: no body`);
  assert.equal(body.success, true, `${step}: success is not true`);
  assert.deepEqual(Object.keys(body).sort(), ["data", "success"], `${step}: extra envelope keys`);
  return body.data;
}

/** Checks the error envelope: `{success: false, code, message, details?}`. */
function failure(step: string, body: ErrorBody | undefined, code: string): void {
  assert.ok(body, `${step}: no error body`);
  assert.equal(body.success, false, `${step}: success is not false`);
  assert.equal(body.code, code, `${step}: unexpected code`);
  assert.equal(typeof body.message, "string", `${step}: message is not a string`);
  assert.ok(body.message.length > 0, `${step}: empty message`);
}

function checkUser(step: string, user: User, email: string, name: string): void {
  assert.equal(user.email, email, `${step}: email`);
  assert.equal(user.name, name, `${step}: name`);
  assert.equal(user.role, "user", `${step}: role`);
  assert.equal(typeof user.emailVerified, "boolean", `${step}: emailVerified`);
  assert.match(user.id, /^[0-9a-f-]{36}$/, `${step}: id is not a UUID`);
  assert.ok(!Number.isNaN(Date.parse(user.createdAt)), `${step}: createdAt is not a date`);
  assert.ok(!("password" in user) && !("passwordHash" in user), `${step}: a password leaked`);
}

function bearer(token: string): { headers: { Authorization: string } } {
  return { headers: { Authorization: `Bearer ${token}` } };
}

async function main(): Promise<void> {
  const email = `ts-client-${randomUUID()}@example.com`;
  const password = "correct horse battery staple";
  const name = "TypeScript Client";

  const health = await client.GET("/health");
  expectStatus("health", health.response, 200, health.data);
  assert.equal(health.data?.status, "ok", "health: status");

  const signup = await client.POST("/api/v1/auth/signup", { body: { email, password, name } });
  expectStatus("signup", signup.response, 201, signup.error ?? signup.data);
  const created = success("signup", signup.data);
  checkUser("signup", created, email, name);

  const taken = await client.POST("/api/v1/auth/signup", { body: { email, password, name } });
  expectStatus("signup again", taken.response, 409, taken.error ?? taken.data);
  failure("signup again", taken.error, "email_taken");

  const login = await client.POST("/api/v1/auth/login", { body: { email, password } });
  expectStatus("login", login.response, 200, login.error ?? login.data);
  const session = success("login", login.data);
  checkUser("login", session.user, email, name);
  assert.equal(session.user.id, created.id, "login: another user");
  assert.equal(session.tokenType, "Bearer", "login: tokenType");
  assert.ok(session.expiresIn > 0, "login: expiresIn");

  const profile = await client.GET("/api/v1/user/profile", bearer(session.accessToken));
  expectStatus("profile", profile.response, 200, profile.error ?? profile.data);
  checkUser("profile", success("profile", profile.data), email, name);

  const refresh = await client.POST("/api/v1/auth/refresh", {
    body: { refreshToken: session.refreshToken },
  });
  expectStatus("refresh", refresh.response, 200, refresh.error ?? refresh.data);
  const rotated = success("refresh", refresh.data);
  assert.notEqual(rotated.refreshToken, session.refreshToken, "refresh: the token did not rotate");
  assert.equal(rotated.tokenType, "Bearer", "refresh: tokenType");

  const logout = await client.POST("/api/v1/auth/logout", {
    ...bearer(rotated.accessToken),
    body: { refreshToken: rotated.refreshToken },
  });
  expectStatus("logout", logout.response, 200, logout.error ?? logout.data);
  assert.equal(typeof success("logout", logout.data).message, "string", "logout: message");

  const after = await client.GET("/api/v1/auth/me", bearer(rotated.accessToken));
  expectStatus("me after logout", after.response, 401, after.error ?? after.data);
  failure("me after logout", after.error, "unauthorized");

  const reused = await client.POST("/api/v1/auth/refresh", {
    body: { refreshToken: rotated.refreshToken },
  });
  expectStatus("refresh after logout", reused.response, 401, reused.error ?? reused.data);
  assert.equal(reused.error?.success, false, "refresh after logout: envelope");

  console.log(`typescript client: signup, login, profile, refresh, logout checked against ${baseUrl}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
