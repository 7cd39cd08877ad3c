import { describeAllowed, MemlensError } from "../errors/memlens-error.js";
import { countTokensChecked, type TokenCounter } from "./token-counter.js";

export const TURN_ROLES = ["system", "user", "assistant", "tool"] as const;
/** Who wrote a turn (the chat roles of OpenAI-compatible APIs). */
export type TurnRole = (typeof TURN_ROLES)[number];

/** One message of a conversation. */
export interface Turn {
  /** Unique within the conversation. */
  readonly id: string;
  readonly role: TurnRole;
  readonly text: string;
  /** Never evicted or summarized while anything else can go. Default: true for `system` turns. */
  readonly pinned?: boolean;
}

/** What sits in the context window: an original turn, or a summary standing in for several. */
export type ContextItem =
  | { readonly kind: "turn"; readonly turn: Turn; readonly tokens: number }
  | {
      readonly kind: "summary";
      readonly id: string;
      readonly text: string;
      readonly tokens: number;
      /** Original turns this summary replaced (transitively, through earlier summaries). */
      readonly coveredTurnIds: readonly string[];
    };

/** How a conversation's text becomes tokens. */
export interface TokenMeasure {
  readonly counter: TokenCounter;
  /**
   * Tokens the chat template adds around each message (role header, separators), added to each
   * item's count. 0 counts text only. A whole number ≥ 0.
   */
  readonly perTurnOverheadTokens: number;
}

/** The key that identifies an item across steps (turn id, or summary id). */
export const itemKey = (item: ContextItem): string =>
  item.kind === "turn" ? `turn:${item.turn.id}` : `summary:${item.id}`;

export const itemText = (item: ContextItem): string => (item.kind === "turn" ? item.turn.text : item.text);

export const itemRole = (item: ContextItem): TurnRole | "summary" =>
  item.kind === "turn" ? item.turn.role : "summary";

/** Pinned items (system prompt by default) are the last to go. */
export const isPinned = (item: ContextItem): boolean =>
  item.kind === "turn" && (item.turn.pinned ?? item.turn.role === "system");

/** Sum of item tokens. */
export const sumTokens = (items: readonly ContextItem[]): number => items.reduce((a, x) => a + x.tokens, 0);

/** A turn as a context item, with its tokens measured. */
export function measureTurn(turn: Turn, measure: TokenMeasure): ContextItem {
  return {
    kind: "turn",
    turn,
    tokens: countTokensChecked(measure.counter, turn.text) + measure.perTurnOverheadTokens,
  };
}

/** Checks ids (unique, non-empty), roles and texts; throws MemlensError naming `turns[i].field`. */
export function validateTurns(turns: readonly Turn[]): void {
  const seen = new Set<string>();
  turns.forEach((t, i) => {
    if (typeof t.id !== "string" || t.id === "")
      throw new MemlensError("invalid-value", `turns[${i}].id must be a non-empty string`, `turns[${i}].id`);
    if (seen.has(t.id))
      throw new MemlensError(
        "invalid-value",
        `turns[${i}].id "${t.id}" is used twice; turn ids must be unique`,
        `turns[${i}].id`,
      );
    seen.add(t.id);
    if (!(TURN_ROLES as readonly string[]).includes(t.role))
      throw new MemlensError(
        "invalid-value",
        `turns[${i}].role "${String(t.role)}" is not allowed; allowed: ${describeAllowed(TURN_ROLES)}`,
        `turns[${i}].role`,
        TURN_ROLES,
      );
    if (typeof t.text !== "string")
      throw new MemlensError("invalid-type", `turns[${i}].text must be a string`, `turns[${i}].text`);
  });
}

/** Checks the measure's overhead. */
export function validateMeasure(measure: TokenMeasure): void {
  if (!Number.isInteger(measure.perTurnOverheadTokens) || measure.perTurnOverheadTokens < 0)
    throw new MemlensError(
      "invalid-value",
      `perTurnOverheadTokens must be a whole number ≥ 0, got ${String(measure.perTurnOverheadTokens)}`,
      "perTurnOverheadTokens",
    );
}
