import { isIP } from "node:net";
import { isCertificatePem } from "../../lib/attestation";
import { VettidError } from "../../lib/errors";
import {
  checkRecordedManifest,
  type Manifest,
  manifestHistoryUrl,
  type ReleaseKeySet,
  readManifestBody,
  verifyManifestUpdate,
} from "../../lib/manifest";
import type { DeviceFile } from "../device";
import { UsageError } from "./command";
import { readInputText } from "./input-file";
import { readLocalEndpoints, sameOrigin } from "./local-endpoints";

/**
 * The release key set this client pins for production manifests (decision 0067). None
 * is published yet: until one is, a device outside the local topology must be given
 * `--manifest-key` (a key set file). After the set rotates, a client that pinned the
 * old one catches up through the published history, each rotation signed by the set
 * before it.
 */
export const BUILT_IN_RELEASE_KEY_SET: ReleaseKeySet | undefined = undefined;

/**
 * The lowest manifest serial this client accepts outside the local topology, raised
 * with every client release to the serial published when it was built: a new install,
 * which has seen no manifest yet, cannot be served an older one.
 */
export const BUILT_IN_MIN_MANIFEST_SERIAL = 1;

/** The trust options a vault command takes (`--root`, `--manifest`, `--manifest-key`). */
export interface TrustFlags {
  root?: string[] | undefined;
  manifest?: string | undefined;
  manifestKey?: string | undefined;
}

/** What a device checks the enclave's attestation against (DESIGN.md §3.3). */
export interface TrustMaterial {
  /** Roots to trust instead of the pinned AWS Nitro root; undefined means the AWS root. */
  trustedRoots: string[] | undefined;
  /** Where the roots came from, for reports: `AWS Nitro root (pinned)` or a file. */
  rootSource: string;
  /** The verified manifest. */
  manifest: Manifest;
  /** Its published text: what the device keeps as the manifest it saw last (DIR/pcr-manifest.json). */
  manifestText: string;
  /** Where the manifest came from (URL or file). */
  manifestSource: string;
}

/** Options of {@link resolveTrust}. */
export interface ResolveTrustOptions {
  device: DeviceFile;
  flags: TrustFlags;
  env: NodeJS.ProcessEnv;
  /** The highest manifest serial this device verified before (DIR/vault.json). */
  minSerial?: number | undefined;
  /** The manifest this device accepted last (DIR/pcr-manifest.json): the new one must be it or extend it. */
  seen?: string | undefined;
  /** Verification time (default now). */
  now?: Date | undefined;
  fetch?: typeof fetch;
}

/** Per manifest download; a manifest is at most 512 KiB (lib/manifest MAX_MANIFEST_BYTES). */
const MANIFEST_FETCH_TIMEOUT_MS = 15_000;

function isLoopbackHost(host: string): boolean {
  const name = host.replace(/^\[|\]$/g, "").toLowerCase();
  if (name === "localhost" || name.endsWith(".localhost")) return true;
  if (isIP(name) === 4) return name.startsWith("127.");
  return name === "::1";
}

function hostOf(server: string): string | undefined {
  try {
    return new URL(server.includes("://") ? server : `nats://${server}`).hostname;
  } catch {
    return undefined;
  }
}

/**
 * True when the device's edge and every NATS server are on loopback: the only place a
 * dev root may be trusted (a deployment is never reached through 127.0.0.0/8 or ::1).
 */
export function isLocalDevice(device: Pick<DeviceFile, "api" | "nats">): boolean {
  const hosts = [device.api, ...device.nats.servers].map(hostOf);
  return hosts.length > 1 && hosts.every((h) => h !== undefined && isLoopbackHost(h));
}

function readRoot(path: string): string {
  const pem = readInputText(path, "root certificate");
  if (!isCertificatePem(pem)) throw new UsageError(`${path} is not a PEM certificate`);
  return pem;
}

async function download(url: string, doFetch: typeof fetch): Promise<string> {
  let response: Response;
  try {
    response = await doFetch(url, {
      headers: { accept: "application/json" },
      signal: AbortSignal.timeout(MANIFEST_FETCH_TIMEOUT_MS),
    });
  } catch (err) {
    throw new VettidError("UNAVAILABLE", `cannot fetch the PCR manifest from ${url}: ${(err as Error).message}`);
  }
  if (!response.ok)
    throw new VettidError("UNAVAILABLE", `HTTP ${response.status} fetching the PCR manifest from ${url}`);
  return readManifestBody(response);
}

