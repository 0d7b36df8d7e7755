// A real OpenID Provider for Postern's sign-in tests: oidc-provider (a certified
// implementation) with its development login and consent pages, two confidential clients and
// two accounts. Started by tests/src/oidc_provider.rs; not for production.
//
// Environment: PORT (where to listen), REDIRECT_URI (the redirect URIs both clients accept,
// comma-separated).
// Prints `listening <issuer>` once it serves, and exits when its standard input closes, so that
// it never outlives the test binary that started it.
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import Provider from 'oidc-provider';

const port = Number(process.env.PORT);
const redirectUri = process.env.REDIRECT_URI;
if (!port || !redirectUri) {
  console.error('PORT and REDIRECT_URI are required');
  process.exit(2);
}
const issuer = `http://127.0.0.1:${port}`;

// A fresh signing key, with a fresh `kid`, at every start: a restart on the same port is a
// key rotation, which the tests use to check that the relying party refreshes its key set.
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: randomUUID(), use: 'sig', alg: 'RS256' };

// The development login page accepts any password and takes the login as the account id.
const accounts = {
  verified: { email: 'ada@example.com', email_verified: true, name: 'Ada Lovelace' },
  unverified: { email: 'bob@example.com', email_verified: false, name: 'Bob Unverified' },
};

const client = (id) => ({
  client_id: id,
  client_secret: `${id}-secret`,
  redirect_uris: redirectUri.split(','),
  grant_types: ['authorization_code'],
  response_types: ['code'],
  token_endpoint_auth_method: 'client_secret_basic',
});

const provider = new Provider(issuer, {
  clients: [client('postern'), client('other')],
  jwks: { keys: [signingKey] },
  cookies: { keys: [randomUUID()] },
  scopes: ['openid', 'email', 'profile'],
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
  // The claims of the granted scopes go into the ID token itself, which is all Postern reads.
  conformIdTokenClaims: false,
  pkce: { required: () => true },
  features: { devInteractions: { enabled: true } },
  async findAccount(_ctx, id) {
    const account = accounts[id];
    if (!account) return undefined;
    return { accountId: id, claims: async () => ({ sub: id, ...account }) };
  },
});
// The consent and login pages warn about development mode on stderr; that is expected here.
provider.on('server_error', (_ctx, err) => console.error('server_error', err));

const server = provider.listen(port, '127.0.0.1', () => console.log(`listening ${issuer}`));
process.stdin.on('end', () => server.close(() => process.exit(0)));
process.stdin.resume();
