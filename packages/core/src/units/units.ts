/**
 * Branded numeric units. Core works in one base unit per quantity (bytes, FLOPs, seconds) and
 * converts only through the named constructors below, so a Bytes can never be passed where
 * Seconds are expected.
 */
declare const brand: unique symbol;
type Brand<T, B extends string> = T & { readonly [brand]: B };

/** A byte count (integer, base unit of memory). */
export type Bytes = Brand<number, "Bytes">;
/** A count of floating-point operations. */
export type Flops = Brand<number, "Flops">;
/** A duration in seconds. */
export type Seconds = Brand<number, "Seconds">;
/** Memory bandwidth in bytes per second. */
export type BytesPerSecond = Brand<number, "BytesPerSecond">;
/** Compute throughput in FLOP per second. */
export type FlopsPerSecond = Brand<number, "FlopsPerSecond">;

export const KIB = 1024;
export const MIB = 1024 ** 2;
export const GIB = 1024 ** 3;
export const TIB = 1024 ** 4;
export const KB = 1e3;
export const MB = 1e6;
export const GB = 1e9;
export const TB = 1e12;

/** Bytes from an integer count. Rounds up fractional input (storage is never fractional). */
export const bytes = (n: number): Bytes => Math.ceil(n) as Bytes;
/** `gib(80)` = 80 × 2^30 bytes. */
export const gib = (n: number): Bytes => Math.round(n * GIB) as Bytes;
/** `mib(512)` = 512 × 2^20 bytes. */
export const mib = (n: number): Bytes => Math.round(n * MIB) as Bytes;
/** `gb(80)` = 80 × 10^9 bytes. */
export const gb = (n: number): Bytes => Math.round(n * GB) as Bytes;
export const flops = (n: number): Flops => n as Flops;
export const seconds = (n: number): Seconds => n as Seconds;
/** `tbPerSecond(3.35)` = 3.35 × 10^12 bytes/s. */
export const tbPerSecond = (n: number): BytesPerSecond => Math.round(n * TB) as BytesPerSecond;
/** `gbPerSecond(1008)` = 1008 × 10^9 bytes/s. */
export const gbPerSecond = (n: number): BytesPerSecond => Math.round(n * GB) as BytesPerSecond;
/** `tflops(989)` = 989 × 10^12 FLOP/s. */
export const tflops = (n: number): FlopsPerSecond => (n * 1e12) as FlopsPerSecond;

/** Adds byte counts, keeping the brand. */
export const addBytes = (...xs: readonly Bytes[]): Bytes => xs.reduce((a, b) => a + b, 0) as Bytes;
/** Time to move `n` bytes at `rate`. */
export const transferSeconds = (n: Bytes, rate: BytesPerSecond): Seconds => (n / rate) as Seconds;
/** Time to do `f` FLOPs at `rate`. */
export const computeSeconds = (f: Flops, rate: FlopsPerSecond): Seconds => (f / rate) as Seconds;
