/**
 * The bound on the line a NATS server (or the host, before TLS) sends first
 * (vault-enclave/nats boundFirstLine): a stream is destroyed exactly when more than the
 * limit arrives before the first CRLF, however the bytes are split into chunks.
 */
import { PassThrough } from "node:stream";
import fc from "fast-check";
import { boundFirstLine } from "../../../../vault-enclave/nats";

/** Feeds `chunks` through a bounded stream; resolves with whether it was destroyed with an error. */
async function feed(chunks: Buffer[], limit: number): Promise<{ destroyed: boolean; error?: Error }> {
  const stream = new PassThrough();
  let error: Error | undefined;
  stream.on("error", (err) => {
    error = err;
  });
  boundFirstLine(stream, limit);
  stream.on("data", () => undefined);
  for (const chunk of chunks) {
    if (stream.destroyed) break;
    stream.write(chunk);
    await new Promise((resolve) => setImmediate(resolve));
  }
  await new Promise((resolve) => setImmediate(resolve));
  return { destroyed: stream.destroyed, error };
}

/** Splits `bytes` at the given cut points. */
function split(bytes: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let from = 0;
  for (const point of points) {
    if (point > from) out.push(bytes.subarray(from, point));
    from = Math.max(from, point);
  }
  if (from < bytes.length) out.push(bytes.subarray(from));
  return out;
}

describe("boundFirstLine", () => {
  it("destroys the stream exactly when more than the limit precedes the first CRLF, however it is chunked", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 300 }),
        fc.integer({ min: 1, max: 200 }),
        fc.uint8Array({ maxLength: 100 }),
        fc.array(fc.nat(), { maxLength: 12 }),
        fc.boolean(),
        async (lineLength, limit, rest, cuts, ended) => {
          const line = Buffer.alloc(lineLength, 0x61);
          const bytes = ended ? Buffer.concat([line, Buffer.from("\r\n"), Buffer.from(rest)]) : line;
          const result = await feed(split(bytes, cuts), limit);
          expect(result.destroyed).toBe(lineLength > limit);
          if (lineLength > limit) expect(result.error?.message).toMatch(/before its first line ended/);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("finds a CRLF split across two chunks and stops counting there", async () => {
    const result = await feed([Buffer.from("INFO {}\r"), Buffer.from("\n"), Buffer.alloc(500, 0x62)], 16);
    expect(result.destroyed).toBe(false);
  });

  it("does not count the CR of a CRLF split across chunks against the line", async () => {
    const result = await feed([Buffer.alloc(16, 0x61), Buffer.from("\r"), Buffer.from("\nrest")], 16);
    expect(result.destroyed).toBe(false);
  });

  it("does not take a lone CR or LF for the end of the line", async () => {
    const result = await feed([Buffer.from("INFO\r"), Buffer.from("x\n"), Buffer.alloc(40, 0x62)], 16);
    expect(result.destroyed).toBe(true);
  });
});
