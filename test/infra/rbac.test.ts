/**
 * Every Azure role assignment the program creates, over all three shipped stacks: a known
 * narrow role, at the narrowest scope that works (a resource, a secret, a container), never a
 * privileged role, never a subscription or resource group.
 */
import * as assert from "node:assert/strict";
import { BUILT_IN_ROLES, CUSTOM_ROLES, customRoleGuid, roleDefinitionId, type BuiltInRoleName, type CustomRoleName } from "../../components/azure/roles";
import { OFFLINE_SUBSCRIPTION_ID } from "../../offline/mocks";
import { scopeWithin, stackRequirements } from "../../bootstrap/requirements";
import { parseStackConfig } from "../../infra/config";
import { roleAssignments, shippedStackConfig, type PlannedStack } from "../harness";
import { plannedStack, resourceGroupId, STACKS } from "./azure-stacks";

const PRIVILEGED_ROLE_IDS = [
    "8e3af657-a8ff-443c-a75c-2fe8c4bcb635", // Owner
    "b24988ac-6180-42a0-ab88-20f7382dd24c", // Contributor
    "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9", // User Access Administrator
    "f58310d9-a9f6-439a-9e8d-f62e7b41a168", // Role Based Access Control Administrator
];

/** Where each role may be granted: the kind of resource (or sub-resource) its scope must be. */
const ALLOWED_SCOPES: Record<BuiltInRoleName | CustomRoleName, RegExp> = {
    "AzureML Online Endpoint Token Reader": /\/Microsoft\.MachineLearningServices\/workspaces\/[^/]+$/,
    "Key Vault Secrets User": /\/Microsoft\.KeyVault\/vaults\/[^/]+(\/secrets\/[^/]+)?$/,
    "Key Vault Secrets Officer": /\/Microsoft\.KeyVault\/vaults\/[^/]+(\/secrets\/[^/]+)?$/,
    "Key Vault Certificate User": /\/Microsoft\.KeyVault\/vaults\/[^/]+(\/certificates\/[^/]+)?$/,
    "Storage Blob Data Reader": /\/Microsoft\.Storage\/storageAccounts\/[^/]+(\/blobServices\/default\/containers\/[^/]+)?$/,
    "Storage Blob Data Contributor": /\/Microsoft\.Storage\/storageAccounts\/[^/]+(\/blobServices\/default\/containers\/[^/]+)?$/,
    "Storage File Data Privileged Contributor": /\/Microsoft\.Storage\/storageAccounts\/[^/]+$/,
    // Reader only ever on a single private endpoint, never on a group or a data resource.
    Reader: /\/Microsoft\.Network\/privateEndpoints\/[^/]+$/,
    AcrPull: /\/Microsoft\.ContainerRegistry\/registries\/[^/]+$/,
    "AzureML Data Scientist": /\/Microsoft\.MachineLearningServices\/workspaces\/[^/]+$/,
    "AzureML Compute Operator": /\/Microsoft\.MachineLearningServices\/workspaces\/[^/]+$/,
    "Azure Kubernetes Service RBAC Cluster Admin": /\/Microsoft\.ContainerService\/managedClusters\/[^/]+$/,
    "Azure Kubernetes Service Cluster User Role": /\/Microsoft\.ContainerService\/managedClusters\/[^/]+$/,
    "Managed Identity Operator": /\/Microsoft\.ManagedIdentity\/userAssignedIdentities\/[^/]+$/,
    "Network Contributor": /\/Microsoft\.Network\/virtualNetworks\/[^/]+(\/subnets\/[^/]+)?$/,
    "Private DNS Zone Contributor": /\/Microsoft\.Network\/privateDnsZones\/privatelink\.[a-z0-9]+\.azmk8s\.io$/,
};

