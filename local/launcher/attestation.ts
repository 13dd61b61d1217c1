import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { JWK } from "jose";
import { generateManifestKeyPair, type ManifestKeyPair, signManifest } from "../../lib/manifest";
import { createSimulatedNsm, type DevCa, devManifest, loadOrCreateDevCa, type SimulatedNsm } from "../nsm-sim";

/** Where the dev attestation material lives under the state dir. */
export interface DevAttestationFiles {
  /** Dev root certificate of the simulated NSM (PEM): `--root`, the proxy's and KMS's trust anchor. */
  devRoot: string;
  /** Public manifest signing key (JWK JSON): `--manifest-key`, the proxy's `VETTID_MANIFEST_KEY_FILE`. */
  manifestKey: string;
  /** Private manifest signing key (JWK JSON, mode 0600). */
  manifestPrivateKey: string;
  /** The signed PCR manifest (flattened JWS JSON) served at GET /v1/pcr-manifest. */
  manifest: string;
}

/** The dev attestation root, the simulated NSM and a signed manifest approving its PCRs. */
export interface DevAttestation {
  ca: DevCa;
  /** The local enclave's simulated NSM (issued by `ca`; default runtime digest). */
  nsm: SimulatedNsm;
  manifestKey: ManifestKeyPair;
  /** The signed manifest text (as written to {@link DevAttestationFiles.manifest}). */
  manifestText: string;
  files: DevAttestationFiles;
}

function loadOrCreateManifestKey(privatePath: string, publicPath: string): Promise<ManifestKeyPair> | ManifestKeyPair {
  if (existsSync(privatePath) && existsSync(publicPath)) {
    const privateKey = JSON.parse(readFileSync(privatePath, "utf8")) as JWK;
    const publicKey = JSON.parse(readFileSync(publicPath, "utf8")) as JWK;
    return { privateKey, publicKey, kid: String(publicKey.kid) };
  }
  return generateManifestKeyPair().then((keys) => {
    writeFileSync(privatePath, `${JSON.stringify(keys.privateKey, null, 2)}\n`, { mode: 0o600 });
    writeFileSync(publicPath, `${JSON.stringify(keys.publicKey, null, 2)}\n`);
    return keys;
  });
}

/**
 * DEV ONLY. Loads (or creates on first use) the dev attestation CA and the dev
 * manifest signing key under `dir`, creates the simulated NSM under that CA, and
 * signs a fresh one-release manifest approving its PCR0-2. Keys persist across runs,
 * so a device that pinned them keeps working; the manifest is re-signed on every start.
 */
export async function prepareDevAttestation(dir: string): Promise<DevAttestation> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const files: DevAttestationFiles = {
    devRoot: join(dir, "dev-root.pem"),
    manifestKey: join(dir, "manifest-key.pub.json"),
    manifestPrivateKey: join(dir, "manifest-key.json"),
    manifest: join(dir, "pcr-manifest.json"),
  };
  const ca = await loadOrCreateDevCa(dir); // also writes dir/dev-root.pem
  const nsm = await createSimulatedNsm({ environment: "local", ca });
  const manifestKey = await loadOrCreateManifestKey(files.manifestPrivateKey, files.manifestKey);
  const manifestText = await signManifest(devManifest(nsm.pcrs, { id: "local-dev" }), manifestKey.privateKey);
  writeFileSync(files.manifest, manifestText.endsWith("\n") ? manifestText : `${manifestText}\n`);
  return { ca, nsm, manifestKey, manifestText, files };
}
