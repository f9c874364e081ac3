import { connect } from 'node:net';
import express from 'express';
import { listen, type RunningServer } from './server';

let running: RunningServer;
beforeAll(async () => {
  const app = express();
  app.get('/', (_req, res) => void res.send('ok'));
  running = await listen(app, 0, '127.0.0.1');
});
afterAll(() => running.close());

/** Sends raw bytes and collects everything the server answers until it closes the connection. */
const exchange = (bytes: string) => new Promise<string>((resolve, reject) => {
  const socket = connect(running.port, '127.0.0.1');
  let answer = '';
  socket.on('data', (chunk) => (answer += chunk.toString()));
  socket.on('close', () => resolve(answer));
  socket.on('error', reject);
  socket.write(bytes);
});

const parse = (answer: string) => {
  const [head = '', body = ''] = answer.split('\r\n\r\n');
  const [statusLine = '', ...headerLines] = head.split('\r\n');
  const headers = Object.fromEntries(headerLines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
  return { statusLine, headers, body: JSON.parse(body) as Record<string, unknown> };
};

describe('a request Node\'s parser refuses', () => {
  it('with oversized headers is a 431 problem, and the connection closes', async () => {
    const { statusLine, headers, body } = parse(await exchange(`GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`));
    expect(statusLine).toBe('HTTP/1.1 431 Request Header Fields Too Large');
    expect(headers).toMatchObject({ 'content-type': 'application/problem+json', connection: 'close' });
    expect(body).toMatchObject({ status: 431, code: 'header_fields_too_large', title: 'Request Header Fields Too Large', detail: expect.any(String) });
    expect(Number(headers['content-length'])).toBe(Buffer.byteLength(JSON.stringify(body)));
  });

  it('that is not HTTP is a 400 problem', async () => {
    const { statusLine, headers, body } = parse(await exchange('NOT HTTP AT ALL\r\n\r\n'));
    expect(statusLine).toBe('HTTP/1.1 400 Bad Request');
    expect(headers).toMatchObject({ 'content-type': 'application/problem+json', connection: 'close' });
    expect(body).toMatchObject({ status: 400, detail: 'the request is not valid HTTP/1.1' });
  });

  it('leaves the server answering others', async () => {
    expect((await fetch(`${running.url}/`)).status).toBe(200);
  });
});
