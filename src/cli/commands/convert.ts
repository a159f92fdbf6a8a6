// `cardioseg convert` — placeholder until its issue lands.
import type { Command } from "commander";

export function registerConvert(program: Command): void {
  program
    .command("convert")
    .description("convert (not implemented yet)")
    .action(() => {
      throw new Error("`cardioseg convert` is not implemented yet");
    });
}
