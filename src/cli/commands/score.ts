// `cardioseg score` — placeholder until its issue lands.
import type { Command } from "commander";

export function registerScore(program: Command): void {
  program
    .command("score")
    .description("score (not implemented yet)")
    .action(() => {
      throw new Error("`cardioseg score` is not implemented yet");
    });
}
