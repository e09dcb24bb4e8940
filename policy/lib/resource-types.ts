/**
 * Resource type tokens the rules inspect, and the shape of each resource's inputs as a policy
 * sees them. The shapes come from the provider SDK typings through type-only imports (erased at
 * run time, so the pack never loads a provider SDK), which makes `tsc` reject a misspelt
 * property name. The F5 NGINX custom resources are typed from their upstream CRD schemas; the
 * Linkerd ones are read untyped, through the unknown-tolerant readers in `values.ts`.
 */
import type { Unwrap } from "@pulumi/pulumi";
import type { RoleAssignmentArgs } from "@pulumi/azure-native/authorization/roleAssignment";
import type { RegistryArgs } from "@pulumi/azure-native/containerregistry/registry";
import type { ManagedClusterArgs } from "@pulumi/azure-native/containerservice/managedCluster";
import type { VaultArgs } from "@pulumi/azure-native/keyvault/vault";
import type { ExtensionArgs } from "@pulumi/azure-native/kubernetesconfiguration/extension";
import type { ComputeArgs } from "@pulumi/azure-native/machinelearningservices/compute";
import type { WorkspaceArgs } from "@pulumi/azure-native/machinelearningservices/workspace";
import type { DiagnosticSettingArgs } from "@pulumi/azure-native/monitor/diagnosticSetting";
import type { StorageAccountArgs } from "@pulumi/azure-native/storage/storageAccount";
import type { ApplicationArgs } from "@pulumi/azuread/application";
import type { ServicePrincipalArgs } from "@pulumi/azuread/servicePrincipal";
import type { ReleaseArgs } from "@pulumi/kubernetes/helm/v3/release";
import type * as k8s from "@pulumi/kubernetes/types/input";

export const RESOURCE_TYPES = {
    stack: "pulumi:pulumi:Stack",
    resourceGroup: "azure-native:resources:ResourceGroup",
    managedCluster: "azure-native:containerservice:ManagedCluster",
    keyVault: "azure-native:keyvault:Vault",
    storageAccount: "azure-native:storage:StorageAccount",
    containerRegistry: "azure-native:containerregistry:Registry",
    mlWorkspace: "azure-native:machinelearningservices:Workspace",
    mlCompute: "azure-native:machinelearningservices:Compute",
    clusterExtension: "azure-native:kubernetesconfiguration:Extension",
    roleAssignment: "azure-native:authorization:RoleAssignment",
    diagnosticSetting: "azure-native:monitor:DiagnosticSetting",
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
    helmRelease: "kubernetes:helm.sh/v3:Release",
    virtualServer: "kubernetes:k8s.nginx.org/v1:VirtualServer",
    virtualServerRoute: "kubernetes:k8s.nginx.org/v1:VirtualServerRoute",
    nginxPolicy: "kubernetes:k8s.nginx.org/v1:Policy",
} as const;

export type ResourceTypeToken = (typeof RESOURCE_TYPES)[keyof typeof RESOURCE_TYPES];

/** Kubernetes object metadata as the rules read it. */
export type ObjectMeta = Unwrap<k8s.meta.v1.ObjectMeta>;
export type PodSpec = Unwrap<k8s.core.v1.PodSpec>;
export type Container = Unwrap<k8s.core.v1.Container>;

/** A reference to an F5 NGINX `Policy` from a VirtualServer or one of its routes. */
export interface NginxPolicyReference {
    name?: string;
    namespace?: string;
}

export interface NginxRoute {
    path?: string;
    route?: string;
    policies?: NginxPolicyReference[];
    "location-snippets"?: string;
}

/** `k8s.nginx.org/v1` VirtualServer (CRD of the F5 NGINX Ingress Controller 5.5). */
export interface VirtualServerProps {
    metadata?: ObjectMeta;
    spec?: {
        host?: string;
        tls?: { secret?: string; redirect?: { enable?: boolean } };
        policies?: NginxPolicyReference[];
        routes?: NginxRoute[];
        "server-snippets"?: string;
        "http-snippets"?: string;
    };
}

/** `k8s.nginx.org/v1` VirtualServerRoute. */
export interface VirtualServerRouteProps {
    metadata?: ObjectMeta;
    spec?: { host?: string; subroutes?: NginxRoute[] };
}

/** `k8s.nginx.org/v1` Policy; only the fields the rules read. */
export interface NginxPolicyProps {
    metadata?: ObjectMeta;
    spec?: {
        externalAuth?: { authServiceName?: string; authURI?: string; authSnippets?: string };
        rateLimit?: { rate?: string; key?: string; dryRun?: boolean };
    };
}

