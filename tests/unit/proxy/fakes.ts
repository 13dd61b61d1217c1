/**
 * In-memory stand-ins for the proxy's dependencies, for unit and property tests.
 * Integration tests use the real nats-server and the local AWS stand-ins instead.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { VettidError } from "../../../lib/errors";
import type { HostLogger, HostMetrics } from "../../../vsock-proxy/channels/telemetry";
import type { BlobStore, CredentialSource, NatsUpstream } from "../../../vsock-proxy/upstreams/types";
import type { EnclaveVerifier } from "../../../vsock-proxy/verifier";

const encoder = new TextEncoder();

/** A fresh socket path in a temp dir (short enough for sun_path). */
export function socketPath(name = "proxy"): string {
  return join(mkdtempSync(join(tmpdir(), "vp-")), `${name}.sock`);
}

/** A fake "attestation document": `FAKE|<pcr0>|` followed by the nonce. */
export function fakeDocument(pcr0: string, nonce: Uint8Array): Uint8Array {
  const head = encoder.encode(`FAKE|${pcr0}|`);
  const out = new Uint8Array(head.length + nonce.length);
  out.set(head);
  out.set(nonce, head.length);
  return out;
}

/** Accepts {@link fakeDocument}s whose PCR0 is in `approved` and whose nonce matches. */
export function fakeVerifier(approved: string[]): EnclaveVerifier {
  return {
    async verify(document, nonce) {
      const text = Buffer.from(document).toString("latin1");
      const match = /^FAKE\|([0-9a-f]+)\|/.exec(text);
      if (!match) throw new VettidError("ATTESTATION_INVALID");
      const tail = document.subarray(match[0].length);
      if (Buffer.compare(Buffer.from(tail), Buffer.from(nonce)) !== 0) throw new VettidError("ATTESTATION_STALE");
      if (!approved.includes(match[1] as string)) throw new VettidError("PCR_NOT_APPROVED");
      return { moduleId: "fake", pcr0: match[1] as string };
    },
  };
}

/** A logger that records entries. */
export function recordingLogger(): HostLogger & { entries: { level: string; message: string; extra: unknown[] }[] } {
  const entries: { level: string; message: string; extra: unknown[] }[] = [];
  const at =
    (level: string) =>
    (message: string, ...extra: unknown[]) =>
      entries.push({ level, message, extra });
  return { entries, debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}

/** A metrics sink that records points. */
export function recordingMetrics(): HostMetrics & { points: { name: string; unit: string; value: number }[] } {
  const points: { name: string; unit: string; value: number }[] = [];
  return {
    points,
    addMetric: (name, unit, value) => points.push({ name, unit, value }),
    publishStoredMetrics: () => {},
  };
}

/** An in-process NATS: exact-subject and `*`-token matching, synchronous delivery. */
export function memoryNats(): NatsUpstream & {
  inject(subject: string, data: Uint8Array, reply?: string): void;
  published: { subject: string; data: Uint8Array }[];
} {
  const subs = new Set<{ pattern: string[]; cb: (s: string, r: string | undefined, d: Uint8Array) => void }>();
  const published: { subject: string; data: Uint8Array }[] = [];
  const matches = (pattern: string[], subject: string) => {
    const parts = subject.split(".");
    return parts.length === pattern.length && pattern.every((p, i) => p === "*" || p === parts[i]);
  };
  return {
    published,
    inject(subject, data, reply) {
      for (const sub of subs) if (matches(sub.pattern, subject)) sub.cb(subject, reply, data);
    },
    subscribe(subject, onMessage) {
      const entry = { pattern: subject.split("."), cb: onMessage };
      subs.add(entry);
      return { unsubscribe: () => subs.delete(entry) };
    },
    publish(subject, data) {
      published.push({ subject, data });
    },
    async request() {
      throw new VettidError("UNAVAILABLE", "no responders");
    },
    connected: () => true,
    async close() {},
  };
}

/** A blob store in memory with version checks (versions are counters). */
export function memoryBlobStore(): BlobStore & { objects: Map<string, { data: Uint8Array; version: string }> } {
  const objects = new Map<string, { data: Uint8Array; version: string }>();
  let counter = 0;
  return {
    objects,
    async get(key) {
      return objects.get(key);
    },
    async put(key, data, expected) {
      const current = objects.get(key);
      if (expected === null ? current !== undefined : current?.version !== expected) {
        throw new VettidError("VERSION_CONFLICT");
      }
      counter += 1;
      const version = `"v${counter}"`;
      objects.set(key, { data: new Uint8Array(data), version });
      return version;
    },
    async delete(key, expected) {
      const current = objects.get(key);
      if (expected !== undefined && current?.version !== expected) throw new VettidError("VERSION_CONFLICT");
      objects.delete(key);
    },
  };
}

/** Credentials that must never be asked for (unit tests of other channels). */
export const unusedCredentials: CredentialSource = async () => {
  throw new VettidError("UNAVAILABLE", "no AWS credentials in this test");
};
