/** Error codes and the error family shared by REST, NATS and the proxy. */

export { type FromAwsErrorOptions, fromAwsError } from "./aws-error";
export { ERROR_CODES, type ErrorCode, isErrorCode } from "./codes";
export {
  fromWire,
  isRetryable,
  isVettidError,
  toVettidError,
  VettidError,
  type VettidErrorOptions,
  type WireError,
} from "./vettid-error";
