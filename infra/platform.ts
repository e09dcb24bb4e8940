/**
 * Composition root: builds the platform from components for one validated stack config and
 * returns the outputs contract. No resource settings live here, only wiring.
 *
 * Order matters once: the Azure ML namespace must exist (meshed) before the cluster is attached
 * as Kubernetes compute, so the mesh is deployed from inside the Azure build through a hook,
 * as soon as the cluster and the Key Vault exist. Everything else on the cluster follows.
 */
import { buildAzurePlatform, type AzurePlatform } from "./azure-platform";
import { deployClusterServices, deployMesh, type ClusterMesh, type ClusterServiceDeps } from "./cluster-services";
import type { StackConfig } from "./config";
import { platformOutputs, type PlatformOutputs } from "./outputs";
import type { WorkloadIdentity } from "../components/azure/workload-identity";

export function buildPlatform(config: StackConfig): PlatformOutputs {
    let mesh: ClusterMesh | undefined;
    const azure = buildAzurePlatform(config, {
        mlNamespace: ({ kubernetesProvider, keyVault, resourceGroup }) => {
            mesh = deployMesh(config, { kubernetesProvider, keyVault: { name: keyVault.name, resourceGroupName: resourceGroup.name } });
            return mesh.namespace(config.ml.kubernetesNamespace);
        },
    });
    const cluster = deployClusterServices(config, clusterDeps(azure), { mesh });
    return platformOutputs({ config, azure, cluster });
}

/** Connects the cluster services to the Azure components that own each permission. */
function clusterDeps(azure: AzurePlatform): ClusterServiceDeps<WorkloadIdentity> {
    return {
        kubernetesProvider: azure.kubernetesProvider,
        keyVault: {
            name: azure.keyVault.name,
            resourceGroupName: azure.resourceGroup.name,
            grantSecretRead: (identity, secretName) => azure.keyVault.grantSecretsRead(identity.principal, { secretName }),
        },
        createWorkloadIdentity: (name, subject) => azure.workloadIdentity(name, subject),
        api: { clientId: azure.api.clientId, identifierUri: azure.api.identifierUri },
        registryLoginServer: azure.registryLoginServer,
        inferenceRouter: { ...azure.ml.inferenceRouter, dependsOn: [azure.ml.kubernetesCompute] },
        workloadCallers: azure.callerWorkloads,
    };
}
