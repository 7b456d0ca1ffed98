import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AddressPolicy } from './address-policy';
import { OutboundRefusedError, OutboundTimeoutError, ResponseTooLargeError } from './errors';
import { guardedRequest } from './guarded-request';

type Route = (req: IncomingMessage, res: ServerResponse, body: string) => void;

describe('guardedRequest against a local HTTP server', () => {
  let server: http.Server;
  let port: number;
  const routes = new Map<string, Route>();
  const hits: { path: string; method: string; body: string; headers: http.IncomingHttpHeaders }[] = [];
  const loopbackAllowed = new AddressPolicy({ hosts: [], cidrs: ['127.0.0.1'] });
  const base = () => `http://127.0.0.1:${port}`;

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        hits.push({ path: req.url ?? '', method: req.method ?? '', body, headers: req.headers });
        const route = routes.get(req.url ?? '');
        if (route) route(req, res, body);
        else res.writeHead(404).end('no route');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  beforeEach(() => {
    hits.length = 0;
    routes.clear();
  });

  it('refuses loopback by default, by address and by name, without connecting', async () => {
    routes.set('/hello', (_req, res) => res.end('hi'));
    for (const url of [`${base()}/hello`, `http://localhost:${port}/hello`, `http://[::1]:${port}/hello`]) {
      await expect(guardedRequest(url, { timeoutMs: 2000, maxResponseBytes: 1000 })).rejects.toThrow(
        OutboundRefusedError,
      );
    }
    await expect(
      guardedRequest(`http://localhost:${port}/hello`, { timeoutMs: 2000, maxResponseBytes: 1000 }),
    ).rejects.toThrow(`refused to connect to localhost:${port}: 127.0.0.1 is a loopback address`);
    expect(hits).toHaveLength(0);
  });

  it('refuses a metadata address and schemes other than http(s)', async () => {
    await expect(
      guardedRequest('http://169.254.169.254/latest/meta-data/', { timeoutMs: 2000, maxResponseBytes: 1000 }),
    ).rejects.toThrow('169.254.169.254 is a cloud metadata address');
    await expect(
      guardedRequest('http://[::ffff:169.254.169.254]/', { timeoutMs: 2000, maxResponseBytes: 1000 }),
    ).rejects.toThrow(OutboundRefusedError);
    for (const url of ['file:///etc/passwd', 'ftp://example.com/x', 'gopher://127.0.0.1:70/']) {
      await expect(
        guardedRequest(url, { timeoutMs: 2000, maxResponseBytes: 1000, policy: loopbackAllowed }),
      ).rejects.toThrow('is not http or https');
    }
  });

  it('reaches loopback when allow-listed, by CIDR or by host name', async () => {
    routes.set('/echo', (req, res, body) =>
      res.writeHead(201, { 'x-seen': req.method ?? '' }).end(`got ${body}`),
    );
    const byCidr = await guardedRequest(`${base()}/echo`, {
      method: 'POST',
      body: 'ping',
      headers: { 'content-type': 'text/plain' },
      policy: loopbackAllowed,
      timeoutMs: 2000,
      maxResponseBytes: 1000,
    });
    expect(byCidr.status).toBe(201);
    expect(byCidr.headers['x-seen']).toBe('POST');
    expect(await byCidr.text()).toBe('got ping');

    const byName = await guardedRequest(`http://localhost:${port}/echo`, {
      method: 'POST',
      body: 'pong',
      policy: new AddressPolicy({ hosts: ['localhost'], cidrs: [] }),
      timeoutMs: 2000,
      maxResponseBytes: 1000,
    });
    expect(await byName.text()).toBe('got pong');
    expect(hits.map((hit) => hit.body)).toEqual(['ping', 'pong']);
  });

  it('follows redirects, re-checking every hop, and refuses one that leads to a refused address', async () => {
    routes.set('/to-final', (_req, res) => res.writeHead(302, { location: '/final' }).end());
    routes.set('/final', (req, res) => res.end(`final via ${req.method}`));
    const followed = await guardedRequest(`${base()}/to-final`, {
      method: 'POST',
      body: 'x',
      policy: loopbackAllowed,
      timeoutMs: 2000,
      maxResponseBytes: 1000,
    });
    expect(await followed.text()).toBe('final via GET');
    expect(followed.url).toBe(`${base()}/final`);

    // localhost is allowed by name; 127.0.0.2 is another loopback address nobody allowed.
    routes.set('/to-other-loopback', (_req, res) =>
      res.writeHead(307, { location: `http://127.0.0.2:${port}/final` }).end(),
    );
    routes.set('/to-metadata', (_req, res) =>
      res.writeHead(301, { location: 'http://169.254.169.254/latest/meta-data/' }).end(),
    );
    const byName = new AddressPolicy({ hosts: ['localhost'], cidrs: [] });
    hits.length = 0;
    await expect(
      guardedRequest(`http://localhost:${port}/to-other-loopback`, {
        policy: byName,
        timeoutMs: 2000,
        maxResponseBytes: 1000,
      }),
    ).rejects.toThrow(`refused to connect to 127.0.0.2:${port}: 127.0.0.2 is a loopback address`);
    await expect(
      guardedRequest(`http://localhost:${port}/to-metadata`, {
        policy: byName,
        timeoutMs: 2000,
        maxResponseBytes: 1000,
      }),
    ).rejects.toThrow('cloud metadata');
    expect(hits.map((hit) => hit.path)).toEqual(['/to-other-loopback', '/to-metadata']);
  });

  it('stops after the redirect limit', async () => {
    routes.set('/loop', (_req, res) => res.writeHead(302, { location: '/loop' }).end());
    await expect(
      guardedRequest(`${base()}/loop`, {
        policy: loopbackAllowed,
        maxRedirects: 3,
        timeoutMs: 2000,
        maxResponseBytes: 1000,
      }),
    ).rejects.toThrow('more than 3 redirects');
    expect(hits).toHaveLength(4);
  });

  it('fails a body past the size limit while streaming, and a declared one before reading', async () => {
    routes.set('/stream', (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      const chunk = Buffer.alloc(16 * 1024, 1);
      let sent = 0;
      const pump = (): void => {
        while (sent < 200 && res.write(chunk)) sent++;
        if (sent < 200 && !res.destroyed) res.once('drain', pump);
        else res.end();
      };
      pump();
    });
    routes.set('/declared', (_req, res) =>
      res.writeHead(200, { 'content-length': '5000' }).end(Buffer.alloc(5000)),
    );
    const streamed = await guardedRequest(`${base()}/stream`, {
      policy: loopbackAllowed,
      timeoutMs: 5000,
      maxResponseBytes: 100 * 1024,
    });
    let received = 0;
    await expect(
      (async () => {
        for await (const chunk of streamed.body) received += (chunk as Buffer).length;
      })(),
    ).rejects.toThrow(ResponseTooLargeError);
    expect(received).toBeLessThanOrEqual(100 * 1024);

    const declared = await guardedRequest(`${base()}/declared`, {
      policy: loopbackAllowed,
      timeoutMs: 2000,
      maxResponseBytes: 4000,
    });
    await expect(declared.buffer()).rejects.toThrow('exceeds 4000 bytes');
    const small = await guardedRequest(`${base()}/declared`, {
      policy: loopbackAllowed,
      timeoutMs: 2000,
      maxResponseBytes: 5000,
    });
    expect((await small.buffer()).length).toBe(5000);
  });

  it('times out a server that does not answer, and one that stalls mid-body', async () => {
    routes.set('/silent', () => undefined);
    routes.set('/stall', (_req, res) => {
      res.writeHead(200);
      res.write('partial');
    });
    const started = Date.now();
    await expect(
      guardedRequest(`${base()}/silent`, { policy: loopbackAllowed, timeoutMs: 300, maxResponseBytes: 1000 }),
    ).rejects.toThrow(OutboundTimeoutError);
    expect(Date.now() - started).toBeLessThan(2000);

    const stalled = await guardedRequest(`${base()}/stall`, {
      policy: loopbackAllowed,
      timeoutMs: 300,
      maxResponseBytes: 1000,
    });
    await expect(stalled.text()).rejects.toThrow('did not answer within 300 ms');
  });

  it('drops credentials on a redirect to another origin', async () => {
    routes.set('/cross', (_req, res) =>
      res.writeHead(307, { location: `http://localhost:${port}/landing` }).end(),
    );
    routes.set('/landing', (_req, res) => res.end('ok'));
    const response = await guardedRequest(`${base()}/cross`, {
      method: 'POST',
      body: 'b',
      headers: { authorization: 'Bearer secret', 'x-signature': 'sha256=abc' },
      policy: new AddressPolicy({ hosts: [], cidrs: ['127.0.0.0/8'] }),
      timeoutMs: 2000,
      maxResponseBytes: 1000,
    });
    expect(await response.text()).toBe('ok');
    expect(hits[0].headers.authorization).toBe('Bearer secret');
    expect(hits[1].headers.authorization).toBeUndefined();
    expect(hits[1]).toMatchObject({ method: 'POST', body: 'b' });
  });
});

