// web/src/open.ts — getting files from the user: the file picker, the folder picker (a DICOM
// series is a folder of files) and drag and drop of files or whole folders (walked with the
// File System entries API). Hidden files are left out; the rest goes to the server as one study.
export interface PickedFile { file: File; name: string }

export interface Picked {
  files: PickedFile[];
  /** The dropped or chosen folder's name, else the first file's; names the study on the page. */
  name: string;
}

function visible(name: string): boolean {
  return !name.startsWith(".") && name !== "Thumbs.db" && name !== "desktop.ini";
}

export function fromFileList(list: FileList | readonly File[]): Picked {
  const files = [...list].filter((f) => visible(f.name)).map((file) => ({ file, name: file.name }));
  const rel = (list[0] as File & { webkitRelativePath?: string } | undefined)?.webkitRelativePath ?? "";
  const name = rel.includes("/") ? rel.split("/")[0] : files[0]?.name ?? "";
  return { files, name };
}

function readEntries(dir: FileSystemDirectoryEntry): Promise<FileSystemEntry[]> {
  const reader = dir.createReader();
  const all: FileSystemEntry[] = [];
  return new Promise((resolve, reject) => {
    // readEntries returns at most ~100 entries per call: repeat until it returns none.
    const next = (): void => reader.readEntries((batch) => {
      if (batch.length === 0) resolve(all);
      else { all.push(...batch); next(); }
    }, reject);
    next();
  });
}

async function walk(entry: FileSystemEntry, out: PickedFile[], depth = 0): Promise<void> {
  if (!visible(entry.name) || depth > 16) return;
  if (entry.isFile) {
    const file = await new Promise<File>((resolve, reject) => (entry as FileSystemFileEntry).file(resolve, reject));
    out.push({ file, name: file.name });
  } else if (entry.isDirectory) {
    for (const child of await readEntries(entry as FileSystemDirectoryEntry)) await walk(child, out, depth + 1);
  }
}

export async function fromDrop(data: DataTransfer): Promise<Picked> {
  const entries = [...data.items].map((it) => it.webkitGetAsEntry?.()).filter((e): e is FileSystemEntry => !!e);
  if (entries.length === 0) return fromFileList(data.files);
  const files: PickedFile[] = [];
  for (const e of entries) await walk(e, files);
  const folder = entries.find((e) => e.isDirectory);
  return { files, name: folder?.name ?? files[0]?.name ?? "" };
}
