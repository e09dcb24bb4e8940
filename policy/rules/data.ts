/**
 * Data: encryption in transit, no anonymous or key-based access to data, recoverable and
 * RBAC-governed secrets, identity-based ML datastores, HBI workspaces in prod.
 */
import { resourcePolicy, type AmlmeshPolicy } from "../lib/define";
import { RESOURCE_TYPES } from "../lib/resource-types";
import { environmentOf, environmentSchema } from "../lib/settings";
import { sameText } from "../lib/values";

const storageSecureTransport = resourcePolicy({
    name: "storage-secure-transport",
    description: "Storage accounts accept HTTPS only, with TLS 1.2 or later.",
    category: "data",
    severity: "high",
    enforcementLevel: "mandatory",
    remediationSteps: "Set enableHttpsTrafficOnly: true and minimumTlsVersion: 'TLS1_2' on the StorageAccount.",
    controls: { soc2: ["CC6.7"], hipaa: ["164.312(e)(1)", "164.312(e)(2)(ii)"] },
    resourceTypes: [RESOURCE_TYPES.storageAccount],
    validate: (account, _args, reportViolation) => {
        if (account.enableHttpsTrafficOnly !== true) reportViolation("enableHttpsTrafficOnly is not true: plain HTTP is accepted.");
        const tls = account.minimumTlsVersion;
        if (!sameText(tls, "TLS1_2") && !sameText(tls, "TLS1_3")) {
            reportViolation(`minimumTlsVersion is ${tls === undefined ? "not set" : `'${tls}'`}; require TLS1_2 or later.`);
        }
    },
});

const storageNoPublicBlob = resourcePolicy({
    name: "storage-no-public-blob-access",
    description: "Storage accounts forbid anonymous (public) blob access.",
    category: "data",
    severity: "critical",
    enforcementLevel: "mandatory",
    remediationSteps: "Set allowBlobPublicAccess: false on the StorageAccount.",
    controls: { soc2: ["CC6.1", "CC6.6"], hipaa: ["164.312(a)(1)"] },
    resourceTypes: [RESOURCE_TYPES.storageAccount],
    validate: (account, _args, reportViolation) => {
        if (account.allowBlobPublicAccess !== false) reportViolation("allowBlobPublicAccess is not false: containers could be made anonymously readable.");
    },
});

const storageNoSharedKey = resourcePolicy({
    name: "storage-no-shared-key-access",
    description: "Storage accounts refuse shared-key (account key and SAS) authorization; access is through Entra ID and RBAC.",
    category: "data",
    severity: "high",
    enforcementLevel: "mandatory",
    remediationSteps:
        "Set allowSharedKeyAccess: false (and defaultToOAuthAuthentication: true) on the StorageAccount; grant " +
        "'Storage Blob Data *' roles to the managed identities that need data access.",
    controls: { soc2: ["CC6.1"], hipaa: ["164.312(a)(1)", "164.312(d)"] },
    resourceTypes: [RESOURCE_TYPES.storageAccount],
    validate: (account, _args, reportViolation) => {
        if (account.allowSharedKeyAccess !== false) reportViolation("allowSharedKeyAccess is not false: the account keys grant full access to the data.");
    },
});

const keyVaultRecoverable = resourcePolicy({
    name: "keyvault-purge-protection",
    description: "Key Vaults keep soft delete on and enable purge protection, so secrets, keys and certificates cannot be destroyed for good.",
    category: "data",
    severity: "high",
    enforcementLevel: "mandatory",
    remediationSteps: "Set properties.enablePurgeProtection: true and leave properties.enableSoftDelete true (the default).",
    controls: { soc2: ["CC6.1", "A1.1"], hipaa: ["164.312(c)(1)", "164.312(a)(2)(iv)"] },
    resourceTypes: [RESOURCE_TYPES.keyVault],
    validate: (vault, _args, reportViolation) => {
        if (vault.properties.enablePurgeProtection !== true) reportViolation("properties.enablePurgeProtection is not true.");
        if (vault.properties.enableSoftDelete === false) reportViolation("properties.enableSoftDelete is false.");
    },
});

