import { KeyObject, randomUUID, sign } from 'node:crypto';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CompactSign, SignJWT, exportJWK, generateKeyPair, type CryptoKey, type JWK, type JWTPayload } from 'jose';

export interface SigningKey {
  readonly kid: string;
  readonly alg: 'RS256' | 'RS384' | 'ES256';
  readonly privateKey: CryptoKey;
  readonly publicKey: CryptoKey;
  /** The public JWK as the issuer publishes it (kid and use set, no alg, like Entra). */
  readonly publicJwk: JWK;
}

/** Claims of an Entra v2 app-only access token; a value of undefined removes the claim. */
export type Claims = Record<string, unknown>;

export interface MintOptions {
  readonly key?: SigningKey;
  /** Extra or overriding protected-header members (e.g. crit, kid). */
  readonly header?: Record<string, unknown>;
}

export const TEST_TENANT_ID = '8f2b1c4e-5a6d-4e7f-9a0b-1c2d3e4f5a6b';
export const TEST_AUDIENCE = 'api://amlmesh-models';
export const TEST_CLIENT_APP_ID = '3c9d7e1a-2b4f-4c6d-8e0f-1a2b3c4d5e6f';
export const TEST_CLIENT_OBJECT_ID = '6e5d4c3b-2a19-4807-b6f5-e4d3c2b1a098';

/**
 * A stand-in for Entra ID on 127.0.0.1: OIDC discovery at `<issuer>/.well-known/openid-configuration`,
 * a JWKS at `/<tenant>/discovery/v2.0/keys`, and RS256 tokens shaped like Entra v2 access tokens.
 * Keys can be rotated, extra (hostile) JWKs published, and the whole issuer stopped.
 */
export class TestIssuer {
  private readonly keys = new Map<string, SigningKey>();
  private published: JWK[] = [];
  private server: Server | undefined;
  private port = 0;
  /** Requests served, for asserting refresh behaviour (cooldown, no hammering). */
  jwksRequests = 0;
  discoveryRequests = 0;
  /** Status the JWKS endpoint answers with; set to 500 to simulate an outage. */
  jwksStatus = 200;
  /** Overrides the discovery document's issuer (to test the mismatch check). */
  discoveryIssuerOverride: string | undefined;
  /** Overrides the discovery document's jwks_uri (to test the URL checks). */
  discoveryJwksUriOverride: string | undefined;
  /** Delays JWKS answers, to keep a refresh in flight. */
  jwksDelayMs = 0;
  /** Answers the JWKS request with a redirect to this URL instead. */
  jwksRedirectTo: string | undefined;

  private constructor(readonly tenantId: string) {}

  static async start(options: { tenantId?: string; port?: number } = {}): Promise<TestIssuer> {
    const issuer = new TestIssuer(options.tenantId ?? TEST_TENANT_ID);
    await issuer.createKey();
    await issuer.listen(options.port ?? 0);
    return issuer;
  }

  get issuer(): string {
    return `http://127.0.0.1:${this.port}/${this.tenantId}/v2.0`;
  }

  get jwksUri(): string {
    return `http://127.0.0.1:${this.port}/${this.tenantId}/discovery/v2.0/keys`;
  }

  /** The key tokens are signed with unless another is named: the first one created. */
  get defaultKey(): SigningKey {
    return this.keys.values().next().value as SigningKey;
  }

  /** Makes a key pair; by default publishes its public half in the JWKS (key rotation). */
  async createKey(options: { alg?: SigningKey['alg']; publish?: boolean; kid?: string } = {}): Promise<SigningKey> {
    const alg = options.alg ?? 'RS256';
    const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
    const kid = options.kid ?? randomUUID().replaceAll('-', '').slice(0, 20);
    const publicJwk: JWK = { ...(await exportJWK(publicKey)), kid, use: 'sig' };
    const key: SigningKey = { kid, alg, privateKey, publicKey, publicJwk };
    this.keys.set(kid, key);
    if (options.publish ?? true) this.publish(publicJwk);
    return key;
  }

  /** Adds any JWK to the published set, including wrong ones (EC keys, `use: enc`, duplicates). */
  publish(jwk: JWK): void {
    this.published = [...this.published, jwk];
  }

  unpublish(kid: string): void {
    this.published = this.published.filter((jwk) => jwk.kid !== kid);
  }

