/**
 * The good team stack the tenancy tests start from: what the platform's own ProtectedRoute
 * declares for a route under the first team's prefix, with the edge as the platform's outputs
 * describe it, and the team's namespace as the platform stack declares it.
 */
import { ProtectedRoute } from "@amlmesh/team-sdk/kit/edge/protected-route";
import { parsePlatformOutputs, type PlatformOutputsDocument } from "@amlmesh/team-sdk/kit/outputs-contract";
import { runComponents, type PlannedStack } from "../harness";

export interface TeamRouteFixture {
    outputs: PlatformOutputsDocument;
    /** The team namespace: name, labels, and the object as the platform stack declares it. */
    namespace: { name: string; labels: Record<string, string>; object: Record<string, unknown> };
    /** What ProtectedRoute registered for the team's route. */
    route: PlannedStack;
}

export async function teamRouteFromPlatform(platform: PlannedStack): Promise<TeamRouteFixture> {
    const outputs = parsePlatformOutputs(platform.outputs);
    const prefix = outputs.teams[0].prefixes[0];
    const declared = platform.ofType("kubernetes:core/v1:Namespace").find((r) => r.input("metadata.name") === prefix.namespace);
    if (!declared) throw new Error(`the platform stack declares no namespace ${prefix.namespace}`);
    const metadata = declared.input("metadata") as { labels: Record<string, string> };
    const route = await runComponents(
        () =>
            new ProtectedRoute(prefix.route, {
                host: outputs.edge.hostName,
                path: `${prefix.path}/score`,
                backend: { namespace: { name: prefix.namespace, ready: [] }, service: "fraud-scorer", port: 8080, serviceAccount: "fraud-scorer", podSelector: { app: "fraud-scorer" } },
                roles: ["Model.Invoke"],
                rateLimit: outputs.edge.defaultRateLimit,
                edge: {
                    identity: { namespace: outputs.edge.ingressIdentity.namespace, name: outputs.edge.ingressIdentity.serviceAccount },
                    ingressClassName: outputs.edge.ingressClassName,
                    authorizer: { namespace: outputs.edge.authorizer.namespace, name: outputs.edge.authorizer.name, port: outputs.edge.authorizer.port },
                    ready: [],
                },
            }),
        { stack: "prod" },
    );
    return { outputs, namespace: { name: prefix.namespace, labels: metadata.labels, object: { metadata } }, route };
}
