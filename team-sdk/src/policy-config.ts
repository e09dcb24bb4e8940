/**
 * The policy pack settings a team stack runs with, from the platform's outputs: the authorizer
 * its routes must name, the prefixes delegated to it, and its namespaces (which the team stack
 * does not declare: the platform meshes them and its admission policies keep them meshed).
 * Merge the result over the environment's `policy/config/<env>.json` and pass it as
 * `--policy-pack-config`.
 */
import type { PlatformOutputsDocument } from "./kit/outputs-contract";

export type TeamPolicySettings = Record<string, Record<string, unknown>>;

export function teamPolicySettings(platform: PlatformOutputsDocument, teamName: string): TeamPolicySettings {
    const team = platform.teams.find((candidate) => candidate.name === teamName);
    if (!team) throw new Error(`team ${teamName} is not onboarded on the platform (onboarded: ${platform.teams.map((t) => t.name).join(", ") || "none"})`);
    return {
        "team-route-guarded": { authorizer: platform.edge.authorizer.authServiceName },
        "team-route-within-prefix": { delegations: team.prefixes.map((prefix) => ({ path: prefix.path, delegatedTo: prefix.delegatedTo })) },
        "mesh-namespace-default-deny": { exemptNamespaces: [...team.namespaces] },
    };
}
