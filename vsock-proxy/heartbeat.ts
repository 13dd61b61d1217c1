import { HOST_HEARTBEAT, type HostHeartbeat, heartbeatUpdate } from "../lib/store";

/** Sends one heartbeat update (`UpdateCommand` of `@aws-sdk/lib-dynamodb` in production). */
export type SendHeartbeat = (update: ReturnType<typeof heartbeatUpdate>) => Promise<void>;

/** What {@link startHeartbeat} needs. */
export interface HeartbeatDeps {
  send: SendHeartbeat;
  tableName: string;
  hostId: string;
  /** The instance ARN in AWS (the partition IAM lets this host write); absent locally. */
  instanceArn?: string | undefined;
  /** The number of vaults this host serves now. */
  vaultCount: () => number;
  logger: { warn(message: string, attributes: Record<string, unknown>): void };
  now?: () => number;
  intervalMs?: number;
}

/** A running heartbeat. */
export interface Heartbeat {
  /** Sends one beat now; resolves false (and logs) when it could not be written. */
  beat(): Promise<boolean>;
  stop(): void;
}

/**
 * Writes this host's heartbeat into the host registry every interval (call `beat()`
 * for the first one at once). A failed write is logged by its error name only and
 * retried at the next beat: the proxy keeps bridging its enclave, and the registry
 * only stops assigning new vaults to a host whose beats stop (HOST_HEARTBEAT).
 */
export function startHeartbeat(deps: HeartbeatDeps): Heartbeat {
  const now = deps.now ?? Date.now;
  const beat = async (): Promise<boolean> => {
    const heartbeat: HostHeartbeat = {
      hostId: deps.hostId,
      instanceArn: deps.instanceArn,
      at: now(),
      vaultCount: deps.vaultCount(),
    };
    try {
      await deps.send(heartbeatUpdate(deps.tableName, heartbeat));
      return true;
    } catch (err) {
      deps.logger.warn("host heartbeat not written", { error: err instanceof Error ? err.name : "unknown" });
      return false;
    }
  };
  const timer = setInterval(() => void beat(), deps.intervalMs ?? HOST_HEARTBEAT.intervalMs);
  timer.unref();
  return { beat, stop: () => clearInterval(timer) };
}
