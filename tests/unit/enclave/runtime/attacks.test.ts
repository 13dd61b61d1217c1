/**
 * Attacks on the vault runtime by the host (which carries, holds, reorders and forges
 * NATS messages and answers the blob store), by a thief holding a device but not its
 * PIN, and by an enrolled device flooding its own vault. Each test makes the attack
 * and checks that it fails.
 */
import type { VaultClient } from "../../../../client/vault";
import { encodeRevocationStatement, parseRevocationStatement } from "../../../../lib/pairing";
import { RESERVED_STATEMENT_PREFIX } from "../../../../lib/vault-protocol";
import { parseDeviceMessage, parseEnclaveMessage } from "../../../../lib/vault-protocol/messages";
import {
  ISSUED_DOCUMENT_TTL_MS,
  MAX_IN_FLIGHT_PER_DEVICE,
  UNLOCK_IDLE_MS,
} from "../../../../vault-enclave/runtime/limits";
import { bytes, codeOf, founded, type Harness, type Person, PIN, person, startHarness } from "./harness";

describe("vault runtime under attack (in-memory host)", () => {
  let h: Harness;
  let alice: Person;
  let clock = Date.now();

  beforeEach(async () => {
    alice = await person("dev-alice");
    clock = Date.now();
    h = await startHarness([alice.vaultId], { now: () => clock });
  });
  afterEach(async () => {
    await h.close();
  });

  async function initialized(): Promise<VaultClient> {
    return founded(h, alice);
  }

  it("refuses a request the host holds back and delivers after a later one of the same session", async () => {
    const device = await initialized();
    // Prepare: the host keeps the first sealed request and lets the second through first.
    let holdNext = false;
    let held: (() => void) | undefined;
    const reordering = h.client(alice, {
      memory: device.known,
      intercept: (data, deliver) => {
        if (!holdNext) return deliver(data);
        holdNext = false;
        return new Promise((resolve) => {
          held = () => void deliver(data).then(resolve);
        });
      },
    });
    await reordering.call("vault.unlock", { op: "vault.unlock", pin: PIN });
    holdNext = true;
    // Act: "set to old" is sent first, "set to new" second; the host swaps their order.
    const first = reordering.call("items.put", { op: "items.put", name: "bank", type: "secret", value: bytes("old") });
    const second = reordering.call("items.put", { op: "items.put", name: "bank", type: "secret", value: bytes("new") });
    expect(await codeOf(second)).toBe("OK");
    held?.();
    // Assess: the late first request is refused, so the vault holds what the device sent last.
    expect(await codeOf(first)).toBe("ENVELOPE_REPLAYED");
    // a refusal nothing authenticates ends the device's session (decision 0079): it opens
    // a new one, and unlocks again, to read
    expect(reordering.channelBinding).toBeUndefined();
    await reordering.call("vault.unlock", { op: "vault.unlock", pin: PIN });
    const { item } = await reordering.call("items.get", { op: "items.get", name: "bank" });
    expect(Buffer.from(item.value).toString()).toBe("new");
  });

  it("opens no second session from a replayed handshake: one handshake per attestation", async () => {
    const device = await initialized();
    // Prepare: the host keeps a copy of the device's next handshake message.
    let handshake: Uint8Array | undefined;
    const recorded = h.client(alice, {
      memory: device.known,
      intercept: (data, deliver) => {
        if (parseDeviceMessage(data).t === "handshake") handshake = new Uint8Array(data);
        return deliver(data);
      },
    });
    await recorded.call("vault.unlock", { op: "vault.unlock", pin: PIN });
    expect(handshake).toBeDefined();
    // Act: the host hands the enclave the same handshake again.
    const replayed = parseEnclaveMessage(await h.deliver(alice.vaultId, alice.deviceId, handshake as Uint8Array));
    // Assess: refused (its attestation is spent), and the device's own session goes on.
    expect(replayed).toMatchObject({ t: "error", code: "HANDSHAKE_FAILED" });
    expect(await codeOf(recorded.call("vault.status", { op: "vault.status" }))).toBe("OK");
  });

  it("opens no session from a handshake the host held back longer than a document lives", async () => {
    const device = await initialized();
    // Prepare: the host keeps the device's next handshake and answers nothing.
    let handshake: Uint8Array | undefined;
    const held = h.client(alice, {
      memory: device.known,
      intercept: (data, deliver) => {
        if (parseDeviceMessage(data).t !== "handshake") return deliver(data);
        handshake = new Uint8Array(data);
        return Promise.reject(new Error("dropped"));
      },
    });
    await codeOf(held.call("vault.status", { op: "vault.status" }));
    expect(handshake).toBeDefined();
    // Act: it hands the enclave the handshake after the document's lifetime.
    clock += ISSUED_DOCUMENT_TTL_MS + 1;
    const late = parseEnclaveMessage(await h.deliver(alice.vaultId, alice.deviceId, handshake as Uint8Array));
    // Assess: refused, as a handshake naming no document of this enclave.
    expect(late).toMatchObject({ t: "error", code: "HANDSHAKE_FAILED" });
  });

  it("signs no challenge that reads as one of the vault's own statements, so identity.sign forges no revocation", async () => {
    const device = await initialized();
    await device.call("vault.unlock", { op: "vault.unlock", pin: PIN });
    // Prepare: a relying party hands the device a "challenge" that is a revocation
    // statement for the person's other device (no PIN, no removal in the vault).
    const forged = encodeRevocationStatement({ vaultId: alice.vaultId, deviceId: "dev-tablet", revokedAt: clock });
    const reserved = new TextEncoder().encode(`${RESERVED_STATEMENT_PREFIX}ANYTHING-1\nmore`);
    // Act
    const tries = [
      await codeOf(device.call("identity.sign", { op: "identity.sign", challenge: forged })),
      await codeOf(device.call("identity.sign", { op: "identity.sign", challenge: reserved })),
    ];
    // Assess: refused; a relying party's own label still signs
    expect(tries).toEqual(["VALIDATION_FAILED", "VALIDATION_FAILED"]);
    const own = await device.call("identity.sign", { op: "identity.sign", challenge: bytes("example.org login 42") });
    expect(own.signature).toHaveLength(64);
  });

  it("forges no revocation with identity.sign of a byte-order mark and a statement, which a UTF-8 decoder would drop", async () => {
    const device = await initialized();
    await device.call("vault.unlock", { op: "vault.unlock", pin: PIN });
    // Prepare: the statement's bytes behind EF BB BF, so the challenge does not begin with VETTID-
    const forged = encodeRevocationStatement({ vaultId: alice.vaultId, deviceId: "dev-tablet", revokedAt: clock });
    const challenge = new Uint8Array([0xef, 0xbb, 0xbf, ...forged]);
    // Act: identity.sign signs it (the challenge does not begin with VETTID-); does it read as a statement?
    const signed = await device.call("identity.sign", { op: "identity.sign", challenge });
    const read = await codeOf(Promise.resolve().then(() => parseRevocationStatement(challenge)));
    // Assess: the signature exists, but no verifier takes the bytes for a statement
    expect(signed.signature).toHaveLength(64);
    expect(read).toBe("VALIDATION_FAILED");
  });

  it("refuses at once what a device sends beyond its in-flight limit, instead of queueing it in memory", async () => {
    const device = await initialized();
    // Prepare: the host holds every blob write, so the vault's first write never finishes.
    h.blobs.hold();
    const sent = MAX_IN_FLIGHT_PER_DEVICE + 20;
    const settled: string[] = [];
    const calls = Array.from({ length: sent }, (_, i) =>
      codeOf(
        device.call("items.put", { op: "items.put", name: `n${i}`, type: "note", value: new Uint8Array(60_000) }),
      ).then((code) => {
        settled.push(code);
        return code;
      }),
    );
    // Act: let every message reach the runtime and be answered if it is answered at once.
    for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
    // Assess: no more than the limit wait; the rest were refused without running.
    expect(settled.length).toBe(sent - MAX_IN_FLIGHT_PER_DEVICE);
    expect(new Set(settled)).toEqual(new Set(["RATE_LIMITED"]));
    h.blobs.release();
    const codes = await Promise.all(calls);
    expect(codes.filter((c) => c === "OK")).toHaveLength(MAX_IN_FLIGHT_PER_DEVICE);
    const { items } = await device.call("items.list", { op: "items.list" });
    expect(items).toHaveLength(MAX_IN_FLIGHT_PER_DEVICE);
  });

  it("counts a thief's parallel unlocks in many sessions one by one, and the back-off stops the fourth", async () => {
    const owner = await initialized();
    await owner.call("vault.lock", { op: "vault.lock" });
    // Prepare: the thief opens four sessions with the stolen device.
    const thieves = Array.from({ length: 4 }, () => h.client(alice, { memory: owner.known }));
    for (const thief of thieves) await thief.connect();
    // Act: two wrong guesses per session, all at once.
    const guesses = thieves.flatMap((thief, i) =>
      [0, 1].map((j) => codeOf(thief.call("vault.unlock", { op: "vault.unlock", pin: `00000${i}${j}` }))),
    );
    const codes = await Promise.all(guesses);
    // Assess: two free failures and the third, then back-off; nothing opened.
    expect(codes.filter((c) => c === "PIN_INCORRECT")).toHaveLength(3);
    expect(codes.filter((c) => c === "PIN_LOCKED_OUT")).toHaveLength(5);
    expect(await codeOf(thieves[0]?.call("vault.unlock", { op: "vault.unlock", pin: PIN }) as Promise<unknown>)).toBe(
      "PIN_LOCKED_OUT",
    );
  });

  it("lets an unlock lapse after its idle time and wipes the opened layer when the last session locks", async () => {
    const device = await initialized();
    await device.call("items.put", { op: "items.put", name: "bank", type: "secret", value: bytes("canary") });
    // Act: idle past the unlock's limit.
    clock += UNLOCK_IDLE_MS + 1;
    // Assess
    expect(await codeOf(device.call("items.get", { op: "items.get", name: "bank" }))).toBe("VAULT_LOCKED");
    await device.call("vault.unlock", { op: "vault.unlock", pin: PIN });
    await device.call("vault.lock", { op: "vault.lock" });
    const slot = (h.runtime as unknown as { slots: Map<string, { loaded?: { inner?: unknown; pinKey?: unknown } }> })
      .slots;
    expect(slot.get(alice.vaultId)?.loaded?.inner).toBeUndefined();
    expect(slot.get(alice.vaultId)?.loaded?.pinKey).toBeUndefined();
  });
});

