/**
 * The mocks behind the offline plan and the tests: each provider's resources get the IDs and
 * computed outputs the real cloud would return, shaped the way the program reads them.
 */
import type * as pulumi from "@pulumi/pulumi";
import { azureNativeCall, azureNativeMock } from "./azure";
import { azureAdCall, azureAdMock } from "./entra";
import { kubernetesMock } from "./kubernetes";
import { randomMock, tlsMock } from "./tls-random";
import type { MockContext, ResourceMock } from "./types";
import { deterministicUuid } from "./identifiers";

export type { MockContext } from "./types";
export { deterministicUuid, OFFLINE_SUBSCRIPTION_ID } from "./identifiers";

const BY_PROVIDER: [prefix: string, mock: ResourceMock][] = [
    ["azure-native:", azureNativeMock],
    ["azuread:", azureAdMock],
    ["kubernetes:", kubernetesMock],
    ["pulumi:providers:kubernetes", kubernetesMock],
    ["tls:", tlsMock],
    ["random:", randomMock],
];

export class PlatformMocks implements pulumi.runtime.Mocks {
    constructor(private readonly context: MockContext) {}

    newResource(args: pulumi.runtime.MockResourceArgs): { id: string; state: Record<string, unknown> } {
        if (args.type === "pulumi:pulumi:StackReference") {
            // The SDK reads `outputs` and `secretOutputNames` from the state (stackReference.ts).
            const name = String(args.inputs.name);
            const outputs = this.context.stackReferences?.[name];
            if (!outputs) throw new Error(`offline mocks: no outputs for stack reference ${name}; pass that stack's plan document`);
            return { id: name, state: { outputs, secretOutputNames: [] } };
        }
        const match = BY_PROVIDER.find(([prefix]) => args.type.startsWith(prefix));
        if (match) return match[1](args, this.context);
        return { id: deterministicUuid(`${args.type}:${args.name}`), state: { ...args.inputs } };
    }

    call(args: pulumi.runtime.MockCallArgs): Record<string, unknown> {
        const result = azureNativeCall(args.token, args.inputs, this.context) ?? azureAdCall(args.token, args.inputs);
        if (!result) throw new Error(`offline mocks: no mock for function ${args.token}; add one in offline/mocks/`);
        return result;
    }
}
