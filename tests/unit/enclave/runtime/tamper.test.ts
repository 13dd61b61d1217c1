/**
 * Messages the host tampers with on their way between two people's devices and the
 * runtime (in-memory host, tests/unit/enclave/runtime/harness.ts): answers swapped
 * between requests and between people, a request delivered on another vault's
 * subject, two people's journeys interleaved. Each is refused and changes nothing a
 * device relies on.
 */
import type { VaultClient } from "../../../../client/vault";
import { bytes, codeOf, type Harness, type Person, PIN, person, startHarness } from "./harness";

const textOf = (value: Uint8Array) => Buffer.from(value).toString();

/** An intercept that holds requests until `count` arrived, delivers them all, and hands back the answers rotated by one. */
function rotatingAnswers(count: number) {
  const waiting: {
    data: Uint8Array;
    deliver: (d: Uint8Array) => Promise<Uint8Array>;
    resolve: (a: Uint8Array) => void;
  }[] = [];
  let armed = false;
  return {
    arm: () => {
      armed = true;
    },
    intercept: (data: Uint8Array, deliver: (d: Uint8Array) => Promise<Uint8Array>) => {
      if (!armed) return deliver(data);
      return new Promise<Uint8Array>((resolve) => {
        waiting.push({ data, deliver, resolve });
        if (waiting.length < count) return;
        armed = false;
        const batch = waiting.splice(0);
        void Promise.all(batch.map((w) => w.deliver(w.data))).then((answers) => {
          batch.forEach((w, i) => {
            w.resolve(answers[(i + 1) % answers.length] as Uint8Array);
          });
        });
      });
    },
  };
}

describe("vault runtime: messages the host tampers with", () => {
  let h: Harness;
  let alice: Person;
  let bob: Person;

  beforeEach(async () => {
    alice = await person("dev-alice");
    bob = await person("dev-bob");
    h = await startHarness([alice.vaultId, bob.vaultId]);
  });
  afterEach(async () => {
    await h.close();
  });

  async function initialized(who: Person, device: VaultClient = h.client(who)): Promise<VaultClient> {
    await device.call("vault.init", {
      op: "vault.init",
      pin: PIN,
      signingKey: who.signing.publicKey,
      vaultSalt: who.vaultSalt,
    });
    return device;
  }

  it("runs two people's journeys at once, each seeing only its own vault", async () => {
    const journey = async (who: Person, secret: string) => {
      const device = await initialized(who);
      await device.call("items.put", { op: "items.put", name: "bank", type: "login", value: bytes(secret) });
      await device.call("vault.lock", { op: "vault.lock" });
      expect(await codeOf(device.call("vault.unlock", { op: "vault.unlock", pin: "000000" }))).toBe("PIN_INCORRECT");
      await device.call("vault.unlock", { op: "vault.unlock", pin: PIN });
      const { item } = await device.call("items.get", { op: "items.get", name: "bank" });
      const { items } = await device.call("items.list", { op: "items.list" });
      return { value: textOf(item.value), names: items.map((i) => i.name) };
    };
    const [a, b] = await Promise.all([journey(alice, "alice-secret"), journey(bob, "bob-secret")]);
    expect(a).toEqual({ value: "alice-secret", names: ["bank"] });
    expect(b).toEqual({ value: "bob-secret", names: ["bank"] });
    // Bob's device, on Alice's vault subject, gets no session at all: no status, no items.
    const intruder = h.client(alice, { as: bob });
    expect(await codeOf(intruder.call("vault.status", { op: "vault.status" }))).toBe("FORBIDDEN");
  });

  it("refuses answers the host swaps between two requests of one session, and the device keeps its state version", async () => {
    const device = await initialized(alice);
    const rotation = rotatingAnswers(2);
    const swapped = h.client(alice, { memory: device.known, intercept: rotation.intercept });
    await swapped.call("vault.unlock", { op: "vault.unlock", pin: PIN });
    const before = swapped.known.stateVersion;
    rotation.arm();
    const codes = await Promise.all([
      codeOf(swapped.call("items.put", { op: "items.put", name: "a", type: "note", value: bytes("1") })),
      codeOf(swapped.call("items.get", { op: "items.get", name: "a" })),
    ]);
    expect(codes).toEqual(["ENVELOPE_WRONG_REQUEST", "ENVELOPE_WRONG_REQUEST"]);
    expect(swapped.known.stateVersion).toBe(before);
  });

  it("refuses an answer meant for another person's device", async () => {
    const aliceDevice = await initialized(alice);
    const bobDevice = await initialized(bob);
    // The host answers Bob's get with the answer to Alice's get (both genuine, sealed by the enclave).
    let aliceAnswer: Uint8Array | undefined;
    const aliceSpy = h.client(alice, {
      memory: aliceDevice.known,
      intercept: async (data, deliver) => {
        aliceAnswer = await deliver(data);
        return aliceAnswer;
      },
    });
    await aliceSpy.call("vault.unlock", { op: "vault.unlock", pin: PIN });
    await aliceSpy.call("items.put", { op: "items.put", name: "bank", type: "login", value: bytes("alice-only") });
    await aliceSpy.call("items.get", { op: "items.get", name: "bank" });
    const fooled = h.client(bob, {
      memory: bobDevice.known,
      intercept: async (data, deliver) => {
        const genuine = await deliver(data);
        return fooling ? (aliceAnswer as Uint8Array) : genuine;
      },
    });
    let fooling = false;
    await fooled.call("vault.unlock", { op: "vault.unlock", pin: PIN });
    await fooled.call("items.put", { op: "items.put", name: "bank", type: "login", value: bytes("bob-only") });
    // Bob's get has the counter Alice's had: only the keys and the bound ids differ.
    fooling = true;
    const code = await codeOf(fooled.call("items.get", { op: "items.get", name: "bank" }));
    expect(code).toBe("ENVELOPE_AUTH_FAILED");
    fooling = false;
    const { item } = await fooled.call("items.get", { op: "items.get", name: "bank" });
    expect(textOf(item.value)).toBe("bob-only");
  });

  it("refuses a sealed request delivered on another vault's subject, and neither vault changes", async () => {
    const aliceDevice = await initialized(alice);
    await initialized(bob);
    let captured: Uint8Array | undefined;
    const capturing = h.client(alice, {
      memory: aliceDevice.known,
      intercept: (data, deliver) => {
        captured = data;
        return deliver(data);
      },
    });
    await capturing.call("vault.unlock", { op: "vault.unlock", pin: PIN });
    await capturing.call("items.delete", { op: "items.delete", name: "none" }).catch(() => undefined);
    const objects = () => new Map([...h.blobs.objects].map(([key, o]) => [key, o.version]));
    const before = objects();
    // Act: the host replays Alice's sealed request on Bob's vault subject, under either device id.
    const answers = await Promise.all([
      h.deliver(bob.vaultId, alice.deviceId, captured as Uint8Array),
      h.deliver(bob.vaultId, bob.deviceId, captured as Uint8Array),
    ]);
    // Assess: clear errors only (no sealed answer), no blob written.
    for (const answer of answers) {
      const text = Buffer.from(answer).toString("latin1");
      expect(text).toContain("UNAUTHENTICATED");
    }
    expect(objects()).toEqual(before);
  });
});
