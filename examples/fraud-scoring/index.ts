/**
 * The fraud team's program: read the platform's outputs (checked against the contract), then
 * publish the scoring model under the team's prefix. Everything about the edge, the mesh and
 * the team's identity comes from the platform; the team names only its service.
 */
import * as pulumi from "@pulumi/pulumi";
import { ModelService, PlatformReference } from "@amlmesh/team-sdk";

export = async () => {
    const config = new pulumi.Config();
    const platform = await new PlatformReference(config.require("platformStack")).outputs();
    const scorer = new ModelService("fraud-scorer", {
        platform,
        team: config.require("team"),
        path: "/teams/fraud/score",
        image: config.require("image"),
        port: 8080,
        serviceAccount: "fraud-scorer",
        roles: ["Model.Invoke"],
    });
    return { url: scorer.url, namespace: scorer.namespace };
};
