import assert from "node:assert/strict";
import {
  helloMessage,
  helloProof,
  newNonce,
  parseHelloAnswer,
  parseHelloRequest,
  targetIsOwn,
  verifyHelloAnswer,
} from "../../lib/security/membership.ts";
import { SwarmError } from "../../lib/protocol/errors.ts";

const request = () => ({ v: 1, node_id: "node-a", nonce: newNonce(), target: "10.0.0.2:7700" });

Deno.test("helloProof() verifies for the same token, request and answerer only", async () => {
  const r = request();
  const proof = await helloProof("mesh-secret", r, "node-b");
  assert.ok(await verifyHelloAnswer("mesh-secret", r, { v: 1, node_id: "node-b", proof }));
  const cases: Array<[string, () => Promise<boolean>]> = [
    ["another token", () => verifyHelloAnswer("other", r, { v: 1, node_id: "node-b", proof })],
    [
      "another answerer id",
      () => verifyHelloAnswer("mesh-secret", r, { v: 1, node_id: "node-c", proof }),
    ],
    [
      "another nonce (a replayed answer)",
      () =>
        verifyHelloAnswer("mesh-secret", { ...r, nonce: newNonce() }, {
          v: 1,
          node_id: "node-b",
          proof,
        }),
    ],
    [
      "another target (a relayed challenge)",
      () =>
        verifyHelloAnswer("mesh-secret", { ...r, target: "10.0.0.9:7700" }, {
          v: 1,
          node_id: "node-b",
          proof,
        }),
    ],
    [
      "another asker",
      () =>
        verifyHelloAnswer("mesh-secret", { ...r, node_id: "node-x" }, {
          v: 1,
          node_id: "node-b",
          proof,
        }),
    ],
    [
      "no proof",
      () => verifyHelloAnswer("mesh-secret", r, { v: 1, node_id: "node-b", proof: null }),
    ],
    [
      "a truncated proof",
      () => verifyHelloAnswer("mesh-secret", r, { v: 1, node_id: "node-b", proof: proof.slice(1) }),
    ],
  ];
  for (const [name, check] of cases) assert.equal(await check(), false, name);
});

Deno.test("helloProof() never contains the token", async () => {
  const token = "a-token-that-must-not-leak";
  const proof = await helloProof(token, request(), "node-b");
  assert.ok(!proof.includes(token));
  assert.match(proof, /^[A-Za-z0-9_-]{43}$/);
});

Deno.test("helloMessage() separates every field by a newline after a versioned label", () => {
  const r = { v: 1, node_id: "a", nonce: "n", target: "t:1" };
  assert.equal(helloMessage(r, "b"), "swarm-mesh-hello/1\na\nb\nn\nt:1");
});

Deno.test("parseHelloRequest() accepts a well-formed request and names the bad field otherwise", () => {
  const good = request();
  assert.deepEqual(parseHelloRequest(good), good);
  const cases: Array<[string, unknown, RegExp]> = [
    ["not an object", [], /JSON object/],
    ["wrong version", { ...good, v: 2 }, /'v' must be 1/],
    ["empty node id", { ...good, node_id: "" }, /'node_id'/],
    ["node id with a newline", { ...good, node_id: "a\nb" }, /'node_id'/],
    ["oversized node id", { ...good, node_id: "x".repeat(129) }, /'node_id'/],
    ["short nonce", { ...good, nonce: "abc" }, /'nonce'/],
    ["nonce with padding", { ...good, nonce: `${"a".repeat(42)}=` }, /'nonce'/],
    ["missing target", { ...good, target: undefined }, /'target'/],
    ["target with a space", { ...good, target: "a b:1" }, /'target'/],
    ["oversized target", { ...good, target: `${"a".repeat(300)}:1` }, /'target'/],
  ];
  for (const [name, input, message] of cases) {
    assert.throws(
      () => parseHelloRequest(input),
      (err: unknown) =>
        err instanceof SwarmError && err.code === "invalid_request" && message.test(err.message),
      name,
    );
  }
});

Deno.test("parseHelloAnswer() refuses malformed answers with bad_peer_response", () => {
  assert.deepEqual(parseHelloAnswer({ v: 1, node_id: "b", proof: null }), {
    v: 1,
    node_id: "b",
    proof: null,
  });
  const cases: Array<[string, unknown, RegExp]> = [
    ["a string", "hello", /JSON object/],
    ["wrong version", { v: 0, node_id: "b", proof: null }, /'v'/],
    ["no node id", { v: 1, proof: null }, /'node_id'/],
    ["numeric proof", { v: 1, node_id: "b", proof: 5 }, /'proof'/],
    ["oversized proof", { v: 1, node_id: "b", proof: "a".repeat(10_000) }, /'proof'/],
  ];
  for (const [name, input, message] of cases) {
    assert.throws(
      () => parseHelloAnswer(input),
      (err: unknown) =>
        err instanceof SwarmError && err.code === "bad_peer_response" && message.test(err.message),
      name,
    );
  }
});

Deno.test("targetIsOwn() accepts only this node's own addresses and port", () => {
  const wildcard = {
    host: "0.0.0.0",
    port: 7700,
    interfaces: () => ["10.0.0.2", "127.0.0.1", "fd00::2"],
  };
  const specific = { host: "10.0.0.2", port: 7700, interfaces: () => [] };
  const loopback = { host: "127.0.0.1", port: 7700, interfaces: () => [] };
  const cases: Array<[string, string, Parameters<typeof targetIsOwn>[1], boolean]> = [
    ["wildcard: an interface address", "10.0.0.2:7700", wildcard, true],
    ["wildcard: IPv6 interface, other spelling", "[FD00:0::2]:7700", wildcard, true],
    ["wildcard: someone else's address (a relay)", "10.0.0.9:7700", wildcard, false],
    ["wildcard: another port", "10.0.0.2:7701", wildcard, false],
    ["specific: the bound address", "10.0.0.2:7700", specific, true],
    ["specific: another interface", "127.0.0.1:7700", specific, false],
    ["a DNS name on the right port", "node-b.lan:7700", specific, true],
    ["a DNS name on another port", "node-b.lan:80", specific, false],
    ["loopback bind: another loopback spelling", "localhost:7700", loopback, true],
    ["loopback bind: 127.0.0.1", "127.0.0.1:7700", loopback, true],
    ["loopback bind: a LAN address", "10.0.0.2:7700", loopback, false],
    ["garbage", "not an address", wildcard, false],
    ["no port", "10.0.0.2", wildcard, false],
  ];
  for (const [name, target, self, want] of cases) {
    assert.equal(targetIsOwn(target, self), want, name);
  }
});
