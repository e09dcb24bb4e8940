/**
 * Who may reach what through the mesh, read back from a plan's Linkerd objects the way the
 * policy controller joins them: AuthorizationPolicy → target (a Server, or an HTTPRoute whose
 * parent is a Server) → required authentications (MeshTLSAuthentication identities or
 * NetworkAuthentication networks). One grant per (policy, target): the pods and port, the paths
 * (none: the whole port) and the clients.
 */
import * as assert from "node:assert/strict";
import type { PlannedStack, TestResource } from "../harness";

export interface MeshGrant {
    namespace: string;
    server: string;
    podSelector: unknown;
    port: unknown;
    /** `METHOD path (type)` of each route match; empty when the policy targets the whole Server. */
    paths: string[];
    /** `ns/serviceAccount` of identities, `net:<cidr>` of networks. */
    clients: string[];
}

function kindOf(resource: TestResource): string {
    return resource.type.split(":").pop() ?? "";
}

/** Every grant in the plan. Fails on a dangling reference (the policy controller would ignore it). */
export function meshGrants(stack: PlannedStack): MeshGrant[] {
    const linkerd = stack.resources.filter((r) => r.type.startsWith("kubernetes:policy.linkerd.io/"));
    const find = (kind: string, namespace: string, name: unknown): TestResource => {
        const found = linkerd.find((r) => kindOf(r) === kind && r.input("metadata.namespace") === namespace && r.input("metadata.name") === name);
        assert.ok(found, `no ${kind} ${namespace}/${String(name)}`);
        return found;
    };
    const grants: MeshGrant[] = [];
    for (const policy of linkerd.filter((r) => kindOf(r) === "AuthorizationPolicy")) {
        const namespace = String(policy.input("metadata.namespace"));
        const target = policy.input("spec.targetRef") as { kind: string; name: string };
        let server: TestResource;
        let paths: string[] = [];
        if (target.kind === "Server") server = find("Server", namespace, target.name);
        else {
            assert.equal(target.kind, "HTTPRoute", `${policy.name} targets a ${target.kind}`);
            const route = find("HTTPRoute", namespace, target.name);
            const parents = route.input("spec.parentRefs") as { kind: string; name: string }[];
            assert.equal(parents.length, 1, `${route.name} has ${parents.length} parents`);
            server = find("Server", namespace, parents[0].name);
            const rules = route.input("spec.rules") as { matches: { path?: { type: string; value: string }; method?: string }[] }[];
            paths = rules.flatMap((rule) => {
                // A rule without matches matches every request: report it as the whole port.
                assert.ok(rule.matches.length > 0, `${route.name} has a rule that matches everything`);
                return rule.matches.map((match) => `${match.method ?? "*"} ${match.path?.value ?? "/"} (${match.path?.type ?? "PathPrefix"})`);
            });
        }
        const clients = (policy.input("spec.requiredAuthenticationRefs") as { kind: string; name: string }[]).flatMap((ref) => {
            const authentication = find(ref.kind, namespace, ref.name);
            if (ref.kind === "MeshTLSAuthentication") {
                return (authentication.input("spec.identityRefs") as { namespace: string; name: string }[]).map((id) => `${id.namespace}/${id.name}`);
            }
            assert.equal(ref.kind, "NetworkAuthentication");
            return (authentication.input("spec.networks") as { cidr: string }[]).map((network) => `net:${network.cidr}`);
        });
        grants.push({
            namespace,
            server: String(server.input("metadata.name")),
            podSelector: server.input("spec.podSelector"),
            port: server.input("spec.port"),
            paths: paths.sort(),
            clients: clients.sort(),
        });
    }
    return grants;
}

/** A stable text form of a grant, for set comparisons. */
export function grantKey(grant: MeshGrant): string {
    return JSON.stringify([grant.namespace, grant.server, grant.podSelector, grant.port, grant.paths, grant.clients]);
}
