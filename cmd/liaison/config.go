package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/liaison-cell/liaison/internal/client"
	"github.com/liaison-cell/liaison/internal/record"
)

// config is what the client verbs keep between runs, in
// <config dir>/config.json, readable by its owner only: it holds a bearer
// token.
type config struct {
	Server  string `json:"server,omitempty"`
	Cell    string `json:"cell,omitempty"`
	Member  string `json:"member,omitempty"`
	Token   string `json:"token,omitempty"`
	KeyFile string `json:"key_file,omitempty"`

	dir string
}

// configDir is $LIAISON_CONFIG_DIR, or liaison under the user's
// configuration directory (~/.config/liaison on Linux).
func configDir() (string, error) {
	if d := os.Getenv("LIAISON_CONFIG_DIR"); d != "" {
		return filepath.Abs(d)
	}
	d, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("no configuration directory (set LIAISON_CONFIG_DIR): %w", err)
	}
	return filepath.Join(d, "liaison"), nil
}

func loadConfig() (*config, error) {
	dir, err := configDir()
	if err != nil {
		return nil, err
	}
	c := &config{dir: dir}
	b, err := os.ReadFile(filepath.Join(dir, "config.json"))
	if errors.Is(err, os.ErrNotExist) {
		return c, nil
	}
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(b, c); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, "config.json"), err)
	}
	return c, nil
}

// save writes the configuration, mode 0600 in a 0700 directory.
func (c *config) save() error {
	if err := os.MkdirAll(c.dir, 0o700); err != nil {
		return err
	}
	if err := os.Chmod(c.dir, 0o700); err != nil {
		return err
	}
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(c.dir, ".config-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), filepath.Join(c.dir, "config.json"))
}

// checkpointDir keeps the verifier keys and checkpoints that verify saw.
func (c *config) checkpointDir() string { return filepath.Join(c.dir, "checkpoints") }

// defaultKeyFile is where key new puts a member's key.
func (c *config) defaultKeyFile(member string) string {
	return filepath.Join(c.dir, "keys", member+".key")
}

var errNotSignedIn = errors.New("not signed in: run 'liaison login --server URL --username NAME' first")

// client returns an API client of the signed-in session.
func (c *config) client() (*client.Client, error) {
	if c.Server == "" || c.Token == "" {
		return nil, errNotSignedIn
	}
	return client.New(c.Server, c.Token).WithCell(c.Cell), nil
}

// signedIn loads the saved session and its API client.
func signedIn() (*config, *client.Client, error) {
	cfg, err := loadConfig()
	if err != nil {
		return nil, nil, err
	}
	c, err := cfg.client()
	if err != nil {
		return nil, nil, err
	}
	return cfg, c, nil
}

// deviceKey loads the remembered device key.
func (c *config) deviceKey() (*record.DeviceKey, error) {
	if c.KeyFile == "" {
		return nil, errors.New("no device key: create one with 'liaison key new' and 'liaison key register', or log in with --key FILE")
	}
	return record.ReadDeviceKey(c.KeyFile)
}

// sessionError explains an API error of the saved session.
func sessionError(err error) error {
	if client.IsStatus(err, 401) {
		return fmt.Errorf("%w (run 'liaison login')", err)
	}
	return err
}

// normalizeServer checks a server URL and drops a trailing slash.
func normalizeServer(s string) (string, error) {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("--server %q is not an http:// or https:// URL", s)
	}
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return "", fmt.Errorf("--server %q: give the server's base URL only", s)
	}
	return strings.TrimRight(u.String(), "/"), nil
}

// loopback reports whether a server URL points at this machine.
func loopback(server string) bool {
	u, err := url.Parse(server)
	if err != nil {
		return false
	}
	if u.Hostname() == "localhost" {
		return true
	}
	ip := net.ParseIP(u.Hostname())
	return ip != nil && ip.IsLoopback()
}

// stdin is where --password-stdin reads; tests replace it.
var stdin io.Reader = os.Stdin

var errNoTerminal = errors.New("no terminal to read the password from: pipe it in with --password-stdin")

// readPassword reads the password from stdin (one line) or the terminal,
// never from a flag or the environment, where other users and shell
// histories would see it.
func readPassword(fromStdin bool, prompt string, stderr io.Writer) (string, error) {
	var pw string
	if fromStdin {
		line, err := bufio.NewReader(stdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return "", fmt.Errorf("reading the password from stdin: %w", err)
		}
		pw = trimNewline(line)
	} else {
		var err error
		if pw, err = readTerminalPassword(prompt, stderr); err != nil {
			return "", err
		}
	}
	if pw == "" {
		return "", errors.New("empty password")
	}
	return pw, nil
}

func trimNewline(s string) string {
	return strings.TrimSuffix(strings.TrimSuffix(s, "\n"), "\r")
}
