// `cardioseg predict` — placeholder until its issue lands.
import type { Command } from "commander";

export function registerPredict(program: Command): void {
  program
    .command("predict")
    .description("predict (not implemented yet)")
    .action(() => {
      throw new Error("`cardioseg predict` is not implemented yet");
    });
}
