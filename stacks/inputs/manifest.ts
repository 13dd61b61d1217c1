/**
 * Reads the PCR manifest the stacks publish (release stack) and turn into key policy
 * conditions (keys stack). The manifest is a general JWS JSON serialization
 * (`{payload, signatures}`, ES256) of the payload described in docs/protocol.md;
 * stacks may not import lib/, so this file verifies it with node:crypto
 * (manifest-signatures.ts) and checks the governance rules and the fields the stacks
 * use: the threshold of the release key set, the chain from the previous manifest,
 * the activation delay and the expiry (decision 0067).
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import {
  asRecord,
  asString,
  checkThreshold,
  parseEnvelope,
  parseKeySet,
  payloadDigest,
  type ReleaseKeySetJson,
  sameKeySet,
} from "./manifest-signatures";

export type { ReleaseKeySetJson } from "./manifest-signatures";

/** The activation delay every release must keep between approval and activation (lib/manifest, 7 days). */
export const RELEASE_ACTIVATION_DELAY_MS = 7 * 24 * 60 * 60 * 1000;

/** A release as the stacks need it. */
export interface ManifestRelease {
  id: string;
  pcr0: string;
  status: "active" | "deprecated" | "retired";
  approvedAt: string;
  /** The key policy admits the release from this instant (`DateGreaterThan aws:CurrentTime`). */
  activatesAt: string;
  validUntil: string | null;
  /** SHA-384 (hex) of the enclave image file, when the release record has it. */
  eifSha384: string | null;
}

/** The manifest: its exact published text plus the decoded fields the stacks use. */
export interface StackManifest {
  /** The general JWS JSON text, published byte for byte. */
  text: string;
  serial: number;
  /** SHA-384 of this manifest's payload: what the next manifest's `previous` must name. */
  digest: string;
  issuedAt: string;
  /** The key policy admits none of its releases from this instant on (`DateLessThan aws:CurrentTime`). */
  expiresAt: string;
  releases: ManifestRelease[];
  /**
   * The manifest's release key set (public keys, owners, threshold): the vault hosts
   * pin it and verify every manifest they fetch against it.
   */
  keySet: ReleaseKeySetJson;
  /** The manifests before this one read from the history beside it (oldest first), published too. */
  history: { serial: number; text: string }[];
}

/** Options of {@link parseManifest}. */
export interface ParseManifestOptions {
  /** Synthesis time (default now): an expired manifest is refused. */
  now?: Date;
  /** The text of the manifest before this one (already verified): this one must extend it. */
  previous?: string;
}

/** PCR values are SHA-384 digests: 48 bytes = 96 lowercase hex digits. */
const PCR_HEX = /^[0-9a-f]{96}$/;
const STATUSES = ["active", "deprecated", "retired"] as const;
const SCHEMA = "vettid.pcr-manifest/v2";

function date(value: unknown, where: string): string {
  const text = asString(value, where);
  if (Number.isNaN(Date.parse(text))) throw new Error(`manifest: ${where} is not a date`);
  return text;
}

/** The payload fields the stacks use, decoded and checked (no signature check). */
function decode(text: string) {
  const envelope = parseEnvelope(text);
  const payload = asRecord(JSON.parse(envelope.payloadBytes.toString("utf8")), "payload");
  if (payload.schema !== SCHEMA) throw new Error(`manifest: schema must be ${SCHEMA}`);
  const serial = payload.serial;
  if (typeof serial !== "number" || !Number.isSafeInteger(serial) || serial < 1) {
    throw new Error("manifest: serial must be a positive integer");
  }
  const previous = payload.previous === null ? null : asString(payload.previous, "previous");
  if ((serial === 1) !== (previous === null)) throw new Error("manifest: previous must be null exactly for serial 1");
  if (!Array.isArray(payload.releases)) throw new Error("manifest: releases must be an array");
  const issuedAt = date(payload.issued_at, "issued_at");
  const expiresAt = date(payload.expires_at, "expires_at");
  if (Date.parse(expiresAt) <= Date.parse(issuedAt)) throw new Error("manifest: expires_at must be after issued_at");
  return {
    envelope,
    digest: payloadDigest(envelope),
    serial,
    previous,
    issuedAt,
    expiresAt,
    keySet: parseKeySet(payload.keys, "keys"),
    releases: payload.releases.map((raw, i) => parseRelease(raw, `releases[${i}]`)),
  };
}

