/**
 * Composition root: builds the platform from components for one validated stack config and
 * returns the outputs contract. No resource settings live here, only wiring.
 */
import * as resources from "@pulumi/azure-native/resources";
import type { StackConfig } from "./config";
import { platformOutputs, type PlatformOutputs } from "./outputs";
import { platformTags } from "./tags";

export function buildPlatform(config: StackConfig): PlatformOutputs {
    const tags = platformTags(config);
    const resourceGroup = new resources.ResourceGroup("platform", {
        resourceGroupName: `rg-${config.namePrefix}-${config.environment}`,
        location: config.location,
        tags,
    });
    return platformOutputs({ config, resourceGroup });
}
