// vendor.d.ts — the small part of untyped dependencies' APIs that src/io/dicom uses.

declare module "jpeg-lossless-decoder-js" {
  export class Decoder {
    /** Decodes one JPEG lossless (process 14) stream into cols*rows*components samples of `numBytes` bytes. */
    decode(buffer: ArrayBuffer, offset: number, length: number, numBytes: number): Uint8Array | Uint16Array;
    numComp: number;
    xDim: number;
    yDim: number;
  }
}

declare module "dcmjs" {
  interface DicomDictInstance {
    dict: Record<string, unknown>;
    write(options?: Record<string, unknown>): ArrayBuffer;
  }
  interface DcmjsData {
    /** Encodes a naturalized data set (with `_meta`, optional `_vrMap`) as a Part 10 file. */
    datasetToBuffer(ds: Record<string, unknown>): Uint8Array;
    DicomDict: new (meta: Record<string, unknown>) => DicomDictInstance;
    DicomMessage: {
      readFile(buffer: ArrayBuffer, options?: { untilTag?: string; includeUntilTagValue?: boolean; ignoreErrors?: boolean }): {
        dict: Record<string, unknown>; meta: Record<string, unknown>;
      };
    };
    DicomMetaDictionary: {
      denaturalizeDataset(ds: Record<string, unknown>): Record<string, unknown>;
      naturalizeDataset(ds: Record<string, unknown>): Record<string, unknown>;
      uid(): string;
    };
  }
  /** loglevel loggers (dcmjs logs through them). */
  interface Logger {
    getLevel(): number;
    setLevel(level: number | "trace" | "debug" | "info" | "warn" | "error" | "silent"): void;
  }
  const dcmjs: { data: DcmjsData; log: Logger & { getLogger(name: string): Logger } };
  export default dcmjs;
}

/** The Cornerstone codecs' Emscripten factories (the page bundles them; Node loads them with require). */
declare module "@cornerstonejs/codec-charls/decodewasmjs" {
  const factory: (options: Record<string, unknown>) => Promise<unknown>;
  export default factory;
}
declare module "@cornerstonejs/codec-libjpeg-turbo-8bit/decodewasmjs" {
  const factory: (options: Record<string, unknown>) => Promise<unknown>;
  export default factory;
}
declare module "@cornerstonejs/codec-openjpeg/decodewasmjs" {
  const factory: (options: Record<string, unknown>) => Promise<unknown>;
  export default factory;
}
