/**
 * The outputs contract as data: one zod schema is the source of the TypeScript type the program
 * exports (`PlatformOutputs`, with Pulumi outputs at the leaves), of the JSON Schema published in
 * `infra/outputs.schema.json` (`npm run contract:schema`), and of `parsePlatformOutputs`, which a
 * consumer (a team's stack) runs on what it reads through a stack reference.
 *
 * Versions: fields are only ever added. A consumer accepts exactly the version it was built for,
 * because an older platform lacks fields it relies on and a newer one may mean something else by
 * them; the error names both versions.
 *
 * This module imports no Pulumi runtime, so consumers can load it cheaply.
 */
import type * as pulumi from "@pulumi/pulumi";
import { z } from "zod";

/** v2 adds the team-facing fields: `edge.authorizer`, `edge.ingressIdentity`, `edge.ingressClassName`, `edge.defaultRateLimit`, `teams`. */
export const OUTPUTS_SCHEMA_VERSION = 2;

const idAndName = z.strictObject({ id: z.string(), name: z.string() });

export const platformOutputsSchema = z
    .strictObject({
        schemaVersion: z.literal(OUTPUTS_SCHEMA_VERSION).describe("Version of this contract; a consumer accepts exactly the version it was built for."),
        environment: z.enum(["dev", "staging", "prod"]),
        location: z.string(),
        tenantId: z.string().describe("Entra tenant of the platform's tokens and identities."),
        resourceGroup: idAndName,
        workspace: z.strictObject({ id: z.string(), name: z.string(), discoveryUrl: z.string(), mlflowTrackingUri: z.string() }),
        cluster: z.strictObject({
            id: z.string(),
            name: z.string(),
            oidcIssuerUrl: z.string().describe("The cluster's OIDC issuer: the `issuer` of federated credentials for its ServiceAccounts."),
        }),
        keyVault: z.strictObject({ id: z.string(), name: z.string(), uri: z.string() }),
        containerRegistry: z.strictObject({ loginServer: z.string() }),
        api: z
            .strictObject({
                clientId: z.string().describe("Application (client) ID: the `aud` of v2 access tokens."),
                identifierUri: z.string(),
                tokenIssuer: z.string().describe("`iss` of v2 access tokens."),
                appRoles: z.array(z.strictObject({ value: z.string(), id: z.string(), description: z.string() })),
            })
            .describe("What callers request tokens for, and what the edge checks."),
        edge: z
            .strictObject({
                hostName: z.string(),
                exposure: z.string(),
                routes: z.array(z.strictObject({ name: z.string(), host: z.string(), path: z.string(), roles: z.array(z.string()) })),
                ingressClassName: z.string().describe("`ingressClassName` of every VirtualServerRoute and Policy a team declares."),
                authorizer: z
                    .strictObject({
                        namespace: z.string(),
                        name: z.string(),
                        port: z.int(),
                        authServiceName: z.string().describe("`<namespace>/<service>`, as an externalAuth Policy must name it."),
                    })
                    .describe("The edge authorizer: the only externalAuth service team routes may name."),
                ingressIdentity: z
                    .strictObject({ namespace: z.string(), serviceAccount: z.string() })
                    .describe("The ingress controller's mesh identity: what a team's Linkerd authorization admits for edge traffic."),
                defaultRateLimit: z.strictObject({ requestsPerSecond: z.int(), burst: z.int() }).describe("The platform's default per-client rate limit."),
            })
            .describe("Where the edge publishes routes; every route requires a token with one of its roles."),
        logAnalytics: z.strictObject({ workspaceResourceId: z.string(), workspaceId: z.string() }),
        callers: z
            .array(z.strictObject({ name: z.string(), kind: z.string(), roles: z.array(z.string()), clientId: z.string().optional() }))
            .describe("The access matrix's callers and the client ID each logs in with (none for groups)."),
        teams: z
            .array(
                z.strictObject({
                    name: z.string(),
                    namespaces: z.array(z.string()).describe("The team's meshed namespaces."),
                    prefixes: z
                        .array(
                            z.strictObject({
                                path: z.string().describe("Path prefix on edge.hostName; every subroute path must start with it."),
                                namespace: z.string(),
                                route: z.string().describe("Name of the VirtualServerRoute the edge delegates the prefix to."),
                                delegatedTo: z.string().describe("`<namespace>/<route>` as the VirtualServer names it."),
                            }),
                        )
                        .describe("The path prefixes the edge delegates to the team."),
                    identity: z
                        .strictObject({
                            clientId: z.string(),
                            principalId: z.string(),
                            subjects: z.array(z.string()).describe("`system:serviceaccount:<ns>:<sa>` subjects federated with it."),
                        })
                        .describe("The team's managed identity, for its workloads (AKS workload identity)."),
                }),
            )
            .describe("Teams onboarded onto the platform."),
    })
    .describe("Outputs of an amlmesh platform stack, read by other stacks through a stack reference.");

/** The outputs document as a consumer reads it. */
export type PlatformOutputsDocument = z.infer<typeof platformOutputsSchema>;

/** The same shape with any leaf allowed to be a Pulumi input (what the program returns). */
export type Deferred<T> = T extends readonly (infer U)[] ? Deferred<U>[] : T extends object ? { [K in keyof T]: Deferred<T[K]> } : pulumi.Input<T>;
export type PlatformOutputs = Deferred<PlatformOutputsDocument>;

export class OutputsContractError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "OutputsContractError";
    }
}

/**
 * Checks a platform outputs document (the stack reference's outputs) against this contract.
 * A document of another schema version is refused first, naming both versions.
 */
export function parsePlatformOutputs(value: unknown, source = "the platform stack"): PlatformOutputsDocument {
    const version = typeof value === "object" && value !== null ? (value as { schemaVersion?: unknown }).schemaVersion : undefined;
    if (version !== OUTPUTS_SCHEMA_VERSION) {
        const found = version === undefined ? "no schemaVersion" : `schemaVersion ${JSON.stringify(version)}`;
        throw new OutputsContractError(
            `${source} exports outputs with ${found}, but this consumer understands schemaVersion ${OUTPUTS_SCHEMA_VERSION} only; ` +
                (typeof version === "number" && version > OUTPUTS_SCHEMA_VERSION ? "upgrade the consumer" : "upgrade the platform stack") +
                " so the two agree",
        );
    }
    const result = platformOutputsSchema.safeParse(value);
    if (!result.success) {
        const problems = result.error.issues.map((issue) => `  - ${issue.path.join(".") || "(root)"}: ${issue.message}`);
        throw new OutputsContractError(`${source} exports outputs that do not match schemaVersion ${OUTPUTS_SCHEMA_VERSION}:\n${problems.join("\n")}`);
    }
    return result.data;
}

/** The published JSON Schema (draft 2020-12) of the contract. */
export function platformOutputsJsonSchema(): Record<string, unknown> {
    return {
        $id: `urn:amlmesh:platform-outputs:v${OUTPUTS_SCHEMA_VERSION}`,
        title: "amlmesh platform outputs",
        ...z.toJSONSchema(platformOutputsSchema, { target: "draft-2020-12" }),
    };
}
