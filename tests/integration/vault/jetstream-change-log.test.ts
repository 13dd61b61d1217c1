/**
 * The change log in JetStream (vault-enclave/sync, decision 0073) on a real
 * nats-server 2.9.10 in operator mode, used as the vault runtime's own NATS user:
 * events appended per vault and read back with `next_by_subj`, the stream's limits as
 * configured, nothing but appends and reads allowed to that user, and a device that
 * was offline during 100 changes catching up with exactly those over it.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect, credsAuthenticator, type NatsConnection } from "@nats-io/transport-node";
import { sodiumReady } from "../../../lib/crypto";
import { enclaveInboxPrefix } from "../../../lib/nats-auth";
import { type OperatorNats, startOperatorNats } from "../../../local/launcher/nats";
import { LOCAL_RUNTIME_NATS_NAME, writeRuntimeWitnessCreds } from "../../../local/launcher/runtime";
import { JetStreamChangeLog, MAX_SEALED_CHANGE_BYTES, SYNC_STREAM, syncSubject } from "../../../vault-enclave/sync";
import { SYNC_EVENTS_PER_VAULT, SYNC_HEADER_ALLOWANCE_BYTES } from "../../../vault-enclave/sync/jetstream-change-log";
import { bytes, founded, PIN, person, startHarness } from "../../unit/enclave/runtime/harness";

const A = `vlt_${"a1".repeat(16)}`;
const B = `vlt_${"b2".repeat(16)}`;

describe("the change log in JetStream (the runtime's own user, operator mode)", () => {
  const dir = mkdtempSync(join(tmpdir(), "vettid-change-log-"));
  let nats: OperatorNats;
  let nc: NatsConnection;
  let log: JetStreamChangeLog;

  beforeAll(async () => {
    await sodiumReady();
    nats = await startOperatorNats(join(dir, "nats"));
    const creds = await writeRuntimeWitnessCreds(dir, nats.keys);
    nc = await connect({
      servers: nats.server.url,
      authenticator: credsAuthenticator(readFileSync(creds)),
      inboxPrefix: enclaveInboxPrefix(LOCAL_RUNTIME_NATS_NAME),
    });
    log = await JetStreamChangeLog.open(nc, { create: { replicas: 1 } });
  });
  afterAll(async () => {
    await nc?.close();
    await nats?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("appends per vault and reads each vault's messages back in order with next_by_subj", async () => {
    // Prepare
    const positions: Record<string, number[]> = { [A]: [], [B]: [] };
    for (const [i, vault] of [A, B, A, A, B].entries()) {
      positions[vault]?.push(await log.append(vault, new Uint8Array([i])));
    }

    // Act
    const read = async (vault: string) => {
      const out: { position: number; data: number }[] = [];
      for (let from = 1; ; ) {
        const message = await log.next(vault, from);
        if (!message) return out;
        out.push({ position: message.position, data: message.data[0] as number });
        from = message.position + 1;
      }
    };
    const ofA = await read(A);
    const ofB = await read(B);
    const fromMiddle = await log.next(A, (positions[A]?.[1] as number) + 1);

    // Assess
    expect(ofA).toEqual((positions[A] ?? []).map((position, i) => ({ position, data: [0, 2, 3][i] })));
    expect(ofB).toEqual((positions[B] ?? []).map((position, i) => ({ position, data: [1, 4][i] })));
    expect(fromMiddle?.position).toBe(positions[A]?.[2]);
    expect(await log.next(A, (positions[A]?.[2] as number) + 1)).toBeUndefined();
  });

  it("keeps the stream's limits and lets the runtime's user neither purge, delete nor reconfigure it", async () => {
    // Prepare
    const jsm = await jetstreamManager(nc);

    // Act
    const info = await jsm.streams.info(SYNC_STREAM);

    // Assess
    expect(info.config.subjects).toEqual(["vettid.v1.sync.*"]);
    expect(info.config.max_msgs_per_subject).toBe(SYNC_EVENTS_PER_VAULT);
    expect(info.config.max_msg_size).toBe(MAX_SEALED_CHANGE_BYTES + SYNC_HEADER_ALLOWANCE_BYTES);
    await expect(jsm.streams.purge(SYNC_STREAM, { filter: syncSubject(A) })).rejects.toThrow();
    await expect(jsm.streams.deleteMessage(SYNC_STREAM, 1)).rejects.toThrow();
    await expect(jsm.streams.delete(SYNC_STREAM)).rejects.toThrow();
    await expect(jsm.streams.update(SYNC_STREAM, { max_msgs_per_subject: 1 })).rejects.toThrow();
  });

  it("stores the largest sealed event (the publish's headers count toward the stream's message limit)", async () => {
    // Prepare: the largest event the runtime seals, and one byte more than the limit allows.
    const largest = new Uint8Array(MAX_SEALED_CHANGE_BYTES).fill(7);
    const tooLarge = new Uint8Array(MAX_SEALED_CHANGE_BYTES + SYNC_HEADER_ALLOWANCE_BYTES + 1);

    // Act
    const position = await log.append(A, largest);
    const read = await log.next(A, position);

    // Assess
    expect(read?.data).toEqual(largest);
    await expect(log.append(A, tooLarge)).rejects.toMatchObject({ code: "UNAVAILABLE" });
  });

  it("gives a device offline during 100 changes exactly those 100, in order, over JetStream", async () => {
    // Prepare
    const alice = await person("dev-alice");
    const h = await startHarness([alice.vaultId], { changes: log });
    try {
      const phone = await founded(h, alice);
      const laptop = h.client(alice);
      await laptop.call("vault.unlock", { op: "vault.unlock", pin: PIN });
      await laptop.syncChanges();
      const expected: string[] = [];
      for (let i = 1; i <= 100; i += 1) {
        if (i % 10 === 0) {
          await phone.call("items.delete", { op: "items.delete", name: `item-${i - 1}` });
          expected.push(`${i} item.deleted item-${i - 1}`);
        } else {
          await phone.call("items.put", { op: "items.put", name: `item-${i}`, type: "note", value: bytes(`v${i}`) });
          expected.push(`${i} item.put item-${i}`);
        }
      }

      // Act
      const caughtUp = await laptop.syncChanges();

      // Assess
      expect(caughtUp.events.map((e) => `${e.seq} ${e.kind} ${e.name}`)).toEqual(expected);
      expect((await laptop.syncChanges()).events).toEqual([]);
    } finally {
      await h.close();
    }
  });
});
