/**
 * The shipped stacks evaluated once per test process (each evaluation of the whole program
 * takes about a second), and helpers to read what the Azure side planned.
 */
import { OFFLINE_SUBSCRIPTION_ID, PlatformMocks } from "../../offline/mocks";
import { runStack, type PlannedStack } from "../harness";

export const STACKS = ["dev", "staging", "prod"] as const;
export type ShippedStack = (typeof STACKS)[number];

const planned = new Map<ShippedStack, Promise<PlannedStack>>();
const invoked = new Map<ShippedStack, string[]>();

/** The shipped stack's plan, evaluated on first use. Evaluations run one at a time. */
export function plannedStack(stack: ShippedStack): Promise<PlannedStack> {
    let plan = planned.get(stack);
    if (!plan) {
        plan = evaluateRecordingCalls(stack);
        planned.set(stack, plan);
    }
    return plan;
}

/** Tokens of every provider function the program called while planning the stack. */
export async function functionsCalled(stack: ShippedStack): Promise<string[]> {
    await plannedStack(stack);
    return invoked.get(stack) ?? [];
}

async function evaluateRecordingCalls(stack: ShippedStack): Promise<PlannedStack> {
    const tokens: string[] = [];
    const original = PlatformMocks.prototype.call;
    PlatformMocks.prototype.call = function (this: PlatformMocks, args) {
        tokens.push(args.token);
        return original.call(this, args);
    };
    try {
        return await runStack(stack);
    } finally {
        PlatformMocks.prototype.call = original;
        invoked.set(stack, tokens);
    }
}

/** ARM ID prefix of the stack's resource group. */
export function resourceGroupId(stack: ShippedStack): string {
    return `/subscriptions/${OFFLINE_SUBSCRIPTION_ID}/resourceGroups/rg-aml-${stack}`;
}
