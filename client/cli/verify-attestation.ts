import { parseArgs } from "node:util";
import { isCertificatePem, type VerifiedAttestation, verifyAttestation } from "../../lib/attestation";
import { isVettidError } from "../../lib/errors";
import { type Manifest, verifyManifest } from "../../lib/manifest";
import { type CliIo, type Command, UsageError } from "./command";
import { decodeDocumentInput, parseHex } from "./document-input";
import { readInputFile } from "./input-file";

const USAGE =
  "vettid verify-attestation <doc> [--time ISO8601] [--nonce HEX] [--manifest F --manifest-key F [--activation-delay-hours H]] [--root PEM] [--json]";

const HELP = `Verifies an AWS Nitro attestation document offline: COSE_Sign1 ES384 signature,
certificate chain to the pinned AWS Nitro root (SHA-256 of DER 641a0321…79bb5b),
validity of every certificate at --time (default now), and optionally the nonce
and PCR0/1/2 against a signed manifest.

  <doc>              file with the document: binary CBOR, hex, or base64 (padding optional)
  --time ISO8601     verify as of this instant (documents' leaf certificates live 3 hours)
  --nonce HEX        the nonce the document must carry
  --manifest F       a signed PCR manifest (general JWS JSON), checked as verify-manifest
                     does; requires --manifest-key
  --manifest-key F   the release key set (JSON) whose threshold must sign the manifest
  --activation-delay-hours H  the delay required of releases (default 168; 0 only for
                     the local topology's dev manifests)
  --root PEM         trust this root certificate file INSTEAD of the AWS root (dev/simulated
                     documents only; may be repeated)
  --allow-debug      accept debug-mode enclaves (PCR0-2 all zero)
  --json             print {valid, moduleId, timestamp, digest, pcrs, publicKey, userData, nonce, errors}

exit: 0 valid, 1 invalid, 2 usage`;

const hex = (b: Uint8Array | undefined) => (b === undefined ? null : Buffer.from(b).toString("hex"));

/** The JSON report of `--json`. */
export interface AttestationReport {
  valid: boolean;
  moduleId: string | null;
  timestamp: number | null;
  digest: string | null;
  pcrs: Record<string, string>;
  publicKey: string | null;
  userData: string | null;
  nonce: string | null;
  errors: { code: string; reason?: string; message: string }[];
}

/** The `--json` report of a verified attestation (or of the errors that refused it). */
export function attestationReport(
  att: VerifiedAttestation | undefined,
  errors: AttestationReport["errors"],
): AttestationReport {
  return {
    valid: att !== undefined && errors.length === 0,
    moduleId: att?.moduleId ?? null,
    timestamp: att?.timestamp ?? null,
    digest: att?.digest ?? null,
    pcrs: Object.fromEntries(Object.entries(att?.pcrs ?? {}).map(([k, v]) => [k, hex(v)!])),
    publicKey: hex(att?.publicKey),
    userData: hex(att?.userData),
    nonce: hex(att?.nonce),
    errors,
  };
}

/** One error of an {@link AttestationReport}. */
export function reportError(err: unknown): AttestationReport["errors"][number] {
  if (isVettidError(err)) {
    const reason = err.details?.reason;
    return { code: err.code, ...(typeof reason === "string" ? { reason } : {}), message: err.message };
  }
  return { code: "ATTESTATION_INVALID", message: (err as Error).message };
}

/** `bin/vettid verify-attestation` (DESIGN.md §9). */
export const verifyAttestationCommand: Command = {
  name: "verify-attestation",
  summary: "verify an AWS Nitro attestation document (chain, signature, nonce, PCRs vs manifest)",
  usage: USAGE,
  help: HELP,
  async run(argv: string[], io: CliIo): Promise<number> {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        time: { type: "string" },
        nonce: { type: "string" },
        manifest: { type: "string" },
        "manifest-key": { type: "string" },
        "activation-delay-hours": { type: "string" },
        root: { type: "string", multiple: true },
        "allow-debug": { type: "boolean" },
        json: { type: "boolean" },
      },
    });
    if (positionals.length !== 1) throw new UsageError("exactly one document file is required");
    const time = values.time === undefined ? undefined : new Date(values.time);
    if (time && (Number.isNaN(time.getTime()) || !/^\d{4}-\d{2}-\d{2}T/.test(values.time!))) {
      throw new UsageError(`--time must be an ISO 8601 instant, got ${values.time}`);
    }
    const delayHours =
      values["activation-delay-hours"] === undefined ? undefined : Number(values["activation-delay-hours"]);
    if (delayHours !== undefined && (!Number.isFinite(delayHours) || delayHours < 0)) {
      throw new UsageError("--activation-delay-hours must be a non-negative number");
    }
    const expectedNonce = values.nonce === undefined ? undefined : parseHex(values.nonce);
    if (values.nonce !== undefined && !expectedNonce) throw new UsageError("--nonce must be hex");
    if ((values.manifest === undefined) !== (values["manifest-key"] === undefined)) {
      throw new UsageError("--manifest and --manifest-key go together");
    }
    const roots = (values.root ?? []).map((path) => {
      const pem = readInputFile(path, "root certificate").toString("utf8");
      if (!isCertificatePem(pem)) throw new UsageError(`${path} is not a PEM certificate`);
      return pem;
    });
    const raw = readInputFile(positionals[0]!, "document");
    const manifestText = values.manifest ? readInputFile(values.manifest, "manifest").toString("utf8") : undefined;
    const manifestKey = values["manifest-key"]
      ? readInputFile(values["manifest-key"], "manifest key").toString("utf8")
      : undefined;

    let att: VerifiedAttestation | undefined;
    const errors: AttestationReport["errors"] = [];
    try {
      let manifest: Manifest | undefined;
      if (manifestText !== undefined && manifestKey !== undefined) {
        manifest = await verifyManifest(manifestText, {
          keys: manifestKey,
          now: time,
          ...(delayHours !== undefined ? { activationDelayMs: delayHours * 3_600_000 } : {}),
        });
      }
      att = await verifyAttestation(decodeDocumentInput(raw), {
        ...(roots.length > 0 ? { trustedRoots: roots } : {}),
        ...(time ? { time } : {}),
        ...(expectedNonce ? { expectedNonce } : {}),
        ...(manifest ? { manifest } : {}),
        ...(values["allow-debug"] ? { allowDebug: true } : {}),
      });
    } catch (err) {
      errors.push(reportError(err));
    }
    const result = attestationReport(att, errors);
    if (values.json) {
      io.stdout(`${JSON.stringify(result, null, 2)}\n`);
      return result.valid ? 0 : 1;
    }
    if (roots.length > 0) io.stderr("note: trusting the root(s) given with --root instead of the AWS Nitro root\n");
    if (!result.valid) {
      for (const e of errors) io.stderr(`error: ${e.code}: ${e.message}\n`);
      return 1;
    }
    const lines = [
      "valid: yes",
      `module_id: ${result.moduleId}`,
      `timestamp: ${new Date(result.timestamp!).toISOString()}`,
      `digest: ${result.digest}`,
      ...Object.entries(result.pcrs).map(([k, v]) => `PCR${k}: ${v}`),
      `public_key: ${result.publicKey ?? "(none)"}`,
      `user_data: ${result.userData ?? "(none)"}`,
      `nonce: ${result.nonce ?? "(none)"}`,
    ];
    io.stdout(`${lines.join("\n")}\n`);
    return 0;
  },
};
