import { connect } from "@nats-io/transport-node";
import { sodiumReady } from "../lib/crypto";
import { deriveSessionKeys, SealedChannel } from "../lib/envelope";
import { isVettidError } from "../lib/errors";
import type { Progress } from "./launcher/progress";
import type { Endpoints } from "./launcher/topology";

/**
 * The device journey over what exists so far: a device and an echo peer agree
 * session keys (X25519), exchange E2E-sealed messages through the real
 * nats-server, and the receiver refuses a replay. The REST bootstrap, the vsock
 * proxy and the vault runtime join this journey as they land.
 */
export async function runJourney(endpoints: Endpoints, progress: Progress): Promise<void> {
  const s = await sodiumReady();
  const context = { vaultId: "vlt_local", deviceId: "dev_local", sessionId: s.to_hex(s.randombytes_buf(16)) };
  const deviceKx = s.crypto_kx_keypair();
  const peerKx = s.crypto_kx_keypair();
  const device = new SealedChannel({
    role: "device",
    context,
    keys: deriveSessionKeys("device", deviceKx, peerKx.publicKey, context.sessionId),
  });
  const peer = new SealedChannel({
    role: "enclave",
    context,
    keys: deriveSessionKeys("enclave", peerKx, deviceKx.publicKey, context.sessionId),
  });

  const nc = await progress.step("device connects to NATS", () =>
    connect({ servers: endpoints.nats, name: "journey" }),
  );
  try {
    const subject = `vettid.local.journey.${context.sessionId}`;
    nc.subscribe(subject, {
      callback: (_err, msg) => {
        try {
          const opened = peer.open(msg.data);
          msg.respond(peer.seal(opened.op, opened.plaintext));
        } catch (err) {
          msg.respond(new TextEncoder().encode(isVettidError(err) ? err.code : "INTERNAL"));
        }
      },
    });
    await nc.flush();

    const canary = `canary-${s.to_hex(s.randombytes_buf(8))}`;
    const request = device.seal("echo", s.from_string(canary));
    await progress.step("sealed request and reply through nats-server", async () => {
      const reply = await nc.request(subject, request, { timeout: 5_000 });
      const opened = device.open(reply.data);
      if (s.to_string(opened.plaintext) !== canary) throw new Error("echo mismatch");
      if (Buffer.from(request).includes(Buffer.from(canary))) throw new Error("plaintext visible on the wire");
    });
    await progress.step("replayed request is refused by the receiver", async () => {
      const reply = await nc.request(subject, request, { timeout: 5_000 });
      const answer = new TextDecoder().decode(reply.data);
      if (answer !== "ENVELOPE_REPLAYED") throw new Error(`expected ENVELOPE_REPLAYED, got ${answer.slice(0, 40)}`);
    });
  } finally {
    await nc.close();
  }
}
