// Sign-in with external providers as a client app drives it, on a server with no provider
// configured (the check starts one without OIDC_PROVIDERS): the provider list is empty, a
// sign-in or a link at an unknown provider is 404, a callback without a known `state` is
// refused, a made-up one-time code is refused, the caller has no identity, and unlinking an
// unknown one is 404. A one-time code is only minted at the callback of a real provider, so no
// exchange succeeds here; the Rust integration tests sign in through a real OpenID Provider.

import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";

import { bearer, type Client, expectStatus, failure, login, success } from "./support.js";

export async function checkFederation(client: Client, baseUrl: string, email: string): Promise<void> {
  const password = "federated horse battery staple";
  const signup = await client.POST("/api/v1/auth/signup", { body: { email, password } });
  expectStatus("federation signup", signup.response, 201, signup.error ?? signup.data);
  const access = (await login(client, "federation login", email, password)).accessToken;

  const providers = await client.GET("/api/v1/auth/providers");
  expectStatus("list providers", providers.response, 200, providers.error ?? providers.data);
  assert.deepEqual(success("list providers", providers.data), [], "list providers: none configured");

  // A browser would follow the 302 to the provider; with none configured the answer is 404.
  const authorize = await client.GET("/api/v1/auth/oauth/{provider}/authorize", {
    params: { path: { provider: "nowhere" }, query: { redirectTo: `${baseUrl}/signed-in` } },
  });
  expectStatus("authorize at an unknown provider", authorize.response, 404, authorize.error);
  failure("authorize at an unknown provider", authorize.error, "not_found");

  const callback = await client.GET("/api/v1/auth/oauth/{provider}/callback", {
    params: { path: { provider: "nowhere" }, query: { state: "never-issued", code: "made-up" } },
  });
  expectStatus("callback without a known state", callback.response, 400, callback.error);
  failure("callback without a known state", callback.error, "invalid_state");

  const exchanged = await client.POST("/api/v1/auth/oauth/exchange", {
    body: { code: "not-a-code-from-a-callback" },
  });
  expectStatus("exchange a made-up code", exchanged.response, 401, exchanged.error ?? exchanged.data);
  failure("exchange a made-up code", exchanged.error, "invalid_token");

  const listed = await client.GET("/api/v1/user/identities", bearer(access));
  expectStatus("list identities", listed.response, 200, listed.error ?? listed.data);
  assert.deepEqual(success("list identities", listed.data), [], "list identities: none linked");

  const link = await client.POST("/api/v1/user/identities/{id}", {
    ...bearer(access),
    params: { path: { id: "nowhere" } },
    body: { redirectTo: `${baseUrl}/linked` },
  });
  expectStatus("link at an unknown provider", link.response, 404, link.error ?? link.data);
  failure("link at an unknown provider", link.error, "not_found");

  const unlink = await client.DELETE("/api/v1/user/identities/{id}", {
    ...bearer(access),
    params: { path: { id: randomUUID() } },
  });
  expectStatus("unlink an unknown identity", unlink.response, 404, unlink.error ?? unlink.data);
  failure("unlink an unknown identity", unlink.error, "not_found");
}
