package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"

	"golang.org/x/term"

	"github.com/cnbkit/cnbkit/internal/terminal"
	"github.com/cnbkit/cnbkit/packager/sign"
)

// passwordSource says where key passwords come from. The zero value reads them as cosign
// does: COSIGN_PASSWORD when it is set (even empty), else a prompt when standard input is
// a terminal, else all of standard input.
type passwordSource struct {
	lookupEnv func(string) (string, bool)
	stdin     io.Reader
	prompt    io.Writer
}

func (s passwordSource) read(confirm bool) ([]byte, error) {
	lookup, stdin, prompt := s.lookupEnv, s.stdin, s.prompt
	if lookup == nil {
		lookup = os.LookupEnv
	}
	if stdin == nil {
		stdin = os.Stdin
	}
	if prompt == nil {
		prompt = os.Stderr
	}
	if pw, ok := lookup("COSIGN_PASSWORD"); ok {
		return []byte(pw), nil
	}
	if f, ok := stdin.(*os.File); ok && terminal.Is(f) {
		fmt.Fprint(prompt, "Enter password for private key: ")
		pw, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(prompt)
		if err != nil {
			return nil, fmt.Errorf("reading the password: %w", err)
		}
		if confirm {
			fmt.Fprint(prompt, "Enter password for private key again: ")
			again, err := term.ReadPassword(int(f.Fd()))
			fmt.Fprintln(prompt)
			if err != nil {
				return nil, fmt.Errorf("reading the password: %w", err)
			}
			if !bytes.Equal(pw, again) {
				return nil, errors.New("the two passwords differ: run the command again")
			}
		}
		return pw, nil
	}
	pw, err := io.ReadAll(stdin)
	if err != nil {
		return nil, fmt.Errorf("reading the password from standard input: %w", err)
	}
	return pw, nil
}

// loadSigner reads a cosign private key file, decrypting it with a password from s.
func loadSigner(path string, s passwordSource) (*sign.KeySigner, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading the signing key: %w (make one with `cnbkit key generate` or `cosign generate-key-pair`)", err)
	}
	pw, err := s.read(false)
	if err != nil {
		return nil, err
	}
	k, err := sign.LoadPrivateKey(data, pw)
	if err != nil {
		return nil, fmt.Errorf("signing key %s: %w", path, err)
	}
	return k, nil
}

// loadVerifier reads a PEM public key file (cosign.pub).
func loadVerifier(path string) (*sign.KeyVerifier, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading the public key: %w", err)
	}
	v, err := sign.LoadPublicKey(data)
	if err != nil {
		return nil, fmt.Errorf("public key %s: %w", path, err)
	}
	return v, nil
}
