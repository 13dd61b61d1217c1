/**
 * DEV ONLY. Writes one simulated attestation document and the dev root, so that
 * `bin/vettid verify-attestation` can be tried without a Nitro host:
 *
 *   npx tsx local/nsm-sim/cli.ts --out doc.cbor --root-out root.pem [--nonce HEX]
 *       [--user-data HEX] [--public-key HEX] [--runtime-digest HEX96]
 *       [--format binary|base64|hex] [--state DIR]
 *   bin/vettid verify-attestation doc.cbor --root root.pem
 *
 * Refuses to run with VETTID_ENV=staging or prod.
 */
import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { loadOrCreateDevCa } from "./dev-ca";
import { createSimulatedNsm } from "./simulated-nsm";

function hexOption(value: string | undefined, name: string): Uint8Array | undefined {
  if (value === undefined) return undefined;
  if (!/^([0-9a-fA-F]{2})*$/.test(value)) throw new Error(`${name} must be hex`);
  return new Uint8Array(Buffer.from(value, "hex"));
}

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      out: { type: "string" },
      "root-out": { type: "string" },
      nonce: { type: "string" },
      "user-data": { type: "string" },
      "public-key": { type: "string" },
      "runtime-digest": { type: "string" },
      format: { type: "string", default: "binary" },
      state: { type: "string" },
    },
  });
  if (!values.out || !values["root-out"]) {
    process.stderr.write("usage: npx tsx local/nsm-sim/cli.ts --out FILE --root-out PEM [options]\n");
    return 2;
  }
  const runtimeDigest = hexOption(values["runtime-digest"], "--runtime-digest");
  const nsm = await createSimulatedNsm({
    dev: true,
    ...(runtimeDigest ? { runtimeDigest } : {}),
    ...(values.state ? { ca: await loadOrCreateDevCa(values.state) } : {}),
  });
  const request = {
    ...(values.nonce ? { nonce: hexOption(values.nonce, "--nonce")! } : {}),
    ...(values["user-data"] ? { userData: hexOption(values["user-data"], "--user-data")! } : {}),
    ...(values["public-key"] ? { publicKey: hexOption(values["public-key"], "--public-key")! } : {}),
  };
  const doc = await nsm.attest(request);
  const encoded =
    values.format === "base64"
      ? `${Buffer.from(doc).toString("base64")}\n`
      : values.format === "hex"
        ? `${Buffer.from(doc).toString("hex")}\n`
        : doc;
  writeFileSync(values.out, encoded);
  writeFileSync(values["root-out"], nsm.rootCertificatePem);
  process.stderr.write(
    `DEV ONLY: simulated attestation document (${doc.length} bytes) → ${values.out}; dev root → ${values["root-out"]}\n`,
  );
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`error: ${(err as Error).message}\n`);
    process.exit(1);
  },
);
