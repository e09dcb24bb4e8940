/**
 * The preflight: checks, with the deployer's own Azure credentials, that everything a stack's
 * first `pulumi up` needs and cannot create exists (bootstrap/requirements.ts), and says for each
 * missing piece what it is and the command that fixes it.
 *
 * Order: who am I (a failure there stops everything, since no later answer would mean
 * anything), then the subscription, then every other check; those each report on their own so
 * one run names every missing prerequisite of a bare subscription.
 */
import { decodeJwt } from "jose";
import { MICROSOFT_GRAPH_APP_ID, roleCondition, scopeWithin, type RoleRequirement, type StackRequirements } from "../bootstrap/requirements";
import { blocksOverlap, parseIpv4Block } from "../infra/cidr";
import { PLACEHOLDER_DIGEST } from "../infra/config";
import { ARM_SCOPE, AzureError, getAll, getIfExists, getJson, GRAPH_SCOPE, registryHasManifest, type Endpoints, type TokenSource } from "./azure-http";

export type CheckStatus = "pass" | "warn" | "fail";

export interface CheckResult {
    check: string;
    status: CheckStatus;
    /** One line per finding. */
    messages: string[];
    /** Commands or steps that fix what failed, in order. */
    fixes: string[];
}

export interface PreflightContext {
    requirements: StackRequirements;
    /** The stack's Entra tenant (the deployer must be signed in to it). */
    tenantId: string;
    /** Environment name, for runner labels and commands. */
    environment: string;
    tokens: TokenSource;
    endpoints: Endpoints;
    /** Opens (and closes) a TCP connection, or rejects; the API server reachability probe. */
    connect(host: string, port: number): Promise<void>;
    /** Time, for certificate expiry. */
    now?: () => Date;
}

/** Raised when the preflight cannot go on at all (no credentials, wrong tenant, no subscription). */
export class PreflightStop extends Error {
    constructor(
        message: string,
        readonly fixes: string[],
    ) {
        super(message);
        this.name = "PreflightStop";
    }
}

const API = {
    subscription: "2022-12-01",
    providers: "2021-04-01",
    features: "2021-07-01",
    authorization: "2022-04-01",
    keyVault: "2023-07-01",
    registry: "2023-07-01",
    privateDns: "2024-06-01",
    network: "2024-05-01",
    cluster: "2025-01-01",
    computeSkus: "2021-07-01",
    computeUsages: "2023-07-01",
    mlUsages: "2024-04-01",
};

interface Deployer {
    objectId: string;
    kind: "ServicePrincipal" | "User";
    armToken: string;
}

export async function runPreflight(ctx: PreflightContext): Promise<CheckResult[]> {
    const deployer = await whoAmI(ctx);
    await subscriptionVisible(ctx, deployer);
    const checks: [string, (ctx: PreflightContext, deployer: Deployer) => Promise<Omit<CheckResult, "check">>][] = [
        ["resource providers and features", registrations],
        ["deployer roles", deployerRoles],
        ["platform custom roles", customRoles],
        ["Microsoft Graph permissions", graphPermissions],
        ["edge certificate in the hub Key Vault", edgeCertificate],
        ["edge authorizer image in the hub registry", authorizerImage],
        ["network path to the API server", apiServerPath],
        ["regional vCPU quota", quota],
    ];
    const results: CheckResult[] = [];
    for (const [check, run] of checks) {
        try {
            results.push({ check, ...(await run(ctx, deployer)) });
        } catch (error) {
            results.push({ check, status: "fail", messages: [describeError(error)], fixes: fixesForError(error, ctx, deployer) });
        }
    }
    return results;
}

function describeError(error: unknown): string {
    if (error instanceof AzureError) return `${error.code} (HTTP ${error.status}): ${error.message}`;
    return error instanceof Error ? error.message : String(error);
}

