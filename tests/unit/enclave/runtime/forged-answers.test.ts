/**
 * Answers a host makes up (decision 0079). Every host receives every device request and
 * may answer each once, so the device hears all answers to a handshake or sealed request
 * and takes the one that authenticates: a forged `error`, a junk envelope or a replayed
 * answer from another host does not stand in for the owner's answer, nor names the owner
 * silent; the enclave's own errors still reach the device (after the grace); and an
 * owner's host that answers with junk instead of dropping has its enclave avoided as a
 * silent one.
 */
import { randomBytes } from "node:crypto";
import { VaultClient, type VaultMemory } from "../../../../client/vault";
import { sodiumReady } from "../../../../lib/crypto";
import { VettidError } from "../../../../lib/errors";
import { encodeEnclaveMessage, parseDeviceMessage } from "../../../../lib/vault-protocol/messages";
import { MAX_SESSIONS_PER_DEVICE } from "../../../../vault-enclave/runtime/limits";
import { codeOf, founded, type Harness, type Person, PIN, person, startRuntimes } from "./harness";

const never = () => new Promise<Uint8Array>(() => undefined);
const within = <T>(ms: number, p: Promise<T>) =>
  Promise.race([
    p,
    new Promise<T>((_, reject) => setTimeout(() => reject(new VettidError("TIMEOUT", "no answer")), ms)),
  ]);

/**
 * The answers of every host to one request, in the order they arrive, for `windowMs` or
 * until the device aborts (what `natsGather` does over a fresh inbox).
 */
async function* arriving(answers: Promise<Uint8Array>[], windowMs: number, signal?: AbortSignal) {
  const queue: Uint8Array[] = [];
  let wake: (() => void) | undefined;
  for (const answer of answers) {
    answer.then(
      (m) => {
        queue.push(m);
        wake?.();
      },
      () => undefined,
    );
  }
  const end = Date.now() + windowMs;
  for (;;) {
    const next = queue.shift();
    if (next) {
      yield next;
      continue;
    }
    if (signal?.aborted || Date.now() >= end) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, Math.max(0, end - Date.now()));
      function done() {
        clearTimeout(timer);
        signal?.removeEventListener("abort", done);
        wake = undefined;
        resolve();
      }
      wake = done;
      signal?.addEventListener("abort", done, { once: true });
    });
  }
}

