import assert from 'node:assert/strict';
import { Agent, request } from 'node:http';
import { CompactSign, exportJWK, exportSPKI, generateKeyPair } from 'jose';
import { CLIENT_IDENTITY_HEADERS } from '@amlmesh/team-sdk/kit/edge/identity-headers';
import type { EdgeObjects } from '../../../offline/edge-render/objects.js';
import type { RenderedRoute } from '../../../offline/edge-render/render.js';
import { stackEdgeObjects, type ShippedStack } from '../../../offline/edge-render/stack.js';
import { NGINX_BINARY, nginxAvailable } from '../../../services/edge-authorizer/testkit/nginx.js';
import { segment, signRs256 } from '../../../services/edge-authorizer/testkit/issuer.js';
import { waitReady } from '../../../services/edge-authorizer/testkit/authorizer.js';
import { startSwapRig, type SwapRig } from '../../../services/edge-authorizer/testkit/swap.js';
import { serviceKey, startTopology, type Topology } from '../../../services/edge-authorizer/testkit/topology.js';
import { CLUSTER_NAMES } from '../../../infra/cluster-services.js';
import type { Echo } from '../../../services/edge-authorizer/testkit/upstream.js';
import { httpGet, rawStatusLine, type RawResponse } from './harness.js';

/**
 * client → real NGINX running the configuration controller 5.5.4 renders from the stack's own
 * VirtualServers, VirtualServerRoutes, Policies and ConfigMap (offline/edge-render) → the
 * authorizer as its own process → the test issuer; allowed requests reach an echo backend per
 * Service that reports every header it received.
 */
const stacks = new Map<ShippedStack, Promise<EdgeObjects>>();
/** Each shipped stack is evaluated once per test run (the real program under the offline mocks). */
const edgeOf = (stack: ShippedStack): Promise<EdgeObjects> => {
  let found = stacks.get(stack);
  if (found === undefined) {
    found = stackEdgeObjects(stack);
    stacks.set(stack, found);
  }
  return found;
};

/** The roles and scopes a route's authURI asks for (the policy's own query). */
function requirementOf(route: RenderedRoute): { roles: string[]; scopes: string[] } {
  const query = new URLSearchParams((route.authUri ?? '').split('?')[1] ?? '');
  const list = (name: string): string[] => query.getAll(name).flatMap((value) => value.split(',')).filter((value) => value !== '');
  return { roles: list('roles'), scopes: list('scopes') };
}

/** The token swap's Service, which the inference route proxies to (see infra/cluster-services.ts). */
const SWAP_SERVICE = serviceKey({ namespace: CLUSTER_NAMES.swapNamespace, name: CLUSTER_NAMES.swapServiceAccount, port: 8080 });
/** An online endpoint that exists in the stand-in workspace. */
const ENDPOINT = 'churn';
const isSwapRoute = (route: RenderedRoute): boolean => serviceKey(route.service) === SWAP_SERVICE;

/** A request path under the route's prefix (a scoring URI of an existing endpoint on the inference route). */
const pathIn = (route: RenderedRoute, rest = 'score'): string => `${route.path.replace(/\/$/, '')}/${isSwapRoute(route) ? `${ENDPOINT}/` : ''}${rest}`;

/** The swap with its Entra, ARM and router stand-ins, as the topology's stand-in for the swap Service. */
async function swapFor(): Promise<{ rig: SwapRig; services: Record<string, { port: number; requests: () => number }> }> {
  const rig = await startSwapRig({ subject: `system:serviceaccount:${CLUSTER_NAMES.swapNamespace}:${CLUSTER_NAMES.swapServiceAccount}`, endpoints: [ENDPOINT, 'fraud'] });
  return { rig, services: { [SWAP_SERVICE]: { port: rig.port, requests: () => rig.router.seen.length } } };
}

