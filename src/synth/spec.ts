// spec.ts owns the description of one synthetic patient (PatientSpec): what anatomy.ts draws at
// random and heart.ts, scene.ts and render.ts turn into pixels.

export const GROUPS = ["NOR", "DCM", "HCM", "MINF", "RV"] as const;
export type Group = (typeof GROUPS)[number];

export interface Infarct {
  /** Centre of the thinned, hypokinetic segment, radians in the heart frame. */
  readonly angle: number;
  readonly width: number;
  /** Fraction of the wall thickness lost at the segment's centre. */
  readonly depth: number;
}

export interface HeartSpec {
  /** End-diastolic LV cavity radius at the base, mm. */
  readonly lvRadius: number;
  /** End-diastolic mean wall thickness, mm. */
  readonly wall: number;
  /** Relative wall thickness harmonics [amplitude, phase] for orders 1..n. */
  readonly wallHarmonics: readonly (readonly [number, number])[];
  /** Relative endocardial shape harmonics (orders 2..n), small: the cavity is not a perfect circle. */
  readonly endoHarmonics: readonly (readonly [number, number])[];
  /** Extra relative thickness of the septum (hypertrophic cardiomyopathy). */
  readonly septalBulge: number;
  readonly infarct: Infarct | null;
  /** LV ejection fraction (volume), and the RV's. */
  readonly ef: number;
  readonly rvEf: number;
  /** RV ellipse semi-axes relative to the LV epicardial radius, and its overlap into the LV. */
  readonly rvAlong: number;
  readonly rvAcross: number;
  readonly rvOffset: number;
  /** RV free-wall thickness, mm (dark, labelled background as in ACDC). */
  readonly rvWall: number;
  /** Fraction of the base-apex axis after which the RV is gone. */
  readonly rvEnd: number;
  /** Direction from the LV centre to the RV (radians, body frame). */
  readonly rvAngle: number;
  /** Papillary muscles: angle relative to rvAngle, radius mm. */
  readonly papillary: readonly (readonly [number, number])[];
  /** Trabeculae: small dark dots along the endocardium, [angle, radius mm]. */
  readonly trabeculae: readonly (readonly [number, number])[];
  /** Pericardial fat thickness: mean mm and harmonics. */
  readonly fatMean: number;
  readonly fatHarmonics: readonly (readonly [number, number])[];
  /** Drift of the LV centre from base to apex (mm, body frame) and the ES shift. */
  readonly apexShift: readonly [number, number];
  readonly esShift: readonly [number, number];
}

export interface Blob {
  readonly x: number;
  readonly y: number;
  readonly a: number;
  readonly b: number;
  readonly angle: number;
  readonly value: number;
}

export interface BodySpec {
  readonly center: readonly [number, number];
  readonly halfWidth: number;
  readonly halfDepth: number;
  readonly angle: number;
  readonly fatThickness: number;
  readonly muscleThickness: number;
  readonly lungs: readonly Blob[];
  readonly lungVessels: readonly Blob[];
  readonly liver: Blob;
  readonly liverVessels: readonly Blob[];
  readonly stomach: Blob | null;
  readonly spine: Blob;
  readonly canal: Blob;
  readonly aorta: Blob;
  /** Ascending aorta / pulmonary trunk next to the base. */
  readonly greatVessels: readonly Blob[];
  /** Bowel loops, kidneys, vessels: bright or grey blobs that compete with the heart. */
  readonly abdomen: readonly Blob[];
  /** Mediastinal and visceral fat: bright irregular patches (value relative to the fat's). */
  readonly fatPatches: readonly Blob[];
}

export interface Contrast {
  readonly blood: number;
  readonly rvBlood: number;
  /** Blood signal at ES relative to ED: slower through-plane inflow in the emptied ventricles (ACDC: ~0.8). */
  readonly esBlood: number;
  readonly myo: number;
  readonly fat: number;
  readonly muscle: number;
  readonly soft: number;
  readonly lung: number;
  readonly liver: number;
  readonly air: number;
}

export interface Acquisition {
  readonly size: number;
  readonly pixel: number;
  readonly sliceGap: number;
  readonly slices: number;
  /** Base-apex fraction of the first and last slice. */
  readonly zFirst: number;
  readonly zLast: number;
  /** Image rotation and translation of the body frame (radians, mm). */
  readonly viewAngle: number;
  readonly viewShift: readonly [number, number];
  readonly snr: number;
  /** Smooth multiplicative bias: linear gradient and cosine terms. */
  readonly biasGradient: readonly [number, number];
  readonly biasWaves: readonly (readonly [number, number, number, number])[];
  /**
   * Smooth displacement waves [kx, ky, phase, dx, dy] (mm) that bend the ideal ellipses: a gentle
   * one for the whole scene heart included, a finer one for the organs around it only.
   */
  readonly warp: readonly (readonly [number, number, number, number, number])[];
  readonly organWarp: readonly (readonly [number, number, number, number, number])[];
  /** Tissue texture waves [kx, ky, phase, amplitude]. */
  readonly textureWaves: readonly (readonly [number, number, number, number])[];
  /** Intensity of the blood pool in the written image (ACDC-like integers). */
  readonly scale: number;
  readonly frames: number;
  readonly esFrame: number;
}

export interface PatientSpec {
  readonly group: Group;
  readonly height: number;
  readonly weight: number;
  readonly heart: HeartSpec;
  readonly body: BodySpec;
  readonly contrast: Contrast;
  readonly acquisition: Acquisition;
}
