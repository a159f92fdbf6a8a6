// `cardioseg demo` — placeholder until its issue lands.
import type { Command } from "commander";

export function registerDemo(program: Command): void {
  program
    .command("demo")
    .description("demo (not implemented yet)")
    .action(() => {
      throw new Error("`cardioseg demo` is not implemented yet");
    });
}
