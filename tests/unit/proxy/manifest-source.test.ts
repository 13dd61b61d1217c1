import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer, type RequestListener } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Manifest, manifestDigest, signManifest } from "../../../lib/manifest";
import { manifestSource } from "../../../vsock-proxy/manifest-source";
import { manifest, type ReleaseKeys, release, releaseKeys } from "../manifest/fixtures";

const at = Date.parse("2026-12-10T00:00:00Z");
const approved = () => [release({ approved_at: "2026-11-21T00:00:00Z", activates_at: "2026-11-28T00:00:00Z" })];

/** A CDN stand-in on loopback answering with `handler`; `url` is the current manifest's. */
async function cdn(handler: RequestListener): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/vettid/pcr-manifest.json`,
    async close() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

describe("manifest source", () => {
  let k: ReleaseKeys;
  let texts: string[];
  beforeAll(async () => {
    k = await releaseKeys();
    texts = [];
    for (let serial = 1; serial <= 4; serial += 1) {
      const m: Manifest = manifest(k.set, {
        serial,
        previous: serial === 1 ? null : manifestDigest(texts[serial - 2]!),
        issued_at: `2026-11-2${serial}T00:00:00Z`,
        releases: approved(),
      });
      texts.push(await signManifest(m, [k.a.privateKey, k.b.privateKey]));
    }
  });

  function fileSource() {
    const file = join(mkdtempSync(join(tmpdir(), "ms-")), "m.json");
    return { file, load: manifestSource({ file }, k.set, () => at) };
  }

  it("re-reads a file each time, and keeps the newer manifest when an older serial appears", async () => {
    const { file, load } = fileSource();
    writeFileSync(file, texts[1]!);
    expect((await load()).serial).toBe(2);
    writeFileSync(file, texts[2]!);
    expect((await load()).serial).toBe(3);
    writeFileSync(file, texts[0]!); // a rollback attempt
    expect((await load()).serial).toBe(3);
  });

  it("refuses a manifest signed by fewer than M keys, and keeps the last one instead", async () => {
    const { file, load } = fileSource();
    writeFileSync(file, await signManifest(manifest(k.set), k.a.privateKey));
    await expect(load()).rejects.toMatchObject({ code: "MANIFEST_THRESHOLD" });
    writeFileSync(file, texts[0]!);
    expect((await load()).serial).toBe(1);
    const lone = manifest(k.set, {
      serial: 2,
      previous: manifestDigest(texts[0]!),
      issued_at: "2026-11-22T00:00:00Z",
      releases: approved(),
    });
    writeFileSync(file, await signManifest(lone, k.c.privateKey));
    expect((await load()).serial).toBe(1);
  });

  it("refuses a manifest that does not extend the one it accepted", async () => {
    const { file, load } = fileSource();
    writeFileSync(file, texts[0]!);
    await load();
    const forked = manifest(k.set, {
      serial: 2,
      previous: "0".repeat(96),
      issued_at: "2026-11-22T00:00:00Z",
      releases: approved(),
    });
    writeFileSync(file, await signManifest(forked, [k.a.privateKey, k.b.privateKey]));
    expect((await load()).serial).toBe(1);
    writeFileSync(file, texts[1]!);
    expect((await load()).serial).toBe(2);
  });

  it("refuses a release inside its activation delay and an expired manifest", async () => {
    const early = manifest(k.set, { releases: [release({ activates_at: "2026-11-29T00:00:00Z" })] });
    const expired = manifest(k.set, { expires_at: "2026-12-01T00:00:00Z" });
    for (const [m, code] of [
      [early, "MANIFEST_ACTIVATION_DELAY"],
      [expired, "MANIFEST_EXPIRED"],
    ] as const) {
      const { file, load } = fileSource();
      writeFileSync(file, await signManifest(m, [k.a.privateKey, k.b.privateKey]));
      await expect(load()).rejects.toMatchObject({ code });
    }
  });

  it("refuses, from its first load, a manifest older than the serial the stacks deployed", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "ms-")), "m.json");
    writeFileSync(file, texts[1]!);
    const load = manifestSource({ file }, k.set, () => at, { minSerial: 3 });
    await expect(load()).rejects.toMatchObject({ code: "MANIFEST_ROLLBACK" });
    writeFileSync(file, texts[2]!);
    expect((await load()).serial).toBe(3);
  });

  it("starts after a key set rotation it did not see, catching up from the serial the stacks deployed", async () => {
    const next = await releaseKeys(["aws:333333333333", "aws:444444444444", "offline:hsm-2"]);
    const rotation = await signManifest(
      manifest(next.set, {
        serial: 5,
        previous: manifestDigest(texts[3]!),
        issued_at: "2026-11-26T00:00:00Z",
        releases: approved(),
      }),
      [k.a.privateKey, k.b.privateKey, next.a.privateKey, next.b.privateKey],
    );
    const current = await signManifest(
      manifest(next.set, {
        serial: 6,
        previous: manifestDigest(rotation),
        issued_at: "2026-11-27T00:00:00Z",
        releases: approved(),
      }),
      [next.a.privateKey, next.b.privateKey],
    );
    const published = [...texts, rotation];
    const { url, close } = await cdn((req, res) => {
      const serial = /^\/manifests\/(\d{8})\.json$/.exec(req.url ?? "")?.[1];
      res.end(serial ? published[Number(serial) - 1] : current);
    });
    try {
      // the host was deployed with serial 4 and its key set; serial 6 is signed by the next set only
      await expect(manifestSource({ url }, k.set, () => at)()).rejects.toMatchObject({ code: "MANIFEST_THRESHOLD" });
      const load = manifestSource({ url }, k.set, () => at, { minSerial: 4 });
      await expect(load()).resolves.toMatchObject({ serial: 6, keys: next.set });
    } finally {
      await close();
    }
  });

  it("tries a failed refresh again only after the interval, serving the last manifest meanwhile", async () => {
    let failing = false;
    let fetches = 0;
    const { url, close } = await cdn((_req, res) => {
      fetches += 1;
      if (failing) {
        res.statusCode = 503;
        res.end();
      } else res.end(texts[0]);
    });
    let now = at;
    const load = manifestSource({ url }, k.set, () => now);
    try {
      expect((await load()).serial).toBe(1);
      failing = true;
      now += 61_000;
      expect((await load()).serial).toBe(1); // refresh failed: the last one
      now += 1_000;
      expect((await load()).serial).toBe(1); // not fetched again yet
      expect(fetches).toBe(2);
      now += 60_000;
      await load();
      expect(fetches).toBe(3);
    } finally {
      await close();
    }
  });

  it("fetches a URL at most once a minute, and fills a gap from the history", async () => {
    let current = texts[0]!;
    const fetched: string[] = [];
    const { url, close } = await cdn((req, res) => {
      fetched.push(req.url ?? "");
      const serial = /^\/manifests\/(\d{8})\.json$/.exec(req.url ?? "")?.[1];
      res.end(serial ? texts[Number(serial) - 1] : current);
    });
    let now = at;
    const load = manifestSource({ url }, k.set, () => now);
    try {
      expect((await load()).serial).toBe(1);
      now += 30_000;
      await load();
      expect(fetched).toHaveLength(1);
      current = texts[3]!;
      now += 31_000;
      expect((await load()).serial).toBe(4);
      expect(fetched.slice(1)).toEqual([
        "/.well-known/vettid/pcr-manifest.json",
        "/manifests/00000002.json",
        "/manifests/00000003.json",
      ]);
    } finally {
      await close();
    }
  });
});