function fixesForError(error: unknown, ctx: PreflightContext, deployer: Deployer): string[] {
    if (error instanceof AzureError && error.status === 403) {
        return [`grant the deployer (${deployer.objectId}) read access there: npm run bootstrap -- --stack ${ctx.environment} (step "deployer roles")`];
    }
    return [];
}

async function whoAmI(ctx: PreflightContext): Promise<Deployer> {
    let armToken: string;
    try {
        armToken = await ctx.tokens(ARM_SCOPE);
    } catch (error) {
        throw new PreflightStop(`no Azure credentials: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}`, [
            "locally: az login --tenant <tenant ID>",
            "in CI: azure/login with the deployer's federated credential (AZURE_CLIENT_ID, AZURE_TENANT_ID, AZURE_FEDERATED_TOKEN_FILE)",
        ]);
    }
    // Our own token, fresh from Entra: only read, never trusted for a decision beyond "who is asking".
    const claims = decodeJwt(armToken) as { oid?: string; tid?: string; idtyp?: string };
    if (!claims.oid) throw new PreflightStop("the Azure token carries no object ID (oid)", ["sign in as a user or a service principal, not a personal Microsoft account"]);
    if (claims.tid?.toLowerCase() !== ctx.tenantId.toLowerCase()) {
        throw new PreflightStop(`signed in to tenant ${claims.tid ?? "?"}, but the stack deploys to tenant ${ctx.tenantId}`, [`az login --tenant ${ctx.tenantId}`]);
    }
    return { objectId: claims.oid, kind: claims.idtyp === "app" ? "ServicePrincipal" : "User", armToken };
}

async function subscriptionVisible(ctx: PreflightContext, deployer: Deployer): Promise<void> {
    const { subscriptionId } = ctx.requirements;
    try {
        await getJson(`${ctx.endpoints.arm}/subscriptions/${subscriptionId}?api-version=${API.subscription}`, deployer.armToken);
    } catch (error) {
        throw new PreflightStop(`subscription ${subscriptionId} is not visible to the deployer: ${describeError(error)}`, [
            `az account set --subscription ${subscriptionId}, and have an owner grant the deployer Reader on it (npm run bootstrap -- --stack ${ctx.environment})`,
        ]);
    }
}

// --- Registrations ---------------------------------------------------------------------------

async function registrations(ctx: PreflightContext, deployer: Deployer): Promise<Omit<CheckResult, "check">> {
    const sub = `${ctx.endpoints.arm}/subscriptions/${ctx.requirements.subscriptionId}`;
    const messages: string[] = [];
    const fixes: string[] = [];
    for (const namespace of ctx.requirements.providers) {
        const provider = await getJson<{ registrationState?: string }>(`${sub}/providers/${namespace}?api-version=${API.providers}`, deployer.armToken);
        if (provider.registrationState !== "Registered") {
            messages.push(`resource provider ${namespace} is ${provider.registrationState ?? "unknown"}`);
            fixes.push(`az provider register --namespace ${namespace} --wait`);
        }
    }
    for (const feature of ctx.requirements.features) {
        const [namespace, name] = feature.split("/");
        const found = await getIfExists<{ properties?: { state?: string } }>(
            `${sub}/providers/Microsoft.Features/providers/${namespace}/features/${name}?api-version=${API.features}`,
            deployer.armToken,
        );
        const state = found?.properties?.state ?? "NotRegistered";
        if (state !== "Registered") {
            messages.push(`preview feature ${feature} is ${state}`);
            fixes.push(`az feature register --namespace ${namespace} --name ${name} && az provider register --namespace ${namespace}`);
        }
    }
    return verdict(messages, fixes, `${ctx.requirements.providers.length} providers registered`);
}

function verdict(failures: string[], fixes: string[], passMessage: string, warnings: string[] = []): Omit<CheckResult, "check"> {
    if (failures.length > 0) return { status: "fail", messages: [...failures, ...warnings], fixes };
    if (warnings.length > 0) return { status: "warn", messages: warnings, fixes };
    return { status: "pass", messages: [passMessage], fixes: [] };
}

// --- Deployer roles --------------------------------------------------------------------------

