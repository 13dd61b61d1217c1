/**
 * The enclave image as built: the runtime's image context (`npm run build:enclave`)
 * runs from a directory with no node_modules anywhere above it, loads the NSM binding
 * (koffi and its addon) and the vsock transport, and fails only because this machine
 * is not an enclave. The Dockerfile copies exactly the listed files.
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { buildEnclaveBundle, FILE_LIST, KOFFI_ADDON, REPO_ROOT } from "../../../ami/build-enclave-bundle";

const DOCKERFILE = join(REPO_ROOT, "ami/enclave/Dockerfile");
const BRIDGE_LIST = join(REPO_ROOT, "ami/enclave/vsock-bridge.sha256");

/** `sha256sum` lines → [{ sha256, path }]. */
function parseList(text: string): { sha256: string; path: string }[] {
  return text
    .trim()
    .split("\n")
    .map((line) => {
      const match = /^([0-9a-f]{64}) {2}(\S+)$/.exec(line);
      if (!match) throw new Error(`not a sha256sum line: ${line}`);
      return { sha256: match[1] as string, path: match[2] as string };
    });
}

/** Every directory from `dir` up to the root. */
function ancestors(dir: string): string[] {
  const out = [dir];
  while (dirname(out[out.length - 1] as string) !== out[out.length - 1])
    out.push(dirname(out[out.length - 1] as string));
  return out;
}

/** A dev measured configuration like the one an image carries (its values are not used here). */
const DEV_MEASURED_CONFIG = {
  environment: "dev",
  kms: {
    region: "eu-central-1",
    endpointName: "kms.eu-central-1.amazonaws.com",
    keyArn: "arn:aws:kms:eu-central-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
  },
  trustRoots: "public",
  manifestKey: { kty: "OKP", crv: "Ed25519", x: "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo" },
};

describe("enclave image context", () => {
  const built = mkdtempSync(join(tmpdir(), "vettid-context-"));
  const image = mkdtempSync(join(tmpdir(), "vettid-image-"));
  let listed: { sha256: string; path: string }[] = [];

  beforeAll(async () => {
    // Prepare: build the context, then copy only the listed files, as the Dockerfile does, outside the repository.
    await buildEnclaveBundle(REPO_ROOT, built);
    listed = parseList(readFileSync(join(built, FILE_LIST), "utf8"));
    for (const file of listed) {
      mkdirSync(dirname(join(image, "app", file.path)), { recursive: true });
      copyFileSync(join(built, file.path), join(image, "app", file.path));
    }
    writeFileSync(join(image, "runtime-config.json"), JSON.stringify(DEV_MEASURED_CONFIG));
  });
  afterAll(() => {
    for (const d of [built, image]) rmSync(d, { recursive: true, force: true });
  });

  const run = () =>
    spawnSync(process.execPath, [join(image, "app", "vault-runtime.js")], {
      cwd: image,
      encoding: "utf8",
      env: {
        PATH: process.env.PATH ?? "",
        VETTID_ENV: "dev",
        VETTID_RUNTIME_CONFIG: join(image, "runtime-config.json"),
      },
    });

  it("lists the bundle and koffi's addon with their SHA-256, and nothing else", () => {
    expect(listed.map((f) => f.path)).toEqual(["native/koffi-linux-x64.node", "vault-runtime.js"]);
    for (const file of listed) {
      expect(
        createHash("sha256")
          .update(readFileSync(join(built, file.path)))
          .digest("hex"),
      ).toBe(file.sha256);
    }
    const addon = readFileSync(join(REPO_ROOT, KOFFI_ADDON.source));
    expect(readFileSync(join(built, KOFFI_ADDON.target)).equals(addon)).toBe(true);
  });

  it("runs with no node_modules reachable and fails only for want of /dev/nsm", () => {
    // Prepare: nothing that Node's module resolution could fall back on.
    expect(ancestors(join(image, "app")).filter((dir) => existsSync(join(dir, "node_modules")))).toEqual([]);
    expect(existsSync("/dev/nsm")).toBe(false);

    // Act
    const result = run();

    // Assess
    expect(result.stderr).not.toMatch(/Cannot find|MODULE_NOT_FOUND|did you bundle it correctly/);
    expect(result.status).toBe(69);
    const environment = result.stderr.split("\n").filter((line) => line.startsWith("environment: "));
    expect(environment).toEqual([
      "environment: NSM: NSM device /dev/nsm not found: the production NSM only exists inside a Nitro Enclave",
      "environment: proxy link: not inside a Nitro Enclave (no /dev/nsm): the vsock transport opens AF_VSOCK only inside an enclave",
    ]);
  });

  it("fails on the missing addon when koffi's file is not beside the bundle (the layout is what makes it load)", () => {
    // Prepare
    const addon = join(image, "app", KOFFI_ADDON.target);
    const saved = readFileSync(addon);
    rmSync(addon);

    // Act
    const result = run();
    writeFileSync(addon, saved);

    // Assess
    expect(result.status).not.toBe(0);
    expect(result.status).not.toBe(69);
    expect(result.stderr).toContain("Cannot find the native Koffi module");
  });

  it("the Dockerfile copies exactly the listed files and the checked vsock bridge into the image", () => {
    // Prepare
    const dockerfile = readFileSync(DOCKERFILE, "utf8");
    const finalStage = dockerfile.slice(dockerfile.lastIndexOf("\nFROM "));
    const copies = [...finalStage.matchAll(/^COPY (?:--chmod=\d+ )?(\S+) (\S+)$/gm)].map((m) => [m[1], m[2]]);
    const bridge = parseList(readFileSync(BRIDGE_LIST, "utf8"));

    // Assess: sources are the context's top-level entries; nothing comes from another stage.
    expect(finalStage).not.toMatch(/COPY --from/);
    expect(copies).toEqual([
      ["vault-runtime.js", "/app/vault-runtime.js"],
      ["runtime-config.json", "/app/runtime-config.json"],
      ["native/", "/app/native/"],
      ["vsock-bridge/", "/opt/vsock-bridge/"],
    ]);
    const sources = new Set([...listed, ...bridge].map((f) => f.path.split("/")[0]));
    expect([...sources, "runtime-config.json"].sort()).toEqual([
      "native",
      "runtime-config.json",
      "vault-runtime.js",
      "vsock-bridge",
    ]);
    // The bridge is socat, its loader and the libraries it loads, as the vsock transport starts it.
    expect(bridge.map((f) => f.path)).toContain("vsock-bridge/bin/socat");
    expect(bridge.map((f) => f.path)).toContain("vsock-bridge/lib/ld-linux-x86-64.so.2");
    expect(bridge.every((f) => /^vsock-bridge\/(bin\/socat|lib\/[A-Za-z0-9_.+-]+\.so\.\d+)$/.test(f.path))).toBe(true);
  });
});
