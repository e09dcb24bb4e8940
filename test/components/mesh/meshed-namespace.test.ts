import * as assert from "node:assert/strict";
import * as random from "@pulumi/random";
import { MeshedNamespace, type MeshedNamespaceArgs } from "../../../components/mesh/meshed-namespace";
import { runComponents } from "../../harness";
import { fakeControlPlane, testProvider } from "../../support/cluster-fixtures";

const ANNOTATIONS = ["metadata", "annotations"];

describe("MeshedNamespace", () => {
    it("meshes the namespace with a default-deny inbound policy and waits for the control plane", async () => {
        const stack = await runComponents(() => {
            const controlPlane = new random.RandomId("control-plane-stand-in", { byteLength: 4 });
            new MeshedNamespace("ns-models", { name: "models", defaultInboundPolicy: "deny", mesh: fakeControlPlane([controlPlane]) }, { provider: testProvider() });
        });
        const ns = stack.one("kubernetes:core/v1:Namespace");
        assert.equal(ns.input("metadata.name"), "models");
        assert.equal(ns.input([...ANNOTATIONS, "linkerd.io/inject"]), "enabled");
        assert.equal(ns.input([...ANNOTATIONS, "config.linkerd.io/default-inbound-policy"]), "deny");
        assert.equal(ns.input([...ANNOTATIONS, "config.linkerd.io/access-log"]), undefined);
        assert.equal(ns.input(["metadata", "labels", "mesh.amlmesh.io/injection"]), "enabled", "the injector only admits labelled namespaces");
        assert.ok(ns.dependsOn(stack.one("random:index/randomId:RandomId")));
    });

    it("turns on JSON access logs and all-authenticated when asked", async () => {
        const stack = await runComponents(
            () =>
                new MeshedNamespace(
                    "ns-features",
                    { name: "features", defaultInboundPolicy: "all-authenticated", accessLogs: true, mesh: fakeControlPlane() },
                    { provider: testProvider() },
                ),
        );
        const ns = stack.one("kubernetes:core/v1:Namespace");
        assert.equal(ns.input([...ANNOTATIONS, "config.linkerd.io/default-inbound-policy"]), "all-authenticated");
        assert.equal(ns.input([...ANNOTATIONS, "config.linkerd.io/access-log"]), "json");
    });

    it("cannot express a permissive default policy", async () => {
        const permissive: MeshedNamespaceArgs = {
            name: "open",
            // @ts-expect-error -- permissive policies are not part of MeshInboundPolicy
            defaultInboundPolicy: "all-unauthenticated",
            mesh: fakeControlPlane(),
        };
        await assert.rejects(runComponents(() => new MeshedNamespace("ns-open", permissive, { provider: testProvider() })), /not allowed/);
        for (const policy of ["cluster-unauthenticated", "audit", "cluster-authenticated"]) {
            const args = { ...permissive, defaultInboundPolicy: policy } as unknown as MeshedNamespaceArgs;
            await assert.rejects(runComponents(() => new MeshedNamespace("ns-open", args, { provider: testProvider() })), /not allowed/);
        }
    });

    it("adopts a namespace created by someone else with a patch that only adds the mesh settings", async () => {
        const stack = await runComponents(() => {
            const extension = new random.RandomId("ml-extension-stand-in", { byteLength: 4 });
            new MeshedNamespace("ns-azureml", { name: "azureml", defaultInboundPolicy: "deny", mesh: fakeControlPlane(), adopt: true, after: [extension] }, { provider: testProvider() });
        });
        assert.equal(stack.ofType("kubernetes:core/v1:Namespace").length, 0);
        const patch = stack.one("kubernetes:core/v1:NamespacePatch");
        assert.equal(patch.input([...ANNOTATIONS, "linkerd.io/inject"]), "enabled");
        assert.equal(patch.input([...ANNOTATIONS, "config.linkerd.io/default-inbound-policy"]), "deny");
        assert.ok(patch.dependsOn(stack.one("random:index/randomId:RandomId")));
    });
});
