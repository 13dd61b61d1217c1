import { generateDeviceKeys } from "../../../client/device";
import { RATE_LIMITS, refreshCredentials } from "../../../lib/edge";
import { useEdge } from "./support";

/** A device id nobody enrolled, and a well-formed but wrong signed request. */
const deviceId = `dev_${"0".repeat(32)}`;
const unsigned = {
  timestamp: "2026-01-01T00:00:00.000Z",
  nonce: "bm9uY2Utbm9uY2Utbm9uY2UtMDE",
  signature: "A".repeat(86),
};

describe("REST edge: attempt limits", () => {
  const edge = useEdge();
  let realNow: () => number;

  beforeAll(() => {
    // a clock fixed in the middle of every limit window, so a window boundary never splits a test
    realNow = edge.current.edge.context.now;
    const hour = 3_600_000;
    const fixed = Math.floor(Date.now() / hour) * hour + hour / 2 + 1_000;
    edge.current.edge.context.now = () => fixed;
  });
  afterAll(() => {
    edge.current.edge.context.now = realNow;
  });

  test("the per-source limit counts the caller's address; X-Forwarded-For and friends do not reset it", async () => {
    // Prepare
    const attempt = (i: number) =>
      edge.current.request("POST", `/v1/devices/${deviceId}/credentials`, {
        json: unsigned,
        headers: { "x-forwarded-for": `198.51.100.${i}`, "x-real-ip": `203.0.113.${i}`, forwarded: `for=192.0.2.${i}` },
      });
    // Act
    const statuses: number[] = [];
    for (let i = 0; i < RATE_LIMITS.perSource.max; i += 1) statuses.push((await attempt(i)).status);
    const over = await attempt(RATE_LIMITS.perSource.max);
    // Assess
    expect(statuses.every((s) => s === 401)).toBe(true);
    expect(over.status).toBe(429);
    expect((over.json as { code: string }).code).toBe("RATE_LIMITED");
    expect(over.headers.get("retry-after")).toBe(String(RATE_LIMITS.perSource.windowSeconds));
  });

  test("IPv6 sources are counted by /64: new interface ids do not reset the limit, another network does not share it", async () => {
    // Prepare
    const ctx = edge.current.edge.context;
    const attempt = (address: string) =>
      refreshCredentials(ctx, deviceId, unsigned, address).then(
        () => "ok",
        (err: { code?: string }) => err.code,
      );
    // Act
    const codes: (string | undefined)[] = [];
    for (let i = 0; i < RATE_LIMITS.perSource.max; i += 1)
      codes.push(await attempt(`2001:db8:77:1:${i.toString(16)}::1`));
    const sameNetwork = await attempt("2001:0db8:0077:0001:ffff:ffff:ffff:fffe");
    const otherNetwork = await attempt("2001:db8:77:2::1");
    // Assess
    // below the limit each attempt is refused on its merits (a stale, unsigned request)
    expect(codes.every((c) => c === "CHALLENGE_INVALID")).toBe(true);
    expect(sameNetwork).toBe("RATE_LIMITED");
    expect(otherNetwork).toBe("CHALLENGE_INVALID");
  });

  test("the per-code limit holds however the code is typed", async () => {
    // Prepare: one unknown code, spelled every way normalization accepts
    const spellings = ["K7QZ-M2PA-9XWD-4TNB", "k7qz-m2pa-9xwd-4tnb", "K7QZM2PA9XWD4TNB", "k7qzm2pa9xwd4tnb"];
    const keys = generateDeviceKeys();
    const device = {
      signingKey: keys.signing.publicKey,
      exchangeKey: keys.exchange.publicKey,
      natsPublicKey: keys.nats.publicKey,
    };
    const attempt = (i: number) =>
      edge.current.request("POST", "/v1/enrollments", {
        json: { invitationCode: spellings[i % spellings.length], device },
      });
    // Act
    const statuses: number[] = [];
    for (let i = 0; i < RATE_LIMITS.perCode.max; i += 1) statuses.push((await attempt(i)).status);
    const over = await attempt(RATE_LIMITS.perCode.max);
    // Assess
    expect(statuses.every((s) => s === 403)).toBe(true);
    expect(over.status).toBe(429);
    expect((over.json as { code: string }).code).toBe("RATE_LIMITED");
  });
});
