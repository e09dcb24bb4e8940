/**
 * A local stand-in for the Azure endpoints the preflight calls: Resource Manager (`/arm`),
 * Microsoft Graph (`/graph`) and a registry's data plane (`/acr`), on 127.0.0.1 only. It answers
 * as the real services do, errors included: bearer tokens are real RS256 JWTs checked against
 * the stand-in's key and audience, reads need a role at or above the scope (403
 * `AuthorizationFailed` otherwise), missing resource groups and resources are 404
 * `ResourceGroupNotFound` / `ResourceNotFound`, lists page two items at a time through `nextLink`
 * (ARM) and `@odata.nextLink` (Graph), and the registry wants its token exchange before a
 * manifest HEAD (401 with `WWW-Authenticate`, 404 `MANIFEST_UNKNOWN`).
 */
import { randomBytes, randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair, jwtVerify, SignJWT, createLocalJWKSet, type JWK } from "jose";
import { scopeWithin } from "../../bootstrap/requirements";
import type { Endpoints, TokenSource } from "../../preflight/azure-http";

export interface Sku {
    resourceType: "virtualMachines";
    name: string;
    family: string;
    capabilities: { name: string; value: string }[];
    restrictions: { type: string; reasonCode: string }[];
}
export interface Usage {
    name: { value: string; localizedValue: string };
    currentValue: number;
    limit: number;
    unit: "Count";
}

/** What the stand-in subscription and tenant hold. Tests build it, then mutate it. */
export interface StandinState {
    subscriptionId: string;
    tenantId: string;
    /** Provider namespace → registrationState; anything absent is NotRegistered. */
    providers: Record<string, string>;
    /** `<namespace>/<feature>` → state; absent ones are 404 like an unknown feature. */
    features: Record<string, string>;
    /** ARM resources by ID (resource groups included), with their bodies. */
    resources: Map<string, Record<string, unknown>>;
    /** Role definition GUID → role name (built-in and custom). */
    roleDefinitions: Map<string, string>;
    /** Custom role definitions (GUID → their actions and assignable scopes), as the bootstrap made them. */
    customRoleDefinitions: Map<string, { actions: string[]; assignableScopes: string[] }>;
    roleAssignments: { principalId: string; roleDefinitionGuid: string; scope: string; condition?: string }[];
    skus: Sku[];
    computeUsages: Usage[];
    mlUsages: Usage[];
    graph: { servicePrincipalId: string; appRoles: { id: string; value: string }[]; assignments: { principalId: string; appRoleId: string; resourceId: string }[] };
    /** `<repository>@<digest>` the registry holds. */
    manifests: Set<string>;
}

export interface Standin {
    endpoints: Endpoints;
    /** A token source for a principal, issuing signed tokens as Entra would. */
    tokensFor(principal: { objectId: string; kind: "ServicePrincipal" | "User"; tenantId?: string }): TokenSource;
    /** Every request the stand-in answered (method, path), in order. */
    requests: string[];
    close(): Promise<void>;
}

const ARM_AUDIENCE = "https://management.azure.com";
const GRAPH_AUDIENCE = "https://graph.microsoft.com";
const PAGE = 2;
const DATA_ONLY_ROLES = new Set(["AcrPull", "AcrPush", "Key Vault Secrets User", "Key Vault Crypto Service Encryption User", "Storage Blob Data Contributor"]);

