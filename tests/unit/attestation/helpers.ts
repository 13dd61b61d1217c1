import { readFileSync } from "node:fs";
import { join } from "node:path";
import { isVettidError } from "../../../lib/errors";

/** A genuine AWS document from tests/fixtures/attestation (see its README for provenance). */
export interface GenuineFixture {
  file: string;
  doc: Uint8Array;
  /** The document's own timestamp. */
  time: Date;
}

export function genuine(file: string): GenuineFixture {
  const text = readFileSync(join(__dirname, "..", "..", "fixtures", "attestation", file), "utf8").trim();
  const doc = new Uint8Array(Buffer.from(text, "base64"));
  const ts: Record<string, string> = {
    "cape-js-2022-09-15.b64": "2022-09-15T17:43:28.848Z",
    "cape-js-2022-09-28.b64": "2022-09-28T15:33:27.680Z",
    "eternis-debug-2024-09-06.b64": "2024-09-06T04:33:12.729Z",
  };
  return { file, doc, time: new Date(ts[file]!) };
}

export const GENUINE_FILES = ["cape-js-2022-09-15.b64", "cape-js-2022-09-28.b64"] as const;

/** Runs `fn` and returns the VettidError it rejects with (fails the test otherwise). */
export async function rejection(
  fn: () => Promise<unknown>,
): Promise<{ code: string; reason: string; message: string }> {
  try {
    await fn();
  } catch (err) {
    if (!isVettidError(err)) throw err;
    return { code: err.code, reason: String(err.details?.reason ?? ""), message: err.message };
  }
  throw new Error("expected a rejection");
}
