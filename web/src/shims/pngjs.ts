// web/src/shims/pngjs.ts — pngjs is Node-only (streams, zlib); the page opens NIfTI and DICOM
// studies, so PNG slices are refused in the browser with a message instead of being bundled.
export class PNG {
  constructor() {
    throw new Error("PNG slices are not opened in the browser: use NIfTI or DICOM");
  }
  static sync = {
    read(): never {
      throw new Error("PNG slices are not opened in the browser: use NIfTI or DICOM");
    },
    write(): never {
      throw new Error("PNG images are not written in the browser");
    },
  };
}
export default { PNG };
