// sessionkit.js: the browser side of sessionkit sessions, plain ES module, no build step.
// The server builds every transaction; this module only signs what it prepared: with the
// wallet (wallet-standard, solana:signTransaction) and, for browser-held keys, with a
// non-extractable WebCrypto Ed25519 key kept in IndexedDB.

const B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

export function base58(bytes) {
  let n = 0n;
  for (const b of bytes) n = n * 256n + BigInt(b);
  let s = "";
  while (n > 0n) { s = B58[Number(n % 58n)] + s; n /= 58n; }
  for (const b of bytes) { if (b !== 0) break; s = "1" + s; }
  return s;
}

export function fromBase58(s) {
  let n = 0n;
  for (const c of s) {
    const i = B58.indexOf(c);
    if (i < 0) throw new Error("sessionkit: not base58");
    n = n * 58n + BigInt(i);
  }
  const out = [];
  while (n > 0n) { out.unshift(Number(n % 256n)); n /= 256n; }
  for (const c of s) { if (c !== "1") break; out.unshift(0); }
  return new Uint8Array(out);
}

const b64 = (bytes) => btoa(String.fromCharCode(...bytes));
const unb64 = (s) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));

// An error the server answered with: code, the refused bound when there is one.
export class SessionError extends Error {
  constructor(e) {
    super(e.message);
    this.name = "SessionError";
    this.code = e.code;
    this.bound = e.bound || "";
  }
}

// Wallets registered through the wallet-standard events that can sign transactions.
export function findWallets() {
  const found = [];
  const register = (...wallets) => {
    for (const w of wallets) {
      if (w.features && w.features["solana:signTransaction"] && !found.includes(w)) found.push(w);
    }
    return () => {};
  };
  const api = Object.freeze({ register });
  window.addEventListener("wallet-standard:register-wallet", (e) => e.detail(api));
  window.dispatchEvent(new CustomEvent("wallet-standard:app-ready", { detail: api }));
  return found;
}

// compact-u16 decoder: [value, bytes used].
function shortVec(b, at) {
  let n = 0;
  for (let i = 0; i < 3; i++) {
    n |= (b[at + i] & 0x7f) << (7 * i);
    if ((b[at + i] & 0x80) === 0) return [n, i + 1];
  }
  throw new Error("sessionkit: bad compact-u16");
}

// The required signers of a wire transaction, and where its message starts.
function layout(wire) {
  const [n, size] = shortVec(wire, 0);
  const msgAt = size + 64 * n;
  const msg = wire.subarray(msgAt);
  const [nkeys, ksize] = shortVec(msg, 3);
  const keys = [];
  for (let i = 0; i < msg[0] && i < nkeys; i++) keys.push(base58(msg.subarray(3 + ksize + 32 * i, 3 + ksize + 32 * (i + 1))));
  return { n, size, msg, keys };
}

const DB = "sessionkit", STORE = "sessions", CURRENT = "current";

function db() {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(DB, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE);
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

async function idb(mode, fn) {
  const d = await db();
  return new Promise((resolve, reject) => {
    const tx = d.transaction(STORE, mode);
    const req = fn(tx.objectStore(STORE));
    tx.oncomplete = () => { d.close(); resolve(req && req.result); };
    tx.onerror = () => { d.close(); reject(tx.error); };
  });
}

// Client talks to the sessionweb handlers at base (default: this origin).
export class Client {
  constructor({ base = "", wallet = null } = {}) {
    this.base = base;
    this.wallet = wallet;
    this.account = null;
    this.current = null; // {session, mode, token, signer, keyPair?}
  }

  async call(path, body) {
    const res = await fetch(this.base + "/api/" + path, {
      method: body === undefined ? "GET" : "POST",
      headers: body === undefined ? {} : { "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const out = await res.json();
    if (out && out.error) throw new SessionError(out.error);
    return out;
  }

  async connect() {
    const { accounts } = await this.wallet.features["standard:connect"].connect();
    this.account = accounts[0];
    return this.account.address;
  }

  // resume takes the session kept in IndexedDB, if any, after a reload.
  async resume() {
    const saved = await idb("readonly", (s) => s.get(CURRENT));
    if (!saved) return null;
    this.current = saved;
    return saved;
  }

  // create makes a session: the server prepares the transaction, the page's key signs
  // its slot (browser mode), the wallet signs once, the server submits.
  async create(mode) {
    let keyPair = null, signer;
    if (mode === "browser") {
      keyPair = await crypto.subtle.generateKey({ name: "Ed25519" }, false, ["sign", "verify"]);
      signer = base58(new Uint8Array(await crypto.subtle.exportKey("raw", keyPair.publicKey)));
    }
    const prep = await this.call("prepare", { wallet: this.account.address, mode, signer });
    const cur = { session: prep.session, mode, token: prep.token, signer: prep.signer, keyPair };
    const signed = await this.sign(unb64(prep.transaction), cur);
    const landed = await this.call("submit", { session: prep.session, transaction: b64(signed) });
    this.current = cur;
    await idb("readwrite", (s) => s.put(cur, CURRENT));
    return landed;
  }

  // sign fills the empty signature slots of wire: the session key's first, then the
  // wallet's (one prompt) when one is still empty.
  async sign(wire, cur) {
    const { n, size, msg, keys } = layout(wire);
    let out = new Uint8Array(wire);
    let walletNeeded = false;
    for (let i = 0; i < n; i++) {
      const slot = out.subarray(size + 64 * i, size + 64 * (i + 1));
      if (slot.some((b) => b !== 0)) continue;
      if (cur.keyPair && keys[i] === cur.signer) {
        slot.set(new Uint8Array(await crypto.subtle.sign("Ed25519", cur.keyPair.privateKey, msg)));
      } else {
        walletNeeded = true;
      }
    }
    if (walletNeeded) {
      const [res] = await this.wallet.features["solana:signTransaction"].signTransaction({ transaction: out, account: this.account });
      out = res.signedTransaction;
    }
    return out;
  }

  // move plays one move: the server signs it (server mode), or the server prepares the
  // message, the session key signs it and the relay co-signs and sends (browser mode).
  async move(move) {
    const cur = this.current;
    if (cur.mode === "server") return this.call("move", { session: cur.session, move });
    const { message } = await this.call("move/prepare", { session: cur.session, move });
    const msg = unb64(message);
    const sig = new Uint8Array(await crypto.subtle.sign("Ed25519", cur.keyPair.privateKey, msg));
    return this.call("move/relay", { session: cur.session, message, signature: b64(sig) });
  }

  status() { return this.call("status", { session: this.current.session }); }

  // revoke ends the session and forgets its key.
  async revoke() {
    const cur = this.current;
    let landed = await this.call("revoke", { session: cur.session });
    if (landed.transaction) {
      const signed = await this.sign(unb64(landed.transaction), cur);
      landed = await this.call("submit", { session: cur.session, transaction: b64(signed) });
    }
    await this.forget();
    return landed;
  }

  async forget() {
    this.current = null;
    await idb("readwrite", (s) => s.delete(CURRENT));
  }
}
