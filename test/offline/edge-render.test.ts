/**
 * The rendering of each shipped stack's edge objects, directive by directive against the objects
 * the program declares: a renamed field, a changed policy or a new ConfigMap entry shows up here
 * before any end-to-end test runs NGINX on it.
 */
import * as assert from "node:assert/strict";
import { CLIENT_IDENTITY_HEADERS } from "@amlmesh/team-sdk/kit/edge/identity-headers";
import { EdgeObjectError, edgeObjectsFrom, type EdgeObjects } from "../../offline/edge-render/objects";
import { renderEdge, scaleRate, type LocalTarget, type Rendering } from "../../offline/edge-render/render";
import { stackEdgeObjects } from "../../offline/edge-render/stack";
import { parseStackConfig } from "../../infra/config";
import { shippedStackConfig } from "../harness";

const target: LocalTarget = { prefix: "/tmp/edge", port: 18080, resolve: (service) => `127.0.0.1:${service.port + 10000}` };

/** The text of `location <path> { ... }` in the rendering. */
function locationBlock(conf: string, path: string): string {
    const start = conf.indexOf(`    location ${path} {\n`);
    assert.ok(start >= 0, `no location ${path}`);
    return conf.slice(start, conf.indexOf("\n    }", start) + 6);
}

const copy = (objects: EdgeObjects): EdgeObjects => structuredClone(objects);

for (const stack of ["dev", "prod"] as const) {
    describe(`offline/edge-render: the ${stack} stack as controller 5.5.4 renders it`, function () {
        this.timeout(30_000);
        let objects: EdgeObjects;
        let rendering: Rendering;
        before(async () => {
            objects = await stackEdgeObjects(stack);
            rendering = renderEdge(objects, target);
        });

        it("publishes every delegated subroute of every VirtualServer, and nothing else", () => {
            const declared = objects.virtualServers.flatMap((vs) =>
                vs.spec.routes.flatMap((delegation) => objects.virtualServerRoutes.find((vsr) => `${vsr.metadata.namespace}/${vsr.metadata.name}` === delegation.route)?.spec.subroutes.map((sub) => sub.path) ?? []),
            );
            assert.deepEqual(rendering.routes.map((route) => route.path).sort(), declared.sort());
            // The only routes not rendered are the teams' (their own stacks declare them), each with
            // the controller's warning; nothing else warns.
            const teamRoutes = parseStackConfig(shippedStackConfig(stack)).teams.flatMap((team) => team.prefixes.map((prefix) => `${prefix.namespace}/${prefix.route}`));
            assert.deepEqual([...rendering.undeclaredRoutes].sort(), [...teamRoutes].sort());
            assert.equal(rendering.warnings.length, rendering.undeclaredRoutes.length, rendering.warnings.join("\n"));
            rendering.undeclaredRoutes.forEach((route, i) => assert.ok(rendering.warnings[i]!.endsWith(`VirtualServerRoute ${route} doesn't exist or invalid`), rendering.warnings[i]));
            for (const vs of objects.virtualServers) assert.match(rendering.conf, new RegExp(`server_name ${vs.spec.host.replace(/\./g, "\\.")};`));
        });

        it("gives each route auth_request to its own authURI, and the auth location the controller's directives only", () => {
            for (const route of rendering.routes) {
                const policy = objects.policies.find((p) => p.spec.externalAuth?.authURI === route.authUri);
                assert.ok(policy, `${route.path}: no externalAuth policy with ${route.authUri}`);
                const internal = `/_external_auth${route.authUri}`;
                assert.match(locationBlock(rendering.conf, route.path), new RegExp(`auth_request ${internal.replace(/[?.]/g, "\\$&")};`));
                const auth = locationBlock(rendering.conf, internal);
                for (const directive of ["internal;", "proxy_pass_request_headers on;", "proxy_pass_request_body off;", 'proxy_set_header Content-Length "0";', 'proxy_set_header Host "$host";', 'proxy_set_header X-Scheme "$scheme";', "set $default_connection_header close;"]) {
                    assert.ok(auth.includes(directive), `${internal} lacks ${directive}`);
                }
                assert.match(auth, new RegExp(`proxy_pass http://\\S+${route.authUri!.replace(/[?.]/g, "\\$&")};`));
                assert.doesNotMatch(auth, /X-Original|auth_request_set/);
                const port = policy.spec.externalAuth!.authServicePorts![0]!;
                assert.ok(rendering.conf.includes(`server 127.0.0.1:${port + 10000} max_fails=1`), "the auth upstream is the authorizer Service's port");
            }
            assert.doesNotMatch(rendering.conf, /auth_request_set|X-Original-URI \$|X-Auth-Subject \$/);
        });

        it("renders each route's rate limit with its key, rate, burst, nodelay and reject code", () => {
            for (const route of rendering.routes) {
                const vsr = objects.virtualServerRoutes.find((r) => `${r.metadata.namespace}/${r.metadata.name}` === route.route)!;
                const refs = vsr.spec.subroutes[0]!.policies!.map((ref) => ref.name);
                const limit = objects.policies.find((p) => p.spec.rateLimit && refs.includes(p.metadata.name) && p.metadata.namespace === vsr.metadata.namespace)!.spec.rateLimit!;
                const block = locationBlock(rendering.conf, route.path);
                const zone = /limit_req zone=(\S+) burst=(\d+) nodelay;/.exec(block);
                assert.ok(zone, `${route.path}: ${block}`);
                assert.equal(Number(zone[2]), limit.burst);
                assert.ok(block.includes(`limit_req_status ${limit.rejectCode};`));
                assert.ok(block.includes(`limit_req_log_level ${limit.logLevel};`));
                // With `scale`, the controller divides the rate over its replicas (issue 14, finding 9).
                const rate = limit.scale ? scaleRate(limit.rate, objects.controller.replicas) : limit.rate;
                assert.ok(rendering.conf.includes(`limit_req_zone ${limit.key} zone=${zone[1]}:${limit.zoneSize} rate=${rate};`), `${route.path}: rate ${rate}`);
            }
        });

        it("blanks every client identity header on every route, keeps Authorization, and proxies to the route's Service", () => {
            for (const route of rendering.routes) {
                const block = locationBlock(rendering.conf, route.path);
                for (const header of CLIENT_IDENTITY_HEADERS) assert.ok(block.includes(`proxy_set_header ${header} "";`), `${route.path} passes ${header}`);
                assert.ok(block.includes("proxy_pass_request_headers on;"));
                assert.doesNotMatch(block, /proxy_set_header Authorization/i);
                assert.match(block, new RegExp(`proxy_pass ${route.service.tls ? "https" : "http"}://vs_\\S+_backend;`));
                assert.ok(rendering.conf.includes(`server 127.0.0.1:${route.service.port + 10000} max_fails=1`));
            }
        });

        it("takes the controller's ConfigMap: JSON log format, upstream keepalive, server tokens off", () => {
            const entries = objects.controller.entries;
            assert.ok(rendering.conf.includes(`log_format  main escape=${entries["log-format-escaping"]} '${entries["log-format"]}';`));
            const keepalives = [...rendering.conf.matchAll(/^ {4}keepalive (\d+);$/gm)].map((match) => Number(match[1]));
            assert.ok(keepalives.length > 0);
            assert.ok(keepalives.includes(Number(entries["keepalive"])), "the auth upstream takes the ConfigMap keepalive");
            assert.ok(rendering.conf.includes('server_tokens "off";'));
        });
    });
}

