import * as assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { ConfigError, findPlaceholders, GITHUB_ACTIONS_ISSUER, parseStackConfig } from "../../infra/config";
import { editConfig, PROJECT_ROOT, shippedStackConfig, type PlannedStack } from "../harness";
import { plannedStack } from "./azure-stacks";

type Caller = { name: string; kind: string; roles: string[]; federation?: { issuer: string; subject: string } };
const callersOf = (raw: Record<string, string>) => (JSON.parse(raw["amlmesh:access"]) as { callers: Caller[] }).callers;
const jobEnvironments = (file: string): string[] => {
    const jobs = (parse(readFileSync(path.join(PROJECT_ROOT, ".github", "workflows", file), "utf8")) as { jobs: Record<string, { environment?: string; strategy?: { matrix: { environment: string[] } } }> }).jobs;
    return Object.values(jobs).flatMap((job) => {
        if (!job.environment) return [];
        const matrix = job.strategy?.matrix.environment;
        return matrix ? matrix.map((environment) => job.environment!.replace("${{ matrix.environment }}", environment)) : [job.environment];
    });
};

describe("the pipeline's own identities in the access matrix", function () {
    this.timeout(60_000);

    for (const stack of ["dev", "staging", "prod"] as const) {
        describe(stack, () => {
            let planned: PlannedStack;
            before(async () => {
                planned = await plannedStack(stack);
            });

            for (const [name, environment] of [["platform-deploy", stack], ["platform-preview", `${stack}-preview`]] as const) {
                it(`${name}: an app registration federated on this repository's ${environment} environment, with no secret and no grant`, () => {
                    const caller = callersOf(shippedStackConfig(stack)).find((candidate) => candidate.name === name);
                    assert.ok(caller, `${stack} declares no ${name} caller`);
                    assert.equal(caller.kind, "ci-pipeline");
                    assert.deepEqual(caller.roles, []);
                    assert.match(caller.federation!.subject, new RegExp(`^repo:[^/]+/amlmesh:environment:${environment}$`));

                    const credentials = planned.where("azuread:index/applicationFederatedIdentityCredential:ApplicationFederatedIdentityCredential", (resource) => resource.input("subject") === caller.federation!.subject);
                    assert.equal(credentials.length, 1);
                    assert.equal(credentials[0].input("issuer"), GITHUB_ACTIONS_ISSUER);
                    assert.deepEqual(credentials[0].input("audiences"), ["api://AzureADTokenExchange"]);

                    const component = planned.one("amlmesh:entra:FederatedApplication", `access-${name}`);
                    const inside = planned.descendantsOf(component).map((resource) => resource.type).sort();
                    assert.deepEqual(inside, [
                        "azuread:index/application:Application",
                        "azuread:index/applicationFederatedIdentityCredential:ApplicationFederatedIdentityCredential",
                        "azuread:index/servicePrincipal:ServicePrincipal",
                    ]);
                    // Its Azure and Graph rights are granted once at bootstrap, never by the program it deploys.
                    const servicePrincipal = planned.one("azuread:index/servicePrincipal:ServicePrincipal", `access-${name}-sp`);
                    const granted = [...planned.ofType("azure-native:authorization:RoleAssignment"), ...planned.ofType("azuread:index/appRoleAssignment:AppRoleAssignment")].filter(
                        (assignment) => assignment.dependsOn(servicePrincipal),
                    );
                    assert.deepEqual(granted.map((assignment) => assignment.name), []);
                });
            }
        });
    }

    it("the workflows deploy and preview exactly the environments these identities are federated on", () => {
        const subjects = (["dev", "staging", "prod"] as const).flatMap((stack) =>
            callersOf(shippedStackConfig(stack))
                .filter((caller) => caller.name.startsWith("platform-"))
                .map((caller) => caller.federation!.subject.replace(/^.*:environment:/, "")),
        );
        const used = [...jobEnvironments("deploy.yml"), ...jobEnvironments("pull-request.yml"), ...jobEnvironments("scheduled.yml")];
        assert.deepEqual([...new Set(used)].sort(), [...subjects].sort());
    });

    describe("config rules", () => {
        const withSubject = (subject: string) =>
            editConfig(shippedStackConfig("prod"), "amlmesh:access", (access) => {
                const value = access as { callers: Caller[] };
                return { ...value, callers: value.callers.map((caller) => (caller.name === "platform-deploy" ? { ...caller, federation: { ...caller.federation!, subject } } : caller)) };
            });

        it("applies the rule to GitHub's issuer however it is spelled", () => {
            const raw = editConfig(shippedStackConfig("prod"), "amlmesh:access", (access) => {
                const value = access as { callers: Caller[] };
                const subject = "repo:contoso/amlmesh:pull_request";
                return { ...value, callers: value.callers.map((caller) => (caller.name === "platform-deploy" ? { ...caller, federation: { issuer: `${GITHUB_ACTIONS_ISSUER}/`, subject } } : caller)) };
            });
            assert.throws(() => parseStackConfig(raw), (error: unknown) => error instanceof ConfigError && error.problems.some((problem) => /not a GitHub environment subject/.test(problem.message)));
        });

        for (const subject of ["repo:contoso/amlmesh:ref:refs/heads/main", "repo:contoso/amlmesh:pull_request", "repo:contoso/amlmesh:environment:prod:extra"]) {
            it(`refuses a GitHub pipeline federated on ${subject.replace(/^repo:contoso\/amlmesh:/, "")}, naming the key`, () => {
                assert.throws(
                    () => parseStackConfig(withSubject(subject)),
                    (error: unknown) =>
                        error instanceof ConfigError &&
                        error.problems.some((problem) => /^amlmesh:access\.callers\[\d+\]\.federation\.subject$/.test(problem.key) && /expected repo:<owner>\/<repo>:environment:<environment>/.test(problem.message)),
                );
            });
        }

        it("accepts a real environment subject and flags the shipped stand-in repository as a placeholder", () => {
            const config = parseStackConfig(withSubject("repo:fabrikam/amlmesh:environment:prod"));
            const index = config.access.callers.findIndex((caller) => caller.name === "platform-deploy");
            assert.ok(!findPlaceholders(config).includes(`amlmesh:access.callers[${index}].federation.subject`));
            assert.ok(findPlaceholders(parseStackConfig(shippedStackConfig("prod"))).includes(`amlmesh:access.callers[${index}].federation.subject`));
        });

        it("still requires a role of every other kind of caller", () => {
            const raw = editConfig(shippedStackConfig("prod"), "amlmesh:access", (access) => {
                const value = access as { callers: Caller[] };
                return { ...value, callers: value.callers.map((caller) => (caller.kind === "external-app" ? { ...caller, roles: [] } : caller)) };
            });
            assert.throws(() => parseStackConfig(raw), (error: unknown) => error instanceof ConfigError && error.problems.some((problem) => /expected at least one role/.test(problem.message)));
        });
    });
});
