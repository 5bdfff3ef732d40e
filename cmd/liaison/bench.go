package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"

	"github.com/liaison-cell/liaison/internal/bench"
)

// runBench measures the server end to end on loopback; the figures go to
// BENCHMARKS.md.
func runBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || (args[0] != "ingest" && args[0] != "fanout") {
		return errors.New("usage: liaison bench ingest|fanout [flags]")
	}
	what := args[0]
	fs := newFlags("bench "+what, stderr)
	db := fs.String("db", "", "PostgreSQL URL; a fresh schema is created and dropped (default: a temporary SQLite directory)")
	dur := fs.Duration("duration", 10*time.Second, "how long each run sends")
	sendersFlag := fs.String("senders", "32,64", "ingest: concurrent senders, comma-separated runs")
	subsFlag := fs.String("subscribers", "100", "fanout: stream subscribers")
	rate := fs.Int("rate", 100, "fanout: messages per second")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile of the run (server and load generator) to this file")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	env, err := bench.Setup(ctx, *db, newRegistry())
	if err != nil {
		return err
	}
	defer env.Close()
	switch what {
	case "ingest":
		for _, s := range strings.Split(*sendersFlag, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(s))
			if err != nil || n < 1 {
				return fmt.Errorf("bad --senders %q", s)
			}
			per := int(dur.Seconds()*12000)/n + 100
			r, err := bench.Ingest(ctx, env, n, *dur, per)
			if err != nil {
				return err
			}
			fmt.Fprintln(stdout, r)
			if r.FirstErr != "" {
				fmt.Fprintln(stdout, "  first error:", r.FirstErr)
			}
		}
	case "fanout":
		n, err := strconv.Atoi(*subsFlag)
		if err != nil || n < 1 {
			return fmt.Errorf("bad --subscribers %q", *subsFlag)
		}
		r, err := bench.Fanout(ctx, env, n, *rate, *dur)
		fmt.Fprintln(stdout, r)
		return err
	}
	return nil
}