describe("vault runtime: a crowd of flooding devices", () => {
  it("refuses OVERLOADED beyond the runtime's in-flight byte budget, each device within its own limit", async () => {
    const people = await Promise.all(["dev-1", "dev-2", "dev-3"].map((id) => person(id)));
    // A budget of about ten 60 kB puts for the whole runtime, so three devices of up to 8 each exceed it.
    const h = await startHarness(
      people.map((p) => p.vaultId),
      { maxInFlightBytes: 10 * 66_000 },
    );
    try {
      const devices = [];
      for (const p of people) {
        const device = await founded(h, p);
        devices.push(device);
      }
      h.blobs.hold();
      const settled: string[] = [];
      const calls = devices.flatMap((device, d) =>
        Array.from({ length: MAX_IN_FLIGHT_PER_DEVICE }, (_, i) =>
          codeOf(
            device.call("items.put", {
              op: "items.put",
              name: `n${d}-${i}`,
              type: "note",
              value: new Uint8Array(60_000),
            }),
          ).then((code) => {
            settled.push(code);
            return code;
          }),
        ),
      );
      for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
      // Those refused at once are refused for the runtime's budget, not a device's limit.
      expect(settled.length).toBeGreaterThan(0);
      expect(new Set(settled)).toEqual(new Set(["OVERLOADED"]));
      h.blobs.release();
      const codes = await Promise.all(calls);
      expect(codes.filter((c) => c === "OK").length).toBeLessThanOrEqual(10);
      expect(codes.filter((c) => c === "OK").length).toBeGreaterThan(0);
      // Once the crowd has gone, a device is served again.
      const { version } = await (devices[0] as VaultClient).call("items.put", {
        op: "items.put",
        name: "after",
        type: "note",
        value: new Uint8Array(10),
      });
      expect(version).toBe(1);
    } finally {
      await h.close();
    }
  });
});
