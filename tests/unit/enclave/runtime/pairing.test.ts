/**
 * Pairing, approval and revocation decided in the enclave (docs/protocol.md §Pairing),
 * attacked by the host (which runs its own devices and carries every message), by the
 * edge (which can enroll any key under the new device's id), by a relay that saw a
 * proof, and by a thief holding an unlocked device but not its PIN.
 */
import type { VaultClient } from "../../../../client/vault";
import { sodiumReady } from "../../../../lib/crypto";
import {
  deviceFingerprint,
  identityFingerprint,
  pairingProof,
  verifyRevocationStatement,
} from "../../../../lib/pairing";
import {
  MAX_PAIRING_SESSIONS_PER_VAULT,
  PAIRING_MAX_ATTEMPTS,
  PAIRING_TTL_MS,
} from "../../../../vault-enclave/runtime/limits";
import { bytes, codeOf, type Harness, type Person, PIN, person, startHarness } from "./harness";

describe("pairing a device in the enclave (in-memory host)", () => {
  let h: Harness;
  let alice: Person;
  let tablet: Person;
  let clock = Date.now();
  /** The identity key of alice's vault, from its init. */
  let identity: Uint8Array;

  beforeEach(async () => {
    await sodiumReady();
    alice = await person("dev-alice");
    tablet = await person("dev-tablet");
    clock = Date.now();
    h = await startHarness([alice.vaultId], { now: () => clock });
  });
  afterEach(async () => {
    await h.close();
  });

  async function owner(): Promise<VaultClient> {
    const device = h.client(alice);
    ({ identityKey: identity } = await device.call("vault.init", {
      op: "vault.init",
      pin: PIN,
      signingKey: alice.signing.publicKey,
      vaultSalt: alice.vaultSalt,
    }));
    await device.call("items.put", { op: "items.put", name: "bank", type: "secret", value: bytes("CANARY-42") });
    return device;
  }

  const newDevice = (who: Person = tablet) => h.client(alice, { as: who });
  const join = (device: VaultClient, secret: Uint8Array, who: Person = tablet, named = identity) =>
    device.joinPairing({
      secret,
      signingKey: who.signing.publicKey,
      label: "Anna's tablet",
      identityFingerprint: identityFingerprint(named),
    });
  const failures = async (device: VaultClient) => {
    const log = await device.readAudit();
    return log.entries.filter((e) => e.kind === "unlock.failed").length;
  };

  it("pairs, shows the same short authentication string on both devices, and approves only the key that proved", async () => {
    // Prepare
    const phone = await owner();
    const { secret, expiresAt } = await phone.call("device.pair.start", { op: "device.pair.start", pin: PIN });
    expect(secret.length).toBeGreaterThanOrEqual(16);
    expect(expiresAt - clock).toBeLessThanOrEqual(10 * 60_000);

    // Act
    const joining = newDevice();
    const joined = await join(joining, secret);
    const listed = await phone.call("devices.list", { op: "devices.list" });
    const approved = await phone.call("device.approve", { op: "device.approve", deviceId: tablet.deviceId, pin: PIN });

    // Assess
    const pending = listed.devices.find((d) => d.deviceId === tablet.deviceId);
    expect(pending).toMatchObject({ status: "pending", sas: joined.sas, fingerprint: joined.fingerprint });
    expect(approved.device).toMatchObject({ deviceId: tablet.deviceId, status: "authorized", sas: joined.sas });
    expect(approved.device.fingerprint).toBe(deviceFingerprint(tablet.signing.publicKey, tablet.exchange.publicKey));
    const reader = newDevice();
    await reader.call("vault.unlock", { op: "vault.unlock", pin: PIN });
    const { item } = await reader.call("items.get", { op: "items.get", name: "bank" });
    expect(Buffer.from(item.value).toString()).toBe("CANARY-42");
    const kinds = (await phone.readAudit()).entries.map((e) => [e.kind, e.device, e.detail]);
    expect(kinds).toContainEqual(["device.added", tablet.deviceId, {}]);
    expect(kinds).toContainEqual(["device.approved", alice.deviceId, { device: tablet.deviceId }]);
  });

  it("shows a new device the vault's identity key, which it checks against its code before it proves anything", async () => {
    // Prepare: a code that names another vault's identity key (a tampered code)
    const phone = await owner();
    const { secret } = await phone.call("device.pair.start", { op: "device.pair.start", pin: PIN });
    const impostor = new Uint8Array(32).fill(9);

    // Act: more refusals than the pairing has attempts
    const refusals: string[] = [];
    for (let i = 0; i <= PAIRING_MAX_ATTEMPTS; i++)
      refusals.push(await codeOf(join(newDevice(), secret, tablet, impostor)));
    const joining = newDevice();
    const status = await joining.call("vault.status", { op: "vault.status" });
    const joined = await join(joining, secret);

    // Assess: refused by the device each time, no proof sent, so the pairing was still open
    expect(refusals.every((c) => c === "VAULT_IDENTITY_MISMATCH")).toBe(true);
    expect(status).toMatchObject({ initialized: true, unlocked: false });
    expect(Buffer.from(status.identityKey as Uint8Array)).toEqual(Buffer.from(identity));
    expect(Buffer.from(joined.identityKey)).toEqual(Buffer.from(identity));
    expect(joining.known.identityKey).toBe(Buffer.from(identity).toString("base64url"));
    const listed = await phone.call("devices.list", { op: "devices.list" });
    expect(listed.devices.find((d) => d.deviceId === tablet.deviceId)?.sas).toBe(joined.sas);
  });

  it("refuses another person's vault with a pairing open, where an edge enrolled the new device instead", async () => {
    // Prepare: bob's vault serves too, and bob opened a pairing of his own
    await h.close();
    const bob = await person("dev-bob");
    h = await startHarness([alice.vaultId, bob.vaultId], { now: () => clock });
    const phone = await owner();
    const { secret } = await phone.call("device.pair.start", { op: "device.pair.start", pin: PIN });
    const bobs = h.client(bob);
    await bobs.call("vault.init", {
      op: "vault.init",
      pin: PIN,
      signingKey: bob.signing.publicKey,
      vaultSalt: bob.vaultSalt,
    });
    await bobs.call("device.pair.start", { op: "device.pair.start", pin: PIN });

    // Act: the tablet, with alice's code, in bob's vault (the edge's choice)
    const inBobs = h.client(bob, { as: tablet });
    const refused = await codeOf(join(inBobs, secret));
    const inAlices = await join(newDevice(), secret);

    // Assess: refused before proving, bob's vault has no pending tablet, alice's pairing worked
    expect(refused).toBe("VAULT_IDENTITY_MISMATCH");
    expect(inBobs.known.identityKey).toBeUndefined();
    const bobsDevices = await bobs.call("devices.list", { op: "devices.list" });
    expect(bobsDevices.devices.map((d) => d.deviceId)).toEqual([bob.deviceId]);
    expect(inAlices.sas).toMatch(/^\d{6}$/);
  });

  it("opens nothing to a pending device: no items, no unlock, no other op", async () => {
    // Prepare
    const phone = await owner();
    const { secret } = await phone.call("device.pair.start", { op: "device.pair.start", pin: PIN });
    const pending = newDevice();
    await join(pending, secret);

    // Act, Assess
    expect(await codeOf(pending.call("vault.unlock", { op: "vault.unlock", pin: PIN }))).toBe("FORBIDDEN");
    expect(await codeOf(pending.call("items.list", { op: "items.list" }))).toBe("FORBIDDEN");
    expect(await codeOf(pending.call("items.get", { op: "items.get", name: "bank" }))).toBe("FORBIDDEN");
    expect(await codeOf(pending.call("devices.list", { op: "devices.list" }))).toBe("FORBIDDEN");
    expect(await codeOf(pending.call("vault.status", { op: "vault.status" }))).toBe("OK");
    // Once the pairing is used up, a pending device cannot even open a session.
    expect(await codeOf(newDevice().call("vault.status", { op: "vault.status" }))).toBe("FORBIDDEN");
  });

  it("refuses, without an open pairing, a handshake by a key that is not in the device list", async () => {
    await owner();
    expect(await codeOf(newDevice().call("vault.status", { op: "vault.status" }))).toBe("FORBIDDEN");
  });

  it("never approves a key the host or the edge substitutes for the new device", async () => {
    // Prepare: the edge enrolled its own key under the new device's id, and the host
    // runs a device of its own; neither holds the secret, which the edge never sees.
    const phone = await owner();
    const { secret } = await phone.call("device.pair.start", { op: "device.pair.start", pin: PIN });
    const substitute = await person(tablet.deviceId);
    const hostDevice = await person("dev-host");
    const guessed = new Uint8Array(20).fill(7);

    // Act
    const bySubstitute = codeOf(join(newDevice(substitute), guessed, substitute));
    expect(await bySubstitute).toBe("PAIRING_INVALID");
    expect(await codeOf(join(newDevice(hostDevice), guessed, hostDevice))).toBe("PAIRING_INVALID");
    const joined = await join(newDevice(), secret);
    const approved = await phone.call("device.approve", { op: "device.approve", deviceId: tablet.deviceId, pin: PIN });
    const forHost = phone.call("device.approve", { op: "device.approve", deviceId: hostDevice.deviceId, pin: PIN });

    // Assess: the approved key is the tablet's own, and the substitute still opens nothing.
    expect(approved.device.fingerprint).toBe(joined.fingerprint);
    expect(approved.device.fingerprint).not.toBe(
      deviceFingerprint(substitute.signing.publicKey, substitute.exchange.publicKey),
    );
    expect(await codeOf(forHost)).toBe("NOT_FOUND");
    expect(await codeOf(newDevice(substitute).call("vault.status", { op: "vault.status" }))).toBe("FORBIDDEN");
  });

  it("refuses and counts a relayed proof (another key, or another session), and voids the secret after the last attempt", async () => {
    // Prepare: a relay knows what the tablet proves (the secret's proof for the
    // tablet's key) but sends it from its own key's session, or from another session.
    const phone = await owner();
    const { secret } = await phone.call("device.pair.start", { op: "device.pair.start", pin: PIN });
    const relay = newDevice(await person("dev-relay"));
    await relay.call("vault.status", { op: "vault.status" });
    const relayed = pairingProof(secret, {
      vaultId: alice.vaultId,
      deviceId: "dev-relay",
      signingKey: tablet.signing.publicKey,
      exchangeKey: tablet.exchange.publicKey,
      handshakeHash: relay.channelBinding as Uint8Array,
    });
    const earlier = newDevice();
    await earlier.call("vault.status", { op: "vault.status" });
    const otherSession = pairingProof(secret, {
      vaultId: alice.vaultId,
      deviceId: tablet.deviceId,
      signingKey: tablet.signing.publicKey,
      exchangeKey: tablet.exchange.publicKey,
      handshakeHash: earlier.channelBinding as Uint8Array,
    });
    const later = newDevice();
    await later.call("vault.status", { op: "vault.status" });
    const send = (device: VaultClient, proof: Uint8Array) =>
      codeOf(
        device.call("device.pair.join", {
          op: "device.pair.join",
          signingKey: tablet.signing.publicKey,
          label: "x",
          proof,
        }),
      );

    // Act, Assess
    expect(await send(relay, relayed)).toBe("PAIRING_INVALID");
    expect(await send(later, otherSession)).toBe("PAIRING_INVALID");
    for (let i = 2; i < PAIRING_MAX_ATTEMPTS; i++) expect(await send(later, otherSession)).toBe("PAIRING_INVALID");
    // The attempts are used up: even the genuine proof is refused now.
    expect(await codeOf(join(later, secret))).toBe("PAIRING_EXPIRED");
    const listed = await phone.call("devices.list", { op: "devices.list" });
    expect(listed.devices.map((d) => d.deviceId)).toEqual([alice.deviceId]);
  });

  it("refuses and voids an expired pairing secret", async () => {
    // Prepare
    const phone = await owner();
    const { secret } = await phone.call("device.pair.start", { op: "device.pair.start", pin: PIN });
    const joining = newDevice();
    await joining.call("vault.status", { op: "vault.status" });

    // Act
    clock += PAIRING_TTL_MS + 1;

    // Assess
    expect(await codeOf(join(joining, secret))).toBe("PAIRING_EXPIRED");
    clock -= PAIRING_TTL_MS;
    expect(await codeOf(join(joining, secret))).toBe("PAIRING_EXPIRED");
  });

  it("voids the pairing secret when the runtime restarts (it lives in the enclave's memory only)", async () => {
    // Prepare
    const phone = await owner();
    const { secret } = await phone.call("device.pair.start", { op: "device.pair.start", pin: PIN });
    await h.close();
    h = await startHarness([alice.vaultId], { now: () => clock, stores: h.stores });

    // Act, Assess: no pairing is open, so the new key gets no session at all.
    expect(await codeOf(join(newDevice(), secret))).toBe("FORBIDDEN");
  });

  it("lets a device without the PIN neither start a pairing, nor approve, nor revoke; each wrong PIN is counted", async () => {
    // Prepare: a thief holds the owner's unlocked session, and a pending tablet waits.
    const phone = await owner();
    const { secret } = await phone.call("device.pair.start", { op: "device.pair.start", pin: PIN });
    await join(newDevice(), secret);
    const locked = h.client(alice, { memory: phone.known });
    const wrong = "000000";

    // Act
    const tries = [
      await codeOf(phone.call("device.pair.start", { op: "device.pair.start", pin: wrong })),
      await codeOf(phone.call("device.approve", { op: "device.approve", deviceId: tablet.deviceId, pin: wrong })),
      await codeOf(phone.call("device.revoke", { op: "device.revoke", deviceId: tablet.deviceId, pin: wrong })),
      await codeOf(locked.call("device.approve", { op: "device.approve", deviceId: tablet.deviceId, pin: PIN })),
      await codeOf(locked.call("device.revoke", { op: "device.revoke", deviceId: tablet.deviceId, pin: PIN })),
      await codeOf(locked.call("device.pair.start", { op: "device.pair.start", pin: PIN })),
    ];

    // Assess
    expect(tries).toEqual([
      "PIN_INCORRECT",
      "PIN_INCORRECT",
      "PIN_INCORRECT",
      "VAULT_LOCKED",
      "VAULT_LOCKED",
      "VAULT_LOCKED",
    ]);
    clock += 60_000; // the back-off after a third wrong PIN
    await phone.call("vault.unlock", { op: "vault.unlock", pin: PIN });
    expect(await failures(phone)).toBe(3);
    const listed = await phone.call("devices.list", { op: "devices.list" });
    expect(listed.devices.find((d) => d.deviceId === tablet.deviceId)?.status).toBe("pending");
  });

  it("revokes a device: removed from the sealed state, its sessions end, and the vault signs a statement", async () => {
    // Prepare
    const phone = await owner();
    const { secret } = await phone.call("device.pair.start", { op: "device.pair.start", pin: PIN });
    await join(newDevice(), secret);
    await phone.call("device.approve", { op: "device.approve", deviceId: tablet.deviceId, pin: PIN });
    const tabletSession = newDevice();
    await tabletSession.call("vault.unlock", { op: "vault.unlock", pin: PIN });
    const { identityKey } = await phone.call("identity.key", { op: "identity.key" });

    // Act
    const revoked = await phone.call("device.revoke", { op: "device.revoke", deviceId: tablet.deviceId, pin: PIN });

    // Assess
    expect(verifyRevocationStatement(revoked.statement, revoked.signature, identityKey)).toEqual({
      vaultId: alice.vaultId,
      deviceId: tablet.deviceId,
      revokedAt: revoked.revokedAt,
    });
    expect(await codeOf(tabletSession.call("items.list", { op: "items.list" }))).toBe("UNAUTHENTICATED");
    expect(await codeOf(newDevice().call("vault.status", { op: "vault.status" }))).toBe("FORBIDDEN");
    const listed = await phone.call("devices.list", { op: "devices.list" });
    expect(listed.devices.map((d) => d.deviceId)).toEqual([alice.deviceId]);
    const last = phone.call("device.revoke", { op: "device.revoke", deviceId: alice.deviceId, pin: PIN });
    expect(await codeOf(last)).toBe("CONFLICT");
    const kinds = (await phone.readAudit()).entries.map((e) => [e.kind, e.detail]);
    expect(kinds).toContainEqual(["device.revoked", { device: tablet.deviceId }]);
  });

  it("holds at most a few pairing-only sessions per vault, so an open pairing cannot fill the runtime's session table", async () => {
    // Prepare: a pairing is open; the host handshakes as many made-up new devices
    const phone = await owner();
    await phone.call("device.pair.start", { op: "device.pair.start", pin: PIN });
    const before = h.runtime.sessionCount;
    const strangers = await Promise.all(Array.from({ length: 12 }, (_, i) => person(`dev-stranger-${i}`)));

    // Act
    for (const stranger of strangers) await newDevice(stranger).call("vault.status", { op: "vault.status" });
    const last = newDevice();
    await last.call("vault.status", { op: "vault.status" });

    // Assess: the oldest pairing-only sessions were dropped; the newest device still gets one
    expect(h.runtime.sessionCount - before).toBe(MAX_PAIRING_SESSIONS_PER_VAULT);
    expect(await codeOf(last.call("vault.status", { op: "vault.status" }))).toBe("OK");
  });

  it("lists devices with fingerprints, when they were added and last used", async () => {
    // Prepare
    const phone = await owner();
    clock += 1000;
    await phone.call("vault.unlock", { op: "vault.unlock", pin: PIN });

    // Act
    const { devices } = await phone.call("devices.list", { op: "devices.list" });

    // Assess
    expect(devices).toEqual([
      {
        deviceId: alice.deviceId,
        status: "authorized",
        label: "founding device",
        fingerprint: deviceFingerprint(alice.signing.publicKey, alice.exchange.publicKey),
        addedAt: expect.any(Number),
        lastUsedAt: clock,
        sas: null,
      },
    ]);
  });

  it("voids an open pairing when the device list or the PIN changes", async () => {
    // Prepare: the phone opens a pairing, then the owner revokes the phone from a second device.
    const phone = await owner();
    const { secret: first } = await phone.call("device.pair.start", { op: "device.pair.start", pin: PIN });
    await join(newDevice(), first);
    await phone.call("device.approve", { op: "device.approve", deviceId: tablet.deviceId, pin: PIN });
    const tabletClient = newDevice();
    await tabletClient.call("vault.unlock", { op: "vault.unlock", pin: PIN });
    const { secret } = await phone.call("device.pair.start", { op: "device.pair.start", pin: PIN });

    // Act
    await tabletClient.call("device.revoke", { op: "device.revoke", deviceId: alice.deviceId, pin: PIN });
    const late = await person("dev-late");

    // Assess: the revoked device's pairing no longer admits anyone.
    expect(await codeOf(join(newDevice(late), secret, late))).not.toBe("OK");

    // And a PIN change voids one too.
    const { secret: again } = await tabletClient.call("device.pair.start", { op: "device.pair.start", pin: PIN });
    await tabletClient.call("pin.change", { op: "pin.change", pin: PIN, newPin: "730164" });
    const later = await person("dev-later");
    expect(await codeOf(join(newDevice(later), again, later))).not.toBe("OK");
  });

  it("refuses a right proof it cannot record before using the secret up", async () => {
    // Prepare: the tablet is authorized; a second pairing is opened.
    const phone = await owner();
    const { secret: first } = await phone.call("device.pair.start", { op: "device.pair.start", pin: PIN });
    await join(newDevice(), first);
    await phone.call("device.approve", { op: "device.approve", deviceId: tablet.deviceId, pin: PIN });
    const { secret } = await phone.call("device.pair.start", { op: "device.pair.start", pin: PIN });

    // Act: another key under the tablet's id proves the right secret (it cannot be recorded).
    const sameId = await person(tablet.deviceId);
    const refused = await codeOf(join(newDevice(sameId), secret, sameId));
    const other = await person("dev-other");
    const joined = await codeOf(join(newDevice(other), secret, other));

    // Assess: refused without consuming the secret, so the next device still pairs with it.
    expect(refused).toBe("CONFLICT");
    expect(joined).toBe("OK");
  });
});
