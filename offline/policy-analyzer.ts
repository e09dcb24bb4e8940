/**
 * Runs policies through `@pulumi/policy`'s own analyzer RPC handlers, fed with real
 * `AnalyzeRequest` / `AnalyzeStackRequest` protobuf messages, so the unknown-value proxy,
 * `notApplicable`, the `__pulumiType` fast path and enforcement-level handling behave exactly as
 * under `pulumi preview`. The handlers are internal to @pulumi/policy (pinned at 1.21.0); they
 * are called without the gRPC server, which `new PolicyPack()` would start and never stop.
 */
import type { EnforcementLevel, Policies, Severity } from "@pulumi/policy";
import * as policyServer from "@pulumi/policy/server";
import * as analyzerProto from "@pulumi/pulumi/proto/analyzer_pb";
import { Struct, type JavaScriptValue } from "google-protobuf/google/protobuf/struct_pb";
import type { CapturedResource, CapturedResourceOptions } from "./document";
import { nameFromUrn, typeFromUrn } from "./resource-documents";
import { isWireResourceReference } from "./wire";

type RpcCallback = (error: Error | null | undefined, response?: analyzerProto.AnalyzeResponse) => void;
type RpcHandler<Request> = (call: { request: Request }, callback: RpcCallback) => Promise<void>;
type HandlerFactory<Request> = (packName: string, packVersion: string, packLevel: EnforcementLevel, policies: Policies) => RpcHandler<Request>;

function internal<T>(name: string): T {
    const value: unknown = Reflect.get(policyServer, name);
    if (typeof value !== "function") throw new Error(`@pulumi/policy/server no longer exports ${name}; the offline runner needs @pulumi/policy 1.21.0`);
    return value as T;
}

const makeAnalyzeRpcFun = internal<HandlerFactory<analyzerProto.AnalyzeRequest>>("makeAnalyzeRpcFun");
const makeAnalyzeStackRpcFun = internal<HandlerFactory<analyzerProto.AnalyzeStackRequest>>("makeAnalyzeStackRpcFun");

/** A diagnostic as the engine reports it, decoded from the protobuf response. */
export interface AnalyzerDiagnostic {
    policy: string;
    description: string;
    message: string;
    level: EnforcementLevel;
    severity: Severity | "unspecified";
    /** Set by stack policies that name a resource. */
    urn?: string;
}

export interface AnalyzerResult {
    diagnostics: AnalyzerDiagnostic[];
    notApplicable: { policy: string; reason: string }[];
}

const LEVELS: Record<analyzerProto.EnforcementLevel, EnforcementLevel> = {
    [analyzerProto.EnforcementLevel.ADVISORY]: "advisory",
    [analyzerProto.EnforcementLevel.MANDATORY]: "mandatory",
    [analyzerProto.EnforcementLevel.DISABLED]: "disabled",
    [analyzerProto.EnforcementLevel.REMEDIATE]: "remediate",
};

const SEVERITIES: Record<analyzerProto.PolicySeverity, Severity | "unspecified"> = {
    [analyzerProto.PolicySeverity.POLICY_SEVERITY_UNSPECIFIED]: "unspecified",
    [analyzerProto.PolicySeverity.POLICY_SEVERITY_LOW]: "low",
    [analyzerProto.PolicySeverity.POLICY_SEVERITY_MEDIUM]: "medium",
    [analyzerProto.PolicySeverity.POLICY_SEVERITY_HIGH]: "high",
    [analyzerProto.PolicySeverity.POLICY_SEVERITY_CRITICAL]: "critical",
};

function decode(response: analyzerProto.AnalyzeResponse): AnalyzerResult {
    return {
        diagnostics: response.getDiagnosticsList().map((diagnostic) => ({
            policy: diagnostic.getPolicyname(),
            description: diagnostic.getDescription(),
            message: diagnostic.getMessage(),
            level: LEVELS[diagnostic.getEnforcementlevel()],
            severity: SEVERITIES[diagnostic.getSeverity()],
            urn: diagnostic.getUrn() || undefined,
        })),
        notApplicable: response.getNotApplicableList().map((entry) => ({ policy: entry.getPolicyName(), reason: entry.getReason() })),
    };
}

function invoke<Request>(handler: RpcHandler<Request>, request: Request): Promise<AnalyzerResult> {
    return new Promise((resolve, reject) => {
        handler({ request }, (error, response) => {
            if (error) reject(error);
            else if (!response) reject(new Error("the analyzer returned no response"));
            else resolve(decode(response));
        });
    });
}

/**
 * Wire values as the engine marshals them for analyzers: secrets and unknowns kept, resource
 * references replaced by their ID (or URN), `undefined` dropped (a Struct cannot hold it).
 */
function toAnalyzerValue(value: unknown): JavaScriptValue | undefined {
    if (value === undefined) return undefined;
    if (value === null || typeof value === "string" || typeof value === "number" || typeof value === "boolean") return value;
    if (Array.isArray(value)) return value.map((item) => toAnalyzerValue(item) ?? null);
    if (typeof value === "object") {
        const record = value as Record<string, unknown>;
        if (isWireResourceReference(record)) {
            return typeof record.id === "string" && record.id !== "" ? record.id : record.urn;
        }
        const result: Record<string, JavaScriptValue> = {};
        for (const [key, inner] of Object.entries(record)) {
            const converted = toAnalyzerValue(inner);
            if (converted !== undefined) result[key] = converted;
        }
        return result;
    }
    return String(value);
}

