/**
 * The outputs contract other teams read through stack references. Keep it backwards
 * compatible: add fields freely, but renaming or removing one is a breaking change that bumps
 * OUTPUTS_SCHEMA_VERSION. Nothing here is secret; a secret would have to be marked as one.
 */
import type * as resources from "@pulumi/azure-native/resources";
import * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "./config";

export const OUTPUTS_SCHEMA_VERSION = 1;

export interface PlatformOutputs {
    schemaVersion: number;
    environment: string;
    location: string;
    tenantId: string;
    resourceGroup: { id: pulumi.Output<string>; name: pulumi.Output<string> };
}

export interface OutputSources {
    config: StackConfig;
    resourceGroup: resources.ResourceGroup;
}

export function platformOutputs({ config, resourceGroup }: OutputSources): PlatformOutputs {
    return {
        schemaVersion: OUTPUTS_SCHEMA_VERSION,
        environment: config.environment,
        location: config.location,
        tenantId: config.tenantId,
        resourceGroup: { id: resourceGroup.id, name: resourceGroup.name },
    };
}
