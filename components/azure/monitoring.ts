/**
 * Monitoring: the Log Analytics workspace every diagnostic setting writes to, the
 * workspace-based Application Insights the ML workspace links, and the one helper that sends a
 * resource's logs and metrics to Log Analytics.
 */
import * as applicationinsights from "@pulumi/azure-native/applicationinsights";
import * as monitor from "@pulumi/azure-native/monitor";
import * as operationalinsights from "@pulumi/azure-native/operationalinsights";
import * as pulumi from "@pulumi/pulumi";
import type { AzureContext } from "./context";

export interface DiagnosticTarget {
    /** Name of the requesting component; the setting's resource name starts with it. */
    name: string;
    /** ARM ID of the resource whose logs and metrics are collected. */
    resourceId: pulumi.Input<string>;
    /**
     * Collect resource logs (category group `allLogs`). Default true; false only for resources
     * that emit metrics alone (a storage account itself, as opposed to its blob service).
     */
    logs?: boolean;
    /** Short label distinguishing several targets of one component (`blob`); part of the resource name. */
    label?: string;
}

/** What a component needs to ship its diagnostics. Components depend on this, not on `Monitoring`. */
export interface DiagnosticsSink {
    /** Attaches a diagnostic setting (all logs, all metrics → Log Analytics) as a child of `owner`. */
    diagnostics(owner: pulumi.ComponentResource, target: DiagnosticTarget): monitor.DiagnosticSetting;
}

export interface MonitoringArgs {
    context: AzureContext;
    /** Azure name of the Log Analytics workspace. */
    workspaceName: string;
    /** Azure name of the Application Insights component. */
    appInsightsName: string;
    /** Log retention in days. */
    retentionDays: number;
    /** Daily ingestion cap in GB; -1 for none. */
    dailyQuotaGb: number;
}

/** Name of every diagnostic setting the platform creates (one per resource). */
export const DIAGNOSTIC_SETTING_NAME = "to-log-analytics";

export class Monitoring extends pulumi.ComponentResource implements DiagnosticsSink {
    readonly workspace: operationalinsights.Workspace;
    readonly appInsights: applicationinsights.Component;
    /** ARM ID of the Log Analytics workspace. */
    readonly workspaceResourceId: pulumi.Output<string>;
    /** The Log Analytics "workspace ID" (customer ID, a GUID) queries and agents use. */
    readonly workspaceCustomerId: pulumi.Output<string>;
    readonly appInsightsId: pulumi.Output<string>;

    constructor(name: string, args: MonitoringArgs, opts?: pulumi.ComponentResourceOptions) {
        super("amlmesh:azure:Monitoring", name, {}, opts);
        const { context } = args;
        const common = { resourceGroupName: context.resourceGroupName, location: context.location, tags: context.tags };

        this.workspace = new operationalinsights.Workspace(
            `${name}-logs`,
            {
                ...common,
                workspaceName: args.workspaceName,
                sku: { name: "PerGB2018" },
                retentionInDays: args.retentionDays,
                ...(args.dailyQuotaGb > 0 ? { workspaceCapping: { dailyQuotaGb: args.dailyQuotaGb } } : {}),
                features: {
                    // Readers see the logs of the resources they may read, not the whole workspace.
                    enableLogAccessUsingOnlyResourcePermissions: true,
                    // Ingestion with the workspace's shared keys is off; diagnostic settings and the
                    // Azure Monitor agent authenticate with Entra ID.
                    disableLocalAuth: true,
                },
            },
            { parent: this },
        );
        this.workspaceResourceId = this.workspace.id;
        this.workspaceCustomerId = this.workspace.customerId;

        this.appInsights = new applicationinsights.Component(
            `${name}-appinsights`,
            {
                ...common,
                resourceName: args.appInsightsName,
                kind: "web",
                applicationType: "web",
                // Workspace-based: telemetry lands in (and is retained by) Log Analytics.
                workspaceResourceId: this.workspace.id,
                ingestionMode: "LogAnalytics",
            },
            { parent: this },
        );
        this.appInsightsId = this.appInsights.id;

        this.registerOutputs({ workspaceResourceId: this.workspaceResourceId, appInsightsId: this.appInsightsId });
    }

    diagnostics(owner: pulumi.ComponentResource, target: DiagnosticTarget): monitor.DiagnosticSetting {
        const logs = target.logs ?? true;
        return new monitor.DiagnosticSetting(
            `${target.name}-diagnostics${target.label ? `-${target.label}` : ""}`,
            {
                name: DIAGNOSTIC_SETTING_NAME,
                resourceUri: target.resourceId,
                workspaceId: this.workspace.id,
                logs: logs ? [{ categoryGroup: "allLogs", enabled: true }] : [],
                metrics: [{ category: "AllMetrics", enabled: true }],
            },
            { parent: owner },
        );
    }
}
