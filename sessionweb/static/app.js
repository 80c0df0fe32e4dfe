// The demo page: wires sessionkit.js to the buttons. window.demo is the same API for
// the browser tests.
import { Client, findWallets } from "./sessionkit.js";

const $ = (id) => document.getElementById(id);
const client = new Client();
let moves = 0;

function log(line) { $("log").textContent = line + "\n" + $("log").textContent; }
function showError(e) {
  $("error").textContent = e ? `${e.code || "error"}${e.bound ? " (" + e.bound + ")" : ""}: ${e.message}` : "";
  $("error").dataset.code = e ? e.code || "" : "";
  $("error").dataset.bound = e ? e.bound || "" : "";
}
function playing(on) {
  document.querySelectorAll("[data-dir]").forEach((b) => (b.disabled = !on));
  $("play20").disabled = $("cheat").disabled = $("revoke").disabled = !on;
  $("create").disabled = on || !client.account;
}

async function refresh() {
  if (!client.current) {
    $("state").textContent = "no session";
    return null;
  }
  const st = await client.status();
  $("lamports").textContent = (st.lamports / 1e9).toFixed(6) + " SOL" + (st.mode === "browser" ? " (the relay pays)" : "");
  $("tokens").textContent = (st.tokens || []).map((t) => `${(t.remaining / 10 ** t.decimals).toFixed(t.decimals)} of ${t.mint.slice(0, 6)}…`).join(", ") || "none";
  $("uses").textContent = st.maxUses ? `${st.maxUses - st.uses} of ${st.maxUses}` : "unbounded";
  $("expires").textContent = `${Math.floor(st.expiresIn / 60)} min (cluster clock)`;
  $("state").textContent = st.revoked ? "revoked" : "active";
  $("meter").style.width = st.maxUses ? `${(100 * (st.maxUses - st.uses)) / st.maxUses}%` : "100%";
  return st;
}

function showSession(cur) {
  if (cur) $("mode").value = cur.mode;
  $("modeShown").textContent = cur ? (cur.mode === "browser" ? "browser-held key, relay pays fees" : "server-held key") : "—";
  $("token").textContent = cur ? cur.token : "—";
  $("signer").textContent = cur ? cur.signer : "—";
}

const demo = {
  async connect() {
    const wallets = findWallets();
    await new Promise((r) => setTimeout(r, 0));
    if (!wallets.length) throw new Error("no wallet-standard wallet found");
    client.wallet = wallets[0];
    const address = await client.connect();
    $("wallet").textContent = address;
    log("connected " + wallets[0].name);
    const cur = await client.resume();
    if (cur) {
      showSession(cur);
      playing(true);
      log("resumed session " + cur.token);
      await refresh();
    } else playing(false);
    return address;
  },
  async create(mode = $("mode").value) {
    showError(null);
    const landed = await client.create(mode);
    showSession(client.current);
    playing(true);
    log("created " + client.current.token + " in " + landed.signature);
    await refresh();
    return client.current;
  },
  async move(direction) {
    showError(null);
    try {
      const res = await client.move({ direction });
      moves++;
      $("moves").textContent = moves;
      $("lastSig").textContent = res.signature;
      return res;
    } catch (e) {
      showError(e);
      throw e;
    }
  },
  async cheat() {
    showError(null);
    try {
      return await client.move({ buy: 1 });
    } catch (e) {
      showError(e);
      log("refused: " + e.code + " " + e.bound);
      return { code: e.code, bound: e.bound };
    }
  },
  async revoke() {
    showError(null);
    const landed = await client.revoke();
    log("revoked in " + landed.signature);
    $("state").textContent = "revoked";
    $("lamports").textContent = $("tokens").textContent = "returned";
    showSession(null);
    playing(false);
    return landed;
  },
  refresh,
  client,
};
window.demo = demo;

const guard = (fn) => async (...a) => { try { await fn(...a); } catch (e) { showError(e); log(String(e.message)); } };
$("connect").onclick = guard(demo.connect);
$("create").onclick = guard(() => demo.create());
$("revoke").onclick = guard(demo.revoke);
$("cheat").onclick = guard(demo.cheat);
$("play20").onclick = guard(async () => { for (let i = 0; i < 20; i++) await demo.move(["up", "right", "down", "left"][i % 4]); await refresh(); });
document.querySelectorAll("[data-dir]").forEach((b) => (b.onclick = guard(async () => { await demo.move(b.dataset.dir); await refresh(); })));
