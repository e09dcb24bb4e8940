/**
 * The Azure side of infra/cluster-services.ts, faked with real azure-native resources under the
 * mocks: a workload identity factory (managed identity + federated credential), a Key Vault
 * handle whose grant is a role assignment on one secret, the API app, the registry and the
 * inference router. It records what the cluster services asked for.
 */
import * as authorization from "@pulumi/azure-native/authorization";
import * as managedidentity from "@pulumi/azure-native/managedidentity";
import type { ClusterServiceDeps } from "../../infra/cluster-services";
import { OFFLINE_SUBSCRIPTION_ID } from "../../offline/mocks";
import { testProvider } from "./cluster-fixtures";

export const TEST_RESOURCE_GROUP = "rg-aml-test";
export const TEST_VAULT = "kv-aml-test";
export const TEST_VAULT_ID = `/subscriptions/${OFFLINE_SUBSCRIPTION_ID}/resourceGroups/${TEST_RESOURCE_GROUP}/providers/Microsoft.KeyVault/vaults/${TEST_VAULT}`;
export const TEST_REGISTRY = "craml.azurecr.io";
export const TEST_API_CLIENT_ID = "6e0f6c1d-3c1a-4a8e-9a57-0b1f1f1c2d3e";
export const TEST_API_IDENTIFIER_URI = "api://amlmesh-test";
export const TEST_WORKSPACE_ID = `/subscriptions/${OFFLINE_SUBSCRIPTION_ID}/resourceGroups/${TEST_RESOURCE_GROUP}/providers/Microsoft.MachineLearningServices/workspaces/mlw-aml-test`;
/** A stand-in for the router's self-signed certificate (public material). */
export const TEST_ROUTER_CA_PEM = "-----BEGIN CERTIFICATE-----\ndGVzdCByb3V0ZXIgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n";

/** The managed identity the fake Azure side creates per workload. */
export type FakeIdentity = managedidentity.UserAssignedIdentity;

/** Azure-side dependencies built from azure-native resources, recording what was asked for. */
export function fakeClusterDeps(overrides: Partial<ClusterServiceDeps<FakeIdentity>> = {}): ClusterServiceDeps<FakeIdentity> & {
    requested: { identities: { name: string; namespace: string; serviceAccount: string }[]; grants: { secretName: string }[]; endpointTokenGrants: number };
} {
    const requested = { identities: [] as { name: string; namespace: string; serviceAccount: string }[], grants: [] as { secretName: string }[], endpointTokenGrants: 0 };
    const deps: ClusterServiceDeps<FakeIdentity> = {
        kubernetesProvider: testProvider(),
        keyVault: { name: TEST_VAULT, resourceGroupName: TEST_RESOURCE_GROUP },
        edgeCertificate: {
            keyVaultName: TEST_VAULT,
            reachable: [],
            grantSecretRead: (identity, secretName) => {
                requested.grants.push({ secretName });
                return new authorization.RoleAssignment(`kv-secret-user-${secretName}`, {
                    principalId: identity.principalId,
                    principalType: "ServicePrincipal",
                    roleDefinitionId: `/subscriptions/${OFFLINE_SUBSCRIPTION_ID}/providers/Microsoft.Authorization/roleDefinitions/4633458b-17de-408a-b874-0445c86b69e6`,
                    scope: `${TEST_VAULT_ID}/secrets/${secretName}`,
                });
            },
        },
        createWorkloadIdentity: (name, subject) => {
            requested.identities.push({ name, ...subject });
            const identity = new managedidentity.UserAssignedIdentity(`id-${name}`, {
                resourceGroupName: TEST_RESOURCE_GROUP,
                resourceName: `id-aml-test-${name}`,
            });
            new managedidentity.FederatedIdentityCredential(`id-${name}-federation`, {
                resourceGroupName: TEST_RESOURCE_GROUP,
                resourceName: identity.name,
                federatedIdentityCredentialResourceName: `${subject.namespace}-${subject.serviceAccount}`,
                issuer: "https://westeurope.oic.prod-aks.azure.com/tenant/cluster/",
                subject: `system:serviceaccount:${subject.namespace}:${subject.serviceAccount}`,
                audiences: ["api://AzureADTokenExchange"],
            });
            return identity;
        },
        api: { clientId: TEST_API_CLIENT_ID, identifierUri: TEST_API_IDENTIFIER_URI },
        imageRegistry: { loginServer: TEST_REGISTRY, pullReady: [] },
        inferenceRouter: {
            namespace: "azureml",
            serviceName: "azureml-fe",
            port: 443,
            scheme: "https",
            serviceAccount: "azureml-fe-v2",
            podSelector: { azuremlappname: "azureml-fe" },
            modelScoringPort: 5001,
            caCertificatePem: TEST_ROUTER_CA_PEM,
        },
        mlWorkspace: {
            id: TEST_WORKSPACE_ID,
            grantOnlineEndpointToken: (identity) => {
                requested.endpointTokenGrants += 1;
                return new authorization.RoleAssignment(`mlw-endpoint-token-${requested.endpointTokenGrants}`, {
                    principalId: identity.principalId,
                    principalType: "ServicePrincipal",
                    roleDefinitionId: `/subscriptions/${OFFLINE_SUBSCRIPTION_ID}/providers/Microsoft.Authorization/roleDefinitions/00000000-0000-4000-8000-00000000c0de`,
                    scope: TEST_WORKSPACE_ID,
                });
            },
        },
        workloadCallers: [{ caller: "feature-api", namespace: "features", serviceAccount: "feature-api", clientId: "0b6f4b7e-9d51-4c2e-8f5d-3a0e4b1c2d3f" }],
        ...overrides,
    };
    return Object.assign(deps, { requested });
}

