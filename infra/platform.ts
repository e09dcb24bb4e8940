/**
 * Composition root: builds the platform from components for one validated stack config and
 * returns the outputs contract. No resource settings live here, only wiring.
 *
 * Order matters once. Azure ML is attached to the cluster through a cluster extension, and
 * before it installs, the cluster must hold the namespace models run in and the extension's
 * own namespace with the router's TLS certificate, both meshed so every ML pod starts with a
 * Linkerd proxy. So the mesh is deployed from inside the Azure build, through a hook, as soon as
 * the cluster and the Key Vault exist. Everything else on the cluster follows.
 */
import { AZUREML_EXTENSION_NAMESPACE } from "../components/azure/ml-kubernetes-compute";
import type { WorkloadIdentity } from "../components/azure/workload-identity";
import { UpstreamCertificate } from "../components/edge/upstream-certificate";
import { ApiServerWebhook } from "../components/mesh/api-server-webhook";
import { childName } from "@amlmesh/team-sdk/kit/mesh/types";
import { buildAzurePlatform, INFERENCE_ROUTER_TLS_SECRET, type AzurePlatform, type MlClusterPreparation } from "./azure-platform";
import { deployClusterServices, deployMesh, type ClusterMesh, type ClusterServiceDeps, type MeshDeps } from "./cluster-services";
import type { StackConfig } from "./config";
import { platformOutputs, type PlatformOutputs } from "./outputs";

/** The router's certificate is short-lived; any `pulumi up` in the last 30 days re-issues it. */
const ROUTER_CERTIFICATE = { validityDays: 90, renewBeforeDays: 30 };

export function buildPlatform(config: StackConfig): PlatformOutputs {
    let mesh: ClusterMesh | undefined;
    let routerCertificate: UpstreamCertificate | undefined;
    const azure = buildAzurePlatform(config, {
        prepareMlOnCluster: ({ kubernetesProvider, keyVault, resourceGroup }) => {
            mesh = deployMesh(config, { kubernetesProvider, keyVault: { name: keyVault.name, resourceGroupName: resourceGroup.name } });
            const prepared = prepareMlOnCluster(config, mesh, { kubernetesProvider });
            routerCertificate = prepared.routerCertificate;
            return prepared.preparation;
        },
    });
    const cluster = deployClusterServices(config, clusterDeps(azure, routerCertificate), { mesh });
    return platformOutputs({ config, azure, cluster });
}

function prepareMlOnCluster(
    config: StackConfig,
    mesh: ClusterMesh,
    deps: Pick<MeshDeps, "kubernetesProvider">,
): { preparation: MlClusterPreparation; routerCertificate: UpstreamCertificate } {
    // The extension's own namespace: its pods call each other (the routers coordinate) on ports
    // the extension does not document, so any mesh identity may connect there; `deny` would cut
    // them off. Its public port (the router's HTTPS) keeps its own Server that admits the token swap only.
    const extensionNamespace = mesh.namespace(AZUREML_EXTENSION_NAMESPACE, { defaultInboundPolicy: "all-authenticated" });
    const routerCertificate = new UpstreamCertificate(
        "inference-router-tls",
        {
            namespace: extensionNamespace,
            secretName: INFERENCE_ROUTER_TLS_SECRET,
            // The edge host is the router's `sslCname`; NGINX reaches it by its Service name.
            dnsNames: [config.edge.hostName, `azureml-fe.${AZUREML_EXTENSION_NAMESPACE}.svc`, `azureml-fe.${AZUREML_EXTENSION_NAMESPACE}.svc.cluster.local`],
            files: { certificate: "cert.pem", privateKey: "key.pem" },
            ...ROUTER_CERTIFICATE,
        },
        { provider: deps.kubernetesProvider },
    );
    // The extension's admission webhooks, as listed in the stack (the extension does not document
    // them): each port admits the API server, which is outside the mesh. In place before the
    // extension installs, so its first pods are admitted.
    const webhooks = config.ml.extensionWebhooks.map(
        (webhook) =>
            new ApiServerWebhook(
                childName("aml-webhook", webhook.name),
                { namespace: extensionNamespace, podSelector: webhook.podSelector, port: webhook.port },
                { provider: deps.kubernetesProvider },
            ),
    );
    return {
        preparation: { namespace: mesh.namespace(config.ml.kubernetesNamespace), extensionPrerequisites: [extensionNamespace, routerCertificate, ...webhooks] },
        routerCertificate,
    };
}

/** Connects the cluster services to the Azure components that own each permission. */
function clusterDeps(azure: AzurePlatform, routerCertificate: UpstreamCertificate | undefined): ClusterServiceDeps<WorkloadIdentity> {
    return {
        kubernetesProvider: azure.kubernetesProvider,
        keyVault: { name: azure.keyVault.name, resourceGroupName: azure.resourceGroup.name },
        edgeCertificate: {
            keyVaultName: azure.hub.keyVault.name,
            grantSecretRead: (identity, secretName) => azure.hub.grantSecretRead(identity.principal, secretName),
            reachable: [azure.hub.vaultEndpoint.endpoint, azure.hub.vaultEndpoint.dnsZoneGroup],
        },
        createWorkloadIdentity: (name, subject) => azure.workloadIdentity(name, subject),
        api: { clientId: azure.api.clientId, identifierUri: azure.api.identifierUri },
        imageRegistry: {
            loginServer: azure.hub.registry.loginServer,
            pullReady: [azure.hubKubeletPull, azure.hub.registryEndpoint.endpoint, azure.hub.registryEndpoint.dnsZoneGroup],
        },
        // The token swap trusts exactly the router's self-signed serving certificate.
        inferenceRouter: { ...azure.ml.inferenceRouter, ...(routerCertificate ? { caCertificatePem: routerCertificate.certificatePem } : {}) },
        mlWorkspace: { id: azure.workspace.id, grantOnlineEndpointToken: (identity) => azure.workspace.grantOnlineEndpointToken(identity.principal) },
        workloadCallers: azure.callerWorkloads,
    };
}
