import { existsSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import type { JWK } from "jose";
import { VettidError } from "../../lib/errors";
import {
  generateManifestKeyPair,
  MANIFEST_SCHEMA,
  type Manifest,
  ReleaseSchema,
  signManifest,
  verifyManifest,
} from "../../lib/manifest";
import { type CliIo, type Command, printJson, UsageError } from "./command";
import { readInputText } from "./input-file";

const GROUP_USAGE = "vettid manifest <keygen | build> [options]";
const KEYGEN_USAGE = "vettid manifest keygen --private F --public F [--force] [--json]";
const BUILD_USAGE =
  "vettid manifest build --releases F --serial N --key F [--previous F [--previous-key F]] [--issued-at ISO8601] [--out F] [--json]";

const HELP = `Builds and signs PCR manifests from release records (docs/reviewers.md).

  vettid manifest keygen --private F --public F [--force] [--json]
      generate an ES256 release key pair as JWK files (private file mode 0600);
      prints the key id (--json: {kid, private, public})
  vettid manifest build --releases F --serial N --key F [--previous F [--previous-key F]]
                        [--issued-at ISO8601] [--out F] [--json]
      sign a manifest listing the release records in F (a JSON array of records as
      printed by ami/release-record.ts, or one record); --serial must be larger than
      the last published one: with --previous (the currently published manifest,
      verified with --previous-key, default the public part of --key) a serial that
      is not larger is refused; prints the flattened JWS JSON, or writes it to --out
      (--json: {serial, issuedAt, releases, out, manifest})

exit: 0 success, 1 failure, 2 usage`;

/** `bin/vettid manifest keygen`. */
export const manifestKeygenCommand: Command = {
  name: "manifest keygen",
  summary: "generate an ES256 release key pair (JWK files) for signing manifests",
  usage: KEYGEN_USAGE,
  help: HELP,
  async run(argv: string[], io: CliIo): Promise<number> {
    const { values, positionals } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: true,
      options: {
        private: { type: "string" },
        public: { type: "string" },
        force: { type: "boolean" },
        json: { type: "boolean" },
      },
    });
    if (positionals.length > 0) throw new UsageError(`unexpected argument ${positionals[0]}`);
    if (!values.private || !values.public) throw new UsageError("--private and --public are required");
    for (const path of [values.private, values.public]) {
      if (existsSync(path) && !values.force) throw new UsageError(`${path} exists; pass --force to overwrite`);
    }
    const keys = await generateManifestKeyPair();
    writeFileSync(values.private, `${JSON.stringify(keys.privateKey, null, 2)}\n`, { mode: 0o600 });
    writeFileSync(values.public, `${JSON.stringify(keys.publicKey, null, 2)}\n`);
    if (values.json) printJson(io, { kid: keys.kid, private: values.private, public: values.public });
    else io.stdout(`${keys.kid}\n`);
    return 0;
  },
};

/** `bin/vettid manifest build`. */
export const manifestBuildCommand: Command = {
  name: "manifest build",
  summary: "build and sign a PCR manifest from release records",
  usage: BUILD_USAGE,
  help: HELP,
  async run(argv: string[], io: CliIo): Promise<number> {
    const { values, positionals } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: true,
      options: {
        releases: { type: "string" },
        serial: { type: "string" },
        key: { type: "string" },
        "issued-at": { type: "string" },
        out: { type: "string" },
        previous: { type: "string" },
        "previous-key": { type: "string" },
        json: { type: "boolean" },
      },
    });
    if (positionals.length > 0) throw new UsageError(`unexpected argument ${positionals[0]}`);
    if (!values.releases || !values.serial || !values.key) {
      throw new UsageError("--releases, --serial and --key are required");
    }
    const serial = Number(values.serial);
    if (!Number.isSafeInteger(serial) || serial < 1) throw new UsageError("--serial must be a positive integer");
    const issuedAt = values["issued-at"] ?? new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
    let records: unknown;
    let key: JWK;
    try {
      records = JSON.parse(readInputText(values.releases, "release records"));
      key = JSON.parse(readInputText(values.key, "private key")) as JWK;
    } catch (err) {
      if (err instanceof UsageError) throw err;
      throw new VettidError("MANIFEST_INVALID", `release records or key are not JSON: ${(err as Error).message}`);
    }
    const list = Array.isArray(records) ? records : [records];
    const releases = list.map((record, i) => {
      const parsed = ReleaseSchema.safeParse(record);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw new VettidError(
          "MANIFEST_INVALID",
          `release record ${i}: ${issue?.path.join(".") || "(root)"} ${issue?.message}`,
        );
      }
      return parsed.data;
    });
    if (values.previous) {
      const { d: _d, ...ownPublic } = key;
      const previousKey = values["previous-key"] ? readInputText(values["previous-key"], "previous key") : ownPublic;
      const previous = await verifyManifest(readInputText(values.previous, "previous manifest"), {
        publicKey: previousKey,
      });
      if (serial <= previous.serial) {
        throw new VettidError(
          "MANIFEST_ROLLBACK",
          `--serial ${serial} must be larger than the published serial ${previous.serial}`,
        );
      }
    }
    const manifest: Manifest = { schema: MANIFEST_SCHEMA, serial, issued_at: issuedAt, releases };
    const text = await signManifest(manifest, key);
    if (values.out) {
      writeFileSync(values.out, text);
      if (!values.json) {
        io.stderr(`wrote manifest serial ${serial} with ${releases.length} release(s) to ${values.out}\n`);
      }
    }
    if (values.json) {
      printJson(io, {
        serial,
        issuedAt,
        releases: releases.map((r) => r.id),
        out: values.out ?? null,
        manifest: JSON.parse(text) as unknown,
      });
    } else if (!values.out) {
      io.stdout(text);
    }
    return 0;
  },
};

/** `bin/vettid manifest` without a known sub-command: prints the group usage. */
export const manifestGroupCommand: Command = {
  name: "manifest",
  summary: "build and sign PCR manifests (keygen, build)",
  usage: GROUP_USAGE,
  help: HELP,
  async run(argv: string[], io: CliIo): Promise<number> {
    if (argv.length === 0) {
      io.stderr(`usage: ${GROUP_USAGE}\n`);
      return 2;
    }
    throw new UsageError(`unknown manifest sub-command "${argv[0]}"`);
  },
};

/** The manifest commands, in help order. */
export const manifestCommands: Command[] = [manifestKeygenCommand, manifestBuildCommand, manifestGroupCommand];
