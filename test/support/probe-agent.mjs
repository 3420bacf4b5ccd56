// Runs inside a network namespace (`ip netns exec NS node probe-agent.mjs MODE`).
// listen PORTS ADDRESSES [OPTIONS] (JSON): TCP on :: for each port; UDP echo bound to each address and
// port, so that replies leave from the address the datagram was sent to; prints "ready".
// OPTIONS.replyDelayMs makes the UDP echo answer late (a slow server, for the harness's own tests).
// probe: reads `{ probes, waitsMs? }` (JSON) from stdin; prints a JSON report (see `probeAll`).
//
// Dropped or slow: silence is not yet a drop. Every probe is sent, and waited for WAITS_MS[0]; the
// silent ones are sent again, afresh and all together, and waited for the next, longer wait, while
// their earlier attempts stay open, so a late answer to any attempt counts. An answer is conclusive at
// once: TCP connect or UDP echo is accept; a TCP reset, an ICMP error (ECONNREFUSED, EHOSTUNREACH, …)
// or ping's `From ADDR icmp_seq=…` is reject. A probe silent through every wait is a drop. The second
// wait is always taken, so a drop has been silent for 1.5 s since its first packet (longer than
// TCP's first SYN retransmission at 1 s); the last only while this run shows the machine is slow: a
// probe silent before answered in the round just run, or some answer took more than a quarter of the
// time waited so far (then the silence lasts 5.5 s). A wait ends only after the event loop has read
// what already arrived, so a prober that was itself starved does not miss an answer.
//
// ICMP probes (protocol icmp | icmpv6) send one echo-request with ping(8) (Debian iputils-ping), since
// Node has no raw sockets: an echo-reply is accept, an ICMP error back is reject, silence (or a local
// `sendmsg: Operation not permitted`) is silence.
import net from 'node:net';
import dgram from 'node:dgram';
import os from 'node:os';
import { execFile } from 'node:child_process';
import { performance } from 'node:perf_hooks';

const WAITS_MS = [400, 1100, 4000];
/** Probes in flight at once (sockets and ping processes together); most of them only wait. */
const IN_FLIGHT = 128;
/** ping processes being spawned at once; a running ping only sleeps until its answer or its wait. */
const PING_STARTS = 2 * os.availableParallelism();
const REJECTED = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EACCES', 'ECONNRESET']);

const mode = process.argv[2];

if (mode === 'listen') {
  const ports = JSON.parse(process.argv[3]);
  const addresses = JSON.parse(process.argv[4]);
  const { replyDelayMs = 0 } = JSON.parse(process.argv[5] ?? '{}');
  let pending = ports.length * (1 + addresses.length);
  const done = () => { if (--pending === 0) process.stdout.write('ready\n'); };
  for (const port of ports) {
    const server = net.createServer((socket) => { socket.on('error', () => {}); socket.end(); });
    server.listen({ port, host: '::', ipv6Only: false }, done);
    for (const address of addresses) {
      const udp = dgram.createSocket(address.includes(':') ? 'udp6' : 'udp4');
      const reply = (msg, rinfo) => udp.send(msg, rinfo.port, rinfo.address);
      udp.on('message', (msg, rinfo) => (replyDelayMs > 0 ? setTimeout(reply, replyDelayMs, msg, rinfo) : reply(msg, rinfo)));
      udp.bind(port, address, done);
    }
  }
} else if (mode === 'probe') {
  let input = '';
  process.stdin.on('data', (d) => (input += d));
  process.stdin.on('end', async () => {
    const { probes, waitsMs = WAITS_MS } = JSON.parse(input);
    // Exit once written: nothing the rounds started may keep the prober alive.
    process.stdout.write(JSON.stringify(await probeAll(probes, waitsMs)), () => process.exit(0));
  });
}

/**
 * Runs the rounds. Report: `results[i] = { outcome, attempts }` in probe order; `rounds` (wait, probes
 * sent, answers); `slowestAnswerMs`, the slowest conclusive answer, the evidence for another round.
 */
async function probeAll(probes, waitsMs) {
  const patienceMs = waitsMs.reduce((a, b) => a + b, 0);
  const state = probes.map(() => {
    let answered;
    const answer = new Promise((resolve) => (answered = resolve));
    return { answer, answered, attempts: [], outcome: 'drop' };
  });
  const rounds = [];
  let slowestAnswerMs = 0;
  let waitedMs = 0;
  let silent = probes.map((_, i) => i);
  for (let round = 0; round < waitsMs.length && silent.length > 0; round++) {
    const waitMs = waitsMs[round];
    const answers = await bounded(silent, IN_FLIGHT, async (i) => {
      const attempt = SENDERS[probes[i].protocol](probes[i], patienceMs - waitedMs);
      state[i].attempts.push(attempt);
      attempt.answer.then(state[i].answered);
      await attempt.sent;
      const quiet = quietFor(waitMs);
      const first = await Promise.race([state[i].answer, quiet.done]);
      quiet.cancel();
      if (first === SILENT) return SILENT;
      slowestAnswerMs = Math.max(slowestAnswerMs, first.ms);
      return first.answer;
    });
    waitedMs += waitMs;
    silent.forEach((i, k) => { if (answers[k] !== SILENT) state[i].outcome = answers[k]; });
    const answered = answers.filter((a) => a !== SILENT).length;
    rounds.push({ waitMs, probes: silent.length, answered });
    silent = silent.filter((_, k) => answers[k] === SILENT);
    const slow = (round > 0 && answered > 0) || slowestAnswerMs > waitedMs / 4;
    if (round > 0 && !slow) break;
  }
  for (const { attempts } of state) for (const attempt of attempts) attempt.close();
  return { results: state.map(({ outcome, attempts }) => ({ outcome, attempts: attempts.length })), rounds, slowestAnswerMs: Math.round(slowestAnswerMs) };
}

