import {
  JetStreamApiError,
  type JetStreamManager,
  jetstream,
  jetstreamManager,
  type StreamInfo,
} from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/transport-node";
import { VettidError } from "../../lib/errors";
import { type JetStreamAsset, jetStreamLayout, layoutDifferences } from "../../lib/jetstream-layout";

/** What {@link applyJetStreamLayout} found, or did, for one asset. */
export const ASSET_STATES = {
  /** It was missing and is now made as the layout says. */
  created: "created",
  /** It exists as the layout says. */
  ok: "ok",
  /** It exists with other settings (left as it is). */
  differs: "differs",
  /** It does not exist (a check only; nothing made). */
  missing: "missing",
} as const;

export type AssetState = (typeof ASSET_STATES)[keyof typeof ASSET_STATES];

/** One asset's outcome. */
export interface AssetResult {
  kind: JetStreamAsset["kind"];
  /** The bucket's or the stream's name. */
  name: string;
  streamName: string;
  state: AssetState;
  /** `field: actual, want expected`, one a field; empty unless `differs`. */
  differences: string[];
}

/** Options of {@link applyJetStreamLayout}. */
export interface ApplyJetStreamLayoutOptions {
  /** Required: replicas of every asset (3 on the three-node cluster, 1 on a single server). */
  replicas: number;
  /** Only compare: report missing assets instead of making them. */
  check?: boolean;
  /** Called with each asset's outcome as soon as it is known (progress). */
  onResult?: (result: AssetResult) => void;
  /** Per JetStream request (default 10 s). */
  timeoutMs?: number;
}

/** nats-server's error code when a stream of that name exists with another configuration. */
const STREAM_NAME_IN_USE = 10058;
/** nats-server's error code for a stream that does not exist. */
const STREAM_NOT_FOUND = 10059;

/**
 * Makes the deployment's JetStream assets ({@link jetStreamLayout}) on `nc`, or checks
 * them: each asset's stream is read; a missing one is made (a KV bucket through
 * `Kvm.create` with the layout's options, the stream through `streams.add`) and read
 * back, unless `check`; an existing one is compared with the layout. It never updates
 * or deletes an existing stream: one that differs is reported for a person to decide
 * (a stream's storage, for one, cannot change in place).
 *
 * `nc` is a user of the VETTID account allowed to manage JetStream (an operator's, or
 * the local topology's runtime user, which may create exactly these streams).
 *
 * @example
 * const results = await applyJetStreamLayout(nc, { replicas: 3 });
 * results.every((r) => r.state === "created" || r.state === "ok")
 * @throws VettidError FORBIDDEN, TIMEOUT or UNAVAILABLE, naming the asset and the server's reason
 */
export async function applyJetStreamLayout(
  nc: NatsConnection,
  options: ApplyJetStreamLayoutOptions,
): Promise<AssetResult[]> {
  const layout = jetStreamLayout(options.replicas);
  const timeout = options.timeoutMs ?? 10_000;
  let jsm: JetStreamManager;
  try {
    jsm = await jetstreamManager(nc, { timeout });
  } catch (err) {
    throw jetStreamError(err, "reaching JetStream");
  }
  const kvm = new Kvm(jetstream(nc, { timeout }));
  const results: AssetResult[] = [];
  for (const asset of layout) {
    const result = await applyAsset(asset, { jsm, kvm, check: options.check ?? false });
    results.push(result);
    options.onResult?.(result);
  }
  return results;
}

async function applyAsset(
  asset: JetStreamAsset,
  deps: { jsm: JetStreamManager; kvm: Kvm; check: boolean },
): Promise<AssetResult> {
  const what = `${asset.kind} ${asset.name}`;
  const outcome = (state: AssetState, info?: StreamInfo): AssetResult => {
    const differences = info ? layoutDifferences(asset.config, info.config) : [];
    return {
      kind: asset.kind,
      name: asset.name,
      streamName: asset.streamName,
      state: differences.length > 0 ? "differs" : state,
      differences,
    };
  };
  const existing = await streamInfo(deps.jsm, asset.streamName, `reading ${what}`);
  if (existing) return outcome("ok", existing);
  if (deps.check) return outcome("missing");
  try {
    if (asset.kind === "kv") await deps.kvm.create(asset.name, { ...asset.kv });
    else await deps.jsm.streams.add(asset.config);
  } catch (err) {
    // made by someone else since it was read: compare what they made
    if (!(err instanceof JetStreamApiError && err.code === STREAM_NAME_IN_USE)) {
      throw jetStreamError(err, `creating ${what}`);
    }
    const raced = await streamInfo(deps.jsm, asset.streamName, `reading ${what}`);
    if (raced) return outcome("ok", raced);
    throw jetStreamError(err, `creating ${what}`);
  }
  const created = await streamInfo(deps.jsm, asset.streamName, `reading ${what} back`);
  if (!created) throw new VettidError("UNAVAILABLE", `${what} is missing right after it was created`);
  return outcome("created", created);
}

/** The stream's info, or undefined when there is no such stream. */
async function streamInfo(jsm: JetStreamManager, stream: string, doing: string): Promise<StreamInfo | undefined> {
  try {
    return await jsm.streams.info(stream);
  } catch (err) {
    if (err instanceof JetStreamApiError && err.code === STREAM_NOT_FOUND) return undefined;
    throw jetStreamError(err, doing);
  }
}

/** A JetStream failure as one line naming what was being done and the server's reason. */
function jetStreamError(err: unknown, doing: string): VettidError {
  const name = (err as Error)?.name ?? "";
  const message = (err as Error)?.message ?? String(err);
  const cause = (err as Error)?.cause as Error | undefined;
  if (name === "PermissionViolationError" || cause?.name === "PermissionViolationError") {
    return new VettidError("FORBIDDEN", `${doing}: this NATS user may not (${message})`, { cause: err });
  }
  if (name === "JetStreamNotEnabled") {
    return new VettidError("UNAVAILABLE", `${doing}: JetStream is not enabled for this user's account`, {
      cause: err,
    });
  }
  if (name === "TimeoutError" || cause?.name === "TimeoutError") {
    return new VettidError("TIMEOUT", `${doing}: JetStream did not answer in time`, { cause: err });
  }
  if (err instanceof JetStreamApiError) {
    return new VettidError("UNAVAILABLE", `${doing}: JetStream refused: ${message} (error ${err.code})`, {
      cause: err,
    });
  }
  return new VettidError("UNAVAILABLE", `${doing}: ${message}`, { cause: err });
}
