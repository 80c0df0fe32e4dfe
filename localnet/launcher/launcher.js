#!/usr/bin/env node
// Runs one embedded surfpool runtime for the Go package
// github.com/sessionkit/sessionkit/localnet and reports its endpoints.
//
// Usage: node launcher.js [config.json]
//
// config.json (optional):
//   {"programs": [{"programId": "<base58>", "soPath": "/abs/file.so"}], "ownDir": "/tmp/..."}
// ownDir is a scratch directory that belongs to this runtime alone; it is
// removed on exit, so a parent killed before it could clean up leaves nothing.
//
// Protocol with the parent process:
//   - stdout gets exactly one JSON line once the runtime is ready:
//     {"rpcUrl", "wsUrl", "pid", "startMs", "readyMs", "surfpool"} or {"error": "..."}.
//   - stderr carries diagnostics (the runtime's warnings and errors).
//   - the launcher exits when stdin reaches EOF, so a parent that dies, even by
//     SIGKILL, takes the runtime with it; SIGTERM and SIGINT also stop it.
'use strict';

const fs = require('fs');

// The runtime's event channel is bounded and blocks transaction processing
// once full, so it must be emptied continuously, not just now and then.
const DRAIN_INTERVAL_MS = 20;
const PACKAGE = '@solana/surfpool-linux-x64-gnu';

function report(obj) {
  process.stdout.write(JSON.stringify(obj) + '\n');
}

function fail(message) {
  process.stderr.write('launcher: ' + message + '\n');
  report({ error: message });
  process.exit(1);
}

function loadConfig(path) {
  if (!path) {
    return { programs: [] };
  }
  const cfg = JSON.parse(fs.readFileSync(path, 'utf8'));
  cfg.programs = cfg.programs || [];
  return cfg;
}

function main() {
  const t0 = process.hrtime.bigint();
  let cfg;
  try {
    cfg = loadConfig(process.argv[2]);
  } catch (e) {
    fail('reading config: ' + e.message);
  }

  let Surfnet;
  let version = '';
  try {
    ({ Surfnet } = require(PACKAGE));
    version = require(PACKAGE + '/package.json').version;
  } catch (e) {
    fail('loading ' + PACKAGE + ' (run npm ci in ' + __dirname + '): ' + e.message);
  }

  let net;
  try {
    net = Surfnet.startWithConfig({ offline: true });
  } catch (e) {
    fail('starting surfnet: ' + e.message);
  }
  const startMs = Number(process.hrtime.bigint() - t0) / 1e6;

  let stopping = false;
  function stop(code) {
    if (stopping) {
      return;
    }
    stopping = true;
    try {
      net.stop();
    } catch (e) {
      process.stderr.write('launcher: stop: ' + e.message + '\n');
      code = code || 1;
    }
    if (cfg.ownDir) {
      fs.rmSync(cfg.ownDir, { recursive: true, force: true });
    }
    process.exit(code);
  }

  setInterval(() => {
    for (const ev of net.drainEvents()) {
      switch (ev.kind) {
        case 'errorLog':
        case 'warnLog':
          process.stderr.write(ev.kind + ': ' + ev.message + '\n');
          break;
        case 'aborted':
          process.stderr.write('launcher: runtime aborted: ' + ev.message + '\n');
          stop(1);
          break;
      }
    }
  }, DRAIN_INTERVAL_MS);

  process.on('SIGTERM', () => stop(0));
  process.on('SIGINT', () => stop(0));
  process.stdin.on('end', () => stop(0));
  process.stdin.on('error', () => stop(0));
  process.stdin.resume();

  for (const p of cfg.programs) {
    try {
      net.deploy({ programId: p.programId, soPath: p.soPath });
    } catch (e) {
      report({ error: 'deploying ' + p.programId + ': ' + e.message });
      stop(1);
      return;
    }
  }

  report({
    rpcUrl: net.rpcUrl,
    wsUrl: net.wsUrl,
    pid: process.pid,
    startMs: startMs,
    readyMs: Number(process.hrtime.bigint() - t0) / 1e6,
    surfpool: version,
  });
}

main();