function skipWithoutNginx(context: Mocha.Context): void {
  if (!nginxAvailable()) {
    console.warn(`    NGINX not found at ${NGINX_BINARY} (set NGINX_BIN or apt-get install nginx): skipping end-to-end tests`);
    context.skip();
  }
}

for (const stack of ['dev', 'prod'] as const) {
  describe(`the ${stack} stack's edge, rendered as the controller renders it, on a real NGINX`, function () {
    this.timeout(60_000);
    let edge: Topology;
    let swap: SwapRig;

    before(async function () {
      skipWithoutNginx(this);
      const { rig, services } = await swapFor();
      swap = rig;
      edge = await startTopology({ objects: await edgeOf(stack), services });
    });
    after(async () => {
      await edge?.stop();
      await swap?.stop();
    });
    /** Requests that reached the route's backend (the router, behind the swap, for the inference route). */
    const reached = (route: RenderedRoute): number => edge.backends.get(serviceKey(route.service))?.requests() ?? Number.NaN;
    /** Headers the route's backend received on its last request. */
    const lastSeen = (route: RenderedRoute, response: RawResponse): Record<string, string | string[] | undefined> =>
      isSwapRoute(route) ? (swap.router.seen.at(-1)?.headers ?? {}) : (JSON.parse(response.body) as Echo).headers;

    const send = (route: RenderedRoute, headers: Record<string, string> = {}, path = pathIn(route)): Promise<RawResponse> =>
      httpGet(`${edge.edgeUrl}${path}`, { host: route.host, ...headers });
    const routes = (): RenderedRoute[] => edge.rendering.routes;
    const tokenFor = (route: RenderedRoute): Promise<string> => {
      const { roles, scopes } = requirementOf(route);
      return roles.length > 0 ? edge.issuer.mint({ roles: [roles[0]] }) : edge.issuer.mint({ roles: undefined, scp: scopes[0] });
    };

    it('renders without controller warnings: every route has its own authURI, external auth and a rate limit', () => {
      // Team routes are declared by the teams' own stacks: until then the controller renders no
      // location for them and warns (checked in test/offline/edge-render.test.ts); nothing else warns.
      assert.deepEqual(edge.rendering.warnings.filter((warning) => !edge.rendering.undeclaredRoutes.some((route) => warning.endsWith(`VirtualServerRoute ${route} doesn't exist or invalid`))), []);
      assert.ok(routes().length >= 3, 'the configured routes and the inference route');
      const uris = routes().map((route) => route.authUri);
      assert.equal(new Set(uris).size, uris.length, `authURIs repeat: ${uris.join(' ')}`);
      for (const route of routes()) {
        assert.ok(route.authUri?.startsWith(`/authorize?route=${route.route}&`), `${route.route}: ${route.authUri}`);
        assert.ok(route.rateLimit, `${route.route} has no rate limit`);
        assert.doesNotMatch(edge.nginx.conf, /auth_request_set|X-Original-URI \$/, 'nothing the controller does not render');
      }
    });

    it('every route: a token with one of its roles reaches its own backend, which receives the verified token', async () => {
      assert.ok(routes().some(isSwapRoute), 'the inference route goes to the token swap');
      for (const route of routes()) {
        const token = await tokenFor(route);
        const response = await send(route, { authorization: `Bearer ${token}`, 'x-request-id': `ok-${route.route}` });
        assert.equal(response.status, 200, `${route.route}: ${response.body}`);
        if (isSwapRoute(route)) {
          // The stand-in model's answer, reached with the endpoint's aml_token instead of the caller's.
          assert.deepEqual(JSON.parse(response.body), { endpoint: ENDPOINT, deployment: null, prediction: [0.42], bodyBytes: 0 });
          const atRouter = lastSeen(route, response);
          assert.notEqual(atRouter['authorization'], `Bearer ${token}`);
          assert.ok(!swap.router.seen.some((request) => JSON.stringify(request).includes(token)), "the caller's token never reaches Azure ML");
          assert.equal(atRouter['x-request-id'], `ok-${route.route}`);
          continue;
        }
        const seen = JSON.parse(response.body) as Echo;
        assert.equal(seen.backend, serviceKey(route.service), `${route.route} reached the wrong backend`);
        assert.equal(seen.url, pathIn(route));
        assert.equal(seen.headers['authorization'], `Bearer ${token}`, 'the backend may verify the token again');
        assert.equal(seen.headers['x-request-id'], `ok-${route.route}`);
      }
    });

    it('every route: a valid token without its roles gets 403, and the backend is not reached', async () => {
      for (const route of routes()) {
        const before = reached(route);
        const response = await send(route, { authorization: `Bearer ${await edge.issuer.mint({ roles: ['Unrelated.Role'] })}` });
        assert.equal(response.status, 403, route.route);
        assert.equal(reached(route), before, route.route);
      }
    });

    it('every route: no token or a bad one gets 401 with the Bearer challenge, and the backend is not reached', async () => {
      const forger = await edge.issuer.createKey({ publish: false });
      for (const route of routes()) {
        const before = reached(route);
        const none = await send(route);
        assert.equal(none.status, 401, route.route);
        assert.equal(none.headers['www-authenticate'], 'Bearer');
        const forged = await edge.issuer.mint({}, { key: forger, header: { kid: edge.issuer.defaultKey.kid } });
        for (const bad of ['not-a-token', forged]) {
          const response = await send(route, { authorization: `Bearer ${bad}` });
          assert.equal(response.status, 401, route.route);
          assert.equal(response.headers['www-authenticate'], 'Bearer error="invalid_token"');
        }
        assert.equal(reached(route), before, route.route);
      }
    });

    it('every route: no client-sent identity header reaches the backend, whatever its case', async () => {
      for (const route of routes()) {
        const forged: Record<string, string> = {};
        for (const [index, name] of CLIENT_IDENTITY_HEADERS.entries()) forged[index % 2 === 0 ? name : name.toUpperCase()] = 'forged-admin';
        const response = await send(route, { authorization: `Bearer ${await tokenFor(route)}`, ...forged });
        assert.equal(response.status, 200, route.route);
        const leaked = Object.entries(lastSeen(route, response)).filter(([, value]) => String(value).includes('forged-admin'));
        assert.deepEqual(leaked, [], `${route.route}: the backend received client-forged identity headers`);
      }
    });

    it('the inference route: with ARM broken the caller gets 503 (never 401), and the model answers once it is back', async () => {
      const route = routes().find(isSwapRoute);
      assert.ok(route);
      const token = await tokenFor(route);
      // An endpoint whose aml_token is not cached yet, so the swap must ask ARM.
      const path = `${route.path}/fraud/score`;
      swap.arm.failWith = 503;
      try {
        const response = await send(route, { authorization: `Bearer ${token}` }, path);
        assert.equal(response.status, 503);
        assert.equal(response.headers['www-authenticate'], undefined);
      } finally {
        swap.arm.failWith = undefined;
      }
      const recovered = await send(route, { authorization: `Bearer ${token}` }, path);
      assert.equal(recovered.status, 200);
      assert.equal((JSON.parse(recovered.body) as { endpoint: string }).endpoint, 'fraud');
      // Without the route's role the edge refuses before the swap is asked at all.
      const calls = swap.arm.requests;
      assert.equal((await send(route, { authorization: `Bearer ${await edge.issuer.mint({ roles: ['Features.Read'] })}` }, path)).status, 403);
      assert.equal(swap.arm.requests, calls);
    });

    // Last: it empties each route's rate-limit bucket for this client address.
    it('every route: beyond rate + burst the rate limit answers its reject code, before the authorizer or the backend', async () => {
      const agent = new Agent({ keepAlive: true, maxSockets: 64 });
      try {
        for (const route of routes()) {
          const limit = route.rateLimit;
          assert.ok(limit);
          const token = await tokenFor(route);
          const total = limit.burst + Math.ceil(limit.ratePerSecond) + 100;
          const before = reached(route);
          const started = Date.now();
          const statuses = await Promise.all(
            Array.from({ length: total }, () =>
              new Promise<number>((resolve, reject) => {
                const req = request(`${edge.edgeUrl}${pathIn(route)}`, { agent, headers: { host: route.host, authorization: `Bearer ${token}` } }, (res) => {
                  res.resume();
                  res.on('end', () => resolve(res.statusCode ?? 0));
                });
                req.on('error', reject);
                req.end();
              }),
            ),
          );
          const seconds = (Date.now() - started) / 1000;
          const passed = statuses.filter((status) => status === 200).length;
          const rejected = statuses.filter((status) => status === limit.rejectCode).length;
          assert.equal(passed + rejected, total, `${route.route}: other statuses ${JSON.stringify(statuses.filter((s) => s !== 200 && s !== limit.rejectCode).slice(0, 5))}`);
          // nodelay: the burst passes at once (less what the tests before left in the bucket), then about `rate` per second.
          assert.ok(passed > limit.burst / 2, `${route.route}: only ${passed} of the burst ${limit.burst} passed`);
          assert.ok(passed <= limit.burst + 1 + Math.ceil(limit.ratePerSecond * (seconds + 0.1)), `${route.route}: ${passed} passed in ${seconds} s`);
          assert.ok(rejected > 0, `${route.route}: nothing was rejected`);
          assert.equal(reached(route) - before, passed, 'rejected requests never reach the backend');
        }
      } finally {
        agent.destroy();
      }
    });
  });
}

