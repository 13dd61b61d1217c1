import { readManifestBody } from "../../../lib/manifest";

/** A body that never ends: 64 KiB chunks for as long as it is read. */
function endless(): { response: Response; pulled: () => number; cancelled: () => boolean } {
  let pulled = 0;
  let cancelled = false;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      pulled += 1;
      controller.enqueue(new Uint8Array(64 * 1024).fill(0x41));
    },
    cancel() {
      cancelled = true;
    },
  });
  return { response: new Response(body), pulled: () => pulled, cancelled: () => cancelled };
}

describe("reading a fetched manifest's body", () => {
  it("stops reading an endless body at the limit, cancels it, and refuses it", async () => {
    // Prepare
    const hostile = endless();

    // Act
    const refused = await readManifestBody(hostile.response, 512 * 1024).catch((err) => err);

    // Assess
    expect(refused).toMatchObject({ code: "MANIFEST_INVALID" });
    expect(hostile.pulled()).toBeLessThanOrEqual(10);
    expect(hostile.cancelled()).toBe(true);
  });

  it("refuses a body whose declared length is over the limit before reading it", async () => {
    // Prepare
    const hostile = endless();
    const response = new Response(hostile.response.body, { headers: { "content-length": String(10 * 1024 * 1024) } });

    // Act
    const refused = await readManifestBody(response, 512 * 1024).catch((err) => err);

    // Assess
    expect(refused).toMatchObject({ code: "MANIFEST_INVALID" });
    expect(hostile.pulled()).toBeLessThanOrEqual(1);
  });

  it("reads a body within the limit as UTF-8, however it is chunked", async () => {
    // Prepare
    const text = `{"payload":"${"é".repeat(1000)}"}`;
    const bytes = new TextEncoder().encode(text);
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < bytes.length; i += 7) controller.enqueue(bytes.subarray(i, i + 7));
        controller.close();
      },
    });

    // Act
    const read = await readManifestBody(new Response(body));

    // Assess
    expect(read).toBe(text);
  });
});
