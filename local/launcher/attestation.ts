import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { JWK } from "jose";
import {
  decodeManifest,
  findRelease,
  type Manifest,
  manifestDigest,
  manifestHistoryKey,
  signManifest,
  verifyManifest,
} from "../../lib/manifest";
import {
  createSimulatedNsm,
  type DevCa,
  type DevReleaseKeys,
  devManifest,
  devReleaseKeysOf,
  generateDevReleaseKeys,
  loadOrCreateDevCa,
  type SimulatedNsm,
} from "../nsm-sim";

/** Where the dev attestation material lives under the state dir. */
export interface DevAttestationFiles {
  /** Dev root certificate of the simulated NSM (PEM): `--root`, the proxy's and KMS's trust anchor. */
  devRoot: string;
  /** The public release key set (JSON): `--manifest-key`, the proxy's `VETTID_MANIFEST_KEY_FILE`. */
  manifestKey: string;
  /** The two private dev release keys (a JSON array of JWKs, mode 0600). */
  manifestPrivateKey: string;
  /** The signed PCR manifest (general JWS JSON) served at GET /v1/pcr-manifest. */
  manifest: string;
}

/** The dev attestation root, the simulated NSM and a signed manifest approving its PCRs. */
export interface DevAttestation {
  ca: DevCa;
  /** The local enclave's simulated NSM (issued by `ca`; default runtime digest). */
  nsm: SimulatedNsm;
  /** The dev release keys (2 of 2) that sign the manifest. */
  releaseKeys: DevReleaseKeys;
  /** The signed manifest text (as written to {@link DevAttestationFiles.manifest}). */
  manifestText: string;
  files: DevAttestationFiles;
}

function loadOrCreateReleaseKeys(privatePath: string, publicPath: string): Promise<DevReleaseKeys> | DevReleaseKeys {
  if (existsSync(privatePath) && existsSync(publicPath)) {
    const privateKeys = JSON.parse(readFileSync(privatePath, "utf8")) as unknown;
    // A state dir from before release key sets holds one key object: replaced (dev keys only).
    if (Array.isArray(privateKeys) && privateKeys.length === 2) {
      const pairs = (privateKeys as JWK[]).map((privateKey) => {
        const { d: _d, ...publicKey } = privateKey;
        return { privateKey, publicKey, kid: String(privateKey.kid) };
      });
      return devReleaseKeysOf(pairs);
    }
  }
  return generateDevReleaseKeys().then((keys) => {
    writeFileSync(privatePath, `${JSON.stringify(keys.privateKeys, null, 2)}\n`, { mode: 0o600 });
    writeFileSync(publicPath, `${JSON.stringify(keys.set, null, 2)}\n`);
    return keys;
  });
}

/** Sign the next manifest before the current one has less than this left. */
const DEV_MANIFEST_RENEW_MS = 24 * 60 * 60 * 1000;

/**
 * The manifest the local topology serves, kept append-only like a real one: the one on
 * disk while it verifies, approves `nsm`'s PCRs and has a day left; else the next serial
 * extending it (or serial 1 when there is none under these keys), so a device that saw
 * an earlier one keeps accepting the log.
 */
async function currentDevManifest(file: string, keys: DevReleaseKeys, nsm: SimulatedNsm, now: Date): Promise<string> {
  const existing = existsSync(file) ? readFileSync(file, "utf8") : undefined;
  let previous: { text: string; manifest: Manifest } | undefined;
  if (existing !== undefined) {
    try {
      const manifest = await verifyManifest(existing, { keys: keys.set, now, activationDelayMs: 0 });
      previous = { text: existing, manifest };
    } catch {
      previous = undefined; // another key set, an older format or expired: start a new dev log
    }
  }
  if (
    previous &&
    Date.parse(previous.manifest.expires_at) - now.getTime() > DEV_MANIFEST_RENEW_MS &&
    findRelease(previous.manifest, nsm.pcrs, now)
  ) {
    return previous.text;
  }
  const next = devManifest(nsm.pcrs, {
    id: `local-dev-${(previous?.manifest.serial ?? 0) + 1}`,
    keys: keys.set,
    serial: (previous?.manifest.serial ?? 0) + 1,
    previous: previous ? manifestDigest(previous.text) : null,
    now,
    // A new release of the log may not be approved before the manifest it extends was issued.
    ...(previous
      ? { approvedAt: new Date(Math.max(now.getTime() - 60_000, Date.parse(previous.manifest.issued_at))) }
      : {}),
  });
  return signManifest(next, keys.privateKeys);
}

/**
 * DEV ONLY. Loads (or creates on first use) the dev attestation CA and the two dev
 * release keys (a 2-of-2 key set) under `dir`, creates the simulated NSM under that
 * CA, and keeps a manifest approving its PCR0-2 (activation delay 0: dev only), each
 * serial also kept in `dir/manifests/` as the history. Keys and the manifest log
 * persist across runs, so a device that pinned them keeps working.
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
  const releaseKeys = await loadOrCreateReleaseKeys(files.manifestPrivateKey, files.manifestKey);
  const manifestText = await currentDevManifest(files.manifest, releaseKeys, nsm, new Date());
  const published = manifestText.endsWith("\n") ? manifestText : `${manifestText}\n`;
  writeFileSync(files.manifest, published);
  // the append-only history beside it, which the edge serves at ?serial=N
  const historyFile = join(dir, manifestHistoryKey(decodeManifest(manifestText).manifest.serial));
  mkdirSync(join(historyFile, ".."), { recursive: true });
  writeFileSync(historyFile, published);
  return { ca, nsm, releaseKeys, manifestText, files };
}
