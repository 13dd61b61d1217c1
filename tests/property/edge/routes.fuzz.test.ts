import fc from "fast-check";
import { generateDeviceKeys } from "../../../client/device";
import { CreateInvitationRequestSchema, ListInvitationsQuerySchema } from "../../../lib/edge";
import { COUNTER_PREFIXES } from "../../../lib/store";
import { useEdge } from "../../integration/edge/support";

/**
 * Fuzzes every route with malformed requests: wrong types, missing and extra
 * fields, huge strings, bad JSON, wrong content types, unicode, odd path ids.
 * Every answer must be a 4xx application/problem+json with a stable code, never a
 * 5xx, and the table must not change (only the attempt counters that limit abuse).
 */

const keys = generateDeviceKeys();
const validEnrollment = {
  invitationCode: "ABCD-EFGH-JKMN-PQRS",
  device: {
    signingKey: keys.signing.publicKey,
    exchangeKey: keys.exchange.publicKey,
    natsPublicKey: keys.nats.publicKey,
  },
};
const validSigned = {
  timestamp: new Date().toISOString(),
  nonce: "bm9uY2Utbm9uY2Utbm9uY2UtMDE",
  signature: "A".repeat(86),
};
const huge = ["x".repeat(20_000), "é".repeat(9_000), "😀".repeat(5_000), "\u0000".repeat(17_000)];

const unicode = fc.oneof(
  fc.string({ unit: "grapheme", maxLength: 40 }),
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.constantFrom("", " ", "\u202e", "\ud800", "null", "../../etc/passwd", "%00", "dev_💥", "inv_"),
);
const weird = fc.oneof(
  unicode,
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.integer(), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.integer(), { maxKeys: 3 }),
  fc.constantFrom(...huge),
);

/** Mutates a valid object: drop a field, retype one, add an unknown one, or nest garbage. */
function mutated(valid: Record<string, unknown>): fc.Arbitrary<unknown> {
  const keysOf = Object.keys(valid);
  return fc.oneof(
    fc.constantFrom(...keysOf).map((k) => {
      const { [k]: _dropped, ...rest } = valid;
      return rest;
    }),
    fc.tuple(fc.constantFrom(...keysOf), weird).map(([k, v]) => ({ ...valid, [k]: v })),
    fc.tuple(fc.string({ minLength: 1, maxLength: 12 }), weird).map(([k, v]) => ({ ...valid, [`x${k}`]: v })),
    fc.jsonValue({ maxDepth: 3 }),
  );
}

type Body = { text?: string; contentType?: string };

function bodies(valid: Record<string, unknown>): fc.Arbitrary<Body> {
  const json = "application/json";
  return fc.oneof(
    { weight: 5, arbitrary: mutated(valid).map((v) => ({ text: JSON.stringify(v), contentType: json })) },
    { weight: 2, arbitrary: fc.string({ maxLength: 60 }).map((t) => ({ text: t, contentType: json })) },
    {
      weight: 1,
      arbitrary: fc
        .constantFrom(...huge)
        .map((t) => ({ text: JSON.stringify({ ...valid, big: t }), contentType: json })),
    },
    {
      weight: 2,
      arbitrary: fc
        .constantFrom(
          "text/plain",
          "application/xml",
          "multipart/form-data; boundary=x",
          "application/json; charset=latin1",
          "application/jsonx",
          "",
        )
        .map((ct) => ({ text: JSON.stringify(valid), contentType: ct })),
    },
    { weight: 1, arbitrary: fc.constant({ text: JSON.stringify(valid) }) },
    { weight: 1, arbitrary: fc.constant<Body>({ contentType: json }) },
    { weight: 1, arbitrary: fc.constant({ text: "\u00ff\u00fe{", contentType: "application/octet-stream" }) },
  );
}

const pathId = fc.oneof(
  unicode
    .filter((s) => s.length > 0)
    .map((s) => [...Buffer.from(s, "utf8")].map((b) => `%${b.toString(16).padStart(2, "0")}`).join("")),
  fc.constantFrom(
    "dev_00000000000000000000000000000000",
    "inv_00000000000000000000000000000000",
    "dev_",
    "x".repeat(300),
  ),
);

interface FuzzRequest {
  route: string;
  method: string;
  path: string;
  body: Body;
  admin: boolean;
  query?: string;
}

const noBody: fc.Arbitrary<Body> = fc.oneof(fc.constant<Body>({}), bodies({ a: 1 }));
const query = fc.oneof(
  fc.constant(""),
  fc
    .dictionary(fc.string({ minLength: 1, maxLength: 8 }), unicode, { maxKeys: 3 })
    .map((d) => `?${new URLSearchParams(d)}`),
  fc.constantFrom("?limit=0", "?limit=1000", "?limit=abc", "?cursor=%F0%9F%92%A5", "?limit=5&extra=1"),
);