describe("Azure RBAC over the shipped stacks", () => {
    for (const name of STACKS) {
        describe(name, () => {
            let stack: PlannedStack;
            before(async () => {
                stack = await plannedStack(name);
            });

            /** The platform custom role an assignment refers to (by the GUID its definition carries), if any. */
            const customRoleOf = (definitionId: string): CustomRoleName | undefined =>
                (Object.keys(CUSTOM_ROLES) as CustomRoleName[]).find(
                    (role) => definitionId === `/subscriptions/${OFFLINE_SUBSCRIPTION_ID}/providers/Microsoft.Authorization/roleDefinitions/${customRoleGuid(role, resourceGroupId(name))}`,
                );

            it("defines no role itself: the bootstrap defines the platform's custom roles, exact actions, assignable only in the stack's resource group", () => {
                // The deployer may assign roles but not define them (it could widen one and assign it to itself).
                assert.deepEqual(stack.ofType("azure-native:authorization:RoleDefinition"), []);
                const defined = stackRequirements(parseStackConfig(shippedStackConfig(name)), OFFLINE_SUBSCRIPTION_ID).customRoles;
                assert.deepEqual(defined.map((custom) => custom.role).sort(), (Object.keys(CUSTOM_ROLES) as CustomRoleName[]).sort());
                for (const custom of defined) {
                    assert.equal(custom.guid, customRoleGuid(custom.role, resourceGroupId(name)));
                    assert.equal(custom.scope, resourceGroupId(name));
                    assert.deepEqual(custom.actions, CUSTOM_ROLES[custom.role].actions);
                }
            });

            it("grants only known built-in roles or the platform's custom roles, subscription-scoped, never a privileged one", () => {
                const all = roleAssignments(stack);
                assert.ok(all.length > 0);
                for (const a of all) {
                    const custom = customRoleOf(a.roleDefinitionId);
                    if (custom !== undefined) continue; // defined by the bootstrap, checked above
                    assert.ok(a.role in BUILT_IN_ROLES, `${a.resource.name}: unknown role ${a.roleDefinitionId}`);
                    assert.equal(a.roleDefinitionId, roleDefinitionId(OFFLINE_SUBSCRIPTION_ID, a.role as BuiltInRoleName));
                    assert.ok(!PRIVILEGED_ROLE_IDS.some((id) => a.roleDefinitionId.toLowerCase().endsWith(id)), `${a.resource.name} grants a privileged role`);
                }
            });

            it("scopes every assignment to one resource of the kind its role is for, where the bootstrap lets the deployer assign that role", () => {
                // Finding 3: Azure refuses an assignment the deployer may not make, so each one must
                // sit under a scope where the deployer holds RBAC Administrator for that role.
                const grantable = stackRequirements(parseStackConfig(shippedStackConfig(name)), OFFLINE_SUBSCRIPTION_ID).deployerRoles.filter(
                    (r) => r.role === "Role Based Access Control Administrator",
                );
                for (const a of roleAssignments(stack)) {
                    const custom = customRoleOf(a.roleDefinitionId);
                    assert.ok(
                        grantable.some((r) => scopeWithin(a.scope, r.scope) && (custom ? r.assignableCustomRoles?.includes(custom) : r.assignableRoles?.includes(a.role as BuiltInRoleName))),
                        `${a.resource.name}: the deployer cannot assign ${custom ?? a.role} at ${a.scope}`,
                    );
                    assert.ok(
                        a.scope.startsWith(`${resourceGroupId(name)}/providers/`) || a.scope.includes("/resourceGroups/rg-aml-"),
                        `${a.resource.name}: scope ${a.scope} is not a resource`,
                    );
                    assert.match(a.scope, ALLOWED_SCOPES[custom ?? (a.role as BuiltInRoleName)], `${a.resource.name}: ${custom ?? a.role} at ${a.scope}`);
                }
            });

            it("scopes every assignment to a resource the plan declares (or a secret/container inside one), or to a bootstrap hub resource", () => {
                const hub = stackRequirements(parseStackConfig(shippedStackConfig(name)), OFFLINE_SUBSCRIPTION_ID).ids.resourceGroup;
                for (const a of roleAssignments(stack)) {
                    if (scopeWithin(a.scope, hub)) continue;
                    const sources = a.resource.inputSources("scope");
                    assert.ok(sources.length > 0, `${a.resource.name}: scope ${a.scope} does not come from a declared resource`);
                    assert.ok(
                        sources.every((urn) => !/azure-native:resources:ResourceGroup::/.test(urn)),
                        `${a.resource.name}: scope derived from the resource group`,
                    );
                }
            });

            it("names the principal type of every assignment, and a description saying why", () => {
                for (const a of roleAssignments(stack)) {
                    assert.ok(["ServicePrincipal", "Group", "User"].includes(String(a.principalType)), `${a.resource.name}: principalType ${String(a.principalType)}`);
                    assert.match(a.description, /^amlmesh: .+ for .+ on .+$/);
                }
            });

            it("creates no duplicate assignment (same principal, role and scope)", () => {
                const keys = roleAssignments(stack).map((a) => `${a.principalId}|${a.role}|${a.scope}`);
                assert.equal(new Set(keys).size, keys.length);
            });

            it("sits each assignment under the component that owns its scope", () => {
                for (const a of roleAssignments(stack)) {
                    const owner = stack.byUrnOf(a.resource.parent ?? "");
                    assert.ok(owner && owner.type.startsWith("amlmesh:azure:"), `${a.resource.name} is not owned by an Azure component`);
                }
            });
        });
    }

    describe("prod: who gets what", () => {
        let stack: PlannedStack;
        before(async () => {
            stack = await plannedStack("prod");
        });
        const rg = resourceGroupId("prod");
        const grantsTo = (principal: RegExp) =>
            roleAssignments(stack)
                .filter((a) => principal.test(a.description))
                .map((a) => `${a.roleDefinitionId.endsWith(customRoleGuid("AzureML Online Endpoint Token Reader", rg)) ? "AzureML Online Endpoint Token Reader" : a.role} @ ${a.scope.replace(`${rg}/providers/`, "")}`)
                .sort();

        it("admin groups and the deployer are cluster admins of the cluster, and nothing else", () => {
            assert.deepEqual(grantsTo(/ for admin-group-\d+ /), ["Azure Kubernetes Service RBAC Cluster Admin @ Microsoft.ContainerService/managedClusters/aks-aml-prod"]);
            assert.deepEqual(grantsTo(/ for deployer /), ["Azure Kubernetes Service RBAC Cluster Admin @ Microsoft.ContainerService/managedClusters/aks-aml-prod"]);
            const deployer = roleAssignments(stack).find((a) => / for deployer /.test(a.description))!;
            assert.equal(deployer.principalType, "ServicePrincipal", "the deployer's kind is looked up, not assumed");
        });

        it("the token swap may only get online endpoint tokens, at the workspace: one assignment, no wider ML role", () => {
            const workspace = String(stack.one("azure-native:machinelearningservices:Workspace").input("workspaceName"));
            assert.deepEqual(grantsTo(/ for aml-token-swap /), [`AzureML Online Endpoint Token Reader @ Microsoft.MachineLearningServices/workspaces/${workspace}`]);
        });

        it("the kubelet pulls from the platform and hub registries; the control plane manages only its kubelet identity, network and API server zone", () => {
            const registry = stack.one("azure-native:containerregistry:Registry").input("registryName");
            const hub = stackRequirements(parseStackConfig(shippedStackConfig("prod")), OFFLINE_SUBSCRIPTION_ID).ids;
            assert.deepEqual(grantsTo(/ for aks-kubelet /), [`AcrPull @ ${hub.registry}`, `AcrPull @ Microsoft.ContainerRegistry/registries/${String(registry)}`].sort());
            assert.deepEqual(grantsTo(/ for aks-control-plane /), [
                "Managed Identity Operator @ Microsoft.ManagedIdentity/userAssignedIdentities/id-aml-prod-aks-kubelet",
                "Network Contributor @ Microsoft.Network/virtualNetworks/vnet-aml-prod",
                "Network Contributor @ Microsoft.Network/virtualNetworks/vnet-aml-prod/subnets/snet-aks-nodes",
                `Private DNS Zone Contributor @ ${hub.apiServerDnsZone}`,
            ].sort());
        });
    });
});
