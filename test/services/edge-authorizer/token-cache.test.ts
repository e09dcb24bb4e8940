import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { TokenCache } from '../../../services/edge-authorizer/src/token-cache.js';
import { TestIssuer } from '../../../services/edge-authorizer/testkit/issuer.js';
import { bearer, startInProcess, type InProcessAuthorizer } from './harness.js';

describe('edge-authorizer verified-token cache', () => {
  let issuer: TestIssuer;
  let authz: InProcessAuthorizer | undefined;

  before(async () => {
    issuer = await TestIssuer.start();
  });
  after(async () => {
    await issuer.stop();
  });
  afterEach(async () => {
    await authz?.stop();
    authz = undefined;
  });

  const start = async (env: Record<string, string> = {}): Promise<InProcessAuthorizer> => {
    authz = await startInProcess(issuer, env);
    return authz;
  };

  it('verifies a token once and then answers from the cache', async () => {
    const { decide } = await start();
    const token = await issuer.mint();
    const first = await decide({ authorization: bearer(token) });
    const second = await decide({ authorization: bearer(token) });
    assert.deepEqual([first.status, first.cache], [204, 'miss']);
    assert.deepEqual([second.status, second.cache], [204, 'hit']);
    assert.deepEqual(second.identity, first.identity);
  });

  it('still checks the route roles on every request against the cached claims', async () => {
    const { decide } = await start();
    const token = await issuer.mint({ roles: ['Model.Invoke'] });
    assert.equal((await decide({ authorization: bearer(token), query: 'roles=Model.Invoke' })).status, 204);
    const other = await decide({ authorization: bearer(token), query: 'roles=Features.Read' });
    assert.deepEqual([other.status, other.cache], [403, 'hit']);
  });

  it('drops an entry when the token expires, so the expiry is enforced again', async () => {
    const { decide, clock } = await start({ AUTHZ_CLOCK_SKEW_SECONDS: '0' });
    const token = await issuer.mint({ exp: Math.floor(Date.now() / 1000) + 100 });
    assert.equal((await decide({ authorization: bearer(token) })).cache, 'miss');
    assert.equal((await decide({ authorization: bearer(token) })).cache, 'hit');
    clock.advance(101_000);
    const late = await decide({ authorization: bearer(token) });
    assert.deepEqual([late.status, late.reason, late.cache], [401, 'expired', 'miss']);
  });

  it('re-verifies after AUTHZ_CACHE_MAX_TTL_SECONDS even if the token lives longer', async () => {
    const { decide, clock } = await start({ AUTHZ_CACHE_MAX_TTL_SECONDS: '10' });
    const token = await issuer.mint();
    await decide({ authorization: bearer(token) });
    clock.advance(9_000);
    assert.equal((await decide({ authorization: bearer(token) })).cache, 'hit');
    clock.advance(2_000);
    const again = await decide({ authorization: bearer(token) });
    assert.deepEqual([again.status, again.cache], [204, 'miss']);
  });

  it('holds at most AUTHZ_CACHE_MAX_ENTRIES tokens, evicting the least recently used', async () => {
    const { decide } = await start({ AUTHZ_CACHE_MAX_ENTRIES: '2' });
    const [a, b, c] = await Promise.all([issuer.mint(), issuer.mint(), issuer.mint()]);
    for (const token of [a, b, c]) await decide({ authorization: bearer(token as string) });
    assert.equal((await decide({ authorization: bearer(c as string) })).cache, 'hit');
    assert.equal((await decide({ authorization: bearer(a as string) })).cache, 'miss');
  });

  it('never caches a refused token', async () => {
    const { decide } = await start();
    const token = await issuer.mint({ aud: 'api://someone-else' });
    for (let i = 0; i < 2; i += 1) {
      const decision = await decide({ authorization: bearer(token) });
      assert.deepEqual([decision.status, decision.cache], [401, 'miss']);
    }
  });

  it('can be turned off (AUTHZ_CACHE_ENABLED=false): every request is verified', async () => {
    const { decide } = await start({ AUTHZ_CACHE_ENABLED: 'false' });
    const token = await issuer.mint();
    for (let i = 0; i < 2; i += 1) assert.equal((await decide({ authorization: bearer(token) })).cache, 'off');
  });

  it('keys entries by a SHA-256 digest, never by the token', () => {
    const key = TokenCache.keyOf('header.payload.signature');
    assert.equal(key, createHash('sha256').update('header.payload.signature').digest('base64'));
    assert.ok(!key.includes('payload'));
    assert.notEqual(TokenCache.keyOf('header.payload.signaturf'), key);
  });
});