const requests: fc.Arbitrary<FuzzRequest> = fc.oneof(
  fc.record({
    route: fc.constant("invitations-create"),
    method: fc.constant("POST"),
    path: fc.constant("/v1/invitations"),
    body: bodies({ expiresInSeconds: 3600, note: "n" }),
    admin: fc.boolean(),
  }),
  fc.record({
    route: fc.constant("invitations-list"),
    method: fc.constant("GET"),
    path: fc.constant("/v1/invitations"),
    body: noBody,
    admin: fc.boolean(),
    query,
  }),
  fc.record({
    route: fc.constant("invitations-revoke"),
    method: fc.constant("POST"),
    path: pathId.map((id) => `/v1/invitations/${id}/revoke`),
    body: noBody,
    admin: fc.boolean(),
  }),
  fc.record({
    route: fc.constant("enrollments-create"),
    method: fc.constant("POST"),
    path: fc.constant("/v1/enrollments"),
    body: bodies(validEnrollment),
    admin: fc.boolean(),
  }),
  fc.record({
    route: fc.constant("devices-credentials"),
    method: fc.constant("POST"),
    path: pathId.map((id) => `/v1/devices/${id}/credentials`),
    body: bodies(validSigned),
    admin: fc.boolean(),
  }),
  fc.record({
    route: fc.constant("devices-pairing-invitations"),
    method: fc.constant("POST"),
    path: pathId.map((id) => `/v1/devices/${id}/pairing-invitations`),
    body: bodies(validSigned),
    admin: fc.boolean(),
  }),
  fc.record({
    route: fc.constant("devices-revoke"),
    method: fc.constant("POST"),
    path: pathId.map((id) => `/v1/devices/${id}/revoke`),
    body: bodies({ ...validSigned, signerDeviceId: "dev_00000000000000000000000000000000" }),
    admin: fc.boolean(),
  }),
  fc.record({
    route: fc.constant("admin-devices-revoke"),
    method: fc.constant("POST"),
    path: pathId.map((id) => `/v1/admin/devices/${id}/revoke`),
    body: noBody,
    admin: fc.boolean(),
  }),
  fc.record({
    route: fc.constant("pcr-manifest-get"),
    method: fc.constant("GET"),
    path: fc.constant("/v1/pcr-manifest"),
    body: noBody,
    admin: fc.boolean(),
    query,
  }),
  fc.record({
    route: fc.constant("health-get"),
    method: fc.constant("GET"),
    path: fc.constant("/v1/health"),
    body: noBody,
    admin: fc.boolean(),
    query,
  }),
  fc.record({
    route: fc.constant("wrong-method"),
    method: fc.constantFrom("PUT", "DELETE", "PATCH"),
    path: fc.constantFrom("/v1/enrollments", "/v1/health", "/v1/invitations"),
    body: noBody,
    admin: fc.boolean(),
  }),
);

/** Requests that are valid and would legitimately succeed (and maybe write): not part of this fuzz. */
function wouldSucceed(r: FuzzRequest): boolean {
  const jsonOk = r.body.contentType === "application/json" && r.body.text !== undefined;
  const parse = () => {
    try {
      return JSON.parse(r.body.text ?? "");
    } catch {
      return undefined;
    }
  };
  if (r.route === "invitations-create")
    return r.admin && jsonOk && CreateInvitationRequestSchema.safeParse(parse()).success;
  const bodyless = r.body.text === undefined || r.body.text === "";
  const params = Object.fromEntries(new URLSearchParams(r.query ?? ""));
  if (r.route === "invitations-list")
    return r.admin && bodyless && ListInvitationsQuerySchema.safeParse(params).success;
  if (r.route === "health-get") return bodyless && Object.keys(params).length === 0;
  return false;
}

describe("REST edge fuzz: every route, malformed requests", () => {
  const edge = useEdge();

  test("2,200 generated requests: always 4xx problem+json, never 5xx, never a changed record", async () => {
    // Prepare
    const before = await edge.current.snapshot({ excludePrefixes: [...COUNTER_PREFIXES] });
    const seen = new Map<number, number>();
    let sent = 0;
    // Act + Assess per request
    await fc.assert(
      fc.asyncProperty(requests, async (r) => {
        fc.pre(!wouldSucceed(r));
        const headers: Record<string, string> = {};
        if (r.body.contentType) headers["content-type"] = r.body.contentType;
        const response = await edge.current.request(r.method, `${r.path}${r.query ?? ""}`, {
          ...(r.body.text !== undefined ? { body: r.body.text } : {}),
          headers,
          admin: r.admin,
        });
        sent += 1;
        seen.set(response.status, (seen.get(response.status) ?? 0) + 1);
        expect(response.status).toBeGreaterThanOrEqual(400);
        expect(response.status).toBeLessThan(500);
        expect(response.headers.get("content-type")).toBe("application/problem+json");
        const problem = response.json as { status: number; code: string; type: string; title: string };
        expect(problem.status).toBe(response.status);
        expect(problem.code).toMatch(/^[A-Z_]+$/);
        expect(problem.type).toBe(`urn:vettid:error:${problem.code.toLowerCase()}`);
        expect(response.text).not.toMatch(/node_modules|\.ts:\d+|stack|ConditionalCheck|Exception/);
      }),
      { numRuns: 2_200, seed: 0x5eed, endOnFailure: true },
    );
    // Assess the table
    const after = await edge.current.snapshot({ excludePrefixes: [...COUNTER_PREFIXES] });
    expect(sent).toBeGreaterThanOrEqual(2_000);
    expect(after).toEqual(before);
    expect([...seen.keys()].every((s) => s >= 400 && s < 500)).toBe(true);
  });
});
