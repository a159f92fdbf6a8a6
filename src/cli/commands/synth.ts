// `cardioseg synth` — placeholder until its issue lands.
import type { Command } from "commander";

export function registerSynth(program: Command): void {
  program
    .command("synth")
    .description("synth (not implemented yet)")
    .action(() => {
      throw new Error("`cardioseg synth` is not implemented yet");
    });
}
