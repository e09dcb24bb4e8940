import { randomBytes, randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT, generateKeyPair, jwtVerify, type CryptoKey } from 'jose';

/**
 * Local stand-ins for what the Azure ML token swap talks to, each enforcing what the real service
 * enforces for this flow (and answering the way it answers):
 * - ClusterOidcIssuer: the AKS OIDC issuer that signs the projected ServiceAccount token;
 * - EntraStandIn: `POST /{tenant}/oauth2/v2.0/token`, client credentials with a federated
 *   client_assertion: checks grant type, client id, scope, assertion type, and the assertion's
 *   signature, issuer, subject, audience `api://AzureADTokenExchange` and lifetime against the
 *   federated credential; issues an ARM access token (RS256 JWT, aud https://management.azure.com);
 * - ArmStandIn: `POST <workspace>/onlineEndpoints/{name}/token?api-version=`: checks the bearer
 *   token (signature, issuer, audience, expiry) and that its principal holds the token action on
 *   this workspace, knows which endpoints exist, answers EndpointAuthToken with epoch seconds;
 * - RouterStandIn (azureml-fe): accepts `/api/v1/endpoint/{name}/...` only with a live aml_token
 *   issued for that endpoint, answers as a model would, and records every request it saw.
 * All listen on 127.0.0.1 only.
 */

export const TOKEN_EXCHANGE_AUDIENCE = 'api://AzureADTokenExchange';
export const ARM_AUDIENCE = 'https://management.azure.com';

async function listen(server: Server): Promise<number> {
  server.listen(0, '127.0.0.1');
  await new Promise<void>((resolve, reject) => server.once('listening', resolve).once('error', reject));
  return (server.address() as AddressInfo).port;
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { ...headers, 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (text += chunk));
    req.on('end', () => resolve(text));
    req.on('error', reject);
  });
}

/** The cluster's OIDC issuer: signs ServiceAccount tokens, which the kubelet projects into a file. */
export class ClusterOidcIssuer {
  readonly issuer = `https://oidc.test.local/${randomUUID()}/`;

  private constructor(private readonly key: { privateKey: CryptoKey; publicKey: CryptoKey }) {}

  static async create(): Promise<ClusterOidcIssuer> {
    return new ClusterOidcIssuer(await generateKeyPair('RS256'));
  }

  get publicKey(): CryptoKey {
    return this.key.publicKey;
  }

  /** A projected ServiceAccount token for `system:serviceaccount:<ns>:<sa>`. */
  serviceAccountToken(subject: string, options: { audience?: string; lifetimeSeconds?: number } = {}): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ 'kubernetes.io': { namespace: subject.split(':')[2] } })
      .setProtectedHeader({ alg: 'RS256', kid: 'sa-key' })
      .setIssuer(this.issuer)
      .setSubject(subject)
      .setAudience(options.audience ?? TOKEN_EXCHANGE_AUDIENCE)
      .setIssuedAt(now)
      .setNotBefore(now)
      .setExpirationTime(now + (options.lifetimeSeconds ?? 3600))
      .sign(this.key.privateKey);
  }

  /** Writes a fresh token to `path`, as the kubelet does on rotation. */
  async project(path: string, subject: string, options?: { audience?: string; lifetimeSeconds?: number }): Promise<void> {
    writeFileSync(path, await this.serviceAccountToken(subject, options));
  }
}

/** A federated identity credential on a managed identity (issuer + subject + audience). */
export interface FederatedIdentity {
  readonly clientId: string;
  /** The managed identity's service principal object ID (what role assignments name). */
  readonly principalId: string;
  readonly issuer: ClusterOidcIssuer;
  readonly subject: string;
}

export class EntraStandIn {
  readonly tenantId = randomUUID();
  /** Token requests received (any outcome). */
  requests = 0;
  /** Answer every request with this status instead (e.g. 503: Entra is down). */
  failWith: number | undefined;
  private port = 0;
  private constructor(
    private readonly server: Server,
    private readonly key: { privateKey: CryptoKey; publicKey: CryptoKey },
    private readonly identities: readonly FederatedIdentity[],
  ) {}

  static async start(identities: readonly FederatedIdentity[]): Promise<EntraStandIn> {
    const key = await generateKeyPair('RS256');
    let entra: EntraStandIn | undefined;
    const server = createServer((req, res) => {
      void (entra as EntraStandIn).handle(req, res);
    });
    entra = new EntraStandIn(server, key, identities);
    entra.port = await listen(server);
    return entra;
  }

