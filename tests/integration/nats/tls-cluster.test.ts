/**
 * A real 3-node nats-server cluster configured with the TLS blocks the NATS nodes in
 * AWS run (stacks/nats-server-tls.ts, decision 0064): the client port requires TLS with
 * each node's server certificate, routes run over mutual TLS, and a route is admitted
 * only with a certificate of the CA that carries the route identity (`verify_and_map`
 * + `cluster.authorization`). Certificates come from the launcher's dev CA (local/tls).
 * The nodes speak INFO first, as nats-server 2.9 does (no `handshake_first`).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { connect as tcpConnect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { natsTlsOptions } from "../../../lib/nats-tls";
import { freePort, type NatsServer, startNatsServer, waitForRoutes } from "../../../local/nats";
import type { Issued } from "../../../local/nsm-sim/certificates";
import {
  createDevCa,
  type DevCertificate,
  issueDevCertificate,
  issueNatsNodeCertificates,
  type NatsNodeCertificates,
} from "../../../local/tls";
import { clientTlsBlock, clusterBlock, natsTlsFiles, routeIdentity } from "../../../stacks/nats-server-tls";

const CLUSTER = "vettid-tls-test";
const IDENTITY = routeIdentity(CLUSTER);
/** Readiness bound for routes to form (not a measurement). */
const ROUTES_READY_MS = 20_000;

interface Node {
  name: string;
  port: number;
  clusterPort: number;
  dir: string;
}

/** Writes a node's CA, certificates and keys in the layout the AWS nodes use (natsTlsFiles). */
function writeTls(dir: string, caPem: string, certs: { server: DevCertificate; route: DevCertificate }): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(natsTlsFiles(dir, "server").caFile, caPem);
  for (const kind of ["server", "route"] as const) {
    const files = natsTlsFiles(dir, kind);
    writeFileSync(files.certFile, certs[kind].certPem);
    writeFileSync(files.keyFile, certs[kind].keyPem, { mode: 0o600 });
  }
}

/** The TLS and cluster configuration of a node, exactly as the stacks render it (INFO first). */
function tlsConfig(node: Node, routePorts: readonly number[]): string {
  return [
    clientTlsBlock(natsTlsFiles(node.dir, "server"), false),
    clusterBlock({
      name: CLUSTER,
      listen: `127.0.0.1:${node.clusterPort}`,
      routes: routePorts.map((p) => `nats-route://127.0.0.1:${p}`),
      tls: natsTlsFiles(node.dir, "route"),
      routeIdentity: IDENTITY,
    }),
  ].join("\n");
}