interface RoleAssignment {
    properties: { roleDefinitionId: string; scope: string; principalId: string };
}

/** Roles that include what another role grants, for the roles the deployer needs. */
const COVERED_BY: Record<string, string[]> = {
    Contributor: ["Owner"],
    "Network Contributor": ["Owner", "Contributor"],
    "Role Based Access Control Administrator": ["Owner", "User Access Administrator"],
    AcrPush: ["Owner", "Contributor"],
    Reader: ["Owner", "Contributor"],
};

async function deployerRoles(ctx: PreflightContext, deployer: Deployer): Promise<Omit<CheckResult, "check">> {
    const required = ctx.requirements.deployerRoles;
    // One list per resource group (or the subscription): ARM returns the principal's assignments
    // at, above and below it, and Reader on the subscription lets the deployer read them all.
    const byGroup = new Map<string, RoleRequirement[]>();
    for (const need of required) {
        const group = /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+/i.exec(need.scope)?.[0] ?? need.scope;
        byGroup.set(group, [...(byGroup.get(group) ?? []), need]);
    }
    const roleNames = new Map<string, Promise<string>>();
    const roleName = (definitionId: string) => {
        let name = roleNames.get(definitionId.toLowerCase());
        if (!name) {
            name = getJson<{ properties: { roleName: string } }>(`${ctx.endpoints.arm}${definitionId}?api-version=${API.authorization}`, deployer.armToken).then(
                (definition) => definition.properties.roleName,
            );
            roleNames.set(definitionId.toLowerCase(), name);
        }
        return name;
    };

    const failures: string[] = [];
    const fixes: string[] = [];
    for (const [group, needs] of byGroup) {
        let held: { role: string; scope: string }[];
        try {
            const assignments = await getAll<RoleAssignment>(
                `${ctx.endpoints.arm}${group}/providers/Microsoft.Authorization/roleAssignments?api-version=${API.authorization}&$filter=${encodeURIComponent(`assignedTo('${deployer.objectId}')`)}`,
                deployer.armToken,
            );
            held = await Promise.all(assignments.map(async (a) => ({ role: await roleName(a.properties.roleDefinitionId), scope: a.properties.scope })));
        } catch (error) {
            if (!(error instanceof AzureError) || (error.status !== 403 && error.status !== 404)) throw error;
            const groupName = group.split("/").pop();
            const why = error.status === 404 ? `resource group ${groupName} does not exist` : `the deployer cannot read role assignments in ${groupName} (${error.code})`;
            for (const need of needs) {
                failures.push(`${need.role} on ${need.scopeLabel} (${need.why}): missing; ${why}`);
                fixes.push(error.status === 404 ? `npm run bootstrap -- --stack ${ctx.environment}` : grantCommand(need, deployer, ctx.requirements));
            }
            continue;
        }
        for (const need of needs) {
            const accepted = [need.role, ...(COVERED_BY[need.role] ?? [])];
            if (!held.some((h) => accepted.includes(h.role) && scopeWithin(need.scope, h.scope))) {
                failures.push(`${need.role} on ${need.scopeLabel} (${need.why}): missing`);
                fixes.push(grantCommand(need, deployer, ctx.requirements));
            }
        }
    }
    return verdict(failures, [...new Set(fixes)], `${required.length} role assignments in place`);
}

/**
 * The custom roles the program assigns but may not define: each must exist under its GUID, in
 * the stack's resource group, with exactly the actions the program relies on (a widened role
 * would hand the workload more than the plan shows).
 */
