/**
 * `npm run build:proxy`: bundles the vsock proxy (vsock-proxy/main.ts) with its npm
 * dependencies into one file, deterministically (ami/deterministic-bundle.ts), for the
 * vault host AMI (ami/packer: `proxy_bundle`, installed as
 * /opt/vettid/vsock-proxy/vsock-proxy.js and run by vettid-vsock-proxy.service). Writes
 * `dist/vsock-proxy/vsock-proxy.js` and its SHA-384 (hex) to
 * `dist/vsock-proxy/vsock-proxy.sha384`.
 */
import { join } from "node:path";
import {
  type Bundle,
  type BundleSpec,
  deterministicBundle,
  REPO_ROOT,
  runBundleCommand,
  writeBundle,
} from "./deterministic-bundle";

export { REPO_ROOT };

/**
 * Node.js line of the vault host: the AMI installs the `nodejs22` package and links it
 * as /usr/bin/node (ami/packer/vettid.pkr.hcl), which the proxy's unit runs.
 */
export const HOST_NODE_TARGET = "node22";

/** What the proxy bundle is built from. */
export const PROXY_BUNDLE: BundleSpec = {
  entryPoint: "vsock-proxy/main.ts",
  outfile: "dist/vsock-proxy/vsock-proxy.js",
  target: HOST_NODE_TARGET,
};

/** Bundles the proxy in memory. @throws Error when esbuild fails or the output holds an absolute path. */
export function bundleProxy(root: string = REPO_ROOT): Promise<Bundle> {
  return deterministicBundle(PROXY_BUNDLE, root);
}

/** Writes the bundle and its digest under `<outdir>` (default `<root>/dist/vsock-proxy`). */
export async function buildProxyBundle(
  root: string = REPO_ROOT,
  outdir: string = join(root, "dist", "vsock-proxy"),
): Promise<Bundle & { path: string }> {
  const bundle = await bundleProxy(root);
  return { ...bundle, path: writeBundle(bundle, outdir, "vsock-proxy.js") };
}

if (require.main === module) {
  runBundleCommand(PROXY_BUNDLE.outfile, () => buildProxyBundle());
}
