/**
 * The amlmesh program: read and validate the stack config, build the platform, export the
 * outputs contract. Everything here is wiring; resources live in components/.
 */
import * as pulumi from "@pulumi/pulumi";
import { findPlaceholders, kubernetesSupportWarning, loadStackConfig } from "./config";
import { buildPlatform } from "./platform";

export = async () => {
    // Validate before anything is declared: a bad config must not leave half a plan behind.
    const config = loadStackConfig();
    const placeholders = findPlaceholders(config);
    if (placeholders.length > 0) {
        if (!pulumi.runtime.isDryRun()) {
            throw new Error(
                `Refusing to deploy placeholder values; replace them in the stack file first:\n  ${placeholders.join("\n  ")}`,
            );
        }
        pulumi.log.warn(`This stack still holds placeholder values (deploys are refused until replaced): ${placeholders.join(", ")}`);
    }
    const kubernetesWarning = kubernetesSupportWarning(config);
    if (kubernetesWarning) pulumi.log.warn(kubernetesWarning);
    return buildPlatform(config);
};
