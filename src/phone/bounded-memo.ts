/**
 * A pure function's answers kept for the inputs asked most recently: at most `kept` of them, the
 * oldest answer dropped first. For functions whose inputs repeat (a transfer's destinations, an
 * agent's numbers) and whose answers are immutable: every caller gets the same object.
 * Inputs longer than `maxKeyLength` are answered afresh and not kept, so no input can make an
 * entry larger than that. The memory changes no answer: a function wrapped in it stays pure.
 */
export function boundedMemo<R>(
  fn: (key: string) => R,
  options: { readonly kept: number; readonly maxKeyLength: number },
): (key: string) => R {
  const answers = new Map<string, R>();
  return (key) => {
    const known = answers.get(key);
    if (known !== undefined) {
      // Asked again: now the most recent.
      answers.delete(key);
      answers.set(key, known);
      return known;
    }
    const answer = fn(key);
    if (key.length > options.maxKeyLength) return answer;
    if (answers.size >= options.kept) {
      const oldest = answers.keys().next();
      if (oldest.done !== true) answers.delete(oldest.value);
    }
    answers.set(key, answer);
    return answer;
  };
}
