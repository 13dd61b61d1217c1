/**
 * The command line as a program: the entry point of the CLI bundle
 * (ami/build-cli-bundle.ts, `dist/cli/vettid.js`), which bin/vettid runs when the
 * TypeScript sources cannot be (no `tsx`: an install of production dependencies only).
 */
import { main } from "./main";

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`vettid: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
