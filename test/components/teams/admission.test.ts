/**
 * The admission guardrails in team namespaces, evaluated with a CEL library exactly as the
 * prod stack declares them. Good objects are what the platform's own ProtectedRoute declares for
 * a route in the team's namespace (the shape a team publishes with) and the team namespace as
 * the stack declares it; bad objects are those with one thing changed.
 */
import * as assert from "node:assert/strict";
import type { PlannedStack } from "../../harness";
import { plannedStack } from "../../infra/azure-stacks";
import { admit, declaredAdmissionPolicies, type AdmissionRequest, type DeclaredAdmissionPolicy } from "../../support/admission";
import { teamRouteFromPlatform } from "../../support/team-route";

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- test objects are edited freely

const NGINX = { group: "k8s.nginx.org", version: "v1" };

describe("team admission policies (CEL)", () => {
    let stack: PlannedStack;
    let policies: DeclaredAdmissionPolicy[];
    let team: { namespace: string; labels: Record<string, string>; namespaceObject: Obj };
    let good: { authz: Obj; rateLimit: Obj; route: Obj; server: Obj; authorization: Obj };

    before(async () => {
        stack = await plannedStack("prod");
        policies = declaredAdmissionPolicies(stack);
        const fixture = await teamRouteFromPlatform(stack);
        team = { namespace: fixture.namespace.name, labels: fixture.namespace.labels, namespaceObject: fixture.namespace.object as Obj };
        const inputs = (type: string, match: RegExp) => fixture.route.where(type, match)[0].inputs as Obj;
        good = {
            authz: inputs("kubernetes:k8s.nginx.org/v1:Policy", /-authz$/),
            rateLimit: inputs("kubernetes:k8s.nginx.org/v1:Policy", /-rate-limit$/),
            route: inputs("kubernetes:k8s.nginx.org/v1:VirtualServerRoute", /-route$/),
            server: fixture.route.ofType("kubernetes:policy.linkerd.io/v1beta3:Server")[0].inputs as Obj,
            authorization: fixture.route.ofType("kubernetes:policy.linkerd.io/v1alpha1:AuthorizationPolicy")[0].inputs as Obj,
        };
    });

    const request = (resource: string, object: Obj, extra: Partial<AdmissionRequest> = {}): AdmissionRequest => ({
        operation: "CREATE",
        ...NGINX,
        resource,
        namespace: team.namespace,
        namespaceLabels: team.labels,
        object,
        ...extra,
    });
    const edited = (object: Obj, edit: (copy: Obj) => void): Obj => {
        const copy = structuredClone(object);
        edit(copy);
        return copy;
    };
    const assertAllowed = (req: AdmissionRequest) => {
        const verdict = admit(policies, req);
        assert.ok(verdict.evaluated.length > 0, "a policy applies");
        assert.deepEqual(verdict.denials, []);
    };
    const assertRefused = (req: AdmissionRequest, message: RegExp) => {
        const verdict = admit(policies, req);
        assert.equal(verdict.allowed, false, `expected a refusal matching ${message}`);
        assert.ok(verdict.denials.some((d) => message.test(d)), JSON.stringify(verdict.denials));
    };

    it("the prod stack declares each policy with a Deny binding and failurePolicy Fail", () => {
        assert.deepEqual(policies.map((p) => p.name).sort(), [
            "amlmesh-team-linkerd",
            "amlmesh-team-namespaces",
            "amlmesh-team-nginx-policies",
            "amlmesh-team-pods",
            "amlmesh-team-services",
            "amlmesh-team-virtualserverroutes",
        ]);
        assert.ok(policies.every((p) => p.failurePolicy === "Fail"));
    });

    it("admits a protected route as the platform's own component declares it, in a team namespace", () => {
        assertAllowed(request("policies", good.authz));
        assertAllowed(request("policies", good.rateLimit));
        assertAllowed(request("virtualserverroutes", good.route));
    });

    it("refuses a Policy that points auth anywhere but the platform authorizer, or is another kind of auth", () => {
        assertRefused(request("policies", edited(good.authz, (p) => (p.spec.externalAuth.authServiceName = "fraud-models/my-authorizer"))), /platform authorizer/);
        assertRefused(request("policies", edited(good.authz, (p) => (p.spec.externalAuth.authServicePorts = [9999]))), /platform authorizer/);
        assertRefused(request("policies", edited(good.authz, (p) => (p.spec.externalAuth.authURI = "/healthz"))), /platform authorizer/);
        assertRefused(
            request("policies", edited(good.authz, (p) => (p.spec = { ingressClassName: "nginx", basicAuth: { secret: "users", realm: "x" } }))),
            /exactly one externalAuth .* or one rateLimit/,
        );
        assertRefused(request("policies", edited(good.authz, (p) => (p.spec = { ingressClassName: "nginx", rateLimit: good.rateLimit.spec.rateLimit }))), /named \*-authz must be the externalAuth/);
    });

    it("refuses a rate limit that only watches, or that claims to be something else", () => {
        assertRefused(request("policies", edited(good.rateLimit, (p) => (p.spec.rateLimit.dryRun = true))), /enforcing rateLimit/);
        assertRefused(request("policies", edited(good.rateLimit, (p) => (p.spec = { ingressClassName: "nginx", externalAuth: good.authz.spec.externalAuth }))), /enforcing rateLimit/);
    });

    it("refuses a route without auth or without a rate limit", () => {
        assertRefused(request("virtualserverroutes", edited(good.route, (r) => delete r.spec.subroutes[0].policies)), /lists its policies/);
        assertRefused(request("virtualserverroutes", edited(good.route, (r) => (r.spec.subroutes[0].policies = r.spec.subroutes[0].policies.filter((p: Obj) => !p.name.endsWith("-authz"))))), /externalAuth Policy/);
        assertRefused(request("virtualserverroutes", edited(good.route, (r) => (r.spec.subroutes[0].policies = r.spec.subroutes[0].policies.filter((p: Obj) => !p.name.endsWith("-rate-limit"))))), /rateLimit Policy/);
        assertRefused(request("virtualserverroutes", edited(good.route, (r) => r.spec.subroutes.push({ path: "/teams/fraud/open", action: { pass: "backend" } }))), /lists its policies/);
    });

    it("refuses routes the edge does not delegate, and subroutes outside the delegated prefix", () => {
        assertRefused(request("virtualserverroutes", edited(good.route, (r) => (r.metadata.name = "fraud-other"))), /delegates no prefix/);
        assertRefused(request("virtualserverroutes", edited(good.route, (r) => (r.spec.subroutes[0].path = "/models/churn"))), /starts with the prefix/);
        assertRefused(request("virtualserverroutes", good.route, { namespace: "other-team", namespaceLabels: { "platform.amlmesh.io/team": "other" } }), /delegates no prefix/);
    });

    it("refuses upstream and policy references outside the team's namespace, and other hosts", () => {
        assertRefused(request("virtualserverroutes", edited(good.route, (r) => (r.spec.upstreams[0].service = "features/feature-api"))), /own namespace/);
        assertRefused(request("virtualserverroutes", edited(good.route, (r) => (r.spec.subroutes[0].policies[0].namespace = "edge-authorizer"))), /own namespace/);
        assertAllowed(request("virtualserverroutes", edited(good.route, (r) => (r.spec.subroutes[0].policies[0].namespace = team.namespace))));
        assertRefused(request("virtualserverroutes", edited(good.route, (r) => (r.spec.host = "other.example.com"))), /served on/);
    });

    it("refuses a namespace change that un-meshes a team namespace, and lets other changes through", () => {
        const old = team.namespaceObject;
        const update = (object: Obj): AdmissionRequest => ({ ...request("namespaces", object, { operation: "UPDATE", oldObject: old }), group: "" });
        assertAllowed(update(edited(old, (n) => (n.metadata.labels["cost-center"] = "fraud"))));
        assertRefused(update(edited(old, (n) => (n.metadata.annotations["linkerd.io/inject"] = "disabled"))), /stays meshed/);
        assertRefused(update(edited(old, (n) => delete n.metadata.annotations["linkerd.io/inject"])), /stays meshed/);
        assertRefused(update(edited(old, (n) => (n.metadata.annotations["config.linkerd.io/default-inbound-policy"] = "all-unauthenticated"))), /default inbound policy/);
        assertRefused(update(edited(old, (n) => delete n.metadata.labels["platform.amlmesh.io/team"])), /keeps its platform.amlmesh.io\/team label/);
        const injection = Object.keys(old.metadata.labels).find((key) => key.includes("linkerd"));
        if (injection) assertRefused(update(edited(old, (n) => delete n.metadata.labels[injection])), /injection label/);
        // A namespace that was never a team's is not this policy's business.
        const other = edited(old, (n) => delete n.metadata.labels["platform.amlmesh.io/team"]);
        assert.deepEqual(admit(policies, { ...update(edited(other, (n) => (n.metadata.annotations["linkerd.io/inject"] = "disabled"))), oldObject: other }).evaluated, []);
    });

    it("refuses Linkerd objects that admit callers without a mesh identity", () => {
        const linkerd = (resource: string, object: Obj) => ({ ...request(resource, object), group: "policy.linkerd.io", version: String(object.apiVersion).split("/")[1] });
        assertAllowed(linkerd("servers", good.server));
        assertAllowed(linkerd("authorizationpolicies", good.authorization));
        for (const policy of ["all-unauthenticated", "cluster-unauthenticated", "audit"]) {
            assertRefused(linkerd("servers", edited(good.server, (s) => (s.spec.accessPolicy = policy))), /accessPolicy may only be/);
        }
        assertRefused(linkerd("authorizationpolicies", edited(good.authorization, (a) => (a.spec.requiredAuthenticationRefs = []))), /requires a mesh identity/);
        assertRefused(
            linkerd("authorizationpolicies", edited(good.authorization, (a) => (a.spec.requiredAuthenticationRefs = [{ group: "policy.linkerd.io", kind: "NetworkAuthentication", name: "anywhere", namespace: "linkerd" }]))),
            /requires a mesh identity/,
        );
    });

    it("refuses pods that leave the mesh and Services that bypass the edge", () => {
        const pod = { metadata: { name: "p", namespace: team.namespace, annotations: { "linkerd.io/inject": "enabled" } }, spec: { containers: [] } };
        const core = (resource: string, object: Obj) => ({ ...request(resource, object), group: "" });
        assertAllowed(core("pods", pod));
        assertRefused(core("pods", edited(pod, (p) => (p.metadata.annotations["linkerd.io/inject"] = "disabled"))), /stay in the mesh/);
        assertRefused(core("pods", edited(pod, (p) => (p.metadata.annotations["config.linkerd.io/default-inbound-policy"] = "all-unauthenticated"))), /default inbound policy/);
        const service = { metadata: { name: "s", namespace: team.namespace }, spec: { ports: [{ port: 8080 }], selector: { app: "s" } } };
        assertAllowed(core("services", service));
        for (const type of ["LoadBalancer", "NodePort", "ExternalName"]) assertRefused(core("services", edited(service, (s) => (s.spec.type = type))), /ClusterIP/);
    });

    it("does not apply outside team namespaces", () => {
        const verdict = admit(policies, { ...request("virtualserverroutes", edited(good.route, (r) => delete r.spec.subroutes[0].policies)), namespace: "models", namespaceLabels: {} });
        assert.deepEqual(verdict.evaluated, []);
    });
});
