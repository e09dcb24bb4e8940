import * as assert from "node:assert/strict";
import { assertPasses, assertUndecidedInPreview, assertViolates, check, notApplicableReason, UNKNOWN } from "./helpers";
import { registry, storage, vault, workspace } from "./fixtures";

describe("policy: data", () => {
    it("passes the hardened storage account, vault, registry and workspace", async () => {
        const resources = [storage(), vault(), registry(), workspace()];
        const report = await check(resources);
        for (const policy of ["storage-secure-transport", "storage-no-public-blob-access", "storage-no-shared-key-access"]) assertPasses(report, policy, resources[0].urn);
        for (const policy of ["keyvault-purge-protection", "keyvault-rbac-authorization"]) assertPasses(report, policy, resources[1].urn);
        assertPasses(report, "registry-admin-user-disabled", resources[2].urn);
        for (const policy of ["ml-workspace-identity-datastores", "ml-workspace-hbi-in-prod"]) assertPasses(report, policy, resources[3].urn);
    });

    it("storage-secure-transport: flags HTTP and TLS below 1.2", async () => {
        const weak = storage("weak", { enableHttpsTrafficOnly: false, minimumTlsVersion: "TLS1_0" });
        const report = await check([weak]);
        assertViolates(report, "storage-secure-transport", weak.urn, /enableHttpsTrafficOnly/);
        assertViolates(report, "storage-secure-transport", weak.urn, /'TLS1_0'/);
    });

    it("storage-secure-transport: keeps what it found before an unknown value stopped it (engine semantics)", async () => {
        const previewed = storage("preview", { enableHttpsTrafficOnly: false, minimumTlsVersion: UNKNOWN });
        const report = await check([previewed]);
        assertViolates(report, "storage-secure-transport", previewed.urn, /enableHttpsTrafficOnly/);
        assertUndecidedInPreview(report, "storage-secure-transport", previewed.urn);
    });

    it("storage-no-public-blob-access and storage-no-shared-key-access: an unset flag is not a refusal", async () => {
        const defaults = storage("defaults", { allowBlobPublicAccess: undefined, allowSharedKeyAccess: true });
        const report = await check([defaults], "dev");
        const [publicBlob] = assertViolates(report, "storage-no-public-blob-access", defaults.urn, /allowBlobPublicAccess/);
        assert.equal(publicBlob.level, "mandatory", "public blobs never slip, even in dev");
        const [sharedKey] = assertViolates(report, "storage-no-shared-key-access", defaults.urn, /allowSharedKeyAccess/);
        assert.equal(sharedKey.level, "advisory", "dev runs the remaining data rules advisory");
    });

    it("keyvault-purge-protection and keyvault-rbac-authorization: flag a recoverable-less, access-policy vault", async () => {
        const legacy = vault("legacy", { enablePurgeProtection: false, enableSoftDelete: false, enableRbacAuthorization: false, accessPolicies: [{ objectId: "o", tenantId: "t", permissions: { secrets: ["get"] } }] });
        const report = await check([legacy]);
        assertViolates(report, "keyvault-purge-protection", legacy.urn, /enablePurgeProtection/);
        assertViolates(report, "keyvault-purge-protection", legacy.urn, /enableSoftDelete is false/);
        assertViolates(report, "keyvault-rbac-authorization", legacy.urn, /enableRbacAuthorization/);
        assertViolates(report, "keyvault-rbac-authorization", legacy.urn, /accessPolicies/);
    });

    it("registry-admin-user-disabled: flags the admin user and anonymous pull", async () => {
        const open = registry("open", { adminUserEnabled: true, anonymousPullEnabled: true });
        const report = await check([open]);
        assertViolates(report, "registry-admin-user-disabled", open.urn, /adminUserEnabled/);
        assertViolates(report, "registry-admin-user-disabled", open.urn, /anonymousPullEnabled/);
    });

    it("ml-workspace-identity-datastores: flags key-based (or defaulted) datastore auth", async () => {
        const keys = workspace("keys", { systemDatastoresAuthMode: "accessKey" });
        const defaulted = workspace("defaulted", { systemDatastoresAuthMode: undefined });
        const report = await check([keys, defaulted]);
        assertViolates(report, "ml-workspace-identity-datastores", keys.urn, /'accessKey'/);
        assertViolates(report, "ml-workspace-identity-datastores", defaulted.urn, /defaults to accessKey/);
    });

    it("ml-workspace-hbi-in-prod: required in prod, not applicable elsewhere", async () => {
        const prod = workspace("mlw", { hbiWorkspace: false });
        assertViolates(await check([prod], "prod"), "ml-workspace-hbi-in-prod", prod.urn, /hbiWorkspace/);
        const staging = workspace("mlw", { hbiWorkspace: false }, { stack: "staging" });
        const report = await check([staging], "staging");
        assert.match(notApplicableReason(report, "ml-workspace-hbi-in-prod", staging.urn) ?? "", /prod only \(this is staging\)/);
    });
});