/**
 * Decides what the enclave's attestation is checked against, and verifies the
 * manifest as lib/manifest does (decision 0067): signatures of the release key set's
 * threshold from distinct owners, that it is the manifest this device saw (`seen`) or
 * extends it (fetching the history in between from the CDN when it is several serials
 * ahead), not older than `minSerial` nor {@link BUILT_IN_MIN_MANIFEST_SERIAL}, not
 * expired, and every release at least the 7-day activation delay after its approval:
 *
 * - against the local topology (a device on loopback whose edge is the one in
 *   `.vettid/local/endpoints.json`): its dev root and manifest key, and the manifest
 *   the edge serves (or the launcher's file when the edge does not answer);
 * - anywhere else: the pinned AWS Nitro root and the release key
 *   set built into the client (none yet, so `--manifest-key` is required), the manifest
 *   the edge serves. Only the local topology verifies with a zero activation delay.
 *
 * `--root`, `--manifest` and `--manifest-key` override; a `--root` (a dev root) is
 * refused for a device that is not on loopback.
 */
export async function resolveTrust(options: ResolveTrustOptions): Promise<TrustMaterial> {
  const { device, flags } = options;
  const local = isLocalDevice(device);
  const endpoints = local ? readLocalEndpoints(options.env) : undefined;
  const topology = endpoints?.rest && sameOrigin(endpoints.rest, device.api) ? endpoints : undefined;
  const file = (key: string) => (typeof topology?.[key] === "string" ? (topology[key] as string) : undefined);

  const rootFiles = flags.root && flags.root.length > 0 ? flags.root : file("devRoot") ? [file("devRoot")!] : [];
  if (rootFiles.length > 0 && !local) {
    throw new UsageError("--root (a dev root) is accepted only for a device of a local topology on loopback");
  }
  const trustedRoots = rootFiles.length > 0 ? rootFiles.map(readRoot) : undefined;

  const keyFile = flags.manifestKey ?? file("manifestKey");
  let keys: ReleaseKeySet | string;
  // the serial the pinned set belongs to, where a device with no record catches up from
  let anchorSerial: number | undefined;
  if (keyFile) keys = readInputText(keyFile, "manifest key set");
  else if (!local && BUILT_IN_RELEASE_KEY_SET) {
    keys = BUILT_IN_RELEASE_KEY_SET;
    anchorSerial = BUILT_IN_MIN_MANIFEST_SERIAL;
  } else if (!local) throw new Error("no release key set built into this client yet; pass --manifest-key");
  else
    throw new Error(
      "no manifest key for this local device (no matching .vettid/local/endpoints.json); pass --manifest-key",
    );

  const doFetch = options.fetch ?? fetch;
  let text: string;
  let manifestSource: string;
  if (flags.manifest) {
    text = readInputText(flags.manifest, "manifest");
    manifestSource = flags.manifest;
  } else {
    const url = new URL(device.manifestUrl || "/v1/pcr-manifest", device.api).toString();
    try {
      text = await download(url, doFetch);
      manifestSource = url;
    } catch (err) {
      const fallback = file("manifest");
      if (!fallback) throw err;
      text = readInputText(fallback, "manifest");
      manifestSource = fallback;
    }
  }
  const history = (serial: number) => {
    const url = manifestHistoryUrl(manifestSource, serial);
    return url === undefined ? undefined : download(url, doFetch);
  };
  if (options.seen !== undefined) {
    try {
      await checkRecordedManifest(options.seen);
    } catch (err) {
      throw new VettidError(
        "MANIFEST_INVALID",
        `the manifest this device accepted last (pcr-manifest.json in its directory) does not verify: ${(err as Error).message}; if the file was damaged, delete it, and the next manifest is verified against the pinned release key set and the serial this device saw`,
      );
    }
  }
  const minSerial = Math.max(options.minSerial ?? 0, local ? 0 : BUILT_IN_MIN_MANIFEST_SERIAL);
  const manifest = await verifyManifestUpdate(
    text,
    {
      keys,
      previous: options.seen,
      minSerial,
      anchorSerial,
      now: options.now,
      // DEV ONLY: the local topology's launcher signs releases that activate at once.
      ...(local ? { activationDelayMs: 0 } : {}),
    },
    history,
  );
  return {
    trustedRoots,
    rootSource: trustedRoots ? rootFiles.join(", ") : "AWS Nitro root (pinned)",
    manifest,
    manifestText: text,
    manifestSource,
  };
}
