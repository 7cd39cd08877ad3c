/**
 * A Hub model reference as people type it: `org/name`, `org/name@revision`, `org/name:Q4_K_M`
 * (a GGUF repo's quant, as llama.cpp's `-hf` takes it), `hf.co/org/name:Q4_K_M` (ollama's
 * spelling) or the repo's URL.
 */
import { MemlensError } from "../../errors/memlens-error.js";

export interface HubRef {
  /** `org/name` as typed (the Hub matches it case-insensitively). */
  readonly repo: string;
  /** Branch, tag or commit; "main" when none is given. */
  readonly revision: string;
  /** A GGUF quant tag (`Q4_K_M`), upper-cased; undefined when none is given. */
  readonly quant: string | undefined;
}

const NAME = "[A-Za-z0-9][A-Za-z0-9._-]{0,95}";
const REF = new RegExp(`^(${NAME}/${NAME})(?:@([A-Za-z0-9._/-]{1,200}))?(?::([A-Za-z0-9._-]{1,40}))?$`);

/** Whether `s` is spelled like a Hub repo id (org/name, with an optional @revision and :QUANT). */
export function looksLikeHubRef(s: string): boolean {
  return REF.test(stripHost(s.trim()));
}

function stripHost(s: string): string {
  return s.replace(/^(?:https?:\/\/)?(?:www\.)?(?:hf\.co|huggingface\.co)\//i, "").replace(/\/+$/, "");
}

/**
 * Parses `org/name[@revision][:QUANT]`; errors name `field` and the accepted spelling.
 * @example parseHubRef("unsloth/Qwen3-8B-GGUF:q4_k_m") // { repo: "unsloth/Qwen3-8B-GGUF", revision: "main", quant: "Q4_K_M" }
 */
export function parseHubRef(s: string, field = "model.id"): HubRef {
  const m = REF.exec(stripHost(s.trim()));
  if (!m)
    throw new MemlensError(
      "invalid-value",
      `${field} "${s}" is not a Hugging Face repo id; expected org/name, org/name@revision or org/name:QUANT`,
      field,
    );
  const revision = m[2] ?? "main";
  if (revision.includes("..") || revision.startsWith("/"))
    throw new MemlensError(
      "invalid-value",
      `${field}: revision "${revision}" is not a branch, tag or commit`,
      field,
    );
  return { repo: m[1]!, revision, quant: m[3]?.toUpperCase() };
}
