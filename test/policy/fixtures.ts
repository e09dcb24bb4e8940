/**
 * Compliant resources of every kind the rules check, in the shape the program declares them.
 * A test takes one, breaks exactly one property, and expects exactly that rule to object.
 */
import type { CapturedResource } from "../../offline/document";
import { resource, urnOf, type ResourceExtras } from "./helpers";

export const T = {
    stack: "pulumi:pulumi:Stack",
    resourceGroup: "azure-native:resources:ResourceGroup",
    cluster: "azure-native:containerservice:ManagedCluster",
    vault: "azure-native:keyvault:Vault",
    storage: "azure-native:storage:StorageAccount",
    registry: "azure-native:containerregistry:Registry",
    workspace: "azure-native:machinelearningservices:Workspace",
    compute: "azure-native:machinelearningservices:Compute",
    extension: "azure-native:kubernetesconfiguration:Extension",
    roleAssignment: "azure-native:authorization:RoleAssignment",
    diagnosticSetting: "azure-native:monitor:DiagnosticSetting",
    logAnalytics: "azure-native:operationalinsights:Workspace",
    application: "azuread:index/application:Application",
    servicePrincipal: "azuread:index/servicePrincipal:ServicePrincipal",
    applicationPassword: "azuread:index/applicationPassword:ApplicationPassword",
    servicePrincipalPassword: "azuread:index/servicePrincipalPassword:ServicePrincipalPassword",
    namespace: "kubernetes:core/v1:Namespace",
    service: "kubernetes:core/v1:Service",
    configMap: "kubernetes:core/v1:ConfigMap",
    pod: "kubernetes:core/v1:Pod",
    deployment: "kubernetes:apps/v1:Deployment",
    statefulSet: "kubernetes:apps/v1:StatefulSet",
    daemonSet: "kubernetes:apps/v1:DaemonSet",
    job: "kubernetes:batch/v1:Job",
    cronJob: "kubernetes:batch/v1:CronJob",
    ingress: "kubernetes:networking.k8s.io/v1:Ingress",
    release: "kubernetes:helm.sh/v3:Release",
    server: "kubernetes:policy.linkerd.io/v1beta3:Server",
    authorizationPolicy: "kubernetes:policy.linkerd.io/v1alpha1:AuthorizationPolicy",
    meshTlsAuthentication: "kubernetes:policy.linkerd.io/v1alpha1:MeshTLSAuthentication",
    httpRoute: "kubernetes:policy.linkerd.io/v1beta3:HTTPRoute",
    virtualServer: "kubernetes:k8s.nginx.org/v1:VirtualServer",
    virtualServerRoute: "kubernetes:k8s.nginx.org/v1:VirtualServerRoute",
    nginxPolicy: "kubernetes:k8s.nginx.org/v1:Policy",
} as const;

export const SUBSCRIPTION = "/subscriptions/11111111-2222-3333-4444-555555555555";
export const RESOURCE_GROUP_ID = `${SUBSCRIPTION}/resourceGroups/rg-aml-prod`;
export const TENANT = "00000000-0000-0000-0000-000000000000";
export const ROLE = {
    owner: `${SUBSCRIPTION}/providers/Microsoft.Authorization/roleDefinitions/8e3af657-a8ff-443c-a75c-2fe8c4bcb635`,
    contributor: `${SUBSCRIPTION}/providers/Microsoft.Authorization/roleDefinitions/b24988ac-6180-42a0-ab88-20f7382dd24c`,
    keyVaultSecretsUser: `${SUBSCRIPTION}/providers/Microsoft.Authorization/roleDefinitions/4633458b-17de-408a-b874-0445c86b69e6`,
};

type Inputs = Record<string, unknown>;

export function cluster(name = "aks", overrides: Inputs = {}, extras?: ResourceExtras): CapturedResource {
    return resource(
        T.cluster,
        name,
        {
            resourceGroupName: "rg-aml-prod",
            dnsPrefix: "aml",
            kubernetesVersion: "1.35",
            aadProfile: { managed: true, enableAzureRBAC: true, tenantID: TENANT },
            disableLocalAccounts: true,
            enableRBAC: true,
            oidcIssuerProfile: { enabled: true },
            securityProfile: { workloadIdentity: { enabled: true } },
            identity: { type: "SystemAssigned" },
            apiServerAccessProfile: { enablePrivateCluster: true },
            networkProfile: { networkPlugin: "azure", networkPluginMode: "overlay", networkPolicy: "cilium", networkDataplane: "cilium" },
            addonProfiles: { azureKeyvaultSecretsProvider: { enabled: true, config: { enableSecretRotation: "true", rotationPollInterval: "2m" } } },
            ...overrides,
        },
        extras,
    );
}

export function vault(name = "kv", properties: Inputs = {}, extras?: ResourceExtras): CapturedResource {
    return resource(
        T.vault,
        name,
        {
            resourceGroupName: "rg-aml-prod",
            properties: {
                tenantId: TENANT,
                sku: { family: "A", name: "standard" },
                enableRbacAuthorization: true,
                enablePurgeProtection: true,
                enableSoftDelete: true,
                softDeleteRetentionInDays: 90,
                publicNetworkAccess: "Disabled",
                networkAcls: { defaultAction: "Deny", bypass: "AzureServices" },
                ...properties,
            },
        },
        extras,
    );
}

