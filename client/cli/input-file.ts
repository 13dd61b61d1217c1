import { readFileSync } from "node:fs";
import { UsageError } from "./command";

/**
 * Reads a file named on the command line. A missing or unreadable file is a usage
 * error (exit 2) that names what the file was for.
 */
export function readInputFile(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new UsageError(
      `cannot read ${what} ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
}

/** {@link readInputFile} as UTF-8 text. */
export function readInputText(path: string, what: string): string {
  return readInputFile(path, what).toString("utf8");
}
