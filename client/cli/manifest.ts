import { existsSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import type { JWK } from "jose";
import { VettidError } from "../../lib/errors";
import {
  cosignManifest,
  decodeManifest,
  generateManifestKeyPair,
  MANIFEST_SCHEMA,
  type Manifest,
  parseReleaseKeySet,
  type Release,
  ReleaseSchema,
  releaseKeySet,
  signManifest,
} from "../../lib/manifest";
import { type CliIo, type Command, printJson, UsageError } from "./command";
import { readInputText } from "./input-file";

const GROUP_USAGE = "vettid manifest <keygen | keyset | build | sign> [options]";
const KEYGEN_USAGE = "vettid manifest keygen --private F --public F [--force] [--json]";
const KEYSET_USAGE = "vettid manifest keyset --threshold M --key OWNER=F [--key OWNER=F …] [--out F] [--json]";
const BUILD_USAGE =
  "vettid manifest build --releases F --key F [--key F …] (--keys F | --previous F) [--serial N] [--issued-at ISO8601] [--expires-at ISO8601] [--out F] [--json]";
const SIGN_USAGE = "vettid manifest sign <manifest> --key F [--out F] [--json]";

/** Default manifest lifetime: the release pipeline re-signs well within it (decision 0067). */
const DEFAULT_LIFETIME_MS = 90 * 24 * 60 * 60 * 1000;

const HELP = `Builds and signs PCR manifests from release records (docs/reviewers.md, decision 0067).

  vettid manifest keygen --private F --public F [--force] [--json]
      generate an ES256 release key pair as JWK files (private file mode 0600);
      prints the key id (--json: {kid, private, public})
  vettid manifest keyset --threshold M --key OWNER=F [--key OWNER=F …] [--out F] [--json]
      write a release key set: M of the listed public keys, held by distinct owners
      (e.g. aws:<account id>, offline:<name>), must sign every manifest
      (--json: {threshold, keys: [{kid, owner}], out})
  vettid manifest build --releases F --key F [--key F …] (--keys F | --previous F)
                        [--serial N] [--issued-at ISO8601] [--expires-at ISO8601] [--out F] [--json]
      sign the next manifest of the log listing the release records in F (a JSON array
      of records as printed by ami/release-record.ts, or one record). --previous is the
      currently published manifest: the new one is its serial + 1 and names its digest,
      keeps its key set unless --keys rotates it, and keeps the approval and activation
      times of every release it listed. Without --previous it is serial 1 with --keys.
      --expires-at defaults to 90 days after --issued-at (default now). Each --key
      signs; owners who keep their keys apart add theirs with \`manifest sign\`.
  vettid manifest sign <manifest> --key F [--out F] [--json]
      add one signature to a manifest (the payload is signed as it stands)
      (--json: {signatures, out, manifest})

exit: 0 success, 1 failure, 2 usage`;

const isoNow = () => new Date().toISOString().replace(/\.\d{3}Z$/, "Z");

function readJson<T>(path: string, what: string): T {
  const text = readInputText(path, what);
  try {
    return JSON.parse(text) as T;
  } catch (err) {
    throw new VettidError("MANIFEST_INVALID", `${what} ${path} is not JSON: ${(err as Error).message}`);
  }
}

/**
 * Writes `text` to `out` (noting it on stderr) or prints it; with `json`, writes it to
 * `out` when given and prints `report()` instead.
 */
function emit(
  io: CliIo,
  text: string,
  how: { out?: string | undefined; json?: boolean | undefined; note: string; report: () => unknown },
): void {
  if (how.json) {
    if (how.out) writeFileSync(how.out, text);
    printJson(io, how.report());
  } else if (how.out) {
    writeFileSync(how.out, text);
    io.stderr(`${how.note} to ${how.out}\n`);
  } else {
    io.stdout(text);
  }
}

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

/** `bin/vettid manifest keyset`. */
export const manifestKeysetCommand: Command = {
  name: "manifest keyset",
  summary: "write a release key set (M of N public keys of distinct owners)",
  usage: KEYSET_USAGE,
  help: HELP,
  async run(argv: string[], io: CliIo): Promise<number> {
    const { values, positionals } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: true,
      options: {
        threshold: { type: "string" },
        key: { type: "string", multiple: true },
        out: { type: "string" },
        json: { type: "boolean" },
      },
    });
    if (positionals.length > 0) throw new UsageError(`unexpected argument ${positionals[0]}`);
    const threshold = Number(values.threshold);
    if (!Number.isSafeInteger(threshold) || threshold < 1)
      throw new UsageError("--threshold must be a positive integer");
    const keys = (values.key ?? []).map((spec) => {
      const at = spec.indexOf("=");
      if (at < 1) throw new UsageError(`--key ${spec} must be OWNER=FILE`);
      return { owner: spec.slice(0, at), jwk: readJson<JWK>(spec.slice(at + 1), "public key") };
    });
    if (keys.length === 0) throw new UsageError("at least one --key OWNER=F is required");
    const set = releaseKeySet(threshold, keys);
    emit(io, `${JSON.stringify(set, null, 2)}\n`, {
      out: values.out,
      json: values.json,
      note: `wrote a ${threshold}-of-${keys.length} key set`,
      report: () => ({
        threshold,
        keys: set.keys.map((k) => ({ kid: k.jwk.kid, owner: k.owner })),
        out: values.out ?? null,
      }),
    });
    return 0;
  },
};