/** Go-style duration (`1h30m`, `45s`) in seconds, as the engine passes custom timeouts. */
function durationSeconds(duration: string | undefined): number {
    if (!duration) return 0;
    let seconds = 0;
    for (const [, amount, unit] of duration.matchAll(/(\d+(?:\.\d+)?)(ms|h|m|s)/g)) {
        seconds += Number(amount) * { ms: 0.001, s: 1, m: 60, h: 3600 }[unit as "ms" | "s" | "m" | "h"];
    }
    return seconds;
}

function toOptions(options: CapturedResourceOptions, parent: string | undefined): analyzerProto.AnalyzerResourceOptions {
    const message = new analyzerProto.AnalyzerResourceOptions();
    message.setProtect(options.protect ?? false);
    message.setIgnorechangesList(options.ignoreChanges ?? []);
    message.setAliasesList(options.aliases ?? []);
    message.setAdditionalsecretoutputsList(options.additionalSecretOutputs ?? []);
    if (options.deleteBeforeReplace !== undefined) {
        message.setDeletebeforereplacedefined(true);
        message.setDeletebeforereplace(options.deleteBeforeReplace);
    }
    if (options.customTimeouts) {
        const timeouts = new analyzerProto.AnalyzerResourceOptions.CustomTimeouts();
        timeouts.setCreate(durationSeconds(options.customTimeouts.create));
        timeouts.setUpdate(durationSeconds(options.customTimeouts.update));
        timeouts.setDelete(durationSeconds(options.customTimeouts.delete));
        message.setCustomtimeouts(timeouts);
    }
    if (parent) message.setParent(parent);
    return message;
}

/** The protobuf pieces of one resource, built once and shared by both kinds of request. */
export class AnalyzerResourceMessages {
    readonly properties: Struct;
    readonly options: analyzerProto.AnalyzerResourceOptions;
    readonly provider: analyzerProto.AnalyzerProviderResource | undefined;

    constructor(readonly resource: CapturedResource, providers: ReadonlyMap<string, CapturedResource>) {
        this.properties = Struct.fromJavaScript((toAnalyzerValue(resource.inputs) ?? {}) as Record<string, JavaScriptValue>);
        this.options = toOptions(resource.options, resource.parent);
        this.provider = this.providerMessage(providers);
    }

    /** `provider` is `<provider urn>::<provider id>`; the provider's inputs are its config. */
    private providerMessage(providers: ReadonlyMap<string, CapturedResource>): analyzerProto.AnalyzerProviderResource | undefined {
        if (!this.resource.provider) return undefined;
        const urn = this.resource.provider.slice(0, this.resource.provider.lastIndexOf("::"));
        const captured = providers.get(urn);
        const message = new analyzerProto.AnalyzerProviderResource();
        message.setUrn(urn);
        message.setName(captured?.name ?? nameFromUrn(urn));
        message.setType(captured?.type ?? typeFromUrn(urn));
        message.setProperties(Struct.fromJavaScript((toAnalyzerValue(captured?.inputs ?? {}) ?? {}) as Record<string, JavaScriptValue>));
        return message;
    }

    analyzeRequest(): analyzerProto.AnalyzeRequest {
        const request = new analyzerProto.AnalyzeRequest();
        request.setType(this.resource.type);
        request.setUrn(this.resource.urn);
        request.setName(this.resource.name);
        request.setProperties(this.properties);
        request.setOptions(this.options);
        if (this.provider) request.setProvider(this.provider);
        return request;
    }

    stackResource(): analyzerProto.AnalyzerResource {
        const message = new analyzerProto.AnalyzerResource();
        message.setType(this.resource.type);
        message.setUrn(this.resource.urn);
        message.setName(this.resource.name);
        message.setProperties(this.properties);
        message.setOptions(this.options);
        if (this.provider) message.setProvider(this.provider);
        if (this.resource.parent) message.setParent(this.resource.parent);
        message.setDependenciesList(this.resource.dependencies);
        const dependencies = message.getPropertydependenciesMap();
        for (const [property, urns] of Object.entries(this.resource.propertyDependencies)) {
            const entry = new analyzerProto.AnalyzerPropertyDependencies();
            entry.setUrnsList(urns);
            dependencies.set(property, entry);
        }
        return message;
    }
}

/** The engine's analyzer for one set of (already configured) policies. */
export class Analyzer {
    private readonly analyzeHandler: RpcHandler<analyzerProto.AnalyzeRequest>;
    private readonly analyzeStackHandler: RpcHandler<analyzerProto.AnalyzeStackRequest>;

    constructor(packName: string, packVersion: string, policies: Policies) {
        // Every policy carries its effective level, so the pack-level default never applies.
        this.analyzeHandler = makeAnalyzeRpcFun(packName, packVersion, "advisory", policies);
        this.analyzeStackHandler = makeAnalyzeStackRpcFun(packName, packVersion, "advisory", policies);
    }

    /** Resource policies over one resource (what the engine does before each step). */
    analyze(resource: AnalyzerResourceMessages): Promise<AnalyzerResult> {
        return invoke(this.analyzeHandler, resource.analyzeRequest());
    }

    /** Stack policies over every resource (what the engine does at the end of a preview or update). */
    analyzeStack(resources: readonly AnalyzerResourceMessages[]): Promise<AnalyzerResult> {
        const request = new analyzerProto.AnalyzeStackRequest();
        request.setResourcesList(resources.map((resource) => resource.stackResource()));
        return invoke(this.analyzeStackHandler, request);
    }
}
