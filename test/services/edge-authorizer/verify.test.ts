import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { CompactSign, exportJWK, exportSPKI, generateKeyPair, type JWK } from 'jose';
import type { Decision } from '../../../services/edge-authorizer/src/decision.js';
import {
  TEST_CLIENT_APP_ID,
  TEST_CLIENT_OBJECT_ID,
  TestIssuer,
  segment,
  signRs256,
} from '../../../services/edge-authorizer/testkit/issuer.js';
import { bearer, startInProcess, type InProcessAuthorizer } from './harness.js';

/**
 * Every verification rule, one token at a time, through Authorizer.decide() (no HTTP): the real
 * KeyStore fetches the test issuer's discovery document and JWKS over loopback.
 */
describe('edge-authorizer token verification', () => {
  let issuer: TestIssuer;
  let authz: InProcessAuthorizer;
  const now = (): number => Math.floor(Date.now() / 1000);

  before(async () => {
    issuer = await TestIssuer.start();
    // Cooldown 0: an unknown kid refetches at once, so "unknown" really means "not published".
    authz = await startInProcess(issuer, { AUTHZ_JWKS_COOLDOWN_SECONDS: '0', AUTHZ_CACHE_ENABLED: 'false' });
  });
  after(async () => {
    await authz?.stop();
    await issuer?.stop();
  });

  const decide = (token: string, query?: string): Promise<Decision> =>
    authz.decide({ authorization: bearer(token), ...(query === undefined ? {} : { query }) });

  async function assertRefused(token: string, reason: string): Promise<void> {
    const decision = await decide(token);
    assert.equal(decision.status, 401, `expected 401 ${reason}, got ${decision.status} ${decision.reason}`);
    assert.equal(decision.reason, reason);
    assert.equal(decision.challenge, 'Bearer error="invalid_token"');
    assert.equal(decision.identity, undefined);
  }

  describe('accepts', () => {
    it('an Entra v2 app token with the required role, and reports who called', async () => {
      const decision = await decide(await issuer.mint());
      assert.equal(decision.status, 204);
      assert.equal(decision.outcome, 'allow');
      assert.equal(decision.identity?.subject, TEST_CLIENT_OBJECT_ID);
      assert.equal(decision.identity?.objectId, TEST_CLIENT_OBJECT_ID);
      assert.equal(decision.identity?.appId, TEST_CLIENT_APP_ID);
      assert.deepEqual(decision.identity?.roles, ['Model.Invoke']);
    });

    it('a v1 token that names the app in appid instead of azp', async () => {
      const decision = await decide(await issuer.mint({ azp: undefined, appid: 'a1b2c3d4-0000-4000-8000-000000000001' }));
      assert.equal(decision.status, 204);
      assert.equal(decision.identity?.appId, 'a1b2c3d4-0000-4000-8000-000000000001');
    });

    it('any of the configured audiences, as a string or inside an array', async () => {
      assert.equal((await decide(await issuer.mint({ aud: 'api://other-api' }))).status, 204);
      assert.equal((await decide(await issuer.mint({ aud: ['api://unrelated', 'api://amlmesh-models'] }))).status, 204);
    });

    it('a token that expired less than the clock skew ago, and one valid within the skew from now', async () => {
      assert.equal((await decide(await issuer.mint({ exp: now() - 30 }))).status, 204);
      assert.equal((await decide(await issuer.mint({ nbf: now() + 30 }))).status, 204);
    });

    it('a tenant id in upper case (GUIDs compare case-insensitively)', async () => {
      assert.equal((await decide(await issuer.mint({ tid: issuer.tenantId.toUpperCase() }))).status, 204);
    });
  });

  describe('refuses with 401 invalid_token', () => {
    it('an expired token (beyond the clock skew)', async () => {
      await assertRefused(await issuer.mint({ exp: now() - 120 }), 'expired');
    });

    it('a token that is not valid yet (beyond the clock skew)', async () => {
      await assertRefused(await issuer.mint({ nbf: now() + 120 }), 'not_yet_valid');
    });

    it('a token without exp', async () => {
      await assertRefused(await issuer.mint({ exp: undefined }), 'missing_claim');
    });

    it('a token from another issuer, including a near-miss with a trailing slash', async () => {
      await assertRefused(await issuer.mint({ iss: 'https://sts.windows.net/8f2b1c4e-5a6d-4e7f-9a0b-1c2d3e4f5a6b/' }), 'wrong_issuer');
      await assertRefused(await issuer.mint({ iss: `${issuer.issuer}/` }), 'wrong_issuer');
    });

    it('a token for another audience', async () => {
      await assertRefused(await issuer.mint({ aud: 'api://someone-else' }), 'wrong_audience');
      await assertRefused(await issuer.mint({ aud: ['api://someone-else', 'api://amlmesh'] }), 'wrong_audience');
    });

    it('a token from another tenant, or with no tenant', async () => {
      await assertRefused(await issuer.mint({ tid: '00000000-0000-4000-8000-000000000000' }), 'wrong_tenant');
      await assertRefused(await issuer.mint({ tid: undefined }), 'missing_claim');
    });

    it('an ID token for the same audience (no azp/appid)', async () => {
      await assertRefused(await issuer.mint({ azp: undefined, idtyp: undefined, nonce: 'n-0S6_WzA2Mj' }), 'not_an_access_token');
    });

    it('claims that would smuggle header syntax into the identity headers', async () => {
      await assertRefused(await issuer.mint({ sub: 'victim\r\nX-Auth-Roles: Admin' }), 'invalid_claim');
      await assertRefused(await issuer.mint({ roles: ['Model.Invoke', 'Admin Role'] }), 'invalid_claim');
      await assertRefused(await issuer.mint({ roles: 'Model.Invoke' }), 'invalid_claim');
      await assertRefused(await issuer.mint({ azp: 42 }), 'invalid_claim');
      await assertRefused(await issuer.mint({ oid: { nested: true } }), 'invalid_claim');
    });

    it('alg "none" (unsigned)', async () => {
      const token = `${segment({ alg: 'none', typ: 'JWT' })}.${segment(issuer.claims())}.`;
      await assertRefused(token, 'alg_not_allowed');
    });

    it('HS256 signed with the public key as the HMAC secret (algorithm confusion)', async () => {
      const pem = await exportSPKI(issuer.defaultKey.publicKey);
      const token = await new CompactSign(new TextEncoder().encode(JSON.stringify(issuer.claims())))
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT', kid: issuer.defaultKey.kid })
        .sign(new TextEncoder().encode(pem));
      await assertRefused(token, 'alg_not_allowed');
    });

    it('RS384 when only RS256 is allowed', async () => {
      const key = await issuer.createKey({ alg: 'RS384' });
      await assertRefused(await issuer.mint({}, { key }), 'alg_not_allowed');
    });

    it('ES256 from an EC key the issuer publishes (not an allowed algorithm)', async () => {
      const key = await issuer.createKey({ alg: 'ES256' });
      await assertRefused(await issuer.mint({}, { key }), 'alg_not_allowed');
    });

    it('an RS256 token whose kid names an EC key (wrong key type)', async () => {
      const ec = await generateKeyPair('ES256', { extractable: true });
      issuer.publish({ ...(await exportJWK(ec.publicKey)), kid: 'ec-key', use: 'sig' });
      await assertRefused(await issuer.mint({}, { header: { kid: 'ec-key' } }), 'unknown_key');
    });

    it('a token signed by a key published for encryption (use: enc)', async () => {
      const key = await issuer.createKey({ publish: false });
      issuer.publish({ ...key.publicJwk, use: 'enc' });
      await assertRefused(await issuer.mint({}, { key }), 'unknown_key');
    });

    it('a token signed by a key the JWKS pins to another algorithm', async () => {
      const key = await issuer.createKey({ publish: false });
      issuer.publish({ ...key.publicJwk, alg: 'RS512' });
      await assertRefused(await issuer.mint({}, { key }), 'unknown_key');
    });

    it('a token signed by an unpublished key', async () => {
      const key = await issuer.createKey({ publish: false });
      await assertRefused(await issuer.mint({}, { key }), 'unknown_key');
    });

    it('a token without kid', async () => {
      const key = issuer.defaultKey;
      const token = await new CompactSign(new TextEncoder().encode(JSON.stringify(issuer.claims())))
        .setProtectedHeader({ alg: 'RS256' })
        .sign(key.privateKey);
      await assertRefused(token, 'missing_kid');
    });

    it('a token signed by another key under a published kid (forged signature)', async () => {
      const forger = await issuer.createKey({ publish: false });
      await assertRefused(await issuer.mint({}, { key: forger, header: { kid: issuer.defaultKey.kid } }), 'bad_signature');
    });

    it('a token whose payload was altered after signing', async () => {
      const [header, , signature] = (await issuer.mint()).split('.');
      const tampered = `${header}.${segment(issuer.claims({ roles: ['Model.Invoke', 'Model.Admin'] }))}.${signature}`;
      await assertRefused(tampered, 'bad_signature');
    });

    it('an unknown critical header extension', async () => {
      const { kid, privateKey } = issuer.defaultKey;
      const payload = segment(issuer.claims());
      const critical = { alg: 'RS256', kid, crit: ['urn:example:must-understand'], 'urn:example:must-understand': 1 };
      await assertRefused(signRs256(critical, payload, privateKey), 'unsupported_header');
      await assertRefused(signRs256({ alg: 'RS256', kid, crit: 'exp' }, payload, privateKey), 'unsupported_header');
    });

    it('an unencoded payload (b64: false), which JWTs must not use', async () => {
      const { kid, privateKey } = issuer.defaultKey;
      const token = signRs256({ alg: 'RS256', kid, b64: false, crit: ['b64'] }, 'eyJzdWIiOiJ4In0', privateKey);
      await assertRefused(token, 'malformed_token');
    });

    it('segments that are not base64url', async () => {
      const [header, payload, signature] = (await issuer.mint()).split('.');
      await assertRefused(`${header}.${payload}!.${signature}`, 'malformed_token');
      await assertRefused(`${header}.${payload}.${signature}=`, 'malformed_token');
      await assertRefused(`${header}+.${payload}.${signature}`, 'malformed_token');
    });

    it('a header or payload that is not JSON, or not a JSON object', async () => {
      const [, payload, signature] = (await issuer.mint()).split('.');
      await assertRefused(`${segment('{"alg":"RS256",')}.${payload}.${signature}`, 'malformed_token');
      await assertRefused(await issuer.signRaw('not json at all'), 'malformed_token');
      await assertRefused(await issuer.signRaw('["an","array"]'), 'malformed_token');
    });

    it('an exp that JSON parses to Infinity (a token that would never expire)', async () => {
      const payload = JSON.stringify(issuer.claims({ exp: 0 })).replace('"exp":0', '"exp":1e999');
      await assertRefused(await issuer.signRaw(payload), 'invalid_claim');
    });

    it('a header that is JSON but not an object', async () => {
      const [, payload, signature] = (await issuer.mint()).split('.');
      await assertRefused(`${segment('"RS256"')}.${payload}.${signature}`, 'malformed_token');
    });

    it('a JWE or any other shape than three segments', async () => {
      const token = await issuer.mint();
      await assertRefused(`${token}.${segment('x')}.${segment('y')}`, 'malformed_token');
      await assertRefused(token.split('.').slice(0, 2).join('.'), 'malformed_token');
    });

    it('a token signed with a 1024-bit RSA key (too weak for jose)', async () => {
      const weak = generateKeyPairSync('rsa', { modulusLength: 1024 });
      issuer.publish({ ...(weak.publicKey.export({ format: 'jwk' }) as JWK), kid: 'weak-key', use: 'sig' });
      const decision = await decide(signRs256({ alg: 'RS256', kid: 'weak-key' }, segment(issuer.claims()), weak.privateKey));
      assert.equal(decision.status, 401);
      assert.equal(decision.outcome, 'deny');
    });
  });

  describe('roles and scopes', () => {
    it('refuses a valid token without the route role with 403 insufficient_scope', async () => {
      const decision = await decide(await issuer.mint({ roles: ['Features.Read'] }));
      assert.equal(decision.status, 403);
      assert.equal(decision.reason, 'missing_role');
      assert.equal(decision.challenge, 'Bearer error="insufficient_scope"');
      assert.equal((await decide(await issuer.mint({ roles: undefined }))).status, 403);
    });

    it('accepts any one of several required roles', async () => {
      const token = await issuer.mint({ roles: ['Features.Write'] });
      assert.equal((await decide(token, 'roles=Features.Read,Features.Write')).status, 204);
      assert.equal((await decide(token, 'roles=Features.Read&roles=Features.Write')).status, 204);
      assert.equal((await decide(token, 'roles=Features.Read')).status, 403);
    });

    it('accepts a delegated token by scope, and only for a route that names the scope', async () => {
      const token = await issuer.mint({ roles: undefined, scp: 'user_impersonation features.read' });
      assert.equal((await decide(token, 'roles=Features.Read&scopes=features.read')).status, 204);
      assert.equal((await decide(token, 'roles=Features.Read')).status, 403);
    });

    it('does not let a scope satisfy a role of the same name', async () => {
      const token = await issuer.mint({ roles: undefined, scp: 'Model.Invoke' });
      assert.equal((await decide(token, 'roles=Model.Invoke')).status, 403);
    });

    it('refuses a route that names no role or scope as a configuration error (500), whatever the token', async () => {
      const decision = await decide(await issuer.mint(), '');
      assert.equal(decision.status, 500);
      assert.equal(decision.reason, 'no_requirement');
      assert.equal((await decide(await issuer.mint(), 'roles=')).status, 500);
    });

    it('refuses malformed role lists (500)', async () => {
      assert.equal((await decide(await issuer.mint(), `roles=${'R,'.repeat(40)}`)).reason, 'bad_requirement');
      assert.equal((await decide(await issuer.mint(), 'roles=Model%20Invoke')).reason, 'bad_requirement');
    });
  });
});
