import { homedir } from "node:os";
import { join } from "node:path";

/**
 * Where the memory database lives when `--db` is not given:
 * `$MEMLENS_MEMORY_DB`, else `$XDG_DATA_HOME/memlens/memory.db` (any platform), else the platform's
 * user data directory: `~/.local/share` (Linux and others, XDG Base Directory spec),
 * `~/Library/Application Support` (macOS), `%LOCALAPPDATA%` (Windows).
 */
export function defaultMemoryDbPath(
  env: Readonly<Record<string, string | undefined>>,
  platform: NodeJS.Platform = process.platform,
  home: string = env.HOME ?? env.USERPROFILE ?? homedir(),
): string {
  const explicit = env.MEMLENS_MEMORY_DB;
  if (explicit) return explicit;
  const file = ["memlens", "memory.db"] as const;
  if (env.XDG_DATA_HOME) return join(env.XDG_DATA_HOME, ...file);
  switch (platform) {
    case "darwin":
      return join(home, "Library", "Application Support", ...file);
    case "win32":
      return join(env.LOCALAPPDATA ?? join(home, "AppData", "Local"), ...file);
    default:
      return join(home, ".local", "share", ...file);
  }
}