async function customRoles(ctx: PreflightContext, deployer: Deployer): Promise<Omit<CheckResult, "check">> {
    const failures: string[] = [];
    for (const custom of ctx.requirements.customRoles) {
        const url = `${ctx.endpoints.arm}${custom.scope}/providers/Microsoft.Authorization/roleDefinitions/${custom.guid}?api-version=${API.authorization}`;
        try {
            const definition = await getJson<{ properties: { permissions?: { actions?: string[]; notActions?: string[]; dataActions?: string[] }[]; assignableScopes?: string[] } }>(url, deployer.armToken);
            const permissions = definition.properties.permissions ?? [];
            const actions = permissions.flatMap((permission) => permission.actions ?? []).sort();
            const extra = permissions.flatMap((permission) => [...(permission.notActions ?? []), ...(permission.dataActions ?? [])]);
            if (JSON.stringify(actions) !== JSON.stringify([...custom.actions].sort()) || extra.length > 0) {
                failures.push(`${custom.role} (${custom.guid}) holds ${JSON.stringify(actions)}${extra.length ? ` and ${JSON.stringify(extra)}` : ""}, not exactly ${JSON.stringify(custom.actions)}`);
            }
        } catch (error) {
            if (!(error instanceof AzureError) || error.status !== 404) throw error;
            failures.push(`${custom.role} is not defined in ${custom.scope} under ${custom.guid}`);
        }
    }
    const fix = `as an Owner: npm run bootstrap -- --stack ${ctx.environment} --phase owner (step "deployer roles" defines the platform's custom roles)`;
    return verdict(failures, failures.length ? [fix] : [], `${ctx.requirements.customRoles.length} custom role(s) defined as the program expects`);
}

function grantCommand(need: RoleRequirement, deployer: Deployer, requirements: StackRequirements): string {
    const abac = roleCondition(need, requirements.customRoles);
    const condition = abac ? ` --condition "${abac}" --condition-version 2.0` : "";
    return `az role assignment create --assignee-object-id ${deployer.objectId} --assignee-principal-type ${deployer.kind} --role "${need.role}" --scope ${need.scope}${condition}`;
}

// --- Microsoft Graph ---------------------------------------------------------------------------

async function graphPermissions(ctx: PreflightContext, deployer: Deployer): Promise<Omit<CheckResult, "check">> {
    const wanted = ctx.requirements.graphPermissions;
    if (deployer.kind === "User") {
        return {
            status: "warn",
            messages: [`the deployer is a user: Graph access is delegated, so ${wanted.join(", ")} are not checked; CI deploys as the bootstrap's service principal`],
            fixes: [],
        };
    }
    const token = await ctx.tokens(GRAPH_SCOPE);
    const graph = await getJson<{ id: string; appRoles: { id: string; value: string }[] }>(
        `${ctx.endpoints.graph}/v1.0/servicePrincipals(appId='${MICROSOFT_GRAPH_APP_ID}')?$select=id,appRoles`,
        token,
    );
    const granted = await getAll<{ appRoleId: string; resourceId: string }>(`${ctx.endpoints.graph}/v1.0/servicePrincipals/${deployer.objectId}/appRoleAssignments`, token);
    const names = new Map(graph.appRoles.map((role) => [role.id, role.value]));
    const held = new Set(granted.filter((g) => g.resourceId === graph.id).map((g) => names.get(g.appRoleId)));
    const failures: string[] = [];
    const fixes: string[] = [];
    for (const permission of wanted) {
        if (held.has(permission)) continue;
        const role = graph.appRoles.find((r) => r.value === permission);
        failures.push(`Graph application permission ${permission}: not granted`);
        fixes.push(
            `a Privileged Role Administrator grants it: az rest --method POST --uri ${ctx.endpoints.graph}/v1.0/servicePrincipals/${graph.id}/appRoleAssignedTo ` +
                `--body '{"principalId":"${deployer.objectId}","resourceId":"${graph.id}","appRoleId":"${role?.id ?? "<id of " + permission + ">"}"}'`,
        );
    }
    return verdict(failures, fixes, `${wanted.join(", ")} granted`);
}

// --- Edge certificate ------------------------------------------------------------------------

