/**
 * The bootstrap of one stack as an ordered, idempotent Azure CLI script, generated from the
 * stack's requirements (bootstrap/requirements.ts) so it creates exactly what the preflight
 * checks and the program refers to.
 *
 * Why a generated script and not a Pulumi project: the bootstrap creates the Pulumi state
 * backend and the secrets-provider key themselves, and the steps that put data into the hub
 * (the certificate, the image, the key) are data-plane calls that only the in-network runner
 * can make once the hub exists. Two phases:
 *
 * - `owner`: run once by a subscription Owner (and an Entra Privileged Role Administrator for
 *   the Graph permissions), from anywhere with ARM access. Everything in it is control plane.
 * - `runner`: run on the deploy runner inside the hub VNet, after it is registered. It fills the
 *   hub through its private endpoints, then runs the preflight.
 *
 * Steps Azure cannot do as code (registering the GitHub runner, a CA issuing the certificate,
 * a quota increase) are listed in order with a check that fails until they are done.
 */
import { parseIpv4Block, splitBlock } from "../infra/cidr";
import type { StackConfig } from "../infra/config";
import { MICROSOFT_GRAPH_APP_ID, roleCondition, PRIVATE_ENDPOINT_APPROVER_ACTIONS, PRIVATE_ENDPOINT_APPROVER_ROLE, type StackRequirements } from "./requirements";

export type BootstrapPhase = "owner" | "runner";

export interface BootstrapStep {
    title: string;
    /** Shell commands, each idempotent (a re-run after a failure is safe). */
    commands: string[];
    /** For a manual step: what to do by hand; the commands then only check it is done. */
    manual?: string;
}

export interface BootstrapOptions {
    /** Subject of the CI job's OIDC token the deployer identity trusts (`repo:<org>/<repo>:environment:<env>`). */
    ciSubject: string;
    /** Issuer of that token (GitHub Actions by default). */
    ciIssuer?: string;
}

/** Splits the hub range in halves: runner subnet, then private endpoints. */
export function hubSubnets(hubAddressSpace: string): { runner: string; privateEndpoints: string } {
    const block = parseIpv4Block(hubAddressSpace);
    if (!block) throw new Error(`network.hubAddressSpace ${hubAddressSpace} is not an IPv4 CIDR block`);
    if (block.prefix > 26) throw new Error(`network.hubAddressSpace ${hubAddressSpace} is too small: the hub needs at least a /26`);
    const [runner, privateEndpoints] = splitBlock(block);
    return { runner, privateEndpoints };
}

const q = (value: string) => `'${value.replace(/'/g, "'\\''")}'`;

