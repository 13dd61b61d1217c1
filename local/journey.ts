import { mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { createUser } from "@nats-io/nkeys";
import { connect, credsAuthenticator, type NatsConnection } from "@nats-io/transport-node";
import { createEdgeClient, type DeviceKeys, generateDeviceKeys } from "../client/device";
import { sodiumReady } from "../lib/crypto";
import type { EnrollmentResponse } from "../lib/edge";
import { deriveSessionKeys, SealedChannel } from "../lib/envelope";
import { isVettidError } from "../lib/errors";
import { formatCreds, mintHostUserJwt } from "../lib/nats-auth";
import { vaultRequestSubject, vaultRequestWildcard } from "../lib/subjects";
import type { Progress } from "./launcher/progress";
import type { Topology } from "./launcher/topology";

async function connectDevice(servers: string[], jwt: string, keys: DeviceKeys, inboxPrefix: string) {
  return connect({
    servers,
    authenticator: credsAuthenticator(new TextEncoder().encode(formatCreds(jwt, keys.nats.seed))),
    inboxPrefix,
    name: "journey-device",
    reconnect: false,
  });
}

/**
 * The device journey over what exists so far: an operator invites, a new device
 * generates its keys and enrolls over REST, connects to NATS with the minted
 * credentials, talks E2E-sealed to a local responder on its own vault subject (a
 * replay is refused), is refused another vault's subject by the server, refreshes
 * its credentials with a signed request, and cannot reuse the invitation. The
 * vsock proxy and the vault runtime replace the responder as they land.
 */
export async function runJourney(topology: Topology, progress: Progress): Promise<void> {
  const { endpoints } = topology;
  const operator = createEdgeClient({ baseUrl: endpoints.rest, adminToken: endpoints.adminToken });
  const invitation = await progress.step("operator creates an invitation (POST /v1/invitations)", () =>
    operator.createInvitation({ note: "npm start journey" }),
  );
  const keys = generateDeviceKeys();
  const device = createEdgeClient({ baseUrl: endpoints.rest });
  const enrollment: EnrollmentResponse = await progress.step(
    "device generates Ed25519, X25519 and NATS keys and enrolls (POST /v1/enrollments)",
    () => device.enroll(invitation.code, keys, "journey"),
  );
  progress.info(`device ${enrollment.deviceId} → vault ${enrollment.vaultId}; JWT until ${enrollment.nats.expiresAt}`);

  await progress.step("a second device is refused the used invitation", async () => {
    try {
      await device.enroll(invitation.code, generateDeviceKeys());
    } catch (err) {
      if (isVettidError(err, "INVITATION_USED")) return;
      throw err;
    }
    throw new Error("the used invitation was accepted");
  });

  // a stand-in for the host side until the vsock proxy and the vault runtime join
  const hostKey = createUser();
  const host = await mintHostUserJwt({
    signing: {
      accountPublicKey: topology.nats.keys.accountPublicKey,
      signingKeySeed: topology.nats.keys.accountSigningSeed,
    },
    userPublicKey: hostKey.getPublicKey(),
    hostId: "journey-host",
  });
  const hostConnection = await connect({
    servers: endpoints.nats,
    authenticator: credsAuthenticator(
      new TextEncoder().encode(formatCreds(host.jwt, new TextDecoder().decode(hostKey.getSeed()))),
    ),
    name: "journey-responder",
  });
  let nc: NatsConnection | undefined;
  const scratch = mkdtempSync(join(endpoints.stateDir, "journey-"));
  try {
    const s = await sodiumReady();
    const context = {
      vaultId: enrollment.vaultId,
      deviceId: enrollment.deviceId,
      sessionId: s.to_hex(s.randombytes_buf(16)),
    };
    const deviceKx = s.crypto_kx_keypair();
    const peerKx = s.crypto_kx_keypair();
    const sealer = new SealedChannel({
      role: "device",
      context,
      keys: deriveSessionKeys("device", deviceKx, peerKx.publicKey, context.sessionId),
    });
    const peer = new SealedChannel({
      role: "enclave",
      context,
      keys: deriveSessionKeys("enclave", peerKx, deviceKx.publicKey, context.sessionId),
    });
    hostConnection.subscribe(vaultRequestWildcard(enrollment.vaultId), {
      callback: (_err, msg) => {
        try {
          const opened = peer.open(msg.data);
          msg.respond(peer.seal(opened.op, opened.plaintext));
        } catch (err) {
          msg.respond(new TextEncoder().encode(isVettidError(err) ? err.code : "INTERNAL"));
        }
      },
    });
    await hostConnection.flush();

    const connection = await progress.step("device connects to NATS with its minted user JWT", () =>
      connectDevice(enrollment.nats.servers, enrollment.nats.jwt, keys, enrollment.subjects.inboxPrefix),
    );
    nc = connection;
    const canary = `canary-${s.to_hex(s.randombytes_buf(8))}`;
    const request = sealer.seal("echo", s.from_string(canary));
    await progress.step("sealed request and reply on the device's own vault subject", async () => {
      const reply = await connection.request(enrollment.subjects.request, request, { timeout: 5_000 });
      const opened = sealer.open(reply.data);
      if (s.to_string(opened.plaintext) !== canary) throw new Error("echo mismatch");
      if (Buffer.from(request).includes(Buffer.from(canary))) throw new Error("plaintext visible on the wire");
    });
    await progress.step("replayed request is refused by the receiver", async () => {
      const reply = await connection.request(enrollment.subjects.request, request, { timeout: 5_000 });
      const answer = new TextDecoder().decode(reply.data);
      if (answer !== "ENVELOPE_REPLAYED") throw new Error(`expected ENVELOPE_REPLAYED, got ${answer.slice(0, 40)}`);
    });
    await progress.step("publishing to another vault's subject is a permissions violation", async () => {
      const violation = new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error("no permissions violation reported")), 5_000);
        (async () => {
          for await (const status of connection.status()) {
            if (status.type === "error" && /Permissions Violation/i.test(String(status.error?.message))) {
              clearTimeout(timer);
              resolve(String(status.error?.message));
              return;
            }
          }
        })().catch(reject);
      });
      connection.publish(vaultRequestSubject("vlt_someone_else", enrollment.deviceId), "probe");
      await violation;
    });
    await progress.step("device refreshes its JWT with a signed request (POST /v1/devices/{id}/credentials)", () =>
      device.refreshCredentials(enrollment.deviceId, keys),
    );
  } finally {
    await nc?.close().catch(() => undefined);
    await hostConnection.close().catch(() => undefined);
    rmSync(scratch, { recursive: true, force: true });
  }
}