/** The append-only rule: `next` is serial + 1 of `seen`, names its digest, and keeps its releases' PCRs and times. */
function checkExtends(seen: ReturnType<typeof decode>, next: ReturnType<typeof decode>): void {
  if (next.serial !== seen.serial + 1 || next.previous !== seen.digest) {
    throw new Error(
      `manifest: serial ${next.serial} does not extend serial ${seen.serial} (previous must be its digest)`,
    );
  }
  if (Date.parse(next.issuedAt) < Date.parse(seen.issuedAt)) throw new Error("manifest: issued before its previous");
  for (const r of next.releases) {
    const old = seen.releases.find((o) => o.id === r.id);
    if (old === undefined) {
      if (Date.parse(r.approvedAt) < Date.parse(seen.issuedAt)) {
        throw new Error(`manifest: release ${r.id} is new but approved before its previous was issued`);
      }
    } else if (old.pcr0 !== r.pcr0 || old.approvedAt !== r.approvedAt || old.activatesAt !== r.activatesAt) {
      throw new Error(`manifest: serial ${next.serial} rewrites release ${r.id}`);
    }
  }
}

/**
 * Parses and verifies a manifest: signatures of the trusted key set's threshold from
 * distinct owners (and of the new set's, when the manifest rotates it), that it
 * extends `previous` when given, that it has not expired at `now`, and that every
 * release activates at least {@link RELEASE_ACTIVATION_DELAY_MS} after its approval.
 * @param text general JWS JSON text
 * @param trusted the pinned release key set, or the key set of `previous`
 * @throws Error with a one-line reason.
 */
export function parseManifest(
  text: string,
  trusted: ReleaseKeySetJson,
  options: ParseManifestOptions = {},
): StackManifest {
  const pinned = parseKeySet(trusted, "pinned key set");
  const m = decode(text);
  checkThreshold(m.envelope, pinned, "the trusted key set");
  if (!sameKeySet(pinned, m.keySet)) checkThreshold(m.envelope, m.keySet, "the new key set");
  if (options.previous !== undefined) checkExtends(decode(options.previous), m);
  const now = (options.now ?? new Date()).getTime();
  if (now >= Date.parse(m.expiresAt)) throw new Error(`manifest: serial ${m.serial} expired at ${m.expiresAt}`);
  for (const r of m.releases) {
    if (Date.parse(r.activatesAt) - Date.parse(r.approvedAt) < RELEASE_ACTIVATION_DELAY_MS) {
      throw new Error(`manifest: release ${r.id} activates at ${r.activatesAt}, inside its 7-day activation delay`);
    }
    if (Date.parse(r.approvedAt) > Date.parse(m.issuedAt))
      throw new Error(`manifest: release ${r.id} approved after issue`);
  }
  return {
    text,
    serial: m.serial,
    digest: m.digest,
    issuedAt: m.issuedAt,
    expiresAt: m.expiresAt,
    releases: m.releases,
    keySet: m.keySet,
    history: [],
  };
}

/** The history beside a manifest file: `manifests/<serial>.json`, oldest first. */
function readHistory(manifestPath: string): { serial: number; text: string }[] {
  const dir = join(dirname(manifestPath), "manifests");
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => /^\d{8}\.json$/.test(name))
    .sort()
    .map((name) => ({ serial: Number(name.slice(0, 8)), text: readFileSync(join(dir, name), "utf8") }));
}

/**
 * Reads and verifies the manifest file against the pinned key set file, through the
 * history committed beside it (`manifests/<serial>.json`, every earlier manifest): the
 * oldest is verified with the pinned set, each later one with the key set of the one
 * before and as its extension; only the current one must be unexpired.
 */