/** Resolves with the first line matching `pattern` that `server` logs after `from` characters (an event, not a deadline). */
async function loggedAfter(server: NatsServer, from: number, pattern: RegExp): Promise<string> {
  for (;;) {
    const line = server
      .log()
      .slice(from)
      .split("\n")
      .find((l) => pattern.test(l));
    if (line !== undefined) return line;
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** The server ids of `server`'s routes, sorted. */
async function routeIds(server: NatsServer): Promise<string[]> {
  const body = (await (await fetch(`http://127.0.0.1:${server.monitorPort}/routez`)).json()) as {
    routes?: { remote_id: string }[];
  };
  return (body.routes ?? []).map((r) => r.remote_id).sort();
}

/** `server`'s own id (varz). */
async function serverId(server: NatsServer): Promise<string> {
  const body = (await (await fetch(`http://127.0.0.1:${server.monitorPort}/varz`)).json()) as { server_id: string };
  return body.server_id;
}

/**
 * Talks plaintext NATS to `port`: after the server's first line, if it sends one before
 * anything else (the client port sends INFO first, the route port waits for TLS), it
 * writes `CONNECT` and `PING` in plaintext and collects what comes back until the
 * server closes the connection.
 */
function plaintextExchange(
  port: number,
  waitForInfo: boolean,
): Promise<{ info?: Record<string, unknown>; answered: string }> {
  return new Promise((resolve) => {
    const socket = tcpConnect(port, "127.0.0.1");
    const hello = 'CONNECT {"verbose":false,"pedantic":false,"tls_required":false}\r\nPING\r\n';
    let received = "";
    let info: Record<string, unknown> | undefined;
    if (!waitForInfo) socket.once("connect", () => socket.write(hello));
    socket.on("data", (chunk) => {
      received += chunk.toString("latin1");
      if (waitForInfo && info === undefined && received.includes("\r\n")) {
        const first = received.slice(0, received.indexOf("\r\n"));
        info = JSON.parse(first.replace(/^INFO /, "")) as Record<string, unknown>;
        received = received.slice(first.length + 2);
        socket.write(hello);
      }
    });
    socket.on("error", () => undefined);
    socket.on("close", () => resolve({ ...(info ? { info } : {}), answered: received }));
  });
}

describe("NATS cluster over TLS (client TLS, mutual-TLS routes, route authorization)", () => {
  const root = mkdtempSync(join(tmpdir(), "vettid-nats-tls-"));
  let ca: Issued;
  const nodes: Node[] = [];
  const servers: NatsServer[] = [];
  const connections: NatsConnection[] = [];
  const extra: NatsServer[] = [];
  let memberIds: string[] = [];

  /** Connects a client that trusts the dev CA (and nothing else), INFO first. */
  async function trustingClient(port: number): Promise<NatsConnection> {
    const servers = [`tls://127.0.0.1:${port}`];
    const tls = natsTlsOptions(servers, { caPem: ca.pem, handshakeFirst: false });
    const nc = await connect({ servers, reconnect: false, ...(tls ? { tls } : {}) });
    connections.push(nc);
    return nc;
  }

  /** Starts a fourth server that tries to join node 1 as a route with `route` as its route certificate. */
  async function intruder(name: string, route: DevCertificate): Promise<NatsServer> {
    const server = await freePort();
    const cluster = await freePort();
    const node: Node = { name, port: server, clusterPort: cluster, dir: join(root, name) };
    // It knows the real CA (a public certificate) and has a valid client-port certificate.
    const own = await issueNatsNodeCertificates(ca, { name, ipv4: ["127.0.0.1"], routeIdentity: "none.invalid" });
    writeTls(node.dir, ca.pem, { server: own.server, route });
    const started = await startNatsServer({
      name,
      port: server,
      dir: node.dir,
      jetstream: false,
      extraConfig: tlsConfig(node, [nodes[0]?.clusterPort as number]),
    });
    extra.push(started);
    return started;
  }

  beforeAll(async () => {
    // Prepare: the dev CA, three nodes' certificates, the configuration the stacks render.
    ca = await createDevCa("vettid-test-nats-ca.local");
    for (let i = 1; i <= 3; i += 1) {
      nodes.push({ name: `n${i}`, port: await freePort(), clusterPort: await freePort(), dir: join(root, `n${i}`) });
    }
    for (const node of nodes) {
      // nats.js checks an IP-addressed server that upgrades after INFO against the name
      // "localhost" (Node's default host of tls.connect over a socket), so loopback
      // nodes carry it; TLS-first clients (the AWS proxies) check the address itself.
      const certs: NatsNodeCertificates = await issueNatsNodeCertificates(ca, {
        name: node.name,
        ipv4: ["127.0.0.1"],
        dns: ["localhost"],
        routeIdentity: IDENTITY,
      });
      writeTls(node.dir, ca.pem, certs);
    }
    const started = await Promise.all(
      nodes.map((node) =>
        startNatsServer({
          name: node.name,
          port: node.port,
          dir: node.dir,
          jetstream: false,
          extraConfig: tlsConfig(
            node,
            nodes.filter((n) => n !== node).map((n) => n.clusterPort),
          ),
        }),
      ),
    );
    servers.push(...started);
    await Promise.all(servers.map((s) => waitForRoutes(s, 2, ROUTES_READY_MS)));
    memberIds = await Promise.all(servers.map(serverId));
  });

  afterAll(async () => {
    await Promise.all(connections.map((nc) => nc.close().catch(() => undefined)));
    await Promise.all([...extra, ...servers].map((s) => s.stop()));
    rmSync(root, { recursive: true, force: true });
  });

  it("forms the cluster over mutual-TLS routes that carry the route identity", async () => {
    // Assess: every node sees the other two.
    expect(await routeIds(servers[0] as NatsServer)).toEqual(memberIds.filter((id) => id !== memberIds[0]).sort());
    expect(await routeIds(servers[2] as NatsServer)).toEqual(memberIds.filter((id) => id !== memberIds[2]).sort());
  });

  it("delivers to a TLS client on node 1 what a TLS client publishes on node 3", async () => {
    // Prepare
    const subscriber = await trustingClient(nodes[0]?.port as number);
    const publisher = await trustingClient(nodes[2]?.port as number);
    const sub = subscriber.subscribe("vettid.tls.hello", { max: 1 });
    await subscriber.flush();
    // Act: publish until the subscription's interest has reached node 3 over the route.
    let delivered = false;
    const publishing = (async () => {
      while (!delivered) {
        publisher.publish("vettid.tls.hello", "over tls");
        await publisher.flush();
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    let text = "";
    for await (const msg of sub) text = msg.string();
    delivered = true;
    await publishing;
    // Assess
    expect(text).toBe("over tls");
    expect(subscriber.info?.tls_required).toBe(true);
    expect(publisher.info?.server_name).toBe("n3");
    expect(subscriber.info?.server_name).toBe("n1");
  });

  it("refuses a route peer whose certificate the CA did not sign", async () => {
    // Prepare: a CA of its own, a route certificate with the right identity and address.
    const rogueCa = await createDevCa("rogue-ca.local");
    const forged = await issueDevCertificate(rogueCa, {
      subjectCn: "rogue",
      dns: [IDENTITY],
      ipv4: ["127.0.0.1"],
      usage: ["serverAuth", "clientAuth"],
    });
    const from = servers[0]?.log().length ?? 0;
    // Act
    const rogue = await intruder("rogue", forged);
    const line = await loggedAfter(servers[0] as NatsServer, from, /TLS route handshake error/);
    // Assess: node 1 failed the handshake on the certificate; the cluster is unchanged.
    expect(line).toMatch(/certificate/);
    expect(await routeIds(servers[0] as NatsServer)).toEqual(memberIds.slice(1).sort());
    expect(await routeIds(rogue)).toEqual([]);
  });

  it("refuses as a route a certificate of the CA that lacks the route identity", async () => {
    // Prepare: a genuine certificate of the CA, for both TLS usages, naming another identity.
    const other = await issueDevCertificate(ca, {
      subjectCn: "impostor",
      dns: ["impostor.vettid.internal"],
      ipv4: ["127.0.0.1"],
      usage: ["serverAuth", "clientAuth"],
    });
    const from = servers[0]?.log().length ?? 0;
    // Act
    const impostor = await intruder("impostor", other);
    const line = await loggedAfter(servers[0] as NatsServer, from, /Router connection closed/);
    // Assess: the TLS handshake succeeded (same CA), the route authorization did not.
    expect(line).toMatch(/Authentication Failure/);
    expect(await routeIds(servers[0] as NatsServer)).toEqual(memberIds.slice(1).sort());
    expect(await routeIds(impostor)).toEqual([]);
  });

  it("is refused by a client that does not trust the CA", async () => {
    // Prepare
    const url = `tls://127.0.0.1:${nodes[0]?.port}`;
    const otherCa = await createDevCa("other-ca.local");
    // Act
    const otherRoot = connect({ servers: [url], reconnect: false, tls: { ca: otherCa.pem } });
    // Assess
    await expect(otherRoot).rejects.toThrow(/certificate/i);
  });

  it("is refused by a client when the server's certificate does not name the host it dialled", async () => {
    // Prepare: a node whose certificate names another node's address and name only.
    const dir = join(root, "misnamed");
    const misnamed = await issueNatsNodeCertificates(ca, {
      name: "vettid-dev-nats-1",
      ipv4: ["10.0.4.10"],
      dns: ["nats-1.vettid.internal"],
      routeIdentity: IDENTITY,
    });
    writeTls(dir, ca.pem, misnamed);
    const server = await startNatsServer({
      dir,
      jetstream: false,
      extraConfig: clientTlsBlock(natsTlsFiles(dir, "server"), false),
    });
    extra.push(server);
    // Act
    const dialled = connect({ servers: [`tls://127.0.0.1:${server.port}`], reconnect: false, tls: { ca: ca.pem } });
    // Assess
    await expect(dialled).rejects.toThrow(/altnames/);
  });

  it("refuses a plaintext connection: no answer to a plaintext PING, the connection is closed", async () => {
    // Act
    const { info, answered } = await plaintextExchange(nodes[0]?.port as number, true);
    // Assess: the server announced TLS as required and never spoke plaintext NATS back.
    expect(info?.tls_required).toBe(true);
    expect(answered).not.toContain("PONG");
    expect(answered).not.toContain("+OK");
  });

  it("refuses a plaintext route on the cluster port", async () => {
    // Act
    const { answered } = await plaintextExchange(nodes[0]?.clusterPort as number, false);
    // Assess: the route port expects a TLS handshake first and closes on plaintext.
    expect(answered).not.toContain("INFO");
    expect(answered).not.toContain("PONG");
  });
});
