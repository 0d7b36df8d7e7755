// An account's whole life as a client app drives it: signup, login, profile, sessions, token
// rotation, the mailed-link flows, a password change, and both ways of logging out.

import assert from "node:assert/strict";

import {
  bearer,
  checkUser,
  type Client,
  expectStatus,
  failure,
  login,
  success,
} from "./support.js";

/** The account the check created, for the admin steps. */
export interface Account {
  id: string;
  email: string;
  password: string;
}

export async function checkAccount(client: Client, email: string): Promise<Account> {
  const name = "TypeScript Client";
  const first = "correct horse battery staple";

  const signup = await client.POST("/api/v1/auth/signup", { body: { email, password: first, name } });
  expectStatus("signup", signup.response, 201, signup.error ?? signup.data);
  const created = success("signup", signup.data);
  checkUser("signup", created, email, name);
  assert.equal(created.role, "user", "signup: role");

  const taken = await client.POST("/api/v1/auth/signup", { body: { email, password: first, name } });
  expectStatus("signup again", taken.response, 409, taken.error ?? taken.data);
  failure("signup again", taken.error, "email_taken");

  const session = await login(client, "login", email, first);
  checkUser("login", session.user, email, name);
  assert.equal(session.user.id, created.id, "login: another user");

  const me = await client.GET("/api/v1/auth/me", bearer(session.accessToken));
  expectStatus("me", me.response, 200, me.error ?? me.data);
  checkUser("me", success("me", me.data), email, name);

  await checkProfile(client, session.accessToken, email, name);
  await checkSessions(client, session.accessToken, email, first);
  await checkMailedLinks(client, session.accessToken, email);

  const refresh = await client.POST("/api/v1/auth/refresh", {
    body: { refreshToken: session.refreshToken },
  });
  expectStatus("refresh", refresh.response, 200, refresh.error ?? refresh.data);
  const rotated = success("refresh", refresh.data);
  assert.notEqual(rotated.refreshToken, session.refreshToken, "refresh: the token did not rotate");
  assert.equal(rotated.tokenType, "Bearer", "refresh: tokenType");

  const password = "another horse battery staple";
  const change = await client.POST("/api/v1/auth/password/change", {
    ...bearer(rotated.accessToken),
    body: { currentPassword: first, newPassword: password },
  });
  expectStatus("password change", change.response, 200, change.error ?? change.data);
  success("password change", change.data);
  const old = await client.POST("/api/v1/auth/login", { body: { email, password: first } });
  expectStatus("login with the old password", old.response, 401, old.error ?? old.data);
  failure("login with the old password", old.error, "invalid_credentials");

  await checkLogout(client, rotated.accessToken, rotated.refreshToken);
  await checkLogoutAll(client, email, password);
  return { id: created.id, email, password };
}

async function checkProfile(client: Client, access: string, email: string, name: string) {
  const profile = await client.GET("/api/v1/user/profile", bearer(access));
  expectStatus("profile", profile.response, 200, profile.error ?? profile.data);
  checkUser("profile", success("profile", profile.data), email, name);

  const renamed = await client.PATCH("/api/v1/user/profile", {
    ...bearer(access),
    body: { name: "Renamed Client" },
  });
  expectStatus("profile update", renamed.response, 200, renamed.error ?? renamed.data);
  checkUser("profile update", success("profile update", renamed.data), email, "Renamed Client");

  const empty = await client.PATCH("/api/v1/user/profile", {
    ...bearer(access),
    body: { name: "" },
  });
  expectStatus("empty name", empty.response, 400, empty.error ?? empty.data);
  failure("empty name", empty.error, "validation_error");
  assert.ok(
    empty.error?.details?.some((detail) => detail.field === "name"),
    "empty name: details name the field",
  );
}

