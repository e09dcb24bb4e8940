import * as assert from "node:assert/strict";
import { MlStorage } from "../../../components/azure/ml-storage";
import type { Principal } from "../../../components/azure/principal";
import { runComponents, type PlannedStack } from "../../harness";
import { assignments, context, diagnosticsFor, foundation, privateEndpointFor, RG_ID, zonesOf } from "./fixtures";

const ACCOUNT_ID = `${RG_ID}/providers/Microsoft.Storage/storageAccounts/sttest1a2b3c`;
const job: Principal = { principalId: "6e5d4c3b-2a19-4f08-8e7d-6c5b4a392817", principalType: "ServicePrincipal", name: "job" };
const scientists: Principal = { principalId: "7f6e5d4c-3b2a-4190-8f8e-7d6c5b4a3928", principalType: "Group", name: "scientists" };

describe("MlStorage", () => {
    let stack: PlannedStack;
    before(async () => {
        stack = await runComponents(() => {
            const { network, monitoring } = foundation();
            const storage = new MlStorage("ml", {
                context,
                accountName: "sttest1a2b3c",
                containers: ["features"],
                zoneRedundant: true,
                privateLinks: network,
                diagnostics: monitoring,
            });
            storage.grantBlobDataReader(job, { container: "features" });
            storage.grantBlobDataContributor(scientists);
        });
    });
    const account = () => stack.one("azure-native:storage:StorageAccount");

    it("accepts Entra ID only: no shared key, no local users, OAuth by default", () => {
        assert.equal(account().input("allowSharedKeyAccess"), false);
        assert.equal(account().input("defaultToOAuthAuthentication"), true);
        assert.equal(account().input("isLocalUserEnabled"), false);
        assert.equal(account().input("isSftpEnabled"), false);
    });

    it("allows no anonymous blob access, TLS 1.2 over HTTPS only, and no copies to other tenants", () => {
        assert.equal(account().input("allowBlobPublicAccess"), false);
        assert.equal(account().input("minimumTlsVersion"), "TLS1_2");
        assert.equal(account().input("enableHttpsTrafficOnly"), true);
        assert.equal(account().input("allowCrossTenantReplication"), false);
        assert.equal(account().input("sku.name"), "Standard_ZRS");
    });

    it("has no public endpoint and a default-deny firewall", () => {
        assert.equal(account().input("publicNetworkAccess"), "Disabled");
        assert.equal(account().input("networkRuleSet.defaultAction"), "Deny");
        assert.deepEqual(account().input("networkRuleSet.ipRules"), []);
    });

    it("is reachable through private endpoints for blob and file, each in its zone", () => {
        assert.deepEqual(zonesOf(privateEndpointFor(stack, ACCOUNT_ID, "blob").zoneGroup), ["privatelink.blob.core.windows.net"]);
        assert.deepEqual(zonesOf(privateEndpointFor(stack, ACCOUNT_ID, "file").zoneGroup), ["privatelink.file.core.windows.net"]);
    });

    it("creates the private features container and keeps deleted blobs recoverable", () => {
        const container = stack.one("azure-native:storage:BlobContainer");
        assert.equal(container.input("containerName"), "features");
        assert.equal(container.input("publicAccess"), "None");
        const service = stack.one("azure-native:storage:BlobServiceProperties");
        assert.equal(service.input("deleteRetentionPolicy.enabled"), true);
        assert.equal(service.input("containerDeleteRetentionPolicy.enabled"), true);
    });

    it("sends account metrics, and blob service logs and metrics, to Log Analytics", () => {
        assert.deepEqual(diagnosticsFor(stack, ACCOUNT_ID).input("logs"), []);
        assert.deepEqual(diagnosticsFor(stack, ACCOUNT_ID).input("metrics"), [{ category: "AllMetrics", enabled: true }]);
        assert.deepEqual(diagnosticsFor(stack, `${ACCOUNT_ID}/blobServices/default`).input("logs"), [{ categoryGroup: "allLogs", enabled: true }]);
    });

    it("grants blob roles on one container when one is named, on the account otherwise", () => {
        assert.deepEqual(
            assignments(stack).map((a) => [a.principalType, a.role, a.scope]).sort(),
            [
                ["Group", "Storage Blob Data Contributor", ACCOUNT_ID],
                ["ServicePrincipal", "Storage Blob Data Reader", `${ACCOUNT_ID}/blobServices/default/containers/features`],
            ],
        );
    });
});