/** `fn` over `items`, at most `limit` at once; results in item order. */
async function bounded(items, limit, fn) {
  const results = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const k = next++;
      results[k] = await fn(items[k]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** A counting semaphore. */
function gate(limit) {
  let free = limit;
  const waiting = [];
  return {
    acquire: () => new Promise((resolve) => (free > 0 ? (free--, resolve()) : waiting.push(resolve))),
    release: () => { const next = waiting.shift(); if (next) next(); else free++; },
  };
}

const SILENT = 'silent';

/**
 * Resolves with SILENT once `waitMs` has passed, but only after the event loop has polled for I/O: a
 * prober starved past its wait reads the answers already queued before it calls the probe silent.
 */
function quietFor(waitMs) {
  let timer;
  let immediate;
  const done = new Promise((resolve) => (timer = setTimeout(() => (immediate = setImmediate(resolve, SILENT)), waitMs)));
  return { done, cancel: () => { clearTimeout(timer); clearImmediate(immediate); } };
}

/**
 * Each sender sends one attempt of a probe and returns `{ sent, answer, close }`: `sent` resolves when
 * the packet has gone (the wait starts then); `answer` resolves with `{ answer: 'accept' | 'reject',
 * ms }` when one comes, and never on silence; `close` ends the attempt. `patienceMs` bounds how long
 * an attempt may live if nobody closes it.
 */
const SENDERS = { tcp, udp, icmp: echo, icmpv6: echo };

function attempt() {
  let start = performance.now();
  let answered;
  const answer = new Promise((resolve) => (answered = resolve));
  return { answer, restart: () => (start = performance.now()), answered: (a) => answered({ answer: a, ms: performance.now() - start }) };
}

function tcp(p) {
  const { answer, answered } = attempt();
  const socket = net.connect({ host: p.destination, port: p.port, localAddress: p.source });
  socket.on('connect', () => answered('accept'));
  socket.on('error', (e) => REJECTED.has(e.code) && answered('reject'));
  return { sent: Promise.resolve(), answer, close: () => socket.destroy() };
}

function udp(p) {
  const { answer, answered, restart } = attempt();
  const socket = dgram.createSocket(p.family === 'ipv6' ? 'udp6' : 'udp4');
  let closed = false;
  socket.on('message', () => answered('accept'));
  socket.on('error', (e) => REJECTED.has(e.code) && answered('reject'));
  const sent = new Promise((resolve) => {
    socket.bind({ address: p.source, port: 0 }, () => {
      socket.connect(p.port, p.destination, (err) => {
        if (err || closed) return resolve();
        restart();
        // A packet the local OUTPUT chain drops or rejects fails with EPERM at once; a reject's ICMP
        // error follows as an 'error' event, so EPERM alone decides nothing.
        socket.send(Buffer.from('benteng'), (e) => {
          if (e && REJECTED.has(e.code)) answered('reject');
          resolve();
        });
      });
    });
  });
  return { sent, answer, close: () => { if (!closed) { closed = true; socket.close(); } } };
}

const ICMP_ERROR = /^From \S+ icmp_seq=\d+ /m;
const pingStarts = gate(PING_STARTS);

function echo(p, patienceMs) {
  const { answer, answered, restart } = attempt();
  let child;
  let closed = false;
  const sent = pingStarts.acquire().then(() => new Promise((resolve) => {
    let running = false;
    const started = () => { if (!running) { running = true; pingStarts.release(); restart(); resolve(); } };
    if (closed) return started();
    // `-i 0.01`: after a local reject, ping reads the ICMP error only once its interval (1 s) is over.
    const args = [p.family === 'ipv6' ? '-6' : '-4', '-n', '-c', '1', '-i', '0.01', '-W', (patienceMs / 1000).toFixed(3), '-I', p.source, p.destination];
    child = execFile('ping', args, (error, stdout) => {
      if (error?.code === 'ENOENT') {
        process.stderr.write('ping(8) not found: install iputils-ping\n');
        process.exit(3);
      }
      if (!error) answered('accept');
      else if (ICMP_ERROR.test(stdout)) answered('reject');
    });
    // The clock starts once ping runs: it sends as it starts.
    child.once('spawn', started);
    child.once('error', started);
  }));
  return { sent, answer, close: () => { closed = true; if (child?.exitCode === null) child.kill('SIGKILL'); } };
}
