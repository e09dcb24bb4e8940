/**
 * Secrets: no secret material travels as a literal through Helm values, ConfigMaps, container
 * environment variables or stack outputs. Secrets live in Key Vault and reach pods through the
 * Secrets Store CSI driver; Azure access uses workload identity.
 */
import { resourcePolicy, stackPolicy, type AmlmeshPolicy } from "../lib/define";
import { describeContainer, forEachContainer } from "../lib/kube";
import { RESOURCE_TYPES, WORKLOAD_TYPES, type PropsByType } from "../lib/resource-types";
import { secretKind } from "../lib/secret-patterns";
import { isRecord, known, knownArray, knownString, UNKNOWN, visitLeaves } from "../lib/values";

const REMEDIATION =
    "Store the value in Key Vault and mount it with a SecretProviderClass (Secrets Store CSI, rotation on), or replace it " +
    "with workload identity. For Helm charts use the chart's existingSecret-style setting; for outputs export the Key Vault " +
    "secret name or ID instead of the value.";

/** Reports every leaf under `root` that looks like secret material. */
function scanForSecrets(root: unknown, describe: (path: string[]) => string, report: (message: string) => void): void {
    visitLeaves(root, (path, value) => {
        const kind = secretKind(path[path.length - 1], value);
        if (kind) report(`${describe(path)} holds ${kind}.`);
    });
}

const noSecretLiterals = resourcePolicy({
    name: "no-secret-literals",
    description:
        "No private key, storage key or connection string, SAS token, client secret, JWT or password-like literal appears in Helm values, " +
        "ConfigMap data or container environment variables.",
    category: "secrets",
    severity: "critical",
    enforcementLevel: "mandatory",
    remediationSteps: REMEDIATION,
    controls: { soc2: ["CC6.1", "CC6.7"], hipaa: ["164.312(a)(1)", "164.312(a)(2)(iv)", "164.312(d)"] },
    resourceTypes: [RESOURCE_TYPES.helmRelease, RESOURCE_TYPES.configMap, ...WORKLOAD_TYPES],
    validate: (props, args, reportViolation) => {
        switch (args.type) {
            case RESOURCE_TYPES.helmRelease:
                return scanForSecrets((props as PropsByType[typeof RESOURCE_TYPES.helmRelease]).values, (path) => `Helm value ${path.join(".")}`, reportViolation);
            case RESOURCE_TYPES.configMap:
                return scanForSecrets((props as PropsByType[typeof RESOURCE_TYPES.configMap]).data, (path) => `ConfigMap key ${path.join(".")}`, reportViolation);
            default: {
                // An unknown value cannot be a literal: skip it and judge the known containers.
                forEachContainer(
                    args.type,
                    props,
                    (named) => {
                        const env = knownArray(named.container, "env");
                        for (const variable of env === UNKNOWN ? [] : env.filter(isRecord)) {
                            const name = knownString(variable, "name");
                            const value = known(() => variable.value);
                            const kind = value === UNKNOWN ? undefined : secretKind(typeof name === "string" ? name : undefined, value);
                            if (kind) reportViolation(`Environment variable ${String(name)} of ${describeContainer(named)} holds ${kind}.`);
                        }
                    },
                    { skipUnknown: true },
                );
            }
        }
    },
});

const noSecretOutputs = stackPolicy({
    name: "no-secret-stack-outputs",
    description:
        "No stack output looks like secret material (private key, key, connection string, token, password). Policies receive " +
        "secret values unwrapped and cannot tell a secret output from a plain one, so any secret-looking output is flagged: " +
        "stack references and consumers should get names and IDs, never the secret itself.",
    category: "secrets",
    severity: "critical",
    enforcementLevel: "mandatory",
    remediationSteps: REMEDIATION,
    controls: { soc2: ["CC6.1", "CC6.7"], hipaa: ["164.312(a)(1)", "164.312(a)(2)(iv)"] },
    validate: (stack, args, reportViolation) => {
        const root = stack.ofType(RESOURCE_TYPES.stack)[0];
        if (!root) return args.notApplicable("No root stack resource.");
        // The root stack resource's properties are the stack outputs.
        scanForSecrets(root.props, (path) => `Stack output ${path.join(".")}`, (message) => reportViolation(message, root.urn));
    },
});

export const secretPolicies: AmlmeshPolicy[] = [noSecretLiterals, noSecretOutputs];
