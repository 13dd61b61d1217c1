import { existsSync } from "node:fs";
import { join } from "node:path";
import { VettidError } from "../errors";
import { bridgeTransport, SOCAT_READY, type SpawnBridge, socatStdioArgs } from "./bridge";
import type { Transport } from "./transport";

/** The parent instance's CID as an enclave sees it (fixed by Nitro Enclaves). */
export const PARENT_CID = 3;

/**
 * Where the enclave image carries the vsock bridge: socat and every library it
 * loads, with their own loader (ami/enclave/Dockerfile, docs/decisions/0052).
 */
export const VSOCK_BRIDGE_DIR = "/opt/vsock-bridge";

/**
 * The file that proves this process runs inside a Nitro Enclave: the NSM device.
 * A development machine has none; the vsock device it may have belongs to the
 * machine's own host and must never be opened from here.
 */
export const ENCLAVE_MARKER = "/dev/nsm";

/** The vsock device node; without it no AF_VSOCK socket can exist. */
export const VSOCK_DEVICE = "/dev/vsock";

/** Options of {@link vsockTransport}. */
export interface VsockTransportOptions {
  /** Required. vsock port of the proxy on the parent instance (5005 in the image). */
  port: number;
  /** CID of the proxy's side (default {@link PARENT_CID}). */
  cid?: number;
  /** Directory of the bridge in the image (default {@link VSOCK_BRIDGE_DIR}). */
  bridgeDir?: string;
  /** Guard file that must exist before any vsock is touched (default {@link ENCLAVE_MARKER}); tests only. */
  enclaveMarker?: string;
  /** vsock device that must exist (default {@link VSOCK_DEVICE}); tests only. */
  vsockDevice?: string;
  /** Process starter; tests only (they never start a vsock bridge). */
  spawn?: SpawnBridge;
}

/**
 * Refuses unless this process runs inside a Nitro Enclave: checked before every
 * connection, so outside an enclave no bridge is started and no AF_VSOCK socket is
 * ever opened.
 *
 * @throws VettidError UNAVAILABLE naming what is missing.
 */
export function assertInsideEnclave(enclaveMarker = ENCLAVE_MARKER, vsockDevice = VSOCK_DEVICE): void {
  if (!existsSync(enclaveMarker)) {
    throw new VettidError(
      "UNAVAILABLE",
      `not inside a Nitro Enclave (no ${enclaveMarker}): the vsock transport opens AF_VSOCK only inside an enclave`,
    );
  }
  if (!existsSync(vsockDevice)) {
    throw new VettidError("UNAVAILABLE", `no vsock device (${vsockDevice} is missing)`);
  }
}

/**
 * The production {@link Transport} of the enclave side: AF_VSOCK to the proxy on the
 * parent instance, through socat from the enclave image (Node's `net` cannot adopt an
 * AF_VSOCK socket). socat is started through its own loader and libraries, with an
 * empty environment:
 *
 * ```
 * /opt/vsock-bridge/lib/ld-linux-x86-64.so.2 --library-path /opt/vsock-bridge/lib \
 *   /opt/vsock-bridge/bin/socat -d -d STDIO VSOCK-CONNECT:3:5005
 * ```
 *
 * Every `connect()` first runs {@link assertInsideEnclave}.
 *
 * @example
 * ```ts
 * const client = new ProxyClient({ transport: vsockTransport({ port: 5005 }), attest });
 * ```
 */
export function vsockTransport(options: VsockTransportOptions): Transport {
  const cid = options.cid ?? PARENT_CID;
  for (const [name, value] of [
    ["cid", cid],
    ["port", options.port],
  ] as const) {
    if (!Number.isInteger(value) || value < 0 || value > 0xffff_ffff) {
      throw new VettidError("CONFIG_INVALID", `vsock ${name} must be an unsigned 32-bit integer`);
    }
  }
  const dir = options.bridgeDir ?? VSOCK_BRIDGE_DIR;
  const lib = join(dir, "lib");
  const address = `VSOCK-CONNECT:${cid}:${options.port}`;
  return bridgeTransport({
    command: join(lib, "ld-linux-x86-64.so.2"),
    args: ["--library-path", lib, join(dir, "bin", "socat"), ...socatStdioArgs(address)],
    ready: SOCAT_READY,
    address: `vsock:${cid}:${options.port}`,
    env: {},
    guard: () => assertInsideEnclave(options.enclaveMarker, options.vsockDevice),
    ...(options.spawn ? { spawn: options.spawn } : {}),
  });
}
