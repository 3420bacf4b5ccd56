// Runs inside a network namespace (`ip netns exec NS node probe-agent.mjs MODE`).
// listen PORTS ADDRESSES (JSON): TCP on :: for each port; UDP echo bound to each address and port, so
// that replies leave from the address the datagram was sent to; prints "ready".
// probe: reads a JSON list of probes from stdin; prints a JSON list of results (accept | reject | drop).
// ICMP probes (protocol icmp | icmpv6) send one echo-request with ping(8) (Debian iputils-ping), since
// Node has no raw sockets: an echo-reply is accept, an ICMP error back (`From ADDR icmp_seq=…`) is
// reject, and silence (or a local `sendmsg: Operation not permitted`) is drop.
import net from 'node:net';
import dgram from 'node:dgram';
import { execFile } from 'node:child_process';

const mode = process.argv[2];
const TIMEOUT = Number(process.env.PROBE_TIMEOUT_MS ?? 400);
const REJECTED = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EACCES', 'ECONNRESET']);

if (mode === 'listen') {
  const ports = JSON.parse(process.argv[3]);
  const addresses = JSON.parse(process.argv[4]);
  let pending = ports.length * (1 + addresses.length);
  const done = () => { if (--pending === 0) process.stdout.write('ready\n'); };
  for (const port of ports) {
    const server = net.createServer((socket) => { socket.on('error', () => {}); socket.end(); });
    server.listen({ port, host: '::', ipv6Only: false }, done);
    for (const address of addresses) {
      const udp = dgram.createSocket(address.includes(':') ? 'udp6' : 'udp4');
      udp.on('message', (msg, rinfo) => udp.send(msg, rinfo.port, rinfo.address));
      udp.bind(port, address, done);
    }
  }
} else if (mode === 'probe') {
  let input = '';
  process.stdin.on('data', (d) => (input += d));
  process.stdin.on('end', async () => {
    const probes = JSON.parse(input);
    const results = new Array(probes.length);
    let next = 0;
    const worker = async () => {
      while (next < probes.length) {
        const i = next++;
        results[i] = await PROBERS[probes[i].protocol](probes[i]);
      }
    };
    await Promise.all(Array.from({ length: 48 }, worker));
    process.stdout.write(JSON.stringify(results));
  });
}

const PROBERS = { tcp, udp, icmp: echo, icmpv6: echo };

function tcp(p) {
  return new Promise((resolve) => {
    let settled = false;
    const finish = (r) => { if (!settled) { settled = true; socket.destroy(); resolve(r); } };
    const socket = net.connect({ host: p.destination, port: p.port, localAddress: p.source });
    socket.setTimeout(TIMEOUT, () => finish('drop'));
    socket.on('connect', () => finish('accept'));
    socket.on('error', (e) => finish(REJECTED.has(e.code) ? 'reject' : 'drop'));
  });
}

function udp(p) {
  return new Promise((resolve) => {
    const socket = dgram.createSocket(p.family === 'ipv6' ? 'udp6' : 'udp4');
    let settled = false;
    const finish = (r) => { if (!settled) { settled = true; clearTimeout(timer); socket.close(); resolve(r); } };
    const timer = setTimeout(() => finish('drop'), TIMEOUT);
    socket.on('message', () => finish('accept'));
    socket.on('error', (e) => finish(REJECTED.has(e.code) ? 'reject' : 'drop'));
    socket.bind({ address: p.source, port: 0 }, () => {
      socket.connect(p.port, p.destination, (err) => {
        if (err) return finish('drop');
        // A packet the local OUTPUT chain drops or rejects fails with EPERM at once; a reject's ICMP
        // error follows as an 'error' event, so EPERM alone decides nothing before the timeout.
        socket.send(Buffer.from('benteng'), (e) => { if (e && e.code !== 'EPERM') finish(REJECTED.has(e.code) ? 'reject' : 'drop'); });
      });
    });
  });
}

const ICMP_ERROR = /^From \S+ icmp_seq=\d+ /m;

function echo(p) {
  return new Promise((resolve) => {
    const args = [p.family === 'ipv6' ? '-6' : '-4', '-n', '-c', '1', '-W', (TIMEOUT / 1000).toFixed(3), '-I', p.source, p.destination];
    execFile('ping', args, (error, stdout) => {
      if (error?.code === 'ENOENT') {
        process.stderr.write('ping(8) not found: install iputils-ping\n');
        process.exit(3);
      }
      if (!error) return resolve('accept');
      resolve(ICMP_ERROR.test(stdout) ? 'reject' : 'drop');
    });
  });
}
