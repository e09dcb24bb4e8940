import * as ipaddr from "ipaddr.js";

/** An IPv4 block, parsed once so the config rules can compare blocks cheaply. */
export interface Ipv4Block {
    text: string;
    network: ipaddr.IPv4;
    prefix: number;
}

/** Parses `a.b.c.d/n`; returns undefined for anything else (the schema reports the error). */
export function parseIpv4Block(text: string): Ipv4Block | undefined {
    try {
        const [address, prefix] = ipaddr.IPv4.parseCIDR(text);
        return { text, network: address, prefix };
    } catch {
        return undefined;
    }
}

/** True when the address has no bits set beyond the prefix (10.0.0.0/16, not 10.0.1.0/16). */
export function isNetworkAddress(block: Ipv4Block): boolean {
    const bytes = block.network.toByteArray();
    const value = ((bytes[0] << 24) | (bytes[1] << 16) | (bytes[2] << 8) | bytes[3]) >>> 0;
    const hostBits = 32 - block.prefix;
    return hostBits === 32 ? value === 0 : (value & ((2 ** hostBits - 1) >>> 0)) === 0;
}

/** True when `inner` lies entirely inside `outer`. */
export function blockContains(outer: Ipv4Block, inner: Ipv4Block): boolean {
    return inner.prefix >= outer.prefix && inner.network.match(outer.network, outer.prefix);
}

/** Two aligned blocks overlap exactly when one contains the other. */
export function blocksOverlap(a: Ipv4Block, b: Ipv4Block): boolean {
    return blockContains(a, b) || blockContains(b, a);
}

/** True when the single address lies inside the block. */
export function addressInBlock(address: string, block: Ipv4Block): boolean {
    return ipaddr.IPv4.isValidFourPartDecimal(address) && ipaddr.IPv4.parse(address).match(block.network, block.prefix);
}
