import { parseArgs } from "node:util";
import type { VerifiedAttestation } from "../../lib/attestation";
import { isVettidError } from "../../lib/errors";
import { findRelease, type Release } from "../../lib/manifest";
import { type CliIo, type Command, printJson, UsageError } from "./command";
import { DEVICE_OPTIONS, DEVICE_OPTIONS_HELP, loadDeviceState, withVaultSession } from "./vault-session";
import { type AttestationReport, attestationReport, reportError } from "./verify-attestation";

const HELP = `Asks the live enclave serving this device's vault for an attestation document with
a fresh nonce, over the device's own NATS connection, and verifies it as the device does
before every session: COSE_Sign1 ES384, the chain to the trusted root, every certificate
valid now, the nonce, the document's age, the binding of the enclave's session keys,
and PCR0/1/2 equal to an approved release of the signed manifest (its serial not older
than the one this device saw). Prints what it verified. No session is opened.

${DEVICE_OPTIONS_HELP}
                     --json prints {valid, moduleId, timestamp, digest, pcrs, publicKey, userData,
                     nonce, errors, release, manifest: {serial, issuedAt, source}, root}

exit: 0 verified, 1 refused or failed, 2 usage`;

/** Codes of a document that was received but failed verification (reported, not thrown, under --json). */
const VERIFICATION_CODES: readonly string[] = [
  "ATTESTATION_INVALID",
  "ATTESTATION_UNTRUSTED",
  "ATTESTATION_STALE",
  "PCR_NOT_APPROVED",
];

/** What `vettid attest --json` prints. */
export interface LiveAttestationReport extends AttestationReport {
  release: Release | null;
  manifest: { serial: number; issuedAt: string; source: string };
  root: string;
}

/** `vettid attest`: verifies the live enclave's attestation, for security reviewers. */
export const attestCommand: Command = {
  name: "attest",
  summary: "verify the live enclave's attestation (fresh nonce): PCRs, module id, time, manifest release",
  usage: "vettid attest [--state DIR] [--root F] [--manifest F] [--manifest-key F] [--json]",
  help: HELP,
  async run(argv: string[], io: CliIo): Promise<number> {
    const { values, positionals } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: true,
      options: DEVICE_OPTIONS,
    });
    if (positionals.length > 0) throw new UsageError(`unexpected argument ${positionals[0]}`);
    const state = loadDeviceState(values.state, io.env);
    const flags = { root: values.root, manifest: values.manifest, manifestKey: values["manifest-key"] };
    return withVaultSession(state, flags, io, async ({ vault, trust }) => {
      let verified: VerifiedAttestation | undefined;
      const errors: AttestationReport["errors"] = [];
      try {
        verified = await vault.attest();
      } catch (err) {
        if (!values.json || !isVettidError(err) || !VERIFICATION_CODES.includes(err.code)) throw err;
        errors.push(reportError(err));
      }
      const release = verified ? (findRelease(trust.manifest, verified.pcrs) ?? null) : null;
      const report: LiveAttestationReport = {
        ...attestationReport(verified, errors),
        release,
        manifest: { serial: trust.manifest.serial, issuedAt: trust.manifest.issued_at, source: trust.manifestSource },
        root: trust.rootSource,
      };
      if (values.json) {
        printJson(io, report);
        return report.valid ? 0 : 1;
      }
      const pcrs = Object.entries(report.pcrs)
        .filter(([k, v]) => Number(k) <= 2 || /[^0]/.test(v))
        .map(([k, v]) => `PCR${k}: ${v}`);
      const lines = [
        "attestation: verified",
        `module_id: ${report.moduleId}`,
        `time: ${new Date(report.timestamp as number).toISOString()}`,
        `digest: ${report.digest}`,
        ...pcrs,
        `nonce: ${report.nonce}`,
        `release: ${release ? `${release.id} (${release.status}; commit ${release.build.commit})` : "(none)"}`,
        `manifest: serial ${trust.manifest.serial}, issued ${trust.manifest.issued_at}, from ${trust.manifestSource}`,
        `root: ${trust.rootSource}`,
      ];
      io.stdout(`${lines.join("\n")}\n`);
      return 0;
    });
  },
};
