/** Test support (not built into dist): checks of the --json contract (docs SCENARIO.md) the CLI's tests share. */
import { expect } from "vitest";

/** The per-device byte fields of an estimate's `devices[].bytes`. */
export const DEVICE_BYTE_FIELDS = [
  "weights",
  "kvCache",
  "activations",
  "gradients",
  "optimizerStates",
  "overhead",
  "total",
] as const;

/** Every per-device byte field is a whole number of bytes. */
export function expectWholeDeviceBytes(bytes: Record<string, unknown>): void {
  for (const k of DEVICE_BYTE_FIELDS) expect(Number.isInteger(bytes[k])).toBe(true);
}