export async function startStandin(state: StandinState): Promise<Standin> {
    const { privateKey, publicKey } = await generateKeyPair("RS256");
    const jwk: JWK = { ...(await exportJWK(publicKey)), kid: "standin", alg: "RS256" };
    const keys = createLocalJWKSet({ keys: [jwk] });
    const issuer = `https://sts.windows.net/${state.tenantId}/`;
    const requests: string[] = [];
    const refreshTokens = new Map<string, string>();
    const pullTokens = new Map<string, { principal: string; repository: string }>();
    let base = "";

    const verify = async (req: IncomingMessage, audience: string): Promise<string | undefined> => {
        const header = req.headers.authorization ?? "";
        if (!header.startsWith("Bearer ")) return undefined;
        try {
            const { payload } = await jwtVerify(header.slice(7), keys, { audience, issuer });
            return String(payload.oid);
        } catch {
            return undefined;
        }
    };
    const send = (res: ServerResponse, status: number, body?: unknown, headers: Record<string, string> = {}) => {
        const text = body === undefined ? "" : JSON.stringify(body);
        res.writeHead(status, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(text), ...headers });
        res.end(text);
    };
    const armError = (res: ServerResponse, status: number, code: string, message: string) => send(res, status, { error: { code, message } });
    const page = <T>(res: ServerResponse, url: URL, items: T[], linkName: "nextLink" | "@odata.nextLink") => {
        const skip = Number(url.searchParams.get("$skipToken") ?? "0");
        const next = new URL(url.toString());
        next.searchParams.set("$skipToken", String(skip + PAGE));
        send(res, 200, { value: items.slice(skip, skip + PAGE), ...(skip + PAGE < items.length ? { [linkName]: next.toString() } : {}) });
    };
    // Data-plane roles carry no ARM read (no Microsoft.Authorization/*/read, no resource read).
    const mayRead = (principal: string, scope: string) =>
        state.roleAssignments.some((a) => a.principalId === principal && scopeWithin(scope, a.scope) && !DATA_ONLY_ROLES.has(state.roleDefinitions.get(a.roleDefinitionGuid) ?? ""));
    const find = (id: string) => [...state.resources.entries()].find(([key]) => key.toLowerCase() === id.toLowerCase())?.[1];

    const arm = async (req: IncomingMessage, res: ServerResponse, url: URL, path: string) => {
        const principal = await verify(req, ARM_AUDIENCE);
        if (!principal) return armError(res, 401, "InvalidAuthenticationToken", "The access token is invalid.");
        const sub = `/subscriptions/${state.subscriptionId}`;
        if (!path.toLowerCase().startsWith(sub.toLowerCase())) return armError(res, 404, "SubscriptionNotFound", `The subscription '${path.split("/")[2]}' could not be found.`);
        // Role definitions are readable by every signed-in principal.
        const definition = /\/providers\/Microsoft\.Authorization\/roleDefinitions\/([0-9a-f-]{36})$/i.exec(path);
        if (definition) {
            const name = state.roleDefinitions.get(definition[1].toLowerCase());
            if (!name) return armError(res, 404, "RoleDefinitionDoesNotExist", "The specified role definition with ID '" + definition[1] + "' does not exist.");
            const custom = state.customRoleDefinitions.get(definition[1].toLowerCase());
            const permissions = custom ? [{ actions: custom.actions, notActions: [], dataActions: [], notDataActions: [] }] : [];
            return send(res, 200, {
                id: path,
                name: definition[1],
                type: "Microsoft.Authorization/roleDefinitions",
                properties: { roleName: name, type: custom ? "CustomRole" : "BuiltInRole", permissions, ...(custom ? { assignableScopes: custom.assignableScopes } : {}) },
            });
        }
        const assignments = /^(.*)\/providers\/Microsoft\.Authorization\/roleAssignments$/i.exec(path);
        const scope = assignments ? assignments[1] : path.replace(/\/(virtualNetworkLinks|usages|skus)$/i, "");
        const readScope = /\/providers\/Microsoft\.(Compute|MachineLearningServices|Features)\//i.test(scope) || /\/providers\/[^/]+$/i.test(scope) ? sub : scope;
        if (!mayRead(principal, readScope)) {
            const action = assignments ? "Microsoft.Authorization/roleAssignments/read" : "read";
            return armError(
                res,
                403,
                "AuthorizationFailed",
                `The client '${principal}' with object id '${principal}' does not have authorization to perform action '${action}' over scope '${readScope}' or the scope is invalid. If access was recently granted, please refresh your credentials.`,
            );
        }
        if (path.toLowerCase() === sub.toLowerCase()) return send(res, 200, { id: sub, subscriptionId: state.subscriptionId, state: "Enabled", tenantId: state.tenantId });
        const provider = /^\/subscriptions\/[^/]+\/providers\/([^/]+)$/i.exec(path);
        if (provider) {
            return send(res, 200, { id: path, namespace: provider[1], registrationState: state.providers[provider[1]] ?? "NotRegistered" });
        }
        const feature = /\/providers\/Microsoft\.Features\/providers\/([^/]+)\/features\/([^/]+)$/i.exec(path);
        if (feature) {
            const featureState = state.features[`${feature[1]}/${feature[2]}`];
            if (!featureState) return armError(res, 404, "FeatureNotFound", `The feature '${feature[2]}' could not be found.`);
            return send(res, 200, { id: path, name: `${feature[1]}/${feature[2]}`, properties: { state: featureState } });
        }
        if (/\/providers\/Microsoft\.Compute\/skus$/i.test(path)) {
            const location = /location eq '([^']+)'/.exec(url.searchParams.get("$filter") ?? "")?.[1];
            return page(res, url, state.skus.map((sku) => ({ ...sku, locations: [location] })), "nextLink");
        }
        if (/\/providers\/Microsoft\.Compute\/locations\/[^/]+\/usages$/i.test(path)) return page(res, url, state.computeUsages, "nextLink");
        if (/\/providers\/Microsoft\.MachineLearningServices\/locations\/[^/]+\/usages$/i.test(path)) return page(res, url, state.mlUsages, "nextLink");

        // Resources: the group first, as ARM does.
        const group = /^\/subscriptions\/[^/]+\/resourceGroups\/([^/]+)/i.exec(scope);
        if (group && !find(group[0])) return armError(res, 404, "ResourceGroupNotFound", `Resource group '${group[1]}' could not be found.`);
        const resource = scope.toLowerCase() === sub.toLowerCase() ? { id: sub } : find(scope);
        if (!resource) {
            const tail = scope.split("/providers/").pop() ?? scope;
            return armError(res, 404, "ResourceNotFound", `The Resource '${tail}' under resource group '${group?.[1] ?? ""}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`);
        }
        if (assignments) {
            const filter = url.searchParams.get("$filter") ?? "";
            const assignedTo = /assignedTo\('([^']+)'\)/.exec(filter)?.[1];
            const matching = state.roleAssignments.filter(
                (a) => (!assignedTo || a.principalId === assignedTo) && (scopeWithin(scope, a.scope) || scopeWithin(a.scope, scope)),
            );
            return page(
                res,
                url,
                matching.map((a) => ({
                    id: `${a.scope}/providers/Microsoft.Authorization/roleAssignments/${randomUUID()}`,
                    properties: {
                        roleDefinitionId: `${sub}/providers/Microsoft.Authorization/roleDefinitions/${a.roleDefinitionGuid}`,
                        principalId: a.principalId,
                        scope: a.scope,
                        condition: a.condition ?? null,
                    },
                })),
                "nextLink",
            );
        }
        if (/\/virtualNetworkLinks$/i.test(path)) return page(res, url, (resource.links as unknown[]) ?? [], "nextLink");
        return send(res, 200, resource);
    };

    const graph = async (req: IncomingMessage, res: ServerResponse, url: URL, path: string) => {
        const principal = await verify(req, GRAPH_AUDIENCE);
        if (!principal) return send(res, 401, { error: { code: "InvalidAuthenticationToken", message: "Access token validation failure. Invalid audience." } });
        if (/^\/v1\.0\/servicePrincipals\(appId='00000003-0000-0000-c000-000000000000'\)$/.test(decodeURIComponent(path))) {
            return send(res, 200, { id: state.graph.servicePrincipalId, appRoles: state.graph.appRoles });
        }
        const assignments = /^\/v1\.0\/servicePrincipals\/([^/]+)\/appRoleAssignments$/.exec(path);
        if (assignments) {
            if (assignments[1] !== principal && !state.graph.assignments.some((a) => a.principalId === assignments[1])) {
                return send(res, 404, {
                    error: { code: "Request_ResourceNotFound", message: `Resource '${assignments[1]}' does not exist or one of its queried reference-property objects are not present.` },
                });
            }
            return page(res, url, state.graph.assignments.filter((a) => a.principalId === assignments[1]), "@odata.nextLink");
        }
        return send(res, 400, { error: { code: "BadRequest", message: `Resource not found for the segment '${path.split("/")[2]}'.` } });
    };

    const acr = async (req: IncomingMessage, res: ServerResponse, path: string) => {
        const body = new URLSearchParams(await readBody(req));
        const registryError = (status: number, code: string, message: string, headers: Record<string, string> = {}) => send(res, status, { errors: [{ code, message, detail: null }] }, headers);
        if (req.method === "POST" && path === "/oauth2/exchange") {
            try {
                const { payload } = await jwtVerify(body.get("access_token") ?? "", keys, { audience: ARM_AUDIENCE, issuer });
                const refresh = randomBytes(16).toString("hex");
                refreshTokens.set(refresh, String(payload.oid));
                return send(res, 200, { refresh_token: refresh });
            } catch {
                return registryError(401, "UNAUTHORIZED", "invalid access token");
            }
        }
        if (req.method === "POST" && path === "/oauth2/token") {
            const principal = refreshTokens.get(body.get("refresh_token") ?? "");
            if (!principal) return registryError(401, "UNAUTHORIZED", "invalid refresh token");
            const repository = /^repository:([^:]+):pull$/.exec(body.get("scope") ?? "")?.[1] ?? "";
            const token = randomBytes(16).toString("hex");
            pullTokens.set(token, { principal, repository });
            return send(res, 200, { access_token: token });
        }
        const manifest = /^\/v2\/(.+)\/manifests\/(sha256:[a-f0-9]{64})$/.exec(path);
        if (manifest && (req.method === "HEAD" || req.method === "GET")) {
            const grant = pullTokens.get((req.headers.authorization ?? "").replace(/^Bearer /, ""));
            const registryId = [...state.resources.keys()].find((id) => /\/Microsoft\.ContainerRegistry\/registries\//i.test(id));
            const canPull =
                grant?.repository === manifest[1] &&
                state.roleAssignments.some(
                    (a) => a.principalId === grant.principal && registryId && scopeWithin(registryId, a.scope) && ["AcrPull", "AcrPush", "Owner", "Contributor"].includes(state.roleDefinitions.get(a.roleDefinitionGuid) ?? ""),
                );
            if (!canPull) {
                return registryError(401, "UNAUTHORIZED", "authentication required, visit https://aka.ms/acr/authorization for more information.", {
                    "www-authenticate": `Bearer realm="${base}/acr/oauth2/token",service="registry",scope="repository:${manifest[1]}:pull"`,
                });
            }
            if (!state.manifests.has(`${manifest[1]}@${manifest[2]}`)) return registryError(404, "MANIFEST_UNKNOWN", `manifest sha256 ${manifest[2]} is not found`);
            res.writeHead(200, { "content-type": "application/vnd.oci.image.manifest.v1+json", "docker-content-digest": manifest[2] });
            return res.end();
        }
        return registryError(404, "NAME_UNKNOWN", "repository name not known to registry");
    };

    const server: Server = createServer((req, res) => {
        const url = new URL(req.url ?? "/", base);
        requests.push(`${req.method} ${url.pathname}`);
        const [, service, ...rest] = url.pathname.split("/");
        const path = `/${rest.join("/")}`;
        const handler = service === "arm" ? arm(req, res, url, path) : service === "graph" ? graph(req, res, url, path) : service === "acr" ? acr(req, res, path) : Promise.resolve(send(res, 404, {}));
        handler.catch((error: unknown) => send(res, 500, { error: { code: "InternalServerError", message: String(error) } }));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

    return {
        endpoints: { arm: `${base}/arm`, graph: `${base}/graph`, registry: () => `${base}/acr` },
        requests,
        tokensFor: (principal) => async (scope) => {
            const audience = scope.replace(/\/\.default$/, "");
            return new SignJWT({ oid: principal.objectId, tid: principal.tenantId ?? state.tenantId, ...(principal.kind === "ServicePrincipal" ? { idtyp: "app" } : {}) })
                .setProtectedHeader({ alg: "RS256", kid: "standin" })
                .setIssuer(issuer)
                .setAudience(audience)
                .setIssuedAt()
                .setExpirationTime("10m")
                .sign(privateKey);
        },
        close: () => new Promise((resolve) => server.close(() => resolve())),
    };
}

function readBody(req: IncomingMessage): Promise<string> {
    return new Promise((resolve, reject) => {
        const chunks: Buffer[] = [];
        req.on("data", (chunk: Buffer) => chunks.push(chunk));
        req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
        req.on("error", reject);
    });
}
