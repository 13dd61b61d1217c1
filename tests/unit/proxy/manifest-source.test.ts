import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateManifestKeyPair, type Manifest, signManifest } from "../../../lib/manifest";
import { manifestSource } from "../../../vsock-proxy/manifest-source";

function manifest(serial: number): Manifest {
  return {
    schema: "vettid.pcr-manifest/v1",
    serial,
    issued_at: new Date().toISOString(),
    releases: [
      {
        id: `r${serial}`,
        pcr0: "a".repeat(96),
        pcr1: "b".repeat(96),
        pcr2: "c".repeat(96),
        status: "active",
        valid_from: "2026-01-01T00:00:00Z",
        valid_until: null,
        build: { commit: "0".repeat(40), bundle_sha384: "0".repeat(96) },
      },
    ],
  };
}

describe("manifest source", () => {
  it("re-reads a file each time, and keeps the newer manifest when an older serial appears", async () => {
    const keys = await generateManifestKeyPair();
    const file = join(mkdtempSync(join(tmpdir(), "ms-")), "m.json");
    const load = manifestSource({ file }, keys.publicKey);
    writeFileSync(file, await signManifest(manifest(2), keys.privateKey));
    expect((await load()).serial).toBe(2);
    writeFileSync(file, await signManifest(manifest(3), keys.privateKey));
    expect((await load()).serial).toBe(3);
    writeFileSync(file, await signManifest(manifest(1), keys.privateKey)); // a rollback attempt
    expect((await load()).serial).toBe(3);
  });

  it("refuses a manifest signed by another key", async () => {
    const keys = await generateManifestKeyPair();
    const other = await generateManifestKeyPair();
    const file = join(mkdtempSync(join(tmpdir(), "ms-")), "m.json");
    writeFileSync(file, await signManifest(manifest(1), other.privateKey));
    await expect(manifestSource({ file }, keys.publicKey)()).rejects.toMatchObject({ code: "MANIFEST_INVALID" });
  });

  it("fetches a URL at most once a minute", async () => {
    const keys = await generateManifestKeyPair();
    const text = await signManifest(manifest(5), keys.privateKey);
    let fetches = 0;
    const server = createServer((_req, res) => {
      fetches += 1;
      res.end(text);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
    let now = 0;
    const load = manifestSource(
      { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/m.json` },
      keys.publicKey,
      () => now,
    );
    try {
      expect((await load()).serial).toBe(5);
      now = 30_000;
      await load();
      expect(fetches).toBe(1);
      now = 61_000;
      await load();
      expect(fetches).toBe(2);
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });
});
