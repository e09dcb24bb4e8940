/**
 * The fraud team's program: publish the scoring model under the team's prefix. The component
 * reads the platform stack's outputs itself (checked against the contract); everything about the
 * edge, the mesh and the team's identity comes from there, and the team names only its service.
 */
import * as pulumi from "@pulumi/pulumi";
import { ModelService } from "@amlmesh/team-sdk";

const config = new pulumi.Config();
const scorer = new ModelService("fraud-scorer", {
    platformStack: config.require("platformStack"),
    team: config.require("team"),
    path: "/teams/fraud/score",
    image: config.require("image"),
    port: 8080,
    serviceAccount: "fraud-scorer",
    roles: ["Model.Invoke"],
});

export const url = scorer.url;
export const namespace = scorer.namespace;
