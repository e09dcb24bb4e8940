import type { StackConfig } from "./config";

/** Tags on every Azure resource: who owns it, which environment, and that Pulumi manages it. */
export function platformTags(config: StackConfig): Record<string, string> {
    return { ...config.tags, environment: config.environment, project: "amlmesh", managedBy: "pulumi" };
}
