import { AWS_NITRO_ROOT_PEM, clearChainCache, verifyAttestation } from "../../../lib/attestation";
import { createDevCa } from "../../../local/nsm-sim";
import { GENUINE_FILES, genuine, rejection } from "./helpers";

const HOUR = 3600 * 1000;

describe.each(GENUINE_FILES)("genuine AWS document %s", (file) => {
  const fixture = genuine(file);

  it("verifies at its own timestamp against the pinned AWS root (the default)", async () => {
    // Act
    const att = await verifyAttestation(fixture.doc, { time: fixture.time });
    // Assess
    expect(att.moduleId).toMatch(/^i-[0-9a-f]{17}-enc[0-9a-f]{16}$/);
    expect(att.digest).toBe("SHA384");
    expect(att.timestamp).toBe(fixture.time.getTime());
    expect(Object.keys(att.pcrs)).toHaveLength(16);
    expect(att.pcrs[0]).toHaveLength(48);
    expect(att.cabundle).toHaveLength(4);
    expect(att.nonce).toHaveLength(12);
    expect(att.publicKey).toHaveLength(32);
    expect(att.userData?.length).toBeGreaterThan(200);
  });

  it("also verifies with the AWS root passed explicitly, and from a cold chain cache", async () => {
    clearChainCache();
    await expect(
      verifyAttestation(fixture.doc, { time: fixture.time, trustedRoots: [AWS_NITRO_ROOT_PEM] }),
    ).resolves.toBeDefined();
  });

  it("is rejected one hour after its leaf certificate expired", async () => {
    // Prepare: AWS leaves live 3 hours from about the document time.
    const att = await verifyAttestation(fixture.doc, { time: fixture.time });
    const { X509Certificate } = await import("node:crypto");
    const leafExpiry = Date.parse(new X509Certificate(att.certificate).validTo);
    // Act
    const err = await rejection(() => verifyAttestation(fixture.doc, { time: new Date(leafExpiry + HOUR) }));
    // Assess
    expect(err).toMatchObject({ code: "ATTESTATION_STALE", reason: "validity" });
    expect(err.message).toContain("leaf certificate expired");
  });

  it("is rejected when only another root is trusted", async () => {
    const other = await createDevCa();
    const err = await rejection(() =>
      verifyAttestation(fixture.doc, { time: fixture.time, trustedRoots: [other.rootCertificatePem] }),
    );
    expect(err).toMatchObject({ code: "ATTESTATION_UNTRUSTED", reason: "untrusted_root" });
  });

  it("is rejected today: its certificates have long expired (no silent acceptance of old documents)", async () => {
    const err = await rejection(() => verifyAttestation(fixture.doc));
    expect(err.code).toBe("ATTESTATION_STALE");
  });

  it("rejects a wrong expected nonce, and too old a document", async () => {
    const nonce = await rejection(() =>
      verifyAttestation(fixture.doc, { time: fixture.time, expectedNonce: new Uint8Array(12) }),
    );
    expect(nonce).toMatchObject({ code: "ATTESTATION_STALE", reason: "nonce" });
    const age = await rejection(() =>
      verifyAttestation(fixture.doc, { time: new Date(fixture.time.getTime() + 120_000), maxAgeMs: 60_000 }),
    );
    expect(age).toMatchObject({ code: "ATTESTATION_STALE", reason: "age" });
  });

  it("accepts its own nonce and the tagged (18) COSE_Sign1 form", async () => {
    const att = await verifyAttestation(fixture.doc, { time: fixture.time });
    const tagged = new Uint8Array(fixture.doc.length + 1);
    tagged[0] = 0xd2;
    tagged.set(fixture.doc, 1);
    await expect(verifyAttestation(tagged, { time: fixture.time, expectedNonce: att.nonce! })).resolves.toMatchObject({
      moduleId: att.moduleId,
    });
  });
});

describe("genuine AWS document from a debug-mode enclave (eternis-debug-2024-09-06.b64)", () => {
  const fixture = genuine("eternis-debug-2024-09-06.b64");

  it("is refused by default: PCR0-2 are all zero", async () => {
    const err = await rejection(() => verifyAttestation(fixture.doc, { time: fixture.time }));
    expect(err).toMatchObject({ code: "PCR_NOT_APPROVED", reason: "debug_mode" });
  });

  it("verifies (signature and chain) when the caller explicitly allows debug mode", async () => {
    const att = await verifyAttestation(fixture.doc, { time: fixture.time, allowDebug: true });
    expect(att.moduleId).toBe("i-0bbf1bfe232b8c2ce-enc0191ba35c9d1b77a");
    expect(att.pcrs[0]!.every((b) => b === 0)).toBe(true);
    expect(att.pcrs[3]!.some((b) => b !== 0)).toBe(true);
    expect(att.nonce).toHaveLength(20);
  });
});
