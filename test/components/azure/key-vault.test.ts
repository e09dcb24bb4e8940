import * as assert from "node:assert/strict";
import { KeyVault } from "../../../components/azure/key-vault";
import type { PublicEndpointAccess } from "../../../components/azure/public-access";
import type { Principal } from "../../../components/azure/principal";
import { runComponents, type PlannedStack } from "../../harness";
import { assignments, context, diagnosticsFor, foundation, privateEndpointFor, RG_ID, zonesOf } from "./fixtures";

/** The vault's ARM ID, from the name the component gave it. */
function vaultIdOf(stack: PlannedStack): string {
    return `${RG_ID}/providers/Microsoft.KeyVault/vaults/${String(stack.one("azure-native:keyvault:Vault").input("vaultName"))}`;
}
const reader: Principal = { principalId: "5b0e5e2a-8f1d-4c7e-9a55-0f3e2d1c4b6a", principalType: "ServicePrincipal", name: "edge" };
const writer: Principal = { principalId: "0c9d4f7e-2a6b-4e81-b3c5-7d8e9f0a1b2c", principalType: "ServicePrincipal", name: "pki-rotator" };

function vault(publicAccess: PublicEndpointAccess) {
    const { network, monitoring } = foundation();
    return new KeyVault("kv", { context, vaultNamePrefix: "kv-test-", publicAccess, softDeleteRetentionDays: 30, privateLinks: network, diagnostics: monitoring });
}

describe("KeyVault", () => {
    let stack: PlannedStack;
    let VAULT_ID: string;
    before(async () => {
        stack = await runComponents(() => {
            const kv = vault({ mode: "disabled" });
            kv.grantSecretsRead(reader, { secretName: "edge-tls" });
            kv.grantSecretsRead(reader, { secretName: "edge-tls" }); // the same grant twice is one assignment
            kv.grantCertificatesRead(reader, { certificateName: "edge-tls" });
            kv.grantSecretsOfficer(writer, { secretName: "linkerd-issuer" });
            kv.grantSecretsRead(writer);
        });
        VAULT_ID = vaultIdOf(stack);
    });

    it("takes a name that outlives no stack: the prefix and a random suffix kept in state", () => {
        const vaultResource = stack.one("azure-native:keyvault:Vault");
        const suffix = stack.one("random:index/randomString:RandomString");
        assert.equal(suffix.parent, stack.one("amlmesh:azure:KeyVault").urn);
        assert.ok(vaultResource.inputSources("vaultName").includes(suffix.urn), "the vault name does not come from the random suffix");
        assert.match(String(vaultResource.input("vaultName")), /^kv-test-[a-z0-9]{6}$/);
        assert.deepEqual([suffix.input("upper"), suffix.input("special")], [false, false]);
    });

    it("refuses a prefix that cannot make a valid vault name", async () => {
        for (const prefix of ["kv-test", "1kv-", "kv--x-", "kv-a-very-long-prefix-x-"]) {
            await assert.rejects(
                runComponents(() => {
                    const { network, monitoring } = foundation();
                    return new KeyVault("kv", { context, vaultNamePrefix: prefix, publicAccess: { mode: "disabled" }, softDeleteRetentionDays: 30, privateLinks: network, diagnostics: monitoring });
                }),
                /vaultNamePrefix/,
                prefix,
            );
        }
    });

    it("authorizes the data plane with Azure RBAC only and keeps deleted objects recoverable", () => {
        const properties = stack.one("azure-native:keyvault:Vault").input("properties") as Record<string, unknown>;
        assert.equal(properties.enableRbacAuthorization, true);
        assert.equal(properties.accessPolicies, undefined);
        assert.equal(properties.enableSoftDelete, true);
        assert.equal(properties.enablePurgeProtection, true);
        assert.equal(properties.softDeleteRetentionInDays, 30);
        assert.equal(properties.tenantId, context.tenantId);
        for (const flag of ["enabledForDeployment", "enabledForDiskEncryption", "enabledForTemplateDeployment"]) assert.equal(properties[flag], false, flag);
    });

    it("has no public endpoint when public access is disabled", () => {
        const vaultResource = stack.one("azure-native:keyvault:Vault");
        assert.equal(vaultResource.input("properties.publicNetworkAccess"), "Disabled");
        assert.equal(vaultResource.input("properties.networkAcls.defaultAction"), "Deny");
        assert.deepEqual(vaultResource.input("properties.networkAcls.ipRules"), []);
    });

    it("in dev admits only the allowlist through a default-deny firewall", async () => {
        const dev = await runComponents(() => vault({ mode: "allowlist", ipRanges: ["203.0.113.0/24"] }));
        const vaultResource = dev.one("azure-native:keyvault:Vault");
        assert.equal(vaultResource.input("properties.publicNetworkAccess"), "Enabled");
        assert.equal(vaultResource.input("properties.networkAcls.defaultAction"), "Deny");
        assert.deepEqual(vaultResource.input("properties.networkAcls.ipRules"), [{ value: "203.0.113.0/24" }]);
    });

    it("is reachable through a private endpoint registered in privatelink.vaultcore.azure.net", () => {
        const { endpoint, zoneGroup } = privateEndpointFor(stack, VAULT_ID, "vault");
        assert.match(String(endpoint.input("subnet.id")), /snet-private-endpoints$/);
        assert.deepEqual(zonesOf(zoneGroup), ["privatelink.vaultcore.azure.net"]);
    });

    it("sends all logs and metrics to Log Analytics", () => {
        assert.deepEqual(diagnosticsFor(stack, VAULT_ID).input("logs"), [{ categoryGroup: "allLogs", enabled: true }]);
    });

    it("grants reading one secret at that secret's scope, once", () => {
        const reads = assignments(stack).filter((a) => a.principalId === reader.principalId && a.role === "Key Vault Secrets User");
        assert.equal(reads.length, 1);
        assert.equal(reads[0].scope, `${VAULT_ID}/secrets/edge-tls`);
        assert.equal(reads[0].principalType, "ServicePrincipal");
    });

    it("grants certificate reads at the certificate's scope", () => {
        const certs = assignments(stack).filter((a) => a.role === "Key Vault Certificate User");
        assert.deepEqual(certs.map((a) => [a.principalId, a.scope]), [[reader.principalId, `${VAULT_ID}/certificates/edge-tls`]]);
    });

    it("grants secret management on the named secret, and vault-wide only when no secret is named", () => {
        const mine = assignments(stack).filter((a) => a.principalId === writer.principalId);
        assert.deepEqual(
            mine.map((a) => [a.role, a.scope]).sort(),
            [
                ["Key Vault Secrets Officer", `${VAULT_ID}/secrets/linkerd-issuer`],
                ["Key Vault Secrets User", VAULT_ID],
            ],
        );
    });

    it("keeps every assignment under the vault component", () => {
        const component = stack.one("amlmesh:azure:KeyVault");
        for (const a of assignments(stack)) assert.equal(a.resource.parent, component.urn);
    });
});