async function edgeCertificate(ctx: PreflightContext, deployer: Deployer): Promise<Omit<CheckResult, "check">> {
    const { vaultId, vaultName, name } = ctx.requirements.edgeCertificate;
    const bootstrap = `npm run bootstrap -- --stack ${ctx.environment}`;
    const vault = await getIfExists(`${ctx.endpoints.arm}${vaultId}?api-version=${API.keyVault}`, deployer.armToken);
    if (!vault) return { status: "fail", messages: [`hub Key Vault ${vaultName} does not exist`], fixes: [bootstrap] };
    const secret = await getIfExists<{ properties?: { attributes?: { enabled?: boolean; exp?: number } } }>(
        `${ctx.endpoints.arm}${vaultId}/secrets/${name}?api-version=${API.keyVault}`,
        deployer.armToken,
    );
    const importIt =
        ctx.environment === "dev"
            ? `on the runner: az keyvault certificate create --vault-name ${vaultName} -n ${name} -p "$(az keyvault certificate get-default-policy)" (self-signed; or import your own)`
            : `on the runner: az keyvault certificate import --vault-name ${vaultName} -n ${name} -f <CA-issued certificate with key, PFX or PEM>`;
    if (!secret) return { status: "fail", messages: [`certificate ${name} is not in ${vaultName}`], fixes: [importIt] };
    const attributes = secret.properties?.attributes ?? {};
    if (attributes.enabled === false) return { status: "fail", messages: [`certificate ${name} in ${vaultName} is disabled`], fixes: [`az keyvault certificate set-attributes --vault-name ${vaultName} -n ${name} --enabled true`] };
    const now = (ctx.now ?? (() => new Date()))().getTime() / 1000;
    if (attributes.exp !== undefined && attributes.exp <= now) return { status: "fail", messages: [`certificate ${name} in ${vaultName} has expired`], fixes: [importIt] };
    const days = attributes.exp === undefined ? undefined : Math.floor((attributes.exp - now) / 86400);
    if (days !== undefined && days < 30) return { status: "warn", messages: [`certificate ${name} in ${vaultName} expires in ${days} days`], fixes: [importIt] };
    return { status: "pass", messages: [`certificate ${name} is in ${vaultName}${days === undefined ? "" : `, valid for ${days} more days`}`], fixes: [] };
}

// --- Authorizer image ------------------------------------------------------------------------

async function authorizerImage(ctx: PreflightContext, deployer: Deployer): Promise<Omit<CheckResult, "check">> {
    const image = ctx.requirements.authorizerImage;
    if (!image) return { status: "warn", messages: ["the stack names its own authorizer image (edge.authorizer.image); not checked"], fixes: [] };
    const publish = `on the runner: npm run image:pin -- --stack ${ctx.environment} (builds, pushes through the hub registry's private endpoint, writes the digest)`;
    if (image.digest === PLACEHOLDER_DIGEST) return { status: "fail", messages: ["edge.authorizer.digest is still the placeholder"], fixes: [publish] };
    const registryId = ctx.requirements.ids.registry;
    const registry = await getIfExists(`${ctx.endpoints.arm}${registryId}?api-version=${API.registry}`, deployer.armToken);
    if (!registry) return { status: "fail", messages: [`hub registry ${image.registry} does not exist`], fixes: [`npm run bootstrap -- --stack ${ctx.environment}`] };
    const found = await registryHasManifest(ctx.endpoints.registry(image.loginServer), image.loginServer, ctx.tenantId, deployer.armToken, image.repository, image.digest);
    if (!found) return { status: "fail", messages: [`${image.loginServer}/${image.repository}@${image.digest} is not in the registry`], fixes: [publish] };
    return { status: "pass", messages: [`${image.repository}@${image.digest.slice(0, 19)}… is in ${image.registry}`], fixes: [] };
}

// --- Network ---------------------------------------------------------------------------------

