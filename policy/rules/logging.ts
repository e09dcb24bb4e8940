/**
 * Logging: every service that holds or processes data sends its diagnostic logs to Log
 * Analytics, the audit trail the SOC 2 and HIPAA controls rely on.
 */
import type { PolicyResource } from "@pulumi/policy";
import { stackPolicy, type AmlmeshPolicy } from "../lib/define";
import { RESOURCE_TYPES, typeNameOf } from "../lib/resource-types";
import { isRecord, known, knownArray, knownString, UNKNOWN } from "../lib/values";

/** The resource types that must have a diagnostic setting. */
const MONITORED_TYPES = [
    RESOURCE_TYPES.keyVault,
    RESOURCE_TYPES.managedCluster,
    RESOURCE_TYPES.mlWorkspace,
    RESOURCE_TYPES.storageAccount,
    RESOURCE_TYPES.containerRegistry,
] as const;

/**
 * True when the setting sends to a Log Analytics workspace and enables at least one log category
 * (metrics alone are no audit trail).
 */
function sendsLogsToLogAnalytics(setting: PolicyResource): boolean {
    const workspaceId = knownString(setting.props, "workspaceId");
    if (workspaceId === undefined || workspaceId === "") return false;
    const logs = knownArray(setting.props, "logs");
    return logs === UNKNOWN || logs.some((entry) => isRecord(entry) && known(() => entry.enabled) !== false);
}

const diagnosticSettings = stackPolicy({
    name: "diagnostic-settings-to-log-analytics",
    description: "Every Key Vault, AKS cluster, ML workspace, storage account and container registry has a diagnostic setting that sends logs to Log Analytics.",
    category: "logging",
    severity: "high",
    enforcementLevel: "mandatory",
    remediationSteps:
        "Add a monitor.DiagnosticSetting with resourceUri: <resource>.id (for storage, also the blob service), workspaceId: the " +
        "Log Analytics workspace id, and logs: [{ categoryGroup: 'audit' (or 'allLogs'), enabled: true }].",
    controls: { soc2: ["CC7.2"], hipaa: ["164.312(b)"] },
    validate: (stack, args, reportViolation) => {
        const targets = MONITORED_TYPES.flatMap((type) => stack.ofType(type));
        if (targets.length === 0) return args.notApplicable("No monitored resource types in this stack.");
        const monitored = new Set<PolicyResource>();
        const targetsById = new Map<string, PolicyResource>();
        for (const target of targets) {
            const id = knownString(target.props, "id");
            if (typeof id === "string" && id !== "") targetsById.set(id.toLowerCase().replace(/\/+$/, ""), target);
        }
        for (const setting of stack.ofType(RESOURCE_TYPES.diagnosticSetting)) {
            if (!sendsLogsToLogAnalytics(setting)) continue;
            // Linked by the property dependency on the target (its id flowed into resourceUri)...
            for (const source of stack.dependenciesOf(setting, "resourceUri")) monitored.add(source);
            // ...or by a known resourceUri that is the target's id or a child of it (storage blob service).
            const uri = knownString(setting.props, "resourceUri");
            if (typeof uri !== "string") continue;
            const segments = uri.toLowerCase().replace(/\/+$/, "").split("/");
            for (let length = segments.length; length > 0; length--) {
                const target = targetsById.get(segments.slice(0, length).join("/"));
                if (target) {
                    monitored.add(target);
                    break;
                }
            }
        }
        for (const target of targets) {
            if (!monitored.has(target)) {
                reportViolation(`${typeNameOf(target.type)} '${target.name}' has no diagnostic setting sending to Log Analytics.`, target.urn);
            }
        }
    },
});

export const loggingPolicies: AmlmeshPolicy[] = [diagnosticSettings];
