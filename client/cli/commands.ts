import { adminInviteCommand } from "./admin-invite";
import type { Command } from "./command";
import { enrollCommand } from "./enroll";

/**
 * Every `bin/vettid` sub-command, in the order `--help` lists them.
 * Each lives in its own module under client/cli/; add new ones here.
 */
export const commands: Command[] = [adminInviteCommand, enrollCommand];
