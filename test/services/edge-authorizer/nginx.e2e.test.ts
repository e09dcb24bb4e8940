import assert from 'node:assert/strict';
import { CompactSign, exportJWK, exportSPKI, generateKeyPair } from 'jose';
import { NGINX_BINARY, nginxAvailable } from '../../../services/edge-authorizer/testkit/nginx.js';
import {
  TEST_CLIENT_APP_ID,
  TEST_CLIENT_OBJECT_ID,
  segment,
  signRs256,
} from '../../../services/edge-authorizer/testkit/issuer.js';
import { waitReady } from '../../../services/edge-authorizer/testkit/authorizer.js';
import { startTopology, type Topology } from '../../../services/edge-authorizer/testkit/topology.js';
import type { Echo } from '../../../services/edge-authorizer/testkit/upstream.js';
import { httpGet, rawStatusLine, type RawResponse } from './harness.js';

/**
 * client → real NGINX (auth_request, as the F5 controller's externalAuth policy configures it)
 * → the authorizer as its own process → the test issuer; allowed requests reach a backend that
 * echoes what it was told about the caller.
 */
describe('edge-authorizer behind a real NGINX', function () {
  this.timeout(60_000);
  let edge: Topology;
  const tokensUsed: string[] = [];

  before(async function () {
    if (!nginxAvailable()) {
      console.warn(`    NGINX not found at ${NGINX_BINARY} (set NGINX_BIN or apt-get install nginx): skipping end-to-end tests`);
      this.skip();
    }
    // Cooldown 0 so that a rotated key is picked up by the very next request.
    edge = await startTopology({ authorizerEnv: { AUTHZ_JWKS_COOLDOWN_SECONDS: '0' } });
  });
  after(async () => {
    await edge?.stop();
  });

  const get = (path: string, headers: Record<string, string | string[]> = {}, method = 'GET'): Promise<RawResponse> =>
    httpGet(`${edge.edgeUrl}${path}`, headers, method);
  const mint = async (...args: Parameters<Topology['issuer']['mint']>): Promise<string> => {
    const token = await edge.issuer.mint(...args);
    tokensUsed.push(token);
    return token;
  };
  const withToken = (token: string, extra: Record<string, string> = {}) => ({ authorization: `Bearer ${token}`, ...extra });
  const echo = (response: RawResponse): Echo => JSON.parse(response.body) as Echo;

  async function assertUnauthorized(token: string, path = '/models/m1/score'): Promise<void> {
    const before = edge.upstreamRequests();
    const response = await get(path, withToken(token));
    assert.equal(response.status, 401);
    assert.equal(response.headers['www-authenticate'], 'Bearer error="invalid_token"');
    assert.equal(edge.upstreamRequests(), before, 'the backend must not be reached');
  }

  describe('lets a valid token through', () => {
    it('forwards the request with the caller identity and the original Authorization header', async () => {
      const token = await mint({ roles: ['Model.Invoke', 'Model.Read'] });
      const response = await get('/models/m1/score', withToken(token, { 'x-request-id': 'e2e-req-1' }));
      assert.equal(response.status, 200);
      const seen = echo(response);
      assert.equal(seen.subject, TEST_CLIENT_OBJECT_ID);
      assert.equal(seen.objectId, TEST_CLIENT_OBJECT_ID);
      assert.equal(seen.appId, TEST_CLIENT_APP_ID);
      assert.equal(seen.roles, 'Model.Invoke Model.Read');
      assert.equal(seen.authorization, `Bearer ${token}`, 'the backend may verify the token again');
      assert.equal(seen.requestId, 'e2e-req-1');
      // The line is written after the answer and reaches this process through a pipe: wait for it.
      const logged = await edge.authorizer.process.waitForLine((line) =>
        line.includes('"requestId":"e2e-req-1"') ? (JSON.parse(line) as Record<string, unknown>) : undefined,
      );
      assert.equal(logged?.['decision'], 'allow');
      assert.equal(logged?.['uri'], '/models/m1/score');
    });

    it('replaces identity headers the client tried to set itself', async () => {
      const response = await get(
        '/models/m1/score',
        withToken(await mint(), { 'x-auth-subject': 'admin', 'x-auth-roles': 'Model.Admin', 'x-auth-app-id': 'spoofed' }),
      );
      assert.equal(response.status, 200);
      assert.equal(echo(response).subject, TEST_CLIENT_OBJECT_ID);
      assert.equal(echo(response).roles, 'Model.Invoke');
      assert.equal(echo(response).appId, TEST_CLIENT_APP_ID);
    });

    it('passes a POST body to the backend (the auth subrequest carries none)', async () => {
      const token = await mint();
      const body = JSON.stringify({ inputs: Array.from({ length: 2000 }, (_, i) => i) });
      const posted = await httpGet(`${edge.edgeUrl}/models/m1/score`, { ...withToken(token), 'content-type': 'application/json' }, 'POST', body);
      assert.equal(posted.status, 200);
      assert.equal(echo(posted).method, 'POST');
      assert.equal(echo(posted).bodyBytes, Buffer.byteLength(body));
    });

    it('allows a delegated token by scope on a route that accepts the scope', async () => {
      const token = await mint({ roles: undefined, scp: 'features.read' });
      assert.equal((await get('/features/f1', withToken(token))).status, 200);
      assert.equal((await get('/models/m1/score', withToken(token))).status, 403);
    });

    it('reuses keepalive connections to the authorizer instead of opening one per request', async () => {
      const token = await mint();
      const metric = async (): Promise<number> => {
        const text = (await httpGet(`${edge.authorizer.url}/metrics`)).body;
        return Number(/edge_authorizer_connections_accepted_total (\d+)/.exec(text)?.[1]);
      };
      const before = await metric();
      for (let i = 0; i < 40; i += 1) assert.equal((await get('/models/m1/score', withToken(token))).status, 200);
      // One connection for the /metrics call; NGINX with a single worker needs at most one more.
      assert.ok((await metric()) - before <= 3, 'NGINX opened a connection per subrequest: the authorizer answer must have no body');
    });
  });

  describe('refuses with 401', () => {
    it('a request without a token, with a bare Bearer challenge passed on by NGINX', async () => {
      const response = await get('/models/m1/score');
      assert.equal(response.status, 401);
      assert.equal(response.headers['www-authenticate'], 'Bearer');
    });

    it('an expired token and a not-yet-valid one', async () => {
      const now = Math.floor(Date.now() / 1000);
      await assertUnauthorized(await mint({ exp: now - 600, iat: now - 4000, nbf: now - 4000 }));
      await assertUnauthorized(await mint({ nbf: now + 600 }));
    });

    it('a wrongly addressed token: other audience, other issuer, other tenant', async () => {
      await assertUnauthorized(await mint({ aud: 'api://someone-else' }));
      await assertUnauthorized(await mint({ iss: 'https://login.microsoftonline.com/common/v2.0' }));
      await assertUnauthorized(await mint({ tid: '00000000-0000-4000-8000-000000000000' }));
    });

    it('a forged signature and a tampered payload', async () => {
      const forger = await edge.issuer.createKey({ publish: false });
      await assertUnauthorized(await mint({}, { key: forger, header: { kid: edge.issuer.defaultKey.kid } }));
      const [header, , signature] = (await mint()).split('.');
      await assertUnauthorized(`${header}.${segment(edge.issuer.claims({ roles: ['Model.Admin'] }))}.${signature}`);
    });

    it('alg none and HS256 signed with the public key', async () => {
      await assertUnauthorized(`${segment({ alg: 'none', typ: 'JWT' })}.${segment(edge.issuer.claims())}.`);
      const pem = await exportSPKI(edge.issuer.defaultKey.publicKey);
      const hmac = await new CompactSign(new TextEncoder().encode(JSON.stringify(edge.issuer.claims())))
        .setProtectedHeader({ alg: 'HS256', kid: edge.issuer.defaultKey.kid })
        .sign(new TextEncoder().encode(pem));
      await assertUnauthorized(hmac);
    });

    it('keys of the wrong type: an EC key under the token kid, an RSA key published for encryption', async () => {
      const ec = await generateKeyPair('ES256', { extractable: true });
      edge.issuer.publish({ ...(await exportJWK(ec.publicKey)), kid: 'e2e-ec', use: 'sig' });
      await assertUnauthorized(await mint({}, { header: { kid: 'e2e-ec' } }));
      const enc = await edge.issuer.createKey({ publish: false });
      edge.issuer.publish({ ...enc.publicJwk, use: 'enc' });
      await assertUnauthorized(await mint({}, { key: enc }));
    });

    it('an unknown critical header', async () => {
      const { kid, privateKey } = edge.issuer.defaultKey;
      await assertUnauthorized(signRs256({ alg: 'RS256', kid, crit: ['x-must-understand'], 'x-must-understand': true }, segment(edge.issuer.claims()), privateKey));
    });

    it('bad base64 and segments that are not JSON', async () => {
      const [header, payload, signature] = (await mint()).split('.');
      await assertUnauthorized(`${header}.${payload}*.${signature}`);
      await assertUnauthorized(`${segment('{not json')}.${payload}.${signature}`);
      await assertUnauthorized(await edge.issuer.signRaw('plain text payload'));
    });

    it('a token in the query string, alone or next to a valid header, and never uses it', async () => {
      const token = await mint();
      const alone = await get(`/models/m1/score?access_token=${token}`);
      assert.equal(alone.status, 401);
      const both = await get(`/models/m1/score?access_token=${token}`, withToken(token));
      assert.equal(both.status, 401);
      assert.equal(both.headers['www-authenticate'], 'Bearer error="invalid_request"');
    });

    it('a token above the authorizer cap (8 KiB) that NGINX still accepts as a header', async () => {
      await assertUnauthorized(`${'a'.repeat(5000)}.${'b'.repeat(5000)}.c`);
    });
  });

  describe('refuses before or beside the authorizer', () => {
    it('403 for a valid token without the route role, and the backend is not reached', async () => {
      const before = edge.upstreamRequests();
      const response = await get('/features/f1', withToken(await mint({ roles: ['Model.Invoke'] })));
      assert.equal(response.status, 403);
      assert.equal(edge.upstreamRequests(), before);
    });

    it('500 (still closed) for a route whose authURI names no role', async () => {
      const response = await get('/misconfigured/x', withToken(await mint()));
      assert.equal(response.status, 500);
      assert.match(edge.nginx.errorLog(), /auth request unexpected status: 500/);
    });

    it('400 from NGINX itself for duplicate Authorization headers', async () => {
      const before = edge.upstreamRequests();
      const token = await mint();
      const response = await get('/models/m1/score', { authorization: [`Bearer ${token}`, `Bearer ${token}`] });
      assert.equal(response.status, 400);
      assert.equal(edge.upstreamRequests(), before);
    });

    it('400 from NGINX for a header beyond its buffers; nothing crashes', async () => {
      const status = await rawStatusLine(edge.nginx.port, `GET /models/m1 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${'a'.repeat(20_000)}\r\n\r\n`);
      assert.match(status, /^HTTP\/1\.1 400 /);
      assert.equal((await get('/models/m1/score', withToken(await mint()))).status, 200);
      assert.ok(edge.authorizer.process.running);
    });
  });

  describe('keys over time', () => {
    it('accepts a token signed with a key the issuer publishes after start (rotation)', async () => {
      const rotated = await edge.issuer.createKey();
      const response = await get('/models/m1/score', withToken(await mint({}, { key: rotated })));
      assert.equal(response.status, 200);
    });

    it('keeps working on cached keys when the issuer goes away, and refuses keys it never saw', async () => {
      const unseen = await edge.issuer.createKey();
      const unseenToken = await mint({}, { key: unseen });
      const freshToken = await mint(); // not in the token cache yet: needs the cached key
      await edge.issuer.stop();
      assert.equal((await get('/models/m1/score', withToken(freshToken))).status, 200);
      await assertUnauthorized(unseenToken);
      assert.equal((await httpGet(`${edge.authorizer.url}/readyz`)).status, 200);
    });
  });

  describe('token cache', () => {
    it('verifies a repeated token once and answers the rest from the cache', async () => {
      const token = await mint();
      const hits = async (): Promise<number> => {
        const text = (await httpGet(`${edge.authorizer.url}/metrics`)).body;
        return Number(/edge_authorizer_token_cache_lookups_total\{result="hit"\} (\d+)/.exec(text)?.[1] ?? 0);
      };
      const before = await hits();
      for (let i = 0; i < 5; i += 1) assert.equal((await get('/models/m1/score', withToken(token))).status, 200);
      assert.equal((await hits()) - before, 4);
    });
  });

  describe('log hygiene', () => {
    it('never wrote any of the tokens above to its log', async () => {
      // Lines arrive through a pipe; a last request whose line we wait for flushes everything before it.
      await get('/models/m1/score', { 'x-request-id': 'e2e-last' });
      await edge.authorizer.process.waitForLine((line) => (line.includes('"requestId":"e2e-last"') ? true : undefined));
      const log = edge.authorizer.process.stdout.join('\n');
      assert.ok(tokensUsed.length > 20);
      for (const token of tokensUsed) assert.ok(!log.includes(token), 'a token appeared in the authorizer log');
      assert.ok(edge.authorizer.logLines().filter((line) => line['msg'] === 'decision').length > 20);
    });
  });
});

