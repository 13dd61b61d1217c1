/**
 * Reads an attestation document given as binary CBOR, hex, or base64 (standard or
 * URL alphabet, with or without padding), as reviewers receive it from apps and logs.
 */
export function decodeDocumentInput(raw: Uint8Array): Uint8Array {
  // Binary: COSE_Sign1 starts with 0x84 (array of 4) or 0xd2 (tag 18).
  if (raw.length > 0 && (raw[0] === 0x84 || raw[0] === 0xd2)) return raw;
  const text = Buffer.from(raw).toString("latin1").replace(/\s+/g, "");
  if (text.length === 0) throw new Error("the document file is empty");
  if (/^([0-9a-fA-F]{2})+$/.test(text)) return new Uint8Array(Buffer.from(text, "hex"));
  if (/^[A-Za-z0-9+/\-_]+={0,2}$/.test(text)) {
    const bytes = Buffer.from(text.replace(/-/g, "+").replace(/_/g, "/"), "base64");
    if (bytes.length > 0) return new Uint8Array(bytes);
  }
  throw new Error("the document is neither binary CBOR, hex, nor base64");
}

/** Parses a hex string (even length) or returns undefined. */
export function parseHex(text: string): Uint8Array | undefined {
  return /^([0-9a-fA-F]{2})*$/.test(text) ? new Uint8Array(Buffer.from(text, "hex")) : undefined;
}
