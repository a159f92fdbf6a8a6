// src/util/choice.ts owns parsing a command-line value that must be one of a fixed set (--engine, --precision,
// --convolutions), with the one error message they all give.

/** `text` when it is one of `choices`, else an Error naming `flag`, the choices and what was given. */
export function parseChoice<T extends string>(flag: string, choices: readonly T[], text: string): T {
  if ((choices as readonly string[]).includes(text)) return text as T;
  throw new Error(`${flag} must be one of ${choices.join(", ")}, got "${text}"`);
}