describe('guardedRequest resolves once and connects to what it checked', () => {
  let server: http.Server;
  let port: number;

  beforeAll(async () => {
    server = http.createServer((req, res) => res.end(`hello ${req.headers.host}`));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('connects to the checked answer, asks the resolver once, and keeps the name in the Host header', async () => {
    // A rebinding resolver: an allowed answer the first time, the metadata address after.
    const asked: string[] = [];
    const rebinding = (hostname: string) => {
      asked.push(hostname);
      const address = asked.length === 1 ? '127.0.0.1' : '169.254.169.254';
      return Promise.resolve([{ address, family: 4 }]);
    };
    const response = await guardedRequest(`http://webhook.test:${port}/`, {
      policy: new AddressPolicy({ hosts: [], cidrs: ['127.0.0.1'] }),
      resolveHost: rebinding,
      timeoutMs: 2000,
      maxResponseBytes: 1000,
    });
    expect(await response.text()).toBe(`hello webhook.test:${port}`);
    expect(asked).toEqual(['webhook.test']);
  });

  it('checks https hosts through the same lookup', async () => {
    const asked: string[] = [];
    const toMetadata = (hostname: string) => {
      asked.push(hostname);
      return Promise.resolve([{ address: '169.254.169.254', family: 4 }]);
    };
    await expect(
      guardedRequest('https://webhook.test/hook', {
        resolveHost: toMetadata,
        timeoutMs: 2000,
        maxResponseBytes: 1000,
      }),
    ).rejects.toThrow('refused to connect to webhook.test: 169.254.169.254 is a cloud metadata address');
    expect(asked).toEqual(['webhook.test']);
  });

  it('refuses a host when any of its addresses is refused', async () => {
    const mixed = () =>
      Promise.resolve([
        { address: '127.0.0.1', family: 4 },
        { address: '10.0.0.1', family: 4 },
      ]);
    await expect(
      guardedRequest(`http://webhook.test:${port}/`, {
        policy: new AddressPolicy({ hosts: [], cidrs: ['127.0.0.1'] }),
        resolveHost: mixed,
        timeoutMs: 2000,
        maxResponseBytes: 1000,
      }),
    ).rejects.toThrow(`refused to connect to webhook.test:${port}: 10.0.0.1 is a private address`);
  });
});
