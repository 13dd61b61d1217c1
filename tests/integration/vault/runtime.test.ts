/**
 * The vault runtime end to end over a real nats-server, the vsock proxy (in process),
 * the KMS stand-in over TLS and the S3 stand-in, with the simulated NSM: two people's
 * vaults served by one runtime, each device talking through lib/vault-protocol as an
 * app does (client/vault).
 */
import { createPublicKey, verify as verifySignature } from "node:crypto";
import type { NatsConnection } from "@nats-io/transport-node";
import { VaultClient, type VaultMemory } from "../../../client/vault";
import { vaultRequestSubject } from "../../../lib/subjects";
import { encodeDeviceMessage, parseEnclaveMessage } from "../../../lib/vault-protocol";
import { recordingTransport } from "../../../local/recording-transport";
import type { RuntimePorts } from "../../../vault-enclave/runtime/ports";
import { VaultRuntime } from "../../../vault-enclave/runtime/vault-runtime";
import { type Person, PIN, person, TEST_ARGON2 } from "../../unit/enclave/runtime/harness";
import { type ProxyTopology, startProxyTopology } from "../proxy/topology";

/** Small Argon2id cost for tests only (the production default is 64 MiB, t=3). */
describe("vault runtime (real NATS, proxy, KMS over TLS, S3 stand-in, simulated NSM)", () => {
  const seen: Buffer[] = [];
  let t: ProxyTopology;
  let alice: Person;
  let bob: Person;
  let carol: Person;
  let dave: Person;
  /** Two more people whose journeys run at the same time. */
  let erin: Person;
  let frank: Person;
  let runtime: VaultRuntime;
  const connections: NatsConnection[] = [];
  const logs: string[] = [];
  /** Every message on the NATS server, as a subscriber to `>` sees it. */
  const wire: Buffer[] = [];

  function ports(): RuntimePorts {
    return {
      nsm: t.nsm,
      kms: t.sealingKms(),
      blobs: t.client.blob,
      nats: t.client.nats,
      log: (level, message, fields) => logs.push(JSON.stringify({ level, message, fields })),
      now: Date.now,
    };
  }

  async function client(who: Person, options: { as?: Person; memory?: VaultMemory } = {}): Promise<VaultClient> {
    const keys = options.as ?? who;
    const nc = await t.device(keys.deviceId);
    connections.push(nc);
    return new VaultClient({
      vaultId: who.vaultId,
      deviceId: keys.deviceId,
      deviceKey: keys.exchange,
      transport: async (data, timeout) =>
        (await nc.request(vaultRequestSubject(who.vaultId, keys.deviceId), data, { timeout })).data,
      attestation: { trustedRoots: [t.nsm.rootCertificatePem], manifest: t.manifest },
      memory: options.memory ?? { stateVersion: 0 },
      // as a founding device does: the opening of the vault id with its own signing key
      founding: { signingKey: keys.signing.publicKey, vaultSalt: who.vaultSalt },
    });
  }

  beforeAll(async () => {
    alice = await person("dev-alice");
    bob = await person("dev-bob");
    carol = await person("dev-carol");
    dave = await person("dev-dave");
    erin = await person("dev-erin");
    frank = await person("dev-frank");
    t = await startProxyTopology({
      vaults: [alice.vaultId, bob.vaultId, carol.vaultId, dave.vaultId, erin.vaultId, frank.vaultId],
      wrapEnclaveTransport: (inner) => recordingTransport(inner, seen),
    });
    runtime = new VaultRuntime({ ports: ports(), argon2Params: TEST_ARGON2 });
    await runtime.serve(alice.vaultId);
    await runtime.serve(bob.vaultId);
    await runtime.serve(carol.vaultId);
    await runtime.serve(dave.vaultId);
    await runtime.serve(erin.vaultId);
    await runtime.serve(frank.vaultId);
    const tap = await t.device("tap");
    connections.push(tap);
    tap.subscribe(">", {
      callback: (_err, msg) => {
        wire.push(Buffer.from(msg.data));
      },
    });
  });
  afterAll(async () => {
    await runtime?.close();
    await Promise.all(connections.map((c) => c.close()));
    await t?.stop();
  });

  it("runs a person's journey: init, items, sign, lock, a wrong PIN counted, unlock", async () => {
    // Prepare
    const vault = await client(alice);
    const canary = `CANARY-${Date.now()}-alice`;

    // Act + Assess, step by step as the device sees it
    const status = await vault.call("vault.status", { op: "vault.status" });
    expect(status).toMatchObject({ initialized: false, unlocked: false });
    expect(vault.attestation?.pcrs[0]).toEqual(t.nsm.pcrs[0]);

    const init = await vault.call("vault.init", {
      op: "vault.init",
      pin: PIN,
      signingKey: alice.signing.publicKey,
      vaultSalt: alice.vaultSalt,
    });
    expect(init.stateVersion).toBe(1);
    expect(init.identityKey).toHaveLength(32);

    await vault.call("items.put", { op: "items.put", name: "bank", type: "login", value: Buffer.from(canary) });
    await vault.call("items.put", { op: "items.put", name: "wifi", type: "secret", value: Buffer.from("guest123") });
    const got = await vault.call("items.get", { op: "items.get", name: "bank" });
    expect(Buffer.from(got.item.value).toString()).toBe(canary);
    const list = await vault.call("items.list", { op: "items.list" });
    expect(list.items.map((i) => i.name).sort()).toEqual(["bank", "wifi"]);

    const challenge = Buffer.from("prove you are alice's vault");
    const signed = await vault.call("identity.sign", { op: "identity.sign", challenge });
    const spki = Buffer.concat([Buffer.from("302a300506032b6570032100", "hex"), Buffer.from(signed.identityKey)]);
    expect(
      verifySignature(null, challenge, createPublicKey({ key: spki, format: "der", type: "spki" }), signed.signature),
    ).toBe(true);
    expect(Buffer.from(signed.identityKey)).toEqual(Buffer.from(init.identityKey));

    await vault.call("vault.lock", { op: "vault.lock" });
    await expect(vault.call("items.get", { op: "items.get", name: "bank" })).rejects.toMatchObject({
      code: "VAULT_LOCKED",
    });
    await expect(vault.call("vault.unlock", { op: "vault.unlock", pin: "000000" })).rejects.toMatchObject({
      code: "PIN_INCORRECT",
    });
    const afterWrong = vault.known.stateVersion;
    await vault.call("vault.unlock", { op: "vault.unlock", pin: PIN });
    expect(vault.known.stateVersion).toBeGreaterThan(afterWrong);
    await vault.call("items.delete", { op: "items.delete", name: "wifi" });
    await expect(vault.call("items.get", { op: "items.get", name: "wifi" })).rejects.toMatchObject({
      code: "NOT_FOUND",
    });

    // The canary never crossed NATS or the proxy socket or reached the blob store in clear.
    expect(wire.length).toBeGreaterThan(10);
    expect(Buffer.concat(wire).includes(Buffer.from(canary))).toBe(false);
    expect(Buffer.concat(seen).includes(Buffer.from(canary))).toBe(false);
    const stored = [...t.s3.store.buckets.values()].flatMap((b) => [...b.values()].map((o) => o.data));
    expect(stored.length).toBeGreaterThan(0);
    for (const object of stored) expect(Buffer.from(object).includes(Buffer.from(canary))).toBe(false);
    expect(logs.join("\n")).not.toContain(canary);
  });

  it("runs two people's journeys at the same time, each isolated from the other", async () => {
    const journey = async (who: Person, other: Person) => {
      const vault = await client(who);
      const secret = `CANARY-${Date.now()}-${who.deviceId}`;
      await vault.call("vault.init", {
        op: "vault.init",
        pin: PIN,
        signingKey: who.signing.publicKey,
        vaultSalt: who.vaultSalt,
      });
      await vault.call("items.put", { op: "items.put", name: "bank", type: "login", value: Buffer.from(secret) });
      const challenge = Buffer.from(`challenge for ${who.deviceId}`);
      const signed = await vault.call("identity.sign", { op: "identity.sign", challenge });
      const spki = Buffer.concat([Buffer.from("302a300506032b6570032100", "hex"), Buffer.from(signed.identityKey)]);
      const verified = verifySignature(
        null,
        challenge,
        createPublicKey({ key: spki, format: "der", type: "spki" }),
        signed.signature,
      );
      await vault.call("vault.lock", { op: "vault.lock" });
      await expect(vault.call("vault.unlock", { op: "vault.unlock", pin: "000000" })).rejects.toMatchObject({
        code: "PIN_INCORRECT",
      });
      await vault.call("vault.unlock", { op: "vault.unlock", pin: PIN });
      const got = await vault.call("items.get", { op: "items.get", name: "bank" });
      // The other person's device, on this vault's subject, opens no session at all.
      const intruder = await client(who, { as: other });
      await expect(intruder.call("items.list", { op: "items.list" })).rejects.toMatchObject({ code: "FORBIDDEN" });
      return {
        secret,
        value: Buffer.from(got.item.value).toString(),
        verified,
        identityKey: Buffer.from(signed.identityKey),
      };
    };

    const [d, e] = await Promise.all([journey(frank, erin), journey(erin, frank)]);

    expect(d.value).toBe(d.secret);
    expect(e.value).toBe(e.secret);
    expect([d.verified, e.verified]).toEqual([true, true]);
    expect(d.identityKey.equals(e.identityKey)).toBe(false);
    const frankBlob = [...t.s3.store.buckets.values()]
      .flatMap((b) => [...b.entries()])
      .filter(([k]) => k.includes(frank.vaultId));
    expect(frankBlob.length).toBeGreaterThan(0);
    for (const [, object] of frankBlob) {
      expect(Buffer.from(object.data).includes(Buffer.from(e.secret))).toBe(false);
      expect(Buffer.from(object.data).includes(Buffer.from(d.secret))).toBe(false);
    }
  });

  it("keeps the audit log through the proxy's blob channel: sealed segments in S3, the chain verified on the device", async () => {
    // Prepare + Act: 1 + 2 × 20 entries roll the first 16 over into a segment.
    const vault = await client(dave);
    await vault.call("vault.init", {
      op: "vault.init",
      pin: PIN,
      signingKey: dave.signing.publicKey,
      vaultSalt: dave.vaultSalt,
    });
    await expect(vault.call("vault.unlock", { op: "vault.unlock", pin: "000000" })).rejects.toMatchObject({
      code: "PIN_INCORRECT",
    });
    for (let i = 0; i < 19; i++) await vault.call("vault.unlock", { op: "vault.unlock", pin: PIN });
    const log = await vault.readAudit();

    // Assess
    expect(log.head.seq).toBe(41);
    expect(log.entries.slice(0, 4).map((e) => e.kind)).toEqual([
      "vault.initialized",
      "unlock.attempted",
      "unlock.failed",
      "unlock.attempted",
    ]);
    const objects = [...t.s3.store.buckets.values()].flatMap((b) => [...b.entries()]);
    const segment = objects.find(([key]) => key === `vaults/${dave.vaultId}/audit-1`);
    expect(segment).toBeDefined();
    expect(Buffer.from(segment?.[1].data as Uint8Array).includes(Buffer.from(dave.deviceId))).toBe(false);
  });

  it("keeps a second person's vault apart: another device key is refused, and only the committed key initializes", async () => {
    // Prepare: Bob's device speaks on Alice's vault subject with its own keys (the
    // host or the edge could route it there); an impostor claims Bob's vault.
    const intruder = await client(alice, { as: { ...bob, deviceId: "dev-bob" } });
    const impostor = await person("dev-bob");
    const wrongKey = await client(bob, { as: impostor });

    // Act
    const intrusion = intruder.call("items.list", { op: "items.list" });
    const takeover = wrongKey.call("vault.init", {
      op: "vault.init",
      pin: PIN,
      signingKey: impostor.signing.publicKey,
      vaultSalt: bob.vaultSalt,
    });

    // Assess
    await expect(intrusion).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(takeover).rejects.toMatchObject({ code: "FORBIDDEN" });
    const bobVault = await client(bob);
    await expect(bobVault.call("vault.status", { op: "vault.status" })).resolves.toMatchObject({ initialized: false });
    await bobVault.call("vault.init", {
      op: "vault.init",
      pin: PIN,
      signingKey: bob.signing.publicKey,
      vaultSalt: bob.vaultSalt,
    });
    await expect(bobVault.call("items.get", { op: "items.get", name: "bank" })).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
  });

  it("makes an unlock belong to its session: another session of the same device must unlock again", async () => {
    // Prepare
    const first = await client(alice);
    await first.call("vault.unlock", { op: "vault.unlock", pin: PIN });
    const second = await client(alice);

    // Act
    const read = second.call("items.get", { op: "items.get", name: "bank" });

    // Assess
    await expect(read).rejects.toMatchObject({ code: "VAULT_LOCKED" });
    await expect(first.call("items.list", { op: "items.list" })).resolves.toMatchObject({ items: [{ name: "bank" }] });
  });

  it("is refused by a device that saw a newer state version than the vault presents", async () => {
    // Prepare: the device remembers a version the host's (stale) state cannot reach.
    const vault = await client(alice, { memory: { stateVersion: 1_000_000 } });

    // Act
    const attempt = vault.call("vault.status", { op: "vault.status" });

    // Assess
    await expect(attempt).rejects.toMatchObject({ code: "STALE_STATE" });
  });

  it("counts wrong PINs in the sealed state, so a restarted runtime keeps the back-off", async () => {
    // Prepare
    const vault = await client(bob);
    for (let i = 0; i < 3; i++) {
      await expect(vault.call("vault.unlock", { op: "vault.unlock", pin: "111111" })).rejects.toMatchObject({
        code: "PIN_INCORRECT",
      });
    }

    // Act: a fresh runtime (new process, no memory) serves the same vault.
    await runtime.close();
    runtime = new VaultRuntime({ ports: ports(), argon2Params: TEST_ARGON2 });
    for (const v of [alice, bob, carol]) await runtime.serve(v.vaultId);
    const again = await client(bob);
    const locked = again.call("vault.unlock", { op: "vault.unlock", pin: PIN });

    // Assess: even the right PIN waits out the back-off the three failures earned.
    await expect(locked).rejects.toMatchObject({ code: "PIN_LOCKED_OUT" });
    const error = await again.call("vault.unlock", { op: "vault.unlock", pin: PIN }).catch((err: unknown) => err);
    expect((error as { retryAfterMs?: number }).retryAfterMs).toBeGreaterThan(0);
  });

  it("counts an attempt whose runtime dies between the counter write and the PIN check", async () => {
    // Prepare: Carol's vault, served by a runtime whose next blob write after the
    // trap is stored and acknowledged by the store, and then the runtime stops there
    // (what a kill right after the acknowledgement looks like from outside).
    const vault = await client(carol);
    await vault.call("vault.init", {
      op: "vault.init",
      pin: PIN,
      signingKey: carol.signing.publicKey,
      vaultSalt: carol.vaultSalt,
    });
    await vault.call("vault.lock", { op: "vault.lock" });
    await runtime.close();
    let trapped = false;
    let markStored: () => void = () => undefined;
    const stored = new Promise<void>((resolve) => {
      markStored = resolve;
    });
    const base = ports();
    const dying = new VaultRuntime({
      ports: {
        ...base,
        blobs: {
          get: (key) => base.blobs.get(key),
          put: async (key, data, expected) => {
            const version = await base.blobs.put(key, data, expected);
            if (!trapped) return version;
            markStored();
            return new Promise<string>(() => undefined); // never returns: the process is gone
          },
        },
      },
      argon2Params: TEST_ARGON2,
    });
    await dying.serve(carol.vaultId);
    trapped = true;
    const counted = await client(carol);
    const attempt = counted.call("vault.unlock", { op: "vault.unlock", pin: PIN }).catch(() => undefined);
    await stored; // the counter write reached the store; the runtime never gets further
    await dying.close();
    void attempt;

    // Act: a fresh runtime; two wrong PINs follow the attempt that never completed.
    runtime = new VaultRuntime({ ports: ports(), argon2Params: TEST_ARGON2 });
    for (const v of [alice, bob, carol]) await runtime.serve(v.vaultId);
    const again = await client(carol);
    for (let i = 0; i < 2; i++) {
      await expect(again.call("vault.unlock", { op: "vault.unlock", pin: "222222" })).rejects.toMatchObject({
        code: "PIN_INCORRECT",
      });
    }
    const third = again.call("vault.unlock", { op: "vault.unlock", pin: PIN });

    // Assess: three failures are on record (the uncompleted one counted), so the back-off holds.
    await expect(third).rejects.toMatchObject({ code: "PIN_LOCKED_OUT" });
  });

  it("refuses a replayed or altered sealed request, and the vault does not change", async () => {
    // Prepare: capture one genuine items.put on the wire, as the host could.
    const vault = await client(alice);
    await vault.call("vault.unlock", { op: "vault.unlock", pin: PIN });
    const nc = await t.device(alice.deviceId);
    connections.push(nc);
    const subject = vaultRequestSubject(alice.vaultId, alice.deviceId);
    const captured: Uint8Array[] = [];
    const spy = nc.subscribe(subject, {
      callback: (_err, msg) => {
        captured.push(new Uint8Array(msg.data));
      },
    });
    await nc.flush(); // the server knows the spy before the request is sent
    await vault.call("items.put", { op: "items.put", name: "once", type: "note", value: Buffer.from("first") });
    // The spy's copy of the request arrives on its own connection; wait for it, however long.
    await nc.flush();
    while (captured.length === 0) await new Promise((r) => setTimeout(r, 10));
    spy.unsubscribe();
    const before = vault.known.stateVersion;
    const request = captured.at(-1) as Uint8Array;
    const altered = new Uint8Array(request);
    altered[altered.length - 5] = (altered[altered.length - 5] as number) ^ 0x01;

    // Act
    const replayed = parseEnclaveMessage((await nc.request(subject, request, { timeout: 5_000 })).data);
    const tampered = parseEnclaveMessage((await nc.request(subject, altered, { timeout: 5_000 })).data);

    // Assess: both refused outside the session's envelope stream, nothing written.
    expect(replayed).toMatchObject({ t: "error", code: "ENVELOPE_REPLAYED" });
    expect(tampered).toMatchObject({ t: "error" });
    const after = await vault.call("items.get", { op: "items.get", name: "once" });
    expect(after.stateVersion).toBe(before);
    expect(after.item.version).toBe(1);
  });

  it("refuses an enclave whose PCR0 the device's manifest does not list", async () => {
    // Prepare: a manifest for another image, as a device of another release would hold.
    const { createSimulatedNsm, devManifest } = await import("../../../local/nsm-sim");
    const other = await createSimulatedNsm({
      environment: "local",
      ca: t.ca,
      pcrs: { 0: new Uint8Array(48).fill(9), 1: new Uint8Array(48).fill(1), 2: new Uint8Array(48).fill(2) },
    });
    const nc = await t.device(alice.deviceId);
    connections.push(nc);
    const vault = new VaultClient({
      vaultId: alice.vaultId,
      deviceId: alice.deviceId,
      deviceKey: alice.exchange,
      transport: async (data, timeout) =>
        (await nc.request(vaultRequestSubject(alice.vaultId, alice.deviceId), data, { timeout })).data,
      attestation: {
        trustedRoots: [t.nsm.rootCertificatePem],
        manifest: devManifest(other.pcrs, { id: "other" }) as never,
      },
      memory: { stateVersion: 0 },
    });

    // Act
    const attempt = vault.call("vault.status", { op: "vault.status" });

    // Assess
    await expect(attempt).rejects.toMatchObject({ code: "PCR_NOT_APPROVED" });
  });

  it("fails closed when the key policy excludes the runtime's PCR0: no vault is created", async () => {
    // Prepare: a runtime whose KMS Recipient documents carry another image's PCR0.
    const { createSimulatedNsm } = await import("../../../local/nsm-sim");
    const dave = await person("dev-dave");
    const proxied = await startProxyTopology({ vaults: [dave.vaultId] });
    const rogue = await createSimulatedNsm({
      environment: "local",
      ca: proxied.ca,
      pcrs: { 0: new Uint8Array(48).fill(7), 1: new Uint8Array(48).fill(1), 2: new Uint8Array(48).fill(2) },
    });
    const excluded = new VaultRuntime({
      ports: {
        nsm: proxied.nsm,
        kms: proxied.sealingKms({ nsm: rogue }),
        blobs: proxied.client.blob,
        nats: proxied.client.nats,
        log: () => undefined,
        now: Date.now,
      },
      argon2Params: TEST_ARGON2,
    });
    await excluded.serve(dave.vaultId);
    const nc = await proxied.device(dave.deviceId);
    const vault = new VaultClient({
      vaultId: dave.vaultId,
      deviceId: dave.deviceId,
      deviceKey: dave.exchange,
      transport: async (data, timeout) =>
        (await nc.request(vaultRequestSubject(dave.vaultId, dave.deviceId), data, { timeout })).data,
      attestation: { trustedRoots: [proxied.nsm.rootCertificatePem], manifest: proxied.manifest },
      memory: { stateVersion: 0 },
    });

    // Act
    const init = vault.call("vault.init", {
      op: "vault.init",
      pin: PIN,
      signingKey: dave.signing.publicKey,
      vaultSalt: dave.vaultSalt,
    });

    // Assess
    await expect(init).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(vault.call("vault.status", { op: "vault.status" })).resolves.toMatchObject({ initialized: false });
    await nc.close();
    await excluded.close();
    await proxied.stop();
  });

  it("opens no session for another key before init, and ends none after it, so no key but the founder's can guess the PIN", async () => {
    // Prepare: before Erin initializes, the host tries to open a session on her vault with a key of its own.
    const erin = await person("dev-erin");
    const proxied = await startProxyTopology({ vaults: [erin.vaultId] });
    const served = new VaultRuntime({
      ports: {
        nsm: proxied.nsm,
        kms: proxied.sealingKms(),
        blobs: proxied.client.blob,
        nats: proxied.client.nats,
        log: () => undefined,
        now: Date.now,
      },
      argon2Params: TEST_ARGON2,
    });
    await served.serve(erin.vaultId);
    const open = async (keys: Person) => {
      const nc = await proxied.device(erin.deviceId);
      connections.push(nc);
      return new VaultClient({
        vaultId: erin.vaultId,
        deviceId: erin.deviceId,
        deviceKey: keys.exchange,
        transport: async (data, timeout) =>
          (await nc.request(vaultRequestSubject(erin.vaultId, erin.deviceId), data, { timeout })).data,
        attestation: { trustedRoots: [proxied.nsm.rootCertificatePem], manifest: proxied.manifest },
        memory: { stateVersion: 0 },
        founding: { signingKey: keys.signing.publicKey, vaultSalt: erin.vaultSalt },
      });
    };
    const hostKey = await person("dev-erin");
    const early = await open(hostKey);
    // a vault with no state admits only the key its id commits to (decision 0077)
    await expect(early.call("vault.status", { op: "vault.status" })).rejects.toMatchObject({ code: "FORBIDDEN" });
    const owner = await open(erin);
    await expect(owner.call("vault.status", { op: "vault.status" })).resolves.toMatchObject({ initialized: false });
    await owner.call("vault.init", {
      op: "vault.init",
      pin: PIN,
      signingKey: erin.signing.publicKey,
      vaultSalt: erin.vaultSalt,
    });

    // Act: the host's key tries the PIN, now that the vault exists.
    const guess = early.call("vault.unlock", { op: "vault.unlock", pin: PIN });

    // Assess
    await expect(guess).rejects.toMatchObject({ code: "FORBIDDEN" });
    await served.close();
    await proxied.stop();
  });

  it("refuses a handshake that names an attestation this enclave did not issue to the device", async () => {
    // Prepare
    const nc = await t.device(alice.deviceId);
    connections.push(nc);
    const subject = vaultRequestSubject(alice.vaultId, alice.deviceId);
    const message = encodeDeviceMessage({
      t: "handshake",
      attestation: new Uint8Array(32).fill(5),
      message: new Uint8Array(1200),
    });

    // Act
    const answer = parseEnclaveMessage((await nc.request(subject, message, { timeout: 5_000 })).data);

    // Assess
    expect(answer).toMatchObject({ t: "error", code: "HANDSHAKE_FAILED" });
  });
});
