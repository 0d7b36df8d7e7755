// Two-step sign-in as an authenticator app and a client app drive it: enrol a TOTP factor,
// confirm it with a code computed by the `otpauth` library from the secret, log in with the
// password and then a code, use a recovery code, replace the recovery codes, remove the
// factor, and an admin's reset of a user's factors.

import assert from "node:assert/strict";

import { Secret, TOTP } from "otpauth";

import type { Admin } from "./admin.js";
import {
  bearer,
  type Client,
  expectStatus,
  failure,
  login,
  needsSecondFactor,
  session,
  success,
} from "./support.js";

/** The code an authenticator app shows for `secret` (base32), `steps` steps from now. */
function code(secret: string, steps = 0): string {
  const totp = new TOTP({ secret: Secret.fromBase32(secret), algorithm: "SHA1", digits: 6, period: 30 });
  return totp.generate({ timestamp: Date.now() + steps * 30_000 });
}

export async function checkMfa(client: Client, admin: Admin, email: string): Promise<void> {
  const password = "correct horse battery staple";
  const signup = await client.POST("/api/v1/auth/signup", { body: { email, password } });
  expectStatus("mfa signup", signup.response, 201, signup.error ?? signup.data);
  const userId = success("mfa signup", signup.data).id;
  const access = (await login(client, "mfa login", email, password)).accessToken;

  const enrolled = await client.POST("/api/v1/user/mfa/totp", {
    ...bearer(access),
    body: { currentPassword: password, name: "Phone" },
  });
  expectStatus("enrol totp", enrolled.response, 201, enrolled.error ?? enrolled.data);
  const pending = success("enrol totp", enrolled.data);
  assert.match(pending.otpauthUri, /^otpauth:\/\/totp\//, "enrol totp: otpauthUri");

  const confirmed = await client.POST("/api/v1/user/mfa/totp/confirm", {
    ...bearer(access),
    body: { factorId: pending.factorId, code: code(pending.secret, -1) },
  });
  expectStatus("confirm totp", confirmed.response, 200, confirmed.error ?? confirmed.data);
  const recoveryCodes = success("confirm totp", confirmed.data).recoveryCodes ?? [];
  assert.equal(recoveryCodes.length, 10, "confirm totp: recovery codes of a first factor");
  const [firstRecoveryCode] = recoveryCodes;
  assert.ok(firstRecoveryCode, "confirm totp: no recovery code");

  const listed = await client.GET("/api/v1/user/mfa", bearer(access));
  expectStatus("list factors", listed.response, 200, listed.error ?? listed.data);
  const factors = success("list factors", listed.data);
  assert.deepEqual(factors.map((f) => f.type), ["totp"], "list factors: types");
  const [factor] = factors;
  assert.ok(factor, "list factors: no factor");
  assert.ok(!JSON.stringify(listed.data).includes(pending.secret), "list factors: the secret leaked");

  const exported = await client.GET("/api/v1/user/export", bearer(access));
  expectStatus("export with a factor", exported.response, 200, exported.error ?? exported.data);
  const exportedFactors = success("export with a factor", exported.data).factors;
  assert.deepEqual(exportedFactors.map((f) => f.id), [factor.id], "export: the factor");
  assert.ok(!JSON.stringify(exported.data).includes(pending.secret), "export: the secret leaked");

  const withCode = await secondStep(client, "login with a code", email, password, code(pending.secret));
  const replayed = await secondStepAnswer(client, email, password, code(pending.secret));
  expectStatus("a replayed code", replayed.response, 401, replayed.error ?? replayed.data);
  failure("a replayed code", replayed.error, "invalid_mfa_code");
  await secondStep(client, "login with a recovery code", email, password, firstRecoveryCode);

  const renewed = await client.POST("/api/v1/user/mfa/recovery-codes", {
    ...bearer(withCode.accessToken),
    body: { currentPassword: password },
  });
  expectStatus("new recovery codes", renewed.response, 200, renewed.error ?? renewed.data);
  assert.equal(success("new recovery codes", renewed.data).recoveryCodes.length, 10);

  const removed = await client.DELETE("/api/v1/user/mfa/{factor_id}", {
    ...bearer(withCode.accessToken),
    params: { path: { factor_id: factor.id } },
    body: { currentPassword: password },
  });
  expectStatus("remove factor", removed.response, 200, removed.error ?? removed.data);
  await login(client, "login without a factor", email, password);

  const adminAccess = (await login(client, "admin login", admin.email, admin.password)).accessToken;
  const reset = await client.DELETE("/api/v1/admin/users/{id}/mfa", {
    ...bearer(adminAccess),
    params: { path: { id: userId } },
  });
  expectStatus("admin mfa reset", reset.response, 200, reset.error ?? reset.data);
  success("admin mfa reset", reset.data);
}

/** A password login that asks for a second factor, then `POST /auth/mfa/verify` with `code`. */
async function secondStepAnswer(client: Client, email: string, password: string, code: string) {
  const first = await client.POST("/api/v1/auth/login", { body: { email, password } });
  expectStatus("login asking for a code", first.response, 200, first.error ?? first.data);
  const answer = success("login asking for a code", first.data);
  assert.ok(needsSecondFactor(answer), "login asking for a code: tokens without a second factor");
  assert.equal(answer.expiresIn, 300, "login asking for a code: expiresIn");
  return client.POST("/api/v1/auth/mfa/verify", { body: { mfaToken: answer.mfaToken, code } });
}

async function secondStep(client: Client, step: string, email: string, password: string, code: string) {
  const verified = await secondStepAnswer(client, email, password, code);
  expectStatus(step, verified.response, 200, verified.error ?? verified.data);
  return session(step, success(step, verified.data));
}