describe("answers a host makes up for a handshake or a sealed request", () => {
  let alice: Person;
  let clock = Date.now();
  const open: Harness[] = [];

  beforeEach(async () => {
    await sodiumReady();
    alice = await person("dev-alice");
    clock = Date.now();
  });
  afterEach(async () => {
    for (const h of open.splice(0)) await h.close();
  });

  async function runtimes(n: number): Promise<Harness[]> {
    const out = await startRuntimes(n, [alice.vaultId], () => clock);
    open.push(...out);
    return out;
  }

  const honest = (r: Harness, data: Uint8Array) => r.deliver(alice.vaultId, alice.deviceId, data);
  const forgedError = (code = "UNAVAILABLE") =>
    Promise.resolve(encodeEnclaveMessage({ t: "error", code: code as "UNAVAILABLE", message: "forged" }));

  /**
   * Alice's device reaching every host through `via`: the transport takes the first
   * answer, the gather hears every one as it arrives.
   */
  function device(
    all: Harness[],
    via: (r: Harness, data: Uint8Array) => Promise<Uint8Array>,
    memory: { current: VaultMemory },
    options: { timeoutMs?: number; errorGraceMs?: number; now?: () => number } = {},
  ): VaultClient {
    const h = all[0] as Harness;
    return new VaultClient({
      vaultId: alice.vaultId,
      deviceId: alice.deviceId,
      deviceKey: alice.exchange,
      transport: (data, timeoutMs) => within(timeoutMs, Promise.any(all.map((r) => via(r, data)))),
      gather: (data, windowMs, signal) =>
        arriving(
          all.map((r) => via(r, data)),
          windowMs,
          signal,
        ),
      gatherWindowMs: 200,
      timeoutMs: options.timeoutMs ?? 2_000,
      ...(options.errorGraceMs !== undefined ? { errorGraceMs: options.errorGraceMs } : {}),
      ...(options.now ? { now: options.now } : {}),
      attestation: { trustedRoots: [h.nsm.rootCertificatePem], manifest: h.manifest, time: new Date(clock) },
      memory: memory.current,
      founding: { signingKey: alice.signing.publicKey, vaultSalt: alice.vaultSalt },
      remember: (known) => {
        memory.current = known;
      },
    });
  }

  it("keeps serving the device from its owner when another host forges an error for every handshake and sealed request", async () => {
    // Prepare: a owns the vault; b's host relays attestations and answers every
    // handshake and sealed request at once with a forged error, ahead of a's answer
    const [a, b] = (await runtimes(2)) as [Harness, Harness];
    const memory = { current: (await founded(a, alice)).known };
    let forged = 0;
    const via = (r: Harness, data: Uint8Array): Promise<Uint8Array> => {
      if (r === a) return honest(r, data);
      if (parseDeviceMessage(data).t === "attest") return honest(r, data);
      forged += 1;
      return forgedError(forged % 2 === 0 ? "UNAUTHENTICATED" : "UNAVAILABLE");
    };
    const phone = device([a, b], via, memory);

    // Act: unlock, store and read an item, then open a second session
    await phone.call("vault.unlock", { op: "vault.unlock", pin: PIN });
    await phone.call("items.put", { op: "items.put", name: "bank", type: "secret", value: new Uint8Array([7]) });
    const got = await phone.call("items.get", { op: "items.get", name: "bank" });
    const again = device([a, b], via, memory);
    const status = await again.call("vault.status", { op: "vault.status" });

    // Assess: every forged error came first and was passed over; a was never named silent
    expect(forged).toBeGreaterThanOrEqual(6);
    expect(Array.from(got.item.value)).toEqual([7]);
    expect(status.initialized).toBe(true);
    expect(memory.current.silent ?? []).toEqual([]);
    expect([a.runtime.leaseCount, b.runtime.leaseCount]).toEqual([1, 0]);
  });

  it("passes over junk and replayed envelopes another host sends ahead of the owner's answers", async () => {
    // Prepare: a owns the vault; b's host answers each handshake with random bytes and
    // each sealed request with the last sealed answer it saw a give (a replay), or a
    // random envelope before there is one
    const [a, b] = (await runtimes(2)) as [Harness, Harness];
    const memory = { current: (await founded(a, alice)).known };
    let lastSealed: Uint8Array | undefined;
    let replayed = 0;
    const via = async (r: Harness, data: Uint8Array): Promise<Uint8Array> => {
      const kind = parseDeviceMessage(data).t;
      if (r === a) {
        const answer = await honest(r, data);
        if (kind === "sealed") lastSealed = answer;
        return answer;
      }
      if (kind === "attest") return honest(r, data);
      if (kind === "handshake") {
        return encodeEnclaveMessage({ t: "handshake", message: new Uint8Array(randomBytes(1200)) });
      }
      if (lastSealed) replayed += 1;
      return lastSealed ?? encodeEnclaveMessage({ t: "sealed", envelope: new Uint8Array(randomBytes(120)) });
    };
    const phone = device([a, b], via, memory);

    // Act
    await phone.call("vault.unlock", { op: "vault.unlock", pin: PIN });
    await phone.call("items.put", { op: "items.put", name: "a", type: "note", value: new Uint8Array([1]) });
    await phone.call("items.put", { op: "items.put", name: "b", type: "note", value: new Uint8Array([2]) });
    const listed = await phone.call("items.list", { op: "items.list" });

    // Assess
    expect(replayed).toBeGreaterThanOrEqual(3);
    expect(listed.items.map((i) => i.name).sort()).toEqual(["a", "b"]);
    expect(memory.current.silent ?? []).toEqual([]);
    expect(b.runtime.leaseCount).toBe(0);
  });

  it("still hands the device its enclave's own error, once the grace has passed without an answer that authenticates", async () => {
    // Prepare: one honest host; the device's first session is pushed out by its own
    // later sessions, so the enclave answers its next request with a plain UNAUTHENTICATED
    const [a] = (await runtimes(1)) as [Harness];
    const via = (r: Harness, data: Uint8Array) => honest(r, data);
    const memory = { current: (await founded(a, alice)).known };
    const phone = device([a], via, memory, { errorGraceMs: 300 });
    await phone.call("vault.status", { op: "vault.status" });
    for (let i = 0; i < MAX_SESSIONS_PER_DEVICE; i += 1) {
      await device([a], via, memory).call("vault.status", { op: "vault.status" });
    }

    // Act
    const started = performance.now();
    const refused = await codeOf(phone.call("vault.status", { op: "vault.status" }));
    const waited = performance.now() - started;
    const after = await codeOf(phone.call("vault.status", { op: "vault.status" }));

    // Assess: the refusal came after the grace, and the device opened a new session
    expect(refused).toBe("UNAUTHENTICATED");
    expect(waited).toBeGreaterThanOrEqual(290);
    expect(after).toBe("OK");
    expect(memory.current.silent ?? []).toEqual([]);
  });

  it("avoids an owner whose host answers with junk instead of its enclave's answers, and takes the vault over elsewhere", async () => {
    // Prepare: a owns the vault; then its host relays attestations but answers every
    // sealed request with a junk envelope of its own (the enclave's answer dropped)
    const [a, b] = (await runtimes(2)) as [Harness, Harness];
    let hostile = false;
    const via = async (r: Harness, data: Uint8Array): Promise<Uint8Array> => {
      if (r !== a || !hostile) return honest(r, data);
      const kind = parseDeviceMessage(data).t;
      if (kind === "attest") return honest(r, data);
      void honest(r, data);
      if (kind === "sealed") return encodeEnclaveMessage({ t: "sealed", envelope: new Uint8Array(randomBytes(120)) });
      return never();
    };
    const memory = { current: (await founded(a, alice)).known };
    const phone = device([a, b], via, memory, { timeoutMs: 400 });
    await phone.call("vault.unlock", { op: "vault.unlock", pin: PIN });
    await phone.call("items.put", { op: "items.put", name: "bank", type: "secret", value: new Uint8Array([9]) });
    hostile = true;

    // Act
    const first = await codeOf(phone.call("vault.status", { op: "vault.status" }));
    await phone.call("vault.unlock", { op: "vault.unlock", pin: PIN });
    const got = await phone.call("items.get", { op: "items.get", name: "bank" });

    // Assess: junk counts as silence; b took the vault over with the acknowledged write
    expect(first).toBe("TIMEOUT");
    expect(memory.current.silent).toHaveLength(1);
    expect(Array.from(got.item.value)).toEqual([9]);
    expect([a.runtime.leaseCount, b.runtime.leaseCount]).toEqual([0, 1]);
  });

  it("takes the vault from an owner whose host forges an error in place of each of its enclave's answers", async () => {
    // Prepare: a owns the vault and holds an acknowledged write; then its host passes
    // attestations on but answers every handshake and sealed request with an error of
    // its own making (its enclave's answers dropped), so that the device never times out
    const [a, b] = (await runtimes(2)) as [Harness, Harness];
    const memory = { current: (await founded(a, alice)).known };
    let hostile = false;
    const via = (r: Harness, data: Uint8Array): Promise<Uint8Array> => {
      if (r !== a || !hostile) return honest(r, data);
      if (parseDeviceMessage(data).t === "attest") return honest(r, data);
      void honest(r, data);
      return forgedError("OVERLOADED");
    };
    const phone = device([a, b], via, memory, { errorGraceMs: 50 });
    await phone.call("vault.unlock", { op: "vault.unlock", pin: PIN });
    await phone.call("items.put", { op: "items.put", name: "bank", type: "secret", value: new Uint8Array([5]) });
    hostile = true;

    // Act: the device's next commands
    const codes: string[] = [];
    for (let i = 0; i < 3; i += 1) codes.push(await codeOf(phone.call("vault.status", { op: "vault.status" })));
    await phone.call("vault.unlock", { op: "vault.unlock", pin: PIN });
    const got = await phone.call("items.get", { op: "items.get", name: "bank" });

    // Assess: the forged sealed error ends the session; the new session's handshake gets
    // no refusal the enclave made (those are in message 2), so a counts as silent, and b
    // takes the vault over with the acknowledged write
    expect(codes).toEqual(["OVERLOADED", "TIMEOUT", "OK"]);
    expect(memory.current.silent).toHaveLength(1);
    expect(Array.from(got.item.value)).toEqual([5]);
    expect([a.runtime.leaseCount, b.runtime.leaseCount]).toEqual([0, 1]);
  });

  it("has a refusal the enclave makes reach the device authenticated, in message 2, at once", async () => {
    // Prepare: bob's device keys ask for alice's vault, which does not admit them; a
    // second host forges an error ahead of the enclave's answer
    const [a, b] = (await runtimes(2)) as [Harness, Harness];
    await founded(a, alice);
    const bob = await person("dev-bob");
    const stranger = new VaultClient({
      vaultId: alice.vaultId,
      deviceId: bob.deviceId,
      deviceKey: bob.exchange,
      transport: (data) => a.deliver(alice.vaultId, bob.deviceId, data),
      gather: (data, windowMs, signal) =>
        arriving([a.deliver(alice.vaultId, bob.deviceId, data), forgedError("OVERLOADED")], windowMs, signal),
      // a device that waited out the grace would outlast the test's own timeout
      timeoutMs: 120_000,
      errorGraceMs: 60_000,
      attestation: { trustedRoots: [a.nsm.rootCertificatePem], manifest: a.manifest, time: new Date(clock) },
      memory: { stateVersion: 0 },
    });

    const sessions = a.runtime.sessionCount;

    // Act
    const code = await codeOf(stranger.call("vault.status", { op: "vault.status" }));

    // Assess: the enclave's FORBIDDEN, not the forged error, without waiting out the grace
    expect(code).toBe("FORBIDDEN");
    expect(a.runtime.sessionCount).toBe(sessions);
    expect(b.runtime.leaseCount).toBe(0);
  });

  it("keeps the vault at an honest owner whose handshake answer comes after the grace, while another host forges errors", async () => {
    // Prepare: a owns the vault and answers handshakes slowly (its vault busy); b's host
    // answers every handshake and sealed request at once with a forged error
    const [a, b] = (await runtimes(2)) as [Harness, Harness];
    const memory = { current: (await founded(a, alice)).known };
    const via = async (r: Harness, data: Uint8Array): Promise<Uint8Array> => {
      const kind = parseDeviceMessage(data).t;
      if (r === b) return kind === "attest" ? honest(r, data) : forgedError("UNAVAILABLE");
      const answer = await honest(r, data);
      if (kind === "handshake") await new Promise((go) => setTimeout(go, 300));
      return answer;
    };
    const phone = device([a, b], via, memory, { errorGraceMs: 50 });

    // Act
    const status = await codeOf(phone.call("vault.status", { op: "vault.status" }));

    // Assess: a plain error to a handshake waits for the slow owner; nobody is named silent
    expect(status).toBe("OK");
    expect(memory.current.silent ?? []).toEqual([]);
    expect([a.runtime.leaseCount, b.runtime.leaseCount]).toEqual([1, 0]);
  });

  it("keeps the vault at an honest owner whose state another host spoiled in the store all hosts share", async () => {
    // Prepare: a owns the vault; b's host, which may write the shared state bucket as
    // every host may, overwrites the vault's objects with junk
    const [a, b] = (await runtimes(2)) as [Harness, Harness];
    const memory = { current: (await founded(a, alice)).known };
    let deviceClock = Date.now();
    const phone = device([a, b], honest, memory, { now: () => deviceClock });
    await phone.call("vault.unlock", { op: "vault.unlock", pin: PIN });
    await phone.call("items.put", { op: "items.put", name: "bank", type: "secret", value: new Uint8Array([3]) });
    for (const key of a.blobs.objects.keys()) {
      if (key.includes(alice.vaultId))
        a.blobs.objects.set(key, { data: new Uint8Array(randomBytes(64)), version: "junk" });
    }

    // Act: the device's writes over 40 s, each refused by a in an authenticated answer
    const codes: string[] = [];
    for (let i = 0; i < 4; i += 1, deviceClock += 15_000) {
      codes.push(
        await codeOf(phone.call("items.put", { op: "items.put", name: "y", type: "note", value: new Uint8Array([i]) })),
      );
    }

    // Assess: a refusal about the shared store is not a's silence: the vault stays with a,
    // and never moves to the spoiling host's enclave
    expect(codes).not.toContain("OK");
    expect(memory.current.silent ?? []).toEqual([]);
    expect([a.runtime.leaseCount, b.runtime.leaseCount]).toEqual([1, 0]);
  });

  it("opens one session for the calls of a device that find none at the same time", async () => {
    // Prepare: one honest host; count the attestations the device asks for
    const [a] = (await runtimes(1)) as [Harness];
    const memory = { current: (await founded(a, alice)).known };
    let attests = 0;
    const via = (r: Harness, data: Uint8Array) => {
      if (parseDeviceMessage(data).t === "attest") attests += 1;
      return honest(r, data);
    };
    const phone = device([a], via, memory);

    // Act: six calls at once on a client without a session
    const codes = await Promise.all(
      Array.from({ length: 6 }, () => codeOf(phone.call("vault.status", { op: "vault.status" }))),
    );

    // Assess: one attestation and one session served all six; nobody named silent
    expect(codes).toEqual(["OK", "OK", "OK", "OK", "OK", "OK"]);
    expect(attests).toBe(1);
    expect(memory.current.silent ?? []).toEqual([]);
  });

  it("opens its own session for a concurrent call that brings another founding opening", async () => {
    // Prepare: a vault with no state yet, and a client that does not know its opening
    const [a] = (await runtimes(1)) as [Harness];
    const phone = new VaultClient({
      vaultId: alice.vaultId,
      deviceId: alice.deviceId,
      deviceKey: alice.exchange,
      transport: (data) => honest(a, data),
      attestation: { trustedRoots: [a.nsm.rootCertificatePem], manifest: a.manifest, time: new Date(clock) },
      memory: { stateVersion: 0 },
    });

    // Act: a status (no opening) and the init (with it) at once
    const [status, init] = await Promise.all([
      codeOf(phone.call("vault.status", { op: "vault.status" })),
      codeOf(
        phone.call("vault.init", {
          op: "vault.init",
          pin: PIN,
          signingKey: alice.signing.publicKey,
          vaultSalt: alice.vaultSalt,
        }),
      ),
    ]);

    // Assess: the init did not ride on the status's session, which the vault refuses
    // while it has no state (a status hand-shaking after the init's write is admitted)
    expect(init).toBe("OK");
    expect(["FORBIDDEN", "OK"]).toContain(status);
  });

  it("stops listening once an answer authenticates", async () => {
    // Prepare: one honest host; the gather records whether the device aborted it
    const [a] = (await runtimes(1)) as [Harness];
    const aborted: boolean[] = [];
    const phone = new VaultClient({
      vaultId: alice.vaultId,
      deviceId: alice.deviceId,
      deviceKey: alice.exchange,
      transport: (data) => honest(a, data),
      gather: (data, windowMs, signal) => {
        signal?.addEventListener("abort", () => aborted.push(true));
        return arriving([honest(a, data)], windowMs, signal);
      },
      timeoutMs: 60_000,
      attestation: { trustedRoots: [a.nsm.rootCertificatePem], manifest: a.manifest, time: new Date(clock) },
      memory: { stateVersion: 0 },
      founding: { signingKey: alice.signing.publicKey, vaultSalt: alice.vaultSalt },
    });

    // Act: a handshake and one sealed request, each gathered for up to a minute (the
    // attestation is a plain request)
    const status = await phone.call("vault.status", { op: "vault.status" });

    // Assess
    expect(status.initialized).toBe(false);
    expect(aborted).toEqual([true, true]);
  });
});
