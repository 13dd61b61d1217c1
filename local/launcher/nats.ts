import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  generateNatsKeyHierarchy,
  issueNatsServerAuth,
  type NatsKeyHierarchy,
  type NatsServerAuth,
  renderOperatorConfig,
} from "../../lib/nats-auth";
import { type NatsServer, startNatsServer } from "../nats";

/** A nats-server in operator/JWT mode with JetStream and the full account resolver. */
export interface OperatorNats {
  server: NatsServer;
  keys: NatsKeyHierarchy;
  auth: NatsServerAuth;
  stop(): Promise<void>;
}

/**
 * Loads the dev key hierarchy from `dir/keys.json` (creating it, mode 0600, on
 * first use) and starts nats-server in operator mode with it. The resolver
 * directory and JetStream store are reset on every start: the account JWT is
 * preloaded fresh, and revocations live with the table of the same run (the
 * stand-ins' state, too, is made fresh at each start of the launcher). Dev only.
 */
export async function startOperatorNats(dir: string, options: { port?: number } = {}): Promise<OperatorNats> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const keysPath = join(dir, "keys.json");
  let keys: NatsKeyHierarchy;
  if (existsSync(keysPath)) {
    keys = JSON.parse(readFileSync(keysPath, "utf8")) as NatsKeyHierarchy;
    if (!keys.deviceSigningSeed || !keys.enclaveSigningSeed) {
      // a state directory from before the scoped device or runtime signing key: add them
      const fresh = generateNatsKeyHierarchy();
      keys = {
        ...keys,
        ...(keys.deviceSigningSeed
          ? {}
          : { deviceSigningSeed: fresh.deviceSigningSeed, deviceSigningPublicKey: fresh.deviceSigningPublicKey }),
        ...(keys.enclaveSigningSeed
          ? {}
          : { enclaveSigningSeed: fresh.enclaveSigningSeed, enclaveSigningPublicKey: fresh.enclaveSigningPublicKey }),
      };
      writeFileSync(keysPath, `${JSON.stringify(keys, null, 2)}\n`, { mode: 0o600 });
    }
  } else {
    keys = generateNatsKeyHierarchy();
    writeFileSync(keysPath, `${JSON.stringify(keys, null, 2)}\n`, { mode: 0o600 });
  }
  const auth = await issueNatsServerAuth(keys);
  // JetStream stores of earlier runs belong to tables that no longer exist (the stand-ins start fresh too)
  for (const entry of readdirSync(dir)) {
    if (entry.startsWith("js-") || /^vettid-\d+\.conf$/.test(entry))
      rmSync(join(dir, entry), { recursive: true, force: true });
  }
  const resolverDir = join(dir, "resolver");
  rmSync(resolverDir, { recursive: true, force: true });
  mkdirSync(resolverDir, { recursive: true });
  writeFileSync(join(dir, "operator.jwt"), `${auth.operatorJwt}\n`);
  writeFileSync(join(dir, "system-user.creds"), auth.systemUserCreds, { mode: 0o600 });
  const serverOptions: Parameters<typeof startNatsServer>[0] = {
    dir,
    extraConfig: renderOperatorConfig(auth, keys, resolverDir),
  };
  if (options.port) serverOptions.port = options.port;
  const server = await startNatsServer(serverOptions);
  return { server, keys, auth, stop: () => server.stop() };
}
