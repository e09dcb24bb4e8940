import assert from 'node:assert/strict';
import { httpGet, rawStatusLine } from '../edge-authorizer/harness.js';
import { startSwapRig, type SwapRig } from '../../../services/edge-authorizer/testkit/swap.js';

const SUBJECT = 'system:serviceaccount:aml-token-swap:aml-token-swap';
const CALLER_TOKEN = 'eyJhbGciOiJSUzI1NiJ9.caller-token-verified-at-the-edge.signature';

/**
 * The swap as its own process against the Entra, ARM and router stand-ins (testkit/azure.ts):
 * a request the edge let through leaves with the endpoint's aml_token and nothing of the caller's.
 */
describe('aml-token-swap against Entra, ARM and router stand-ins', function () {
  this.timeout(30_000);
  let rig: SwapRig;

  before(async () => {
    rig = await startSwapRig({ subject: SUBJECT, endpoints: ['churn', 'fraud-v2'] });
  });
  after(async () => {
    await rig?.stop();
  });

  const score = (path: string, headers: Record<string, string> = {}, body?: string) =>
    httpGet(`${rig.url}${path}`, { authorization: `Bearer ${CALLER_TOKEN}`, ...headers }, body === undefined ? 'GET' : 'POST', body);

  it("answers with the model's answer, having swapped the caller's token for the endpoint's aml_token", async () => {
    const body = JSON.stringify({ input_data: [[1, 2, 3]] });
    const response = await score('/api/v1/endpoint/churn/score', { 'content-type': 'application/json', 'azureml-model-deployment': 'blue' }, body);
    assert.equal(response.status, 200, response.body);
    assert.deepEqual(JSON.parse(response.body), { endpoint: 'churn', deployment: 'blue', prediction: [0.42], bodyBytes: Buffer.byteLength(body) });
    const seen = rig.router.seen.at(-1);
    assert.ok(seen);
    assert.match(String(seen.headers['authorization']), /^Bearer [A-Za-z0-9_-]{43}$/);
    assert.equal(seen.headers['content-type'], 'application/json');
  });

  it("never lets the caller's token reach Azure ML (router), nor anything the router did not need", () => {
    for (const request of rig.router.seen) assert.ok(!JSON.stringify(request).includes(CALLER_TOKEN), 'the caller token reached the router');
  });

  it('caches the aml_token until refreshAfterTimeUtc, then fetches a new one', async () => {
    const before = rig.arm.requests;
    for (let i = 0; i < 5; i += 1) assert.equal((await score('/api/v1/endpoint/churn/score')).status, 200);
    assert.equal(rig.arm.requests, before, 'a cached token needs no ARM call');
    // fraud-v2's token asks to be refreshed one second after it is issued.
    rig.arm.refreshAfterSeconds = 1;
    assert.equal((await score('/api/v1/endpoint/fraud-v2/score')).status, 200);
    assert.equal((await score('/api/v1/endpoint/fraud-v2/score')).status, 200);
    assert.equal(rig.arm.requests, before + 1);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    assert.equal((await score('/api/v1/endpoint/fraud-v2/score')).status, 200);
    assert.equal(rig.arm.requests, before + 2, 'past refreshAfterTimeUtc the token is fetched again');
    rig.arm.refreshAfterSeconds = 900;
  });

  it('refuses endpoint names that are not plain names, before fetching any token', async () => {
    const before = rig.arm.requests + rig.entra.requests;
    // Raw request lines, so no client library normalises dots or percent-escapes away.
    for (const path of ['/api/v1/endpoint/../score', '/api/v1/endpoint/%2e%2e/score', '/api/v1/endpoint/churn%2Fx/score', '/api/v1/endpoint/a/score', '/api/v1/endpoint/-churn/score', `/api/v1/endpoint/${'a'.repeat(33)}/score`, '/api/v1/endpoint//score', '/api/v1/endpoint/churn;x/score', '/api/v1/endpoint/churn/../../other', '/api/v1/endpoint/churn/%2e%2e/x', '/api/v1/endpoint/churn//score', '/api/v1/endpoint/churn/a%2Fb']) {
      assert.match(await rawStatusLine(rig.port, `GET ${path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${CALLER_TOKEN}\r\n\r\n`), /^HTTP\/1\.1 400 /, path);
    }
    assert.equal((await score('/somewhere/else')).status, 404);
    assert.equal(rig.arm.requests + rig.entra.requests, before);
  });

  it('answers 404 for an endpoint the workspace does not have', async () => {
    assert.equal((await score('/api/v1/endpoint/no-such-endpoint/score')).status, 404);
  });

  it('answers 503 (never 401) while ARM is down, and recovers', async () => {
    rig.arm.failWith = 503;
    const response = await score('/api/v1/endpoint/new-one/score');
    rig.arm.failWith = undefined;
    assert.equal(response.status, 503);
    assert.equal(response.headers['www-authenticate'], undefined);
    assert.equal(response.headers['retry-after'], '5');
  });

  it('answers 502 (never 401) when the router refuses the aml_token, and fetches a new one next time', async () => {
    assert.equal((await score('/api/v1/endpoint/churn/score')).status, 200);
    rig.ledger.revokeAll();
    const refused = await score('/api/v1/endpoint/churn/score');
    assert.equal(refused.status, 502);
    assert.equal(refused.headers['www-authenticate'], undefined);
    assert.equal((await score('/api/v1/endpoint/churn/score')).status, 200);
  });

  it('exports on its own port what callers got and why, and where the aml_tokens came from; only there', async () => {
    // The inference port's mesh authorization admits the ingress alone, so metrics have a port of
    // their own (for the scraper's identity); the inference port never serves them.
    assert.equal((await score('/metrics')).status, 404);
    const response = await httpGet(`${rig.metricsUrl}/metrics`);
    assert.equal(response.status, 200);
    const count = (labels: string): number => Number(new RegExp(`^aml_token_swap_requests_total\\{${labels}\\} (\\d+)$`, 'm').exec(response.body)?.[1] ?? 0);
    assert.ok(count('endpoint="churn",status="200",reason="forwarded"') >= 3, response.body);
    assert.equal(count('endpoint="no-such-endpoint",status="404",reason="endpoint_not_found"'), 1, response.body);
    assert.match(response.body, /^aml_token_swap_requests_total\{endpoint="new-one",status="503",reason="[a-z_]+"\} 1$/m);
    assert.match(response.body, /^aml_token_swap_requests_total\{endpoint="churn",status="502",reason="router_refused_token"\} 1$/m);
    // Names that are not plain endpoint names are counted, never used as labels.
    assert.match(response.body, /^aml_token_swap_requests_total\{endpoint="invalid",status="400",reason="bad_endpoint_name"\} \d+$/m);
    assert.ok(!/endpoint="(\.\.|%2e%2e|-churn)/.test(response.body), 'a client-chosen segment became a label');
    assert.match(response.body, /^aml_token_swap_endpoint_tokens_total\{source="fresh"\} \d+$/m);
    assert.match(response.body, /^aml_token_swap_endpoint_tokens_total\{source="cache"\} \d+$/m);
    assert.match(response.body, /^aml_token_swap_request_duration_seconds_count\{reason="forwarded"\} \d+$/m);
    assert.ok(!response.body.includes(CALLER_TOKEN));
    assert.equal((await httpGet(`${rig.metricsUrl}/api/v1/endpoint/churn/score`)).status, 404);
  });
});

describe('aml-token-swap when Entra is down or refuses its identity', function () {
  this.timeout(30_000);

  it('503 while the Entra token endpoint fails, 502 when Entra refuses the federated assertion', async () => {
    const rig = await startSwapRig({ subject: SUBJECT, endpoints: ['churn'] });
    try {
      rig.entra.failWith = 503;
      assert.equal((await httpGet(`${rig.url}/api/v1/endpoint/churn/score`, { authorization: `Bearer ${CALLER_TOKEN}` })).status, 503);
      rig.entra.failWith = undefined;
      // The kubelet projected a token for another ServiceAccount: no federated credential matches.
      await rig.cluster.project(rig.tokenFile, 'system:serviceaccount:other:other');
      assert.equal((await httpGet(`${rig.url}/api/v1/endpoint/churn/score`, { authorization: `Bearer ${CALLER_TOKEN}` })).status, 502);
      // Re-read on every Entra request: the rotated, correct token works at once.
      await rig.cluster.project(rig.tokenFile, SUBJECT);
      assert.equal((await httpGet(`${rig.url}/api/v1/endpoint/churn/score`, { authorization: `Bearer ${CALLER_TOKEN}` })).status, 200);
    } finally {
      await rig.stop();
    }
  });

  it('502 when the identity lacks the token action on the workspace (no role assignment)', async () => {
    const rig = await startSwapRig({ subject: SUBJECT, endpoints: ['churn'], granted: false });
    try {
      const response = await httpGet(`${rig.url}/api/v1/endpoint/churn/score`, { authorization: `Bearer ${CALLER_TOKEN}` });
      assert.equal(response.status, 502);
      await rig.process.waitForLine((line) => (line.includes('onlineEndpoints/token/action') ? true : undefined));
    } finally {
      await rig.stop();
    }
  });

  it('503 when Entra cannot be reached at all', async () => {
    const rig = await startSwapRig({ subject: SUBJECT, endpoints: ['churn'], env: { AZURE_AUTHORITY_HOST: 'http://127.0.0.1:9/' } });
    try {
      assert.equal((await httpGet(`${rig.url}/api/v1/endpoint/churn/score`, { authorization: `Bearer ${CALLER_TOKEN}` })).status, 503);
    } finally {
      await rig.stop();
    }
  });
});
