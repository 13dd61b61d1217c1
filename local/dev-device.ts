/**
 * DEV ONLY: a device of the local topology, for tests and benchmarks that drive it as
 * a phone would: invited by the operator, enrolled over REST, connected to NATS with
 * its minted JWT, and the reference vault client over that connection (attesting
 * against the topology's dev root and signed manifest).
 */

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Kvm } from "@nats-io/kv";
import { connect, credsAuthenticator, type NatsConnection } from "@nats-io/transport-node";
import { createEdgeClient, type DeviceKeys, generateDeviceKeys } from "../client/device";
import { VaultClient } from "../client/vault";
import type { EnrollmentResponse } from "../lib/edge";
import { verifyManifest } from "../lib/manifest";
import { enclaveInboxPrefix, formatCreds } from "../lib/nats-auth";
import { decodeLeaseRecord, LEASE_BUCKET } from "../vault-enclave/lease";
import { LOCAL_RUNTIME_NATS_NAME } from "./launcher/runtime";
import type { Topology } from "./launcher/topology";

/** An enrolled local device and its vault client. */
export interface DevDevice {
  enrollment: EnrollmentResponse;
  keys: DeviceKeys;
  connection: NatsConnection;
  vault: VaultClient;
  /** `vault.init` with `pin` and the keys the vault id commits to. */
  init(pin: string): Promise<void>;
  close(): Promise<void>;
}

/** Invites, enrolls and connects a new device; `timeoutMs` bounds each vault request. */
export async function enrollDevDevice(topology: Topology, options: { timeoutMs?: number } = {}): Promise<DevDevice> {
  const { rest, adminToken } = topology.endpoints;
  const invitation = await createEdgeClient({ baseUrl: rest, adminToken }).createInvitation({ note: "dev device" });
  const keys = generateDeviceKeys();
  const enrollment = await createEdgeClient({ baseUrl: rest }).enroll(invitation.code, keys);
  const connection = await connect({
    servers: enrollment.nats.servers,
    authenticator: credsAuthenticator(new TextEncoder().encode(formatCreds(enrollment.nats.jwt, keys.nats.seed))),
    inboxPrefix: enrollment.subjects.inboxPrefix,
  });
  const manifest = await verifyManifest(topology.attestation.manifestText, {
    keys: topology.attestation.releaseKeys.set,
    activationDelayMs: 0,
  });
  const vault = new VaultClient({
    vaultId: enrollment.vaultId,
    deviceId: enrollment.deviceId,
    deviceKey: {
      publicKey: Buffer.from(keys.exchange.publicKey, "base64url"),
      privateKey: Buffer.from(keys.exchange.privateKey, "base64url"),
    },
    transport: async (data, timeout) => (await connection.request(enrollment.subjects.request, data, { timeout })).data,
    attestation: { trustedRoots: [topology.attestation.ca.rootCertificatePem], manifest },
    memory: { stateVersion: 0 },
    ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
    // the founding device's opening of its vault id (a vault with no state admits no other key)
    ...(enrollment.vaultSalt
      ? {
          founding: {
            signingKey: Buffer.from(keys.signing.publicKey, "base64url"),
            vaultSalt: Buffer.from(enrollment.vaultSalt, "base64url"),
          },
        }
      : {}),
  });
  return {
    enrollment,
    keys,
    connection,
    vault,
    async init(pin) {
      await vault.call("vault.init", {
        op: "vault.init",
        pin,
        signingKey: Buffer.from(keys.signing.publicKey, "base64url"),
        vaultSalt: Buffer.from(enrollment.vaultSalt ?? "", "base64url"),
      });
    },
    close: () => connection.close().catch(() => undefined),
  };
}

/** The runtime id that holds `vaultId`'s lease now, read as the local runtimes' own dev user reads it. */
export async function devLeaseOwner(topology: Topology, vaultId: string): Promise<string | undefined> {
  const nc = await connect({
    servers: topology.endpoints.nats,
    authenticator: credsAuthenticator(readFileSync(join(topology.endpoints.stateDir, "runtime-witness.creds"))),
    inboxPrefix: enclaveInboxPrefix(LOCAL_RUNTIME_NATS_NAME),
  });
  try {
    const entry = await (await new Kvm(nc).open(LEASE_BUCKET)).get(vaultId);
    return entry && entry.operation === "PUT" ? decodeLeaseRecord(entry.value, vaultId).owner : undefined;
  } finally {
    await nc.close();
  }
}
