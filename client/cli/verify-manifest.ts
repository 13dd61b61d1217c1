import { parseArgs } from "node:util";
import { isVettidError } from "../../lib/errors";
import { isApproved, verifyManifest } from "../../lib/manifest";
import { type CliIo, type Command, UsageError } from "./command";
import { readInputText } from "./input-file";

const USAGE = "vettid verify-manifest <manifest> --key F [--min-serial N] [--json]";

const HELP = `Checks a published PCR manifest (flattened JWS JSON): its ES256 signature against the
pinned release public key, its schema (unknown fields refused), and that its serial is
not older than one already seen.

  <manifest>        the manifest file (e.g. /.well-known/vettid/pcr-manifest.json)
  --key F           the release public key (JWK JSON)
  --min-serial N    the highest serial already seen; an older manifest is a rollback
  --json            print {valid, serial, issuedAt, releases, errors}

exit: 0 valid, 1 invalid, 2 usage`;

/** `bin/vettid verify-manifest` (DESIGN.md §9). */
export const verifyManifestCommand: Command = {
  name: "verify-manifest",
  summary: "check a PCR manifest's signature, schema and serial",
  usage: USAGE,
  help: HELP,
  async run(argv: string[], io: CliIo): Promise<number> {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: { key: { type: "string" }, "min-serial": { type: "string" }, json: { type: "boolean" } },
    });
    if (positionals.length !== 1) throw new UsageError("exactly one manifest file is required");
    if (!values.key) throw new UsageError("--key is required");
    const minSerial = values["min-serial"] === undefined ? undefined : Number(values["min-serial"]);
    if (minSerial !== undefined && (!Number.isSafeInteger(minSerial) || minSerial < 0)) {
      throw new UsageError("--min-serial must be a non-negative integer");
    }
    const text = readInputText(positionals[0]!, "manifest");
    const key = readInputText(values.key, "key");
    try {
      const manifest = await verifyManifest(text, {
        publicKey: key,
        ...(minSerial !== undefined ? { minSerial } : {}),
      });
      const now = new Date();
      if (values.json) {
        const releases = manifest.releases.map((r) => ({ ...r, approved: isApproved(r, now) }));
        io.stdout(
          `${JSON.stringify({ valid: true, serial: manifest.serial, issuedAt: manifest.issued_at, releases, errors: [] }, null, 2)}\n`,
        );
        return 0;
      }
      const lines = [
        `valid: yes`,
        `serial: ${manifest.serial}`,
        `issued_at: ${manifest.issued_at}`,
        ...manifest.releases.map(
          (r) =>
            `release ${r.id}: ${r.status}${isApproved(r, now) ? " (approved now)" : ""} from ${r.valid_from} until ${r.valid_until ?? "-"}\n  pcr0 ${r.pcr0}\n  pcr1 ${r.pcr1}\n  pcr2 ${r.pcr2}\n  commit ${r.build.commit} bundle_sha384 ${r.build.bundle_sha384}`,
        ),
      ];
      io.stdout(`${lines.join("\n")}\n`);
      return 0;
    } catch (err) {
      if (!isVettidError(err)) throw err;
      if (values.json) {
        io.stdout(
          `${JSON.stringify({ valid: false, serial: null, issuedAt: null, releases: [], errors: [{ code: err.code, message: err.message }] }, null, 2)}\n`,
        );
      } else {
        io.stderr(`error: ${err.code}: ${err.message}\n`);
      }
      return 1;
    }
  },
};
