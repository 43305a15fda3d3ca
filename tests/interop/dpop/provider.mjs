// An OpenID provider nobody here wrote (oidc-provider) issuing DPoP-bound JWT access tokens, and
// a DPoP client nobody here wrote (the `dpop` package) making the proofs, driven by
// tests/end_to_end/dpop_interop.rs.
//
// Listens on a free port of 127.0.0.1 and prints one JSON line {"issuer": "http://127.0.0.1:<port>"}.
// Then reads one JSON request per line on stdin and answers each with one JSON line on stdout:
//   {"op": "token", "resource": "<audience>", "scope": "<scopes>"}
//     → {"access_token", "token_type", "jkt"}: a client-credentials token for that resource,
//       bound to the client's key (a DPoP proof made by the `dpop` package on the token request);
//       `jkt` is the thumbprint of that key, as the `dpop` package computes it.
//   {"op": "proof", "method": "GET", "url": "<url>", "access_token": "<token>"}
//     → {"proof"}: a proof of the same key for that request (`ath` from the token).
// A request that fails is answered {"error": "<what went wrong>"}. The process ends when stdin
// closes.
import { webcrypto } from 'node:crypto';
import { createInterface } from 'node:readline';

import { calculateThumbprint, generateKeyPair, generateProof } from 'dpop';
import Provider from 'oidc-provider';

// Node 18 has WebCrypto only as `node:crypto`'s `webcrypto`; the `dpop` package uses the global.
globalThis.crypto ??= webcrypto;

const CLIENT_ID = 'interop-client';
const CLIENT_SECRET = 'interop-client-secret-interop-client-secret';
const SCOPES = 'orders:read orders:write';

/** A fresh P-256 private key as a JWK: the provider's signing key for ES256 access tokens. */
async function signingKey() {
  const { privateKey } = await crypto.subtle.generateKey(
    { name: 'ECDSA', namedCurve: 'P-256' },
    true,
    ['sign', 'verify'],
  );
  const { kty, crv, x, y, d } = await crypto.subtle.exportKey('jwk', privateKey);
  return { kty, crv, x, y, d, kid: 'interop-es256', use: 'sig', alg: 'ES256' };
}

/** Starts the provider on a free port of 127.0.0.1; resolves to its issuer. */
async function start() {
  // The issuer names the port, so the port is reserved first.
  const server = (await import('node:http')).createServer();
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const issuer = `http://127.0.0.1:${server.address().port}`;
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: CLIENT_ID,
        client_secret: CLIENT_SECRET,
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
        token_endpoint_auth_method: 'client_secret_basic',
        // The provider's only key is ES256 (the default, RS256, would need an RSA key).
        id_token_signed_response_alg: 'ES256',
        scope: SCOPES,
      },
    ],
    scopes: SCOPES.split(' '),
    jwks: { keys: [await signingKey()] },
    cookies: { keys: ['interop-cookie-key'] },
    ttl: { ClientCredentials: 600 },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      dPoP: { enabled: true },
      resourceIndicators: {
        enabled: true,
        // Every resource is an API taking JWT access tokens signed with ES256.
        async getResourceServerInfo(_ctx, resource) {
          return {
            scope: SCOPES,
            audience: resource,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg: 'ES256' } },
          };
        },
      },
    },
  });
  // Say on stderr why the provider answered 500, for the test's failure message.
  provider.on('server_error', (_ctx, error) => console.error(error));
  server.on('request', provider.callback());
  return issuer;
}

/** A client-credentials token for `resource`, bound to `keys` by a proof on the token request. */
async function token(issuer, keys, { resource, scope = SCOPES }) {
  const discovery = await (await fetch(`${issuer}/.well-known/openid-configuration`)).json();
  const endpoint = discovery.token_endpoint;
  const response = await fetch(endpoint, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
      dpop: await generateProof(keys, endpoint, 'POST'),
    },
    body: new URLSearchParams({ grant_type: 'client_credentials', resource, scope }),
  });
  const body = await response.json();
  if (!response.ok) {
    throw new Error(`token endpoint answered ${response.status}: ${JSON.stringify(body)}`);
  }
  return {
    access_token: body.access_token,
    token_type: body.token_type,
    jkt: await calculateThumbprint(keys.publicKey),
  };
}

async function answer(issuer, keys, request) {
  switch (request.op) {
    case 'token':
      return token(issuer, keys, request);
    case 'proof':
      return {
        proof: await generateProof(
          keys,
          request.url,
          request.method,
          undefined,
          request.access_token,
        ),
      };
    default:
      throw new Error(`unknown op ${JSON.stringify(request.op)}: expected "token" or "proof"`);
  }
}

const issuer = await start();
// The client's key: ES256, made by the `dpop` package with WebCrypto.
const keys = await generateKeyPair('ES256');
process.stdout.write(`${JSON.stringify({ issuer })}\n`);

// One answer per line, in order.
let queue = Promise.resolve();
const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  queue = queue.then(async () => {
    let reply;
    try {
      reply = await answer(issuer, keys, JSON.parse(line));
    } catch (error) {
      reply = { error: String(error?.stack ?? error) };
    }
    process.stdout.write(`${JSON.stringify(reply)}\n`);
  });
});
lines.on('close', () => queue.then(() => process.exit(0)));