async function apiServerPath(ctx: PreflightContext, deployer: Deployer): Promise<Omit<CheckResult, "check">> {
    const { ids, names, network } = ctx.requirements;
    const arm = ctx.endpoints.arm;
    const bootstrap = `npm run bootstrap -- --stack ${ctx.environment}`;
    const failures: string[] = [];
    const fixes: string[] = [];
    const hub = await getIfExists<{ properties?: { addressSpace?: { addressPrefixes?: string[] } } }>(`${arm}${ids.vnet}?api-version=${API.network}`, deployer.armToken);
    if (!hub) {
        failures.push(`hub VNet ${names.bootstrap.hubVnet} does not exist`);
        fixes.push(bootstrap);
    } else {
        const prefixes = hub.properties?.addressSpace?.addressPrefixes ?? [];
        const platform = parseIpv4Block(network.platformAddressSpace)!;
        const overlapping = prefixes.filter((prefix) => {
            const block = parseIpv4Block(prefix);
            return block !== undefined && blocksOverlap(block, platform);
        });
        if (overlapping.length > 0) {
            failures.push(`hub VNet ${names.bootstrap.hubVnet} (${overlapping.join(", ")}) overlaps the platform VNet ${network.platformAddressSpace}: they cannot be peered`);
            fixes.push("give network.addressSpace or network.hubAddressSpace a range the other does not use");
        }
    }
    if (network.apiServer === "private") {
        const zone = await getIfExists(`${arm}${ids.apiServerDnsZone}?api-version=${API.privateDns}`, deployer.armToken);
        if (!zone) {
            failures.push(`private DNS zone ${names.bootstrap.apiServerDnsZone} does not exist in ${names.bootstrap.resourceGroup}`);
            fixes.push(bootstrap);
        } else {
            const links = await getAll<{ properties?: { virtualNetwork?: { id?: string }; virtualNetworkLinkState?: string } }>(
                `${arm}${ids.apiServerDnsZone}/virtualNetworkLinks?api-version=${API.privateDns}`,
                deployer.armToken,
            );
            const linked = links.some((link) => link.properties?.virtualNetwork?.id?.toLowerCase() === ids.vnet.toLowerCase() && link.properties.virtualNetworkLinkState === "Completed");
            if (!linked) {
                failures.push(`zone ${names.bootstrap.apiServerDnsZone} is not linked to the hub VNet: the runner could not resolve the API server`);
                fixes.push(`az network private-dns link vnet create -g ${names.bootstrap.resourceGroup} -z ${names.bootstrap.apiServerDnsZone} -n hub --virtual-network ${ids.vnet} --registration-enabled false`);
            }
        }
    }
    if (failures.length > 0) return verdict(failures, fixes, "");

    // On later runs the cluster exists: try the API server from here, as `pulumi up` will.
    const cluster = await getIfExists<{ properties?: { fqdn?: string; privateFQDN?: string } }>(`${arm}${ids.cluster}?api-version=${API.cluster}`, deployer.armToken);
    if (!cluster) return { status: "pass", messages: ["hub and API server zone ready; the cluster does not exist yet, the first run creates it and peers the hub"], fixes: [] };
    const host = network.apiServer === "private" ? cluster.properties?.privateFQDN : cluster.properties?.fqdn;
    if (!host) return { status: "fail", messages: [`cluster ${names.aksCluster} reports no ${network.apiServer === "private" ? "private " : ""}FQDN`], fixes: [] };
    try {
        await ctx.connect(host, 443);
    } catch (error) {
        const where =
            network.apiServer === "private"
                ? `run from the amlmesh-${ctx.environment} runner in ${names.bootstrap.hubVnet} (runs-on: [self-hosted, linux, amlmesh-${ctx.environment}])`
                : `add this machine's egress range to cluster.apiServer.authorizedRanges, or run from the amlmesh-${ctx.environment} runner`;
        return { status: "fail", messages: [`cannot reach the API server ${host}:443 from here: ${error instanceof Error ? error.message : String(error)}`], fixes: [where] };
    }
    return { status: "pass", messages: [`API server ${host}:443 reachable`], fixes: [] };
}

// --- Quota -----------------------------------------------------------------------------------

