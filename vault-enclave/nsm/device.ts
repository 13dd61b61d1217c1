import { existsSync } from "node:fs";
import koffi from "koffi";
import type { AttestationRequest, Nsm } from "../../lib/attestation";
import { decodeAttestationResponse, encodeAttestationRequest, NSM, NsmError } from "./protocol";

/** The production NSM device node inside a Nitro Enclave. */
export const NSM_DEVICE = "/dev/nsm";

const O_RDWR = 2;

interface Libc {
  open: (path: string, flags: number) => number;
  ioctl: (fd: number, request: number, type: string, arg: unknown) => number;
  close: (fd: number) => number;
}

let libc: Libc | undefined;

function loadLibc(): Libc {
  if (libc) return libc;
  const lib = koffi.load("libc.so.6");
  libc = {
    open: lib.func("int open(const char *path, int flags)") as Libc["open"],
    // ioctl is variadic in C; the third argument's type is given per call.
    ioctl: lib.func("int ioctl(int fd, unsigned long request, ...)") as Libc["ioctl"],
    close: lib.func("int close(int fd)") as Libc["close"],
  };
  return libc;
}

/** Options of {@link createDeviceNsm}. */
export interface DeviceNsmOptions {
  /** Device path (default `/dev/nsm`; tests point it elsewhere). */
  devicePath?: string;
}

/**
 * The production {@link Nsm}: sends one CBOR request per call to `/dev/nsm` through
 * `ioctl(NSM_IOCTL_RAW)` with koffi, and decodes the answer.
 *
 * @throws NsmError (UNAVAILABLE) when the device is missing (not inside an enclave),
 *   cannot be opened, the ioctl fails, or the NSM answers with an error.
 */
export function createDeviceNsm(options: DeviceNsmOptions = {}): Nsm {
  const path = options.devicePath ?? NSM_DEVICE;
  return {
    async attest(request: AttestationRequest): Promise<Uint8Array> {
      const requestBytes = encodeAttestationRequest(request);
      if (!existsSync(path)) {
        throw new NsmError(`NSM device ${path} not found: the production NSM only exists inside a Nitro Enclave`);
      }
      const { open, ioctl, close } = loadLibc();
      const fd = open(path, O_RDWR);
      if (fd < 0) throw new NsmError(`cannot open ${path} (errno ${koffi.errno()})`);
      const req = koffi.alloc("uint8_t", requestBytes.length);
      const res = koffi.alloc("uint8_t", NSM.responseMaxSize);
      const msg = koffi.alloc("uint8_t", NSM.messageSize);
      try {
        new Uint8Array(koffi.view(req, requestBytes.length)).set(requestBytes);
        const header = new DataView(koffi.view(msg, NSM.messageSize));
        header.setBigUint64(0, koffi.address(req), true);
        header.setBigUint64(8, BigInt(requestBytes.length), true);
        header.setBigUint64(16, koffi.address(res), true);
        header.setBigUint64(24, BigInt(NSM.responseMaxSize), true);
        if (ioctl(fd, NSM.ioctlRaw, "void *", msg) < 0) {
          throw new NsmError(`ioctl(NSM_IOCTL_RAW) on ${path} failed (errno ${koffi.errno()})`);
        }
        const length = Number(header.getBigUint64(24, true));
        if (length <= 0 || length > NSM.responseMaxSize) throw new NsmError(`NSM returned ${length} bytes`);
        return decodeAttestationResponse(new Uint8Array(koffi.view(res, length)).slice());
      } finally {
        close(fd);
        koffi.free(req);
        koffi.free(res);
        koffi.free(msg);
      }
    },
  };
}
