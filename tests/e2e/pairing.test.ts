/**
 * Many devices, one vault, over the whole local topology (real nats-server in
 * operator mode, the REST edge on dynalite, the proxy and the vault runtime as their
 * own processes, KMS and S3 stand-ins, the simulated NSM), each step a `bin/vettid`
 * command as a person types it: device A founds a vault and stores an item, adds a
 * device; device B enrolls with the one code and joins; both show the same short
 * authentication string; A approves B; B unlocks and reads A's item; A revokes B,
 * and B is refused. On the way, the edge enrolls a key of its own into the vault,
 * which the vault never approves, and a code naming another vault is refused.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect, credsAuthenticator, type NatsConnection } from "@nats-io/transport-node";
import { main } from "../../client/cli/main";
import { generateDeviceKeys } from "../../client/device";
import { VaultClient } from "../../client/vault";
import { sodiumReady } from "../../lib/crypto";
import { enroll, generateInvitationCode, invitationIdFromCode } from "../../lib/edge";
import { verifyManifest } from "../../lib/manifest";
import { formatCreds } from "../../lib/nats-auth";
import { encodePairingCode, parsePairingCode } from "../../lib/pairing";
import { createProgress } from "../../local/launcher/progress";
import { startTopology, type Topology } from "../../local/launcher/topology";
import { captureIo } from "../unit/client/capture-io";

const PIN = "482915";

describe("pairing a second device over the local topology (bin/vettid)", () => {
  const stateDir = mkdtempSync(join(tmpdir(), "vt-pair-"));
  const a = join(stateDir, "device-a");
  const b = join(stateDir, "device-b");
  const d = join(stateDir, "device-d");
  let topology: Topology;
  const connections: NatsConnection[] = [];

  beforeAll(async () => {
    await sodiumReady();
    topology = await startTopology(
      join(stateDir, "topology"),
      createProgress(() => undefined),
    );
  });
  afterAll(async () => {
    await Promise.all(connections.map((c) => c.close().catch(() => undefined)));
    await topology?.stop();
    rmSync(stateDir, { recursive: true, force: true });
  });

  async function vettid(...argv: string[]) {
    const io = captureIo({ VETTID_ENDPOINTS: join(stateDir, "topology", "endpoints.json") });
    const code = await main(argv, io);
    return { code, out: io.out, err: io.err };
  }
  const json = (r: { out: string }) => JSON.parse(r.out);
  const device = (dir: string) => JSON.parse(readFileSync(join(dir, "device.json"), "utf8"));

  /**
   * What an edge could do on its own: enroll a key it holds into A's vault (it has
   * the table and the NATS account key), and run that device's session. It never sees
   * the pairing secret, so all it can send is a guess.
   */
  async function edgeOwnDevice(vaultId: string, userId: string, inviter: string) {
    const ctx = topology.edge.context;
    const code = generateInvitationCode();
    const now = ctx.now();
    await ctx.store.createInvitation({
      invitationId: invitationIdFromCode(code),
      status: "open",
      createdAt: now,
      expiresAt: now + 600_000,
      createdBy: "edge",
      pairing: { userId, vaultId, deviceId: inviter },
    });
    const keys = generateDeviceKeys();
    const enrollment = await enroll(
      ctx,
      {
        invitationCode: code,
        device: {
          signingKey: keys.signing.publicKey,
          exchangeKey: keys.exchange.publicKey,
          natsPublicKey: keys.nats.publicKey,
        },
      },
      "192.0.2.1",
    );
    const nc = await connect({
      servers: enrollment.nats.servers,
      authenticator: credsAuthenticator(new TextEncoder().encode(formatCreds(enrollment.nats.jwt, keys.nats.seed))),
      inboxPrefix: enrollment.subjects.inboxPrefix,
    });
    connections.push(nc);
    const manifest = await verifyManifest(topology.attestation.manifestText, {
      keys: topology.attestation.releaseKeys.set,
      activationDelayMs: 0,
    });
    const vault = new VaultClient({
      vaultId,
      deviceId: enrollment.deviceId,
      deviceKey: {
        publicKey: Buffer.from(keys.exchange.publicKey, "base64url"),
        privateKey: Buffer.from(keys.exchange.privateKey, "base64url"),
      },
      transport: async (data, timeout) => (await nc.request(enrollment.subjects.request, data, { timeout })).data,
      attestation: { trustedRoots: [topology.attestation.ca.rootCertificatePem], manifest },
      memory: { stateVersion: 0 },
    });
    return { deviceId: enrollment.deviceId, keys, vault };
  }

  it("A founds and adds B; B enrolls with the one code, both show one SAS; approved, B reads A's item; revoked, B is refused", async () => {
    // Prepare: A founds a vault and stores an item
    const admin = topology.endpoints;
    const invitation = await vettid("admin", "invite", "--api", admin.rest, "--token", admin.adminToken);
    expect(invitation).toMatchObject({ code: 0, err: "" });
    expect((await vettid("enroll", "--invite", invitation.out.trim(), "--state", a, "--name", "phone")).code).toBe(0);
    const init = await vettid("vault", "init", "--pin", PIN, "--state", a, "--json");
    expect(init).toMatchObject({ code: 0, err: "" });
    const identityKey = json(init).identityKey as string;
    expect(json(init).identityRegistered).toBe(true);
    // registering again is a no-op the edge accepts (for a founder whose init could not reach it)
    const again = await vettid("vault", "register-identity", "--state", a, "--json");
    expect(again).toMatchObject({ code: 0, err: "" });
    expect(json(again)).toEqual({ identityKey });
    const put = await vettid("vault", "put", "bank", "--value", "CANARY-7731", "--pin", PIN, "--state", a);
    expect(put).toMatchObject({ code: 0, err: "" });

    // Act 1: a first code reaches device D with its identity fingerprint changed (a
    // tampered code): D is enrolled by the edge, refuses the vault before proving
    // anything, and with the right code joins after all.
    const first = json(await vettid("vault", "add-device", "--pin", PIN, "--state", a, "--json")).code as string;
    const tampered = encodePairingCode({ ...parsePairingCode(first), identityFingerprint: new Uint8Array(10).fill(3) });
    const refusedD = await vettid("enroll", "--invite", tampered, "--state", d, "--name", "laptop");
    const recoveredD = await vettid("vault", "pair", "--code", first, "--state", d, "--json");

    // Act 2: A adds B; the edge meanwhile enrolls a key of its own and guesses
    const added = await vettid("vault", "add-device", "--pin", PIN, "--state", a, "--json");
    expect(added).toMatchObject({ code: 0, err: "" });
    const { code, expiresAt, invitationId } = json(added);
    const edgeDevice = await edgeOwnDevice(device(a).vaultId, device(a).userId, device(a).deviceId);
    const guessed = await edgeDevice.vault
      .call("device.pair.join", {
        op: "device.pair.join",
        signingKey: Buffer.from(edgeDevice.keys.signing.publicKey, "base64url"),
        label: "edge",
        proof: new Uint8Array(32).fill(1),
      })
      .then(
        () => "joined",
        (err: { code?: string }) => err.code,
      );
    const joined = await vettid("enroll", "--invite", code, "--state", b, "--name", "tablet", "--json");
    const reused = await vettid("enroll", "--invite", code, "--state", join(stateDir, "device-c"));
    const listed = await vettid("vault", "devices", "--state", a, "--json");
    const approveEdge = await vettid("vault", "approve", "--device", edgeDevice.deviceId, "--pin", PIN, "--state", a);
    const approved = await vettid(
      "vault",
      "approve",
      "--device",
      device(b).deviceId,
      "--pin",
      PIN,
      "--state",
      a,
      "--json",
    );
    const unlocked = await vettid("vault", "unlock", "--pin", PIN, "--state", b);
    const read = await vettid("vault", "get", "bank", "--pin", PIN, "--state", b);
    const devices = await vettid("vault", "devices", "--state", b, "--json");
    const audit = await vettid("vault", "audit", "--pin", PIN, "--state", b, "--json");
    const initB = await vettid("vault", "init", "--pin", PIN, "--state", b);
    const revoked = await vettid("vault", "revoke", "--device", device(b).deviceId, "--pin", PIN, "--state", a);
    const afterRevoke = await vettid("vault", "get", "bank", "--pin", PIN, "--state", b);
    const refreshB = await vettid("refresh", "--state", b);

    // Assess 1: D refused the tampered code in one typed line, kept its enrollment, and recovered
    expect(refusedD.code).toBe(1);
    expect(refusedD.err).toMatch(/^error: VAULT_IDENTITY_MISMATCH: [^\n]+vettid vault pair --code CODE[^\n]+\n$/);
    expect(recoveredD).toMatchObject({ code: 0, err: "" });
    expect(json(recoveredD)).toMatchObject({ status: "pending", identityKey });
    // Assess 2: the code, and what the edge keeps of it
    expect(code).toMatch(/^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){16}$/);
    expect(Date.parse(expiresAt) - Date.now()).toBeLessThanOrEqual(600_000);
    const invitationRecord = await topology.edge.context.store.getInvitation(invitationId);
    expect(invitationRecord).toMatchObject({ status: "used", pairing: { vaultId: device(a).vaultId } });
    expect(JSON.stringify(invitationRecord)).not.toContain(code.replace(/-/g, "").slice(16, 48));
    // the edge's own key proved nothing, and is never approved
    expect(guessed).toBe("PAIRING_INVALID");
    expect(approveEdge.code).toBe(1);
    expect(approveEdge.err).toMatch(/^error: NOT_FOUND: /);
    // B enrolled into A's vault as a device that joined, and pinned A's identity key
    expect(joined).toMatchObject({ code: 0, err: "" });
    const result = json(joined);
    expect(result).toMatchObject({
      vaultId: device(a).vaultId,
      userId: device(a).userId,
      pairing: { status: "pending", identityKey },
    });
    expect(result.pairing.sas).toMatch(/^\d{6}$/);
    expect(device(b)).toMatchObject({ pairing: { identityKey } });
    expect(device(b).vaultSalt).toBeUndefined();
    expect(JSON.parse(readFileSync(join(b, "vault.json"), "utf8")).identityKey).toBe(identityKey);
    expect(reused.code).toBe(1);
    expect(reused.err).toMatch(/^error: INVITATION_USED: /);
    // both devices show the same code and key fingerprint; A approves exactly B's key
    const pending = json(listed).devices.find((x: { deviceId: string }) => x.deviceId === device(b).deviceId);
    expect(pending).toMatchObject({
      status: "pending",
      sas: result.pairing.sas,
      fingerprint: result.pairing.fingerprint,
    });
    expect(approved).toMatchObject({ code: 0, err: "" });
    expect(json(approved).device).toMatchObject({
      status: "authorized",
      sas: result.pairing.sas,
      fingerprint: result.pairing.fingerprint,
    });
    // B works with the normal vault commands
    expect(unlocked).toEqual({ code: 0, out: "PIN accepted\n", err: "" });
    expect(read).toEqual({ code: 0, out: "CANARY-7731\n", err: "" });
    const statuses = json(devices).devices.map((x: { deviceId: string; status: string }) => [x.deviceId, x.status]);
    expect(statuses).toEqual(
      expect.arrayContaining([
        [device(a).deviceId, "authorized"],
        [device(b).deviceId, "authorized"],
        [device(d).deviceId, "pending"],
      ]),
    );
    const kinds = json(audit).entries.map((e: { kind: string }) => e.kind);
    expect(kinds).toEqual(expect.arrayContaining(["vault.initialized", "device.added", "device.approved"]));
    expect(initB.code).toBe(1);
    expect(initB.err).toMatch(/joined its vault by pairing/);
    // revoked, B is refused
    expect(revoked).toMatchObject({ code: 0, err: "" });
    expect(afterRevoke.code).toBe(1);
    expect(afterRevoke.out).toBe("");
    expect(afterRevoke.err).toMatch(/^error: (FORBIDDEN|UNAUTHENTICATED): /);
    // and at the edge: A's revoke carried the vault's statement, so B gets no new NATS credentials
    expect(refreshB.code).toBe(1);
    expect(refreshB.err).toMatch(/DEVICE_REVOKED/);
  });
});
