// Checks on the ledger (快链) done by this page alone, with the browser's WebCrypto:
// SHA-256 Merkle hashing and proofs per RFC 9162 (sections 2.1.1, 2.1.3.2, 2.1.4.2),
// Ed25519 signed notes per c2sp.org/signed-note and c2sp.org/tlog-checkpoint, and witness
// cosignatures with a quorum per c2sp.org/tlog-cosignature (as `plaudit ledger verify
// --witness KEY --quorum N` does).
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

// c2sp.org/tlog-cosignature: a witness key is `<name>+<hex key ID>+<base64(0x04 || key)>`
// with key ID = SHA-256(name || "\n" || 0x04 || key)[:4]; a cosignature is a big-endian
// uint64 timestamp then an Ed25519 signature over "cosignature/v1\ntime <timestamp>\n"
// followed by the checkpoint's text.
const COSIGNATURE_V1 = 0x04;
const MAX_TIMESTAMP = (1n << 63n) - 1n;

async function parseWitnessKey(vkey) {
  const [name, idHex, ...rest] = vkey.trim().split("+");
  let typed;
  try { typed = b64(rest.join("+")); } catch { typed = new Uint8Array(); }
  if (!idHex || typed[0] !== COSIGNATURE_V1 || typed.length !== 33) {
    throw new Error(`${name}: not a witness cosignature key (name+id+base64 of type 0x04)`);
  }
  const keyId = (await sha256(concat(te.encode(name), Uint8Array.of(0x0a), typed))).slice(0, 4);
  if (hex(keyId) !== idHex) throw new Error(`${name}: the key ID does not match its key`);
  const key = await crypto.subtle.importKey("raw", typed.slice(1), { name: "Ed25519" }, false, ["verify"]);
  return { name, keyId, publicKey: hex(typed.slice(1)), key };
}

// The witness keys of a text field: one per line (or separated by commas or spaces).
export function witnessKeys(text) {
  return text.split(/[\s,]+/).filter((k) => k.length > 0);
}

// How many cosignatures are required: `quorum`, or every witness when it is empty (the
// CLI's rule); each witness counts once, so the same key given twice is refused.
function required(witnesses, quorum) {
  const keys = new Set(witnesses.map((w) => w.publicKey));
  if (keys.size !== witnesses.length) {
    throw new Error("a witness key is given twice: a quorum counts each witness once");
  }
  if (quorum === null) return witnesses.length;
  if (!(quorum >= 1 && quorum <= witnesses.length)) {
    throw new Error(`a quorum of ${quorum} needs between 1 and ${witnesses.length} witnesses: give at least ${Math.max(quorum, 1)} witness keys, or a smaller quorum`);
  }
  return quorum;
}

async function cosignedBy(witness, checkpoint) {
  for (const line of checkpoint.signatures) {
    const [, signer, sigB64] = line.split(" ");
    if (signer !== witness.name) continue;
    let sig;
    try { sig = b64(sigB64); } catch { continue; } // a malformed line is no cosignature
    if (sig.length !== 4 + 8 + 64 || !equal(sig.slice(0, 4), witness.keyId)) continue;
    const time = new DataView(sig.buffer, sig.byteOffset + 4, 8).getBigUint64(0);
    if (time > MAX_TIMESTAMP) continue;
    const message = concat(te.encode(`cosignature/v1\ntime ${time}\n`), te.encode(checkpoint.text));
    if (await crypto.subtle.verify({ name: "Ed25519" }, witness.key, sig.slice(12), message)) return true;
  }
  return false;
}

// At least `quorum` (null: all) of the witnesses must have cosigned the checkpoint `note`.
// Lines by other keys are ignored (c2sp.org/tlog-witness); a log showing a fork cannot get
// honest witnesses to cosign it, so a quorum of them defeats a split view.
export async function verifyCosignatures(note, keys, quorum) {
  const witnesses = await Promise.all(keys.map(parseWitnessKey));
  const need = required(witnesses, quorum);
  const checkpoint = parseCheckpoint(note);
  const cosigned = [];
  for (const witness of witnesses) {
    if (await cosignedBy(witness, checkpoint)) cosigned.push(witness.name);
  }
  return { ok: cosigned.length >= need, cosigned, need, of: witnesses.length };
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

// The witness check a form asks for (fields `witnesses` and `quorum`), or null when it
// names no witness and no quorum.
export async function witnessCheck(form, note) {
  const keys = witnessKeys(form.witnesses.value);
  const quorum = form.quorum.value.trim() === "" ? null : Number(form.quorum.value);
  if (keys.length === 0 && quorum === null) return null;
  return verifyCosignatures(note, keys, quorum);
}

// A result line: ✓ or ✗ and its label.
export function resultLine(label, ok) {
  return Object.assign(document.createElement("li"), { className: ok ? "ok" : "bad", textContent: `${ok ? "✓" : "✗"} ${label}` });
}

// "Cosigned by {n} of {of} witnesses (quorum {need})" filled in, with who cosigned.
export function witnessLabel(template, w) {
  const text = template.replace("{n}", w.cosigned.length).replace("{of}", w.of).replace("{need}", w.need);
  return w.cosigned.length ? `${text}: ${w.cosigned.join(", ")}` : text;
}

export async function verifyReceipt(text, vkey) {
  const receipt = parseReceipt(text);
  const note = await verifyNote(receipt.checkpoint, vkey);
  const leaf = await leafHash(receipt.entry);
  const included = await verifyInclusion(receipt.index, note.checkpoint.size, leaf, receipt.proof, note.checkpoint.root);
  const mine = await accountCommitmentMatches(receipt.entry, receipt.openings);
  return { signature: note.ok, included, mine, index: receipt.index, size: note.checkpoint.size, leaf: hex(leaf) };
}