  /** AZURE_AUTHORITY_HOST for this stand-in. */
  get authorityHost(): string {
    return `http://127.0.0.1:${this.port}/`;
  }

  /** The `iss` of the access tokens it issues (v1 tokens for ARM carry sts.windows.net). */
  get tokenIssuer(): string {
    return `https://sts.windows.net/${this.tenantId}/`;
  }

  get publicKey(): CryptoKey {
    return this.key.publicKey;
  }

  stop(): Promise<void> {
    return close(this.server);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.requests += 1;
    const body = await readBody(req);
    if (this.failWith !== undefined) return json(res, this.failWith, { error: 'temporarily_unavailable' });
    const refuse = (status: number, error: string, code: number, description: string): void =>
      json(res, status, { error, error_description: `AADSTS${code}: ${description}`, error_codes: [code] });
    if (req.method !== 'POST' || req.url !== `/${this.tenantId}/oauth2/v2.0/token`) return refuse(404, 'invalid_request', 90002, 'unknown tenant or path');
    if (!(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) return refuse(400, 'invalid_request', 900144, 'body must be form-encoded');
    const form = new URLSearchParams(body);
    if (form.get('grant_type') !== 'client_credentials') return refuse(400, 'unsupported_grant_type', 70003, 'grant_type must be client_credentials');
    if (form.get('scope') !== `${ARM_AUDIENCE}/.default`) return refuse(400, 'invalid_scope', 70011, 'scope must be the resource/.default');
    if (form.get('client_assertion_type') !== 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer') return refuse(400, 'invalid_request', 700023, 'bad client_assertion_type');
    const identity = this.identities.find((candidate) => candidate.clientId === form.get('client_id'));
    if (identity === undefined) return refuse(400, 'unauthorized_client', 700016, 'application not found in the directory');
    try {
      await jwtVerify(form.get('client_assertion') ?? '', identity.issuer.publicKey, {
        issuer: identity.issuer.issuer,
        subject: identity.subject,
        audience: TOKEN_EXCHANGE_AUDIENCE,
        algorithms: ['RS256'],
        requiredClaims: ['exp', 'iat'],
      });
    } catch (error) {
      return refuse(401, 'invalid_client', 700213, `no matching federated identity record (${error instanceof Error ? error.message : String(error)})`);
    }
    const now = Math.floor(Date.now() / 1000);
    const token = await new SignJWT({ appid: identity.clientId, oid: identity.principalId, tid: this.tenantId, idtyp: 'app' })
      .setProtectedHeader({ alg: 'RS256', kid: 'entra-key' })
      .setIssuer(this.tokenIssuer)
      .setAudience(ARM_AUDIENCE)
      .setSubject(identity.principalId)
      .setIssuedAt(now)
      .setNotBefore(now)
      .setExpirationTime(now + 3599)
      .sign(this.key.privateKey);
    json(res, 200, { token_type: 'Bearer', expires_in: 3599, ext_expires_in: 3599, access_token: token });
  }
}

/** aml_tokens ARM issued, shared with the router stand-in that must accept exactly these. */
export class AmlTokenLedger {
  private readonly tokens = new Map<string, { endpoint: string; expiresAt: number }>();
  issue(endpoint: string, lifetimeSeconds: number): { token: string; expiresAt: number } {
    const token = randomBytes(32).toString('base64url');
    const expiresAt = Math.floor(Date.now() / 1000) + lifetimeSeconds;
    this.tokens.set(token, { endpoint, expiresAt });
    return { token, expiresAt };
  }
  valid(token: string, endpoint: string): boolean {
    const found = this.tokens.get(token);
    return found !== undefined && found.endpoint === endpoint && found.expiresAt * 1000 > Date.now();
  }
  revokeAll(): void {
    this.tokens.clear();
  }
}

export class ArmStandIn {
  /** Token requests received (any outcome). */
  requests = 0;
  /** Answer every request with this status instead (e.g. 503: ARM is down). */
  failWith: number | undefined;
  /** Seconds until refreshAfterTimeUtc and expiryTimeUtc of the tokens it issues. */
  refreshAfterSeconds = 900;
  lifetimeSeconds = 3600;
  private port = 0;
  private constructor(
    private readonly server: Server,
    private readonly options: ArmOptions,
  ) {}

  static async start(options: ArmOptions): Promise<ArmStandIn> {
    let arm: ArmStandIn | undefined;
    const server = createServer((req, res) => {
      void (arm as ArmStandIn).handle(req, res);
    });
    arm = new ArmStandIn(server, options);
    arm.port = await listen(server);
    return arm;
  }

  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  stop(): Promise<void> {
    return close(this.server);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.requests += 1;
    await readBody(req);
    if (this.failWith !== undefined) return json(res, this.failWith, { error: { code: 'ServiceUnavailable', message: 'try later' } });
    const refuse = (status: number, code: string, message: string): void => json(res, status, { error: { code, message } });
    const bearer = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (bearer === undefined) return refuse(401, 'AuthenticationFailed', 'Authentication failed. The Authorization header is missing.');
    let principal: string;
    try {
      const { payload } = await jwtVerify(bearer, this.options.entra.publicKey, { issuer: this.options.entra.tokenIssuer, audience: ARM_AUDIENCE, algorithms: ['RS256'] });
      principal = String(payload['oid']);
    } catch {
      return refuse(401, 'InvalidAuthenticationToken', 'The access token is invalid.');
    }
    const url = new URL(req.url ?? '/', 'http://arm');
    const match = /^(.*)\/onlineEndpoints\/([^/]+)\/token$/i.exec(url.pathname);
    if (req.method !== 'POST' || match === null) return refuse(404, 'NotFound', 'no such operation');
    if (url.searchParams.get('api-version') !== this.options.apiVersion) return refuse(400, 'InvalidApiVersionParameter', `api-version ${url.searchParams.get('api-version')} is not supported here`);
    if ((match[1] as string).toLowerCase() !== this.options.workspaceId.toLowerCase()) return refuse(404, 'ResourceNotFound', 'workspace not found');
    // Role assignments: who holds Microsoft.MachineLearningServices/workspaces/onlineEndpoints/token/action here.
    if (!this.options.tokenActionHolders.includes(principal)) {
      return refuse(403, 'AuthorizationFailed', `The client '${principal}' does not have authorization to perform action 'Microsoft.MachineLearningServices/workspaces/onlineEndpoints/token/action'`);
    }
    const endpoint = match[2] as string;
    if (!this.options.endpoints.includes(endpoint)) return refuse(404, 'ResourceNotFound', `online endpoint ${endpoint} not found`);
    const issued = this.options.ledger.issue(endpoint, this.lifetimeSeconds);
    json(res, 200, {
      accessToken: issued.token,
      expiryTimeUtc: issued.expiresAt,
      refreshAfterTimeUtc: Math.floor(Date.now() / 1000) + this.refreshAfterSeconds,
      tokenType: 'Bearer',
    });
  }
}

export interface ArmOptions {
  readonly entra: EntraStandIn;
  readonly workspaceId: string;
  readonly apiVersion: string;
  /** Principals assigned a role with the onlineEndpoints/token/action at this workspace. */
  readonly tokenActionHolders: readonly string[];
  /** Online endpoints that exist in the workspace. */
  readonly endpoints: readonly string[];
  readonly ledger: AmlTokenLedger;
}

/** What the router stand-in received, for leak checks. */
export interface RouterRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

export class RouterStandIn {
  readonly seen: RouterRequest[] = [];
  private port = 0;
  private constructor(private readonly server: Server) {}

  static async start(ledger: AmlTokenLedger): Promise<RouterStandIn> {
    let router: RouterStandIn | undefined;
    const server = createServer((req, res) => {
      void readBody(req).then((body) => {
        (router as RouterStandIn).seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
        const endpoint = /^\/api\/v1\/endpoint\/([^/?]+)\//.exec(req.url ?? '')?.[1];
        const token = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1];
        if (endpoint === undefined) return json(res, 404, { message: 'not found' });
        if (token === undefined || !ledger.valid(token, endpoint)) return json(res, 401, { message: 'invalid aml_token' }, { 'www-authenticate': 'Bearer' });
        json(res, 200, { endpoint, deployment: req.headers['azureml-model-deployment'] ?? null, prediction: [0.42], bodyBytes: Buffer.byteLength(body) });
      });
    });
    router = new RouterStandIn(server);
    router.port = await listen(server);
    return router;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  stop(): Promise<void> {
    return close(this.server);
  }
}
