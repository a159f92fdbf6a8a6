// `cardioseg report` — placeholder until its issue lands.
import type { Command } from "commander";

export function registerReport(program: Command): void {
  program
    .command("report")
    .description("report (not implemented yet)")
    .action(() => {
      throw new Error("`cardioseg report` is not implemented yet");
    });
}
