// Security keys and passkeys as a client app drives them. A real ceremony needs an
// authenticator, which this check has not: each start is taken as far as its options, and
// each finish is called with an answer that is not a signed credential, to assert the refusal
// the document names. The Rust tests complete every ceremony with a software authenticator.

import assert from "node:assert/strict";

import { bearer, type Client, expectStatus, failure, login, success } from "./support.js";

export async function checkWebAuthn(client: Client, email: string): Promise<void> {
  const password = "correct horse battery staple";
  const signup = await client.POST("/api/v1/auth/signup", { body: { email, password } });
  expectStatus("webauthn signup", signup.response, 201, signup.error ?? signup.data);
  const access = (await login(client, "webauthn login", email, password)).accessToken;

  const started = await client.POST("/api/v1/user/mfa/webauthn/register/start", {
    ...bearer(access),
    body: { currentPassword: password, name: "Security key" },
  });
  expectStatus("start a key registration", started.response, 200, started.error ?? started.data);
  const registration = success("start a key registration", started.data);
  assert.ok(registration.registrationId, "start a key registration: registrationId");
  assert.ok(registration.publicKey, "start a key registration: publicKey");

  // What `navigator.credentials.create()` would return, minus the authenticator's signature.
  const unsigned = { id: "AAAA", rawId: "AAAA", type: "public-key", response: {} };
  const finished = await client.POST("/api/v1/user/mfa/webauthn/register/finish", {
    ...bearer(access),
    body: { registrationId: registration.registrationId, credential: unsigned },
  });
  expectStatus("finish with an unsigned key", finished.response, 400, finished.error ?? finished.data);
  failure("finish with an unsigned key", finished.error, "invalid_webauthn_credential");

  const step = await client.POST("/api/v1/auth/mfa/webauthn/start", {
    body: { mfaToken: "not-a-login-token" },
  });
  expectStatus("a key challenge without a login", step.response, 401, step.error ?? step.data);
  failure("a key challenge without a login", step.error, "invalid_token");

  const verified = await client.POST("/api/v1/auth/mfa/verify", {
    body: { mfaToken: "not-a-login-token", credential: unsigned },
  });
  expectStatus("an assertion without a login", verified.response, 401, verified.error ?? verified.data);
  failure("an assertion without a login", verified.error, "invalid_token");

  const challenge = await client.POST("/api/v1/auth/passkey/start", {});
  expectStatus("start a passkey sign-in", challenge.response, 200, challenge.error ?? challenge.data);
  const signIn = success("start a passkey sign-in", challenge.data);
  assert.ok(signIn.publicKey, "start a passkey sign-in: publicKey");

  const signedIn = await client.POST("/api/v1/auth/passkey/finish", {
    body: { challengeId: signIn.challengeId, credential: unsigned },
  });
  expectStatus("an unsigned passkey", signedIn.response, 401, signedIn.error ?? signedIn.data);
  failure("an unsigned passkey", signedIn.error, "invalid_credentials");
}
