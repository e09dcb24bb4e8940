/**
 * Shared set-up for the Azure component specs: a deployment context, the real Network and
 * Monitoring (so private endpoints and diagnostic settings are the real thing), and small
 * helpers to read role assignments.
 */
import { OFFLINE_SUBSCRIPTION_ID } from "../../../offline/mocks";
import type { AzureContext } from "../../../components/azure/context";
import { Monitoring } from "../../../components/azure/monitoring";
import { Network } from "../../../components/azure/network";
import { builtInRoleName, roleDefinitionId } from "../../../components/azure/roles";
import type { PlannedStack, RoleAssignmentView, TestResource } from "../../harness";
import { roleAssignments, TEST_LOCATION, TEST_TENANT_ID } from "../../harness";

export const RG = "rg-test";
export const RG_ID = `/subscriptions/${OFFLINE_SUBSCRIPTION_ID}/resourceGroups/${RG}`;

export const context: AzureContext = {
    resourceGroupName: RG,
    location: TEST_LOCATION,
    tags: { environment: "test", project: "amlmesh" },
    subscriptionId: OFFLINE_SUBSCRIPTION_ID,
    tenantId: TEST_TENANT_ID,
};

export function foundation(): { network: Network; monitoring: Monitoring } {
    const network = new Network("net", {
        context,
        vnetName: "vnet-test",
        addressSpace: "10.50.0.0/16",
        subnets: { aksNodes: "10.50.0.0/20", privateEndpoints: "10.50.16.0/24", mlCompute: "10.50.20.0/22" },
    });
    const monitoring = new Monitoring("mon", { context, workspaceName: "log-test", appInsightsName: "appi-test", retentionDays: 30, dailyQuotaGb: -1 });
    return { network, monitoring };
}

/** The stack's role assignments; fails on one whose role is not a subscription-scoped built-in role. */
export function assignments(stack: PlannedStack): RoleAssignmentView[] {
    return roleAssignments(stack).map((assignment) => {
        const { resource, roleDefinitionId: definition } = assignment;
        const role = builtInRoleName(definition);
        if (!role) throw new Error(`${resource.name}: unexpected role definition ${definition}`);
        if (definition !== roleDefinitionId(OFFLINE_SUBSCRIPTION_ID, role)) {
            throw new Error(`${resource.name}: role definition ${definition} is not subscription-scoped`);
        }
        return assignment;
    });
}

/** The private endpoint (and its DNS zone group) created for a target resource and group. */
export function privateEndpointFor(stack: PlannedStack, targetId: string, groupId: string): { endpoint: TestResource; zoneGroup: TestResource } {
    const endpoint = stack.ofType("azure-native:network:PrivateEndpoint").find((pe) => {
        const connection = (pe.input("privateLinkServiceConnections") as { privateLinkServiceId: string; groupIds: string[] }[])[0];
        return connection.privateLinkServiceId === targetId && connection.groupIds.includes(groupId);
    });
    if (!endpoint) throw new Error(`no private endpoint for ${targetId} (${groupId})`);
    const zoneGroup = stack.ofType("azure-native:network:PrivateDnsZoneGroup").find((group) => group.parent === endpoint.urn);
    if (!zoneGroup) throw new Error(`private endpoint ${endpoint.name} has no DNS zone group`);
    return { endpoint, zoneGroup };
}

/** Names of the private DNS zones a zone group registers records in. */
export function zonesOf(zoneGroup: TestResource): string[] {
    const ids = (zoneGroup.input("privateDnsZoneConfigs") as { privateDnsZoneId: string }[]).map((config) => config.privateDnsZoneId);
    return ids.map((id) => id.split("/").pop()!).sort();
}

/** The diagnostic setting attached to a resource. */
export function diagnosticsFor(stack: PlannedStack, resourceId: string): TestResource {
    const found = stack.ofType("azure-native:monitor:DiagnosticSetting").filter((setting) => setting.input("resourceUri") === resourceId);
    if (found.length !== 1) throw new Error(`expected one diagnostic setting on ${resourceId}, found ${found.length}`);
    return found[0];
}
