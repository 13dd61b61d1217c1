/**
 * The enclave's vsock transport. What runs above the raw socket (starting socat,
 * waiting for it, the stream over its stdin/stdout, its failures) is tested with the
 * real socat bridging to a Unix socket. The vsock path itself is tested only for its
 * guard, with a stand-in process starter: no test starts a vsock bridge or opens an
 * AF_VSOCK socket (this machine's vsock device belongs to its host).
 */
import type { ChildProcessWithoutNullStreams } from "node:child_process";
import { EventEmitter } from "node:events";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Duplex, PassThrough } from "node:stream";
import {
  bridgeTransport,
  FrameLink,
  SOCAT_READY,
  type SpawnBridge,
  socatStdioArgs,
  unixSocketTransport,
  vsockTransport,
} from "../../../lib/frame-link";
import { socketPath } from "./fakes";

/** socat bridging its stdin/stdout to the Unix socket at `path`: the production code path but for the address. */
function socatToUnix(path: string, command = "socat") {
  return bridgeTransport({
    command,
    args: socatStdioArgs(`UNIX-CONNECT:${path}`),
    ready: SOCAT_READY,
    address: `socat:unix:${path}`,
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin" },
  });
}

/** A proxy-like listener whose links echo every request, and the streams it accepted. */
async function echoListener(path: string) {
  const accepted: Duplex[] = [];
  const links: FrameLink[] = [];
  const listener = await unixSocketTransport(path).listen((stream) => {
    accepted.push(stream);
    links.push(new FrameLink(stream, { onRequest: (frame) => frame.body }));
  });
  return { listener, accepted, links };
}

describe("bridge transport (socat to a Unix socket)", () => {
  it("carries concurrent requests and large frames both ways", async () => {
    // Prepare
    const path = socketPath("bridge");
    const server = await echoListener(path);
    const link = new FrameLink(await socatToUnix(path).connect());
    const large = new Uint8Array(512 * 1024).map((_, i) => i % 251);

    // Act
    const small = await Promise.all(Array.from({ length: 50 }, (_, n) => link.request("blob", "get", { n })));
    const echoed = (await link.request("blob", "put", { data: large })) as { data: Uint8Array };

    // Assess
    expect(small).toEqual(Array.from({ length: 50 }, (_, n) => ({ n })));
    expect(Buffer.from(echoed.data).equals(Buffer.from(large))).toBe(true);
    link.close();
    await server.listener.close();
  });

  it("ends the peer's stream when the link closes, and the link when the peer closes", async () => {
    // Prepare
    const path = socketPath("bridge");
    const server = await echoListener(path);
    const first = new FrameLink(await socatToUnix(path).connect());
    const second = new FrameLink(await socatToUnix(path).connect());
    await Promise.all([first.request("health", "ping", null), second.request("health", "ping", null)]);

    // Act
    first.close();
    const peerOfFirstEnded = await server.links[0]?.closedReason.then(() => true);
    server.links[1]?.close();
    const secondClosed = await second.closedReason.then(() => true);

    // Assess
    expect(peerOfFirstEnded).toBe(true);
    expect(secondClosed).toBe(true);
    expect(second.isOpen).toBe(false);
    await server.listener.close();
  });

  it("fails UNAVAILABLE with socat's own error when nothing listens", async () => {
    const path = socketPath("nobody");
    const failure = socatToUnix(path).connect();
    await expect(failure).rejects.toMatchObject({ code: "UNAVAILABLE" });
    await expect(failure).rejects.toThrow(
      /cannot connect to socat:unix:.*exited \(status 1\).*No such file or directory/,
    );
  });

  it("keeps the bridge's error lines that are read only after it exited", async () => {
    // Prepare: the stand-in exits first, then its stderr delivers socat's error and ends
    const spawn: SpawnBridge = () => {
      const child = Object.assign(new EventEmitter(), {
        stdin: new PassThrough(),
        stdout: new PassThrough(),
        stderr: new PassThrough(),
        exitCode: null,
        signalCode: null,
        kill: () => true,
      });
      setImmediate(() => {
        child.emit("exit", 1, null);
        child.stderr.once("end", () => child.emit("close", 1, null));
        child.stderr.end(
          'socat[1] E connect(5, AF=1 "/run/nobody.sock", 18): No such file or directory\nsocat[1] N exit(1)\n',
        );
      });
      return child as unknown as ChildProcessWithoutNullStreams;
    };
    const transport = bridgeTransport({ command: "socat", args: [], ready: SOCAT_READY, address: "stand-in", spawn });

    // Act
    const failure = transport.connect();

    // Assess
    await expect(failure).rejects.toMatchObject({ code: "UNAVAILABLE" });
    await expect(failure).rejects.toThrow(
      "cannot connect to stand-in: the bridge exited (status 1): " +
        'socat[1] E connect(5, AF=1 "/run/nobody.sock", 18): No such file or directory | socat[1] N exit(1)',
    );
  });

  it("fails UNAVAILABLE when the bridge program is missing, and never listens", async () => {
    const missing = socatToUnix(socketPath(), join(tmpdir(), "no-such-dir", "socat"));
    await expect(missing.connect()).rejects.toThrow(/did not start \(spawn .*ENOENT\)/);
    await expect(missing.listen(() => {})).rejects.toMatchObject({ code: "CONFIG_INVALID" });
  });
});

