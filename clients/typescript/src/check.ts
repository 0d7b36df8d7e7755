// A client built from nothing but the committed OpenAPI document: the types come from
// openapi-typescript, the calls go through openapi-fetch, and `tsc --strict` proves the
// program uses the operations as the document describes them. Run against a live server, it
// calls every operation of the document, as a client author would, and checks every answer;
// it fails when the document has an operation it did not call.
//
// POSTERN_BASE_URL: where the server listens, e.g. http://127.0.0.1:8080.
// POSTERN_ADMIN_EMAIL, POSTERN_ADMIN_PASSWORD: an admin account (`postern user create-admin`).
// POSTERN_INTROSPECTION_CLIENT: one `id:secret` pair of the server's INTROSPECTION_CLIENTS.
// POSTERN_OPENAPI: the OpenAPI document whose operations must all be called.

import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";

import { checkAccount } from "./account.js";
import { checkAdmin } from "./admin.js";
import { checkFederation } from "./federation.js";
import { checkIntrospection } from "./introspection.js";
import { checkLifecycle } from "./lifecycle.js";
import { checkMfa } from "./mfa.js";
import { checkOperations } from "./operations.js";
import { connect } from "./support.js";
import { checkWebAuthn } from "./webauthn.js";

function required(name: string): string {
  const value = process.env[name];
  if (!value) {
    throw new Error(`${name} is not set (see the top of check.ts)`);
  }
  return value;
}

/** Every `METHOD /path` of the document. */
function documentedOperations(openapiPath: string): string[] {
  const document = JSON.parse(readFileSync(openapiPath, "utf8")) as {
    paths: Record<string, Record<string, unknown>>;
  };
  return Object.entries(document.paths).flatMap(([path, item]) =>
    Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`),
  );
}

async function main(): Promise<void> {
  const baseUrl = required("POSTERN_BASE_URL");
  const admin = { email: required("POSTERN_ADMIN_EMAIL"), password: required("POSTERN_ADMIN_PASSWORD") };
  const documented = documentedOperations(required("POSTERN_OPENAPI"));
  const called = new Set<string>();
  const client = connect(baseUrl, called);

  await checkOperations(client);
  const account = await checkAccount(client, `ts-client-${randomUUID()}@example.com`);
  const pair = required("POSTERN_INTROSPECTION_CLIENT");
  const colon = pair.indexOf(":");
  const introspector = { id: pair.slice(0, colon), secret: pair.slice(colon + 1) };
  await checkIntrospection(client, introspector, account.email, account.password);
  await checkAdmin(client, admin, account);
  await checkLifecycle(client, admin);
  await checkMfa(client, admin, `ts-client-mfa-${randomUUID()}@example.com`);
  await checkWebAuthn(client, `ts-client-webauthn-${randomUUID()}@example.com`);
  await checkFederation(client, baseUrl, `ts-client-federation-${randomUUID()}@example.com`);

  const missed = documented.filter((operation) => !called.has(operation));
  assert.deepEqual(missed, [], "operations of the document the check never called");
  console.log(`typescript client: all ${documented.length} operations checked against ${baseUrl}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
