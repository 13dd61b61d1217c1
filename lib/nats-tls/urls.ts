import { ConfigError, type Environment } from "../config";

/** The URL schemes a NATS client may be given: `tls://` (TLS required) and `nats://` (plaintext). */
export const NATS_SCHEMES = { tls: "tls:", plain: "nats:" } as const;

/** Environments where plaintext NATS is acceptable: the loopback topology of `npm start`, and dev. */
const PLAINTEXT_ENVIRONMENTS: readonly Environment[] = ["local", "dev"];

/** True when `url` asks for TLS (`tls://host:port`). */
export function isTlsUrl(url: string): boolean {
  return url.startsWith("tls://");
}

/** True when plaintext `nats://` URLs are acceptable in `environment` (local and dev only). */
export function plaintextNatsAllowed(environment: Environment): boolean {
  return PLAINTEXT_ENVIRONMENTS.includes(environment);
}

/**
 * The problem with a list of NATS server URLs in `environment`, or undefined when there
 * is none: outside local and dev every URL must be `tls://`, and a list never mixes
 * `tls://` and `nats://` (a client would silently fall back to the plaintext ones).
 */
export function natsUrlProblem(urls: readonly string[], environment: Environment): string | undefined {
  const plain = urls.filter((u) => !isTlsUrl(u));
  if (plain.length === 0) return undefined;
  if (!plaintextNatsAllowed(environment)) {
    return `must be tls:// outside local or dev (plaintext NATS is dev-only): ${plain.join(", ")}`;
  }
  if (plain.length !== urls.length) return `mixes tls:// and nats:// URLs: ${plain.join(", ")}`;
  return undefined;
}

/**
 * Fails closed on NATS URLs `environment` does not accept ({@link natsUrlProblem}).
 * @param setting the variable the URLs came from, named in the error
 * @throws ConfigError naming the setting and the offending URLs
 */
export function assertNatsUrls(setting: string, urls: readonly string[], environment: Environment): void {
  const problem = natsUrlProblem(urls, environment);
  if (problem !== undefined) throw new ConfigError(`${setting} ${problem}`);
}
