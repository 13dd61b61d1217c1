import { createPublicKey, verify } from "node:crypto";
import {
  type DeviceMessage,
  type EnclaveMessage,
  encodeDeviceMessage,
  encodeEnclaveMessage,
  encodeFailure,
  encodeRequest,
  encodeResult,
  encodeWire,
  MESSAGE_TYPES,
  parseAnswer,
  parseDeviceMessage,
  parseEnclaveMessage,
  parseHandshakeAnswer,
  parseRequest,
  VAULT_OPS,
  type VaultFailure,
  type VaultOp,
  type VaultRequest,
  type VaultResults,
  type WireMap,
  type WireValue,
} from "../../../lib/vault-protocol";
import vectors from "../../vectors/vault-protocol-v1.json";

const bytes = (h: string) => new Uint8Array(Buffer.from(h, "hex"));
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

/** A vector's `fields` as protocol values: `{"$bytes": hex}` becomes a byte string. */
function wire(value: unknown): WireValue {
  if (Array.isArray(value)) return value.map(wire);
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value);
    const [only] = entries;
    if (entries.length === 1 && only?.[0] === "$bytes" && typeof only[1] === "string") return bytes(only[1]);
    return Object.fromEntries(entries.map(([k, v]) => [k, wire(v)]));
  }
  return value as WireValue;
}

const fieldsOf = (value: unknown) => wire(value) as WireMap;
const withoutVersion = ({ v: _v, ...message }: WireMap) => message;

describe("vault protocol vectors (tests/vectors/vault-protocol-v1.json)", () => {
  it("covers every message kind, and one request body and one answer per operation", () => {
    // Assess
    const ops = Object.values(VAULT_OPS);
    expect(vectors.operations).toEqual(ops);
    expect(vectors.messages.map((m) => `${m.direction} ${m.fields.t}`)).toEqual([
      `device-to-enclave ${MESSAGE_TYPES.attest}`,
      `device-to-enclave ${MESSAGE_TYPES.handshake}`,
      `device-to-enclave ${MESSAGE_TYPES.sealed}`,
      `enclave-to-device ${MESSAGE_TYPES.attestation}`,
      `enclave-to-device ${MESSAGE_TYPES.handshake}`,
      `enclave-to-device ${MESSAGE_TYPES.sealed}`,
      `enclave-to-device ${MESSAGE_TYPES.error}`,
    ]);
    expect(vectors.requests.map((r) => r.op)).toEqual(ops);
    expect(vectors.answers.filter((a) => a.ok).map((a) => a.op)).toEqual(ops);
    expect(vectors.answers.filter((a) => !a.ok).length).toBeGreaterThan(0);
  });

  it("encodes every message as published, and parses the published bytes back to its fields", () => {
    for (const vector of vectors.messages) {
      // Prepare
      const fields = fieldsOf(vector.fields);
      const encoded = bytes(vector.encoded);
      expect(fields.v).toBe(1);
      // Act + Assess
      if (vector.direction === "device-to-enclave") {
        expect(hex(encodeDeviceMessage(withoutVersion(fields) as unknown as DeviceMessage))).toBe(vector.encoded);
        const parsed = parseDeviceMessage(encoded);
        expect(parsed).toEqual(withoutVersion(fields));
        expect(hex(encodeDeviceMessage(parsed))).toBe(vector.encoded);
      } else {
        expect(hex(encodeEnclaveMessage(withoutVersion(fields) as unknown as EnclaveMessage))).toBe(vector.encoded);
        const parsed = parseEnclaveMessage(encoded);
        expect(parsed).toEqual(withoutVersion(fields));
        expect(hex(encodeEnclaveMessage(parsed))).toBe(vector.encoded);
      }
    }
  });

  it("encodes the handshake's payload 2 as published", () => {
    // Act + Assess
    expect(hex(encodeWire(fieldsOf(vectors.handshakePayload2.fields)))).toBe(vectors.handshakePayload2.encoded);
  });

  it("encodes and reads the handshake's refusal as published", () => {
    // Act
    const parsed = parseHandshakeAnswer(bytes(vectors.handshakeRefusal.encoded));
    // Assess
    expect(hex(encodeWire(fieldsOf(vectors.handshakeRefusal.fields)))).toBe(vectors.handshakeRefusal.encoded);
    expect(parsed).toEqual({ ok: false, code: "FORBIDDEN", message: vectors.handshakeRefusal.fields.message });
  });

  it("encodes every request body as published, and re-encodes what the enclave parses to the same bytes", () => {
    for (const vector of vectors.requests) {
      // Prepare
      const request = { op: vector.op, ...fieldsOf(vector.fields) } as unknown as VaultRequest;
      // Act
      const encoded = hex(encodeRequest(request));
      const parsed = parseRequest(vector.op, bytes(vector.encoded));
      // Assess
      expect(encoded).toBe(vector.encoded);
      expect(parsed).toEqual(request);
      expect(hex(encodeRequest(parsed))).toBe(vector.encoded);
    }
  });

  it("encodes every answer body as published, and parses it back to its fields", () => {
    for (const vector of vectors.answers) {
      // Prepare
      const op = vector.op as VaultOp;
      const { ok, ...fields } = fieldsOf(vector.fields);
      expect(ok).toBe(vector.ok);
      // Act
      const encoded = vector.ok
        ? encodeResult(op, fields as unknown as VaultResults[typeof op])
        : encodeFailure(fields as unknown as VaultFailure);
      const parsed = parseAnswer(op, bytes(vector.encoded));
      // Assess
      expect(hex(encoded)).toBe(vector.encoded);
      expect(parsed).toEqual(vector.ok ? { ok: true, result: fields } : { ok: false, failure: fields });
    }
  });

  it("writes integers of 2^32 and more as float64, which a device must read as integers", () => {
    // Prepare
    const get = vectors.answers.find((a) => a.ok && a.op === "items.get");
    // Act
    const parsed = parseAnswer("items.get", bytes(get?.encoded ?? ""));
    const double = Buffer.alloc(8);
    double.writeDoubleBE(1_796_119_200_000);
    // Assess: the key "createdAt" (text of 9 bytes, 0x69), then 0xfb and the big-endian double
    expect(get?.encoded).toContain(`69${Buffer.from("createdAt").toString("hex")}fb${double.toString("hex")}`);
    expect(parsed).toMatchObject({ ok: true, result: { item: { createdAt: 1_796_119_200_000 } } });
  });

  it("publishes an identity.sign answer whose signature verifies over the request's challenge as given", () => {
    // Prepare
    const request = fieldsOf(vectors.requests.find((r) => r.op === "identity.sign")?.fields);
    const answer = fieldsOf(vectors.answers.find((a) => a.ok && a.op === "identity.sign")?.fields);
    const spki = Buffer.concat([
      Buffer.from("302a300506032b6570032100", "hex"),
      Buffer.from(vectors.identity.publicKey, "hex"),
    ]);
    // Act
    const valid = verify(
      null,
      request.challenge as Uint8Array,
      createPublicKey({ key: spki, format: "der", type: "spki" }),
      answer.signature as Uint8Array,
    );
    // Assess
    expect(valid).toBe(true);
    expect(hex(answer.identityKey as Uint8Array)).toBe(vectors.identity.publicKey);
  });
});