/** A second login is a second session: listed, then ended from the first. */
async function checkSessions(client: Client, access: string, email: string, password: string) {
  const other = await login(client, "second login", email, password);
  const sessions = await client.GET("/api/v1/user/sessions", bearer(access));
  expectStatus("sessions", sessions.response, 200, sessions.error ?? sessions.data);
  const listed = success("sessions", sessions.data);
  assert.equal(listed.length, 2, "sessions: both logins");
  assert.equal(listed.filter((s) => s.current).length, 1, "sessions: one is this one");
  const otherSession = listed.find((s) => !s.current);
  assert.ok(otherSession, "sessions: the other login");

  const revoked = await client.DELETE("/api/v1/user/sessions/{id}", {
    ...bearer(access),
    params: { path: { id: otherSession.id } },
  });
  expectStatus("revoke session", revoked.response, 200, revoked.error ?? revoked.data);
  success("revoke session", revoked.data);
  const ended = await client.GET("/api/v1/auth/me", bearer(other.accessToken));
  expectStatus("me on a revoked session", ended.response, 401, ended.error ?? ended.data);
  failure("me on a revoked session", ended.error, "unauthorized");
}

/**
 * The flows that start with a mailed link. The link's token reaches only the mailbox, so the
 * check asks for the mails and shows how a spent or made-up token is refused.
 */
async function checkMailedLinks(client: Client, access: string, email: string) {
  const resend = await client.POST("/api/v1/auth/email/resend", bearer(access));
  expectStatus("resend verification", resend.response, 202, resend.error ?? resend.data);
  success("resend verification", resend.data);

  const verify = await client.POST("/api/v1/auth/email/verify", {
    body: { token: "not-a-token-from-a-mail" },
  });
  expectStatus("verify a made-up token", verify.response, 400, verify.error ?? verify.data);
  failure("verify a made-up token", verify.error, "invalid_token");

  const forgot = await client.POST("/api/v1/auth/password/forgot", { body: { email } });
  expectStatus("forgot password", forgot.response, 202, forgot.error ?? forgot.data);
  success("forgot password", forgot.data);

  const reset = await client.POST("/api/v1/auth/password/reset", {
    body: { token: "not-a-token-from-a-mail", password: "a third horse battery staple" },
  });
  expectStatus("reset with a made-up token", reset.response, 400, reset.error ?? reset.data);
  failure("reset with a made-up token", reset.error, "invalid_token");
}

/** Logging out ends the session: its access and refresh tokens are refused from then on. */
async function checkLogout(client: Client, access: string, refreshToken: string) {
  const logout = await client.POST("/api/v1/auth/logout", {
    ...bearer(access),
    body: { refreshToken },
  });
  expectStatus("logout", logout.response, 200, logout.error ?? logout.data);
  assert.equal(typeof success("logout", logout.data).message, "string", "logout: message");

  const after = await client.GET("/api/v1/auth/me", bearer(access));
  expectStatus("me after logout", after.response, 401, after.error ?? after.data);
  failure("me after logout", after.error, "unauthorized");

  const reused = await client.POST("/api/v1/auth/refresh", { body: { refreshToken } });
  expectStatus("refresh after logout", reused.response, 401, reused.error ?? reused.data);
  assert.equal(reused.error?.success, false, "refresh after logout: envelope");
}

/** Logging out everywhere ends every session of the account, the caller's included. */
async function checkLogoutAll(client: Client, email: string, password: string) {
  const one = await login(client, "login for logout-all", email, password);
  const two = await login(client, "another login for logout-all", email, password);
  const all = await client.POST("/api/v1/auth/logout-all", bearer(one.accessToken));
  expectStatus("logout-all", all.response, 200, all.error ?? all.data);
  assert.ok(success("logout-all", all.data).revokedSessions >= 2, "logout-all: revokedSessions");
  for (const [step, token] of [
    ["me after logout-all", one.accessToken],
    ["the other session after logout-all", two.accessToken],
  ] as const) {
    const after = await client.GET("/api/v1/auth/me", bearer(token));
    expectStatus(step, after.response, 401, after.error ?? after.data);
  }
}
