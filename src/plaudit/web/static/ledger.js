// Checks on the ledger (快链) done by this page alone, with the browser's WebCrypto:
// SHA-256 Merkle hashing and proofs per RFC 9162 (sections 2.1.1, 2.1.3.2, 2.1.4.2) and
// Ed25519 signed notes per c2sp.org/signed-note and c2sp.org/tlog-checkpoint.
// Nothing here asks the server whether something is valid.

const te = new TextEncoder();

export function b64(text) {
  const raw = atob(text.trim());
  return Uint8Array.from(raw, (c) => c.charCodeAt(0));
}

export function hex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

function equal(a, b) {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

async function sha256(data) {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", data));
}

export const leafHash = (entry) => sha256(concat(Uint8Array.of(0), entry));
const nodeHash = (l, r) => sha256(concat(Uint8Array.of(1), l, r));

// RFC 9162 2.1.3.2: verifying an inclusion proof.
export async function verifyInclusion(index, size, leaf, proof, root) {
  if (index >= size) return false;
  let fn = index, sn = size - 1, r = leaf;
  for (const p of proof) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = await nodeHash(p, r);
      if (fn % 2 === 0) { while (fn % 2 === 0 && fn !== 0) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); } }
    } else {
      r = await nodeHash(r, p);
    }
    fn = Math.floor(fn / 2); sn = Math.floor(sn / 2);
  }
  return sn === 0 && equal(r, root);
}

// RFC 9162 2.1.4.2: verifying a consistency proof.
export async function verifyConsistency(first, second, firstRoot, secondRoot, proof) {
  if (first === second) return proof.length === 0 && equal(firstRoot, secondRoot);
  if (first === 0 || first > second || proof.length === 0) return false;
  let path = proof.slice();
  if ((first & (first - 1)) === 0) path = [firstRoot, ...path];
  let fn = first - 1, sn = second - 1;
  while (fn % 2 === 1) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); }
  let fr = path[0], sr = path[0];
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      fr = await nodeHash(c, fr); sr = await nodeHash(c, sr);
      while (fn % 2 === 0 && fn !== 0) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); }
    } else {
      sr = await nodeHash(sr, c);
    }
    fn = Math.floor(fn / 2); sn = Math.floor(sn / 2);
  }
  return sn === 0 && equal(fr, firstRoot) && equal(sr, secondRoot);
}

// c2sp.org/tlog-checkpoint: origin, size, base64 root hash, then the signatures.
export function parseCheckpoint(note) {
  const split = note.lastIndexOf("\n\n");
  if (split < 0) throw new Error("no blank line before the signatures");
  const text = note.slice(0, split + 1);
  const lines = text.split("\n");
  const signatures = note.slice(split + 2).split("\n").filter((l) => l.startsWith("— "));
  return { text, origin: lines[0], size: Number(lines[1]), root: b64(lines[2]), signatures };
}

// c2sp.org/signed-note: vkey `<name>+<hex key ID>+<base64(0x01 || public key)>`.
export async function verifyNote(note, vkey) {
  // the base64 key may itself hold "+": split at the first two only
  const [name, idHex, ...rest] = vkey.trim().split("+");
  const keyB64 = rest.join("+");
  const typed = b64(keyB64);
  if (typed[0] !== 1 || typed.length !== 33) throw new Error("not an Ed25519 verifier key");
  const keyId = (await sha256(concat(te.encode(name), Uint8Array.of(0x0a), typed))).slice(0, 4);
  if (hex(keyId) !== idHex) throw new Error("the verifier key's ID does not match its key");
  const checkpoint = parseCheckpoint(note);
  const key = await crypto.subtle.importKey("raw", typed.slice(1), { name: "Ed25519" }, false, ["verify"]);
  for (const line of checkpoint.signatures) {
    const [, signer, sigB64] = line.split(" ");
    const sig = b64(sigB64);
    if (signer !== name || !equal(sig.slice(0, 4), keyId)) continue;
    const ok = await crypto.subtle.verify({ name: "Ed25519" }, key, sig.slice(4), te.encode(checkpoint.text));
    return { ok, checkpoint };
  }
  return { ok: false, checkpoint };
}

function u64(n) {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt(n));
  return out;
}

// The account commitment of a like entry (docs/ledger-format.md), from the receipt's opening.
async function accountCommitmentMatches(entry, openings) {
  const view = new DataView(entry.buffer, entry.byteOffset);
  const kind = entry[1];
  const target = view.getBigUint64(10);
  const sourceLen = entry[18];
  const inEntry = entry.slice(19 + sourceLen, 19 + sourceLen + 32);
  const targetType = kind === 4 || kind === 5 ? 1 : 0;
  const head = concat(te.encode("plaudit/ledger/v1/account"), u64(openings.account_id), Uint8Array.of(targetType));
  const computed = await sha256(concat(head, u64(target), b64(openings.account)));
  return equal(computed, inEntry);
}

// A Plaudit receipt (c2sp.org/tlog-proof with a plaudit-receipt/v1 extra).
export function parseReceipt(text) {
  const split = text.indexOf("\n\n");
  const lines = text.slice(0, split).split("\n");
  if (lines[0] !== "c2sp.org/tlog-proof@v1") throw new Error("not a tlog-proof file");
  const extra = JSON.parse(new TextDecoder().decode(b64(lines[1].slice(6))));
  return {
    index: Number(lines[2].slice(6)),
    proof: lines.slice(3).map(b64),
    checkpoint: text.slice(split + 2),
    entry: b64(extra.entry),
    openings: extra.openings,
  };
}

export async function verifyReceipt(text, vkey) {
  const receipt = parseReceipt(text);
  const note = await verifyNote(receipt.checkpoint, vkey);
  const leaf = await leafHash(receipt.entry);
  const included = await verifyInclusion(receipt.index, note.checkpoint.size, leaf, receipt.proof, note.checkpoint.root);
  const mine = await accountCommitmentMatches(receipt.entry, receipt.openings);
  return { signature: note.ok, included, mine, index: receipt.index, size: note.checkpoint.size, leaf: hex(leaf) };
}
