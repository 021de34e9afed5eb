// Command cosigcheck checks a witness's cosignature/v1 on a Plaudit checkpoint, independently
// of Plaudit: Go's golang.org/x/mod/sumdb/note opens the note with the log's key (keeping the
// witness's line as an unverified signature, as the note format requires), and the
// c2sp.org/tlog-cosignature message and key ID are rebuilt here with crypto/ed25519 and
// crypto/sha256.
//
// Input (JSON on stdin): {"log_vkey", "witness_vkey", "note"}. Output: "ok <timestamp>" or
// the first failure, exit status 1 on failure.
package main

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"golang.org/x/mod/sumdb/note"
)

type input struct {
	LogVkey     string `json:"log_vkey"`
	WitnessVkey string `json:"witness_vkey"`
	Note        string `json:"note"`
}

func fail(format string, args ...any) {
	fmt.Printf(format+"\n", args...)
	os.Exit(1)
}

func main() {
	var in input
	if err := json.NewDecoder(os.Stdin).Decode(&in); err != nil {
		fail("bad input: %v", err)
	}
	logKey, err := note.NewVerifier(in.LogVkey)
	if err != nil {
		fail("log vkey: %v", err)
	}
	n, err := note.Open([]byte(in.Note), note.VerifierList(logKey))
	if err != nil {
		fail("note.Open: %v", err)
	}
	parts := strings.SplitN(in.WitnessVkey, "+", 3)
	if len(parts) != 3 {
		fail("witness vkey is not name+id+key")
	}
	name, hexID := parts[0], parts[1]
	material, err := base64.StdEncoding.DecodeString(parts[2])
	if err != nil || len(material) != 33 || material[0] != 0x04 {
		fail("witness vkey is not type 0x04 with a 32-byte Ed25519 key")
	}
	public := ed25519.PublicKey(material[1:])
	digest := sha256.Sum256(append([]byte(name+"\n\x04"), public...))
	if hex.EncodeToString(digest[:4]) != hexID {
		fail("witness key ID %s is not SHA-256(name || 0x0A || 0x04 || key)[:4]", hexID)
	}
	keyID := binary.BigEndian.Uint32(digest[:4])
	for _, sig := range n.UnverifiedSigs {
		if sig.Name != name || sig.Hash != keyID {
			continue
		}
		raw, err := base64.StdEncoding.DecodeString(sig.Base64)
		if err != nil || len(raw) != 4+8+ed25519.SignatureSize {
			fail("cosignature is not key ID + uint64 time + Ed25519 signature")
		}
		if !bytes.Equal(raw[:4], digest[:4]) {
			fail("cosignature key ID mismatch")
		}
		timestamp := binary.BigEndian.Uint64(raw[4:12])
		message := fmt.Sprintf("cosignature/v1\ntime %d\n%s", timestamp, n.Text)
		if !ed25519.Verify(public, []byte(message), raw[12:]) {
			fail("cosignature does not verify")
		}
		fmt.Printf("ok %d\n", timestamp)
		return
	}
	fail("no cosignature by %s", name)
}
