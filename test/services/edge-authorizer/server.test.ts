import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { TEST_CLIENT_APP_ID, TEST_CLIENT_OBJECT_ID, TestIssuer } from '../../../services/edge-authorizer/testkit/issuer.js';
import { httpGet, rawStatusLine, startInProcess, type InProcessAuthorizer } from './harness.js';

/** The HTTP face of the authorizer, in this process: statuses, headers, bodies, logs, metrics, shutdown. */
describe('edge-authorizer HTTP server', () => {
  let issuer: TestIssuer;
  let authz: InProcessAuthorizer;
  const authorize = (headers: Record<string, string | string[]> = {}, query = 'roles=Model.Invoke') =>
    httpGet(`${authz.url}/authorize?${query}`, headers);

  before(async () => {
    issuer = await TestIssuer.start();
    authz = await startInProcess(issuer);
  });
  after(async () => {
    await authz?.stop();
    await issuer?.stop();
  });

  describe('/authorize', () => {
    it('allows with 204, no body and no identity headers (the controller would drop them anyway)', async () => {
      const response = await authorize({ authorization: `Bearer ${await issuer.mint({ roles: ['Model.Invoke', 'Model.Read'] })}` });
      assert.equal(response.status, 204);
      assert.equal(response.body, '');
      assert.deepEqual(Object.keys(response.headers).filter((name) => name.startsWith('x-auth')), []);
      assert.equal(response.headers['www-authenticate'], undefined);
    });

    it('answers HEAD the same way', async () => {
      const response = await httpGet(`${authz.url}/authorize?roles=Model.Invoke`, { authorization: `Bearer ${await issuer.mint()}` }, 'HEAD');
      assert.equal(response.status, 204);
    });

    it('challenges a request without a token with a bare Bearer challenge (RFC 6750 §3.1) and no body', async () => {
      const requests: Record<string, string>[] = [{}, { authorization: 'Basic dXNlcjpwYXNz' }, { authorization: 'Bearer' }];
      for (const headers of requests) {
        const response = await authorize(headers);
        assert.equal(response.status, 401);
        assert.equal(response.headers['www-authenticate'], 'Bearer');
        assert.equal(response.headers['content-length'], '0');
        assert.equal(response.body, '');
      }
    });

    it('refuses a bad token with 401 invalid_token and no body', async () => {
      const response = await authorize({ authorization: `Bearer ${await issuer.mint({ exp: 1 })}` });
      assert.equal(response.status, 401);
      assert.equal(response.headers['www-authenticate'], 'Bearer error="invalid_token"');
      assert.equal(response.body, '');
      assert.equal(response.headers['x-auth-subject'], undefined);
    });

    it('refuses a valid token without the role with 403 insufficient_scope and no body', async () => {
      const response = await authorize({ authorization: `Bearer ${await issuer.mint({ roles: ['Other'] })}` });
      assert.equal(response.status, 403);
      assert.equal(response.headers['www-authenticate'], 'Bearer error="insufficient_scope"');
      assert.equal(response.body, '');
      assert.equal(response.headers['x-auth-subject'], undefined);
    });

    it('refuses two Authorization headers, even if both are valid (Node would silently keep the first)', async () => {
      const token = await issuer.mint();
      const response = await authorize({ authorization: [`Bearer ${token}`, `Bearer ${token}`] });
      assert.equal(response.status, 401);
      assert.equal(response.headers['www-authenticate'], 'Bearer error="invalid_request"');
    });

    it('refuses a token in the query string of the auth URI without using it', async () => {
      const token = await issuer.mint();
      for (const query of [`roles=Model.Invoke&access_token=${token}`, `roles=Model.Invoke&ACCESS_TOKEN=${token}`, `roles=Model.Invoke&access%5Ftoken=${token}`]) {
        const response = await authorize({ authorization: `Bearer ${token}` }, query);
        assert.equal(response.status, 401, query);
        assert.equal(response.headers['www-authenticate'], 'Bearer error="invalid_request"');
      }
      // Checked before anything else, even before the route's own (missing) roles.
      assert.equal((await authorize({}, `access_token=${token}`)).status, 401);
      assert.equal((await authorize({ authorization: `Bearer ${token}` }, 'roles=Model.Invoke&access_token_hint=1')).status, 204);
    });

    it('decides on the authURI and Authorization only: a client-sent X-Original-URI changes nothing', async () => {
      const token = await issuer.mint();
      for (const original of ['/admin', `/models/x?access_token=${token}`]) {
        assert.equal((await authorize({ authorization: `Bearer ${token}`, 'x-original-uri': original })).status, 204, original);
        assert.equal((await authorize({ 'x-original-uri': original })).status, 401, original);
      }
      assert.ok(!authz.logs.join('').includes('/admin'), 'a client-supplied URI is not logged');
    });

    it('takes the route from the authURI for its log, and refuses a route that is not a namespace/name', async () => {
      const token = await issuer.mint();
      assert.equal((await authorize({ authorization: `Bearer ${token}` }, 'route=models/churn-scoring&roles=Model.Invoke')).status, 204);
      const line = JSON.parse(authz.logs.at(-1) as string) as Record<string, unknown>;
      assert.equal(line['route'], 'models/churn-scoring');
      for (const route of ['Models/x', 'models', 'a/b/c', '../x']) {
        assert.equal((await authorize({ authorization: `Bearer ${token}` }, `route=${route}&roles=Model.Invoke`)).status, 500, route);
      }
      assert.equal((await authorize({ authorization: `Bearer ${token}` }, 'route=a/b&route=c/d&roles=Model.Invoke')).status, 500);
    });

    it('refuses a token longer than AUTHZ_MAX_TOKEN_BYTES with 401 and stays up', async () => {
      const response = await authorize({ authorization: `Bearer ${'a'.repeat(4000)}.${'b'.repeat(4500)}.c` });
      assert.equal(response.status, 401);
      assert.equal(response.headers['www-authenticate'], 'Bearer error="invalid_token"');
    });

    it('refuses headers beyond 16 KiB with 431 at the HTTP layer, and keeps serving', async () => {
      const status = await rawStatusLine(
        authz.port,
        `GET /authorize?roles=Model.Invoke HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${'a'.repeat(20_000)}\r\n\r\n`,
      );
      assert.match(status, /^HTTP\/1\.1 431 /);
      assert.equal((await authorize({ authorization: `Bearer ${await issuer.mint()}` })).status, 204);
    });

    it('survives malformed HTTP and random garbage', async () => {
      assert.match(await rawStatusLine(authz.port, 'GET /authorize HTTP/1.1\r\nAuthorization Bearer x\r\n\r\n'), /^HTTP\/1\.1 400 /);
      assert.match(await rawStatusLine(authz.port, `${randomBytes(512).toString('latin1')}\r\n\r\n`), /^HTTP\/1\.1 400 /);
      const garbage = [randomBytes(300).toString('base64url'), `${randomBytes(30).toString('base64url')}.${randomBytes(30).toString('base64url')}.`];
      for (const token of garbage) assert.equal((await authorize({ authorization: `Bearer ${token}` })).status, 401);
      assert.equal((await authorize({ authorization: `Bearer ${await issuer.mint()}` })).status, 204);
    });

    it('answers 405 to methods NGINX never uses for a subrequest', async () => {
      const response = await httpGet(`${authz.url}/authorize?roles=Model.Invoke`, {}, 'POST');
      assert.equal(response.status, 405);
      assert.equal(response.headers['allow'], 'GET, HEAD');
    });
  });

  describe('health, readiness and metrics', () => {
    it('is live on /healthz and ready on /readyz once keys are loaded', async () => {
      assert.equal((await httpGet(`${authz.url}/healthz`)).status, 200);
      assert.equal((await httpGet(`${authz.url}/readyz`)).status, 200);
      assert.equal((await httpGet(`${authz.url}/nope`)).status, 404);
    });

    it('is live but not ready while no keys could be fetched', async () => {
      const down = await TestIssuer.start();
      down.jwksStatus = 500;
      const lonely = await startInProcess(down, {}, { waitReady: false });
      try {
        assert.equal((await httpGet(`${lonely.url}/healthz`)).status, 200);
        assert.equal((await httpGet(`${lonely.url}/readyz`)).status, 503);
        const response = await httpGet(`${lonely.url}/authorize?roles=Model.Invoke`, { authorization: `Bearer ${await down.mint()}` });
        assert.equal(response.status, 503);
        assert.equal(response.body, '');
      } finally {
        await lonely.stop();
        await down.stop();
      }
    });

    it('exports decisions by route, outcome and reason, latency, cache lookups and JWKS refreshes', async () => {
      await authorize({ authorization: `Bearer ${await issuer.mint()}` });
      await authorize({});
      await authorize({ authorization: `Bearer ${await issuer.mint()}` }, 'route=models/churn-scoring&roles=Model.Invoke');
      const response = await httpGet(`${authz.url}/metrics`);
      assert.equal(response.status, 200);
      assert.match(String(response.headers['content-type']), /^text\/plain/);
      assert.match(response.body, /edge_authorizer_decisions_total\{route="none",outcome="allow",reason="allowed"\} \d+/);
      assert.match(response.body, /edge_authorizer_decisions_total\{route="none",outcome="deny",reason="missing_token"\} \d+/);
      assert.match(response.body, /edge_authorizer_decisions_total\{route="models\/churn-scoring",outcome="allow",reason="allowed"\} \d+/);
      assert.match(response.body, /edge_authorizer_decision_duration_seconds_bucket\{le="0.005",outcome="allow"\} \d+/);
      assert.match(response.body, /edge_authorizer_token_cache_lookups_total\{result="miss"\} \d+/);
      assert.match(response.body, /edge_authorizer_jwks_refreshes_total\{result="success",trigger="startup"\} 1/);
      assert.match(response.body, /edge_authorizer_jwks_keys 1/);
    });
  });

  describe('decision log', () => {
    const decisionLines = (): Record<string, unknown>[] =>
      authz.logs.map((line) => JSON.parse(line) as Record<string, unknown>).filter((entry) => entry['msg'] === 'decision');

    it('writes one JSON line per decision with request id, subject, app id, roles, decision and reason', async () => {
      const before = decisionLines().length;
      await authorize({ authorization: `Bearer ${await issuer.mint()}`, 'x-request-id': 'req-123' });
      const lines = decisionLines();
      assert.equal(lines.length, before + 1);
      const line = lines.at(-1) as Record<string, unknown>;
      assert.equal(line['requestId'], 'req-123');
      assert.match(String(line['time']), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      assert.ok(Math.abs(Date.parse(String(line['time'])) - Date.now()) < 5_000);
      assert.equal(line['subject'], TEST_CLIENT_OBJECT_ID);
      assert.equal(line['appId'], TEST_CLIENT_APP_ID);
      assert.deepEqual(line['roles'], ['Model.Invoke']);
      assert.equal(line['decision'], 'allow');
      assert.equal(line['reason'], 'allowed');
    });

    it('logs each decision with its own route and identity, on cache misses and hits alike', async () => {
      // The identity's and the route's fields are serialised once and reused (decision-log.ts): a
      // hit on one route must never log another route's requirement or another caller's identity.
      const alice = await issuer.mint({ roles: ['Model.Invoke'] });
      const bob = await issuer.mint({ sub: 'bob-subject', roles: ['Model.Admin'] });
      const churn = 'route=models/churn-scoring&roles=Model.Invoke';
      const fraud = 'route=team-fraud/fraud-scoring&roles=Model.Admin,Model.Invoke&scopes=access_as_user';
      const sent: [string, string][] = [[alice, churn], [alice, fraud], [alice, churn], [bob, churn], [bob, fraud], [alice, fraud]];
      const before = decisionLines().length;
      for (const [token, query] of sent) await authorize({ authorization: `Bearer ${token}` }, query);
      const lines = decisionLines().slice(before);
      assert.deepEqual(
        lines.map((line) => [line['subject'], line['route'], line['requiredRoles'], line['requiredScopes'], line['decision'], line['cache']]),
        [
          [TEST_CLIENT_OBJECT_ID, 'models/churn-scoring', ['Model.Invoke'], [], 'allow', 'miss'],
          [TEST_CLIENT_OBJECT_ID, 'team-fraud/fraud-scoring', ['Model.Admin', 'Model.Invoke'], ['access_as_user'], 'allow', 'hit'],
          [TEST_CLIENT_OBJECT_ID, 'models/churn-scoring', ['Model.Invoke'], [], 'allow', 'hit'],
          ['bob-subject', 'models/churn-scoring', ['Model.Invoke'], [], 'deny', 'miss'],
          ['bob-subject', 'team-fraud/fraud-scoring', ['Model.Admin', 'Model.Invoke'], ['access_as_user'], 'allow', 'hit'],
          [TEST_CLIENT_OBJECT_ID, 'team-fraud/fraud-scoring', ['Model.Admin', 'Model.Invoke'], ['access_as_user'], 'allow', 'hit'],
        ],
      );
      // Every field once: the reused bindings and the per-request fields never overlap.
      for (const raw of authz.logs.slice(-sent.length)) {
        const keys = [...raw.matchAll(/"([A-Za-z]+)":/g)].map((match) => match[1]);
        assert.deepEqual(keys, [...new Set(keys)], raw);
      }
    });

    it('logs the route but no identity when there is no token, and neither for a broken requirement', async () => {
      await authorize({}, 'route=models/churn-scoring&roles=Model.Invoke');
      const refused = decisionLines().at(-1) as Record<string, unknown>;
      assert.equal(refused['route'], 'models/churn-scoring');
      assert.equal(refused['reason'], 'missing_token');
      assert.equal(refused['subject'], undefined);
      await authorize({ authorization: `Bearer ${await issuer.mint()}` }, 'route=models/churn-scoring');
      const broken = decisionLines().at(-1) as Record<string, unknown>;
      assert.equal(broken['reason'], 'no_requirement');
      assert.equal(broken['route'], undefined);
      assert.equal(broken['subject'], undefined);
    });

    it('drops a request id that is not plain visible ASCII', async () => {
      await authorize({ 'x-request-id': 'a b' });
      assert.equal(decisionLines().at(-1)?.['requestId'], undefined);
    });

    it('never logs a token, whether accepted, refused, misplaced or duplicated', async () => {
      const tokens = [
        await issuer.mint(),
        await issuer.mint({ roles: ['Other'] }),
        await issuer.mint({ aud: 'api://nope' }),
        await issuer.mint({ exp: 1 }),
      ];
      for (const token of tokens) await authorize({ authorization: `Bearer ${token}` });
      const misplaced = await issuer.mint();
      await authorize({}, `roles=Model.Invoke&access_token=${misplaced}`);
      const duplicated = await issuer.mint();
      await authorize({ authorization: [`Bearer ${duplicated}`, 'Bearer x.y.z'] });
      const log = authz.logs.join('');
      for (const token of [...tokens, misplaced, duplicated]) {
        assert.ok(!log.includes(token), 'token found in the log');
        for (const part of token.split('.')) assert.ok(!log.includes(part), 'a token segment found in the log');
      }
    });
  });

  describe('shutdown', () => {
    it('finishes a request in flight, then stops accepting', async () => {
      const slow = await TestIssuer.start();
      const draining = await startInProcess(slow, { AUTHZ_JWKS_COOLDOWN_SECONDS: '0' });
      try {
        // A token with a new kid makes the authorizer refetch the JWKS, which the issuer answers slowly.
        const rotated = await slow.createKey();
        slow.jwksDelayMs = 300;
        const inFlight = httpGet(`${draining.url}/authorize?roles=Model.Invoke`, { authorization: `Bearer ${await slow.mint({}, { key: rotated })}` });
        while (slow.jwksRequests < 2) await new Promise((resolve) => setTimeout(resolve, 10));
        const stopped = draining.stop();
        assert.equal((await inFlight).status, 204);
        await stopped;
        await assert.rejects(httpGet(`${draining.url}/healthz`), /ECONNREFUSED/);
      } finally {
        await draining.stop();
        await slow.stop();
      }
    });
  });
});
