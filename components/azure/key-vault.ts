/**
 * The platform Key Vault: Azure RBAC for data-plane access (no access policies), purge
 * protection and soft delete, no public endpoint unless developer ranges are configured (dev
 * only: then a default-deny firewall that admits them), a private endpoint, and diagnostics.
 * Access is granted only through the `grant*` methods, each at the narrowest scope that works
 * (a single secret or certificate when one is named).
 */
import * as keyvault from "@pulumi/azure-native/keyvault";
import type * as authorization from "@pulumi/azure-native/authorization";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { AzureContext } from "./context";
import { RoleGrants } from "./grants";
import type { DiagnosticsSink } from "./monitoring";
import type { PrivateLinks } from "./network";
import type { Principal } from "./principal";
import { allowedRanges, type PublicEndpointAccess } from "./public-access";
import type { BuiltInRoleName } from "./roles";


export interface KeyVaultArgs {
    context: AzureContext;
    /**
     * Start of the Azure name; the component appends a random suffix of
     * `KEY_VAULT_NAME_SUFFIX_LENGTH` characters, kept in state. Together at most 24 characters.
     *
     * Why random: purge protection keeps a deleted vault, name included, for its whole
     * retention (up to 90 days) and nobody may purge it, so a name derived only from config
     * would stop a destroyed stack from being created again until then. The suffix lives as
     * long as the stack's state, so updates keep the vault.
     */
    vaultNamePrefix: string;
    publicAccess: PublicEndpointAccess;
    /** Days a deleted vault or object stays recoverable (7-90). */
    softDeleteRetentionDays: number;
    privateLinks: PrivateLinks;
    diagnostics: DiagnosticsSink;
}

/** Options of the secret grants: without a name the grant covers every secret in the vault. */
export interface SecretGrantOptions {
    /** Grant on this one secret only (the scope `<vault>/secrets/<name>`). */
    secretName?: string;
}

export interface CertificateGrantOptions {
    /** Grant on this one certificate only (the scope `<vault>/certificates/<name>`). */
    certificateName?: string;
}

/** Length of the random part of a vault name. */
export const KEY_VAULT_NAME_SUFFIX_LENGTH = 6;

export class KeyVault extends pulumi.ComponentResource {
    readonly vault: keyvault.Vault;
    readonly id: pulumi.Output<string>;
    readonly name: pulumi.Output<string>;
    /** `https://<name>.vault.azure.net/` */
    readonly vaultUri: pulumi.Output<string>;
    private readonly grants: RoleGrants;
    /** How role-assignment descriptions name the vault (its name is only known once the suffix exists). */
    private readonly vaultLabel: string;

    constructor(name: string, args: KeyVaultArgs, opts?: pulumi.ComponentResourceOptions) {
        super("amlmesh:azure:KeyVault", name, {}, opts);
        const { context } = args;
        const allowlist = allowedRanges(args.publicAccess);
        if (!/^[a-z][a-z0-9-]*-$/.test(args.vaultNamePrefix) || /--/.test(args.vaultNamePrefix) || args.vaultNamePrefix.length + KEY_VAULT_NAME_SUFFIX_LENGTH > 24) {
            throw new Error(
                `KeyVault ${name}: vaultNamePrefix "${args.vaultNamePrefix}" must start with a letter, hold lower-case letters, digits and single hyphens, end with "-" and leave room for ${KEY_VAULT_NAME_SUFFIX_LENGTH} more characters within 24`,
            );
        }
        this.vaultLabel = `Key Vault ${args.vaultNamePrefix}*`;
        const suffix = new random.RandomString(
            `${name}-vault-name-suffix`,
            { length: KEY_VAULT_NAME_SUFFIX_LENGTH, upper: false, special: false, lower: true, numeric: true },
            { parent: this },
        );
        const vaultName = pulumi.interpolate`${args.vaultNamePrefix}${suffix.result}`;

        this.vault = new keyvault.Vault(
            `${name}-vault`,
            {
                resourceGroupName: context.resourceGroupName,
                location: context.location,
                tags: context.tags,
                vaultName,
                properties: {
                    tenantId: context.tenantId,
                    sku: { family: "A", name: "standard" },
                    // Data-plane access is Azure RBAC only: no access policies to drift or audit.
                    enableRbacAuthorization: true,
                    enableSoftDelete: true,
                    softDeleteRetentionInDays: args.softDeleteRetentionDays,
                    // Nobody (including the deployer) can purge secrets before retention ends.
                    enablePurgeProtection: true,
                    enabledForDeployment: false,
                    enabledForDiskEncryption: false,
                    enabledForTemplateDeployment: false,
                    publicNetworkAccess: args.publicAccess.mode === "disabled" ? "Disabled" : "Enabled",
                    networkAcls: {
                        defaultAction: "Deny",
                        // Trusted Azure services (Azure ML's control plane) may pass the firewall; they
                        // still need an RBAC role.
                        bypass: "AzureServices",
                        ipRules: allowlist.map((value) => ({ value })),
                        virtualNetworkRules: [],
                    },
                },
            },
            { parent: this },
        );
        this.id = this.vault.id;
        this.name = this.vault.name;
        this.vaultUri = pulumi
            .all([this.vault.properties, vaultName])
            .apply(([properties, resolvedName]) => properties.vaultUri ?? `https://${resolvedName}.vault.azure.net/`);

        args.privateLinks.privateEndpoint(this, { name, resourceId: this.vault.id, resourceName: vaultName, groupId: "vault" });
        args.diagnostics.diagnostics(this, { name, resourceId: this.vault.id });

        this.grants = new RoleGrants(this, name, context);
        this.registerOutputs({ id: this.id, name: this.name, vaultUri: this.vaultUri });
    }

    /**
     * Read secret values ("Key Vault Secrets User"): what the Secrets Store CSI driver needs,
     * also for the private key of a certificate (fetched as the secret of the same name).
     */
    grantSecretsRead(principal: Principal, options: SecretGrantOptions = {}): authorization.RoleAssignment {
        return this.grantOn("Key Vault Secrets User", principal, "secrets", options.secretName);
    }

    /** Create, update and delete secrets ("Key Vault Secrets Officer"), e.g. for a writer of rotated material. */
    grantSecretsOfficer(principal: Principal, options: SecretGrantOptions = {}): authorization.RoleAssignment {
        return this.grantOn("Key Vault Secrets Officer", principal, "secrets", options.secretName);
    }

    /** Read certificates and their public parts ("Key Vault Certificate User"). */
    grantCertificatesRead(principal: Principal, options: CertificateGrantOptions = {}): authorization.RoleAssignment {
        return this.grantOn("Key Vault Certificate User", principal, "certificates", options.certificateName);
    }

    /** Grants `role` on the whole vault, or on one object of the collection when it is named. */
    private grantOn(
        role: Extract<BuiltInRoleName, `Key Vault ${string}`>,
        principal: Principal,
        collection: "secrets" | "certificates",
        objectName?: string,
    ): authorization.RoleAssignment {
        const kind = collection === "secrets" ? "secret" : "certificate";
        const scope = objectName ? pulumi.interpolate`${this.vault.id}/${collection}/${objectName}` : this.vault.id;
        return this.grants.grant(role, principal, scope, {
            qualifier: objectName ? `${kind}-${objectName.toLowerCase()}` : undefined,
            scopeLabel: objectName ? `${kind} ${objectName} in ${this.vaultLabel}` : this.vaultLabel,
        });
    }
}
