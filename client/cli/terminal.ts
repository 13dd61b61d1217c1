/**
 * Reads one line from the terminal with echo off (raw mode), writing `question` to
 * stderr: Enter ends it, Backspace erases, Ctrl-C or Ctrl-D abandon it.
 * Only called when stdin is a TTY.
 */
export function readHiddenLine(
  question: string,
  input: NodeJS.ReadStream = process.stdin,
  output: NodeJS.WriteStream = process.stderr,
): Promise<string> {
  return new Promise((resolve, reject) => {
    let line = "";
    const wasRaw = input.isRaw;
    output.write(question);
    input.setRawMode?.(true);
    input.setEncoding("utf8");
    input.resume();
    const finish = (error?: Error) => {
      input.off("data", onData);
      input.setRawMode?.(wasRaw);
      input.pause();
      output.write("\n");
      if (error) reject(error);
      else resolve(line);
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === "\r" || ch === "\n") return finish();
        if (ch === "\u0003" || ch === "\u0004") return finish(new Error("cancelled"));
        if (ch === "\u007f" || ch === "\b") line = [...line].slice(0, -1).join("");
        else if (ch >= " ") line += ch;
      }
    };
    input.on("data", onData);
  });
}