describe('edge-authorizer behind a real NGINX, without signing keys', function () {
  this.timeout(60_000);
  let edge: Topology;

  before(async function () {
    if (!nginxAvailable()) this.skip();
    // The JWKS answers 500 from the start: the authorizer never loads keys until it recovers.
    edge = await startTopology({ prepareIssuer: (issuer) => (issuer.jwksStatus = 500), waitReady: false });
  });
  after(async () => {
    await edge?.stop();
  });

  it('fails closed: a valid token gets 500 from NGINX, the backend is not reached, /readyz is 503', async () => {
    const token = await edge.issuer.mint();
    const response = await httpGet(`${edge.edgeUrl}/models/m1/score`, { authorization: `Bearer ${token}` });
    assert.equal(response.status, 500);
    assert.equal(edge.upstreamRequests(), 0);
    assert.equal((await httpGet(`${edge.authorizer.url}/readyz`)).status, 503);
    assert.match(edge.nginx.errorLog(), /auth request unexpected status: 503/);
  });

  it('recovers by itself once the JWKS is back', async () => {
    edge.issuer.jwksStatus = 200;
    await waitReady(edge.authorizer.url);
    const response = await httpGet(`${edge.edgeUrl}/models/m1/score`, { authorization: `Bearer ${await edge.issuer.mint()}` });
    assert.equal(response.status, 200);
  });
});
