import { errors as natsErrors } from "@nats-io/transport-node";
import { fromAwsError, fromNatsError } from "../../../vsock-proxy/upstreams/errors";

describe("upstream error mapping", () => {
  it.each([
    [{ name: "AccessDeniedException", $metadata: { httpStatusCode: 400 } }, "FORBIDDEN", false],
    [{ name: "PreconditionFailed", $metadata: { httpStatusCode: 412 } }, "VERSION_CONFLICT", true],
    [{ name: "Unknown", $metadata: { httpStatusCode: 412 } }, "VERSION_CONFLICT", true],
    [{ name: "NoSuchKey", $metadata: { httpStatusCode: 404 } }, "NOT_FOUND", false],
    [{ name: "KMSInternalException", $fault: "server", $metadata: { httpStatusCode: 500 } }, "UNAVAILABLE", true],
    [Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }), "UNAVAILABLE", true],
    [{ name: "TimeoutError" }, "TIMEOUT", true],
    [{ name: "ThrottlingException", $metadata: { httpStatusCode: 400 } }, "RATE_LIMITED", true],
    [{ name: "InvalidCiphertextException", $metadata: { httpStatusCode: 400 } }, "BAD_REQUEST", false],
  ])("maps AWS %o to %s (retryable %s) without leaking details", (err, code, retryable) => {
    const mapped = fromAwsError(err, "Op");
    expect(mapped).toMatchObject({ code, retryable });
    expect(mapped.message).toBe(`Op failed (${code})`);
  });

  it("maps NATS client errors", () => {
    expect(fromNatsError(new natsErrors.TimeoutError(), "request")).toMatchObject({ code: "TIMEOUT", retryable: true });
    expect(fromNatsError(new natsErrors.NoRespondersError("s"), "request")).toMatchObject({ code: "UNAVAILABLE" });
    expect(fromNatsError(new natsErrors.ClosedConnectionError(), "publish")).toMatchObject({ code: "UNAVAILABLE" });
    expect(fromNatsError(new natsErrors.PermissionViolationError("no", "publish", "s"), "publish")).toMatchObject({
      code: "FORBIDDEN",
    });
  });
});
