// Sign-in with external providers as a client app drives it. The check's server has one provider,
// `idp`: the local OpenID Provider the Rust tests use (tests/oidc-provider), which
// tests/clients/run.sh starts beside it. A browser's part (following redirects, the provider's
// login and consent forms, its cookies) is played with fetch; the landing page gets a one-time
// code, which the client exchanges for the login answer. Around that flow: an unknown provider
// is 404, a callback without a known `state` is refused, a made-up code is refused, and the
// account the provider created cannot unlink its only way to sign in.

import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";

import { bearer, type Client, expectStatus, failure, login, session, success } from "./support.js";

/** The provider run.sh configures, and the account its development login signs in as. */
const PROVIDER = "idp";
const PROVIDER_ACCOUNT = { login: "verified", email: "ada@example.com" };

/** Signs in at the provider as a browser would, exchanges the code, and checks the session. */
async function checkSignInThroughProvider(client: Client, baseUrl: string): Promise<void> {
  const landing = `${baseUrl}/signed-in`;
  const start = new URL(`${baseUrl}/api/v1/auth/oauth/${PROVIDER}/authorize`);
  start.searchParams.set("redirectTo", landing);
  const landed = await browse(start.href, landing, PROVIDER_ACCOUNT.login);
  const code = landed.searchParams.get("code");
  assert.ok(code, `sign-in through the provider: no code at the landing page: ${landed.href}`);
  assert.ok(!landed.searchParams.has("access_token"), "sign-in through the provider: a token in a URL");

  const exchanged = await client.POST("/api/v1/auth/oauth/exchange", { body: { code } });
  expectStatus("exchange the code", exchanged.response, 200, exchanged.error ?? exchanged.data);
  const signedIn = session("exchange the code", success("exchange the code", exchanged.data));
  assert.equal(signedIn.user.email, PROVIDER_ACCOUNT.email, "exchange the code: the provider's account");
  assert.equal(signedIn.user.emailVerified, true, "exchange the code: verified as the provider says");
  const payload = signedIn.accessToken.split(".")[1] ?? "";
  const claims = JSON.parse(Buffer.from(payload, "base64url").toString());
  assert.deepEqual(claims.amr, ["fed"], "exchange the code: amr");
  const again = await client.POST("/api/v1/auth/oauth/exchange", { body: { code } });
  expectStatus("exchange the code again", again.response, 401, again.error ?? again.data);
  failure("exchange the code again", again.error, "invalid_token");

  const identities = await client.GET("/api/v1/user/identities", bearer(signedIn.accessToken));
  expectStatus("list the provider's identity", identities.response, 200, identities.error ?? identities.data);
  const linked = success("list the provider's identity", identities.data);
  const [identity] = linked;
  assert.ok(identity && linked.length === 1, `list the provider's identity: one, got ${linked.length}`);
  assert.equal(identity.provider, PROVIDER, "list the provider's identity: its provider");
  const unlink = await client.DELETE("/api/v1/user/identities/{id}", {
    ...bearer(signedIn.accessToken),
    params: { path: { id: identity.id } },
  });
  expectStatus("unlink the only way to sign in", unlink.response, 409, unlink.error ?? unlink.data);
  failure("unlink the only way to sign in", unlink.error, "last_sign_in_method");
}

/**
 * Plays a browser from `start` until a redirect reaches `landing`, which it returns: follows
 * redirects, keeps the provider's cookies (one host, so by name), logs in as `account` on the
 * provider's login form and accepts its consent form.
 */
async function browse(start: string, landing: string, account: string): Promise<URL> {
  const cookies = new Map<string, string>();
  let request: { url: string; form?: URLSearchParams } = { url: start };
  for (let hop = 0; hop < 20; hop += 1) {
    if (request.url.startsWith(landing)) return new URL(request.url);
    const response = await fetch(request.url, {
      method: request.form ? "POST" : "GET",
      body: request.form ?? null,
      redirect: "manual",
      headers: { cookie: [...cookies].map(([name, value]) => `${name}=${value}`).join("; ") },
    });
    for (const cookie of response.headers.getSetCookie()) {
      const pair = cookie.split(";")[0] ?? "";
      const at = pair.indexOf("=");
      cookies.set(pair.slice(0, at), pair.slice(at + 1));
    }
    const location = response.headers.get("location");
    if (location) {
      request = { url: new URL(location, request.url).href };
      continue;
    }
    request = submitted(await response.text(), account, request.url);
  }
  throw new Error(`sign-in through the provider: no landing after 20 steps from ${start}`);
}

/** The provider's login or consent page, filled in and submitted. */
function submitted(page: string, account: string, url: string): { url: string; form: URLSearchParams } {
  const action = /<form[^>]*action="([^"]+)"/.exec(page)?.[1];
  const prompt = /name="prompt" value="([^"]+)"/.exec(page)?.[1];
  assert.ok(action && prompt, `sign-in through the provider: no form at ${url}: ${page.slice(0, 500)}`);
  const form = new URLSearchParams({ prompt });
  if (prompt === "login") {
    form.set("login", account);
    form.set("password", "any password");
  }
  return { url: new URL(action, url).href, form };
}

export async function checkFederation(client: Client, baseUrl: string, email: string): Promise<void> {
  const password = "federated horse battery staple";
  const signup = await client.POST("/api/v1/auth/signup", { body: { email, password } });
  expectStatus("federation signup", signup.response, 201, signup.error ?? signup.data);
  const access = (await login(client, "federation login", email, password)).accessToken;

  const providers = await client.GET("/api/v1/auth/providers");
  expectStatus("list providers", providers.response, 200, providers.error ?? providers.data);
  assert.deepEqual(
    success("list providers", providers.data).map((provider) => provider.name),
    [PROVIDER],
    "list providers: the one configured",
  );

  // A browser would follow the 302 to the provider; at a provider not configured the answer is 404.
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

  await checkSignInThroughProvider(client, baseUrl);

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
