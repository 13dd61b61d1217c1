import { VettidError } from "../errors";
import {
  MAX_ISSUED_AT_SKEW_MS,
  MAX_MANIFEST_CATCH_UP,
  MIN_RELEASE_THRESHOLD,
  RELEASE_ACTIVATION_DELAY_MS,
} from "./constants";
import { type ManifestEnvelope, parseManifestEnvelope, payloadDigest } from "./jws";
import { parseReleaseKeySet, type ReleaseKeySet, sameKeySet } from "./key-set";
import { type Manifest, ManifestSchema } from "./schema";
import { verifyThreshold } from "./threshold";

/** Options of {@link verifyManifest}. */
export interface VerifyManifestOptions {
  /**
   * The pinned release key set (object or JSON text): the trust anchor a verifier ships
   * with. Required unless `previous` is given; with `previous`, that manifest's own key
   * set is trusted instead (it may have rotated since the anchor was pinned).
   */
  keys?: ReleaseKeySet | string | undefined;
  /**
   * The published text of the manifest this verifier accepted last. The new manifest
   * must be that same manifest or the next one of the log: `serial` one higher,
   * `previous` its digest, releases it listed unchanged (MANIFEST_FORK otherwise; a
   * newer one further ahead is MANIFEST_GAP, see {@link verifyManifestChain}).
   */
  previous?: string | undefined;
  /**
   * The lowest serial accepted (the client ships one; the highest already seen); older is
   * MANIFEST_ROLLBACK. It applies to the manifest accepted, not to the earlier serials of
   * the history a catch-up passes through.
   */
  minSerial?: number | undefined;
  /**
   * The serial the pinned `keys` belong to (the one a client release or the stacks ship
   * with them), where a verifier with nothing seen catches up from (default `minSerial`).
   * It differs from `minSerial` once a verifier has seen later serials but no longer has
   * the last one's text: the highest serial seen may be signed by a set rotated since.
   */
  anchorSerial?: number | undefined;
  /** Verification time (default now): refuses a manifest issued after it or expired at it. */
  now?: Date | undefined;
  /**
   * The activation delay the verifier requires of every release (default
   * {@link RELEASE_ACTIVATION_DELAY_MS}, 7 days). Only the local topology passes 0.
   */
  activationDelayMs?: number | undefined;
  /** The lowest key-set threshold accepted (default {@link MIN_RELEASE_THRESHOLD}). */
  minThreshold?: number | undefined;
}

/** A manifest whose envelope and payload parsed; nothing about its signatures is known yet. */
export interface DecodedManifest {
  envelope: ManifestEnvelope;
  manifest: Manifest;
  digest: string;
}

/**
 * Parses a manifest's envelope and payload schema WITHOUT checking any signature: for
 * tools that build the next manifest from the published one, never for trusting one.
 * @throws VettidError MANIFEST_INVALID.
 */
