// What every step of the check shares: a typed client that notes each operation it calls, and
// the checks of the envelope every JSON answer comes in.

import assert from "node:assert/strict";

import createClient from "openapi-fetch";

import type { components, paths } from "./schema.js";

export type ErrorBody = components["schemas"]["Error"];
export type User = components["schemas"]["User"];
export type Client = ReturnType<typeof createClient<paths>>;

/** A client of `baseUrl` that adds `METHOD /path/{template}` to `called` for every request. */
export function connect(baseUrl: string, called: Set<string>): Client {
  const client = createClient<paths>({ baseUrl });
  client.use({
    onRequest({ request, schemaPath }) {
      called.add(`${request.method} ${schemaPath}`);
      return undefined;
    },
  });
  return client;
}

/** Fails with the whole answer when an operation did not answer `status` in JSON. */
export function expectStatus(step: string, response: Response, status: number, body: unknown): void {
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

/** Checks the success envelope, `{success: true, data}` (lists add `meta`), and returns `data`. */
export function success<T>(step: string, body: { success: boolean; data: T } | undefined): T {
  assert.ok(body, `${step}: no body`);
  assert.equal(body.success, true, `${step}: success is not true`);
  const extra = Object.keys(body).filter((key) => !["success", "data", "meta"].includes(key));
  assert.deepEqual(extra, [], `${step}: extra envelope keys`);
  return body.data;
}

/** Checks the error envelope: `{success: false, code, message, details?}`. */
export function failure(step: string, body: ErrorBody | undefined, code: string): void {
  assert.ok(body, `${step}: no error body`);
  assert.equal(body.success, false, `${step}: success is not false`);
  assert.equal(body.code, code, `${step}: unexpected code`);
  assert.equal(typeof body.message, "string", `${step}: message is not a string`);
  assert.ok(body.message.length > 0, `${step}: empty message`);
}

/** Checks the public view of an account: the given email and name, no secret. */
export function checkUser(step: string, user: User, email: string, name: string): void {
  assert.equal(user.email, email, `${step}: email`);
  assert.equal(user.name, name, `${step}: name`);
  assert.equal(typeof user.emailVerified, "boolean", `${step}: emailVerified`);
  assert.match(user.id, /^[0-9a-f-]{36}$/, `${step}: id is not a UUID`);
  assert.ok(!Number.isNaN(Date.parse(user.createdAt)), `${step}: createdAt is not a date`);
  assert.ok(!("password" in user) && !("passwordHash" in user), `${step}: a password leaked`);
}

/** The request option that sends `token` as the bearer token. */
export function bearer(token: string): { headers: { Authorization: string } } {
  return { headers: { Authorization: `Bearer ${token}` } };
}

export type Login = components["schemas"]["LoginResult"];
export type MfaRequired = components["schemas"]["MfaRequired"];

/** Whether a login's answer asks for a second factor instead of starting a session. */
export function needsSecondFactor(answer: Login | MfaRequired): answer is MfaRequired {
  return "mfaRequired" in answer;
}

/** Checks a session's tokens and returns them. */
export function session(step: string, answer: Login | MfaRequired): Login {
  assert.ok(!needsSecondFactor(answer), `${step}: a second factor was asked for`);
  assert.equal(answer.tokenType, "Bearer", `${step}: tokenType`);
  assert.ok(answer.expiresIn > 0, `${step}: expiresIn`);
  return answer;
}

/** Logs in and returns the session, failing the check unless the login succeeds. */
export async function login(client: Client, step: string, email: string, password: string) {
  const login = await client.POST("/api/v1/auth/login", { body: { email, password } });
  expectStatus(step, login.response, 200, login.error ?? login.data);
  return session(step, success(step, login.data));
}
