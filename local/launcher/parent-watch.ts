/** How often the launcher checks that its parent is still there (a stop within a second is enough for a dev tool). */
export const PARENT_CHECK_MS = 1_000;

/**
 * Calls `onGone` once when this process's parent goes away (its parent pid
 * changes: the process was re-parented to init or a subreaper). `npm start` is
 * the launcher's parent; when npm dies without passing a signal on (SIGKILL, or an
 * npm that does not forward), the launcher stops its children instead of leaving
 * the topology orphaned. Returns a function that stops watching.
 */
export function watchParent(
  onGone: () => void,
  options: { ppid?: () => number; intervalMs?: number } = {},
): () => void {
  const ppid = options.ppid ?? (() => process.ppid);
  const parent = ppid();
  const timer = setInterval(() => {
    if (ppid() === parent) return;
    clearInterval(timer);
    onGone();
  }, options.intervalMs ?? PARENT_CHECK_MS);
  timer.unref();
  return () => clearInterval(timer);
}
