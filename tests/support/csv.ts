import { answerOf, type Answer } from './auth';
import { eventually } from './backbone';

export type Cell = string | number | undefined;

/** A CSV text: a header and rows, quoted where a cell needs it, CRLF as spreadsheets write it. */
export function csv(header: string[], rows: Cell[][]): string {
  const cell = (v: Cell) => {
    const s = v === undefined ? '' : String(v);
    return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return [header, ...rows].map((r) => r.map(cell).join(',')).join('\r\n') + '\r\n';
}

/** POSTs a raw body to the import route (text/csv unless told otherwise). */
export async function uploadCsv(url: string, token: string | undefined, body: string | Buffer, headers: Record<string, string> = {}): Promise<Answer> {
  const res = await fetch(`${url}/api/v1/students/imports`, {
    method: 'POST',
    headers: { 'content-type': 'text/csv', ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
    body,
  });
  return answerOf(res);
}

/** The same, sent chunked (no Content-Length): `total` bytes of `fill`, as a client streaming a file would. */
export async function uploadStreamed(url: string, token: string, total: number, fill = 'a'): Promise<Answer> {
  const piece = new TextEncoder().encode(fill.repeat(64 * 1024));
  let sent = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent >= total) return controller.close();
      sent += piece.length;
      controller.enqueue(piece);
    },
  });
  const res = await fetch(`${url}/api/v1/students/imports`, {
    method: 'POST',
    headers: { 'content-type': 'text/csv', authorization: `Bearer ${token}` },
    body,
    duplex: 'half',
  } as RequestInit);
  return answerOf(res);
}

export const getJob = async (url: string, token: string, id: string): Promise<Answer> =>
  answerOf(await fetch(`${url}/api/v1/students/imports/${id}`, { headers: { authorization: `Bearer ${token}` } }));

/** Polls the job until it has finished (any status but queued or running). */
export const finishedJob = (url: string, token: string, id: string, timeoutMs = 60_000) =>
  eventually(
    async () => {
      const { status, body } = await getJob(url, token, id);
      return status === 200 && !['queued', 'running'].includes(body.job.status) ? body.job : undefined;
    },
    timeoutMs,
    `import ${id} to finish`,
  );
