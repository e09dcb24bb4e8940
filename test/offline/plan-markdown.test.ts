import * as assert from "node:assert/strict";
import { builtInRoleName, customRoleName } from "../../components/azure/roles";
import type { PlanDocument, PlanDocumentResource } from "../../offline/document";
import { planStack } from "../../offline/plan";
import { asPlanDocument } from "../../offline/plan-diff";

/** The nodes and edges of the Mermaid flowchart in a Markdown text, read back from the text. */
function readMermaid(markdown: string): { labels: Map<string, string>; edges: { from: string; label: string; to: string }[] } {
    const blocks = [...markdown.matchAll(/```mermaid\n([\s\S]*?)\n```/g)];
    assert.equal(blocks.length, 1, "expected exactly one mermaid block");
    const lines = blocks[0][1].split("\n");
    assert.equal(lines[0], "flowchart LR");
    const labels = new Map<string, string>();
    const edges: { from: string; label: string; to: string }[] = [];
    for (const line of lines.slice(1)) {
        const node = /^\s*(\w+)\["(.*)"\]$/.exec(line);
        const edge = /^\s*(\w+) (?:-->|-\.->)\|"(.*)"\| (\w+)$/.exec(line);
        if (node) {
            assert.ok(!labels.has(node[1]), `node ${node[1]} declared twice`);
            labels.set(node[1], node[2].replace(/#quot;/g, '"'));
        } else if (edge) edges.push({ from: edge[1], label: edge[2], to: edge[3] });
        else assert.match(line, /^\s*(subgraph \w+\[".*"\]|end)$/, `unexpected mermaid line: ${line}`);
    }
    for (const edge of edges) {
        assert.ok(labels.has(edge.from) && labels.has(edge.to), `edge ${edge.from} → ${edge.to} names an undeclared node`);
    }
    return { labels, edges };
}

const input = (resource: PlanDocumentResource, ...path: (string | number)[]): unknown =>
    path.reduce<unknown>((value, key) => (value as Record<string | number, unknown> | undefined)?.[key], resource.inputs);

describe("the plan's Markdown form (npm run plan -- --markdown)", function () {
    this.timeout(60_000);
    let document: PlanDocument;
    let markdown: string;
    let graph: ReturnType<typeof readMermaid>;
    const ofType = (type: string) => document.resources.filter((resource) => resource.type === type);
    const labelOf = (id: string) => graph.labels.get(id) ?? "";
    const edgesLabelled = (label: string) => graph.edges.filter((edge) => edge.label === label);

    before(async () => {
        const json = await planStack({ stack: "prod", json: true });
        document = asPlanDocument(JSON.parse(json.stdout), "prod");
        const run = await planStack({ stack: "prod", json: false, markdown: true });
        assert.equal(run.exitCode, 0, run.stderr);
        markdown = run.stdout;
        graph = readMermaid(markdown);
    });

    it("starts with the verdict and the policy violations", () => {
        assert.match(markdown, /^## Offline plan of stack `prod` \(prod\)\n\n\d+ resources; policy pack `amlmesh-zero-trust@[^`]+`: ✅ no mandatory violation/);
        for (const violation of document.policy.violations) assert.ok(markdown.includes(`\`${violation.policy}\``), violation.policy);
    });

    it("draws every Azure role assignment of the plan: its principal, its role, its scope", () => {
        const assignments = ofType("azure-native:authorization:RoleAssignment");
        assert.ok(assignments.length >= 10, `only ${assignments.length} role assignments`);
        const drawn = graph.edges
            .filter((edge) => labelOf(edge.to).startsWith("Microsoft."))
            .map((edge) => `${edge.from} ${edge.label} ${labelOf(edge.to)}`)
            .sort();
        const planned = assignments
            .map((assignment) => {
                const role = builtInRoleName(String(input(assignment, "roleDefinitionId"))) ?? customRoleName(String(input(assignment, "roleDefinitionId")), String(input(assignment, "scope")));
                assert.ok(role, `${assignment.name}: role ${String(input(assignment, "roleDefinitionId"))} is not a known built-in or platform custom role`);
                const scope = String(input(assignment, "scope")).replace(/^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\//, "");
                return `p_${String(input(assignment, "principalId")).replace(/-/g, "_")} ${role} ${scope}`;
            })
            .sort();
        assert.deepEqual(drawn, planned);
    });

    it("draws every app-role assignment from its principal to the role", () => {
        const roleValues = new Map(
            ofType("azuread:index/application:Application").flatMap((app) => ((app.inputs.appRoles as { id: string; value: string }[] | undefined) ?? []).map((role) => [role.id, role.value] as const)),
        );
        const assignments = ofType("azuread:index/appRoleAssignment:AppRoleAssignment");
        assert.ok(assignments.length > 0);
        const drawn = edgesLabelled("holds").map((edge) => `${edge.from} ${labelOf(edge.to)}`).sort();
        const planned = assignments.map((a) => `p_${String(input(a, "principalObjectId")).replace(/-/g, "_")} app role ${roleValues.get(String(input(a, "appRoleId")))}`).sort();
        assert.deepEqual(drawn, planned);
    });

    it("draws every route with the roles its externalAuth policy requires and the backend it passes to", () => {
        const routes = ofType("kubernetes:k8s.nginx.org/v1:VirtualServerRoute");
        const policies = ofType("kubernetes:k8s.nginx.org/v1:Policy");
        assert.ok(routes.length >= 3);
        for (const route of routes) {
            const namespace = String(input(route, "metadata", "namespace"));
            const host = String(input(route, "spec", "host"));
            for (const subroute of input(route, "spec", "subroutes") as { path: string; action: { pass?: string; proxy?: { upstream: string } }; policies: { name: string }[] }[]) {
                const nodes = [...graph.labels].filter(([, label]) => label === `route ${host}${subroute.path}`);
                assert.equal(nodes.length, 1, `route ${host}${subroute.path} is not drawn once`);
                const id = nodes[0][0];
                const required = subroute.policies.flatMap((reference) => {
                    const policy = policies.find((p) => input(p, "metadata", "name") === reference.name && input(p, "metadata", "namespace") === namespace);
                    const uri = input(policy!, "spec", "externalAuth", "authURI");
                    return typeof uri === "string" ? (new URLSearchParams(uri.split("?")[1]).get("roles") ?? "").split(",") : [];
                });
                assert.ok(required.length > 0, `${route.name} has no role check`);
                const opening = graph.edges.filter((edge) => edge.to === id && edge.label === "opens").map((edge) => labelOf(edge.from));
                assert.deepEqual(opening.sort(), required.map((role) => `app role ${role}`).sort());
                const upstream = (input(route, "spec", "upstreams") as { name: string; service: string; port: number }[]).find((u) => u.name === (subroute.action.pass ?? subroute.action.proxy?.upstream))!;
                const backends = graph.edges.filter((edge) => edge.from === id && edge.label === "to").map((edge) => labelOf(edge.to));
                assert.deepEqual(backends, [`Service ${namespace}/${upstream.service}:${upstream.port}`]);
            }
        }
    });

    it("draws the mesh identities each route backend admits, from the Linkerd authentications", () => {
        const meshTls = ofType("kubernetes:policy.linkerd.io/v1alpha1:MeshTLSAuthentication");
        const admitted = new Set(
            meshTls.flatMap((auth) => (input(auth, "spec", "identityRefs") as { kind: string; name: string; namespace: string }[]).map((ref) => `ServiceAccount ${ref.namespace}/${ref.name}`)),
        );
        const backends = [...graph.labels].filter(([, label]) => label.startsWith("Service ")).map(([id]) => id);
        assert.ok(backends.length > 0);
        for (const backend of backends) {
            const identities = graph.edges.filter((edge) => edge.to === backend && edge.label === "mTLS admitted").map((edge) => labelOf(edge.from));
            assert.ok(identities.length > 0, `${labelOf(backend)} admits nobody in the diagram`);
            for (const identity of identities) assert.ok(admitted.has(identity), `${identity} is not in any MeshTLSAuthentication`);
        }
    });

    it("shows which external token each federated app registration trusts", () => {
        for (const credential of ofType("azuread:index/applicationFederatedIdentityCredential:ApplicationFederatedIdentityCredential")) {
            const subject = String(input(credential, "subject"));
            const edges = edgesLabelled("federated").filter((edge) => labelOf(edge.from).startsWith(`token ${subject}<br/>`));
            assert.equal(edges.length, 1, `federation on ${subject} is not drawn once`);
            assert.match(labelOf(edges[0].to), /app registration/);
        }
    });
});
