// Passkeys (WebAuthn) in the browser: asks the server for options, hands them to
// navigator.credentials, and posts the authenticator's answer back as JSON. The server checks
// everything (py_webauthn); this script only carries bytes. Messages come from data-* attributes
// of the form, already in the reader's language.

const b64urlToBytes = (text) => {
  const b64 = text.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(text.length / 4) * 4, "=");
  return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
};
const bytesToB64url = (buffer) =>
  btoa(String.fromCharCode(...new Uint8Array(buffer))).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");

// The JSON forms of WebAuthn Level 3 (parse...FromJSON, toJSON) where the browser has them,
// else the same conversion by hand.
function creationOptions(json) {
  if (PublicKeyCredential.parseCreationOptionsFromJSON) return PublicKeyCredential.parseCreationOptionsFromJSON(json);
  return { ...json, challenge: b64urlToBytes(json.challenge), user: { ...json.user, id: b64urlToBytes(json.user.id) },
    excludeCredentials: (json.excludeCredentials || []).map((c) => ({ ...c, id: b64urlToBytes(c.id) })) };
}
function requestOptions(json) {
  if (PublicKeyCredential.parseRequestOptionsFromJSON) return PublicKeyCredential.parseRequestOptionsFromJSON(json);
  return { ...json, challenge: b64urlToBytes(json.challenge),
    allowCredentials: (json.allowCredentials || []).map((c) => ({ ...c, id: b64urlToBytes(c.id) })) };
}
function credentialJSON(credential) {
  if (credential.toJSON) return credential.toJSON();
  const r = credential.response;
  const response = { clientDataJSON: bytesToB64url(r.clientDataJSON) };
  if (r.attestationObject) response.attestationObject = bytesToB64url(r.attestationObject);
  if (r.authenticatorData) response.authenticatorData = bytesToB64url(r.authenticatorData);
  if (r.signature) response.signature = bytesToB64url(r.signature);
  if (r.userHandle) response.userHandle = bytesToB64url(r.userHandle);
  if (r.getTransports) response.transports = r.getTransports();
  return { id: credential.id, rawId: bytesToB64url(credential.rawId), type: credential.type, response,
    clientExtensionResults: credential.getClientExtensionResults(), authenticatorAttachment: credential.authenticatorAttachment };
}

async function post(url, fields) {
  const body = new FormData();
  for (const [name, value] of Object.entries(fields)) body.append(name, value);
  const response = await fetch(url, { method: "POST", body, credentials: "same-origin" });
  const answer = await response.json();
  if (!response.ok) throw new Error(answer.detail || response.statusText);
  return answer;
}

function say(out, text, ok) {
  out.textContent = text;
  out.className = ok ? "notice" : "notice error";
  out.hidden = false;
}

async function ceremony(form, run) {
  const out = document.getElementById(form.dataset.out);
  const button = form.querySelector("button");
  button.disabled = true;
  try {
    await run(form.elements.csrf.value);
  } catch (error) {
    // NotAllowedError: the person cancelled or the authenticator timed out
    const text = error.name === "NotAllowedError" ? form.dataset.cancelled : `${form.dataset.failed} ${error.message}`;
    say(out, text, false);
    form.dataset.state = "failed";
    button.disabled = false;
  }
}

const add = document.getElementById("passkey-add");
if (add) {
  add.addEventListener("submit", (event) => {
    event.preventDefault();
    ceremony(add, async (csrf) => {
      const options = await post("/settings/passkeys/options", { csrf });
      const credential = await navigator.credentials.create({ publicKey: creationOptions(options) });
      await post("/settings/passkeys", { csrf, name: add.elements.name.value, credential: JSON.stringify(credentialJSON(credential)) });
      window.location.assign("/settings?passkey=added");
    });
  });
}

const signin = document.getElementById("passkey-signin");
if (signin) {
  signin.addEventListener("submit", (event) => {
    event.preventDefault();
    ceremony(signin, async (csrf) => {
      const options = await post("/signin/passkey/options", { csrf });
      const credential = await navigator.credentials.get({ publicKey: requestOptions(options) });
      const answer = await post("/signin/passkey", { csrf, next: signin.elements.next.value, credential: JSON.stringify(credentialJSON(credential)) });
      window.location.assign(answer.next);
    });
  });
}

// Without WebAuthn (or without JavaScript) the passkey forms stay hidden: password sign-in works.
for (const form of document.querySelectorAll("form[data-passkey]")) {
  if (window.PublicKeyCredential) form.hidden = false;
  else document.getElementById(form.dataset.unsupported)?.removeAttribute("hidden");
}
