/**
 * Turns `nitro-cli describe-eif --eif-path vault.eif` output into a manifest release
 * record (one element of `releases`, docs/protocol.md; validated with lib/manifest's
 * ReleaseSchema), which `bin/vettid manifest` signs into a new manifest.
 *
 * `npx tsx ami/release-record.ts --describe-eif F --commit SHA --bundle-sha384 HEX
 *    [--id ID] [--eif-sha384 HEX] [--approved-at ISO] [--valid-until ISO] [--status S]`
 * prints the record as JSON: approved at `--approved-at` (default now: the `issued_at`
 * of the manifest that will first list it), active the 7-day activation delay later
 * (decision 0067). Exit 0, 1 on bad input, 2 on usage errors.
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { RELEASE_ACTIVATION_DELAY_MS, type Release, ReleaseSchema } from "../lib/manifest";

/** The parts of `nitro-cli describe-eif` output the record uses. */
export interface DescribeEif {
  Measurements: { HashAlgorithm: string; PCR0: string; PCR1: string; PCR2: string; PCR8?: string };
  IsSigned?: boolean;
  CheckCRC?: boolean;
  SignatureCheck?: boolean;
}

export interface ReleaseRecordInput {
  describeEif: unknown;
  commit: string;
  bundleSha384: string;
  eifSha384?: string;
  id?: string;
  /** When the release is approved: the `issued_at` of the manifest that first lists it. */
  approvedAt: string;
  /** From approval to activation (default {@link RELEASE_ACTIVATION_DELAY_MS}, 7 days). */
  activationDelayMs?: number;
  validUntil?: string | null;
  status?: Release["status"];
}

const SHA384_HEX = /^[0-9a-fA-F]{96}$/;

/**
 * Checks the describe-eif document: SHA-384 measurements, a passing CRC, and a passing
 * signature check when the image is signed.
 * @throws Error with a one-line reason.
 */
export function parseDescribeEif(value: unknown): DescribeEif {
  if (typeof value !== "object" || value === null) throw new Error("describe-eif output must be a JSON object");
  const doc = value as Record<string, unknown>;
  const m = doc.Measurements as Record<string, unknown> | undefined;
  if (typeof m !== "object" || m === null) throw new Error("describe-eif output has no Measurements");
  if (typeof m.HashAlgorithm !== "string" || !m.HashAlgorithm.startsWith("Sha384")) {
    throw new Error(`Measurements.HashAlgorithm must be Sha384, got ${String(m.HashAlgorithm)}`);
  }
  for (const pcr of ["PCR0", "PCR1", "PCR2"] as const) {
    if (typeof m[pcr] !== "string" || !SHA384_HEX.test(m[pcr])) {
      throw new Error(`Measurements.${pcr} must be 96 hex digits`);
    }
  }
  if (doc.CheckCRC === false) throw new Error("the EIF failed its CRC check (CheckCRC: false)");
  if (doc.IsSigned === true && doc.SignatureCheck === false) throw new Error("the EIF signature does not verify");
  return doc as unknown as DescribeEif;
}

/**
 * The release record for an enclave image.
 * @example
 * releaseRecord({ describeEif, commit, bundleSha384, approvedAt: "2026-11-28T00:00:00Z" })
 * @throws Error (one line) when the measurements or the record are invalid.
 */
export function releaseRecord(input: ReleaseRecordInput): Release {
  const eif = parseDescribeEif(input.describeEif);
  const commit = input.commit.toLowerCase();
  const day = input.approvedAt.slice(0, 10).replaceAll("-", ".");
  const approved = Date.parse(input.approvedAt);
  const activatesAt = Number.isNaN(approved)
    ? input.approvedAt
    : new Date(approved + (input.activationDelayMs ?? RELEASE_ACTIVATION_DELAY_MS))
        .toISOString()
        .replace(/\.000Z$/, "Z");
  const candidate = {
    id: input.id ?? `${day}-${commit.slice(0, 12)}`,
    pcr0: eif.Measurements.PCR0.toLowerCase(),
    pcr1: eif.Measurements.PCR1.toLowerCase(),
    pcr2: eif.Measurements.PCR2.toLowerCase(),
    status: input.status ?? "active",
    approved_at: input.approvedAt,
    activates_at: activatesAt,
    valid_until: input.validUntil ?? null,
    build: {
      commit,
      bundle_sha384: input.bundleSha384.toLowerCase(),
      ...(input.eifSha384 === undefined ? {} : { eif_sha384: input.eifSha384.toLowerCase() }),
    },
  };
  const parsed = ReleaseSchema.safeParse(candidate);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join(".") || "(record)"} ${i.message}`);
    throw new Error(`invalid release record: ${problems.join("; ")}`);
  }
  return parsed.data;
}

function main(argv: string[]): number {
  let values: Record<string, string | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        "describe-eif": { type: "string" },
        commit: { type: "string" },
        "bundle-sha384": { type: "string" },
        "eif-sha384": { type: "string" },
        id: { type: "string" },
        "approved-at": { type: "string" },
        "valid-until": { type: "string" },
        status: { type: "string" },
      },
      strict: true,
    }) as { values: Record<string, string | undefined> });
    for (const required of ["describe-eif", "commit", "bundle-sha384"]) {
      if (values[required] === undefined) throw new Error(`--${required} is required`);
    }
  } catch (err) {
    process.stderr.write(`usage error: ${(err as Error).message}\n`);
    return 2;
  }
  try {
    const record = releaseRecord({
      describeEif: JSON.parse(readFileSync(values["describe-eif"] as string, "utf8")),
      commit: values.commit as string,
      bundleSha384: values["bundle-sha384"] as string,
      eifSha384: values["eif-sha384"],
      id: values.id,
      approvedAt: values["approved-at"] ?? new Date().toISOString().replace(/\.\d{3}Z$/, "Z"),
      validUntil: values["valid-until"] ?? null,
      status: values.status as Release["status"] | undefined,
    });
    process.stdout.write(`${JSON.stringify(record, null, 2)}\n`);
    return 0;
  } catch (err) {
    process.stderr.write(`error: ${(err as Error).message}\n`);
    return 1;
  }
}

if (require.main === module) process.exit(main(process.argv.slice(2)));
