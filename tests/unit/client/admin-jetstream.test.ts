import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { assetLine } from "../../../client/cli/admin-jetstream";
import { main } from "../../../client/cli/main";
import { captureIo } from "./capture-io";

const USAGE =
  "usage: vettid admin jetstream --server URL[,URL] --creds FILE [--ca FILE] [--tls-first] [--replicas N] [--check] [--json]\n";

async function run(...argv: string[]) {
  const io = captureIo({});
  const code = await main(["admin", "jetstream", ...argv], io);
  return { code, out: io.out, err: io.err };
}

describe("bin/vettid admin jetstream arguments", () => {
  const dir = mkdtempSync(join(tmpdir(), "vettid-admin-jetstream-args-"));
  const garbage = join(dir, "garbage.creds");
  const ca = join(dir, "ca.pem");
  writeFileSync(garbage, "-----BEGIN NATS USER JWT-----\nnot a jwt\n------END NATS USER JWT------\n");
  writeFileSync(ca, "-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n");
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each([
    [[], "--server is required (the NATS servers, tls://host:port)"],
    [["--server", " , "], "--server is required (the NATS servers, tls://host:port)"],
    [["--server", "https://nats.example.com"], "--server https://nats.example.com is not a nats:// or tls:// URL"],
    [
      ["--server", "tls://nats.example.com:4222/x"],
      "--server tls://nats.example.com:4222/x is not a nats:// or tls:// URL",
    ],
    [["--server", "nats://127.0.0.1:4222", "--replicas", "0"], "--replicas must be 1..5"],
    [["--server", "nats://127.0.0.1:4222", "--replicas", "6"], "--replicas must be 1..5"],
    [["--server", "nats://127.0.0.1:4222", "--replicas", "1.5"], "--replicas must be 1..5"],
    [
      ["--server", "tls://nats.example.com:4222"],
      "--creds is required (a user of the VETTID account allowed to manage JetStream)",
    ],
    [
      ["--server", "nats://127.0.0.1:4222,nats://10.0.0.5:4222"],
      "--creds is required (a user of the VETTID account allowed to manage JetStream)",
    ],
    [["--server", "tls://a.example.com:4222,nats://b.example.com:4222"], "--server mixes tls:// and nats:// URLs"],
    [["--server", "nats://127.0.0.1:4222", "--ca", ca], "--ca and --tls-first apply to tls:// servers only"],
    [["--server", "nats://127.0.0.1:4222", "--tls-first"], "--ca and --tls-first apply to tls:// servers only"],
    [
      ["--server", "tls://nats.example.com:4222", "--creds", garbage],
      `${garbage} is not a NATS credentials file (a user JWT and a user nkey seed)`,
    ],
    [
      ["--server", "tls://nats.example.com:4222", "--creds", join(dir, "absent.creds")],
      `cannot read the credentials file ${join(dir, "absent.creds")}: ENOENT`,
    ],
    [
      ["--server", "tls://nats.example.com:4222", "--ca", join(dir, "absent.pem")],
      `cannot read the CA file ${join(dir, "absent.pem")}: ENOENT`,
    ],
    [["--server", "nats://127.0.0.1:4222", "extra"], "unexpected argument extra"],
  ])("refuses %j before connecting: %s", async (argv, message) => {
    // Act
    const result = await run(...argv);

    // Assess
    expect(result).toEqual({ code: 2, out: "", err: `error: ${message}\n${USAGE}` });
  });

  it("refuses an unknown option with the usage line", async () => {
    // Act
    const result = await run("--server", "nats://127.0.0.1:4222", "--force");

    // Assess
    expect(result.code).toBe(2);
    expect(result.err).toMatch(/^error: .*--force.*\n/);
    expect(result.err.endsWith(USAGE)).toBe(true);
  });
});

describe("assetLine", () => {
  it("prints the state, and for one that differs every difference", () => {
    // Act / Assess
    expect(assetLine({ kind: "kv", name: "b", streamName: "KV_b", state: "created", differences: [] })).toBe(
      "kv b: created",
    );
    expect(
      assetLine({
        kind: "stream",
        name: "s",
        streamName: "s",
        state: "differs",
        differences: ["num_replicas: 1, want 3", "storage: memory, want file"],
      }),
    ).toBe("stream s: differs: num_replicas: 1, want 3; storage: memory, want file");
  });
});
