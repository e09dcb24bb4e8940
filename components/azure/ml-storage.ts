/**
 * The storage account behind the Azure ML workspace (its system datastores) and the platform's
 * own data (the `features` container). Entra ID only (no shared key, no SAS from account keys),
 * no anonymous blob access, TLS 1.2 over HTTPS, no public network access, private endpoints for
 * blob and file, soft delete, and diagnostics for the account and its blob service.
 */
import type * as authorization from "@pulumi/azure-native/authorization";
import type * as network from "@pulumi/azure-native/network";
import * as storage from "@pulumi/azure-native/storage";
import * as pulumi from "@pulumi/pulumi";
import type { AzureContext } from "./context";
import { RoleGrants } from "./grants";
import type { DiagnosticsSink } from "./monitoring";
import type { PrivateLinks } from "./network";
import type { Principal } from "./principal";

export interface MlStorageArgs {
    context: AzureContext;
    /** Azure name (globally unique, 3-24 lower-case letters and digits). */
    accountName: string;
    /** Blob containers the platform owns (Azure ML creates its own system containers). */
    containers: string[];
    /** Zone-redundant replication (ZRS) instead of locally redundant (LRS). */
    zoneRedundant: boolean;
    /** Days deleted blobs and containers stay recoverable. */
    softDeleteDays?: number;
    privateLinks: PrivateLinks;
    diagnostics: DiagnosticsSink;
}

export interface BlobGrantOptions {
    /** Grant on this one container only; without it the grant covers every container in the account. */
    container?: string;
}

export class MlStorage extends pulumi.ComponentResource {
    readonly account: storage.StorageAccount;
    readonly id: pulumi.Output<string>;
    readonly name: pulumi.Output<string>;
    /** `https://<account>.blob.core.windows.net/` */
    readonly blobEndpoint: pulumi.Output<string>;
    /** The platform's containers by name. */
    readonly containers: Record<string, storage.BlobContainer>;
    private readonly grants: RoleGrants;
    /** The account's private endpoints (blob, file). */
    private readonly privateEndpoints: { groupId: "blob" | "file"; endpoint: network.PrivateEndpoint }[];
    private readonly accountName: string;

    constructor(name: string, args: MlStorageArgs, opts?: pulumi.ComponentResourceOptions) {
        super("amlmesh:azure:MlStorage", name, {}, opts);
        const { context } = args;
        this.accountName = args.accountName;
        const retention = args.softDeleteDays ?? 14;

        this.account = new storage.StorageAccount(
            `${name}-account`,
            {
                resourceGroupName: context.resourceGroupName,
                location: context.location,
                tags: context.tags,
                accountName: args.accountName,
                kind: "StorageV2",
                sku: { name: args.zoneRedundant ? "Standard_ZRS" : "Standard_LRS" },
                accessTier: "Hot",
                // Entra ID is the only way in: no account keys, no key-signed SAS, no local users.
                allowSharedKeyAccess: false,
                defaultToOAuthAuthentication: true,
                isLocalUserEnabled: false,
                isSftpEnabled: false,
                allowBlobPublicAccess: false,
                allowCrossTenantReplication: false,
                allowedCopyScope: "AAD",
                minimumTlsVersion: "TLS1_2",
                enableHttpsTrafficOnly: true,
                // Reachable only through private endpoints (ours, and the ML managed network's).
                publicNetworkAccess: "Disabled",
                networkRuleSet: { defaultAction: "Deny", bypass: "AzureServices", ipRules: [], virtualNetworkRules: [] },
                encryption: {
                    keySource: "Microsoft.Storage",
                    requireInfrastructureEncryption: true,
                    services: { blob: { enabled: true, keyType: "Account" }, file: { enabled: true, keyType: "Account" } },
                },
            },
            { parent: this },
        );
        this.id = this.account.id;
        this.name = this.account.name;
        this.blobEndpoint = this.account.primaryEndpoints.apply((endpoints) => endpoints.blob);

        const blobService = new storage.BlobServiceProperties(
            `${name}-blob-service`,
            {
                resourceGroupName: context.resourceGroupName,
                accountName: this.account.name,
                blobServicesName: "default",
                deleteRetentionPolicy: { enabled: true, days: retention },
                containerDeleteRetentionPolicy: { enabled: true, days: retention },
            },
            { parent: this.account },
        );

        this.containers = {};
        for (const containerName of args.containers) {
            this.containers[containerName] = new storage.BlobContainer(
                `${name}-container-${containerName}`,
                { resourceGroupName: context.resourceGroupName, accountName: this.account.name, containerName, publicAccess: "None" },
                { parent: this.account, dependsOn: [blobService] },
            );
        }

        this.privateEndpoints = (["blob", "file"] as const).map((groupId) => ({
            groupId,
            endpoint: args.privateLinks.privateEndpoint(this, { name, resourceId: this.account.id, resourceName: args.accountName, groupId }).endpoint,
        }));
        // The account itself emits only metrics; request and audit logs come from the blob service.
        args.diagnostics.diagnostics(this, { name, resourceId: this.account.id, logs: false });
        args.diagnostics.diagnostics(this, { name, label: "blob", resourceId: pulumi.interpolate`${this.account.id}/blobServices/default` });

        this.grants = new RoleGrants(this, name, context);
        this.registerOutputs({ id: this.id, name: this.name, blobEndpoint: this.blobEndpoint });
    }

    /** The ARM scope of one container, for grants and references. */
    containerScope(container: string): pulumi.Output<string> {
        const known = this.containers[container];
        return known ? known.id : pulumi.interpolate`${this.account.id}/blobServices/default/containers/${container}`;
    }

    /** Read and list blobs ("Storage Blob Data Reader"), on one container when named. */
    grantBlobDataReader(principal: Principal, options: BlobGrantOptions = {}): authorization.RoleAssignment {
        return this.grantBlob("Storage Blob Data Reader", principal, options);
    }

    /** Read, write and delete blobs ("Storage Blob Data Contributor"), on one container when named. */
    grantBlobDataContributor(principal: Principal, options: BlobGrantOptions = {}): authorization.RoleAssignment {
        return this.grantBlob("Storage Blob Data Contributor", principal, options);
    }

    /**
     * Read, write and manage files over OAuth ("Storage File Data Privileged Contributor"), on
     * the account: what Azure ML users need for notebooks and code when shared keys are off.
     */
    grantFileDataPrivilegedContributor(principal: Principal): authorization.RoleAssignment {
        return this.grants.grant("Storage File Data Privileged Contributor", principal, this.account.id, { scopeLabel: `storage account ${this.accountName}` });
    }

    /**
     * See the account's private endpoints ("Reader" on each endpoint, nothing else): the Azure
     * ML workspace identity needs it to reach a storage account that has only private endpoints.
     */
    grantPrivateEndpointsRead(principal: Principal): authorization.RoleAssignment[] {
        return this.privateEndpoints.map(({ groupId, endpoint }) =>
            this.grants.grant("Reader", principal, endpoint.id, {
                qualifier: `private-endpoint-${groupId}`,
                scopeLabel: `the ${groupId} private endpoint of storage account ${this.accountName}`,
            }),
        );
    }

    private grantBlob(role: "Storage Blob Data Reader" | "Storage Blob Data Contributor", principal: Principal, { container }: BlobGrantOptions) {
        return this.grants.grant(role, principal, container ? this.containerScope(container) : this.account.id, {
            qualifier: container ? `container-${container}` : undefined,
            scopeLabel: container ? `container ${container} of storage account ${this.accountName}` : `storage account ${this.accountName}`,
        });
    }
}
