// Command tlogcheck verifies Plaudit's checkpoints, signatures and proofs with Go's
// golang.org/x/mod/sumdb/note and golang.org/x/mod/sumdb/tlog: an independent implementation
// of the signed-note format and of RFC 6962/9162 proofs.
//
// Input (JSON on stdin): {"vkey", "checkpoint", "inclusions": [{"index", "entry", "proof"}],
// "old": {"size", "root", "proof"}} with base64 bytes. Output: "ok" or the first failure,
// exit status 1 on failure.
package main

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

type inclusion struct {
	Index int64    `json:"index"`
	Entry string   `json:"entry"`
	Proof []string `json:"proof"`
}

type input struct {
	Vkey       string      `json:"vkey"`
	Checkpoint string      `json:"checkpoint"`
	Inclusions []inclusion `json:"inclusions"`
	Old        *struct {
		Size  int64    `json:"size"`
		Root  string   `json:"root"`
		Proof []string `json:"proof"`
	} `json:"old"`
}

func hashOf(text string) (tlog.Hash, error) {
	var h tlog.Hash
	raw, err := base64.StdEncoding.DecodeString(text)
	if err != nil || len(raw) != len(h) {
		return h, fmt.Errorf("not a base64 SHA-256 hash: %q", text)
	}
	copy(h[:], raw)
	return h, nil
}

func hashes(texts []string) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, 0, len(texts))
	for _, t := range texts {
		h, err := hashOf(t)
		if err != nil {
			return nil, err
		}
		out = append(out, h)
	}
	return out, nil
}

func run(in input) error {
	verifier, err := note.NewVerifier(in.Vkey)
	if err != nil {
		return fmt.Errorf("verifier key: %v", err)
	}
	msg, err := note.Open([]byte(in.Checkpoint), note.VerifierList(verifier))
	if err != nil {
		return fmt.Errorf("checkpoint signature: %v", err)
	}
	lines := strings.Split(msg.Text, "\n")
	if len(lines) < 4 {
		return fmt.Errorf("checkpoint body has %d lines", len(lines))
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil {
		return fmt.Errorf("checkpoint size: %v", err)
	}
	root, err := hashOf(lines[2])
	if err != nil {
		return fmt.Errorf("checkpoint root: %v", err)
	}
	for _, inc := range in.Inclusions {
		entry, err := base64.StdEncoding.DecodeString(inc.Entry)
		if err != nil {
			return fmt.Errorf("entry %d: %v", inc.Index, err)
		}
		proof, err := hashes(inc.Proof)
		if err != nil {
			return fmt.Errorf("proof of %d: %v", inc.Index, err)
		}
		if err := tlog.CheckRecord(proof, size, root, inc.Index, tlog.RecordHash(entry)); err != nil {
			return fmt.Errorf("inclusion of %d: %v", inc.Index, err)
		}
	}
	if in.Old != nil {
		oldRoot, err := hashOf(in.Old.Root)
		if err != nil {
			return fmt.Errorf("old root: %v", err)
		}
		proof, err := hashes(in.Old.Proof)
		if err != nil {
			return fmt.Errorf("consistency proof: %v", err)
		}
		if err := tlog.CheckTree(proof, size, root, in.Old.Size, oldRoot); err != nil {
			return fmt.Errorf("consistency from %d: %v", in.Old.Size, err)
		}
	}
	return nil
}

func main() {
	var in input
	if err := json.NewDecoder(os.Stdin).Decode(&in); err != nil {
		fmt.Println("bad input:", err)
		os.Exit(2)
	}
	if err := run(in); err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	fmt.Println("ok")
}
