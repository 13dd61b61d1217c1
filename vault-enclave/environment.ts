import { randomBytes } from "node:crypto";
import type { Nsm } from "../lib/attestation";
import { type Transport, unixSocketTransport, vsockTransport } from "../lib/frame-link";

/** The settings that choose the proxy transport (see `RuntimeConfigSchema` in ./main.ts). */
export interface ProxyTransportConfig {
  VETTID_PROXY_TRANSPORT: "vsock" | "unix";
  VETTID_PROXY_PORT: number;
  VETTID_PROXY_SOCKET?: string | undefined;
}

/**
 * The transport to the proxy: `vsock` (the image's setting) reaches the parent
 * instance through the image's socat and refuses outside an enclave; `unix` is for
 * development and tests.
 */
export function proxyTransport(config: ProxyTransportConfig): Transport {
  if (config.VETTID_PROXY_TRANSPORT === "vsock") return vsockTransport({ port: config.VETTID_PROXY_PORT });
  if (config.VETTID_PROXY_SOCKET === undefined) throw new TypeError("VETTID_PROXY_SOCKET is required for unix");
  return unixSocketTransport(config.VETTID_PROXY_SOCKET);
}

/** The environment the runtime needs: the NSM and the link to its proxy. */
export interface EnclaveEnvironment {
  nsm: Nsm;
  transport: Transport;
}

/**
 * Checks the environment once at start, one line per dependency: the NSM answers an
 * attestation request, and the proxy link connects (and is closed again). Never
 * throws: outside an enclave each line says what is missing.
 */
export async function checkEnvironment(env: EnclaveEnvironment): Promise<{ ok: boolean; lines: string[] }> {
  const lines: string[] = [];
  let ok = true;
  try {
    await env.nsm.attest({ nonce: new Uint8Array(randomBytes(32)) });
    lines.push("NSM: answers attestation requests");
  } catch (err) {
    ok = false;
    lines.push(`NSM: ${messageOf(err)}`);
  }
  try {
    const stream = await env.transport.connect();
    stream.destroy();
    lines.push(`proxy link: ${env.transport.address} connects`);
  } catch (err) {
    ok = false;
    lines.push(`proxy link: ${messageOf(err)}`);
  }
  return { ok, lines };
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
