/** How the public endpoint of a data-plane service (Key Vault, container registry) is exposed. */
export type PublicEndpointAccess =
    /** No public endpoint: reachable only through the private endpoint (when no developer ranges are configured). */
    | { mode: "disabled" }
    /** Public endpoint behind a default-deny firewall that admits only these CIDRs (when developer ranges are configured, dev only). */
    | { mode: "allowlist"; ipRanges: string[] };

/** The firewall's allowed ranges (none when the endpoint is disabled). */
export function allowedRanges(access: PublicEndpointAccess): string[] {
    return access.mode === "allowlist" ? access.ipRanges : [];
}
