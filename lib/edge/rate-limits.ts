import { createHash } from "node:crypto";
import { VettidError } from "../errors";
import type { EdgeStore } from "../store";
import { sourceKey } from "./source-address";

/**
 * Attempt limits (fixed windows, counters with TTL in the table).
 * - per invitation code: 5 per hour — a user mistyping a code a few times is fine;
 *   a code under attack locks itself for the hour.
 * - per source on unauthenticated routes: 30 per 10 minutes — enough for a
 *   household behind one NAT enrolling several devices, far too few to guess
 *   80-bit codes. A source is an IPv4 address or an IPv6 /64 ({@link sourceKey}).
 * - per device on pairing invitations: 10 per hour — a person adding a few devices,
 *   with a retry or two; a device key used to fill the table runs out at once.
 */
export const RATE_LIMITS = {
  perCode: { windowSeconds: 3600, max: 5 },
  perSource: { windowSeconds: 600, max: 30 },
  perDevice: { windowSeconds: 3600, max: 10 },
} as const;

export type RateLimitName = keyof typeof RATE_LIMITS;

const digest = (value: string) => createHash("sha256").update(value).digest("hex").slice(0, 32);

/**
 * Counts one attempt against a limit; throws RATE_LIMITED when the window is full.
 * Keys are hashed so that the table never holds raw IPs or codes; `perSource` keys
 * are source addresses, counted by {@link sourceKey}.
 */
export async function limitAttempts(
  store: EdgeStore,
  name: RateLimitName,
  key: string,
  now: number,
  route: string,
): Promise<void> {
  const limit = RATE_LIMITS[name];
  const counted = name === "perSource" ? sourceKey(key) : key;
  const ok = await store.countAttempt(`${route}#${name}#${digest(counted)}`, limit.windowSeconds, limit.max, now);
  if (!ok) {
    throw new VettidError("RATE_LIMITED", "too many attempts; try again later", {
      details: { retryAfterSeconds: limit.windowSeconds },
    });
  }
}