export function bootstrapSteps(config: StackConfig, needs: StackRequirements, phase: BootstrapPhase, options: BootstrapOptions): BootstrapStep[] {
    const b = needs.names.bootstrap;
    const loc = needs.location;
    const hubRg = b.resourceGroup;
    const env = config.environment;
    const subnets = hubSubnets(config.network.hubAddressSpace);
    const zones = [
        ...(config.cluster.apiServer.access === "private" ? [b.apiServerDnsZone] : []),
        "privatelink.vaultcore.azure.net",
        "privatelink.azurecr.io",
        "privatelink.blob.core.windows.net",
    ];
    const endpoint = (name: string, resourceId: string, group: string, zone: string) => [
        `az network private-endpoint show -g ${hubRg} -n pe-${name}-${group} >/dev/null 2>&1 || az network private-endpoint create -g ${hubRg} -n pe-${name}-${group} -l ${loc} --vnet-name ${b.hubVnet} --subnet snet-private-endpoints --private-connection-resource-id ${resourceId} --group-id ${group} --connection-name pe-${name}-${group}`,
        `az network private-endpoint dns-zone-group create -g ${hubRg} --endpoint-name pe-${name}-${group} -n default --private-dns-zone ${zone} --zone-name ${zone.replace(/\./g, "-")} >/dev/null`,
    ];

    // A role on the secrets-provider key can only be granted once the key exists (runner phase).
    const onKey = (need: { scope: string }) => need.scope === needs.ids.secretsProviderKey;
    const grant = (need: StackRequirements["deployerRoles"][number]) => {
        const abac = roleCondition(need, needs.customRoles);
        const condition = abac ? ` --condition ${q(abac)} --condition-version 2.0` : "";
        return `az role assignment create --assignee-object-id "$DEPLOYER" --assignee-principal-type ServicePrincipal --role ${q(need.role)} --scope ${need.scope}${condition} -o none  # ${need.why}`;
    };
    const deployerId = `DEPLOYER=$(az identity show -n ${b.deployerIdentity} -g ${hubRg} --query principalId -o tsv)`;

    if (phase === "runner") {
        const certificate =
            env === "dev"
                ? {
                      title: "Edge certificate (dev: self-signed by Key Vault, renewed by Key Vault)",
                      commands: [
                          `az keyvault certificate show --vault-name ${b.keyVault} -n ${needs.edgeCertificate.name} >/dev/null 2>&1 || az keyvault certificate create --vault-name ${b.keyVault} -n ${needs.edgeCertificate.name} -p "$(az keyvault certificate get-default-policy | jq '.x509CertificateProperties.subject = "CN=${config.edge.hostName}" | .x509CertificateProperties.subjectAlternativeNames = {dnsNames: ["${config.edge.hostName}"]} | .secretProperties.contentType = "application/x-pem-file"')"`,
                      ],
                  }
                : {
                      title: "Edge certificate (CA-issued, for " + config.edge.hostName + ")",
                      manual: `Have your CA issue a certificate for ${config.edge.hostName} (with its chain and private key, PFX or PEM) and copy it to this runner as edge-tls.pfx. Key Vault renews nothing here: import each renewal the same way; the CSI driver picks it up within its rotation interval.`,
                      commands: [
                          `az keyvault certificate show --vault-name ${b.keyVault} -n ${needs.edgeCertificate.name} >/dev/null 2>&1 || az keyvault certificate import --vault-name ${b.keyVault} -n ${needs.edgeCertificate.name} -f edge-tls.pfx`,
                      ],
                  };
        return [
            { title: "Sign in as the operator and select the subscription", commands: [`az account set --subscription ${needs.subscriptionId}`] },
            {
                title: "Pulumi secrets-provider key",
                commands: [
                    `az keyvault key show --vault-name ${b.keyVault} -n ${b.secretsProviderKey} >/dev/null 2>&1 || az keyvault key create --vault-name ${b.keyVault} -n ${b.secretsProviderKey} --kty RSA --size 3072 -o none`,
                    deployerId,
                    ...needs.deployerRoles.filter(onKey).map(grant),
                ],
            },
            certificate,
            {
                title: "Edge authorizer image: build here, push through the hub registry's private endpoint, pin the digest in the stack file",
                commands: [`npm run image:pin -- --stack ${env}`, `git diff --stat stacks/Pulumi.${env}.yaml  # commit the new digest`],
            },
            {
                title: "Pulumi state and stack",
                commands: [
                    `pulumi login 'azblob://state?storage_account=${b.stateStorage}'`,
                    `pulumi stack select ${env} 2>/dev/null || pulumi stack init ${env} --secrets-provider 'azurekeyvault://${b.keyVault}.vault.azure.net/keys/${b.secretsProviderKey}'`,
                ],
            },
            { title: "Preflight (must pass before pulumi up)", commands: [`npm run preflight -- --stack ${env} --subscription ${needs.subscriptionId}`] },
        ];
    }

    const deployerRoleCommands = needs.deployerRoles.filter((need) => !onKey(need)).map(grant);
    const customRole = JSON.stringify({
        Name: PRIVATE_ENDPOINT_APPROVER_ROLE,
        Description: "Approves private endpoints to the amlmesh hub Key Vault and registry.",
        Actions: PRIVATE_ENDPOINT_APPROVER_ACTIONS,
        AssignableScopes: [needs.ids.resourceGroup],
    });
    return [
        { title: "Select the subscription (you: Owner on it)", commands: [`az account set --subscription ${needs.subscriptionId}`] },
        {
            title: "Resource providers",
            commands: [
                ...needs.providers.map((namespace) => `az provider register --namespace ${namespace} --wait`),
                ...needs.features.map((feature) => `az feature register --namespace ${feature.split("/")[0]} --name ${feature.split("/")[1]}`),
            ],
        },
        {
            title: "Resource groups: the platform's (so the deployer's roles can be granted on it) and the hub",
            commands: [`az group create -n ${needs.names.resourceGroup} -l ${loc} -o none`, `az group create -n ${hubRg} -l ${loc} -o none`],
        },
        {
            title: "Hub network: runner subnet and private endpoints, private DNS zones linked to the hub",
            commands: [
                `az network vnet create -g ${hubRg} -n ${b.hubVnet} -l ${loc} --address-prefixes ${config.network.hubAddressSpace} --subnet-name ${b.runnerSubnet} --subnet-prefixes ${subnets.runner} -o none`,
                `az network vnet subnet create -g ${hubRg} --vnet-name ${b.hubVnet} -n snet-private-endpoints --address-prefixes ${subnets.privateEndpoints} -o none`,
                ...zones.flatMap((zone) => [
                    `az network private-dns zone create -g ${hubRg} -n ${zone} -o none`,
                    `az network private-dns link vnet show -g ${hubRg} -z ${zone} -n hub >/dev/null 2>&1 || az network private-dns link vnet create -g ${hubRg} -z ${zone} -n hub -v ${b.hubVnet} -e false -o none`,
                ]),
            ],
        },
        {
            title: "State storage (no shared keys, no public endpoint; the container is created through ARM)",
            commands: [
                `az storage account create -n ${b.stateStorage} -g ${hubRg} -l ${loc} --sku Standard_ZRS --kind StorageV2 --min-tls-version TLS1_2 --https-only true --allow-blob-public-access false --allow-shared-key-access false --public-network-access Disabled -o none`,
                `az storage container-rm create --storage-account ${b.stateStorage} -g ${hubRg} -n state -o none`,
                ...endpoint(b.stateStorage, `$(az storage account show -n ${b.stateStorage} -g ${hubRg} --query id -o tsv)`, "blob", "privatelink.blob.core.windows.net"),
            ],
        },
        {
            title: "Hub Key Vault (secrets-provider key, edge certificate): RBAC, purge protection, no public endpoint",
            commands: [
                `az keyvault show -n ${b.keyVault} >/dev/null 2>&1 || az keyvault create -n ${b.keyVault} -g ${hubRg} -l ${loc} --enable-rbac-authorization true --enable-purge-protection true --retention-days 90 --public-network-access Disabled -o none`,
                ...endpoint(b.keyVault, needs.ids.keyVault, "vault", "privatelink.vaultcore.azure.net"),
                `az role assignment create --assignee "$(az ad signed-in-user show --query id -o tsv)" --role 'Key Vault Administrator' --scope ${needs.ids.keyVault} -o none  # you import the certificate and create the key from the runner`,
            ],
        },
        {
            title: "Hub registry (edge authorizer): Premium for private endpoints, no admin user, no public endpoint",
            commands: [
                `az acr create -n ${b.registry} -g ${hubRg} -l ${loc} --sku Premium --admin-enabled false --public-network-enabled false -o none`,
                ...endpoint(b.registry, needs.ids.registry, "registry", "privatelink.azurecr.io"),
            ],
        },
        {
            title: "Deployer identity, federated with the CI environment (no secret)",
            commands: [
                `az identity create -n ${b.deployerIdentity} -g ${hubRg} -l ${loc} -o none`,
                `az identity federated-credential create --identity-name ${b.deployerIdentity} -g ${hubRg} -n ci-${env} --issuer ${options.ciIssuer ?? "https://token.actions.githubusercontent.com"} --subject ${q(options.ciSubject)} --audiences api://AzureADTokenExchange -o none`,
                deployerId,
            ],
        },
        {
            title: "Deployer roles, each at the narrowest scope where it can be granted (RBAC Administrator limited to the roles the program assigns)",
            commands: [
                `[ -n "$(az role definition list --name ${q(PRIVATE_ENDPOINT_APPROVER_ROLE)} --query '[0].id' -o tsv)" ] || az role definition create --role-definition ${q(customRole)} -o none`,
                // The program's custom roles, under the GUIDs it refers to them by (PUT is idempotent).
                ...needs.customRoles.map(
                    (custom) =>
                        `az rest --method PUT --uri ${q(`https://management.azure.com${custom.scope}/providers/Microsoft.Authorization/roleDefinitions/${custom.guid}?api-version=2022-04-01`)} --body ${q(
                            JSON.stringify({
                                properties: {
                                    roleName: `${custom.role} (${custom.scope})`,
                                    description: `amlmesh: ${custom.description}`,
                                    type: "CustomRole",
                                    permissions: [{ actions: custom.actions, notActions: [], dataActions: [], notDataActions: [] }],
                                    assignableScopes: [custom.scope],
                                },
                            }),
                        )} -o none  # ${custom.role}`,
                ),
                ...deployerRoleCommands,
            ],
        },
        {
            title: "Microsoft Graph application permissions of the deployer (you: Privileged Role Administrator in Entra)",
            commands: [
                `GRAPH=$(az ad sp show --id ${MICROSOFT_GRAPH_APP_ID} --query id -o tsv)`,
                ...needs.graphPermissions.flatMap((permission) => [
                    `ROLE=$(az ad sp show --id ${MICROSOFT_GRAPH_APP_ID} --query "appRoles[?value=='${permission}'].id" -o tsv)`,
                    `[ -n "$(az rest --method GET --uri "https://graph.microsoft.com/v1.0/servicePrincipals/$DEPLOYER/appRoleAssignments" --query "value[?appRoleId=='$ROLE'].id" -o tsv)" ] || ` +
                        `az rest --method POST --uri "https://graph.microsoft.com/v1.0/servicePrincipals/$GRAPH/appRoleAssignedTo" --body "{\\"principalId\\":\\"$DEPLOYER\\",\\"resourceId\\":\\"$GRAPH\\",\\"appRoleId\\":\\"$ROLE\\"}" -o none  # ${permission}`,
                ]),
            ],
        },
        {
            title: `Deploy runner in ${b.hubVnet}/${b.runnerSubnet}`,
            manual:
                `Create a Linux VM (no public IP) in ${b.hubVnet}/${b.runnerSubnet}, assign it the user-assigned identity ${b.deployerIdentity}, ` +
                `install the Azure CLI, kubelogin, Node.js, the Pulumi CLI and Docker, and register it as a GitHub self-hosted runner with the labels self-hosted,linux,amlmesh-${env} ` +
                `(the CI workflows use runs-on: [self-hosted, linux, amlmesh-${env}]). Registration needs a short-lived token from the repository settings, which is why this step is manual.`,
            commands: [
                `[ -n "$(az vm list -g ${hubRg} --query "[?identity.userAssignedIdentities && contains(join(',', keys(identity.userAssignedIdentities)), '${b.deployerIdentity}')].name" -o tsv)" ] || { echo "no VM with the deployer identity in ${hubRg} yet"; exit 1; }`,
            ],
        },
        {
            title: "Regional vCPU quota",
            manual: `The preflight compares the quota with the stack's node pools (${needs.vmDemand.map((d) => `${d.label}: ${d.maxNodes} x ${d.vmSize}`).join("; ")}). Request increases in the portal (Quotas) where it says so.`,
            commands: [`az vm list-usage -l ${loc} -o table | grep -Ei 'Total Regional|DDSv5|DSv2'`],
        },
        {
            title: "Next: on the runner",
            commands: [`echo "run: npm run bootstrap -- --stack ${env} --subscription ${needs.subscriptionId} --phase runner | bash  (on the amlmesh-${env} runner)"`],
        },
    ];
}

export function renderScript(steps: BootstrapStep[], header: string): string {
    const lines = ["#!/usr/bin/env bash", `# ${header}`, "# Generated by `npm run bootstrap`; review it, then run it. Every step is safe to re-run.", "set -euo pipefail", ""];
    steps.forEach((step, i) => {
        lines.push(`# --- ${i + 1}. ${step.title}`);
        if (step.manual) {
            lines.push(...step.manual.match(/.{1,100}(\s|$)/g)!.map((line) => `# MANUAL: ${line.trim()}`));
            lines.push("# Check (fails until the manual step is done):");
        }
        lines.push(`echo ${q(`== ${i + 1}. ${step.title}`)}`);
        lines.push(...step.commands, "");
    });
    return lines.join("\n");
}
