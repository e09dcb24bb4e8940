/**
 * The stack configuration as one typed, validated object.
 *
 * Every key lives in the `amlmesh:` namespace of `stacks/Pulumi.<env>.yaml`. The schema below
 * is the single source of truth for names, types, defaults and documentation (the README's
 * config table is generated from it by `npm run docs:config`). `parseStackConfig` refuses a bad
 * config before any resource is declared, naming the key, the bad value and what was expected;
 * unknown keys are errors with a "did you mean" hint, and cross-field rules (subnets inside the
 * address space, roles that exist, prod hardening) are checked after the shape is valid.
 */
import * as pulumi from "@pulumi/pulumi";
import { distance } from "fastest-levenshtein";
import { z } from "zod";
import { AKS_KUBERNETES_CALENDAR, KUBERNETES_TESTED_RANGE } from "../components/versions";
import { addressInBlock, blockContains, blocksOverlap, isNetworkAddress, parseIpv4Block } from "./cidr";

export const CONFIG_NAMESPACE = "amlmesh";

/** Namespaces a stack file may use besides ours (provider settings). Anything else is a typo. */
const FOREIGN_NAMESPACES = new Set(["azure-native", "azuread", "kubernetes", "random", "tls", "pulumi"]);

// ---------------------------------------------------------------------------------------------
// Value formats
// ---------------------------------------------------------------------------------------------

const guid = (what: string) =>
    z.guid({ error: `expected ${what} as a GUID like 3f2504e0-4f89-11d3-9a0c-0305e82c3301` });

const cidr = z
    .cidrv4({ error: "expected an IPv4 CIDR block like 10.40.0.0/16" })
    // Zod runs refinements after a failed format check too; the format error already covers that.
    .refine((text) => {
        const block = parseIpv4Block(text);
        return block === undefined || isNetworkAddress(block);
    }, {
        error: "expected a network address (host bits zero), e.g. 10.40.0.0/16 rather than 10.40.1.0/16",
    });

const dnsName = z
    .string()
    .max(253)
    .regex(/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, {
        error: "expected a lower-case DNS name like ml.contoso.com",
    });

/** Kubernetes object names (RFC 1123 labels): namespaces, services, service accounts. */
const k8sName = z
    .string()
    .regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, { error: "expected a Kubernetes name: lower-case letters, digits and '-', at most 63 characters" });

/** Entra app role values: letters, digits, '.', '_' and '-', no spaces (they appear in tokens). */
const appRoleName = z
    .string()
    .regex(/^[A-Za-z][A-Za-z0-9._-]{0,119}$/, { error: "expected an app role value like Model.Invoke (letters, digits, '.', '_', '-')" });

const pinnedImage = z
    .string()
    .regex(/^[a-z0-9.-]+(:[0-9]+)?\/[a-z0-9._/-]+(:[A-Za-z0-9._-]+)?(@sha256:[a-f0-9]{64})?$/, {
        error: "expected an image reference registry/repository:tag or registry/repository@sha256:<digest>",
    })
    .refine((ref) => /@sha256:/.test(ref) || (/:[A-Za-z0-9._-]+$/.test(ref) && !/:latest$/.test(ref)), {
        error: "expected a pinned image: a tag other than 'latest', or a digest",
    });

const httpsUrl = z.url({ protocol: /^https$/, error: "expected an https:// URL" });

// ---------------------------------------------------------------------------------------------
// Sections
// ---------------------------------------------------------------------------------------------

const networkSchema = z
    .strictObject({
        addressSpace: cidr.describe("Address space of the platform VNet."),
        hubAddressSpace: cidr.describe(
            "Address space of the bootstrap hub VNet (deploy runner, API server DNS zone link); peered with the platform VNet, so it must not overlap it.",
        ),
        subnets: z
            .strictObject({
                aksNodes: cidr.describe("Subnet for the AKS node pools (pods use the overlay pod CIDR)."),
                privateEndpoints: cidr.describe("Subnet for private endpoints of Key Vault, Storage, ACR and Azure ML."),
                mlCompute: cidr.describe(
                    "Reserved for Azure ML compute joined to the platform VNet; unused while the workspace's managed network isolation is on (it is in every shipped stack).",
                ),
            })
            .describe("Subnets carved from addressSpace; they must not overlap."),
        podCidr: cidr.default("192.168.0.0/16").describe("Azure CNI overlay pod CIDR; must not overlap the VNet."),
        serviceCidr: cidr.default("172.16.0.0/16").describe("Kubernetes service CIDR; must not overlap the VNet or pods."),
        dnsServiceIp: z.ipv4({ error: "expected an IPv4 address" }).default("172.16.0.10").describe("Cluster DNS address, inside serviceCidr."),
        developerIpRanges: z
            .array(cidr)
            .default([])
            .describe("dev only: public egress ranges of developers, admitted through the default-deny firewalls of Key Vault and the container registry."),
    })
    .describe("Virtual network layout.");

const nodePoolSchema = z.strictObject({
    vmSize: z.string().regex(/^Standard_[A-Za-z0-9_]+$/, { error: "expected an Azure VM size like Standard_D4ds_v5" }).describe("Azure VM size of the nodes."),
    minCount: z.int().min(1).max(100).describe("Autoscaler minimum node count."),
    maxCount: z.int().min(1).max(1000).describe("Autoscaler maximum node count (at least minCount)."),
});

