// web/src/api.ts — the page's side of the server's HTTP contract (README, "Web app"): typed calls
// for every route the page uses. The types come from the server's own modules, so the two sides
// cannot drift apart silently. Requests carry the token cookie the server set (same origin).
import type { DataListing } from "../../src/serve/dataset.js";
import type { RunDetail, RunSummary } from "../../src/serve/runs.js";
import type { SegmentEvent } from "../../src/serve/segment-jobs.js";
import type { ServerInfo } from "../../src/serve/server.js";
import type { StudyInfo } from "../../src/serve/studies.js";

export type { DataListing, RunDetail, RunSummary, SegmentEvent, ServerInfo, StudyInfo };

export class ApiError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
    this.name = "ApiError";
  }
}

async function check(res: Response): Promise<Response> {
  if (res.ok) return res;
  let message = `${res.status} ${res.statusText}`;
  try {
    const body = (await res.json()) as { error?: string };
    if (body.error) message = body.error;
  } catch {
    // not JSON: keep the status line
  }
  throw new ApiError(res.status, message);
}

async function json<T>(path: string, init?: RequestInit): Promise<T> {
  return (await (await check(await fetch(path, init))).json()) as T;
}

function post<T>(path: string, body: unknown): Promise<T> {
  return json<T>(path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
}

export const api = {
  info: () => json<ServerInfo>("/api/info"),
  data: () => json<DataListing>("/api/data"),
  openCases: (cases: number[]) => post<StudyInfo>("/api/data/open", { cases }),
  imageUrl: (id: string) => `/api/studies/${encodeURIComponent(id)}/image.nii`,
  async bytes(path: string): Promise<Uint8Array | null> {
    const res = await fetch(path);
    if (res.status === 404) return null;
    return new Uint8Array(await (await check(res)).arrayBuffer());
  },
  truth: (id: string, frame: number) => api.bytes(`/api/studies/${encodeURIComponent(id)}/truth/${frame}`),
  labels: (id: string, frame: number) => api.bytes(`/api/studies/${encodeURIComponent(id)}/labels/${frame}`),
  async saveLabels(id: string, frame: number, labels: Uint8Array): Promise<void> {
    await check(await fetch(`/api/studies/${encodeURIComponent(id)}/labels/${frame}`, {
      method: "PUT", headers: { "content-type": "application/octet-stream" }, body: labels as Uint8Array<ArrayBuffer>,
    }));
  },
  segment: (id: string, frames: number[], signal: AbortSignal) => fetch(`/api/studies/${encodeURIComponent(id)}/segment`, {
    method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ frames }), signal,
  }).then(check),
  downloadUrl: (id: string, what: "labels.nii.gz" | "seg" | "contours.zip", frame?: number) =>
    `/api/studies/${encodeURIComponent(id)}/download/${what}${frame === undefined ? "" : `?frame=${frame}`}`,
  /** Marks a study as in use (it would otherwise expire after the server's --study-ttl-min). */
  touch: (id: string) => json<StudyInfo>(`/api/studies/${encodeURIComponent(id)}`),
  /** Tells the server the page is done with a study (also when the page is closing). */
  close(id: string): void {
    navigator.sendBeacon(`/api/studies/${encodeURIComponent(id)}/close`);
  },
  runs: () => json<{ runs: RunSummary[] }>("/api/runs"),
  run: (name: string) => json<RunDetail>(`/api/runs/${encodeURIComponent(name)}`),
  runFileUrl: (name: string, rel: string) => `/api/runs/${encodeURIComponent(name)}/files/${rel.split("/").map(encodeURIComponent).join("/")}`,
  runEventsUrl: (name: string, from: number) => `/api/runs/${encodeURIComponent(name)}/events?from=${from}`,
};

/** Uploads files as one study, reporting progress (fetch cannot report upload progress; XHR can). */
export function uploadStudy(files: readonly { file: File; name: string }[], name: string, onProgress: (fraction: number) => void): Promise<StudyInfo> {
  const form = new FormData();
  form.append("name", name);
  for (const f of files) form.append("files", f.file, f.name);
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", "/api/studies");
    xhr.responseType = "json";
    xhr.upload.onprogress = (e) => { if (e.lengthComputable) onProgress(e.loaded / e.total); };
    xhr.onerror = () => reject(new ApiError(0, "the upload failed (connection lost)"));
    xhr.onload = () => {
      const body = xhr.response as (StudyInfo & { error?: string }) | null;
      if (xhr.status >= 200 && xhr.status < 300 && body) resolve(body);
      else reject(new ApiError(xhr.status, body?.error ?? `upload failed (${xhr.status})`));
    };
    xhr.send(form);
  });
}
