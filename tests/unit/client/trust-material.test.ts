import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isLocalDevice, resolveTrust } from "../../../client/cli/trust-material";
import type { DeviceFile } from "../../../client/device";
import { generateManifestKeyPair, signManifest } from "../../../lib/manifest";
import { createSimulatedNsm, devManifest } from "../../../local/nsm-sim";
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

  beforeAll(async () => {
    device = writeDeviceDir(join(dir, "device"), { api, servers: ["nats://127.0.0.1:48124"] }).device;
    const nsm = await createSimulatedNsm({ dev: true });
    const keys = await generateManifestKeyPair();
    rootPem = nsm.rootCertificatePem;
    served = await signManifest(devManifest(nsm.pcrs, { serial: 7, id: "served" }), keys.privateKey);
    older = await signManifest(devManifest(nsm.pcrs, { serial: 3, id: "file" }), keys.privateKey);
    writeFileSync(paths.devRoot, rootPem);
    writeFileSync(paths.manifest, older);
    writeFileSync(paths.manifestKey, JSON.stringify(keys.publicKey));
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

    // Act
    const trust = await resolveTrust({
      device: remote,
      flags: { manifestKey: paths.manifestKey },
      env: env(),
      fetch: serving(served),
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