const clusterSchema = z
    .strictObject({
        kubernetesVersion: z
            .string()
            .regex(/^1\.\d{2}(\.\d+)?$/, { error: "expected a Kubernetes minor version like 1.35" })
            .describe("AKS Kubernetes version (minor, patch chosen by the upgrade channel); must be in AKS standard support and in the range the pinned mesh and edge are tested on (components/versions.ts). With the rapid or stable channel only the version the cluster is created with."),
        skuTier: z.enum(["Free", "Standard", "Premium"]).default("Standard").describe("AKS control-plane tier; Standard or Premium carries the uptime SLA."),
        apiServer: z
            .strictObject({
                access: z.enum(["private", "public"]).describe("private: API server only on the VNet; public: reachable from authorizedRanges."),
                authorizedRanges: z.array(cidr).default([]).describe("CIDRs allowed to reach a public API server."),
            })
            .describe("API server exposure."),
        systemPool: nodePoolSchema.describe("System node pool (critical add-ons only)."),
        userPool: nodePoolSchema.describe("User node pool for platform and model workloads."),
        availabilityZones: z.array(z.enum(["1", "2", "3"])).default([]).describe("Zones for both node pools; empty for regional."),
        upgradeChannel: z.enum(["patch", "stable", "rapid", "node-image"]).default("patch").describe("AKS automatic upgrade channel."),
        nodeOsUpgradeChannel: z.enum(["NodeImage", "SecurityPatch"]).default("NodeImage").describe("Node OS image upgrade channel."),
        maintenanceWindow: z
            .strictObject({
                dayOfWeek: z.enum(["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]).describe("Weekday of the window."),
                startHourUtc: z.int().min(0).max(23).describe("Start hour (UTC)."),
                durationHours: z.int().min(4).max(24).describe("Length in hours."),
            })
            .describe("Planned maintenance window for upgrades (AKS requires at least 4 hours)."),
        adminGroupObjectIds: z.array(guid("an Entra group object ID")).min(1, { error: "expected at least one admin group" }).describe("Entra groups granted cluster admin (Azure RBAC) on this cluster only."),
        networkPolicy: z.enum(["cilium", "calico", "azure"]).default("cilium").describe("Network policy engine (cilium uses the Cilium dataplane)."),
    })
    .describe("AKS cluster.");

const keyVaultSchema = z
    .strictObject({
        softDeleteRetentionDays: z.int().min(7).max(90).default(90).describe("Soft-delete retention."),
    })
    .prefault({})
    .describe("Platform Key Vault.");

const monitoringSchema = z
    .strictObject({
        retentionDays: z.int().min(30).max(730).default(30).describe("Log Analytics retention."),
        dailyQuotaGb: z.number().min(-1).default(-1).describe("Log Analytics daily cap in GB (-1: none)."),
        scraper: z
            .strictObject({
                namespace: k8sName.describe("Namespace of the scraper's pods (meshed: its identity is its ServiceAccount)."),
                serviceAccount: k8sName.describe("ServiceAccount the scraper runs as."),
            })
            .optional()
            .describe(
                "A meshed Prometheus allowed to scrape the platform: GET /metrics on every proxy's admin port (linkerd-admin), NGINX's Prometheus port and the authorizer, as this one mesh identity and nothing else. Unset: no metrics port is reachable under the deny policy.",
            ),
    })
    .prefault({})
    .describe("Log Analytics and Application Insights.");

const mlSchema = z
    .strictObject({
        publicNetworkAccess: z.enum(["Enabled", "Disabled"]).default("Disabled").describe("Workspace public network access; must be Disabled outside dev."),
        isolationMode: z
            .enum(["AllowInternetOutbound", "AllowOnlyApprovedOutbound"])
            .default("AllowOnlyApprovedOutbound")
            .describe("Managed network isolation; prod requires AllowOnlyApprovedOutbound."),
        highBusinessImpact: z.boolean().default(false).describe("HBI workspace (encrypts local scratch, limits telemetry); required in prod."),
        approvedOutboundFqdns: z
            .array(
                z
                    .string()
                    .max(253)
                    .regex(/^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, { error: "expected a host name like pypi.org or *.anaconda.com" }),
            )
            .default([])
            .describe(
                "AllowOnlyApprovedOutbound only: host names the managed network may reach (package feeds for environment builds). Any entry adds an Azure Firewall to the managed network (billed).",
            ),
        firewallSku: z.enum(["Basic", "Standard"]).default("Standard").describe("SKU of the managed network's Azure Firewall, created once approvedOutboundFqdns is not empty."),
        computeCluster: z
            .strictObject({
                vmSize: z.string().regex(/^Standard_[A-Za-z0-9_]+$/, { error: "expected an Azure VM size like Standard_DS3_v2" }).describe("Azure VM size of the compute nodes."),
                maxNodes: z.int().min(1).max(100).describe("Upper bound of the cluster (the lower bound is always 0)."),
                idleMinutesBeforeScaleDown: z.int().min(2).max(120).default(15).describe("Idle minutes before a node is released."),
            })
            .describe("Training compute cluster; always scales to zero."),
        kubernetesNamespace: k8sName.default("aml-workloads").describe("Namespace AML uses on AKS for training and inference."),
        extensionWebhooks: z
            .array(
                z.strictObject({
                    name: k8sName.describe("Name of the webhook's Linkerd Server (unique)."),
                    podSelector: z
                        .record(z.string().regex(/^([a-z0-9.-]+\/)?[A-Za-z0-9._-]{1,63}$/, { error: "expected a label key" }), z.string().regex(/^[A-Za-z0-9._-]{0,63}$/, { error: "expected a label value" }))
                        .refine((labels) => Object.keys(labels).length > 0, { error: "expected at least one label: an empty selector would admit the API server to every pod on the port" })
                        .describe("Labels of the webhook's pods in the azureml namespace (the webhook Service's selector)."),
                    port: z
                        .union([z.int().min(1).max(65535), k8sName.max(15)])
                        .describe("Container port (number or name) the webhook listens on: the webhook Service's targetPort."),
                }),
            )
            .default([])
            .describe(
                "Admission webhooks of the Azure ML extension, read from the live cluster (README: Azure ML extension webhooks). Each port admits the Kubernetes API server (which is outside the mesh) from any address, like Linkerd's own webhooks; nothing else changes in the azureml namespace.",
            ),
    })
    .describe("Azure ML workspace.");

const rateLimitSchema = z.strictObject({
    requestsPerSecond: z.int().min(1).max(100000).describe("Sustained requests per second per client IP."),
    burst: z.int().min(0).max(100000).default(0).describe("Requests above the rate a client may queue before 429s."),
});

const edgeSchema = z
    .strictObject({
        hostName: dnsName.describe("Public or internal host name served by the ingress."),
        exposure: z.enum(["internal", "public"]).describe("internal: private load balancer on the VNet; public: internet-facing load balancer."),
        tlsCertificateName: z
            .string()
            .regex(/^[A-Za-z0-9-]{1,127}$/, { error: "expected a Key Vault certificate name" })
            .default("edge-tls")
            .describe("Certificate (in the bootstrap hub's Key Vault) the edge hosts serve."),
        controllerReplicas: z.int().min(1).max(20).default(2).describe("NGINX ingress controller replicas."),
        rateLimit: rateLimitSchema.default({ requestsPerSecond: 50, burst: 100 }).describe("Default per-client rate limit for routes."),
        clientAddress: z
            .strictObject({
                trustedProxies: z
                    .array(cidr)
                    .default([])
                    .describe(
                        "Addresses of the proxies in front of the edge (a gateway or WAF subnet). Only from these is the header believed; empty: the client is the connection's source address.",
                    ),
                header: z
                    .enum(["X-Forwarded-For", "X-Real-IP"])
                    .default("X-Forwarded-For")
                    .describe("Header the trusted proxies put the client address in; with X-Forwarded-For the last untrusted address is the client."),
            })
            .prefault({})
            .describe("How the edge learns the caller's address (per-client rate limits, access logs) behind a gateway."),
        authorizer: z
            .strictObject({
                digest: z
                    .string()
                    .regex(/^sha256:[a-f0-9]{64}$/, { error: "expected an image digest sha256:<64 hex digits>" })
                    .optional()
                    .describe("Digest of the edge-authorizer build in the bootstrap registry (written by `npm run image:pin`)."),
                image: pinnedImage.optional().describe("Full image reference of another build; overrides digest."),
                replicas: z.int().min(1).max(20).default(2).describe("Authorizer replicas (at least 2 outside dev)."),
            })
            .prefault({})
            .describe("Edge authorizer deployment."),
    })
    .describe("NGINX edge.");

const meshSchema = z
    .strictObject({
        defaultInboundPolicy: z.enum(["deny", "all-authenticated"]).default("deny").describe("Linkerd default inbound policy for meshed namespaces (never permissive)."),
        accessLogs: z.boolean().default(false).describe("JSON access logs from every proxy (costs CPU)."),
        highAvailability: z.boolean().default(false).describe("Linkerd HA values (3 replicas, PDBs, anti-affinity)."),
        pki: z
            .strictObject({
                anchorValidityDays: z.int().min(30).max(3650).default(3650).describe("Lifetime of the trust anchor (rotated by hand)."),
                issuerValidityDays: z.int().min(7).max(730).default(365).describe("Lifetime of the identity issuer certificate."),
                issuerRenewBeforeDays: z.int().min(1).max(365).default(30).describe("`pulumi up` re-issues the issuer this many days before expiry."),
                anchors: z
                    .strictObject({
                        active: z.enum(["blue", "green"]).default("blue").describe("Trust anchor slot that signs the issuer."),
                        alsoTrusted: z.enum(["blue", "green"]).optional().describe("A second slot kept in the trust bundle during a rotation."),
                    })
                    .prefault({})
                    .describe("Trust anchor slots; change them only to rotate the anchor (README: rotating the mesh trust anchor)."),
            })
            .prefault({})
            .describe("Mesh trust anchor and issuer lifetimes."),
    })
    .prefault({})
    .describe("Linkerd mesh.");

const federationSchema = z.strictObject({
    issuer: httpsUrl.describe("OIDC issuer of the external workload (e.g. https://token.actions.githubusercontent.com)."),
    subject: z.string().min(1).max(600).describe("Exact subject claim (e.g. repo:contoso/models:environment:prod)."),
});

const callerBase = {
    name: k8sName.describe("Unique caller name; used in resource names."),
    roles: z.array(appRoleName).min(1, { error: "expected at least one role" }).describe("App roles granted to the caller (each defined in access.roles)."),
};

const callerSchema = z.discriminatedUnion(
    "kind",
    [
        z.strictObject({
            ...callerBase,
            kind: z.literal("workload").describe("A workload in the cluster, identified by its ServiceAccount (workload identity)."),
            namespace: k8sName.describe("Namespace of the workload."),
            serviceAccount: k8sName.describe("ServiceAccount of the workload."),
        }),
        z.strictObject({ ...callerBase, kind: z.literal("aml-job").describe("Azure ML jobs, identified by the compute cluster's managed identity.") }),
        z.strictObject({
            ...callerBase,
            // A deploy pipeline needs its identity (and the Azure rights granted at bootstrap), not an API role.
            roles: z.array(appRoleName).describe("App roles granted to the caller (each defined in access.roles); may be empty for a pipeline that only deploys."),
            kind: z.literal("ci-pipeline").describe("A CI pipeline, federated into its own app registration (no secret)."),
            federation: federationSchema.describe("Which external OIDC tokens this caller's app registration trusts."),
        }),
        z.strictObject({
            ...callerBase,
            kind: z.literal("external-app").describe("An application outside Azure, federated into its own app registration (no secret)."),
            federation: federationSchema.describe("Which external OIDC tokens this caller's app registration trusts."),
        }),
        z.strictObject({
            ...callerBase,
            kind: z.literal("group").describe("People: an Entra group whose members get the roles."),
            objectId: guid("an Entra group object ID").describe("Object ID of the Entra group."),
        }),
    ],
    { error: "expected kind to be one of workload, aml-job, ci-pipeline, external-app, group" },
);

const accessSchema = z
    .strictObject({
        roles: z
            .record(appRoleName, z.strictObject({ description: z.string().min(1).max(250).describe("Shown to admins assigning the role.") }))
            .refine((roles) => Object.keys(roles).length > 0, { error: "expected at least one role" })
            .describe("App roles of the platform API (value → description)."),
        callers: z.array(callerSchema).default([]).describe("Who may call: each caller's kind, identity and roles."),
        scopes: z
            .record(appRoleName, z.strictObject({ description: z.string().min(1).max(250).describe("Shown on the consent screen and to admins.") }))
            .default({})
            .describe("Delegated scopes the API exposes (value → description): without one, Entra issues no user token for the API."),
        preAuthorizedClients: z
            .array(
                z.strictObject({
                    name: k8sName.describe("Unique name of the client (documentation and resource names)."),
                    clientId: guid("the client application (app) ID").describe("Application ID of the client, e.g. Azure CLI's public client."),
                    scopes: z.array(appRoleName).min(1).describe("Scopes the client may request without a consent prompt (each defined in access.scopes)."),
                }),
            )
            .default([])
            .describe("Client applications people use to get tokens for the API, pre-authorized for its scopes."),
    })
    .describe("The access matrix.");

const routeSchema = z.strictObject({
    name: k8sName.describe("Unique route name; used in resource names."),
    host: dnsName.optional().describe("Host to publish on; defaults to edge.hostName."),
    path: z.string().regex(/^\/[A-Za-z0-9._~\-/]*$/, { error: "expected an absolute URL path like /models/churn" }).describe("Path prefix to publish."),
    backend: z
        .strictObject({
            namespace: k8sName.describe("Namespace of the backend (meshed by the platform)."),
            service: k8sName.describe("Service name of the backend."),
            port: z.int().min(1).max(65535).describe("Service port of the backend."),
            serviceAccount: k8sName.describe("ServiceAccount of the backend pods (its Linkerd identity)."),
            podSelector: z
                .record(z.string().regex(/^([a-z0-9.-]+\/)?[A-Za-z0-9._-]{1,63}$/, { error: "expected a label key" }), z.string().max(63))
                .optional()
                .describe("Labels of the backend pods, for their Linkerd Server; defaults to app.kubernetes.io/name: <service>."),
            targetPort: z
                .union([z.int().min(1).max(65535), k8sName])
                .optional()
                .describe("Container port (number or name) behind the Service port, when it differs."),
        })
        .describe("The in-cluster service behind the route."),
    roles: z.array(appRoleName).min(1, { error: "expected at least one role; every route requires one" }).describe("App roles that may call the route (any of them)."),
    scopes: z.array(z.string().regex(/^[A-Za-z0-9._-]+$/)).default([]).describe("Delegated scopes also required of user tokens (scp claim)."),
    rateLimit: rateLimitSchema.optional().describe("Per-client rate limit; defaults to edge.rateLimit."),
});

const kubernetesQuantity = (example: string) =>
    z.string().regex(/^[0-9]+(\.[0-9]+)?(m|Ki|Mi|Gi|Ti|k|M|G|T)?$/, { error: `expected a Kubernetes quantity like ${example}` });

const urlPath = z.string().regex(/^\/[A-Za-z0-9._~\-/]*$/, { error: "expected an absolute URL path like /teams/fraud" });

const teamSchema = z.strictObject({
    name: k8sName.describe("Unique team name; used in resource names and labels."),
    groupObjectId: guid("an Entra group object ID").describe(
        "Entra group of the team's engineers: bound to the team's namespaced Kubernetes Role and given the AKS Cluster User role (kubeconfig only).",
    ),
    namespaces: z
        .array(k8sName)
        .min(1, { error: "expected at least one namespace" })
        .describe("Namespaces the platform creates for the team, meshed with the stack's default inbound policy."),
    prefixes: z
        .array(
            z.strictObject({
                path: urlPath.describe("Path prefix on edge.hostName the team publishes under (NGINX prefix match: it must not be a prefix of another's)."),
                namespace: k8sName.describe("Team namespace that holds the VirtualServerRoute the edge delegates the prefix to."),
                route: k8sName.describe("Name of that VirtualServerRoute (the team creates it; the edge delegates to <namespace>/<route>)."),
            }),
        )
        .min(1, { error: "expected at least one path prefix" })
        .describe("Path prefixes on the edge host delegated to the team's VirtualServerRoutes."),
    workloadServiceAccounts: z
        .array(
            z.strictObject({
                namespace: k8sName.describe("Team namespace of the ServiceAccount."),
                serviceAccount: k8sName.describe("ServiceAccount name."),
            }),
        )
        .default([])
        .describe("ServiceAccounts federated with the team's managed identity (at most 20, the Azure limit of federated credentials per identity)."),
    quota: z
        .strictObject({
            requestsCpu: kubernetesQuantity("8").default("8").describe("Sum of CPU requests per namespace."),
            requestsMemory: kubernetesQuantity("16Gi").default("16Gi").describe("Sum of memory requests per namespace."),
            limitsCpu: kubernetesQuantity("16").default("16").describe("Sum of CPU limits per namespace."),
            limitsMemory: kubernetesQuantity("32Gi").default("32Gi").describe("Sum of memory limits per namespace."),
            pods: z.int().min(1).max(1000).default(50).describe("Pods per namespace."),
        })
        .prefault({})
        .describe("ResourceQuota of each team namespace."),
    containerDefaults: z
        .strictObject({
            cpu: kubernetesQuantity("500m").default("500m").describe("Default CPU request and limit of a container that names none."),
            memory: kubernetesQuantity("512Mi").default("512Mi").describe("Default memory request and limit of a container that names none."),
        })
        .prefault({})
        .describe("LimitRange defaults, so pods without resources still fit the quota."),
});

/** How the Azure ML inference router is published at the edge. */
export const INFERENCE_ROUTE = {
    name: "ml-inference",
    /** Scoring URIs of Kubernetes online endpoints: `/api/v1/endpoint/<endpoint>/score`. */
    path: "/api/v1/endpoint",
    roles: ["Model.Invoke"],
} as const;

/** The whole `amlmesh:` namespace. */
export const stackConfigSchema = z
    .strictObject({
        environment: z.enum(["dev", "staging", "prod"]).describe("Environment this stack builds; drives the hardening rules."),
        location: z
            .string()
            .regex(/^[a-z]+[a-z0-9]*$/, { error: "expected an Azure region name like westeurope" })
            .describe("Azure region for every resource."),
        tenantId: guid("the Entra tenant ID").describe("Entra tenant that issues tokens and owns the app registrations."),
        namePrefix: z
            .string()
            .regex(/^[a-z][a-z0-9]{1,7}$/, { error: "expected 2-8 lower-case letters or digits, starting with a letter" })
            .default("aml")
            .describe("Short prefix for resource names."),
        tags: z.record(z.string().min(1).max(512), z.string().max(256)).default({}).describe("Extra Azure tags on every resource."),
        network: networkSchema,
        cluster: clusterSchema,
        keyVault: keyVaultSchema,
        monitoring: monitoringSchema,
        ml: mlSchema,
        edge: edgeSchema,
        mesh: meshSchema,
        access: accessSchema,
        routes: z.array(routeSchema).default([]).describe("Protected routes published at the edge."),
        teams: z.array(teamSchema).default([]).describe("Teams onboarded onto the platform: their namespaces, edge prefixes, Kubernetes access and managed identity."),
    });

export type StackConfig = z.infer<typeof stackConfigSchema>;
export type Caller = StackConfig["access"]["callers"][number];
export type CallerKind = Caller["kind"];
export type RouteConfig = StackConfig["routes"][number];
export type EnvironmentName = StackConfig["environment"];
export type TeamConfig = StackConfig["teams"][number];

/**
 * Namespaces teams may not take: Kubernetes' own, the mesh's, and the platform's (the edge, the
 * authorizer and the Azure ML extension; a test keeps this list equal to what the program uses).
 */
export const RESERVED_NAMESPACES: readonly string[] = ["default", "kube-system", "kube-public", "kube-node-lease", "linkerd", "linkerd-viz", "nginx-ingress", "edge-authorizer", "azureml"];
/** Federated identity credentials Azure allows on one user-assigned managed identity. */
export const MAX_FEDERATED_CREDENTIALS = 20;

/** NGINX matches prefixes as strings: `/a` also serves `/ab`, so two prefixes overlap when one starts the other. */
export function prefixesOverlap(a: string, b: string): boolean {
    return a.startsWith(b) || b.startsWith(a);
}

// ---------------------------------------------------------------------------------------------
// Cross-field rules: they run only once every field has the right shape.
// ---------------------------------------------------------------------------------------------

function crossFieldProblems(c: StackConfig, today: Date): ConfigProblem[] {
    const problems: ConfigProblem[] = [];
    const fail = (path: (string | number)[], message: string) => problems.push({ key: keyOf(path), message });
    const prod = c.environment === "prod";
    const nonDev = c.environment !== "dev";

    const kubernetes = kubernetesVersionProblem(c.cluster.kubernetesVersion, today);
    if (kubernetes) fail(["cluster", "kubernetesVersion"], kubernetes);

    // Network: subnets inside the address space and pairwise disjoint; overlay ranges outside it.
    const space = parseIpv4Block(c.network.addressSpace)!;
    const subnets = Object.entries(c.network.subnets).map(([key, text]) => ({ key, block: parseIpv4Block(text)! }));
    for (const { key, block } of subnets) {
        if (!blockContains(space, block)) {
            fail(["network", "subnets", key], `${block.text} is outside the address space ${space.text}`);
        }
    }
    for (let i = 0; i < subnets.length; i++) {
        for (let j = i + 1; j < subnets.length; j++) {
            if (blocksOverlap(subnets[i].block, subnets[j].block)) {
                fail(["network", "subnets", subnets[j].key], `${subnets[j].block.text} overlaps subnet ${subnets[i].key} (${subnets[i].block.text})`);
            }
        }
    }
    const pods = parseIpv4Block(c.network.podCidr)!;
    const services = parseIpv4Block(c.network.serviceCidr)!;
    if (blocksOverlap(pods, space)) fail(["network", "podCidr"], `${pods.text} overlaps the VNet address space ${space.text}`);
    if (blocksOverlap(services, space)) fail(["network", "serviceCidr"], `${services.text} overlaps the VNet address space ${space.text}`);
    if (blocksOverlap(services, pods)) fail(["network", "serviceCidr"], `${services.text} overlaps the pod CIDR ${pods.text}`);
    // The hub is peered with the VNet; pods and services are NATed but must still not shadow it.
    const hub = parseIpv4Block(c.network.hubAddressSpace)!;
    if (hub.prefix > 26) fail(["network", "hubAddressSpace"], `${hub.text} is too small: the hub holds a runner subnet and a private-endpoint subnet (at least a /26)`);
    for (const [key, block] of [["addressSpace", space], ["podCidr", pods], ["serviceCidr", services]] as const) {
        if (blocksOverlap(hub, block)) fail(["network", "hubAddressSpace"], `${hub.text} overlaps network.${key} ${block.text}`);
    }
    if (!addressInBlock(c.network.dnsServiceIp, services)) {
        fail(["network", "dnsServiceIp"], `${c.network.dnsServiceIp} is outside serviceCidr ${services.text}`);
    }

    // A trusted proxy range that covers clients would let them choose their own address.
    c.edge.clientAddress.trustedProxies.forEach((text, i) => {
        const block = parseIpv4Block(text)!;
        if (block.prefix < 8) fail(["edge", "clientAddress", "trustedProxies", i], `${text} is too broad to trust forwarded client addresses from; name the gateway's subnet`);
    });

    // Cluster sizing and exposure.
    for (const pool of ["systemPool", "userPool"] as const) {
        const { minCount, maxCount } = c.cluster[pool];
        if (minCount > maxCount) fail(["cluster", pool, "minCount"], `minCount ${minCount} is above maxCount ${maxCount}`);
    }
    if (c.cluster.apiServer.access === "public" && c.cluster.apiServer.authorizedRanges.length === 0 && nonDev) {
        fail(["cluster", "apiServer", "authorizedRanges"], `a public API server in ${c.environment} needs authorizedRanges (or set access: private)`);
    }
    if (c.cluster.apiServer.access === "private" && c.cluster.apiServer.authorizedRanges.length > 0) {
        fail(["cluster", "apiServer", "authorizedRanges"], "authorizedRanges have no effect on a private API server; remove them");
    }
    if (prod) {
        if (c.cluster.availabilityZones.length < 2) fail(["cluster", "availabilityZones"], "prod spreads node pools over at least two zones");
        if (c.cluster.systemPool.minCount < 2) fail(["cluster", "systemPool", "minCount"], "prod runs at least two system nodes");
        if (c.cluster.skuTier === "Free") fail(["cluster", "skuTier"], "prod needs the uptime SLA: Standard or Premium");
    }
    if (new Set(c.cluster.availabilityZones).size !== c.cluster.availabilityZones.length) {
        fail(["cluster", "availabilityZones"], "zones are listed more than once");
    }

    // Data plane exposure by environment.
    if (nonDev && c.network.developerIpRanges.length > 0) {
        fail(["network", "developerIpRanges"], `Key Vault and the registry have no public endpoint in ${c.environment}; developer ranges apply to dev only`);
    }
    if (nonDev && c.ml.publicNetworkAccess === "Enabled") {
        fail(["ml", "publicNetworkAccess"], `public network access must be Disabled in ${c.environment}`);
    }
    // FQDN rules exist only in the approved-outbound mode; with internet outbound they are refused.
    if (c.ml.isolationMode !== "AllowOnlyApprovedOutbound" && c.ml.approvedOutboundFqdns.length > 0) {
        fail(["ml", "approvedOutboundFqdns"], `outbound FQDN rules apply only with isolationMode AllowOnlyApprovedOutbound (this stack: ${c.ml.isolationMode})`);
    }
    const seenFqdns = new Set<string>();
    c.ml.approvedOutboundFqdns.forEach((fqdn, i) => {
        if (seenFqdns.has(fqdn)) fail(["ml", "approvedOutboundFqdns", i], `${fqdn} is listed twice`);
        seenFqdns.add(fqdn);
    });
    if (prod && c.ml.isolationMode !== "AllowOnlyApprovedOutbound") {
        fail(["ml", "isolationMode"], "prod allows only approved outbound traffic");
    }
    if (prod && !c.ml.highBusinessImpact) fail(["ml", "highBusinessImpact"], "prod workspaces are HBI");

    // Availability of the edge and the mesh.
    if (nonDev && c.edge.controllerReplicas < 2) fail(["edge", "controllerReplicas"], `${c.environment} runs at least two ingress replicas`);
    if (c.edge.authorizer.digest === undefined && c.edge.authorizer.image === undefined) {
        fail(["edge", "authorizer", "digest"], "is required: build and push the authorizer (`npm run image:pin` prints the steps) and pin its digest");
    }
    if (nonDev && c.edge.authorizer.replicas < 2) fail(["edge", "authorizer", "replicas"], `${c.environment} runs at least two authorizer replicas`);
    if (prod && !c.mesh.highAvailability) fail(["mesh", "highAvailability"], "prod runs the Linkerd control plane in HA mode");
    const pki = c.mesh.pki;
    if (pki.issuerRenewBeforeDays >= pki.issuerValidityDays) {
        fail(["mesh", "pki", "issuerRenewBeforeDays"], `must be below issuerValidityDays (${pki.issuerValidityDays})`);
    }
    if (pki.anchors.alsoTrusted === pki.anchors.active) {
        fail(["mesh", "pki", "anchors", "alsoTrusted"], `must name the other slot than active (${pki.anchors.active})`);
    }
    if (pki.issuerValidityDays > pki.anchorValidityDays) {
        fail(["mesh", "pki", "issuerValidityDays"], `the issuer cannot outlive the trust anchor (${pki.anchorValidityDays} days)`);
    }

    // Access matrix: every named role exists; names and identities are unique.
    const roles = new Set(Object.keys(c.access.roles));
    const known = [...roles].join(", ");
    const seenCallers = new Set<string>();
    const seenAccounts = new Set<string>();
    c.access.callers.forEach((caller, i) => {
        if (seenCallers.has(caller.name)) fail(["access", "callers", i, "name"], `caller name ${caller.name} is used twice`);
        seenCallers.add(caller.name);
        caller.roles.forEach((role, j) => {
            if (!roles.has(role)) fail(["access", "callers", i, "roles", j], `role ${role} is not defined in access.roles (defined: ${known})`);
        });
        if (caller.kind === "ci-pipeline" && new URL(caller.federation.issuer).hostname === new URL(GITHUB_ACTIONS_ISSUER).hostname && !GITHUB_ENVIRONMENT_SUBJECT.test(caller.federation.subject)) {
            // Only environment subjects are gated by the environment's protection rules (reviewers, branches).
            fail(
                ["access", "callers", i, "federation", "subject"],
                `${caller.federation.subject} is not a GitHub environment subject; expected repo:<owner>/<repo>:environment:<environment>, so only jobs of that environment (behind its protection rules) get this identity`,
            );
        }
        if (caller.kind === "workload") {
            const account = `${caller.namespace}/${caller.serviceAccount}`;
            if (seenAccounts.has(account)) fail(["access", "callers", i, "serviceAccount"], `service account ${account} belongs to another caller`);
            seenAccounts.add(account);
        }
    });
    // People get user tokens only for an API that exposes a delegated scope, through a client
    // that is allowed to ask for it; route scopes must be ones the API exposes.
    const scopes = new Set(Object.keys(c.access.scopes));
    const knownScopes = [...scopes].join(", ") || "none";
    const seenClients = new Set<string>();
    c.access.preAuthorizedClients.forEach((client, i) => {
        if (seenClients.has(client.name)) fail(["access", "preAuthorizedClients", i, "name"], `client name ${client.name} is used twice`);
        seenClients.add(client.name);
        client.scopes.forEach((scope, j) => {
            if (!scopes.has(scope)) fail(["access", "preAuthorizedClients", i, "scopes", j], `scope ${scope} is not defined in access.scopes (defined: ${knownScopes})`);
        });
    });
    const people = c.access.callers.findIndex((caller) => caller.kind === "group");
    if (people >= 0 && (scopes.size === 0 || c.access.preAuthorizedClients.length === 0)) {
        fail(
            ["access", "callers", people],
            "a group caller's members need user tokens: define a delegated scope in access.scopes and a client that may request it in access.preAuthorizedClients (e.g. Azure CLI, 04b07795-8ddb-461a-bbee-02f9e1bf7b46)",
        );
    }
    if (c.access.callers.filter((caller) => caller.kind === "aml-job").length > 1) {
        fail(["access", "callers"], "only one aml-job caller may exist: AML jobs share the compute cluster identity");
    }
    const seenRoutes = new Set<string>();
    const seenPaths = new Set<string>();
    c.routes.forEach((route, i) => {
        if (seenRoutes.has(route.name)) fail(["routes", i, "name"], `route name ${route.name} is used twice`);
        seenRoutes.add(route.name);
        const where = `${route.host ?? c.edge.hostName}${route.path}`;
        if (seenPaths.has(where)) fail(["routes", i, "path"], `${where} is published by another route`);
        seenPaths.add(where);
        route.roles.forEach((role, j) => {
            if (!roles.has(role)) fail(["routes", i, "roles", j], `role ${role} is not defined in access.roles (defined: ${known})`);
        });
        route.scopes.forEach((scope, j) => {
            if (!scopes.has(scope)) fail(["routes", i, "scopes", j], `scope ${scope} is not exposed by the API, so no token can carry it (access.scopes: ${knownScopes})`);
        });
        if (route.backend.namespace === c.ml.kubernetesNamespace) {
            fail(["routes", i, "backend", "namespace"], `${route.backend.namespace} is the Azure ML namespace; the inference router is published by the platform`);
        }
        // The platform publishes the inference router itself, under a reserved name and path.
        if (route.name === INFERENCE_ROUTE.name) fail(["routes", i, "name"], `${route.name} is the name of the Azure ML inference route; choose another`);
        const host = route.host ?? c.edge.hostName;
        if (host === c.edge.hostName && (route.path === INFERENCE_ROUTE.path || route.path.startsWith(`${INFERENCE_ROUTE.path}/`))) {
            fail(["routes", i, "path"], `${host}${route.path} is reserved for the Azure ML inference router (${INFERENCE_ROUTE.path})`);
        }
    });
    problems.push(...teamProblems(c));
    // Linkerd refuses two Servers on the same pods and port, and the names are object names.
    const webhookNames = new Set<string>();
    const webhookPorts = new Set<string>();
    c.ml.extensionWebhooks.forEach((webhook, i) => {
        if (webhookNames.has(webhook.name)) fail(["ml", "extensionWebhooks", i, "name"], `webhook name ${webhook.name} is used twice`);
        webhookNames.add(webhook.name);
        // The proxy's own ports: the admin port has its own Server (monitoring.scraper), and opening either by network would bypass the mesh.
        if (["linkerd-admin", "linkerd-proxy", 4191, 4143].includes(webhook.port)) {
            fail(["ml", "extensionWebhooks", i, "port"], `${webhook.port} is a port of the Linkerd proxy, not of a webhook; use the webhook Service's targetPort`);
        }
        const key = JSON.stringify([Object.entries(webhook.podSelector).sort(), webhook.port]);
        if (webhookPorts.has(key)) fail(["ml", "extensionWebhooks", i, "port"], `another webhook already selects the same pods and port ${webhook.port}`);
        webhookPorts.add(key);
    });
    const inferenceRolesMissing = INFERENCE_ROUTE.roles.filter((role) => !roles.has(role));
    if (inferenceRolesMissing.length > 0) {
        fail(["access", "roles"], `the Azure ML inference route requires the app role ${inferenceRolesMissing.join(", ")}; define it (defined: ${known})`);
    }
    return problems;
}

/** Teams: unique names and namespaces, nothing of the platform's, prefixes that overlap nothing. */
function teamProblems(c: StackConfig): ConfigProblem[] {
    const problems: ConfigProblem[] = [];
    const fail = (path: (string | number)[], message: string) => problems.push({ key: keyOf(path), message });
    const platformNamespaces = new Map<string, string>([[c.ml.kubernetesNamespace, "the Azure ML namespace"]]);
    c.routes.forEach((route) => platformNamespaces.set(route.backend.namespace, `the namespace of platform route ${route.name}`));
    c.access.callers.forEach((caller) => {
        if (caller.kind === "workload") platformNamespaces.set(caller.namespace, `the namespace of caller ${caller.name}`);
    });
    // Every path the platform itself publishes on the edge host.
    const platformPaths = [
        ...c.routes.filter((route) => (route.host ?? c.edge.hostName) === c.edge.hostName).map((route) => ({ path: route.path, owner: `platform route ${route.name}` })),
        { path: INFERENCE_ROUTE.path, owner: "the Azure ML inference route" },
    ];
    const teamNames = new Set<string>();
    const namespaceOwner = new Map<string, string>();
    const teamPaths: { path: string; owner: string }[] = [];
    c.teams.forEach((team, t) => {
        if (teamNames.has(team.name)) fail(["teams", t, "name"], `team name ${team.name} is used twice`);
        teamNames.add(team.name);
        team.namespaces.forEach((namespace, n) => {
            const at = ["teams", t, "namespaces", n];
            if (RESERVED_NAMESPACES.includes(namespace) || namespace.startsWith("kube-") || namespace.startsWith("linkerd-")) fail(at, `${namespace} is reserved for the cluster or the platform`);
            const platform = platformNamespaces.get(namespace);
            if (platform) fail(at, `${namespace} is ${platform}`);
            const owner = namespaceOwner.get(namespace);
            if (owner !== undefined) fail(at, `${namespace} already belongs to team ${owner}`);
            namespaceOwner.set(namespace, team.name);
        });
        const own = new Set(team.namespaces);
        const routes = new Set<string>();
        team.prefixes.forEach((prefix, p) => {
            const at = ["teams", t, "prefixes", p];
            if (!own.has(prefix.namespace)) fail([...at, "namespace"], `${prefix.namespace} is not one of the team's namespaces (${team.namespaces.join(", ")})`);
            const route = `${prefix.namespace}/${prefix.route}`;
            if (routes.has(route)) fail([...at, "route"], `${route} is delegated twice; one VirtualServerRoute per prefix`);
            routes.add(route);
            if (prefix.path === "/") fail([...at, "path"], "the whole host cannot be delegated to a team");
            for (const other of [...platformPaths, ...teamPaths]) {
                if (prefixesOverlap(prefix.path, other.path)) fail([...at, "path"], `${prefix.path} overlaps ${other.path} of ${other.owner}`);
            }
            teamPaths.push({ path: prefix.path, owner: `team ${team.name}` });
        });
        if (team.workloadServiceAccounts.length > MAX_FEDERATED_CREDENTIALS) {
            fail(["teams", t, "workloadServiceAccounts"], `${team.workloadServiceAccounts.length} ServiceAccounts, but one managed identity takes at most ${MAX_FEDERATED_CREDENTIALS} federated credentials`);
        }
        const accounts = new Set<string>();
        team.workloadServiceAccounts.forEach((account, a) => {
            const at = ["teams", t, "workloadServiceAccounts", a];
            if (!own.has(account.namespace)) fail([...at, "namespace"], `${account.namespace} is not one of the team's namespaces (${team.namespaces.join(", ")})`);
            const key = `${account.namespace}/${account.serviceAccount}`;
            if (accounts.has(key)) fail([...at, "serviceAccount"], `${key} is listed twice`);
            accounts.add(key);
        });
    });
    return problems;
}

// ---------------------------------------------------------------------------------------------
// Kubernetes version: the support calendar and the tested range live in components/versions.ts.
// ---------------------------------------------------------------------------------------------

const minorOf = (version: string) => version.split(".").slice(0, 2).join(".");
const minorNumber = (minor: string) => Number(minor.split(".")[1]);
/** A calendar date as the end of that day in UTC, so a version is supported through its last day. */
const endOfDay = (isoDate: string) => new Date(`${isoDate}T23:59:59.999Z`);
const EXPIRY_WARNING_DAYS = 60;

/** Why a Kubernetes version cannot be used on `today`, or undefined when it can. */
function kubernetesVersionProblem(version: string, today: Date): string | undefined {
    const minor = minorOf(version);
    const supported = Object.entries(AKS_KUBERNETES_CALENDAR)
        .filter(([candidate, entry]) => endOfDay(entry.endOfStandardSupport) >= today && inTestedRange(candidate))
        .map(([candidate, entry]) => `${candidate} (until ${entry.endOfStandardSupport})`);
    const choose = supported.length > 0 ? `; choose ${supported.join(" or ")}` : "";
    const entry = AKS_KUBERNETES_CALENDAR[minor];
    if (!entry) return `got "${version}", Kubernetes ${minor} is not in the AKS support calendar (components/versions.ts)${choose}`;
    if (endOfDay(entry.endOfStandardSupport) < today) {
        return `got "${version}", Kubernetes ${minor} left AKS standard support on ${entry.endOfStandardSupport}${choose}`;
    }
    if (!inTestedRange(minor)) {
        return `got "${version}", Kubernetes ${minor} is outside ${KUBERNETES_TESTED_RANGE.min} to ${KUBERNETES_TESTED_RANGE.max}, the versions the pinned components are tested on (${KUBERNETES_TESTED_RANGE.limitedBy})${choose}`;
    }
    return undefined;
}

function inTestedRange(minor: string): boolean {
    const n = minorNumber(minor);
    return n >= minorNumber(KUBERNETES_TESTED_RANGE.min) && n <= minorNumber(KUBERNETES_TESTED_RANGE.max);
}

/** A warning when the stack's Kubernetes version leaves standard support within 60 days. */
export function kubernetesSupportWarning(config: StackConfig, today = new Date()): string | undefined {
    const minor = minorOf(config.cluster.kubernetesVersion);
    const end = AKS_KUBERNETES_CALENDAR[minor]?.endOfStandardSupport;
    if (!end) return undefined;
    const daysLeft = Math.ceil((endOfDay(end).getTime() - today.getTime()) / 86_400_000);
    if (daysLeft > EXPIRY_WARNING_DAYS) return undefined;
    return `Kubernetes ${minor} leaves AKS standard support on ${end} (${daysLeft} days): plan the upgrade; after that date this config is refused`;
}

// ---------------------------------------------------------------------------------------------
// Parsing and error reporting
// ---------------------------------------------------------------------------------------------

/** One problem in the stack configuration, already phrased for the person who wrote it. */
export interface ConfigProblem {
    /** Full key path as written in the stack file, e.g. `amlmesh:network.subnets.aksNodes`. */
    key: string;
    message: string;
}

export class ConfigError extends Error {
    constructor(readonly problems: ConfigProblem[]) {
        super(
            `Invalid stack configuration (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n` +
                problems.map((p) => `  - ${p.key}: ${p.message}`).join("\n"),
        );
        this.name = "ConfigError";
    }
}

/**
 * Validates the raw config map the Pulumi engine hands the program (`namespace:key` → string;
 * structured values arrive as JSON text) and returns the typed config, or throws ConfigError.
 * `today` decides which Kubernetes versions are still in standard support (tests pin it).
 */
export function parseStackConfig(raw: Record<string, string>, options: { today?: Date } = {}): StackConfig {
    const problems: ConfigProblem[] = [];
    const ours: Record<string, unknown> = {};
    for (const [fullKey, text] of Object.entries(raw)) {
        const separator = fullKey.indexOf(":");
        const namespace = separator < 0 ? "" : fullKey.slice(0, separator);
        const key = fullKey.slice(separator + 1);
        if (namespace !== CONFIG_NAMESPACE) {
            if (!FOREIGN_NAMESPACES.has(namespace)) {
                const hint = distance(namespace, CONFIG_NAMESPACE) <= 3 ? ` (did you mean ${CONFIG_NAMESPACE}:${key}?)` : "";
                problems.push({ key: fullKey, message: `unknown config namespace '${namespace}'${hint}` });
            }
            continue;
        }
        ours[key] = decodeConfigValue(text);
    }
    const result = stackConfigSchema.safeParse(ours, { reportInput: true });
    if (!result.success) problems.push(...result.error.issues.flatMap(describeIssue));
    else problems.push(...crossFieldProblems(result.data, options.today ?? new Date()));
    if (problems.length > 0) throw new ConfigError(problems);
    return result.data!;
}

/** Reads the config of the running stack (the real program, or the offline plan under mocks). */
export function loadStackConfig(): StackConfig {
    return parseStackConfig(pulumi.runtime.allConfig());
}

/** The engine passes objects and arrays as JSON text and scalars as plain text. */
export function decodeConfigValue(text: string): unknown {
    const trimmed = text.trimStart();
    if (trimmed.startsWith("{") || trimmed.startsWith("[")) {
        try {
            return JSON.parse(text);
        } catch {
            return text; // the schema then reports the key as a string where an object was expected
        }
    }
    return text;
}

function keyOf(path: PropertyKey[]): string {
    let key = CONFIG_NAMESPACE + ":";
    path.forEach((segment, i) => {
        if (typeof segment === "number") key += `[${segment}]`;
        else key += (i === 0 ? "" : ".") + String(segment);
    });
    return key;
}

function show(value: unknown): string {
    if (value === undefined) return "nothing";
    const text = JSON.stringify(value);
    return text.length > 80 ? text.slice(0, 77) + "..." : text;
}

function describeIssue(issue: z.core.$ZodIssue): ConfigProblem[] {
    const path = issue.path;
    switch (issue.code) {
        case "unrecognized_keys": {
            const known = knownKeysAt(path);
            return issue.keys.map((unknownKey) => {
                const suggestion = closest(unknownKey, known);
                const hint = suggestion ? `did you mean '${suggestion}'?` : `known keys here: ${known.join(", ")}`;
                return { key: keyOf([...path, unknownKey]), message: `unknown key (${hint})` };
            });
        }
        case "invalid_type":
            if (issue.input === undefined) return [{ key: keyOf(path), message: `is required (expected ${issue.expected})` }];
            return [{ key: keyOf(path), message: `got ${show(issue.input)}, expected ${issue.expected}` }];
        case "invalid_value":
            if (issue.input === undefined) return [{ key: keyOf(path), message: `is required (expected one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")})` }];
            return [{ key: keyOf(path), message: `got ${show(issue.input)}, expected one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}` }];
        case "too_small":
        case "too_big": {
            const bound = issue.code === "too_small" ? issue.minimum : issue.maximum;
            const relation = issue.code === "too_small" ? (issue.inclusive ? "at least" : "more than") : issue.inclusive ? "at most" : "less than";
            const unit = issue.origin === "array" || issue.origin === "set" ? " item(s)" : issue.origin === "string" ? " character(s)" : "";
            const custom = issue.message.startsWith("Too ") ? "" : ` (${issue.message})`;
            return [{ key: keyOf(path), message: `got ${show(issue.input)}, expected ${relation} ${String(bound)}${unit}${custom}` }];
        }
        case "invalid_union":
            if (issue.discriminator) {
                // Zod may point the path at the discriminator already; the input is the whole object.
                const atDiscriminator = path[path.length - 1] === issue.discriminator;
                const input = issue.input;
                const given = typeof input === "object" && input !== null ? (input as Record<string, unknown>)[issue.discriminator] : input;
                return [{ key: keyOf(atDiscriminator ? path : [...path, issue.discriminator]), message: `got ${show(given)}, ${issue.message}` }];
            }
            return [{ key: keyOf(path), message: `got ${show(issue.input)}, ${issue.message}` }];
        case "invalid_key":
            return issue.issues.flatMap((inner) => describeIssue({ ...inner, path: [...path, ...inner.path] }));
        default:
            return [{ key: keyOf(path), message: issue.input === undefined || issue.code === "custom" ? issue.message : `got ${show(issue.input)}, ${issue.message}` }];
    }
}

/** Walks the schema along a config path to list the keys an object accepts there. */
function knownKeysAt(path: PropertyKey[]): string[] {
    let schema: z.core.$ZodType = stackConfigSchema;
    for (const segment of [...path, null]) {
        // Unwrap wrappers (defaults, optionals, refinements) and step into containers.
        for (;;) {
            const def = schema._zod.def as unknown as { type: string; innerType?: z.core.$ZodType; in?: z.core.$ZodType };
            if ((def.type === "default" || def.type === "optional" || def.type === "prefault") && def.innerType) schema = def.innerType;
            else if (def.type === "pipe" && def.in) schema = def.in;
            else break;
        }
        const def = schema._zod.def as unknown as {
            type: string;
            shape?: Record<string, z.core.$ZodType>;
            element?: z.core.$ZodType;
            valueType?: z.core.$ZodType;
            options?: z.core.$ZodType[];
        };
        if (segment === null) {
            if (def.type === "object" && def.shape) return Object.keys(def.shape);
            if (def.type === "union" && def.options) {
                return [...new Set(def.options.flatMap((option) => Object.keys((option._zod.def as unknown as { shape?: object }).shape ?? {})))];
            }
            return [];
        }
        if (def.type === "object" && def.shape && typeof segment === "string") schema = def.shape[segment];
        else if (def.type === "array" && def.element) schema = def.element;
        else if (def.type === "record" && def.valueType) schema = def.valueType;
        else return [];
        if (!schema) return [];
    }
    return [];
}

function closest(word: string, candidates: string[]): string | undefined {
    let best: string | undefined;
    let bestDistance = Infinity;
    for (const candidate of candidates) {
        const d = distance(word.toLowerCase(), candidate.toLowerCase());
        if (d < bestDistance) {
            best = candidate;
            bestDistance = d;
        }
    }
    return best !== undefined && bestDistance <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

// ---------------------------------------------------------------------------------------------
// Placeholders
// ---------------------------------------------------------------------------------------------

/**
 * Values the shipped stack files carry until a platform engineer fills them in. They validate
 * (so the offline plan runs), but `pulumi up` refuses to deploy them.
 */
/** The OIDC issuer of GitHub Actions tokens. */
export const GITHUB_ACTIONS_ISSUER = "https://token.actions.githubusercontent.com";
/** The `sub` claim of a job that runs in a GitHub environment. */
const GITHUB_ENVIRONMENT_SUBJECT = /^repo:[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+:environment:[^:\s]+$/;

export const PLACEHOLDER_GUID_PREFIX = "00000000-0000-0000-0000-";
/** An all-zero digest stands in for the first build of the edge authorizer. */
export const PLACEHOLDER_DIGEST = `sha256:${"0".repeat(64)}`;
const PLACEHOLDER_HOST = /(^|\.)example\.(com|net|org)$/;
/** GitHub subjects under Microsoft's fictional Contoso stand in for the team's own repository. */
const PLACEHOLDER_REPOSITORY = /^repo:contoso\//;
/** RFC 5737 documentation ranges stand in for real office or VPN egress ranges. */
const PLACEHOLDER_RANGES = ["192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24"].map((text) => parseIpv4Block(text)!);

function isPlaceholderRange(text: string): boolean {
    const block = parseIpv4Block(text);
    return block !== undefined && PLACEHOLDER_RANGES.some((range) => blockContains(range, block));
}

/** Lists the config keys that still hold a placeholder. */
export function findPlaceholders(config: StackConfig): string[] {
    const found: string[] = [];
    if (config.tenantId.startsWith(PLACEHOLDER_GUID_PREFIX)) found.push(keyOf(["tenantId"]));
    config.cluster.adminGroupObjectIds.forEach((id, i) => {
        if (id.startsWith(PLACEHOLDER_GUID_PREFIX)) found.push(keyOf(["cluster", "adminGroupObjectIds", i]));
    });
    if (PLACEHOLDER_HOST.test(config.edge.hostName)) found.push(keyOf(["edge", "hostName"]));
    config.cluster.apiServer.authorizedRanges.forEach((range, i) => {
        if (isPlaceholderRange(range)) found.push(keyOf(["cluster", "apiServer", "authorizedRanges", i]));
    });
    config.network.developerIpRanges.forEach((range, i) => {
        if (isPlaceholderRange(range)) found.push(keyOf(["network", "developerIpRanges", i]));
    });
    config.access.callers.forEach((caller, i) => {
        if (caller.kind === "group" && caller.objectId.startsWith(PLACEHOLDER_GUID_PREFIX)) found.push(keyOf(["access", "callers", i, "objectId"]));
        if (caller.kind === "ci-pipeline" || caller.kind === "external-app") {
            if (PLACEHOLDER_HOST.test(new URL(caller.federation.issuer).hostname)) found.push(keyOf(["access", "callers", i, "federation", "issuer"]));
            // A real issuer (GitHub's) with a stand-in repository would trust someone else's workflows.
            if (PLACEHOLDER_REPOSITORY.test(caller.federation.subject)) found.push(keyOf(["access", "callers", i, "federation", "subject"]));
        }
    });
    config.routes.forEach((route, i) => {
        if (route.host && PLACEHOLDER_HOST.test(route.host)) found.push(keyOf(["routes", i, "host"]));
    });
    if (config.edge.authorizer.digest === PLACEHOLDER_DIGEST) found.push(keyOf(["edge", "authorizer", "digest"]));
    config.teams.forEach((team, i) => {
        if (team.groupObjectId.startsWith(PLACEHOLDER_GUID_PREFIX)) found.push(keyOf(["teams", i, "groupObjectId"]));
    });
    return found;
}