  claims(overrides: Claims = {}): Claims {
    const now = Math.floor(Date.now() / 1000);
    const base: Claims = {
      aud: TEST_AUDIENCE,
      iss: this.issuer,
      iat: now - 5,
      nbf: now - 5,
      exp: now + 3600,
      aio: 'E2RgYDhx/test',
      azp: TEST_CLIENT_APP_ID,
      azpacr: '1',
      idtyp: 'app',
      oid: TEST_CLIENT_OBJECT_ID,
      rh: '0.test.',
      roles: ['Model.Invoke'],
      sub: TEST_CLIENT_OBJECT_ID,
      tid: this.tenantId,
      uti: randomUUID(),
      ver: '2.0',
    };
    const merged: Claims = { ...base, ...overrides };
    for (const [name, value] of Object.entries(merged)) if (value === undefined) delete merged[name];
    return merged;
  }

  /** A signed token; claims are merged over a valid Entra-shaped default. */
  async mint(overrides: Claims = {}, options: MintOptions = {}): Promise<string> {
    const key = options.key ?? this.defaultKey;
    return new SignJWT(this.claims(overrides) as JWTPayload)
      .setProtectedHeader({ alg: key.alg, typ: 'JWT', kid: key.kid, ...options.header })
      .sign(key.privateKey);
  }

  /** Signs arbitrary payload bytes (e.g. not JSON) with a real key. */
  async signRaw(payload: string, options: MintOptions = {}): Promise<string> {
    const key = options.key ?? this.defaultKey;
    return new CompactSign(new TextEncoder().encode(payload))
      .setProtectedHeader({ alg: key.alg, kid: key.kid, ...options.header })
      .sign(key.privateKey);
  }

  private async listen(port: number): Promise<void> {
    this.server = createServer((req, res) => {
      const path = (req.url ?? '/').split('?', 1)[0];
      if (path === `/${this.tenantId}/v2.0/.well-known/openid-configuration`) {
        this.discoveryRequests += 1;
        this.json(res, 200, {
          issuer: this.discoveryIssuerOverride ?? this.issuer,
          jwks_uri: this.discoveryJwksUriOverride ?? this.jwksUri,
          token_endpoint: `http://127.0.0.1:${this.port}/${this.tenantId}/oauth2/v2.0/token`,
          id_token_signing_alg_values_supported: ['RS256'],
        });
      } else if (path === `/${this.tenantId}/discovery/v2.0/keys`) {
        this.jwksRequests += 1;
        const keys = this.published;
        const answer = (): void => {
          if (this.jwksRedirectTo !== undefined) {
            res.writeHead(302, { location: this.jwksRedirectTo, 'content-length': '0' });
            res.end();
          } else if (this.jwksStatus !== 200) this.json(res, this.jwksStatus, { error: 'unavailable' });
          else this.json(res, 200, { keys });
        };
        if (this.jwksDelayMs > 0) setTimeout(answer, this.jwksDelayMs);
        else answer();
      } else {
        this.json(res, 404, { error: 'not found' });
      }
    });
    this.server.listen(port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => this.server?.once('listening', resolve).once('error', reject));
    this.port = (this.server.address() as AddressInfo).port;
  }

  private json(res: ServerResponse, status: number, body: unknown): void {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  }

  /** Stops serving (the issuer "goes away"); open keep-alive connections are cut too. */
  async stop(): Promise<void> {
    const server = this.server;
    if (server === undefined) return;
    this.server = undefined;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }
}

/** Base64url of a JSON value or a raw string, for hand-built hostile tokens (alg none and such). */
export function segment(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return Buffer.from(text, 'utf8').toString('base64url');
}

/**
 * Signs header and payload segments exactly as given with RSA-SHA256, bypassing jose's own checks,
 * for hostile tokens jose refuses to produce (unknown crit, b64: false, weak keys).
 */
export function signRs256(header: Record<string, unknown>, payloadSegment: string, key: CryptoKey | KeyObject): string {
  const input = `${segment(header)}.${payloadSegment}`;
  const keyObject = key instanceof KeyObject ? key : KeyObject.from(key);
  return `${input}.${sign('sha256', Buffer.from(input), keyObject).toString('base64url')}`;
}
