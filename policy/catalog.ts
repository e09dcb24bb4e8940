/**
 * The pack's single list of policies, its name and version, and the compliance metadata of
 * every policy in machine-readable form. The pack entry, the tests and the offline runner all
 * read from here.
 */
import type { ComplianceControls } from "./lib/controls";
import { isStackPolicy, type AmlmeshPolicy, type PolicyCategory } from "./lib/define";
import { dataPolicies } from "./rules/data";
import { identityPolicies } from "./rules/identity";
import { loggingPolicies } from "./rules/logging";
import { meshEdgePolicies } from "./rules/mesh-edge";
import { networkPolicies } from "./rules/network";
import { secretPolicies } from "./rules/secrets";
import { workloadPolicies } from "./rules/workloads";
import packageJson from "./package.json";

export const PACK_NAME = "amlmesh-zero-trust";
/** The pack version is the package version (PolicyPack reads it from package.json too). */
export const PACK_VERSION: string = packageJson.version;
export const PACK_DESCRIPTION = "amlmesh zero-trust rules: Entra ID and managed identities, private data plane, meshed default-deny workloads, an authenticated edge, no literal secrets, audit logging.";

export const policies: readonly AmlmeshPolicy[] = [
    ...identityPolicies,
    ...networkPolicies,
    ...dataPolicies,
    ...meshEdgePolicies,
    ...secretPolicies,
    ...workloadPolicies,
    ...loggingPolicies,
];

export type PolicySeverity = AmlmeshPolicy["severity"];

/** What a reader (report, README, audit export) needs to know about each policy. */
export interface PolicyCatalogEntry {
    name: string;
    category: PolicyCategory;
    kind: "resource" | "stack";
    severity: PolicySeverity;
    defaultEnforcementLevel: AmlmeshPolicy["enforcementLevel"];
    controls: ComplianceControls;
    description: string;
    remediationSteps: string;
}

export const policyCatalog: ReadonlyMap<string, PolicyCatalogEntry> = new Map(
    policies.map((policy) => [
        policy.name,
        {
            name: policy.name,
            category: policy.category,
            kind: isStackPolicy(policy) ? "stack" : "resource",
            severity: policy.severity,
            defaultEnforcementLevel: policy.enforcementLevel,
            controls: policy.controls,
            description: policy.description,
            remediationSteps: policy.remediationSteps,
        },
    ]),
);
