package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/liaison-cell/liaison/internal/cell"
	"github.com/liaison-cell/liaison/internal/seed"
)

func runInit(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("init", stderr)
	var sf storeFlags
	sf.register(fs, "")
	id := fs.String("cell", "main", "cell id (lower-case letters, digits, . _ -)")
	name := fs.String("name", "Liaison cell", "cell name")
	origin := fs.String("origin", "", "log origin, also the note key's name (default liaison/<cell>)")
	mid := fs.String("mediator", "mediator", "mediator party id")
	mname := fs.String("mediator-name", "Mediator", "mediator party name")
	tz := fs.String("time-zone", "UTC", "mediator's IANA time zone")
	admin := fs.String("admin", "admin", "username of the mediator's first admin")
	if err := fs.Parse(args); err != nil {
		return err
	}
	st, err := sf.open(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	led, err := newLedger(st, slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	if err != nil {
		return err
	}
	defer led.Close()
	s := &seed.Seeder{Ledger: led, Store: st, Password: passwordParams()}
	l, err := s.Init(ctx, *id, *name, *origin, seed.PartySpec{ID: *mid, Name: *mname, TimeZone: *tz},
		seed.MemberSpec{ID: *admin, Name: "Administrator"})
	if err != nil {
		return err
	}
	vkey, _ := led.VerifierKey(*id)
	fmt.Fprintf(stdout, "cell %s created\nnote verifier key: %s\n\nadmin username: %s\nadmin password: %s\n\nThe password is shown only this once.\n", *id, vkey, l.Username, l.Password)
	return nil
}

func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("demo", stderr)
	addr := fs.String("addr", "127.0.0.1:8080", "listen address")
	data := fs.String("data", "liaison-demo-data", "SQLite data directory (kept between runs)")
	deadlines := ackDeadlines{}
	fs.Var(deadlines, "ack-deadlines", "acknowledgement deadlines of a new demo cell, as in FLASH=45s,IMMEDIATE=2m (others keep the defaults)")
	linkTests := linkTimes{"06:00", "18:00"}
	fs.Var(&linkTests, "link-tests", "UTC times of day at which a new demo cell tests every line, comma-separated (\"\" for none)")
	mirrors := fs.Bool("mirrors", false, "also run each side's and the mediator's own mirror, on the ports after --addr: following, verifying and cosigning the cell, serving its party read-only")
	if err := fs.Parse(args); err != nil {
		return err
	}
	st, err := (&storeFlags{data: *data}).open(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	cells, err := st.Cells(ctx)
	if err != nil {
		return err
	}
	keyDir := filepath.Join(*data, "demo-keys")
	var logins []seed.Login
	fresh := len(cells) == 0
	if fresh {
		fmt.Fprintln(stdout, "Creating the demo cell (first run)...")
		led, err := newLedger(st, slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
		if err != nil {
			return err
		}
		s := &seed.Seeder{Ledger: led, Store: st, Password: passwordParams()}
		settings := cell.Settings{AckDeadlines: deadlines, LinkTests: linkTests}
		logins, err = s.Demo(ctx, keyDir, os.Getenv("LIAISON_DEMO_PASSWORD"), settings)
		led.Close()
		if err != nil {
			return err
		}
		if err := writeLogins(filepath.Join(*data, "demo-logins.txt"), logins); err != nil {
			return err
		}
	} else if !containsCell(cells, seed.DemoCell) {
		return fmt.Errorf("%s holds other cells (%s), not the demo: use 'liaison serve'", *data, strings.Join(cells, ", "))
	} else if len(deadlines) > 0 || flagSet(fs, "link-tests") {
		fmt.Fprintf(stderr, "liaison demo: --ack-deadlines and --link-tests apply when the demo is created; %s keeps the settings it was created with\n", *data)
	}
	o := serveOptions{addr: *addr, cell: seed.DemoCell, secure: false}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var stopMirrors func()
	defer func() {
		if stopMirrors != nil {
			cancel()
			stopMirrors()
		}
	}()
	mirrorsReady, listening := make(chan struct{}), false
	o.onListening = func(url string) {
		listening = true
		fmt.Fprintf(stdout, "\nLiaison demo: cell %q (Israel–Syria liaison mechanism)\n", seed.DemoCell)
		fmt.Fprintf(stdout, "  web UI: %s/\n  API:    %s/api/v1   (docs: api/openapi.yaml)\n\n", url, url)
		if fresh {
			printLogins(stdout, logins)
		} else {
			fmt.Fprintf(stdout, "Logins from the first run are in %s\n", filepath.Join(*data, "demo-logins.txt"))
		}
		fmt.Fprintf(stdout, "\nCLI: liaison login --server %s --username il.duty --key %s\n", url, filepath.Join(keyDir, "il.duty.key"))
		fmt.Fprintln(stdout, "Stop with Ctrl-C; run again on the same --data to keep the data.")
		if !*mirrors {
			close(mirrorsReady)
			return
		}
		// The mirrors call the cell, which serves only once this returns.
		go func() {
			defer close(mirrorsReady)
			log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
			ms, stop, err := startDemoMirrors(ctx, st, seed.DemoCell, url, *data, keyDir, log)
			if err != nil {
				fmt.Fprintf(stderr, "liaison demo: the mirrors did not start: %v\n", err)
				return
			}
			stopMirrors = stop
			printDemoMirrors(stdout, ms)
		}()
	}
	err = serve(ctx, st, o, stdout, stderr)
	cancel()
	if listening {
		<-mirrorsReady
	}
	return err
}

func containsCell(cells []string, id string) bool {
	for _, c := range cells {
		if c == id {
			return true
		}
	}
	return false
}

func printLogins(w io.Writer, logins []seed.Login) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "USERNAME\tPARTY\tROLES\tPASSWORD")
	for _, l := range logins {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", l.Username, l.Party, strings.Join(l.Roles, ","), l.Password)
	}
	tw.Flush()
}

func writeLogins(path string, logins []seed.Login) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# Liaison demo logins, created %s\n", time.Now().UTC().Format(time.RFC3339))
	printLogins(&b, logins)
	return os.WriteFile(path, []byte(b.String()), 0o600)
}

// flagSet reports whether the command line named flag.
func flagSet(fs *flag.FlagSet, name string) (set bool) {
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}