interface Sku {
    resourceType: string;
    name: string;
    family?: string;
    capabilities?: { name: string; value: string }[];
    restrictions?: { reasonCode?: string; type?: string }[];
}
interface Usage {
    name: { value: string; localizedValue?: string };
    currentValue: number;
    limit: number;
}

async function quota(ctx: PreflightContext, deployer: Deployer): Promise<Omit<CheckResult, "check">> {
    const { subscriptionId, location, vmDemand } = ctx.requirements;
    const sub = `${ctx.endpoints.arm}/subscriptions/${subscriptionId}`;
    const skus = await getAll<Sku>(`${sub}/providers/Microsoft.Compute/skus?api-version=${API.computeSkus}&$filter=${encodeURIComponent(`location eq '${location}'`)}`, deployer.armToken);
    const failures: string[] = [];
    const warnings: string[] = [];
    const fixes: string[] = [];
    // vCPUs per quota family and pool, at the autoscalers' lower and upper bounds.
    const demand = new Map<string, { pool: "compute" | "machineLearning"; family: string; min: number; max: number; labels: string[] }>();
    for (const need of vmDemand) {
        const sku = skus.find((s) => s.resourceType === "virtualMachines" && s.name.toLowerCase() === need.vmSize.toLowerCase());
        if (!sku?.family) {
            failures.push(`${need.label}: VM size ${need.vmSize} is not offered in ${location}`);
            fixes.push(`pick another size: az vm list-skus --location ${location} --resource-type virtualMachines -o table`);
            continue;
        }
        if (sku.restrictions?.some((r) => r.reasonCode === "NotAvailableForSubscription" && r.type === "Location")) {
            failures.push(`${need.label}: VM size ${need.vmSize} is restricted for this subscription in ${location}`);
            fixes.push(`request access to ${need.vmSize} in ${location} (Azure support: "Quota" > "Region access"), or pick another size`);
            continue;
        }
        const vcpus = Number(sku.capabilities?.find((c) => c.name === "vCPUs")?.value ?? "0");
        for (const family of [sku.family, ...(need.pool === "compute" ? ["cores"] : [])]) {
            const key = `${need.pool}/${family}`;
            const entry = demand.get(key) ?? { pool: need.pool, family, min: 0, max: 0, labels: [] };
            entry.min += vcpus * need.minNodes;
            entry.max += vcpus * need.maxNodes;
            entry.labels.push(need.label);
            demand.set(key, entry);
        }
    }
    const usages = {
        compute: await getAll<Usage>(`${sub}/providers/Microsoft.Compute/locations/${location}/usages?api-version=${API.computeUsages}`, deployer.armToken),
        machineLearning: await getAll<Usage>(`${sub}/providers/Microsoft.MachineLearningServices/locations/${location}/usages?api-version=${API.mlUsages}`, deployer.armToken),
    };
    for (const need of demand.values()) {
        const usage = usages[need.pool].find((u) => u.name.value.toLowerCase() === need.family.toLowerCase());
        const pool = need.pool === "compute" ? "Compute" : "Azure ML";
        if (!usage) {
            warnings.push(`${pool} quota for ${need.family} in ${location} not found; ${need.labels.join(", ")} not checked`);
            continue;
        }
        const free = usage.limit - usage.currentValue;
        const what = `${pool} ${usage.name.localizedValue ?? usage.name.value} in ${location}: ${free} of ${usage.limit} vCPUs free`;
        const ask = `request ${pool} quota for ${usage.name.value} in ${location} of at least ${usage.currentValue + need.max} vCPUs (portal: Quotas${need.pool === "machineLearning" ? ", Azure Machine Learning" : ", Compute"})`;
        if (free < need.min) {
            failures.push(`${what}; ${need.labels.join(" + ")} need ${need.min} to start`);
            fixes.push(ask);
        } else if (free < need.max) {
            warnings.push(`${what}; ${need.labels.join(" + ")} need ${need.max} at full scale`);
            fixes.push(ask);
        }
    }
    return verdict(failures, fixes, `quota covers every pool at full scale in ${location}`, warnings);
}
