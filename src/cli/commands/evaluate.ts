// `cardioseg evaluate` — placeholder until its issue lands.
import type { Command } from "commander";

export function registerEvaluate(program: Command): void {
  program
    .command("evaluate")
    .description("evaluate (not implemented yet)")
    .action(() => {
      throw new Error("`cardioseg evaluate` is not implemented yet");
    });
}