const keyVaultRbac = resourcePolicy({
    name: "keyvault-rbac-authorization",
    description: "Key Vaults authorize data-plane access with Azure RBAC, not vault access policies.",
    category: "data",
    severity: "high",
    enforcementLevel: "mandatory",
    remediationSteps:
        "Set properties.enableRbacAuthorization: true, remove accessPolicies, and grant 'Key Vault Secrets User' (etc.) on " +
        "the vault through keyVault.grant* methods.",
    controls: { soc2: ["CC6.1", "CC6.3"], hipaa: ["164.312(a)(1)"] },
    resourceTypes: [RESOURCE_TYPES.keyVault],
    validate: (vault, _args, reportViolation) => {
        if (vault.properties.enableRbacAuthorization !== true) reportViolation("properties.enableRbacAuthorization is not true: access policies govern the data plane.");
        if ((vault.properties.accessPolicies ?? []).length > 0) reportViolation("properties.accessPolicies is not empty.");
    },
});

const registryAdminDisabled = resourcePolicy({
    name: "registry-admin-user-disabled",
    description: "Container registries have the admin user and anonymous pull disabled; pulls and pushes authenticate with Entra ID.",
    category: "data",
    severity: "high",
    enforcementLevel: "mandatory",
    remediationSteps: "Set adminUserEnabled: false and anonymousPullEnabled: false; grant AcrPull to the kubelet identity and AcrPush to CI.",
    controls: { soc2: ["CC6.1"], hipaa: ["164.312(d)", "164.312(a)(1)"] },
    resourceTypes: [RESOURCE_TYPES.containerRegistry],
    validate: (registry, _args, reportViolation) => {
        if (registry.adminUserEnabled === true) reportViolation("adminUserEnabled is true: a shared admin password can push and pull.");
        if (registry.anonymousPullEnabled === true) reportViolation("anonymousPullEnabled is true: anyone can pull images.");
    },
});

const mlIdentityDatastores = resourcePolicy({
    name: "ml-workspace-identity-datastores",
    description: "ML workspaces access their system datastores with managed identity, not storage account keys.",
    category: "data",
    severity: "high",
    enforcementLevel: "mandatory",
    remediationSteps:
        "Set systemDatastoresAuthMode: 'identity' on the Workspace and grant the workspace identity 'Storage Blob Data " +
        "Contributor' on its storage account.",
    controls: { soc2: ["CC6.1"], hipaa: ["164.312(d)", "164.312(a)(1)"] },
    resourceTypes: [RESOURCE_TYPES.mlWorkspace],
    validate: (workspace, _args, reportViolation) => {
        const mode = workspace.systemDatastoresAuthMode;
        if (!sameText(mode, "identity")) {
            reportViolation(`systemDatastoresAuthMode is ${mode === undefined ? "not set (defaults to accessKey)" : `'${mode}'`}; use 'identity'.`);
        }
    },
});

const mlHbiInProd = resourcePolicy({
    name: "ml-workspace-hbi-in-prod",
    description: "Production ML workspaces are high-business-impact (HBI): reduced Microsoft diagnostics and encrypted local scratch disks.",
    category: "data",
    severity: "medium",
    enforcementLevel: "mandatory",
    remediationSteps: "Set hbiWorkspace: true on the prod Workspace (it can only be set at creation, so it forces a replacement).",
    controls: { soc2: ["CC6.7"], hipaa: ["164.312(a)(2)(iv)"] },
    configSchema: environmentSchema,
    resourceTypes: [RESOURCE_TYPES.mlWorkspace],
    validate: (workspace, args, reportViolation) => {
        const environment = environmentOf(args.getConfig(), args.urn);
        if (environment !== "prod") return args.notApplicable(`HBI is required in prod only (this is ${environment})`);
        if (workspace.hbiWorkspace !== true) reportViolation("hbiWorkspace is not true in prod.");
    },
});

export const dataPolicies: AmlmeshPolicy[] = [
    storageSecureTransport,
    storageNoPublicBlob,
    storageNoSharedKey,
    keyVaultRecoverable,
    keyVaultRbac,
    registryAdminDisabled,
    mlIdentityDatastores,
    mlHbiInProd,
];
