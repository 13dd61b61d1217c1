/**
 * Counters a {@link FrameLink} updates. Pass the same object to several links to
 * aggregate them (the proxy's health endpoint reports one set per process).
 */
export interface LinkCounters {
  framesIn: number;
  framesOut: number;
  bytesIn: number;
  bytesOut: number;
  /** Malformed input, protocol violations and failed replies. */
  errors: number;
  /** Requests refused because the in-flight or pending cap was reached. */
  overloaded: number;
  /** One-way messages dropped because the peer was not reading fast enough. */
  dropped: number;
  /** Requests being handled or awaiting a reply right now. */
  inFlight: number;
}

/** A fresh set of zeroed counters. */
export function createLinkCounters(): LinkCounters {
  return { framesIn: 0, framesOut: 0, bytesIn: 0, bytesOut: 0, errors: 0, overloaded: 0, dropped: 0, inFlight: 0 };
}
