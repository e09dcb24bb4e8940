/**
 * Evaluates a Pulumi program under mocks and captures what `pulumi preview` would register:
 * every resource with its type, name, URN, parent, provider, dependencies and inputs (in wire
 * format, so secretness survives), plus the stack outputs.
 *
 * The SDK keeps its state in process-wide globals, so one evaluation runs at a time; the plan
 * gives each stack its own process, tests evaluate one program after another.
 */
import * as pulumi from "@pulumi/pulumi";
import type { RegisterResourceRequest, RegisterResourceResponse, RegisterResourceOutputsRequest } from "@pulumi/pulumi/proto/resource_pb";
import type { CapturedResource, CapturedResourceOptions, WireValue } from "./document";
import { PlatformMocks, type MockContext } from "./mocks";

export interface EvaluationOptions {
    project: string;
    stack: string;
    /** Raw config as the engine passes it: `namespace:key` → string (objects as JSON text). */
    config: Record<string, string>;
    mockContext: MockContext;
    /** Evaluate as a preview (`pulumi.runtime.isDryRun()` true). Defaults to true. */
    preview?: boolean;
}

export interface Evaluation {
    stackUrn: string;
    /** Every registered resource in registration order, the root stack first. */
    resources: CapturedResource[];
    /** Stack outputs in wire format. */
    outputs: Record<string, WireValue>;
}

type Callback<T> = (error: unknown, response?: T) => void;

interface MonitorHooks {
    registerResource(request: RegisterResourceRequest, callback: Callback<RegisterResourceResponse>): Promise<void>;
    registerResourceOutputs(request: RegisterResourceOutputsRequest, callback: Callback<unknown>): void;
}

/** The program threw: `cause` is its error, `registered` what it had declared until then. */
export class ProgramFailure extends Error {
    constructor(
        override readonly cause: unknown,
        readonly registered: CapturedResource[],
    ) {
        super(cause instanceof Error ? cause.message : String(cause));
        this.name = "ProgramFailure";
    }
}

let running = false;

/**
 * Runs `program` as the body of a stack, exactly as the Pulumi language host would (its return
 * value becomes the stack outputs), and returns everything it registered. Throws
 * ProgramFailure when the program throws.
 */
export async function evaluateProgram(program: () => unknown, options: EvaluationOptions): Promise<Evaluation> {
    if (running) throw new Error("evaluateProgram: another evaluation is running in this process (the Pulumi SDK state is global)");
    running = true;
    try {
        await pulumi.runtime.setMocks(new PlatformMocks(options.mockContext), options.project, options.stack, options.preview ?? true);
        // PULUMI_CONFIG is read once at SDK start-up; replace it after the mocks reset the state.
        pulumi.runtime.setAllConfig(options.config, []);

        const captured: CapturedResource[] = [];
        const registeredOutputs = new Map<string, Record<string, WireValue>>();
        hookMonitor(captured, registeredOutputs);

        // The program's own error is kept out of the SDK: a rejected stack body also surfaces
        // as an unhandled rejection inside the SDK, which would crash the process.
        let failure: { error: unknown } | undefined;
        // Pulumi's runner fails the program on an unhandled rejection (run.js); a component that
        // fails in its async initialize() surfaces only that way, so the plan must too.
        const previousListeners = process.listeners("unhandledRejection");
        const onRejection = (reason: unknown) => {
            failure ??= { error: reason };
        };
        process.removeAllListeners("unhandledRejection");
        process.on("unhandledRejection", onRejection);
        try {
            await pulumi.runtime.runInPulumiStack(async () => {
                try {
                    const exported = await program();
                    return typeof exported === "function" ? await (exported as () => unknown)() : exported;
                } catch (error) {
                    failure ??= { error };
                    return {};
                }
            });
            await drain(captured);
        } finally {
            process.off("unhandledRejection", onRejection);
            for (const listener of previousListeners) process.on("unhandledRejection", listener);
        }
        if (failure) throw new ProgramFailure(failure.error, captured);

        const stack = captured.find((resource) => resource.type === "pulumi:pulumi:Stack");
        if (!stack) throw new Error("evaluateProgram: the stack resource was never registered");
        return { stackUrn: stack.urn, resources: captured, outputs: registeredOutputs.get(stack.urn) ?? {} };
    } finally {
        running = false;
    }
}

/** Wraps the mock monitor so every registration is recorded with its full request. */
function hookMonitor(captured: CapturedResource[], registeredOutputs: Map<string, Record<string, WireValue>>): void {
    const monitor = pulumi.runtime.getMonitor() as unknown as MonitorHooks;
    const registerResource = monitor.registerResource.bind(monitor);
    const registerResourceOutputs = monitor.registerResourceOutputs.bind(monitor);

    monitor.registerResource = (request, callback) =>
        registerResource(request, (error, response) => {
            if (!error && response) captured.push(captureRequest(request, response.getUrn()));
            callback(error, response);
        });
    monitor.registerResourceOutputs = (request, callback) => {
        const outputs = request.getOutputs();
        registeredOutputs.set(request.getUrn(), (outputs?.toJavaScript() ?? {}) as Record<string, WireValue>);
        registerResourceOutputs(request, callback);
    };
}

function captureRequest(request: RegisterResourceRequest, urn: string): CapturedResource {
    const propertyDependencies: Record<string, string[]> = {};
    request.getPropertydependenciesMap().forEach((dependencies, property) => {
        const urns = dependencies.getUrnsList();
        if (urns.length > 0) propertyDependencies[property] = urns;
    });
    const options: CapturedResourceOptions = {};
    if (request.getProtect()) options.protect = true;
    if (request.getIgnorechangesList().length > 0) options.ignoreChanges = request.getIgnorechangesList();
    if (request.getDeletebeforereplace()) options.deleteBeforeReplace = true;
    if (request.getAdditionalsecretoutputsList().length > 0) options.additionalSecretOutputs = request.getAdditionalsecretoutputsList();
    if (request.getRetainondelete()) options.retainOnDelete = true;
    if (request.getDeletedwith()) options.deletedWith = request.getDeletedwith();
    const timeouts = request.getCustomtimeouts();
    if (timeouts && (timeouts.getCreate() || timeouts.getUpdate() || timeouts.getDelete())) {
        options.customTimeouts = { create: timeouts.getCreate() || undefined, update: timeouts.getUpdate() || undefined, delete: timeouts.getDelete() || undefined };
    }
    const parent = request.getParent();
    const provider = request.getProvider();
    return {
        urn,
        type: request.getType(),
        name: request.getName(),
        custom: request.getCustom(),
        ...(parent ? { parent } : {}),
        ...(provider ? { provider } : {}),
        dependencies: [...new Set(request.getDependenciesList())],
        propertyDependencies,
        inputs: (request.getObject()?.toJavaScript() ?? {}) as Record<string, WireValue>,
        options,
    };
}

/**
 * `runInPulumiStack` resolves before every registration has finished (component children are
 * created from promise callbacks). Wait until the registered count stops changing.
 */
async function drain(captured: CapturedResource[]): Promise<void> {
    const waitForRPCs = (pulumi.runtime as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs;
    for (let previous = -1; previous !== captured.length; ) {
        previous = captured.length;
        await waitForRPCs();
        await new Promise((resolve) => setImmediate(resolve));
    }
}