export function decodeManifest(text: string): DecodedManifest {
  const envelope = parseManifestEnvelope(text);
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(envelope.payloadBytes));
  } catch (err) {
    throw new VettidError("MANIFEST_INVALID", "manifest payload is not JSON", { cause: err });
  }
  const parsed = ManifestSchema.safeParse(json);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw new VettidError(
      "MANIFEST_INVALID",
      `manifest payload: ${first?.path.join(".") || "(root)"} ${first?.message}`,
      { details: { issues: parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`) } },
    );
  }
  return { envelope, manifest: parsed.data, digest: payloadDigest(envelope.payloadBytes) };
}

/**
 * MANIFEST_GAP when serial `next` is more than one ahead of `seen`. Checked before any
 * signature: a manifest several serials ahead may be signed by a key set the verifier
 * has not seen yet (a rotation in between), and only the history between explains it.
 */
function checkNoGap(seen: number, next: number): void {
  if (next > seen + 1) {
    throw new VettidError(
      "MANIFEST_GAP",
      `manifest serial ${next} is ahead of serial ${seen} already seen; serials ${seen + 1}..${next - 1} are needed`,
      { details: { seen, next } },
    );
  }
}

const fork = (message: string): never => {
  throw new VettidError("MANIFEST_FORK", message);
};

/**
 * The append-only rule between the manifest seen last (`seen`) and a new one (`next`):
 * the same manifest, or the next serial naming `seen`'s digest, issued no earlier, with
 * every release `seen` listed kept as it was (status may only move forward, the end of
 * its window only closer) and every new release approved no earlier than `seen` was issued.
 */
function checkExtends(seen: DecodedManifest, next: DecodedManifest): void {
  const [p, m] = [seen.manifest, next.manifest];
  if (m.serial < p.serial) {
    throw new VettidError(
      "MANIFEST_ROLLBACK",
      `manifest serial ${m.serial} is older than serial ${p.serial} already seen`,
    );
  }
  if (m.serial === p.serial) {
    if (next.digest !== seen.digest)
      fork(`manifest serial ${m.serial} differs from the serial ${p.serial} already seen`);
    return;
  }
  checkNoGap(p.serial, m.serial);
  if (m.previous !== seen.digest) fork(`manifest serial ${m.serial} does not name serial ${p.serial} as its previous`);
  if (Date.parse(m.issued_at) < Date.parse(p.issued_at))
    fork(`manifest serial ${m.serial} is issued before its previous`);
  const before = new Map(p.releases.map((r) => [r.id, r]));
  const order = { active: 0, deprecated: 1, retired: 2 } as const;
  for (const r of m.releases) {
    const old = before.get(r.id);
    if (old === undefined) {
      if (Date.parse(r.approved_at) < Date.parse(p.issued_at)) {
        throw new VettidError(
          "MANIFEST_ACTIVATION_DELAY",
          `release ${r.id} is new in serial ${m.serial} but claims approval before serial ${p.serial} was issued`,
        );
      }
      continue;
    }
    const same = (["pcr0", "pcr1", "pcr2", "approved_at", "activates_at"] as const).every((f) => r[f] === old[f]);
    if (!same || JSON.stringify(r.build) !== JSON.stringify(old.build)) fork(`manifest rewrites release ${r.id}`);
    if (order[r.status] < order[old.status]) fork(`manifest moves release ${r.id} back from ${old.status}`);
    const end = (v: string | null) => (v === null ? Number.POSITIVE_INFINITY : Date.parse(v));
    if (end(r.valid_until) > end(old.valid_until)) fork(`manifest extends the validity of release ${r.id}`);
  }
}

/**
 * Verifies a published manifest (DESIGN.md §3.3, decision 0067): the general JWS
 * envelope and the payload schema (unknown fields refused); signatures of the trusted
 * key set's threshold from distinct owners, and, when the manifest rotates the key
 * set, of the new set's threshold too; that it is `previous` itself or extends it;
 * its serial against `minSerial`; that it is not issued in the future nor expired at
 * `now`; and that every release activates at least the activation delay after its
 * approval.
 *
 * @example
 * const manifest = await verifyManifest(text, { keys: pinnedKeySet, previous: lastAccepted, now });
 * @throws VettidError MANIFEST_INVALID, MANIFEST_THRESHOLD, MANIFEST_ROLLBACK, MANIFEST_FORK,
 *   MANIFEST_GAP, MANIFEST_EXPIRED or MANIFEST_ACTIVATION_DELAY.
 */
export function verifyManifest(text: string, options: VerifyManifestOptions): Promise<Manifest> {
  return verifyOne(text, options, true);
}

/**
 * {@link verifyManifest}; `current` false skips the checks of a superseded manifest in a
 * chain that only the manifest accepted must pass: its expiry, and `minSerial`.
 */
async function verifyOne(text: string, options: VerifyManifestOptions, current: boolean): Promise<Manifest> {
  const next = decodeManifest(text);
  const seen = options.previous === undefined ? undefined : decodeManifest(options.previous);
  let trusted: ReleaseKeySet;
  if (seen !== undefined) trusted = seen.manifest.keys;
  else if (options.keys !== undefined) trusted = parseReleaseKeySet(options.keys);
  else throw new VettidError("MANIFEST_INVALID", "no release key set to verify the manifest with");
  const m = next.manifest;
  if (seen !== undefined) checkNoGap(seen.manifest.serial, m.serial);

  const minThreshold = options.minThreshold ?? MIN_RELEASE_THRESHOLD;
  for (const [what, set] of [
    ["the trusted key set", trusted],
    ["the manifest's key set", m.keys],
  ] as const) {
    if (set.threshold < minThreshold) {
      throw new VettidError(
        "MANIFEST_THRESHOLD",
        `${what} requires ${set.threshold} signature(s); at least ${minThreshold} are required`,
      );
    }
  }
  await verifyThreshold(next.envelope, trusted, "the trusted key set");
  if (!sameKeySet(trusted, m.keys)) await verifyThreshold(next.envelope, m.keys, "the new key set");

  if (seen !== undefined) checkExtends(seen, next);
  if (current && options.minSerial !== undefined && m.serial < options.minSerial) {
    throw new VettidError(
      "MANIFEST_ROLLBACK",
      `manifest serial ${m.serial} is older than serial ${options.minSerial} already seen`,
    );
  }
  const now = (options.now ?? new Date()).getTime();
  if (Date.parse(m.issued_at) > now + MAX_ISSUED_AT_SKEW_MS) {
    throw new VettidError("MANIFEST_INVALID", `manifest issued_at ${m.issued_at} is in the future`);
  }
  if (current && now >= Date.parse(m.expires_at)) {
    throw new VettidError("MANIFEST_EXPIRED", `manifest serial ${m.serial} expired at ${m.expires_at}`);
  }
  const delay = options.activationDelayMs ?? RELEASE_ACTIVATION_DELAY_MS;
  for (const r of m.releases) {
    if (Date.parse(r.activates_at) - Date.parse(r.approved_at) < delay) {
      throw new VettidError(
        "MANIFEST_ACTIVATION_DELAY",
        `release ${r.id} activates at ${r.activates_at}, less than ${delay / 3_600_000} h after its approval at ${r.approved_at}`,
      );
    }
  }
  return m;
}

/**
 * Re-checks a manifest a verifier recorded as the one it accepted last before trusting
 * its key set for the next one: it parses, and carries valid signatures of its own key
 * set's threshold (at least {@link MIN_RELEASE_THRESHOLD}). This catches a record that
 * was corrupted or edited by hand; whoever can rewrite the record and sign with keys
 * of their own is inside the verifier's trust boundary (on a device, where its private
 * key lives) and is not what this stops.
 * @throws VettidError MANIFEST_INVALID or MANIFEST_THRESHOLD.
 */
export async function checkRecordedManifest(text: string, minThreshold = MIN_RELEASE_THRESHOLD): Promise<Manifest> {
  const recorded = decodeManifest(text);
  if (recorded.manifest.keys.threshold < minThreshold) {
    throw new VettidError(
      "MANIFEST_THRESHOLD",
      `the recorded manifest's key set requires ${recorded.manifest.keys.threshold} signature(s); at least ${minThreshold} are required`,
    );
  }
  await verifyThreshold(recorded.envelope, recorded.manifest.keys, "the recorded manifest's key set");
  return recorded.manifest;
}

