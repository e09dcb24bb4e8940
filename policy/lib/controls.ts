/**
 * The compliance controls a policy supports. Kept as closed string unions so a typo in a rule's
 * mapping fails `tsc`, and so the offline report can group verdicts by control.
 */

/** AICPA Trust Services Criteria (SOC 2), common criteria and availability. */
export type Soc2Criterion =
    | "CC6.1" // logical access security: software, infrastructure, architecture
    | "CC6.2" // registration and authorization of identities
    | "CC6.3" // role-based access, least privilege, segregation of duties
    | "CC6.6" // boundary protection against threats from outside the system
    | "CC6.7" // restricted transmission and movement of information (encryption in transit)
    | "CC6.8" // prevention and detection of unauthorized or malicious software
    | "CC7.1" // detection of configuration changes and known vulnerabilities
    | "CC7.2" // monitoring of components for anomalies (logging)
    | "CC8.1" // change management: authorized, tested, approved changes
    | "A1.1"; // capacity management

/** HIPAA Security Rule, technical safeguards (45 CFR §164.312). */
export type HipaaSection =
    | "164.312(a)(1)" // access control
    | "164.312(a)(2)(i)" // unique user identification
    | "164.312(a)(2)(iv)" // encryption and decryption
    | "164.312(b)" // audit controls
    | "164.312(c)(1)" // integrity
    | "164.312(d)" // person or entity authentication
    | "164.312(e)(1)" // transmission security
    | "164.312(e)(2)(ii)"; // encryption in transit

export interface ComplianceControls {
    soc2: readonly Soc2Criterion[];
    hipaa: readonly HipaaSection[];
}

export type ComplianceFramework = "SOC 2" | "HIPAA";

/** One control as the report prints it: `SOC 2 CC6.1`, `HIPAA 164.312(d)`. */
export interface ControlRef {
    framework: ComplianceFramework;
    control: Soc2Criterion | HipaaSection;
}

export function controlRefs(controls: ComplianceControls): ControlRef[] {
    return [
        ...controls.soc2.map((control): ControlRef => ({ framework: "SOC 2", control })),
        ...controls.hipaa.map((control): ControlRef => ({ framework: "HIPAA", control })),
    ];
}

/** Machine-readable tags (`soc2:CC6.1`, `hipaa:164.312(d)`) for Pulumi Cloud and other readers. */
export function controlTags(controls: ComplianceControls): string[] {
    return [...controls.soc2.map((c) => `soc2:${c}`), ...controls.hipaa.map((c) => `hipaa:${c}`)];
}
