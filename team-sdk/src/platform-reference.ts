/**
 * A typed reference to the platform stack. A Pulumi StackReference is untyped; this reads the
 * outputs once, checks them against the outputs contract (refusing another schemaVersion by
 * naming both) and hands back the typed document. Nothing the contract holds is secret, so a
 * secret output is refused as well: the platform never exports one, and a team must not turn a
 * secret into plain values.
 */
import * as pulumi from "@pulumi/pulumi";
import { OUTPUTS_SCHEMA_VERSION, OutputsContractError, parsePlatformOutputs, platformOutputsSchema, type PlatformOutputsDocument } from "./kit/outputs-contract";

export { OUTPUTS_SCHEMA_VERSION, OutputsContractError, type PlatformOutputsDocument };

export type PlatformTeam = PlatformOutputsDocument["teams"][number];

export class PlatformReference {
    /** `<organization>/<project>/<stack>` of the platform stack. */
    readonly stackName: string;
    readonly stackReference: pulumi.StackReference;
    private loaded?: Promise<PlatformOutputsDocument>;

    /**
     * @param stackName `<organization>/<project>/<stack>` of the platform stack.
     * @param resourceName name of the StackReference resource (default: the stack name); a
     *   component that reads the platform needs one of its own, since two references of the same
     *   name under the same parent type would collide.
     */
    constructor(stackName: string, opts?: pulumi.CustomResourceOptions, resourceName: string = stackName) {
        if (!/^[^/\s]+\/[^/\s]+\/[^/\s]+$/.test(stackName)) {
            throw new OutputsContractError(`PlatformReference: "${stackName}" is not a stack name <organization>/<project>/<stack> (on a self-managed backend the organization is literally "organization")`);
        }
        this.stackName = stackName;
        this.stackReference = new pulumi.StackReference(resourceName, { name: stackName }, opts);
    }

    /** The platform's outputs, checked against the contract this SDK was built for. */
    outputs(): Promise<PlatformOutputsDocument> {
        this.loaded ??= this.read();
        return this.loaded;
    }

    /** The onboarded team of that name. */
    async team(name: string): Promise<PlatformTeam> {
        const outputs = await this.outputs();
        const team = outputs.teams.find((candidate) => candidate.name === name);
        if (!team) {
            throw new OutputsContractError(
                `${this.where()} has not onboarded team "${name}" (onboarded: ${outputs.teams.map((t) => t.name).join(", ") || "none"}); ask the platform team to add it to amlmesh:teams`,
            );
        }
        return team;
    }

    private where(): string {
        return `platform stack ${this.stackName}`;
    }

    private async read(): Promise<PlatformOutputsDocument> {
        // The version first, so an old or new platform fails on the version, not on a missing field.
        const version = await this.stackReference.getOutputDetails("schemaVersion");
        if (version.secretValue !== undefined) throw new OutputsContractError(`${this.where()} exports schemaVersion as a secret; the outputs contract holds no secrets`);
        const document: Record<string, unknown> = { schemaVersion: version.value };
        if (version.value !== OUTPUTS_SCHEMA_VERSION) return parsePlatformOutputs(document, this.where());
        for (const key of Object.keys(platformOutputsSchema.shape)) {
            if (key === "schemaVersion") continue;
            const details = await this.stackReference.getOutputDetails(key);
            if (details.secretValue !== undefined) throw new OutputsContractError(`${this.where()} exports ${key} as a secret; the outputs contract holds no secrets`);
            document[key] = details.value;
        }
        return parsePlatformOutputs(document, this.where());
    }
}
