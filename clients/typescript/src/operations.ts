// The operational endpoints, which answer plain JSON rather than an envelope: liveness,
// readiness, and the public keys that verify access tokens.

import assert from "node:assert/strict";

import { type Client, expectStatus } from "./support.js";

export async function checkOperations(client: Client): Promise<void> {
  const health = await client.GET("/health");
  expectStatus("health", health.response, 200, health.data);
  assert.equal(health.data?.status, "ok", "health: status");
  assert.equal(health.data?.service, "postern", "health: service");

  const ready = await client.GET("/ready");
  expectStatus("ready", ready.response, 200, ready.data ?? ready.error);
  assert.equal(ready.data?.status, "ready", "ready: status");
  assert.deepEqual(ready.data?.failed, [], "ready: failed probes");

  // Signed with HS256 here (JWT_SECRET), so there is no public key to publish.
  const jwks = await client.GET("/.well-known/jwks.json");
  expectStatus("jwks", jwks.response, 200, jwks.data);
  assert.deepEqual(jwks.data?.keys, [], "jwks: keys with HS256");
}
