// web/src/shims/module.ts — node:module for the page's bundle. src/io/dicom/codecs.ts loads the
// Cornerstone codecs (libjpeg-turbo, CharLS, OpenJPEG) with createRequire; here that require hands
// back the same Emscripten builds, bundled, told to fetch their .wasm from codecs/ beside the page
// (src/serve/bundle.ts copies them there). Anything else is not available in the browser.
import charls from "@cornerstonejs/codec-charls/decodewasmjs";
import libjpegTurbo from "@cornerstonejs/codec-libjpeg-turbo-8bit/decodewasmjs";
import openjpeg from "@cornerstonejs/codec-openjpeg/decodewasmjs";

type Factory = (options: Record<string, unknown>) => Promise<unknown>;

function located(factory: Factory): Factory {
  return (options) => factory({ ...options, locateFile: (file: string) => new URL(`codecs/${file}`, document.baseURI).href });
}

const MODULES: Record<string, Factory> = {
  "@cornerstonejs/codec-charls/decodewasmjs": located(charls as Factory),
  "@cornerstonejs/codec-libjpeg-turbo-8bit/decodewasmjs": located(libjpegTurbo as Factory),
  "@cornerstonejs/codec-openjpeg/decodewasmjs": located(openjpeg as Factory),
};

export function createRequire(): (id: string) => unknown {
  return (id) => {
    const m = MODULES[id];
    if (!m) throw new Error(`${id} is not available in the browser`);
    return m;
  };
}

export default { createRequire };
