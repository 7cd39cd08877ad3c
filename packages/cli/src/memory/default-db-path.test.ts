import { describe, expect, it } from "vitest";
import { defaultMemoryDbPath } from "./default-db-path.js";

describe("defaultMemoryDbPath", () => {
  it.each([
    [{ MEMLENS_MEMORY_DB: "/x/m.db", XDG_DATA_HOME: "/xdg" }, "linux", "/x/m.db"],
    [{ XDG_DATA_HOME: "/xdg" }, "linux", "/xdg/memlens/memory.db"],
    [{ XDG_DATA_HOME: "/xdg" }, "darwin", "/xdg/memlens/memory.db"],
    [{}, "linux", "/home/u/.local/share/memlens/memory.db"],
    [{}, "freebsd", "/home/u/.local/share/memlens/memory.db"],
    [{}, "darwin", "/home/u/Library/Application Support/memlens/memory.db"],
    [{ LOCALAPPDATA: "/appdata/local" }, "win32", "/appdata/local/memlens/memory.db"],
    [{}, "win32", "/home/u/AppData/Local/memlens/memory.db"],
  ] as const)("%j on %s → %s", (env, platform, path) => {
    expect(defaultMemoryDbPath(env, platform, "/home/u").replaceAll("\\", "/")).toBe(path);
  });
});
