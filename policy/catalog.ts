/**
 * The pack's single list of policies, its name and version. The pack entry, the tests and the
 * offline runner all read from here.
 */
import type { AmlmeshPolicy } from "./lib/define";
import { dataPolicies } from "./rules/data";
import { identityPolicies } from "./rules/identity";
import { loggingPolicies } from "./rules/logging";
import { meshEdgePolicies } from "./rules/mesh-edge";
import { networkPolicies } from "./rules/network";
import { secretPolicies } from "./rules/secrets";
import { tenancyPolicies } from "./rules/tenancy";
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
    ...tenancyPolicies,
    ...secretPolicies,
    ...workloadPolicies,
    ...loggingPolicies,
];