describe("offline/edge-render: what it refuses or renders generically", function () {
    this.timeout(30_000);
    let objects: EdgeObjects;
    before(async () => {
        objects = await stackEdgeObjects("dev");
    });

    it("warns, as the controller does, when two routes of a host share an authURI, and sends both to the first", () => {
        const twins = copy(objects);
        const auths = twins.policies.filter((policy) => policy.spec.externalAuth);
        auths[1]!.spec.externalAuth!.authURI = auths[0]!.spec.externalAuth!.authURI;
        const rendering = renderEdge(twins, target);
        const duplicates = rendering.warnings.filter((warning) => !warning.endsWith("doesn't exist or invalid"));
        assert.equal(duplicates.length, 1);
        assert.match(duplicates[0]!, /Duplicate external auth URI/);
        assert.equal((rendering.conf.match(/location \/_external_auth/g) ?? []).length, auths.length - 1);
    });

    it("renders real-IP ConfigMap entries into every server, and scales rates by the replica count", () => {
        const edited = copy(objects);
        edited.controller.entries["real-ip-header"] = "proxy_protocol";
        edited.controller.entries["set-real-ip-from"] = "10.0.0.0/8, 192.168.0.0/16";
        edited.controller.replicas = 3;
        for (const policy of edited.policies) if (policy.spec.rateLimit) policy.spec.rateLimit.scale = true;
        const { conf } = renderEdge(edited, target);
        assert.ok(conf.includes("    set_real_ip_from 10.0.0.0/8;\n    set_real_ip_from 192.168.0.0/16;\n    real_ip_header proxy_protocol;"));
        assert.match(conf, /limit_req_zone \$\{binary_remote_addr\} zone=\S+ rate=6r\/s;/, "20r/s over 3 replicas");
        assert.equal(scaleRate("2r/s", 3), "40r/m");
        assert.equal(scaleRate("100r/m", 3), "33r/m");
    });

    it("refuses a ConfigMap key or an object field it does not render, naming it", () => {
        const unknownKey = copy(objects);
        unknownKey.controller.entries["proxy-protocol"] = "True";
        assert.throws(() => renderEdge(unknownKey, target), /ConfigMap key proxy-protocol is not rendered/);
        const resources = [
            {
                urn: "urn:x",
                type: "kubernetes:k8s.nginx.org/v1:Policy",
                name: "p",
                custom: true,
                dependencies: [],
                propertyDependencies: {},
                options: {},
                inputs: { apiVersion: "k8s.nginx.org/v1", kind: "Policy", metadata: { name: "p", namespace: "n" }, spec: { externalAuth: { authURI: "/a", authServiceName: "s", authSnippets: "x" } } },
            },
        ];
        assert.throws(() => edgeObjectsFrom(resources), (error: unknown) => error instanceof EdgeObjectError && /field spec\.externalAuth\.authSnippets is not rendered/.test(error.message));
    });
});
