import { describe, expect, it } from "vitest";
import {
  addBytes,
  type Bytes,
  gb,
  gib,
  mib,
  type Seconds,
  seconds,
  tbPerSecond,
  transferSeconds,
} from "./units.js";

describe("units", () => {
  it("constructs binary and decimal sizes exactly", () => {
    expect(gib(80)).toBe(85_899_345_920);
    expect(mib(512)).toBe(536_870_912);
    expect(gb(80)).toBe(80_000_000_000);
    expect(addBytes(gib(1), mib(512))).toBe(1_610_612_736);
  });

  it("time to move 140 GB at 3.35 TB/s is 41.8 ms", () => {
    expect(transferSeconds(gb(140), tbPerSecond(3.35))).toBeCloseTo(0.041791, 6);
  });

  it("keeps Bytes and Seconds apart at compile time (checked by tsc --noEmit in npm test)", () => {
    const b: Bytes = gib(1);
    const s: Seconds = seconds(1);
    // @ts-expect-error Seconds are not Bytes
    const wrong: Bytes = s;
    // @ts-expect-error a plain number is not Bytes without a constructor
    const bare: Bytes = 1024;
    // @ts-expect-error Bytes cannot be passed where a rate is expected
    transferSeconds(b, b);
    expect([wrong, bare]).toHaveLength(2);
  });
});