/**
 * Verifies consecutive manifests `texts` (oldest first) as {@link verifyManifest} does,
 * each against the one before; the first against `options`. Only the last must be
 * unexpired at `now` (the others are superseded by it). This is how a verifier that
 * saw serial n accepts serial n+k, and how a client whose pinned key set was rotated
 * catches up: it fetches serials n+1…n+k from the history (`manifests/<serial>.json`).
 * @returns the last manifest and its text.
 */
export async function verifyManifestChain(
  texts: readonly string[],
  options: VerifyManifestOptions,
): Promise<{ manifest: Manifest; text: string }> {
  if (texts.length === 0) throw new VettidError("MANIFEST_INVALID", "no manifest to verify");
  let previous = options.previous;
  let manifest: Manifest | undefined;
  for (const [i, text] of texts.entries()) {
    manifest = await verifyOne(text, { ...options, previous }, i === texts.length - 1);
    previous = text;
  }
  return { manifest: manifest!, text: texts[texts.length - 1]! };
}

/**
 * Fetches one manifest of the published history by serial (`manifests/<serial>.json`
 * beside the current manifest), or undefined when the verifier knows no history.
 */
export type ManifestHistory = (serial: number) => Promise<string> | undefined;

/**
 * {@link verifyManifest}, catching up through `history` when the manifest cannot be
 * verified on its own:
 * - several serials ahead of `previous` (MANIFEST_GAP): the manifests after `previous`;
 * - nothing seen yet and not signed by the pinned `keys` (MANIFEST_THRESHOLD), with
 *   `anchorSerial` (or `minSerial`) given: the pinned key set is that serial's (what the
 *   stacks deploy with a host, and a client release ships), so the manifests from it on,
 *   the first verified with `keys` — a key set rotated since is learnt from the
 *   rotation manifest itself.
 *
 * They are fetched one at a time, each verified against the one before it before the
 * next is asked for, and then `text` against the last. At most
 * {@link MAX_MANIFEST_CATCH_UP} are fetched; a manifest claiming to be further ahead is
 * refused without fetching. What devices and the proxy call on every refresh.
 * @throws VettidError as {@link verifyManifest}; MANIFEST_INVALID when the history
 *   answers another serial than the one asked for.
 */
export async function verifyManifestUpdate(
  text: string,
  options: VerifyManifestOptions,
  history?: ManifestHistory,
): Promise<Manifest> {
  try {
    return await verifyManifest(text, options);
  } catch (err) {
    const code = (err as { code?: string }).code;
    let start: number;
    if (code === "MANIFEST_GAP" && options.previous !== undefined) {
      start = decodeManifest(options.previous).manifest.serial + 1;
    } else if (
      code === "MANIFEST_THRESHOLD" &&
      options.previous === undefined &&
      (options.anchorSerial ?? options.minSerial ?? 0) >= 1
    ) {
      start = (options.anchorSerial ?? options.minSerial) as number;
    } else throw err;
    const to = decodeManifest(text).manifest.serial;
    if (!history || to <= start) throw err;
    if (to - start > MAX_MANIFEST_CATCH_UP) {
      throw new VettidError(
        "MANIFEST_GAP",
        `manifest serial ${to} needs ${to - start} earlier manifests to verify; at most ${MAX_MANIFEST_CATCH_UP} are fetched to catch up`,
        { details: { from: start, next: to } },
      );
    }
    let previous = options.previous;
    for (let serial = start; serial < to; serial++) {
      const fetch = history(serial);
      if (fetch === undefined) throw err;
      const between = await fetch;
      const got = decodeManifest(between).manifest.serial;
      if (got !== serial) {
        throw new VettidError("MANIFEST_INVALID", `the history answered serial ${got} for serial ${serial}`);
      }
      await verifyOne(between, { ...options, previous }, false);
      previous = between;
    }
    return verifyOne(text, { ...options, previous }, true);
  }
}
