import type { Frame } from "../../lib/frames";
import {
  asRecord,
  LOG_LEVELS,
  LOG_OPS,
  MAX_LOG_MESSAGE_LENGTH,
  MAX_METRIC_NAME_LENGTH,
  METRIC_UNITS,
  METRICS_OPS,
  readNumber,
  readOneOf,
  readString,
} from "../../lib/proxy-protocol";

/** The host logger (Powertools Logger satisfies it). */
export interface HostLogger {
  debug(message: string, ...extra: Record<string, unknown>[]): void;
  info(message: string, ...extra: Record<string, unknown>[]): void;
  warn(message: string, ...extra: Record<string, unknown>[]): void;
  error(message: string, ...extra: Record<string, unknown>[]): void;
}

/** The host metrics sink (Powertools Metrics satisfies it). */
export interface HostMetrics {
  addMetric(name: string, unit: (typeof METRIC_UNITS)[number], value: number): void;
  publishStoredMetrics(): void;
}

/** At most 32 fields per entry, each value at most 1 KiB: enough for ids and counts, not for dumps. */
const MAX_FIELDS = 32;
const MAX_FIELD_LENGTH = 1_024;
const FIELD_NAME = /^[A-Za-z][A-Za-z0-9_.]{0,63}$/;

/**
 * Handles a one-way `log` frame: the entry goes to the host logger, marked as coming
 * from the enclave, with its fields cut to bounds. The enclave decides what it logs;
 * it never logs vault plaintext (invariant 1), and the proxy cannot tell. The
 * bounds here and the session's rate limit (rate-limit.ts) keep a confused enclave
 * from flooding the host.
 */
export function logEntry(frame: Frame, logger: HostLogger): void {
  if (frame.type !== LOG_OPS.entry) return;
  const body = asRecord(frame.body);
  const level = readOneOf(body, "level", LOG_LEVELS);
  const message = readString(body, "message", Number.MAX_SAFE_INTEGER).slice(0, MAX_LOG_MESSAGE_LENGTH);
  const fields: Record<string, unknown> = {};
  const raw = body.fields;
  if (raw !== undefined && raw !== null) {
    let count = 0;
    for (const [key, value] of Object.entries(asRecord(raw))) {
      if (count >= MAX_FIELDS || !FIELD_NAME.test(key)) continue;
      if (typeof value === "string") fields[key] = value.slice(0, MAX_FIELD_LENGTH);
      else if (typeof value === "number" || typeof value === "boolean") fields[key] = value;
      else continue;
      count += 1;
    }
  }
  logger[level](message, { source: "enclave", enclave: fields });
}

/** Handles a one-way `metrics` frame: one data point into the host metrics. */
export function metricPoint(frame: Frame, metrics: HostMetrics): void {
  if (frame.type !== METRICS_OPS.put) return;
  const body = asRecord(frame.body);
  const name = readString(body, "name", MAX_METRIC_NAME_LENGTH);
  if (!/^[A-Za-z][A-Za-z0-9_.-]*$/.test(name)) return;
  metrics.addMetric(`enclave.${name}`, readOneOf(body, "unit", METRIC_UNITS), readNumber(body, "value"));
}
