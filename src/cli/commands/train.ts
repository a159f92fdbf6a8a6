// `cardioseg train` — placeholder until its issue lands.
import type { Command } from "commander";

export function registerTrain(program: Command): void {
  program
    .command("train")
    .description("train (not implemented yet)")
    .action(() => {
      throw new Error("`cardioseg train` is not implemented yet");
    });
}
