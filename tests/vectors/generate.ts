/**
 * Regenerates the shared test vectors in this folder from the reference
 * implementation in lib/. Run with `npx tsx tests/vectors/generate.ts` only when the
 * wire format changes on purpose (and bump its version); tests/unit/lib/vectors.test.ts
 * fails whenever lib/ and the committed vectors disagree.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { sodiumReady } from "../../lib/crypto";
import {
  associatedData,
  deriveSessionKeys,
  envelopeDigest,
  PADDING_BUCKETS,
  padInner,
  parseEnvelopeHeader,
  sealEnvelope,
} from "../../lib/envelope";
import { encodeFrame, type Frame } from "../../lib/frames";
import { auditVectors } from "./generate-audit";
import { handshakeVectors } from "./generate-handshake";
import { pairingVectors } from "./generate-pairing";
import { recoveryVectors } from "./generate-recovery";
import { syncVectors } from "./generate-sync";
import { vaultProtocolVectors } from "./generate-vault-protocol";

const hex = (b: Uint8Array | number[]) => Buffer.from(b).toString("hex");
const filled = (n: number, byte: number) => new Uint8Array(n).fill(byte);

async function main(): Promise<void> {
  const s = await sodiumReady();
  const deviceKx = s.crypto_kx_seed_keypair(filled(32, 0x01));
  const enclaveKx = s.crypto_kx_seed_keypair(filled(32, 0x02));
  const sessionId = "0f8b7c5e-2b1e-4b8f-9a6c-3d2e1f0a9b8c";
  const deviceKeys = deriveSessionKeys("device", deviceKx, enclaveKx.publicKey, sessionId);
  const context = { vaultId: "vlt_7Q2W4E6R8T", deviceId: "dev_A1B2C3D4", sessionId };

  type Case =
    | { direction: "device-to-enclave"; counter: number; op: string; plaintext: string; nonceByte: number }
    | {
        direction: "enclave-to-device";
        counter: number;
        op: string;
        plaintext: string;
        nonceByte: number;
        answersCase: number;
      };
  const cases: Case[] = [
    {
      direction: "device-to-enclave",
      counter: 0,
      op: "vault.unlock",
      plaintext: '{"pin":"4321"}',
      nonceByte: 0x10,
    },
    {
      direction: "enclave-to-device",
      counter: 0,
      op: "vault.unlock",
      plaintext: '{"ok":true}',
      nonceByte: 0x11,
      answersCase: 0,
    },
    { direction: "device-to-enclave", counter: 1, op: "items.put", plaintext: "", nonceByte: 0x12 },
    {
      direction: "device-to-enclave",
      counter: 4_294_967_297,
      op: "items.get",
      plaintext: "ünïcødé ✓",
      nonceByte: 0x13,
    },
    {
      direction: "enclave-to-device",
      counter: 4_294_967_296,
      op: "items.get",
      plaintext: `{"value":"${"v".repeat(400)}"}`,
      nonceByte: 0x14,
      answersCase: 3,
    },
  ];
  const envelopeVectors = {
    description:
      "VettID sealed envelope v2 (docs/protocol.md §Sealed envelopes). Session keys: crypto_kx (device = client) " +
      "then BLAKE2b-256(key = kx key, message = 'VETTID-SESSION-1|' + sessionId). Envelope: header | nonce(24) | " +
      "XChaCha20-Poly1305-IETF(inner, AD), header = version(2) | direction | u64 counter [| u64 requestCounter], " +
      "inner = opLength | op | u32 bodyLength | body | zeros up to the bucket, AD = 'VETTID-ENV-2' | lp16(vaultId) | " +
      "lp16(deviceId) | lp16(sessionId) | header [| BLAKE2b-256(request envelope)]. Answers name the request they " +
      "answer by its case index (answersCase).",
    device: { kxSeed: hex(filled(32, 0x01)), publicKey: hex(deviceKx.publicKey), privateKey: hex(deviceKx.privateKey) },
    enclave: {
      kxSeed: hex(filled(32, 0x02)),
      publicKey: hex(enclaveKx.publicKey),
      privateKey: hex(enclaveKx.privateKey),
    },
    context,
    sessionKeys: { deviceToEnclave: hex(deviceKeys.tx), enclaveToDevice: hex(deviceKeys.rx) },
    paddingBuckets: [...PADDING_BUCKETS],
    cases: [] as Record<string, unknown>[],
  };
  const sealedCases: Uint8Array[] = [];
  for (const c of cases) {
    const nonce = filled(24, c.nonceByte);
    const plaintext = s.from_string(c.plaintext);
    const common = { context, counter: c.counter, op: c.op, plaintext, nonce };
    let envelope: Uint8Array;
    let request: { counter: number; digest: Uint8Array } | undefined;
    if (c.direction === "device-to-enclave") {
      envelope = sealEnvelope({ ...common, key: deviceKeys.tx, direction: c.direction });
    } else {
      const answered = cases[c.answersCase];
      const answeredEnvelope = sealedCases[c.answersCase];
      if (!answered || !answeredEnvelope) throw new Error("an answer must follow its request");
      request = { counter: answered.counter, digest: envelopeDigest(answeredEnvelope) };
      envelope = sealEnvelope({ ...common, key: deviceKeys.rx, direction: c.direction, request });
    }
    sealedCases.push(envelope);
    const header = parseEnvelopeHeader(envelope);
    envelopeVectors.cases.push({
      direction: c.direction,
      counter: c.counter,
      ...(c.direction === "enclave-to-device"
        ? { answersCase: c.answersCase, requestCounter: request?.counter, requestDigest: hex(request?.digest ?? []) }
        : {}),
      op: c.op,
      plaintextUtf8: c.plaintext,
      nonce: hex(nonce),
      header: hex(envelope.subarray(0, header.headerLength)),
      inner: hex(padInner(c.op, plaintext)),
      associatedData: hex(associatedData(context, envelope.subarray(0, header.headerLength), request?.digest)),
      envelope: hex(envelope),
    });
  }

  // one line for the list of buckets, as the repository's formatter (biome) writes it
  const envelopeJson = JSON.stringify(envelopeVectors, null, 2).replace(
    /"paddingBuckets": \[[^\]]*\]/,
    `"paddingBuckets": ${JSON.stringify(envelopeVectors.paddingBuckets).replaceAll(",", ", ")}`,
  );
  writeFileSync(join(__dirname, "envelope-v2.json"), `${envelopeJson}\n`);

  const frameCases: Omit<Frame, "version">[] = [
    { channel: "health", id: 0, type: "ping", body: null },
    {
      channel: "nats",
      id: 42,
      type: "publish",
      body: { subject: "vettid.v1.vault.vlt_1.req", data: Buffer.from("hi") },
    },
    {
      channel: "tunnel",
      id: 4_294_967_295,
      type: "error",
      body: { code: "UNAVAILABLE", message: "upstream down", retryable: true },
    },
  ];
  const frameVectors = {
    description:
      "VettID frame v1 (docs/protocol.md §Frames): u32 big-endian body length, then the CBOR array " +
      '[version, channel, id, type, body]. Bodies below are given as JSON with byte strings as {"$bytes": hex}.',
    cases: frameCases.map((f) => ({
      frame: JSON.parse(
        JSON.stringify(f, (_k, v) => (v?.type === "Buffer" ? { $bytes: Buffer.from(v.data).toString("hex") } : v)),
      ),
      encoded: hex(encodeFrame(f)),
    })),
  };

  writeFileSync(join(__dirname, "frames-v1.json"), `${JSON.stringify(frameVectors, null, 2)}\n`);

  const handshake = await handshakeVectors();
  writeFileSync(join(__dirname, "handshake-v1.json"), `${JSON.stringify(handshake, null, 2)}\n`);

  // The vault protocol's messages carry the handshake messages and envelopes above.
  const vaultProtocol = await vaultProtocolVectors({ handshake, envelope: envelopeVectors });
  writeFileSync(join(__dirname, "vault-protocol-v1.json"), `${JSON.stringify(vaultProtocol, null, 2)}\n`);

  const audit = await auditVectors();
  writeFileSync(join(__dirname, "audit-log-v1.json"), `${JSON.stringify(audit, null, 2)}\n`);

  const pairing = await pairingVectors();
  writeFileSync(join(__dirname, "pairing-v1.json"), `${JSON.stringify(pairing, null, 2)}\n`);

  const recovery = await recoveryVectors();
  writeFileSync(join(__dirname, "recovery-v1.json"), `${JSON.stringify(recovery, null, 2)}\n`);

  const sync = await syncVectors();
  writeFileSync(join(__dirname, "sync-v1.json"), `${JSON.stringify(sync, null, 2)}\n`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
