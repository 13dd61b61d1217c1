import { MAX_PIN_BYTES, MIN_PIN_LENGTH } from "../../lib/vault-protocol";
import { type CliIo, UsageError } from "./command";
import { readInputText } from "./input-file";

/** Where one PIN may come from on the command line. */
export interface PinSource {
  /** The option holding the PIN itself (e.g. `pin`) and its value. */
  flag: string;
  value: string | undefined;
  /** The option naming a file that holds the PIN (e.g. `pin-file`) and its value. */
  fileFlag: string;
  file: string | undefined;
  /** The environment variable that may hold it (e.g. `VETTID_PIN`). */
  env: string;
  /** What the terminal prompt asks. */
  question: string;
  /** Ask twice when prompting, for a PIN being set. */
  confirm?: boolean;
}

/**
 * Reads a PIN from, in order of precedence, `--pin`, `--pin-file F` (its first line)
 * or the environment variable; both options at once are refused. With none of them,
 * asks on the terminal without echo, or, without a terminal, refuses.
 * @throws UsageError for two sources, no source, or a PIN the vault would refuse.
 */
export async function readPin(source: PinSource, io: CliIo): Promise<string> {
  if (source.value !== undefined && source.file !== undefined) {
    throw new UsageError(`give --${source.flag} or --${source.fileFlag}, not both`);
  }
  let pin: string;
  if (source.value !== undefined) pin = source.value;
  else if (source.file !== undefined) pin = firstLine(readInputText(source.file, "PIN file"));
  else if (io.env[source.env]) pin = io.env[source.env] as string;
  else if (io.prompt) {
    pin = await io.prompt(source.question);
    if (source.confirm && (await io.prompt("repeat it: ")) !== pin) throw new UsageError("the PINs do not match");
  } else {
    throw new UsageError(
      `a PIN is required: --${source.flag} P, --${source.fileFlag} F or ${source.env} (no terminal to ask on)`,
    );
  }
  checkPin(pin, `--${source.flag}`);
  return pin;
}

/** A PIN file holds the PIN on its first line; the line break is not part of it. */
function firstLine(text: string): string {
  return text.replace(/\r?\n[\s\S]*$/, "");
}

/**
 * Refuses a PIN the vault would refuse (lib/vault-protocol: at least
 * {@link MIN_PIN_LENGTH} characters, at most {@link MAX_PIN_BYTES} UTF-8 bytes), before
 * anything is sent.
 */
export function checkPin(pin: string, what: string): void {
  if (pin.length < MIN_PIN_LENGTH) throw new UsageError(`${what}: a PIN has at least ${MIN_PIN_LENGTH} characters`);
  if (Buffer.byteLength(pin, "utf8") > MAX_PIN_BYTES) {
    throw new UsageError(`${what}: a PIN has at most ${MAX_PIN_BYTES} bytes`);
  }
}
