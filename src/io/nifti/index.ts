// index.ts — the public NIfTI API of src/io/nifti.
export { readNifti, decodeNifti, type NiftiReadOptions } from "./read.js";
export { writeNifti, writeNiftiImage, writeNiftiLabels, encodeNifti1, type NiftiWriteOptions } from "./write.js";
export { parseNiftiHeader, type NiftiHeader } from "./header.js";
export { bestAffine, affineToQform, quaternionToMatrix } from "./affine.js";
