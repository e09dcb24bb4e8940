import { BlockList, isIPv4 } from "node:net";

/** An IPv4 block, parsed once so the config rules can compare blocks cheaply. */
export interface Ipv4Block {
    text: string;
    /** The block's first address as written (`10.40.0.0` of `10.40.0.0/16`). */
    address: string;
    prefix: number;
    /** Node's own matcher for the block. */
    list: BlockList;
}

/** Parses `a.b.c.d/n`; returns undefined for anything else (the schema reports the error). */
export function parseIpv4Block(text: string): Ipv4Block | undefined {
    const match = /^([0-9.]+)\/(\d{1,2})$/.exec(text);
    if (!match || !isIPv4(match[1])) return undefined;
    const prefix = Number(match[2]);
    if (prefix > 32) return undefined;
    const list = new BlockList();
    list.addSubnet(match[1], prefix, "ipv4");
    return { text, address: match[1], prefix, list };
}

function toNumber(address: string): number {
    return address.split(".").reduce((value, octet) => value * 256 + Number(octet), 0);
}

function toAddress(value: number): string {
    return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join(".");
}

/** The two halves of a block (`10.0.0.0/24` → `10.0.0.0/25`, `10.0.0.128/25`). */
export function splitBlock(block: Ipv4Block): [string, string] {
    if (block.prefix >= 32) throw new Error(`${block.text} cannot be split`);
    const start = toNumber(block.address);
    const half = 2 ** (32 - block.prefix - 1);
    return [`${toAddress(start)}/${block.prefix + 1}`, `${toAddress(start + half)}/${block.prefix + 1}`];
}

/** True when the address has no bits set beyond the prefix (10.0.0.0/16, not 10.0.1.0/16). */
export function isNetworkAddress(block: Ipv4Block): boolean {
    return toNumber(block.address) % 2 ** (32 - block.prefix) === 0;
}

/** True when `inner` lies entirely inside `outer`. */
export function blockContains(outer: Ipv4Block, inner: Ipv4Block): boolean {
    return inner.prefix >= outer.prefix && outer.list.check(inner.address, "ipv4");
}

/** Two aligned blocks overlap exactly when one contains the other. */
export function blocksOverlap(a: Ipv4Block, b: Ipv4Block): boolean {
    return blockContains(a, b) || blockContains(b, a);
}

/** True when the single address lies inside the block. */
export function addressInBlock(address: string, block: Ipv4Block): boolean {
    return isIPv4(address) && block.list.check(address, "ipv4");
}
