/**
 * What every Azure component needs to know about where it is deployed. Built once by the
 * program (infra/) and passed to each component; components never read Pulumi config.
 */
import type * as pulumi from "@pulumi/pulumi";

export interface AzureContext {
    /** Resource group the component's resources live in. */
    resourceGroupName: pulumi.Input<string>;
    /** Azure region (`westeurope`). */
    location: string;
    /** Tags on every taggable resource. */
    tags: Record<string, string>;
    /** Subscription of the deployment; role definition IDs are subscription-scoped. */
    subscriptionId: pulumi.Input<string>;
    /** Entra tenant that owns the identities and issues the tokens. */
    tenantId: string;
}
