import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isLocalDevice, resolveTrust } from "../../../client/cli/trust-material";
import type { DeviceFile } from "../../../client/device";
import { type Manifest, manifestDigest, signManifest } from "../../../lib/manifest";
import { createSimulatedNsm, type DevReleaseKeys, devManifest, generateDevReleaseKeys } from "../../../local/nsm-sim";
import { writeDeviceDir } from "./device-dir";

describe("trust material of the vault commands", () => {
  const dir = mkdtempSync(join(tmpdir(), "vettid-trust-"));
  const paths = {
    devRoot: join(dir, "dev-root.pem"),
    manifest: join(dir, "pcr-manifest.json"),
    manifestKey: join(dir, "manifest-key.pub.json"),
    endpoints: join(dir, "endpoints.json"),
  };
  const api = "http://127.0.0.1:48123";
  let device: DeviceFile;
  let rootPem: string;
  let served: string;
  let older: string;
  let keys: DevReleaseKeys;
  let pcrs: Record<number, Uint8Array>;

  beforeAll(async () => {
    device = writeDeviceDir(join(dir, "device"), { api, servers: ["nats://127.0.0.1:48124"] }).device;
    const nsm = await createSimulatedNsm({ dev: true });
    keys = await generateDevReleaseKeys();
    pcrs = nsm.pcrs;
    rootPem = nsm.rootCertificatePem;
    const sign = (m: Manifest) => signManifest(m, keys.privateKeys);
    served = await sign(devManifest(nsm.pcrs, { serial: 7, previous: "7".repeat(96), id: "served", keys: keys.set }));
    older = await sign(devManifest(nsm.pcrs, { serial: 3, previous: "3".repeat(96), id: "file", keys: keys.set }));
    writeFileSync(paths.devRoot, rootPem);
    writeFileSync(paths.manifest, older);
    writeFileSync(paths.manifestKey, JSON.stringify(keys.set));
    writeFileSync(paths.endpoints, JSON.stringify({ rest: `${api}/`, ...paths }));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const env = () => ({ VETTID_ENDPOINTS: paths.endpoints });
  const serving = (text: string, urls: string[] = []) =>
    (async (url: string) => {
      urls.push(String(url));
      return new Response(text, { status: 200 });
    }) as typeof fetch;
  const down = (async () => {
    throw new Error("connect ECONNREFUSED");
  }) as typeof fetch;

  it("takes the dev root and manifest key of the local topology, and the manifest its edge serves", async () => {
    // Prepare
    const urls: string[] = [];

    // Act
    const trust = await resolveTrust({ device, flags: {}, env: env(), fetch: serving(served, urls) });

    // Assess
    expect(trust.trustedRoots).toEqual([rootPem]);
    expect(trust.rootSource).toBe(paths.devRoot);
    expect(trust.manifest.serial).toBe(7);
    expect(urls).toEqual([`${api}/v1/pcr-manifest`]);
    expect(trust.manifestSource).toBe(`${api}/v1/pcr-manifest`);
  });

  it("falls back to the launcher's manifest file when the local edge does not answer", async () => {
    // Act
    const trust = await resolveTrust({ device, flags: {}, env: env(), fetch: down });

    // Assess
    expect(trust.manifest.serial).toBe(3);
    expect(trust.manifestSource).toBe(paths.manifest);
  });

  it("refuses a manifest older than the one this device saw (MANIFEST_ROLLBACK)", async () => {
    // Act
    const attempt = resolveTrust({ device, flags: {}, env: env(), minSerial: 5, fetch: down });

    // Assess
    await expect(attempt).rejects.toMatchObject({ code: "MANIFEST_ROLLBACK" });
  });

  describe("refuses what release governance refuses", () => {
    const remote = () => ({
      ...device,
      api: "https://api.vettid.example",
      nats: { ...device.nats, servers: ["tls://n.vettid.example"] },
    });
    const now = new Date("2026-12-10T00:00:00Z");
    const governed = (overrides: Partial<Manifest> = {}): Manifest => ({
      ...devManifest(pcrs, {
        keys: keys.set,
        now: new Date("2026-11-28T00:00:00Z"),
        activationDelayMs: 7 * 86_400_000,
      }),
      ...overrides,
    });
    const attempt = (text: string, seen?: string) =>
      resolveTrust({
        device: remote(),
        flags: { manifestKey: paths.manifestKey },
        env: env(),
        fetch: serving(text),
        now,
        ...(seen ? { seen } : {}),
      });

    it("accepts a governed manifest and the next one extending it", async () => {
      const first = await signManifest(governed(), keys.privateKeys);
      const next = await signManifest(
        governed({ serial: 2, previous: manifestDigest(first), issued_at: "2026-11-29T00:00:00Z" }),
        keys.privateKeys,
      );
      await expect(attempt(first)).resolves.toMatchObject({ manifest: { serial: 1 }, manifestText: first });
      await expect(attempt(next, first)).resolves.toMatchObject({ manifest: { serial: 2 } });
    });

    it("a manifest signed by fewer than M keys (MANIFEST_THRESHOLD)", async () => {
      const text = await signManifest(governed(), keys.privateKeys[0]!);
      await expect(attempt(text)).rejects.toMatchObject({ code: "MANIFEST_THRESHOLD" });
    });

    it("a manifest that does not extend the one this device saw (MANIFEST_FORK)", async () => {
      const first = await signManifest(governed(), keys.privateKeys);
      const fork = await signManifest(
        governed({ serial: 2, previous: "0".repeat(96), issued_at: "2026-11-29T00:00:00Z" }),
        keys.privateKeys,
      );
      await expect(attempt(fork, first)).rejects.toMatchObject({ code: "MANIFEST_FORK" });
    });

    it("a release inside its activation delay, outside the local topology (MANIFEST_ACTIVATION_DELAY)", async () => {
      const early = await signManifest(
        devManifest(pcrs, { keys: keys.set, now: new Date("2026-12-01T00:00:00Z") }),
        keys.privateKeys,
      );
      await expect(attempt(early)).rejects.toMatchObject({ code: "MANIFEST_ACTIVATION_DELAY" });
    });

    it("catches up through the edge's ?serial=N history when several serials behind", async () => {
      const chain: string[] = [];
      for (let serial = 1; serial <= 4; serial++) {
        chain.push(
          await signManifest(
            governed({
              serial,
              previous: serial === 1 ? null : manifestDigest(chain[serial - 2]!),
              issued_at: `2026-11-2${8 + Math.min(serial, 1)}T0${serial}:00:00Z`,
            }),
            keys.privateKeys,
          ),
        );
      }
      const urls: string[] = [];
      const edge = (async (url: string) => {
        urls.push(String(url));
        const serial = /\?serial=(\d+)$/.exec(String(url))?.[1];
        return new Response(serial ? chain[Number(serial) - 1] : chain[3], { status: 200 });
      }) as typeof fetch;
      const trust = await resolveTrust({
        device: remote(),
        flags: { manifestKey: paths.manifestKey },
        env: env(),
        fetch: edge,
        now,
        seen: chain[0],
      });
      expect(trust.manifest.serial).toBe(4);
      expect(urls).toEqual([
        "https://api.vettid.example/v1/pcr-manifest",
        "https://api.vettid.example/v1/pcr-manifest?serial=2",
        "https://api.vettid.example/v1/pcr-manifest?serial=3",
      ]);
    });

    it("a recorded manifest (DIR/pcr-manifest.json) that was edited, refused with a line that says what to do", async () => {
      const first = await signManifest(governed(), keys.privateKeys);
      const envelope = JSON.parse(first) as { payload: string; signatures: unknown[] };
      const payload = JSON.parse(Buffer.from(envelope.payload, "base64url").toString()) as Manifest;
      const edited = JSON.stringify({
        ...envelope,
        payload: Buffer.from(JSON.stringify({ ...payload, keys: { ...payload.keys, threshold: 2 } }) + " ").toString(
          "base64url",
        ),
      });
      const next = await signManifest(
        governed({ serial: 2, previous: manifestDigest(first), issued_at: "2026-11-29T00:00:00Z" }),
        keys.privateKeys,
      );
      await expect(attempt(next, edited)).rejects.toMatchObject({
        code: "MANIFEST_INVALID",
        message: expect.stringMatching(/accepted last .* does not verify: .*delete it/),
      });
    });

    it("an expired manifest (MANIFEST_EXPIRED)", async () => {
      const text = await signManifest(governed({ expires_at: "2026-12-09T00:00:00Z" }), keys.privateKeys);
      await expect(attempt(text)).rejects.toMatchObject({ code: "MANIFEST_EXPIRED" });
    });
  });

  it("ignores the endpoints of another topology (another origin)", async () => {
    // Prepare
    const other = { ...device, api: "http://127.0.0.1:9" };

    // Act
    const attempt = resolveTrust({ device: other, flags: {}, env: env(), fetch: serving(served) });

    // Assess
    await expect(attempt).rejects.toThrow(/no manifest key for this local device/);
  });

  it("uses the pinned AWS root outside the local topology, with the given release key", async () => {
    // Prepare
    const remote = {
      ...device,
      api: "https://api.vettid.example",
      nats: { ...device.nats, servers: ["tls://n.vettid.example"] },
    };

    const governed = devManifest(pcrs, {
      keys: keys.set,
      now: new Date("2026-11-28T00:00:00Z"),
      activationDelayMs: 7 * 86_400_000,
    });
    const text = await signManifest(governed, keys.privateKeys);

    // Act
    const trust = await resolveTrust({
      device: remote,
      flags: { manifestKey: paths.manifestKey },
      env: env(),
      fetch: serving(text),
      now: new Date("2026-12-10T00:00:00Z"),
    });

    // Assess
    expect(trust.trustedRoots).toBeUndefined();
    expect(trust.rootSource).toBe("AWS Nitro root (pinned)");
  });

  it.each([
    [["http://127.0.0.1:1", "nats://127.0.0.1:2"], true],
    [["http://localhost:1", "[::1]:4222"], true],
    [["http://127.0.0.1:1", "nats://10.0.0.5:4222"], false],
    [["https://api.vettid.example", "nats://127.0.0.1:4222"], false],
    [["http://127.0.0.1.example.com", "nats://127.0.0.1:4222"], false],
  ])("counts %j as local: %s", (hosts, expected) => {
    const [apiUrl, ...servers] = hosts as string[];
    expect(isLocalDevice({ api: apiUrl as string, nats: { servers, expiresAt: "" } })).toBe(expected);
  });
});
