import assert from 'node:assert/strict';
import { KeyStore, type RefreshEvent } from '../../../services/edge-authorizer/src/keys.js';
import { TestIssuer } from '../../../services/edge-authorizer/testkit/issuer.js';
import { bearer, startInProcess, type InProcessAuthorizer } from './harness.js';

/** When keys are fetched, kept and dropped: discovery, rotation, cooldown, outages, staleness. */
describe('edge-authorizer signing keys', () => {
  let issuer: TestIssuer;
  let authz: InProcessAuthorizer | undefined;

  beforeEach(async () => {
    issuer = await TestIssuer.start();
  });
  afterEach(async () => {
    await authz?.stop();
    authz = undefined;
    await issuer.stop();
  });

  const start = async (env: Record<string, string> = {}, waitReady = true): Promise<InProcessAuthorizer> => {
    authz = await startInProcess(issuer, { AUTHZ_CACHE_ENABLED: 'false', ...env }, { waitReady });
    return authz;
  };

  it('finds the JWKS through OIDC discovery and becomes ready', async () => {
    const { app } = await start();
    assert.equal(issuer.discoveryRequests, 1);
    assert.equal(issuer.jwksRequests, 1);
    assert.equal(app.keyStore.ready, true);
    assert.equal(app.keyStore.count, 1);
  });

  it('uses AUTHZ_JWKS_URI without discovery when it is set', async () => {
    const { decide } = await start({ AUTHZ_JWKS_URI: issuer.jwksUri });
    assert.equal(issuer.discoveryRequests, 0);
    assert.equal((await decide({ authorization: bearer(await issuer.mint()) })).status, 204);
  });

  it('accepts a key published after start (rotation): an unknown kid triggers a refetch', async () => {
    const { decide } = await start({ AUTHZ_JWKS_COOLDOWN_SECONDS: '0' });
    const next = await issuer.createKey();
    const decision = await decide({ authorization: bearer(await issuer.mint({}, { key: next })) });
    assert.equal(decision.status, 204);
    assert.equal(issuer.jwksRequests, 2);
  });

  it('refetches for unknown kids at most once per cooldown, then picks the new key up', async () => {
    const { decide, clock } = await start({ AUTHZ_JWKS_COOLDOWN_SECONDS: '30' });
    // Right after the startup fetch the cooldown holds: no refetch for a stranger's kid.
    const stranger = await issuer.createKey({ publish: false });
    for (let i = 0; i < 5; i += 1) {
      assert.equal((await decide({ authorization: bearer(await issuer.mint({}, { key: stranger })) })).reason, 'unknown_key');
    }
    assert.equal(issuer.jwksRequests, 1);

    const rotated = await issuer.createKey();
    const token = await issuer.mint({}, { key: rotated });
    assert.equal((await decide({ authorization: bearer(token) })).reason, 'unknown_key');
    clock.advance(31_000);
    assert.equal((await decide({ authorization: bearer(token) })).status, 204);
    assert.equal(issuer.jwksRequests, 2);
    // A burst of unknown kids right after that refetch does not reach the issuer again.
    for (let i = 0; i < 5; i += 1) await decide({ authorization: bearer(await issuer.mint({}, { key: stranger })) });
    assert.equal(issuer.jwksRequests, 2);
  });

  it('keeps the last good keys when the issuer goes away, and refuses keys it never saw', async () => {
    const { decide, app, clock } = await start({ AUTHZ_JWKS_COOLDOWN_SECONDS: '1' });
    const known = await issuer.mint();
    const unseen = await issuer.createKey();
    const unseenToken = await issuer.mint({}, { key: unseen });
    await issuer.stop();
    clock.advance(2000);

    assert.equal((await decide({ authorization: bearer(known) })).status, 204);
    const refused = await decide({ authorization: bearer(unseenToken) });
    assert.equal(refused.status, 401);
    assert.equal(refused.reason, 'unknown_key');
    assert.equal(app.keyStore.ready, true);
    assert.match(await app.metrics.registry.getSingleMetricAsString('edge_authorizer_jwks_refreshes_total'), /result="failure",trigger="unknown_kid"} 1/);
  });

  it('keeps the last good keys when a refresh answers 500, an empty set or a redirect', async () => {
    const { decide, app, clock } = await start({ AUTHZ_JWKS_COOLDOWN_SECONDS: '1' });
    const stranger = await issuer.createKey({ publish: false });
    for (const breakIt of [
      () => (issuer.jwksStatus = 500),
      () => issuer.unpublish(issuer.defaultKey.kid),
      () => (issuer.jwksRedirectTo = 'https://attacker.example/keys'),
    ]) {
      breakIt();
      clock.advance(2000);
      await decide({ authorization: bearer(await issuer.mint({}, { key: stranger })) });
      assert.equal((await decide({ authorization: bearer(await issuer.mint()) })).status, 204);
    }
    assert.equal(app.keyStore.ready, true);
    assert.equal(issuer.jwksRequests, 4);
  });

  it('fails closed (503, not ready) once the keys are older than AUTHZ_JWKS_MAX_STALE_SECONDS', async () => {
    const { decide, app, clock } = await start({ AUTHZ_JWKS_REFRESH_SECONDS: '60', AUTHZ_JWKS_MAX_STALE_SECONDS: '120' });
    const token = await issuer.mint();
    await issuer.stop();
    clock.advance(121_000);
    const decision = await decide({ authorization: bearer(token) });
    assert.equal(decision.status, 503);
    assert.equal(decision.reason, 'keys_unavailable');
    assert.equal(app.keyStore.ready, false);
  });

  it('fails closed for cached tokens too once the keys are stale (a cache hit is no way around it)', async () => {
    const { decide, app, clock } = await start({ AUTHZ_CACHE_ENABLED: 'true', AUTHZ_JWKS_REFRESH_SECONDS: '60', AUTHZ_JWKS_MAX_STALE_SECONDS: '120' });
    const token = await issuer.mint();
    const fresh = await decide({ authorization: bearer(token) });
    assert.equal(fresh.status, 204);
    assert.equal((await decide({ authorization: bearer(token) })).cache, 'hit');
    await issuer.stop();
    clock.advance(121_000); // inside the cache's 300 s TTL and the token's lifetime
    const stale = await decide({ authorization: bearer(token) });
    assert.equal(app.keyStore.ready, false);
    assert.equal(stale.status, 503);
    assert.equal(stale.reason, 'keys_unavailable');
  });

  it('fails closed (503) while no keys were ever loaded, and becomes ready when they arrive', async () => {
    issuer.jwksStatus = 503;
    const { decide, app, ready } = await start({}, false);
    const token = await issuer.mint();
    const decision = await decide({ authorization: bearer(token) });
    assert.equal(decision.status, 503);
    assert.equal(decision.outcome, 'error');
    assert.equal(app.keyStore.ready, false);
    issuer.jwksStatus = 200;
    await ready(); // the startup loop retries with backoff
    assert.equal((await decide({ authorization: bearer(token) })).status, 204);
  });

  it('still refuses malformed tokens with 401 while no keys are loaded (no key needed to see they are bad)', async () => {
    issuer.jwksStatus = 503;
    const { decide } = await start({}, false);
    assert.equal((await decide({ authorization: ['Bearer not-a-jwt'] })).status, 401);
    assert.equal((await decide({ authorization: undefined })).status, 401);
  });

  describe('discovery and key fetching (KeyStore alone)', () => {
    const events: RefreshEvent[] = [];
    const store = (overrides: Partial<ConstructorParameters<typeof KeyStore>[0]> = {}): KeyStore =>
      new KeyStore({
        issuer: issuer.issuer,
        jwksUri: undefined,
        cooldownMs: 0,
        refreshIntervalMs: 60_000,
        maxStaleMs: 3_600_000,
        timeoutMs: 2000,
        onRefresh: (event) => events.push(event),
        ...overrides,
      });
    beforeEach(() => {
      events.length = 0;
    });

    it('refuses a discovery document that names another issuer (OIDC Discovery §4.3)', async () => {
      issuer.discoveryIssuerOverride = 'https://login.microsoftonline.com/common/v2.0';
      const keys = store();
      await keys.refresh('startup');
      assert.equal(keys.ready, false);
      assert.equal(issuer.jwksRequests, 0);
      assert.match(events[0]?.result === 'failure' ? events[0].error : '', /names issuer/);
    });

    it('refuses a discovered jwks_uri over plain http to a non-loopback host', async () => {
      issuer.discoveryJwksUriOverride = 'http://keys.example.com/keys';
      const keys = store();
      await keys.refresh('startup');
      assert.equal(keys.ready, false);
      assert.match(events[0]?.result === 'failure' ? events[0].error : '', /https/);
    });

    it('refuses a JWKS larger than 512 KiB without buffering it all', async () => {
      for (let i = 0; i < 1500; i += 1) issuer.publish({ ...issuer.defaultKey.publicJwk, kid: `filler-${i}` });
      const keys = store({ jwksUri: issuer.jwksUri });
      await keys.refresh('startup');
      assert.equal(keys.ready, false);
      assert.match(events[0]?.result === 'failure' ? events[0].error : '', /bytes/);
    });

    it('shares one fetch between concurrent refreshes', async () => {
      issuer.jwksDelayMs = 100;
      const keys = store({ jwksUri: issuer.jwksUri });
      await Promise.all([keys.refresh('startup'), keys.refresh('unknown_kid'), keys.refresh('interval')]);
      assert.equal(issuer.jwksRequests, 1);
      assert.equal(keys.ready, true);
    });

    it('accepts more algorithms only when configured (RS384 via AUTHZ_ALLOWED_ALGS)', async () => {
      const rs384 = await issuer.createKey({ alg: 'RS384' });
      const { decide } = await start({ AUTHZ_ALLOWED_ALGS: 'RS256,RS384' });
      assert.equal((await decide({ authorization: bearer(await issuer.mint({}, { key: rs384 })) })).status, 204);
      assert.equal((await decide({ authorization: bearer(await issuer.mint()) })).status, 204);
    });
  });
});