/** A process starter that records its calls; the stand-in process prints socat's readiness line. */
function recordingSpawn() {
  const calls: { command: string; args: readonly string[]; env: NodeJS.ProcessEnv }[] = [];
  const spawn: SpawnBridge = (command, args, options) => {
    calls.push({ command, args, env: options.env });
    const child = Object.assign(new EventEmitter(), {
      stdin: new PassThrough(),
      stdout: new PassThrough(),
      stderr: new PassThrough(),
      exitCode: null,
      signalCode: null,
      kill: () => true,
    });
    setImmediate(() => child.stderr.write("2026/01/01 00:00:00 socat[1] N starting data transfer loop with FDs\n"));
    return child as unknown as ChildProcessWithoutNullStreams;
  };
  return { spawn, calls };
}

describe("vsock transport guard", () => {
  const dir = mkdtempSync(join(tmpdir(), "vettid-vsock-"));
  const present = join(dir, "present");
  writeFileSync(present, "");
  const absent = join(dir, "absent");

  it("refuses on this machine (no /dev/nsm) before starting any process", async () => {
    const { spawn, calls } = recordingSpawn();
    const transport = vsockTransport({ port: 5005, spawn });
    await expect(transport.connect()).rejects.toThrow(/^not inside a Nitro Enclave \(no \/dev\/nsm\)/);
    expect(calls).toEqual([]);
  });

  it("refuses without the enclave marker even when a vsock device exists", async () => {
    const { spawn, calls } = recordingSpawn();
    const transport = vsockTransport({ port: 5005, enclaveMarker: absent, vsockDevice: present, spawn });
    await expect(transport.connect()).rejects.toMatchObject({ code: "UNAVAILABLE" });
    expect(calls).toEqual([]);
  });

  it("refuses without a vsock device inside an enclave", async () => {
    const { spawn, calls } = recordingSpawn();
    const transport = vsockTransport({ port: 5005, enclaveMarker: present, vsockDevice: absent, spawn });
    await expect(transport.connect()).rejects.toThrow(/^no vsock device/);
    expect(calls).toEqual([]);
  });

  it("starts the image's socat through its own loader, with an empty environment, once both exist", async () => {
    // Prepare
    const { spawn, calls } = recordingSpawn();
    const transport = vsockTransport({ port: 5005, enclaveMarker: present, vsockDevice: present, spawn });

    // Act
    const stream = await transport.connect();
    stream.destroy();

    // Assess
    expect(transport.address).toBe("vsock:3:5005");
    expect(calls).toEqual([
      {
        command: "/opt/vsock-bridge/lib/ld-linux-x86-64.so.2",
        args: [
          "--library-path",
          "/opt/vsock-bridge/lib",
          "/opt/vsock-bridge/bin/socat",
          "-d",
          "-d",
          "STDIO",
          "VSOCK-CONNECT:3:5005",
        ],
        env: {},
      },
    ]);
  });

  it("rejects ports and CIDs that are not unsigned 32-bit integers", () => {
    expect(() => vsockTransport({ port: -1 })).toThrow(/port/);
    expect(() => vsockTransport({ port: 5005, cid: 2 ** 32 })).toThrow(/cid/);
  });
});
