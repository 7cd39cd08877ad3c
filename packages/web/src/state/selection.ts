/** The page-wide selection every widget reads: model, GPU and byte unit (URL: model, gpu, u). */
import type { GpuSpec } from "@memlens/core";
import { useEffect, useState } from "preact/hooks";
import { BYTE_UNITS, type ByteUnit } from "../lib/format.js";
import {
  DEFAULT_GPU,
  DEFAULT_MODEL,
  type ModelChoice,
  onHubModelChange,
  resolveGpuKey,
  resolveModelKey,
} from "../lib/models.js";
import { setParam, useEnumParam, useParam } from "./store.js";

export function useModel(): { choice: ModelChoice; problem: string | null } {
  // a Hub id or ollama tag resolves asynchronously: re-render when it lands
  const [, setVersion] = useState(0);
  useEffect(() => onHubModelChange(() => setVersion((n) => n + 1)), []);
  return resolveModelKey(useParam("model"));
}

export const setModel = (key: string): void => setParam("model", key, DEFAULT_MODEL);

export function useGpu(): { gpu: GpuSpec; problem: string | null } {
  return resolveGpuKey(useParam("gpu"));
}

export const setGpu = (id: string): void => setParam("gpu", id, DEFAULT_GPU);

export function useUnit(): [ByteUnit, (u: ByteUnit) => void] {
  return useEnumParam<ByteUnit>("u", "gib", BYTE_UNITS);
}