export function storage(name = "st", overrides: Inputs = {}, extras?: ResourceExtras): CapturedResource {
    return resource(
        T.storage,
        name,
        {
            resourceGroupName: "rg-aml-prod",
            kind: "StorageV2",
            sku: { name: "Standard_ZRS" },
            enableHttpsTrafficOnly: true,
            minimumTlsVersion: "TLS1_2",
            allowBlobPublicAccess: false,
            allowSharedKeyAccess: false,
            defaultToOAuthAuthentication: true,
            publicNetworkAccess: "Disabled",
            networkRuleSet: { defaultAction: "Deny", bypass: "AzureServices" },
            ...overrides,
        },
        extras,
    );
}

export function registry(name = "acr", overrides: Inputs = {}, extras?: ResourceExtras): CapturedResource {
    return resource(
        T.registry,
        name,
        { resourceGroupName: "rg-aml-prod", sku: { name: "Premium" }, adminUserEnabled: false, anonymousPullEnabled: false, publicNetworkAccess: "Disabled", ...overrides },
        extras,
    );
}

export function workspace(name = "mlw", overrides: Inputs = {}, extras?: ResourceExtras): CapturedResource {
    return resource(
        T.workspace,
        name,
        {
            resourceGroupName: "rg-aml-prod",
            identity: { type: "SystemAssigned" },
            publicNetworkAccess: "Disabled",
            systemDatastoresAuthMode: "identity",
            hbiWorkspace: true,
            managedNetwork: { isolationMode: "AllowOnlyApprovedOutbound" },
            ...overrides,
        },
        extras,
    );
}

/** A diagnostic setting on `target`, linked the way the program links it (resourceUri from target.id). */
export function diagnosticSetting(target: CapturedResource, overrides: Inputs = {}, stack = "prod"): CapturedResource {
    return resource(
        T.diagnosticSetting,
        `${target.name}-diag`,
        { resourceUri: "04da6b54-80e4-46f7-96ec-b56ff0331ba9", workspaceId: "04da6b54-80e4-46f7-96ec-b56ff0331ba9", logs: [{ categoryGroup: "audit", enabled: true }], ...overrides },
        { stack, propertyDependencies: { resourceUri: [target.urn], workspaceId: [urnOf(T.logAnalytics, "law", stack)] } },
    );
}

export function namespace(name: string, annotations: Record<string, string> = { "linkerd.io/inject": "enabled", "config.linkerd.io/default-inbound-policy": "deny" }, extras?: ResourceExtras): CapturedResource {
    return resource(T.namespace, name, { apiVersion: "v1", kind: "Namespace", metadata: { name, annotations } }, extras);
}

export function secureContainer(overrides: Inputs = {}): Inputs {
    return {
        name: "app",
        image: "acramlprod.azurecr.io/edge-authorizer:1.4.2@sha256:3b5b2a8f6c1d4e7f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f",
        ports: [{ containerPort: 8080 }],
        securityContext: { runAsNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, privileged: false, capabilities: { drop: ["ALL"] } },
        resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "500m", memory: "256Mi" } },
        env: [{ name: "AZURE_CLIENT_ID", value: "a1b2c3d4-0000-4000-8000-000000000001" }],
        ...overrides,
    };
}

export function podSpec(containers: Inputs[] = [secureContainer()], overrides: Inputs = {}): Inputs {
    return { serviceAccountName: "app", securityContext: { runAsNonRoot: true, runAsUser: 10001 }, containers, ...overrides };
}

export function deployment(name = "app", ns = "models", spec: Inputs = podSpec(), templateAnnotations: Record<string, string> = {}, extras?: ResourceExtras): CapturedResource {
    return resource(
        T.deployment,
        name,
        {
            apiVersion: "apps/v1",
            kind: "Deployment",
            metadata: { name, namespace: ns },
            spec: {
                replicas: 2,
                selector: { matchLabels: { app: name } },
                template: { metadata: { labels: { app: name, "azure.workload.identity/use": "true" }, annotations: templateAnnotations }, spec },
            },
        },
        extras,
    );
}

export function nginxPolicy(name: string, spec: Inputs, ns = "edge"): CapturedResource {
    return resource(T.nginxPolicy, name, { apiVersion: "k8s.nginx.org/v1", kind: "Policy", metadata: { name, namespace: ns }, spec });
}

export const externalAuthSpec = { externalAuth: { authServiceName: "edge/edge-authorizer", authURI: "/authorize", authServicePorts: [8080] } };
export const rateLimitSpec = { rateLimit: { rate: "100r/s", key: "${binary_remote_addr}", zoneSize: "10M", burst: 200 } };

export function virtualServer(name: string, spec: Inputs, ns = "edge", extras?: ResourceExtras): CapturedResource {
    return resource(T.virtualServer, name, { apiVersion: "k8s.nginx.org/v1", kind: "VirtualServer", metadata: { name, namespace: ns }, spec }, extras);
}

export function stackOutputs(outputs: Inputs, stack = "prod"): CapturedResource {
    return resource(T.stack, `amlmesh-${stack}`, outputs, { stack, custom: false });
}
