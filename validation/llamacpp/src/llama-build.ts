/** Identifies the llama.cpp build that node-llama-cpp runs (for every record). */
import { closeSync, openSync, readFileSync, readSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export interface LlamaBuildInfo {
  readonly nodeLlamaCppVersion: string;
  readonly prebuiltPackage: string;
  readonly prebuiltVersion: string;
  /** node-llama-cpp's llama.cpp release tag (llama/binariesGithubRelease.json) */
  readonly llamaCppRelease: string;
  /** commit of the llama.cpp source node-llama-cpp ships (HEAD of llama/gitRelease.bundle) */
  readonly llamaCppCommit: string | null;
}

export function llamaBuildInfo(): LlamaBuildInfo {
  const pkgDir = join(dirname(fileURLToPath(import.meta.url)), "../..");
  const nlcDir = join(pkgDir, "node_modules/node-llama-cpp");
  const nlc = JSON.parse(readFileSync(join(nlcDir, "package.json"), "utf8")) as { version: string };
  const prebuilt = JSON.parse(
    readFileSync(join(pkgDir, "node_modules/@node-llama-cpp/linux-x64/package.json"), "utf8"),
  ) as { name: string; version: string };
  const release = JSON.parse(readFileSync(join(nlcDir, "llama/binariesGithubRelease.json"), "utf8")) as {
    release: string;
  };
  let commit: string | null = null;
  try {
    const fd = openSync(join(nlcDir, "llama/gitRelease.bundle"), "r");
    const buf = Buffer.alloc(512);
    readSync(fd, buf, 0, 512, 0);
    closeSync(fd);
    commit = /\n([0-9a-f]{40}) HEAD\n/.exec(buf.toString("latin1"))?.[1] ?? null;
  } catch {
    commit = null;
  }
  return {
    nodeLlamaCppVersion: nlc.version,
    prebuiltPackage: prebuilt.name,
    prebuiltVersion: prebuilt.version,
    llamaCppRelease: release.release,
    llamaCppCommit: commit,
  };
}
