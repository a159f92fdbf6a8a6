// web/src/shims/os.ts — node:os for the page's bundle: the in-memory file tree's temporary folder.
export const tmpdir = (): string => "/tmp";
export const homedir = (): string => "/home";
export const platform = (): string => "browser";
export const EOL = "\n";
export default { tmpdir, homedir, platform, EOL };
