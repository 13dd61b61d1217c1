import {
  ERROR_CODES,
  fromAwsError,
  fromWire,
  isErrorCode,
  isRetryable,
  isVettidError,
  toVettidError,
  VettidError,
} from "../../../lib/errors";

describe("error codes", () => {
  it("maps every code to an HTTP status and a title", () => {
    for (const [code, spec] of Object.entries(ERROR_CODES)) {
      expect(code).toMatch(/^[A-Z][A-Z0-9_]+$/);
      expect(spec.http).toBeGreaterThanOrEqual(400);
      expect(spec.http).toBeLessThan(600);
      expect(spec.title.length).toBeGreaterThan(0);
    }
  });

  it("keeps client mistakes in the 4xx range", () => {
    for (const code of ["BAD_REQUEST", "VALIDATION_FAILED", "INVITATION_USED", "FRAME_MALFORMED"] as const) {
      expect(ERROR_CODES[code].http).toBeLessThan(500);
    }
  });

  it("recognises only known codes", () => {
    expect(isErrorCode("NOT_FOUND")).toBe(true);
    expect(isErrorCode("toString")).toBe(false);
    expect(isErrorCode("__proto__")).toBe(false);
    expect(isErrorCode(42)).toBe(false);
  });
});

describe("VettidError", () => {
  it("carries code, status, retryability and cause", () => {
    const cause = new Error("socket reset");
    const err = new VettidError("UNAVAILABLE", "kms is down", { cause });

    expect(err.name).toBe("VettidError");
    expect(err.code).toBe("UNAVAILABLE");
    expect(err.httpStatus).toBe(503);
    expect(err.retryable).toBe(true);
    expect(err.cause).toBe(cause);
    expect(isVettidError(err, "UNAVAILABLE")).toBe(true);
    expect(isVettidError(err, "NOT_FOUND")).toBe(false);
    expect(isRetryable(err)).toBe(true);
  });

  it("round-trips over the wire without cause or stack", () => {
    const wire = new VettidError("PIN_INCORRECT", "wrong PIN", { cause: new Error("secret detail") }).toWire();

    expect(wire).toEqual({ code: "PIN_INCORRECT", message: "wrong PIN", retryable: false });
    expect(JSON.stringify(wire)).not.toContain("secret detail");
    expect(fromWire(wire).code).toBe("PIN_INCORRECT");
  });

  it("turns unknown peer codes and foreign errors into INTERNAL with a generic message", () => {
    expect(fromWire({ code: "MADE_UP", message: "x" }).code).toBe("INTERNAL");
    expect(fromWire("nonsense").code).toBe("INTERNAL");
    const wrapped = toVettidError(new TypeError("db password=hunter2"));
    expect(wrapped.code).toBe("INTERNAL");
    expect(wrapped.message).not.toContain("hunter2");
  });
});

describe("AWS errors of a request of our own (ownRequest)", () => {
  const aws = (name: string, httpStatusCode: number, fault = "client") =>
    Object.assign(new Error(`${name} details`), { name, $fault: fault, $metadata: { httpStatusCode } });

  it.each([
    ["ProvisionedThroughputExceededException", 400, "RATE_LIMITED"],
    ["RequestLimitExceeded", 400, "RATE_LIMITED"],
    ["ThrottlingException", 400, "RATE_LIMITED"],
    ["InternalServerError", 500, "UNAVAILABLE"],
    ["TimeoutError", 0, "TIMEOUT"],
  ])("keeps the retryable kind of %s", (name, status, code) => {
    const mapped = fromAwsError(aws(name, status, status >= 500 ? "server" : "client"), "DynamoDB GetItem", {
      ownRequest: true,
    });
    expect(mapped).toMatchObject({ code, retryable: true });
  });

  it.each([
    ["ResourceNotFoundException", 400],
    ["AccessDeniedException", 400],
    ["ValidationException", 400],
    ["UnrecognizedClientException", 400],
  ])("turns %s into INTERNAL, never a 4xx that blames the caller", (name, status) => {
    // Prepare
    const err = aws(name, status);
    // Act
    const mapped = fromAwsError(err, "DynamoDB PutItem", { ownRequest: true });
    // Assess: the kind AWS gave is in the logged message, the details only in the cause
    expect(mapped).toMatchObject({ code: "INTERNAL", retryable: false, httpStatus: 500 });
    expect(mapped.message).toMatch(/^DynamoDB PutItem failed \((BAD_REQUEST|FORBIDDEN)\)$/);
    expect(mapped.cause).toBe(err);
  });

  it("maps as before without the option (the caller's request: its 4xx stay 4xx)", () => {
    expect(fromAwsError(aws("AccessDeniedException", 400), "S3 GetObject")).toMatchObject({ code: "FORBIDDEN" });
    expect(fromAwsError(aws("ValidationException", 400), "KMS Decrypt")).toMatchObject({ code: "BAD_REQUEST" });
  });
});
