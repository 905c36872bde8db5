// The generator's floor for bench:seed-load: the least a Node load generator can do with the
// seed's arrival pattern — 1000 users on node:net sockets, spawned 500/s, each waiting a
// random 0.5–1 s (Node's timers, whole ms) between requests, the request bytes built once per
// user with a fresh uuid written in place, the response read to its content-length. No HTTP
// client, no histograms. autocannon -R is no like-for-like reference for that pattern: each
// of its connections gets rate/connections requests a second from its own 1 s interval, all
// started together, so a second's sends leave in one burst and share the loop's wake-ups;
// this floor pays a wake-up per send and per answer, as our generator (and Locust) does.
// Usage (a child of bench/seed-load.ts): node seed-load-floor.js <url> <seconds> <body-file>
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';

const [url, seconds, bodyFile] = process.argv.slice(2);
const target = new URL(url);
const body = readFileSync(bodyFile);
const head = `POST ${target.pathname} HTTP/1.1\r\nhost: ${target.host}\r\ncontent-type: application/json\r\nauthorization: Bearer sk-1234567890\r\ncontent-length: ${body.length}\r\n\r\n`;
const template = Buffer.concat([Buffer.from(head), body]);
// the seed's prompt starts with its uuid: the first uuid-shaped run in the request
const UUID_AT = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/.exec(template.toString('latin1'))?.index ?? -1;
const CRLF2 = Buffer.from('\r\n\r\n');
const endAt = performance.now() + Number(seconds) * 1000;

class User {
  readonly req = Buffer.from(template);
  readonly socket: Socket;
  got = 0;
  need = -1;
  first: Buffer | null = null;
  readonly send = () => {
    if (UUID_AT >= 0) this.req.write(randomUUID(), UUID_AT, 36, 'latin1');
    this.got = 0;
    this.need = -1;
    this.first = null;
    this.socket.write(this.req);
  };

  constructor() {
    this.socket = connect({ host: target.hostname, port: Number(target.port), noDelay: true }, this.send);
    this.socket.on('data', (c: Buffer) => this.onData(c));
    this.socket.on('error', () => undefined);
  }

  private onData(c: Buffer): void {
    this.got += c.length;
    if (this.need < 0) {
      const b = this.first === null ? c : Buffer.concat([this.first, c]);
      const end = b.indexOf(CRLF2);
      if (end < 0) {
        this.first = b;
        return;
      }
      const m = /content-length: *(\d+)/i.exec(b.toString('latin1', 0, end));
      this.need = end + 4 + Number(m?.[1] ?? 0);
    }
    if (this.got < this.need) return;
    if (performance.now() >= endAt) return void this.socket.destroy();
    setTimeout(this.send, Math.round(500 + Math.random() * 500));
  }
}

// user k starts at k / 500 s, as the seed's spawn rate
for (let k = 0; k < 1000; k++) setTimeout(() => new User(), k * 2);
setTimeout(() => process.exit(0), Number(seconds) * 1000 + 2000);
