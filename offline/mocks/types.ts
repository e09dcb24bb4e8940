import type * as pulumi from "@pulumi/pulumi";

/** What every mock needs to know about the stack being planned. */
export interface MockContext {
    location: string;
    tenantId: string;
    /** Outputs of the stacks a program references (`pulumi.StackReference`), by stack name. */
    stackReferences?: Record<string, Record<string, unknown>>;
}

/** Computes the ID and output state of one resource from its inputs. */
export type ResourceMock = (args: pulumi.runtime.MockResourceArgs, ctx: MockContext) => { id: string; state: Record<string, unknown> };