export function readManifest(manifestPath: string, keySetPath: string, options: { now?: Date } = {}): StackManifest {
  let trusted = JSON.parse(readFileSync(keySetPath, "utf8")) as ReleaseKeySetJson;
  const history = readHistory(manifestPath);
  let previous: string | undefined;
  for (const entry of history) {
    // Superseded manifests are checked at their own issue time, not for expiry now.
    const issued = new Date(Date.parse(decode(entry.text).issuedAt));
    const verified = parseManifest(entry.text, trusted, { now: issued, ...(previous ? { previous } : {}) });
    if (verified.serial !== entry.serial)
      throw new Error(`manifest: manifests/${entry.serial} holds serial ${verified.serial}`);
    trusted = verified.keySet;
    previous = entry.text;
  }
  const current = readFileSync(manifestPath, "utf8");
  const manifest = parseManifest(current, trusted, { ...options, ...(previous ? { previous } : {}) });
  return { ...manifest, history };
}

/**
 * Releases the key policy admits, as lib/manifest approves them: status `active` or
 * `deprecated` (still approved while being replaced), never `retired`, and not already
 * expired when the manifest was issued. Judged at `issued_at`, not at synth time, so one
 * manifest always yields the same policy; each release's window (from `activates_at`
 * to `valid_until` or the manifest's `expires_at`) becomes an `aws:CurrentTime`
 * condition of its own statement, so KMS enforces it over time.
 */
export function activeReleases(manifest: StackManifest): ManifestRelease[] {
  const issued = Date.parse(manifest.issuedAt);
  return manifest.releases.filter(
    (r) => r.status !== "retired" && (r.validUntil === null || Date.parse(r.validUntil) > issued),
  );
}

/**
 * The release the vault fleet runs: the newest with status `active` already activated
 * at `issued_at`, so a new release is not rolled out before its activation delay is
 * over (the next manifest, issued after it, makes it current); when none has
 * activated yet (an environment's first release), the newest `active` one, whose
 * enclaves reach the sealing key from its `activates_at`.
 */
export function currentRelease(manifest: StackManifest): ManifestRelease {
  const issued = Date.parse(manifest.issuedAt);
  const newestFirst = activeReleases(manifest)
    .filter((r) => r.status === "active")
    .sort((a, b) => Date.parse(b.activatesAt) - Date.parse(a.activatesAt));
  const newest = newestFirst.find((r) => Date.parse(r.activatesAt) <= issued) ?? newestFirst[0];
  if (newest === undefined) throw new Error(`manifest serial ${manifest.serial} has no active release`);
  return newest;
}

function parseRelease(raw: unknown, where: string): ManifestRelease {
  const r = asRecord(raw, where);
  const pcr0 = asString(r.pcr0, `${where}.pcr0`);
  if (!PCR_HEX.test(pcr0)) throw new Error(`manifest: ${where}.pcr0 must be 96 lowercase hex digits`);
  const status = r.status;
  if (!STATUSES.includes(status as ManifestRelease["status"])) {
    throw new Error(`manifest: ${where}.status must be one of ${STATUSES.join(", ")}`);
  }
  const build = r.build === undefined ? {} : asRecord(r.build, `${where}.build`);
  const eif = build.eif_sha384;
  if (eif !== undefined && (typeof eif !== "string" || !PCR_HEX.test(eif))) {
    throw new Error(`manifest: ${where}.build.eif_sha384 must be 96 lowercase hex digits`);
  }
  return {
    id: asString(r.id, `${where}.id`),
    pcr0,
    status: status as ManifestRelease["status"],
    approvedAt: date(r.approved_at, `${where}.approved_at`),
    activatesAt: date(r.activates_at, `${where}.activates_at`),
    validUntil: r.valid_until === null ? null : date(r.valid_until, `${where}.valid_until`),
    eifSha384: eif ?? null,
  };
}