/** Inputs of each resource type as the analyzer sees them (SDK input names, values unwrapped). */
export interface PropsByType {
    "pulumi:pulumi:Stack": Record<string, unknown>;
    "azure-native:containerservice:ManagedCluster": Unwrap<ManagedClusterArgs>;
    "azure-native:keyvault:Vault": Unwrap<VaultArgs>;
    "azure-native:storage:StorageAccount": Unwrap<StorageAccountArgs>;
    "azure-native:containerregistry:Registry": Unwrap<RegistryArgs>;
    "azure-native:machinelearningservices:Workspace": Unwrap<WorkspaceArgs>;
    "azure-native:machinelearningservices:Compute": Unwrap<ComputeArgs>;
    "azure-native:kubernetesconfiguration:Extension": Unwrap<ExtensionArgs>;
    "azure-native:authorization:RoleAssignment": Unwrap<RoleAssignmentArgs>;
    "azure-native:monitor:DiagnosticSetting": Unwrap<DiagnosticSettingArgs>;
    "azure-native:resources:ResourceGroup": Record<string, unknown>;
    "azuread:index/application:Application": Unwrap<ApplicationArgs>;
    "azuread:index/servicePrincipal:ServicePrincipal": Unwrap<ServicePrincipalArgs>;
    "azuread:index/applicationPassword:ApplicationPassword": Record<string, unknown>;
    "azuread:index/servicePrincipalPassword:ServicePrincipalPassword": Record<string, unknown>;
    "kubernetes:core/v1:Namespace": Unwrap<k8s.core.v1.Namespace>;
    "kubernetes:core/v1:Service": Unwrap<k8s.core.v1.Service>;
    "kubernetes:core/v1:ConfigMap": Unwrap<k8s.core.v1.ConfigMap>;
    "kubernetes:core/v1:Pod": Unwrap<k8s.core.v1.Pod>;
    "kubernetes:apps/v1:Deployment": Unwrap<k8s.apps.v1.Deployment>;
    "kubernetes:apps/v1:StatefulSet": Unwrap<k8s.apps.v1.StatefulSet>;
    "kubernetes:apps/v1:DaemonSet": Unwrap<k8s.apps.v1.DaemonSet>;
    "kubernetes:batch/v1:Job": Unwrap<k8s.batch.v1.Job>;
    "kubernetes:batch/v1:CronJob": Unwrap<k8s.batch.v1.CronJob>;
    "kubernetes:networking.k8s.io/v1:Ingress": Unwrap<k8s.networking.v1.Ingress>;
    "kubernetes:helm.sh/v3:Release": Unwrap<ReleaseArgs>;
    "kubernetes:k8s.nginx.org/v1:VirtualServer": VirtualServerProps;
    "kubernetes:k8s.nginx.org/v1:VirtualServerRoute": VirtualServerRouteProps;
    "kubernetes:k8s.nginx.org/v1:Policy": NginxPolicyProps;
}

// Every token in RESOURCE_TYPES has a props shape (and nothing else does).
type MissingShapes = Exclude<ResourceTypeToken, keyof PropsByType>;
const everyTokenHasAShape: MissingShapes extends never ? true : MissingShapes = true;
void everyTokenHasAShape;

/** The workload kinds whose pod templates the workload rules check. */
export const WORKLOAD_TYPES = [
    RESOURCE_TYPES.deployment,
    RESOURCE_TYPES.statefulSet,
    RESOURCE_TYPES.daemonSet,
    RESOURCE_TYPES.job,
    RESOURCE_TYPES.cronJob,
    RESOURCE_TYPES.pod,
] as const;
export type WorkloadType = (typeof WORKLOAD_TYPES)[number];

/** The last segment of a type token, for messages (`Vault`, `ApplicationPassword`, `VirtualServerRoute`). */
export function typeNameOf(type: string): string {
    return type.slice(type.lastIndexOf(":") + 1);
}

/** Group, version and kind of a Kubernetes type token (`kubernetes:<group>/<version>:<Kind>`). */
export interface KubernetesKind {
    group: string;
    version: string;
    kind: string;
}

export function kubernetesKindOf(type: string): KubernetesKind | undefined {
    const match = /^kubernetes:(?:(.+)\/)?([^/:]+):([^:]+)$/.exec(type);
    if (!match) return undefined;
    const group = match[1] === undefined || match[1] === "core" ? "" : match[1];
    return { group, version: match[2], kind: match[3] };
}

/** True for a Kubernetes type token of the given group and kind, in any API version. */
export function isKubernetesKind(type: string, group: string, kind: string): boolean {
    const parsed = kubernetesKindOf(type);
    return parsed !== undefined && parsed.group === group && parsed.kind === kind;
}
