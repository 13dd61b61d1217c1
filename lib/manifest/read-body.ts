import { VettidError } from "../errors";
import { MAX_MANIFEST_BYTES } from "./constants";

/**
 * Reads a fetched manifest's body as UTF-8, counting bytes as they arrive: at
 * {@link MAX_MANIFEST_BYTES} it stops reading, cancels the download and refuses it,
 * so a hostile CDN, edge or history server cannot make a device or a host buffer an
 * unbounded body before its size is checked.
 * @throws VettidError `MANIFEST_INVALID` for a body over the limit.
 */
export async function readManifestBody(response: Response, limit = MAX_MANIFEST_BYTES): Promise<string> {
  const declared = Number(response.headers.get("content-length"));
  if (Number.isFinite(declared) && declared > limit) {
    await response.body?.cancel().catch(() => undefined);
    throw new VettidError("MANIFEST_INVALID", `manifest larger than ${limit} bytes`);
  }
  if (!response.body) return "";
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      await reader.cancel().catch(() => undefined);
      throw new VettidError("MANIFEST_INVALID", `manifest larger than ${limit} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString("utf8");
}