/** The release records of `records`, each carried over from `previous` when it listed the same id. */
function releasesFrom(records: unknown, previous: Manifest | undefined): Release[] {
  const list = Array.isArray(records) ? records : [records];
  const before = new Map((previous?.releases ?? []).map((r) => [r.id, r]));
  return list.map((record, i) => {
    const old = before.get((record as { id?: string })?.id ?? "");
    const candidate = old
      ? { ...(record as object), approved_at: old.approved_at, activates_at: old.activates_at }
      : record;
    const parsed = ReleaseSchema.safeParse(candidate);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new VettidError(
        "MANIFEST_INVALID",
        `release record ${i}: ${issue?.path.join(".") || "(root)"} ${issue?.message}`,
      );
    }
    return parsed.data;
  });
}

/** `bin/vettid manifest build`. */
export const manifestBuildCommand: Command = {
  name: "manifest build",
  summary: "build and sign the next PCR manifest of the log from release records",
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
        key: { type: "string", multiple: true },
        keys: { type: "string" },
        "issued-at": { type: "string" },
        "expires-at": { type: "string" },
        out: { type: "string" },
        previous: { type: "string" },
        json: { type: "boolean" },
      },
    });
    if (positionals.length > 0) throw new UsageError(`unexpected argument ${positionals[0]}`);
    if (!values.releases || !values.key || values.key.length === 0) {
      throw new UsageError("--releases and --key are required");
    }
    if (!values.keys && !values.previous) throw new UsageError("--keys (a release key set) or --previous is required");
    const previous = values.previous ? decodeManifest(readInputText(values.previous, "previous manifest")) : undefined;
    const serial = (previous?.manifest.serial ?? 0) + 1;
    if (values.serial !== undefined && Number(values.serial) !== serial) {
      throw new VettidError(
        "MANIFEST_ROLLBACK",
        previous
          ? `--serial ${values.serial} must be ${serial}: one more than the published serial ${previous.manifest.serial}`
          : `--serial ${values.serial} needs --previous: only serial 1 starts a log`,
      );
    }
    const issuedAt = values["issued-at"] ?? isoNow();
    const issued = Date.parse(issuedAt);
    if (Number.isNaN(issued)) throw new UsageError("--issued-at must be an ISO 8601 instant");
    const expiresAt =
      values["expires-at"] ?? new Date(issued + DEFAULT_LIFETIME_MS).toISOString().replace(/\.000Z$/, "Z");
    const keys = values.keys ? parseReleaseKeySet(readInputText(values.keys, "key set")) : previous!.manifest.keys;
    const signers = values.key.map((path) => readJson<JWK>(path, "private key"));
    const releases = releasesFrom(readJson<unknown>(values.releases, "release records"), previous?.manifest);

    const manifest: Manifest = {
      schema: MANIFEST_SCHEMA,
      serial,
      previous: previous?.digest ?? null,
      issued_at: issuedAt,
      expires_at: expiresAt,
      keys,
      releases,
    };
    const text = await signManifest(manifest, signers);
    emit(io, text, {
      out: values.out,
      json: values.json,
      note: `wrote manifest serial ${serial} with ${releases.length} release(s)`,
      report: () => ({
        serial,
        previous: manifest.previous,
        issuedAt,
        expiresAt,
        releases: releases.map((r) => r.id),
        out: values.out ?? null,
        manifest: JSON.parse(text) as unknown,
      }),
    });
    return 0;
  },
};

/** `bin/vettid manifest sign`. */
export const manifestSignCommand: Command = {
  name: "manifest sign",
  summary: "add one release key's signature to a manifest",
  usage: SIGN_USAGE,
  help: HELP,
  async run(argv: string[], io: CliIo): Promise<number> {
    const { values, positionals } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: true,
      options: { key: { type: "string" }, out: { type: "string" }, json: { type: "boolean" } },
    });
    if (positionals.length !== 1) throw new UsageError("exactly one manifest file is required");
    if (!values.key) throw new UsageError("--key is required");
    const text = await cosignManifest(
      readInputText(positionals[0]!, "manifest"),
      readJson<JWK>(values.key, "private key"),
    );
    emit(io, text, {
      out: values.out,
      json: values.json,
      note: "wrote the co-signed manifest",
      report: () => {
        const manifest = JSON.parse(text) as { signatures: unknown[] };
        return { signatures: manifest.signatures.length, out: values.out ?? null, manifest };
      },
    });
    return 0;
  },
};

/** `bin/vettid manifest` without a known sub-command: prints the group usage. */
export const manifestGroupCommand: Command = {
  name: "manifest",
  summary: "build and sign PCR manifests (keygen, keyset, build, sign)",
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
export const manifestCommands: Command[] = [
  manifestKeygenCommand,
  manifestKeysetCommand,
  manifestBuildCommand,
  manifestSignCommand,
  manifestGroupCommand,
];