describe("a device reads only the fields each answer has", () => {
  const item = { name: "bank", type: "login", value: new Uint8Array([1]), version: 1, createdAt: 1, updatedAt: 1 };

  it.each([
    ["items.put", { ok: true, stateVersion: 3, version: 2, identityKey: new Uint8Array(32) }],
    ["vault.lock", { ok: true, stateVersion: 3, unlocked: false }],
    ["items.get", { ok: true, stateVersion: 3, item: { ...item, note: "x" } }],
    [
      "items.list",
      {
        ok: true,
        stateVersion: 3,
        items: [{ name: "bank", type: "login", version: 1, updatedAt: 1, value: new Uint8Array([1]) }],
      },
    ],
    ["vault.unlock", { ok: false, code: "PIN_INCORRECT", message: "", lockedOut: true }],
  ] as const)("refuses an unknown field in a %s answer", (op, fields) => {
    expect(() => parseAnswer(op, encodeWire(fields as never))).toThrow(
      expect.objectContaining({ code: "VALIDATION_FAILED" }),
    );
  });

  it("refuses a status whose flags are not booleans", () => {
    const body = encodeWire({ ok: true, stateVersion: 1, initialized: 1, unlocked: false, identityKey: null });
    expect(() => parseAnswer("vault.status", body)).toThrow(expect.objectContaining({ code: "VALIDATION_FAILED" }));
  });

  it("still reads every answer the enclave writes", () => {
    const body = encodeResult("items.get", { stateVersion: 3, item: item as never });
    expect(parseAnswer("items.get", body)).toEqual({ ok: true, result: { stateVersion: 3, item } });
  });
});
