/**
 * Decodes an `aws-chunked` request body (SigV4 streaming uploads and flexible
 * checksums): `<hex size>[;chunk-signature=…]\r\n<data>\r\n` repeated, ended by a
 * zero-size chunk and optional trailer lines. Signatures and trailing checksums are
 * not verified (the stand-in is loopback-only). Returns `undefined` when malformed.
 */
export function decodeAwsChunked(body: Buffer): Buffer | undefined {
  const parts: Buffer[] = [];
  let offset = 0;
  for (;;) {
    const lineEnd = body.indexOf("\r\n", offset);
    if (lineEnd < 0) return undefined;
    const sizeText = body.subarray(offset, lineEnd).toString("latin1").split(";")[0]?.trim() ?? "";
    if (!/^[0-9a-fA-F]{1,8}$/.test(sizeText)) return undefined;
    const size = Number.parseInt(sizeText, 16);
    offset = lineEnd + 2;
    if (size === 0) return Buffer.concat(parts);
    if (offset + size + 2 > body.length) return undefined;
    parts.push(body.subarray(offset, offset + size));
    offset += size;
    if (body[offset] !== 0x0d || body[offset + 1] !== 0x0a) return undefined;
    offset += 2;
  }
}
