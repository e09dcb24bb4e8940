/**
 * The real pack entry, in a child process (PolicyPack starts a gRPC server and never exits, and
 * reads package.json from its working directory): it loads, prints its port, and serves the
 * catalog's policies over the analyzer protocol the Pulumi CLI speaks.
 */
import * as assert from "node:assert/strict";
import { spawn, type ChildProcessByStdio } from "node:child_process";
import * as path from "node:path";
import type { Readable } from "node:stream";
import * as grpc from "@grpc/grpc-js";
import { AnalyzerClient } from "@pulumi/pulumi/proto/analyzer_grpc_pb";
import * as analyzerProto from "@pulumi/pulumi/proto/analyzer_pb";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import { PACK_NAME, PACK_VERSION, policies } from "../../policy/catalog";
import { storage } from "./fixtures";

const POLICY_DIR = path.resolve(__dirname, "..", "..", "policy");

type PackProcess = ChildProcessByStdio<null, Readable, Readable>;

/** Starts the pack like the CLI does and resolves with the port it prints. */
function startPack(args: string[]): Promise<{ child: PackProcess; port: number }> {
    const child = spawn(process.execPath, args, { cwd: POLICY_DIR, stdio: ["ignore", "pipe", "pipe"] });
    return new Promise((resolve, reject) => {
        let stdout = "";
        let stderr = "";
        const timer = setTimeout(() => fail(new Error(`no port within 15 s; stderr: ${stderr}`)), 15_000);
        const fail = (error: Error) => {
            clearTimeout(timer);
            child.kill();
            reject(error);
        };
        child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
        child.stdout.on("data", (chunk: Buffer) => {
            stdout += chunk.toString();
            const line = /^(\d+)\s*$/m.exec(stdout);
            if (line) {
                clearTimeout(timer);
                resolve({ child, port: Number(line[1]) });
            }
        });
        child.on("exit", (code) => fail(new Error(`pack exited with ${code} before printing a port; stderr: ${stderr}`)));
    });
}

function unary<Request, Response>(call: (request: Request, callback: (error: grpc.ServiceError | null, response: Response) => void) => unknown, request: Request): Promise<Response> {
    return new Promise((resolve, reject) => call(request, (error, response) => (error ? reject(error) : resolve(response))));
}

describe("policy pack entry (child process)", function () {
    this.timeout(30_000);
    let pack: PackProcess | undefined;
    let client: AnalyzerClient | undefined;

    afterEach(() => {
        client?.close();
        pack?.kill();
        client = undefined;
        pack = undefined;
    });

    it("`node index.js` loads the TypeScript rules through tsx and serves every policy with its metadata", async () => {
        const started = await startPack(["index.js"]);
        pack = started.child;
        client = new AnalyzerClient(`127.0.0.1:${started.port}`, grpc.credentials.createInsecure());
        const info = await unary<Empty, analyzerProto.AnalyzerInfo>(client.getAnalyzerInfo.bind(client), new Empty());
        assert.equal(info.getName(), PACK_NAME);
        assert.equal(info.getVersion(), PACK_VERSION);
        const served = new Map(info.getPoliciesList().map((policy) => [policy.getName(), policy]));
        assert.deepEqual([...served.keys()].sort(), policies.map((policy) => policy.name).sort());
        const digest = served.get("workload-image-digest-pinned");
        assert.equal(digest?.getEnforcementlevel(), analyzerProto.EnforcementLevel.ADVISORY);
        const secrets = served.get("no-secret-literals");
        assert.equal(secrets?.getSeverity(), analyzerProto.PolicySeverity.POLICY_SEVERITY_CRITICAL);
        assert.ok(secrets?.getRemediationSteps().includes("Key Vault"));
        assert.equal(secrets?.getFramework()?.getName(), "SOC 2");
        assert.ok(secrets?.getTagsList().includes("hipaa:164.312(d)"));
        assert.deepEqual(Object.keys(served.get("azure-no-public-network-access")?.getConfigschema()?.getProperties()?.toJavaScript() ?? {}), ["environment"]);
    });

    it("applies the CLI's configure call and analyzes a resource over gRPC", async () => {
        const started = await startPack(["index.js"]);
        pack = started.child;
        client = new AnalyzerClient(`127.0.0.1:${started.port}`, grpc.credentials.createInsecure());
        const configure = new analyzerProto.ConfigureAnalyzerRequest();
        const advisory = new analyzerProto.PolicyConfig();
        advisory.setEnforcementlevel(analyzerProto.EnforcementLevel.ADVISORY);
        advisory.setProperties(Struct.fromJavaScript({}));
        configure.getPolicyconfigMap().set("storage-no-shared-key-access", advisory);
        await unary(client.configure.bind(client), configure);

        const account = storage("st", { allowSharedKeyAccess: true });
        const request = new analyzerProto.AnalyzeRequest();
        request.setType(account.type);
        request.setUrn(account.urn);
        request.setName(account.name);
        request.setProperties(Struct.fromJavaScript(account.inputs as Record<string, never>));
        request.setOptions(new analyzerProto.AnalyzerResourceOptions());
        const response = await unary<analyzerProto.AnalyzeRequest, analyzerProto.AnalyzeResponse>(client.analyze.bind(client), request);
        const diagnostics = response.getDiagnosticsList().map((diagnostic) => [diagnostic.getPolicyname(), diagnostic.getEnforcementlevel()]);
        assert.deepEqual(diagnostics, [["storage-no-shared-key-access", analyzerProto.EnforcementLevel.ADVISORY]]);
    });

    it("also starts through Pulumi's own policy runner (what `pulumi preview --policy-pack ./policy` executes)", async () => {
        const runner = require.resolve("@pulumi/pulumi/cmd/run-policy-pack");
        // Arguments as the CLI passes them: engine address, pack directory, runtime options.
        const started = await startPack([runner, "127.0.0.1:0", ".", "-typescript=false"]);
        pack = started.child;
        assert.ok(started.port > 0);
    });
});
