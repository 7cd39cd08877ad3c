import { createRequire } from "node:module";

/** The part of better-sqlite3's API the memory store uses (no @types package is installed). */
export interface SqliteStatement {
  run(...params: unknown[]): { changes: number; lastInsertRowid: number | bigint };
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
  iterate(...params: unknown[]): IterableIterator<unknown>;
}

export interface SqliteDatabase {
  prepare(sql: string): SqliteStatement;
  exec(sql: string): unknown;
  pragma(sql: string, options?: { simple?: boolean }): unknown;
  transaction<A extends unknown[], R>(fn: (...args: A) => R): (...args: A) => R;
  close(): unknown;
  readonly open: boolean;
}

type SqliteConstructor = new (
  path: string,
  options?: { readonly?: boolean; fileMustExist?: boolean; timeout?: number },
) => SqliteDatabase;

const require = createRequire(import.meta.url);

/** Opens a SQLite database through better-sqlite3 (a native module, loaded on first use). */
export function openSqlite(
  path: string,
  options: { readonly?: boolean; fileMustExist?: boolean } = {},
): SqliteDatabase {
  const Database = require("better-sqlite3") as SqliteConstructor;
  // Wait up to 5 s for another process's write lock instead of failing at once.
  return new Database(path, { ...options, timeout: 5000 });
}
