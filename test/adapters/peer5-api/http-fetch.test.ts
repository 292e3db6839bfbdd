/**
 * The client's default transport against real loopback servers: what it sends, what it gives
 * back, that it reads a body no faster than it is consumed, and how a cut or cancelled body ends.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTcpServer, type Socket } from 'node:net';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { pulledFetch } from '../../../lambdas/adapters/peer5-api/http-fetch.ts';

type Handler = (request: IncomingMessage, response: ServerResponse, body: string) => void;

const servers: { close(): Promise<void> }[] = [];

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function listening(server: Server | ReturnType<typeof createTcpServer>, sockets: Set<Socket>) {
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  servers.push({
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  });
  return address.port;
}

/** An HTTP server on a free loopback port that answers with `handler`, once the request is read. */
async function serve(handler: Handler): Promise<string> {
  const server = createServer((request, response) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => {
      body += chunk;
    });
    request.on('end', () => handler(request, response, body));
  });
  return `http://127.0.0.1:${await listening(server, new Set())}`;
}

async function readAll(response: Response): Promise<string> {
  return await response.text();
}

describe('pulledFetch', () => {
  it('sends the method, the headers and the body with its length, and gives back status, headers and body', async () => {
    let seen: { method?: string; headers?: IncomingMessage['headers']; body?: string; url?: string } = {};
    const url = await serve((request, response, body) => {
      seen = { method: request.method, headers: request.headers, body, url: request.url };
      response.writeHead(201, 'Made', { 'content-type': 'text/csv', 'x-request-id': 'abc' });
      response.end('timestamp,sessions\n1,2\n');
    });
    const payload = JSON.stringify({ city: 'São Paulo' });
    const response = await pulledFetch(`${url}/export?format=csv`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-auth-token': 'token' },
      body: payload,
    });
    expect(response.status).toBe(201);
    expect(response.statusText).toBe('Made');
    expect(response.headers.get('x-request-id')).toBe('abc');
    expect(await readAll(response)).toBe('timestamp,sessions\n1,2\n');
    expect(seen.method).toBe('POST');
    expect(seen.url).toBe('/export?format=csv');
    expect(seen.body).toBe(payload);
    expect(seen.headers?.['content-length']).toBe(String(Buffer.byteLength(payload)));
    expect(seen.headers?.['x-auth-token']).toBe('token');
  });

  it('does not follow a redirect: the 302 and its Location come back as they are', async () => {
    let requests = 0;
    const url = await serve((_request, response) => {
      requests += 1;
      response.writeHead(302, { location: 'http://127.0.0.1:1/elsewhere' });
      response.end();
    });
    const response = await pulledFetch(url, { method: 'POST', body: '{}', redirect: 'manual' });
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe('http://127.0.0.1:1/elsewhere');
    expect(requests).toBe(1);
  });

  it('gives a 204 no body, and a status with a body its body', async () => {
    const url = await serve((request, response) => {
      response.writeHead(request.url === '/empty' ? 204 : 429, { 'retry-after': '3' });
      response.end(request.url === '/empty' ? undefined : '{"error":"slow down"}');
    });
    const empty = await pulledFetch(`${url}/empty`, { method: 'POST', body: '{}' });
    expect(empty.status).toBe(204);
    expect(empty.body).toBeNull();
    const limited = await pulledFetch(`${url}/limited`, { method: 'POST', body: '{}' });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('3');
    expect(await readAll(limited)).toBe('{"error":"slow down"}');
  });

  it('decodes a gzip or deflate body, which a request without Accept-Encoding allows', async () => {
    const text = 'timestamp,sessions\n'.concat('1700000000000,12\n'.repeat(2_000));
    const url = await serve((request, response) => {
      const gzip = request.url === '/gzip';
      response.writeHead(200, { 'content-encoding': gzip ? 'gzip' : 'identity' });
      response.end(gzip ? gzipSync(text) : text);
    });
    expect(await readAll(await pulledFetch(`${url}/gzip`, { method: 'POST', body: '{}' }))).toBe(text);
    expect(await readAll(await pulledFetch(`${url}/plain`, { method: 'POST', body: '{}' }))).toBe(text);
  });

  it('reads a large body only as fast as it is consumed: the server is held back, not buffered into memory', async () => {
    const piece = Buffer.alloc(64 * 1024, 'a');
    const totalBytes = 256 * 1024 * 1024;
    let written = 0;
    const url = await serve((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/csv' });
      const pump = () => {
        while (written < totalBytes) {
          written += piece.length;
          if (!response.write(piece)) {
            response.once('drain', pump);
            return;
          }
        }
        response.end();
      };
      pump();
    });
    const response = await pulledFetch(url, { method: 'POST', body: '{}' });
    const reader = response.body?.getReader();
    if (reader === undefined) throw new Error('no body');
    const first = await reader.read();
    expect(first.done).toBe(false);
    // Long enough for a reader that runs ahead to take in far more than socket buffers hold.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const heldAt = written;
    expect(heldAt).toBeLessThan(32 * 1024 * 1024);
    await reader.cancel();
  });

  it('ends a body cut off by the server with ERR_STREAM_PREMATURE_CLOSE, as the global fetch does', async () => {
    const url = await serve((_request, response) => {
      response.writeHead(200, { 'content-length': '1000' });
      response.write('timestamp,sessions\n1,');
      setTimeout(() => response.socket?.destroy(), 20);
    });
    const response = await pulledFetch(url, { method: 'POST', body: '{}' });
    await expect(readAll(response)).rejects.toMatchObject({ code: 'ERR_STREAM_PREMATURE_CLOSE' });
  });

  it('ends a cut gzip body the same way', async () => {
    const zipped = gzipSync('1700000000000,12\n'.repeat(20_000));
    const url = await serve((_request, response) => {
      response.writeHead(200, { 'content-encoding': 'gzip', 'content-length': String(zipped.length) });
      response.write(zipped.subarray(0, zipped.length / 2));
      setTimeout(() => response.socket?.destroy(), 20);
    });
    const response = await pulledFetch(url, { method: 'POST', body: '{}' });
    await expect(readAll(response)).rejects.toMatchObject({ code: 'ERR_STREAM_PREMATURE_CLOSE' });
  });

  it('rejects with the abort reason, before the request and while it waits for an answer', async () => {
    const url = await serve(() => {
      // Never answers.
    });
    const before = new AbortController();
    before.abort(new Error('stopped before'));
    await expect(pulledFetch(url, { method: 'POST', body: '{}', signal: before.signal })).rejects.toThrow(
      'stopped before',
    );
    const during = new AbortController();
    const pending = pulledFetch(url, { method: 'POST', body: '{}', signal: during.signal });
    setTimeout(() => during.abort(new Error('stopped while waiting')), 50);
    await expect(pending).rejects.toThrow('stopped while waiting');
  });

  it('stops reading a body when aborted mid-body, and closes the connection', async () => {
    let closed = false;
    const url = await serve((_request, response) => {
      response.writeHead(200);
      response.write('timestamp,sessions\n');
      response.on('close', () => {
        closed = true;
      });
    });
    const controller = new AbortController();
    const response = await pulledFetch(url, { method: 'POST', body: '{}', signal: controller.signal });
    const reader = response.body?.getReader();
    if (reader === undefined) throw new Error('no body');
    await reader.read();
    controller.abort(new Error('deadline'));
    await expect(reader.read()).rejects.toThrow('deadline');
    await expect.poll(() => closed).toBe(true);
  });

  it('fails with the system error code when nothing listens', async () => {
    const url = await serve(() => {});
    await servers.splice(0)[0]?.close();
    await expect(pulledFetch(url, { method: 'POST', body: '{}' })).rejects.toMatchObject({
      code: 'ECONNREFUSED',
    });
  });

  it('speaks TLS to an https URL', async () => {
    const firstBytes: Buffer[] = [];
    const sockets = new Set<Socket>();
    const server = createTcpServer((socket) => {
      socket.once('data', (chunk: Buffer) => {
        firstBytes.push(chunk);
        socket.destroy();
      });
    });
    const port = await listening(server, sockets);
    await expect(
      pulledFetch(`https://127.0.0.1:${port}/export`, { method: 'POST', body: '{}' }),
    ).rejects.toBeInstanceOf(Error);
    // 0x16: a TLS handshake record, the ClientHello, not an HTTP request line.
    expect(firstBytes[0]?.[0]).toBe(0x16);
  });
});
