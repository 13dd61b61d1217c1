import {
  errorTypeOf,
  isRetryableFailure,
  parseErrorReply,
  RETRY_POLICY,
  retryDelayMs,
  serviceEndpoint,
} from "../../../../lib/aws-json";

describe("AWS error replies", () => {
  test.each([
    [
      undefined,
      { __type: "com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException" },
      "ConditionalCheckFailedException",
    ],
    ["ResourceNotFoundException:http://internal.amazon.com/coral/", {}, "ResourceNotFoundException"],
    [undefined, { code: "ThrottlingException" }, "ThrottlingException"],
    ["aws.protocoltests#FooError", { __type: "Other" }, "FooError"],
    [undefined, { __type: "<script>" }, "UnknownError"],
    [undefined, "not an object", "UnknownError"],
    [undefined, null, "UnknownError"],
  ])("type of header %p and body %p is %p", (header, body, expected) => {
    expect(errorTypeOf(header, body)).toBe(expected);
  });

  test("the message comes from `message` or `Message`, bounded; a body that is not JSON gives the status", () => {
    expect(parseErrorReply(400, {}, JSON.stringify({ __type: "X", Message: "upper" })).message).toBe("upper");
    expect(parseErrorReply(400, {}, JSON.stringify({ __type: "X", message: "m".repeat(5_000) })).message).toHaveLength(
      512,
    );
    expect(parseErrorReply(502, {}, "<html>").message).toBe("HTTP 502");
  });
});

describe("retry policy", () => {
  test.each([
    ["ThrottlingException", 400, true],
    ["ProvisionedThroughputExceededException", 400, true],
    ["RequestLimitExceeded", 400, true],
    ["NetworkError", 0, true],
    ["InternalServerError", 500, true],
    ["UnknownError", 503, true],
    ["ConditionalCheckFailedException", 400, false],
    ["ValidationException", 400, false],
    ["AccessDeniedException", 400, false],
    ["ResourceNotFoundException", 400, false],
  ])("%s (HTTP %d) is retryable: %p", (type, status, expected) => {
    expect(isRetryableFailure({ type, status })).toBe(expected);
  });

  test("backoff is full jitter below base × 2^(attempt-1), never above the cap", () => {
    for (let attempt = 1; attempt <= 12; attempt += 1) {
      const ceiling = Math.min(RETRY_POLICY.maxDelayMs, RETRY_POLICY.baseDelayMs * 2 ** (attempt - 1));
      expect(retryDelayMs(attempt, () => 0)).toBe(0);
      expect(retryDelayMs(attempt, () => 0.999_999)).toBe(ceiling - 1);
    }
  });
});

describe("service endpoints", () => {
  test("regional endpoints, the China partition included; anything else is refused", () => {
    expect(serviceEndpoint("dynamodb", "us-east-1")).toBe("https://dynamodb.us-east-1.amazonaws.com");
    expect(serviceEndpoint("secretsmanager", "cn-north-1")).toBe("https://secretsmanager.cn-north-1.amazonaws.com.cn");
    expect(serviceEndpoint("dynamodb", "us-gov-west-1")).toBe("https://dynamodb.us-gov-west-1.amazonaws.com");
    for (const bad of ["", "US-EAST-1", "us-east-1.evil.com/", "us_east_1", "localhost"]) {
      expect(() => serviceEndpoint("dynamodb", bad)).toThrow(/not an AWS region/);
    }
  });
});
