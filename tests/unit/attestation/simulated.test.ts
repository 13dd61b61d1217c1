import { createHash } from "node:crypto";
import { Decoder, Encoder } from "cbor-x";
import { verifyAttestation } from "../../../lib/attestation";
import type { Manifest } from "../../../lib/manifest";
import {
  createDevCa,
  createSimulatedNsm,
  LEAF_LIFETIME_MS,
  simulatedPcrs,
  UNSIGNED_DEV_KEY_SET,
} from "../../../local/nsm-sim";
import { rejection } from "./helpers";

const HOUR = 3600 * 1000;
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

describe("simulated NSM documents", () => {
  const runtimeDigest = new Uint8Array(createHash("sha384").update("vault-runtime.js").digest());
  const nonce = Uint8Array.from({ length: 32 }, (_, i) => i);
  let nsm: Awaited<ReturnType<typeof createSimulatedNsm>>;
  let doc: Uint8Array;
  let roots: string[];

  beforeAll(async () => {
    nsm = await createSimulatedNsm({ dev: true, runtimeDigest });
    doc = await nsm.attest({ nonce, userData: new Uint8Array(1024).fill(7), publicKey: new Uint8Array(1024).fill(9) });
    roots = [nsm.rootCertificatePem];
  });

  it("verify with the dev root passed explicitly and carry the caller's fields", async () => {
    // Act
    const att = await verifyAttestation(doc, { trustedRoots: roots, expectedNonce: nonce, maxAgeMs: 60_000 });
    // Assess
    expect(att.moduleId).toBe(nsm.moduleId);
    expect(att.nonce).toEqual(nonce);
    expect(att.userData).toHaveLength(1024);
    expect(att.publicKey).toHaveLength(1024);
    expect(hex(att.pcrs[0]!)).toBe(hex(simulatedPcrs(runtimeDigest)[0]!));
    expect(att.cabundle).toHaveLength(2);
  });

  it("are laid out exactly like AWS documents", () => {
    const decoder = new Decoder({ useRecords: false, mapsAsObjects: false });
    const [prot, unprot, payload] = decoder.decode(doc) as [Uint8Array, Map<unknown, unknown>, Uint8Array];
    expect(doc[0]).toBe(0x84); // untagged array of 4, as the NSM sends it
    expect(hex(prot)).toBe("a1013822"); // {1: -35}
    expect(unprot.size).toBe(0);
    const map = decoder.decode(payload) as Map<string, unknown>;
    expect([...map.keys()]).toEqual([
      "module_id",
      "digest",
      "timestamp",
      "pcrs",
      "certificate",
      "cabundle",
      "public_key",
      "user_data",
      "nonce",
    ]);
    expect(payload[0]).toBe(0xa9); // definite map of 9 entries
  });

  it("verify with the dev root given as DER, and refuse a verification time that is not a date", async () => {
    const { pemToDer } = await import("../../../lib/attestation");
    await expect(verifyAttestation(doc, { trustedRoots: [pemToDer(nsm.rootCertificatePem)] })).resolves.toBeDefined();
    const err = await rejection(() => verifyAttestation(doc, { trustedRoots: roots, time: new Date("nope") }));
    expect(err.code).toBe("ATTESTATION_INVALID");
  });

  it("are rejected without the dev root: the default trusts only the AWS root", async () => {
    const err = await rejection(() => verifyAttestation(doc));
    expect(err).toMatchObject({ code: "ATTESTATION_UNTRUSTED", reason: "untrusted_root" });
  });

  it("are rejected when the chain ends at another (dev) root", async () => {
    const other = await createDevCa();
    const err = await rejection(() => verifyAttestation(doc, { trustedRoots: [other.rootCertificatePem] }));
    expect(err).toMatchObject({ code: "ATTESTATION_UNTRUSTED", reason: "untrusted_root" });
  });

  it("are rejected one hour after the leaf certificate expired", async () => {
    const att = await verifyAttestation(doc, { trustedRoots: roots });
    const time = new Date(att.timestamp + LEAF_LIFETIME_MS + HOUR);
    const err = await rejection(() => verifyAttestation(doc, { trustedRoots: roots, time }));
    expect(err).toMatchObject({ code: "ATTESTATION_STALE", reason: "validity" });
  });

  it("accept a document carrying any one of several expected nonces, and refuse one carrying none of them", async () => {
    // Act
    const either = await verifyAttestation(doc, { trustedRoots: roots, expectedNonce: [new Uint8Array(32), nonce] });
    const neither = await rejection(() =>
      verifyAttestation(doc, { trustedRoots: roots, expectedNonce: [new Uint8Array(32), new Uint8Array(32).fill(1)] }),
    );
    const none = await rejection(() => verifyAttestation(doc, { trustedRoots: roots, expectedNonce: [] }));

    // Assess
    expect(either.nonce).toEqual(nonce);
    expect(neither).toMatchObject({ code: "ATTESTATION_STALE", reason: "nonce" });
    expect(none).toMatchObject({ code: "ATTESTATION_STALE", reason: "nonce" });
  });

  it("reject a wrong nonce and too old a document", async () => {
    const wrong = await rejection(() =>
      verifyAttestation(doc, { trustedRoots: roots, expectedNonce: new Uint8Array(32) }),
    );
    expect(wrong.reason).toBe("nonce");
    const att = await verifyAttestation(doc, { trustedRoots: roots });
    const old = await rejection(() =>
      verifyAttestation(doc, { trustedRoots: roots, maxAgeMs: 1000, time: new Date(att.timestamp + 5000) }),
    );
    expect(old.reason).toBe("age");
  });

  it("reject debug-mode (all-zero PCR0-2) documents unless allowDebug", async () => {
    const debug = await createSimulatedNsm({
      dev: true,
      pcrs: { 0: new Uint8Array(48), 1: new Uint8Array(48), 2: new Uint8Array(48) },
    });
    const d = await debug.attest({});
    const err = await rejection(() => verifyAttestation(d, { trustedRoots: [debug.rootCertificatePem] }));
    expect(err).toMatchObject({ code: "PCR_NOT_APPROVED", reason: "debug_mode" });
    await expect(
      verifyAttestation(d, { trustedRoots: [debug.rootCertificatePem], allowDebug: true }),
    ).resolves.toBeDefined();
  });

  it("check PCR0/1/2 against a manifest", async () => {
    const pcrs = simulatedPcrs(runtimeDigest);
    const release = {
      id: "2026.11.28-1",
      pcr0: hex(pcrs[0]!),
      pcr1: hex(pcrs[1]!),
      pcr2: hex(pcrs[2]!),
      status: "active" as const,
      approved_at: "2020-01-01T00:00:00Z",
      activates_at: "2020-01-08T00:00:00Z",
      valid_until: null,
      build: { commit: "a".repeat(40), bundle_sha384: hex(runtimeDigest) },
    };
    const manifest: Manifest = {
      schema: "vettid.pcr-manifest/v2",
      serial: 1,
      previous: null,
      issued_at: "2026-01-01T00:00:00Z",
      expires_at: "2100-01-01T00:00:00Z",
      keys: UNSIGNED_DEV_KEY_SET,
      releases: [release],
    };
    await expect(verifyAttestation(doc, { trustedRoots: roots, manifest })).resolves.toBeDefined();
    const retired: Manifest = { ...manifest, releases: [{ ...release, status: "retired" }] };
    const err = await rejection(() => verifyAttestation(doc, { trustedRoots: roots, manifest: retired }));
    expect(err).toMatchObject({ code: "PCR_NOT_APPROVED", reason: "manifest" });
    const other: Manifest = { ...manifest, releases: [{ ...release, pcr2: "0".repeat(96) }] };
    expect((await rejection(() => verifyAttestation(doc, { trustedRoots: roots, manifest: other }))).reason).toBe(
      "manifest",
    );
  });

  it("reject every single-byte change at every position, each with a clear reason", async () => {
    // Prepare: a small document keeps this exhaustive pass quick.
    const small = await nsm.attest({ nonce: Uint8Array.of(1, 2, 3) });
    await verifyAttestation(small, { trustedRoots: roots });
    const reasons = new Map<string, number>();
    // Act: three different changes per byte (low bit, high bit, all bits).
    for (let i = 0; i < small.length; i++) {
      for (const mask of [0x01, 0x80, 0xff]) {
        const mutated = small.slice();
        mutated[i]! ^= mask;
        const err = await rejection(() => verifyAttestation(mutated, { trustedRoots: roots }));
        // Assess
        expect(err.reason).not.toBe("");
        expect(err.message.length).toBeGreaterThan(10);
        reasons.set(err.reason, (reasons.get(err.reason) ?? 0) + 1);
      }
    }
    expect(reasons.get("cose_signature")).toBeGreaterThan(small.length);
  });

  it("refuse to run outside development", async () => {
    await expect(createSimulatedNsm({ environment: "prod", dev: true })).rejects.toThrow(/dev-only/);
    await expect(createSimulatedNsm({ environment: "staging" })).rejects.toThrow(/dev-only/);
    await expect(createSimulatedNsm({ environment: undefined })).rejects.toThrow(/dev-only/);
    await expect(createSimulatedNsm({ environment: "local" })).resolves.toBeDefined();
  });

  it("re-encoding with a different CBOR layout breaks the signature (the payload is signed as bytes)", async () => {
    const decoder = new Decoder({ useRecords: false, mapsAsObjects: false });
    const [prot, unprot, payload, sig] = decoder.decode(doc) as [
      Uint8Array,
      Map<unknown, unknown>,
      Uint8Array,
      Uint8Array,
    ];
    const map = decoder.decode(payload) as Map<string, unknown>;
    const reordered = new Map([...map.entries()].reverse());
    const enc = new Encoder({
      useRecords: false,
      tagUint8Array: false,
      variableMapSize: true,
      useTag259ForMaps: false,
    } as ConstructorParameters<typeof Encoder>[0]);
    const forged = enc.encode([prot, unprot, enc.encode(reordered), sig]);
    const err = await rejection(() => verifyAttestation(forged, { trustedRoots: roots }));
    expect(err.reason).toBe("cose_signature");
  });
});
