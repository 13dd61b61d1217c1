import { type ParseArgsConfig, parseArgs } from "node:util";
import { MAX_ITEM_NAME_LENGTH } from "../../lib/vault-protocol";
import { type CliIo, type Command, UsageError } from "./command";
import { type PinSource, readPin } from "./pin-input";
import type { TrustFlags } from "./trust-material";
import {
  DEVICE_OPTIONS,
  DEVICE_OPTIONS_HELP,
  type DeviceState,
  loadDeviceState,
  type VaultSession,
  withVaultSession,
} from "./vault-session";

/** How sessions and unlocks work, in every vault command's help. */
export const SESSIONS = `Every command attests the enclave (a fresh nonce, the chain to the trusted root,
PCR0/1/2 in the signed manifest) and opens its own end-to-end session as this device.
An unlock belongs to that session, so it lasts for one command: the commands that read
or change the vault take the PIN and unlock first (get, put, list, delete, sign, pin,
audit, changes),
and lock again before they end.`;

/** Help lines of the PIN options. */
export const PIN_HELP = `  --pin P            the PIN (visible to other local users in the process list)
  --pin-file F       read the PIN from the first line of F
                     (neither: VETTID_PIN, else asked on the terminal without echo)`;

/** The PIN options (node:util parseArgs). */
export const PIN_OPTIONS = { pin: { type: "string" }, "pin-file": { type: "string" } } as const;

/** A command's `prepare` that reads the PIN it checks again in its session (`{pin}`). */
export const readUnlockPin = async (values: Values, io: CliIo) => ({ pin: await readPin(unlockPin(values), io) });

/** The exit codes of the vault commands. */
export const EXIT = "exit: 0 done, 1 refused or failed (the vault's code, e.g. PIN_INCORRECT), 2 usage";

type Options = NonNullable<ParseArgsConfig["options"]>;
export type Values = Record<string, string | boolean | string[] | undefined>;

/** What a vault command does once its arguments are parsed and the session is open. */
export interface VaultCommandSpec {
  /** The word after `vault`. */
  word: string;
  summary: string;
  /** The synopsis after `vettid vault <word>`. */
  synopsis: string;
  /** What the command does (the top of its help). */
  about: string;
  /** Extra option help lines. */
  optionsHelp?: string;
  options?: Options;
  /** The positional argument it takes, if any (e.g. `NAME`). */
  positional?: string;
  /** Takes the PIN and unlocks before {@link run}. */
  unlocks?: boolean;
  /** Checks the arguments before anything is read or sent; returns what {@link run} needs. */
  check?: (
    values: Values,
    positional: string | undefined,
    io: CliIo,
  ) => Record<string, unknown> | Promise<Record<string, unknown>>;
  /** Checks the device and reads the PINs a command needs beyond the unlock one (init, pin). */
  prepare?: (values: Values, io: CliIo, state: DeviceState) => Promise<Record<string, string>>;
  /** Runs the operation in the session the command opened. */
  run?(context: RunContext): Promise<void>;
  /** Instead of {@link run}: a command that opens its session itself (with `flags`). */
  runAlone?(context: Omit<RunContext, "session">): Promise<void>;
}

export interface RunContext {
  session: VaultSession;
  /** The trust options given (`--root`, `--manifest`, `--manifest-key`). */
  flags: TrustFlags;
  io: CliIo;
  json: boolean;
  positional: string | undefined;
  checked: Record<string, unknown>;
  pins: Record<string, string>;
  state: DeviceState;
}

/** A string option's value. */
export const str = (values: Values, key: string) => values[key] as string | undefined;

/** Where the PIN that unlocks comes from: `--pin`, `--pin-file`, `VETTID_PIN`, the terminal. */
export function unlockPin(values: Values): PinSource {
  return {
    flag: "pin",
    value: str(values, "pin"),
    fileFlag: "pin-file",
    file: str(values, "pin-file"),
    env: "VETTID_PIN",
    question: "vault PIN: ",
  };
}

/**
 * Builds a `vettid vault <word>` command: parses and checks its arguments, loads the
 * device, reads the PIN (when it unlocks), opens one session (attested, as the
 * device), unlocks in it, runs the operation, and lets the session lock and close.
 */
export function vaultCommand(spec: VaultCommandSpec): Command {
  const pinSynopsis = spec.unlocks ? " [--pin P | --pin-file F]" : "";
  const usage =
    `vettid vault ${spec.word}${spec.positional ? ` ${spec.positional}` : ""} ${spec.synopsis}${pinSynopsis} [--state DIR] [--json]`
      .replace(/\s+/g, " ")
      .trim();
  const help = [
    spec.about,
    "",
    ...(spec.optionsHelp ? [spec.optionsHelp] : []),
    ...(spec.unlocks ? [PIN_HELP] : []),
    DEVICE_OPTIONS_HELP,
    "",
    SESSIONS,
    "",
    EXIT,
  ].join("\n");
  return {
    name: `vault ${spec.word}`,
    summary: spec.summary,
    usage,
    help,
    async run(argv: string[], io: CliIo): Promise<number> {
      const { values, positionals } = parseArgs({
        args: argv,
        strict: true,
        allowPositionals: true,
        options: { ...DEVICE_OPTIONS, ...(spec.unlocks ? PIN_OPTIONS : {}), ...spec.options },
      });
      const wanted = spec.positional ? 1 : 0;
      if (positionals.length < wanted) throw new UsageError(`${spec.positional} is required`);
      if (positionals.length > wanted) throw new UsageError(`unexpected argument ${positionals[wanted]}`);
      const positional = positionals[0];
      const checked = (await spec.check?.(values, positional, io)) ?? {};
      const state = loadDeviceState(str(values, "state"), io.env);
      const unlockWith = spec.unlocks ? await readPin(unlockPin(values), io) : undefined;
      const pins = (await spec.prepare?.(values, io, state)) ?? {};
      const flags = trustFlags(values);
      const context = { flags, io, json: values.json === true, positional, checked, pins, state };
      if (spec.runAlone) {
        await spec.runAlone(context);
        return 0;
      }
      await withVaultSession(state, flags, io, async (session) => {
        if (unlockWith !== undefined) await session.unlock(unlockWith);
        await spec.run?.({ ...context, session });
      });
      return 0;
    },
  };
}

/** The trust options of parsed {@link DEVICE_OPTIONS}. */
export function trustFlags(values: Values): TrustFlags {
  return {
    root: values.root as string[] | undefined,
    manifest: str(values, "manifest"),
    manifestKey: str(values, "manifest-key"),
  };
}

/** An item name from the command line, within the protocol's limit. */
export function itemName(name: string | undefined): string {
  if (!name || name.length > MAX_ITEM_NAME_LENGTH) {
    throw new UsageError(`NAME must be 1..${MAX_ITEM_NAME_LENGTH} characters`);
  }
  return name;
}

/** Milliseconds since the epoch as ISO 8601. */
export const iso = (ms: number) => new Date(ms).toISOString();
export const b64url = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64url");
