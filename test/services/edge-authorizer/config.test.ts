import assert from 'node:assert/strict';
import { ConfigError, loadConfig } from '../../../services/edge-authorizer/src/config.js';

const TENANT = '8f2b1c4e-5a6d-4e7f-9a0b-1c2d3e4f5a6b';
const minimal = {
  AUTHZ_ISSUER: `https://login.microsoftonline.com/${TENANT}/v2.0`,
  AUTHZ_AUDIENCES: 'api://amlmesh-models',
  AUTHZ_TENANT_ID: TENANT,
};

function refusal(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected ConfigError, got ${String(error)}`);
    return error;
  }
  assert.fail('configuration was accepted');
}

describe('edge-authorizer configuration', () => {
  it('has safe defaults: RS256 only, 60 s skew, cache on, 8 KiB tokens, 30 s JWKS cooldown', () => {
    const config = loadConfig(minimal);
    assert.deepEqual(config.algorithms, ['RS256']);
    assert.equal(config.clockSkewSeconds, 60);
    assert.equal(config.port, 8080);
    assert.equal(config.host, '0.0.0.0');
    assert.equal(config.cache.enabled, true);
    assert.equal(config.maxTokenBytes, 8192);
    assert.equal(config.jwks.cooldownSeconds, 30);
    assert.equal(config.jwksUri, undefined);
  });

  it('splits, trims and de-duplicates audiences', () => {
    const config = loadConfig({ ...minimal, AUTHZ_AUDIENCES: ' api://a , 11111111-2222-3333-4444-555555555555,api://a' });
    assert.deepEqual(config.audiences, ['api://a', '11111111-2222-3333-4444-555555555555']);
  });

  it('normalises the tenant id to lower case', () => {
    assert.equal(loadConfig({ ...minimal, AUTHZ_TENANT_ID: TENANT.toUpperCase() }).tenantId, TENANT);
  });

  for (const name of ['AUTHZ_ISSUER', 'AUTHZ_AUDIENCES', 'AUTHZ_TENANT_ID'] as const) {
    it(`requires ${name} and names it`, () => {
      const env: Record<string, string> = { ...minimal };
      delete env[name];
      const error = refusal(env);
      assert.equal(error.variable, name);
      assert.match(error.message, new RegExp(`^${name}`));
    });
  }

  const bad: [string, string, RegExp][] = [
    ['AUTHZ_CLOCK_SKEW_SECONDS', '301', /from 0 to 300/],
    ['AUTHZ_CLOCK_SKEW_SECONDS', '-1', /integer/],
    ['AUTHZ_CLOCK_SKEW_SECONDS', '1.5', /integer/],
    ['AUTHZ_PORT', '70000', /65535/],
    ['AUTHZ_PORT', 'http', /integer/],
    ['AUTHZ_TENANT_ID', 'contoso.onmicrosoft.com', /GUID/],
    ['AUTHZ_AUDIENCES', 'api://a,,api://b', /empty entry/],
    ['AUTHZ_ALLOWED_ALGS', 'RS256,HS256', /HS256.*never accepted/],
    ['AUTHZ_ALLOWED_ALGS', 'none', /"none"/],
    ['AUTHZ_CACHE_ENABLED', 'yes', /true, false/],
    ['AUTHZ_MAX_TOKEN_BYTES', '65536', /12288/],
    ['AUTHZ_JWKS_COOLDOWN_SECONDS', '120', /from 0 to 60/],
    ['AUTHZ_LOG_LEVEL', 'verbose', /one of/],
    ['AUTHZ_HOST', 'example.com', /IPv4 or IPv6/],
    ['AUTHZ_ISSUER', 'login.microsoftonline.com/x', /absolute URL/],
    ['AUTHZ_ISSUER', 'http://login.microsoftonline.com/x/v2.0', /https:\/\//],
    ['AUTHZ_ISSUER', 'https://user:pw@login.microsoftonline.com/x/v2.0', /credentials/],
    ['AUTHZ_JWKS_URI', 'http://10.0.0.5/keys', /loopback/],
    ['AUTHZ_JWKS_URI', 'https://login.microsoftonline.com/keys?x=1', /query/],
    ['AUTHZ_JWKS_MAX_STALE_SECONDS', '120', /shorter than AUTHZ_JWKS_REFRESH_SECONDS/],
  ];
  for (const [name, value, message] of bad) {
    it(`refuses ${name}=${value}`, () => {
      const error = refusal({ ...minimal, [name]: value });
      assert.equal(error.variable, name);
      assert.match(error.message, message);
    });
  }

  it('accepts plain http only for loopback issuers and JWKS URLs', () => {
    for (const host of ['127.0.0.1:8080', 'localhost', '[::1]:9000', '127.3.2.1']) {
      const config = loadConfig({ ...minimal, AUTHZ_ISSUER: `http://${host}/t/v2.0`, AUTHZ_JWKS_URI: `http://${host}/keys` });
      assert.equal(config.jwksUri, `http://${host}/keys`);
    }
  });

  it('refuses unknown AUTHZ_ variables so a typo cannot fall back to a default', () => {
    const error = refusal({ ...minimal, AUTHZ_CLOCK_SKEW: '10' });
    assert.equal(error.variable, 'AUTHZ_CLOCK_SKEW');
    assert.match(error.message, /unknown variable/);
  });

  it('ignores variables outside its prefix', () => {
    assert.doesNotThrow(() => loadConfig({ ...minimal, PATH: '/usr/bin', AUTH_SOMETHING: 'x' }));
  });
});
