import { createEdgeClient, generateDeviceKeys } from "../../../client/device";
import { useEdge } from "./support";

/**
 * DESIGN.md §3 invariant 5: the device creates its own keys and no private half
 * ever leaves it. Every byte the reference client sends to the edge is recorded and
 * searched for the device's seeds and private keys, in every encoding it holds them in.
 */
describe("device secrets never leave the device", () => {
  const edge = useEdge();

  it("sends only public keys during enrollment, credential refresh and revocation, and stores none", async () => {
    // Prepare
    const sent: string[] = [];
    const recordingFetch: typeof fetch = async (input, init) => {
      const headers = new Headers(init?.headers);
      sent.push(String(input), JSON.stringify([...headers.entries()]), String(init?.body ?? ""));
      return fetch(input, init);
    };
    const admin = createEdgeClient({ baseUrl: edge.current.edge.rest.url, adminToken: edge.current.edge.adminToken });
    const device = createEdgeClient({ baseUrl: edge.current.edge.rest.url, fetch: recordingFetch });
    const keys = generateDeviceKeys();
    const { code } = await admin.createInvitation();

    // Act
    const enrollment = await device.enroll(code, keys);
    await device.refreshCredentials(enrollment.deviceId, keys);
    await device.revokeDevice(enrollment.deviceId, enrollment.deviceId, keys);

    // Assess
    const secrets = [keys.signing.seed, keys.exchange.privateKey, keys.nats.seed];
    const encodings = secrets.flatMap((secret) => {
      const raw = secret.startsWith("SU") ? Buffer.from(secret) : Buffer.from(secret, "base64url");
      return [secret, raw.toString("hex"), raw.toString("base64"), raw.toString("base64url")];
    });
    const wire = sent.join("\n");
    expect(sent.length).toBeGreaterThanOrEqual(9);
    expect(wire).toContain(keys.signing.publicKey);
    expect(wire).toContain(keys.nats.publicKey);
    for (const encoded of encodings) expect(wire).not.toContain(encoded);
    const stored = JSON.stringify(await edge.current.snapshot());
    expect(stored).toContain(keys.nats.publicKey);
    for (const encoded of encodings) expect(stored).not.toContain(encoded);
  });
});