/** The authorizer's behaviour through the rendered edge, on one route of the prod stack. */
describe('edge-authorizer behind a real NGINX on the rendered prod edge', function () {
  this.timeout(60_000);
  let edge: Topology;
  let route: RenderedRoute;
  const tokensUsed: string[] = [];

  before(async function () {
    skipWithoutNginx(this);
    // Cooldown 0 so that a rotated key is picked up by the very next request.
    edge = await startTopology({ objects: await edgeOf('prod'), authorizerEnv: { AUTHZ_JWKS_COOLDOWN_SECONDS: '0' } });
    const found = edge.rendering.routes.find((candidate) => requirementOf(candidate).roles.includes('Model.Invoke') && !candidate.service.tls);
    assert.ok(found, 'prod publishes a Model.Invoke route');
    route = found;
  });
  after(async () => {
    await edge?.stop();
  });

  /** The route's scoring path (a placeholder, resolved once the stack is rendered). */
  const SCORE = 'score';
  const get = (path: string, headers: Record<string, string | string[]> = {}, method = 'GET'): Promise<RawResponse> =>
    httpGet(`${edge.edgeUrl}${path === SCORE ? pathIn(route) : path}`, { host: route.host, ...headers }, method);
  const mint = async (...args: Parameters<Topology['issuer']['mint']>): Promise<string> => {
    const token = await edge.issuer.mint(...args);
    tokensUsed.push(token);
    return token;
  };
  const withToken = (token: string, extra: Record<string, string> = {}) => ({ authorization: `Bearer ${token}`, ...extra });
  const echo = (response: RawResponse): Echo => JSON.parse(response.body) as Echo;

  async function assertUnauthorized(token: string, path = SCORE): Promise<void> {
    const before = edge.upstreamRequests();
    const response = await get(path, withToken(token));
    assert.equal(response.status, 401);
    assert.equal(response.headers['www-authenticate'], 'Bearer error="invalid_token"');
    assert.equal(edge.upstreamRequests(), before, 'the backend must not be reached');
  }

  describe('lets a valid token through', () => {
    it('forwards the original Authorization header, and the authorizer logs the route from its authURI', async () => {
      const token = await mint({ roles: ['Model.Invoke', 'Model.Read'] });
      const response = await get(SCORE, withToken(token, { 'x-request-id': 'e2e-req-1', 'x-original-uri': '/forged' }));
      assert.equal(response.status, 200);
      const seen = echo(response);
      assert.equal(seen.headers['authorization'], `Bearer ${token}`, 'the backend may verify the token again');
      assert.equal(seen.headers['x-request-id'], 'e2e-req-1');
      assert.equal(seen.headers['x-original-uri'], undefined);
      // The line is written after the answer and reaches this process through a pipe: wait for it.
      const logged = await edge.authorizer.process.waitForLine((line) =>
        line.includes('"requestId":"e2e-req-1"') ? (JSON.parse(line) as Record<string, unknown>) : undefined,
      );
      assert.equal(logged?.['decision'], 'allow');
      assert.equal(logged?.['route'], route.route);
      assert.equal(logged?.['uri'], undefined, 'the client URI never reaches the authorizer; a forged one is not logged');
    });

    it('passes a POST body to the backend (the auth subrequest carries none)', async () => {
      const token = await mint();
      const body = JSON.stringify({ inputs: Array.from({ length: 2000 }, (_, i) => i) });
      const posted = await httpGet(`${edge.edgeUrl}${pathIn(route)}`, { host: route.host, ...withToken(token), 'content-type': 'application/json' }, 'POST', body);
      assert.equal(posted.status, 200);
      assert.equal(echo(posted).method, 'POST');
      assert.equal(echo(posted).bodyBytes, Buffer.byteLength(body));
      assert.equal(echo(posted).headers['content-type'], 'application/json');
    });

    it('opens a connection to the authorizer per subrequest, and the backend request inherits Connection: close (controller 5.5.4)', async () => {
      // The controller renders `set $default_connection_header close;` in the auth location (no
      // keepalive flag, virtualserver.go generateExternalAuthLocation). A subrequest shares its
      // parent's variables, so the cached $vs_connection_header is `close` for the main request too.
      const token = await mint();
      const metric = async (): Promise<number> => {
        const text = (await httpGet(`${edge.authorizer.url}/metrics`)).body;
        return Number(/edge_authorizer_connections_accepted_total (\d+)/.exec(text)?.[1]);
      };
      const before = await metric();
      let seen: Echo | undefined;
      for (let i = 0; i < 20; i += 1) {
        const response = await get(SCORE, withToken(token));
        assert.equal(response.status, 200);
        seen = echo(response);
      }
      // 20 subrequests plus the first /metrics call.
      assert.equal((await metric()) - before, 21);
      assert.equal(seen?.headers['connection'], 'close');
    });
  });

  describe('refuses with 401', () => {
    it('a request without a token, with a bare Bearer challenge passed on by NGINX', async () => {
      const response = await get(SCORE);
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

    it('a token in the query string is no credential: the authorizer never sees the client query', async () => {
      const alone = await get(`${pathIn(route)}?access_token=${await mint()}`);
      assert.equal(alone.status, 401);
      assert.equal(alone.headers['www-authenticate'], 'Bearer');
    });
  });

  describe('refuses before or beside the authorizer', () => {
    it('403 for a token whose role belongs to another route, and the backend is not reached', async () => {
      const other = edge.rendering.routes.find((candidate) => !requirementOf(candidate).roles.includes('Model.Invoke'));
      assert.ok(other, 'prod publishes a route that Model.Invoke does not open');
      const before = edge.upstreamRequests();
      const response = await httpGet(`${edge.edgeUrl}${pathIn(other)}`, { host: other.host, ...withToken(await mint({ roles: ['Model.Invoke'] })) });
      assert.equal(response.status, 403);
      assert.equal(edge.upstreamRequests(), before);
    });

    it('400 from NGINX itself for duplicate Authorization headers', async () => {
      const before = edge.upstreamRequests();
      const token = await mint();
      const response = await get(SCORE, { authorization: [`Bearer ${token}`, `Bearer ${token}`] });
      assert.equal(response.status, 400);
      assert.equal(edge.upstreamRequests(), before);
    });

    it('400 from NGINX for a header line beyond its buffers (the controller keeps the 8 KiB default); nothing crashes', async () => {
      const before = edge.upstreamRequests();
      for (const size of [9_000, 20_000]) {
        const status = await rawStatusLine(edge.nginx.port, `GET ${pathIn(route)} HTTP/1.1\r\nHost: ${route.host}\r\nAuthorization: Bearer ${'a'.repeat(size)}\r\n\r\n`);
        assert.match(status, /^HTTP\/1\.1 400 /);
      }
      assert.equal(edge.upstreamRequests(), before);
      assert.equal((await get(SCORE, withToken(await mint()))).status, 200);
      assert.ok(edge.authorizer.process.running);
    });
  });

  describe('keys over time', () => {
    it('accepts a token signed with a key the issuer publishes after start (rotation)', async () => {
      const rotated = await edge.issuer.createKey();
      const response = await get(SCORE, withToken(await mint({}, { key: rotated })));
      assert.equal(response.status, 200);
    });

    it('keeps working on cached keys when the issuer goes away, and refuses keys it never saw', async () => {
      const unseen = await edge.issuer.createKey();
      const unseenToken = await mint({}, { key: unseen });
      const freshToken = await mint(); // not in the token cache yet: needs the cached key
      await edge.issuer.stop();
      assert.equal((await get(SCORE, withToken(freshToken))).status, 200);
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
      for (let i = 0; i < 5; i += 1) assert.equal((await get(SCORE, withToken(token))).status, 200);
      assert.equal((await hits()) - before, 4);
    });
  });

  describe('log hygiene', () => {
    it('never wrote any of the tokens above to its log', async () => {
      // Lines arrive through a pipe; a last request whose line we wait for flushes everything before it.
      await get(SCORE, { 'x-request-id': 'e2e-last' });
      await edge.authorizer.process.waitForLine((line) => (line.includes('"requestId":"e2e-last"') ? true : undefined));
      const log = edge.authorizer.process.stdout.join('\n');
      assert.ok(tokensUsed.length > 20);
      for (const token of tokensUsed) assert.ok(!log.includes(token), 'a token appeared in the authorizer log');
      assert.ok(edge.authorizer.logLines().filter((line) => line['msg'] === 'decision').length > 20);
    });
  });
});

describe('edge-authorizer behind a real NGINX on the rendered dev edge, without signing keys', function () {
  this.timeout(60_000);
  let edge: Topology;
  let route: RenderedRoute;

  before(async function () {
    skipWithoutNginx(this);
    // The JWKS answers 500 from the start: the authorizer never loads keys until it recovers.
    edge = await startTopology({ objects: await edgeOf('dev'), prepareIssuer: (issuer) => (issuer.jwksStatus = 500), waitReady: false });
    route = edge.rendering.routes[0] as RenderedRoute;
  });
  after(async () => {
    await edge?.stop();
  });

  const score = async (): Promise<RawResponse> =>
    httpGet(`${edge.edgeUrl}${pathIn(route)}`, { host: route.host, authorization: `Bearer ${await edge.issuer.mint({ roles: requirementOf(route).roles })}` });

  it('fails closed: a valid token gets 500 from NGINX, the backend is not reached, /readyz is 503', async () => {
    const response = await score();
    assert.equal(response.status, 500);
    assert.equal(edge.upstreamRequests(), 0);
    assert.equal((await httpGet(`${edge.authorizer.url}/readyz`)).status, 503);
    assert.match(edge.nginx.errorLog(), /auth request unexpected status: 503/);
  });

  it('recovers by itself once the JWKS is back', async () => {
    edge.issuer.jwksStatus = 200;
    await waitReady(edge.authorizer.url);
    assert.equal((await score()).status, 200);
  });
});
