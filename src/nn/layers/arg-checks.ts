// Constructor argument checks shared by the sequence layers (attention, multiHeadAttention, positionEmbedding,
// transformerEncoder), so they refuse bad options with the same messages. context names the layer,
// e.g. "MultiHeadAttention 'mha'".

/** value as a positive integer; throws "<context>: <what> must be a positive integer, got <value>" otherwise. */
export function positiveInteger(value: unknown, what: string, context: string): number {
  if (!Number.isInteger(value) || (value as number) < 1) throw new Error(`${context}: ${what} must be a positive integer, got ${JSON.stringify(value)}`);
  return value as number;
}

/** A dropout rate in [0, 1), default 0. */
export function dropoutRate(value: unknown, context: string): number {
  const rate = value ?? 0;
  if (typeof rate !== 'number' || !(rate >= 0 && rate < 1)) throw new Error(`${context}: dropout must be in [0, 1), got ${JSON.stringify(value)}`);
  return rate;
}
