import fc from "fast-check";
import {
  AwsServiceError,
  createAwsJsonClient,
  type HttpResponse,
  RETRY_POLICY,
  staticCredentials,
  TransportError,
} from "../../../lib/aws-json";
import { VettidError } from "../../../lib/errors";

/**
 * Replies from the network are untrusted input: whatever comes back (any status,
 * headers, body, lost connections), a call resolves only with a JSON object from a
 * 2xx reply and otherwise rejects with AwsServiceError or VettidError, with a
 * bounded message and an identifier-shaped type, after at most RETRY_POLICY attempts.
 */

const body = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc.json({ maxDepth: 3 }),
  fc
    .record(
      {
        __type: fc.oneof(fc.string({ maxLength: 300 }), fc.constantFrom("a#ThrottlingException", "x#Foo:http://y")),
        message: fc.string({ maxLength: 2_000 }),
        code: fc.string(),
      },
      { requiredKeys: [] },
    )
    .map((o) => JSON.stringify(o)),
  fc.constant(""),
);
const reply: fc.Arbitrary<HttpResponse | TransportError> = fc.oneof(
  fc.record({
    status: fc.integer({ min: 100, max: 599 }),
    headers: fc.record(
      { "x-amzn-errortype": fc.string({ maxLength: 200 }), "x-amzn-requestid": fc.string({ maxLength: 60 }) },
      { requiredKeys: [] },
    ),
    body,
  }),
  fc.constantFrom("ECONNRESET", "ETIMEDOUT", "EPIPE").map((code) => new TransportError("lost", code)),
);

test("any sequence of replies ends in a JSON object or a typed, bounded error", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(reply, { minLength: RETRY_POLICY.maxAttempts, maxLength: RETRY_POLICY.maxAttempts }),
      async (replies) => {
        // Prepare
        const script = [...replies];
        let sent = 0;
        const client = createAwsJsonClient({
          service: "dynamodb",
          region: "us-east-1",
          credentials: staticCredentials({ accessKeyId: "a", secretAccessKey: "b" }),
          sleep: async () => {},
          transport: {
            async send() {
              sent += 1;
              const next = script.shift();
              if (!next) throw new Error("more attempts than the policy allows");
              if (next instanceof Error) throw next;
              return next;
            },
            close() {},
          },
        });
        // Act
        const outcome = await client.call("GetItem", {}).then(
          (value) => ({ value }),
          (error: unknown) => ({ error }),
        );
        // Assess
        expect(sent).toBeLessThanOrEqual(RETRY_POLICY.maxAttempts);
        if ("value" in outcome) {
          const answered = replies[sent - 1] as HttpResponse;
          expect(answered.status).toBeGreaterThanOrEqual(200);
          expect(answered.status).toBeLessThan(300);
          expect(typeof outcome.value).toBe("object");
          expect(Array.isArray(outcome.value)).toBe(false);
          expect(outcome.value).not.toBeNull();
        } else {
          const { error } = outcome;
          expect(error instanceof AwsServiceError || error instanceof VettidError).toBe(true);
          const service = error instanceof VettidError ? (error.cause as AwsServiceError) : (error as AwsServiceError);
          expect(service).toBeInstanceOf(AwsServiceError);
          expect(service.type).toMatch(/^[A-Za-z][A-Za-z0-9_.]{0,127}$/);
          expect(service.message.length).toBeLessThanOrEqual(512);
          if (error instanceof VettidError) {
            expect(error.code).toBe("UNAVAILABLE");
            expect(sent).toBe(RETRY_POLICY.maxAttempts);
          }
        }
      },
    ),
    { numRuns: 2_000 },
  );
});
