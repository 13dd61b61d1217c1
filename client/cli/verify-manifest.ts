import { parseArgs } from "node:util";
import { isVettidError } from "../../lib/errors";
import {
  isApproved,
  manifestDigest,
  parseManifestEnvelope,
  RELEASE_ACTIVATION_DELAY_MS,
  verifyManifestChain,
  verifyThreshold,
} from "../../lib/manifest";
import { type CliIo, type Command, UsageError } from "./command";
import { readInputText } from "./input-file";

const USAGE =
  "vettid verify-manifest <manifest> --key F [--previous F] [--between F …] [--min-serial N] [--time ISO8601] [--activation-delay-hours H] [--json]";

const HELP = `Checks a published PCR manifest (general JWS JSON) as devices and the vault hosts do
(docs/reviewers.md, decision 0067):

  - signatures of the release key set's threshold M, by M keys of M distinct owners
    (so not all in one AWS account); a manifest that rotates the key set needs M of
    the old set and M of the new one;
  - its schema (unknown fields refused);
  - that it extends the manifest seen before (--previous): serial one higher and
    \`previous\` naming that manifest's digest, releases it listed unchanged;
  - not older than --min-serial, not issued in the future, not expired (expires_at);
  - every release activates at least the activation delay (7 days) after approval.

  <manifest>                 the manifest file (e.g. /.well-known/vettid/pcr-manifest.json)
  --key F                    the pinned release key set (JSON {threshold, keys: [{owner, jwk}]})
  --previous F               the manifest seen before; the new one must be it or extend it
  --between F                (repeatable, oldest first) the published manifests between
                             --previous (or --key) and <manifest>, from manifests/<serial>.json
  --min-serial N             the highest serial already seen; an older manifest is a rollback
  --time ISO8601             verify at this time instead of now
  --activation-delay-hours H the delay required of releases (default 168; 0 only for the
                             local topology's dev manifests)
  --json                     print {valid, serial, previous, digest, issuedAt, expiresAt,
                             threshold, keys, signers, releases, errors}

exit: 0 valid, 1 invalid, 2 usage`;

/** `bin/vettid verify-manifest` (DESIGN.md §9). */
export const verifyManifestCommand: Command = {
  name: "verify-manifest",
  summary: "check a PCR manifest's threshold signatures, chain, activation delay, expiry and serial",
  usage: USAGE,
  help: HELP,
  async run(argv: string[], io: CliIo): Promise<number> {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        key: { type: "string" },
        previous: { type: "string" },
        between: { type: "string", multiple: true },
        "min-serial": { type: "string" },
        time: { type: "string" },
        "activation-delay-hours": { type: "string" },
        json: { type: "boolean" },
      },
    });
    if (positionals.length !== 1) throw new UsageError("exactly one manifest file is required");
    if (!values.key) throw new UsageError("--key is required");
    const minSerial = values["min-serial"] === undefined ? undefined : Number(values["min-serial"]);
    if (minSerial !== undefined && (!Number.isSafeInteger(minSerial) || minSerial < 0)) {
      throw new UsageError("--min-serial must be a non-negative integer");
    }
    const now = values.time === undefined ? new Date() : new Date(values.time);
    if (Number.isNaN(now.getTime())) throw new UsageError(`--time must be an ISO 8601 instant, got ${values.time}`);
    const hours = values["activation-delay-hours"];
    const delayHours = hours === undefined ? RELEASE_ACTIVATION_DELAY_MS / 3_600_000 : Number(hours);
    if (!Number.isFinite(delayHours) || delayHours < 0) {
      throw new UsageError("--activation-delay-hours must be a non-negative number");
    }
    const text = readInputText(positionals[0]!, "manifest");
    const keys = readInputText(values.key, "key set");
    const previous = values.previous ? readInputText(values.previous, "previous manifest") : undefined;
    const between = (values.between ?? []).map((path) => readInputText(path, "manifest"));
    try {
      const { manifest } = await verifyManifestChain([...between, text], {
        keys,
        previous,
        minSerial,
        now,
        activationDelayMs: delayHours * 3_600_000,
      });
      const signers = await verifyThreshold(parseManifestEnvelope(text), manifest.keys, "the manifest's key set");
      const digest = manifestDigest(text);
      if (values.json) {
        const releases = manifest.releases.map((r) => ({ ...r, approved: isApproved(r, now) }));
        const report = {
          valid: true,
          serial: manifest.serial,
          previous: manifest.previous,
          digest,
          issuedAt: manifest.issued_at,
          expiresAt: manifest.expires_at,
          threshold: manifest.keys.threshold,
          keys: manifest.keys.keys.map((k) => ({ kid: k.jwk.kid, owner: k.owner })),
          signers,
          releases,
          errors: [],
        };
        io.stdout(`${JSON.stringify(report, null, 2)}\n`);
        return 0;
      }
      const lines = [
        `valid: yes`,
        `serial: ${manifest.serial} (previous ${manifest.previous ?? "none: first of the log"})`,
        `digest: ${digest}`,
        `issued_at: ${manifest.issued_at}  expires_at: ${manifest.expires_at}`,
        `key set: ${manifest.keys.threshold} of ${manifest.keys.keys.length}: ${manifest.keys.keys.map((k) => `${k.jwk.kid} (${k.owner})`).join(", ")}`,
        `signed by: ${signers.map((s) => `${s.kid} (${s.owner})`).join(", ")}`,
        ...manifest.releases.map(
          (r) =>
            `release ${r.id}: ${r.status}${isApproved(r, now) ? " (approved now)" : ""} approved ${r.approved_at}, active from ${r.activates_at} until ${r.valid_until ?? "-"}\n  pcr0 ${r.pcr0}\n  pcr1 ${r.pcr1}\n  pcr2 ${r.pcr2}\n  commit ${r.build.commit} bundle_sha384 ${r.build.bundle_sha384}`,
        ),
      ];
      io.stdout(`${lines.join("\n")}\n`);
      return 0;
    } catch (err) {
      if (!isVettidError(err)) throw err;
      if (values.json) {
        const report = {
          valid: false,
          serial: null,
          issuedAt: null,
          releases: [],
          errors: [{ code: err.code, message: err.message }],
        };
        io.stdout(`${JSON.stringify(report, null, 2)}\n`);
      } else {
        io.stderr(`error: ${err.code}: ${err.message}\n`);
      }
      return 1;
    }
  },
};
