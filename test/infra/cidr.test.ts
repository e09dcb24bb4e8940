import * as assert from "node:assert/strict";
import { addressInBlock, blockContains, blocksOverlap, isNetworkAddress, parseIpv4Block, splitBlock } from "../../infra/cidr";

const block = (text: string) => {
    const parsed = parseIpv4Block(text);
    assert.ok(parsed, text);
    return parsed;
};

describe("IPv4 blocks (node:net BlockList)", () => {
    it("parses a.b.c.d/n and refuses anything else", () => {
        for (const bad of ["10.0.0.0/33", "10.0.0/8", "010.0.0.0/8", "10.0.0.0", "10.0.0.0/-1", "::/0", "10.0.0.256/24"]) assert.equal(parseIpv4Block(bad), undefined, bad);
        assert.equal(block("10.40.0.0/16").prefix, 16);
    });

    it("tells a network address from one with host bits set, at every prefix length", () => {
        assert.equal(isNetworkAddress(block("10.40.0.0/16")), true);
        assert.equal(isNetworkAddress(block("10.40.1.0/16")), false);
        assert.equal(isNetworkAddress(block("0.0.0.0/0")), true);
        assert.equal(isNetworkAddress(block("255.255.255.255/32")), true);
        assert.equal(isNetworkAddress(block("10.40.0.128/24")), false);
    });

    it("answers containment, overlap and membership", () => {
        assert.equal(blockContains(block("10.0.0.0/16"), block("10.0.4.0/24")), true);
        assert.equal(blockContains(block("10.0.0.0/24"), block("10.0.0.0/16")), false);
        assert.equal(blockContains(block("10.0.0.0/16"), block("10.1.0.0/24")), false);
        assert.equal(blockContains(block("0.0.0.0/0"), block("192.168.0.0/16")), true);
        assert.equal(blocksOverlap(block("10.0.0.0/24"), block("10.0.0.0/16")), true);
        assert.equal(blocksOverlap(block("10.0.0.0/24"), block("10.0.1.0/24")), false);
        assert.equal(addressInBlock("172.16.0.10", block("172.16.0.0/16")), true);
        assert.equal(addressInBlock("172.17.0.10", block("172.16.0.0/16")), false);
        assert.equal(addressInBlock("172.16.0", block("0.0.0.0/0")), false);
    });

    it("splits a block into its two halves", () => {
        assert.deepEqual(splitBlock(block("10.0.0.0/24")), ["10.0.0.0/25", "10.0.0.128/25"]);
        assert.deepEqual(splitBlock(block("10.60.0.0/26")), ["10.60.0.0/27", "10.60.0.32/27"]);
        assert.throws(() => splitBlock(block("10.0.0.1/32")), /cannot be split/);
    });
});
