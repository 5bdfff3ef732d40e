// Command liaison is the one binary of Liaison: the server (serve, demo),
// its administration (init, rebuild, verify) and a client for people who
// work from a terminal (login, key, ...).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	_ "time/tzdata" // party time zones must resolve on machines without zoneinfo
)

type command struct {
	name  string
	usage string
	run   func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

func commands() []command {
	return []command{
		{"serve", "run the server: --data DIR (SQLite) or --db postgres://..., --addr HOST:PORT", runServe},
		{"demo", "create the demo cell if needed, print logins and serve: --addr, --data", runDemo},
		{"init", "create a cell with a mediator admin, printing the admin's credentials once", runInit},
		{"verify", "verify a cell's log: --server URL (after login) or --data DIR / --db URL; or an evidence bundle: --bundle FILE; exits 4 when the log holds a proven alarm", runVerify},
		{"rebuild", "replay the log into fresh projections and compare: --data DIR or --db URL", runRebuild},
		{"export", "write an evidence bundle of entries you may read, for anyone to check offline: --message N | --entries 12,15,20-22, --out FILE; or the commercial registry as you read it: --iati | --csv [-o FILE]", runExport},
		{"backup", "copy a SQLite data directory, while it serves, and verify the copy: --data DIR --out NEWDIR", runBackup},
		{"login", "sign in to a server and keep the token: --server URL --username NAME", runLogin},
		{"logout", "end the session kept by login", runLogout},
		{"key", "device keys: key new [--out FILE], key register [--key FILE] [--label TEXT], key list, key revoke ID", runKey},
		{"mirror", "keep your party's own verified copy of the log, cosigning each checkpoint: --data DIR [--party P] [--server URL] [--witness-key FILE] [--once] [--interval 1s] [--listen 127.0.0.1:PORT]; exits 4 on a fork or rollback; 'mirror user --data DIR --member ID' signs a member in at the mirror; 'mirror outbox --data DIR' lists the members' writes waiting for the line and those the cell refused", runMirror},
		{"witness", "your party's witness: witness key new | register | list | revoke ID | cosign (verify the log, cosign its checkpoint)", runWitness},
		{"whoami", "show the signed-in member", runWhoami},
		{"send", "send a message: --channel ID|TITLE --precedence FLASH|IMMEDIATE|PRIORITY|ROUTINE --subject S [--lang en|ar|he] [--body T | --body-file F | stdin] [--reply-to MSG] [--attach F ...] [--id ID]", runSend},
		{"ack", "acknowledge a message: ack MSG [--readback \"what, where, when\"] (FLASH and IMMEDIATE need one)", runAck},
		{"readback", "judge a readback of your message: readback MSG --correct | --incorrect --correction TEXT", runReadback},
		{"inbox", "what awaits your party's acknowledgement, soonest deadline first [--json]; the mediator: --party P", runInbox},
		{"zones", "the agreed zones: zones list | show ID | propose FILE.json | sign ID [--version N] | import FILE.geojson [--dry-run] | export [--kml] [--drafts] --out FILE", runZones},
		{"notify", "notify an activity: notify --type T --title S [--to il,sy] [--precedence P] --geometry FILE|'GeoJSON' [--radius M | --width M] [--alt LO-HI] --start TIME (--end TIME | --for 3h) [--seen N:V,...]; notify list | show N | answer N | amend N | end N | clear N", runNotify},
		{"incident", "incidents: incident report --category C --severity S --title T --description D --geometry G [--to il] ... | list | show N | ack N | verify N | finding N", runIncident},
		{"board", "the de-escalation desk's status board [--json]", runBoard},
		{"dispute", "disputes: dispute list [--party P] [--article paris:2] [--status S] [--sort age|deadline] [--limit N] [--after C] | show N | file --against P ... | ack N | respond N --text T | finding N --outcome O --text T | accept N (--accept | --refuse --reason R) | share N --observer jo | export N --out FILE", runDispute},
		{"statement", "joint statements: statement list | show ID | draft ID --file TEXTS.json ... | diff ID --from 1 --to 2 | comment ID ... | sign ID [--version N] | status ID | publish ID | export ID --out FILE", runStatement},
		{"intel", "intelligence: intel submit FILE.json [--title T] [--reply-to RELEASE] | list | show ID | bundle ID [-o FILE] | releases | release-bundle RELEASE [-o FILE] | review [ID --release --to sy ... | --withhold --reason R | --return --reason Q] | approve PROPOSAL | release PROPOSAL [--title T] [--yes]", runIntel},
		{"projects", "the commercial desk's registry: projects [list] | show ID | register FILE.json | stage ID STAGE | reach ID MILESTONE [--note N] | interest ID --text T [--org O] | publish ID [--yes]", runProjects},
		{"pledge", "a funder's confidential pledges: pledge [list] | show ID | make PROJECT AMOUNT [--id ID] [--conditions C] | update ID AMOUNT | disburse ID AMOUNT --date YYYY-MM-DD [--note N] | disclose ID --name NAME [--yes]", runPledge},
		{"commitments", "commitments and the withdrawal timetable: commitments [list] | show ID | status ID MILESTONE --status S --reason R | report ID PHASE ... | signoff ID PHASE ...", runCommitments},
		{"rounds", "talks rounds: rounds [list] | show ID", runRounds},
		{"calendar", "your calendar feed of deadlines and talks: calendar token | revoke", runCalendar},
		{"submit", "sign and submit a command of any kind: submit [--id ID] KIND '{\"field\": value}', as in submit glossary.set '{\"term\": {\"id\": \"buffer-zone\", \"terms\": {\"en\": \"buffer zone\"}}}'", runSubmit},
		{"tail", "follow the cell's record live [--channel ID] [--from INDEX] [--json] [--bell]; resumes after a dropped connection", runTail},
		{"bench", "measure on loopback: bench ingest [--senders 32,64] | bench fanout [--subscribers N --rate R]; --db for PostgreSQL", runBench},
	}
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: liaison <command> [flags]\n\ncommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-11s %s\n", c.name, c.usage)
	}
	fmt.Fprintln(w, "\nRun 'liaison <command> -h' for a command's flags.")
}

// exitError carries a process exit code.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stdout)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, c := range commands() {
		if c.name == args[0] {
			err := c.run(ctx, args[1:], stdout, stderr)
			if err == nil {
				return 0
			}
			if errors.Is(err, flag.ErrHelp) {
				return 0
			}
			if q := (*queued)(nil); errors.As(err, &q) {
				fmt.Fprintln(stdout, "Queued at your party's mirror, not yet at the cell: "+q.detail)
				return 0
			}
			fmt.Fprintln(stderr, "liaison "+c.name+": "+err.Error())
			var ee *exitError
			if errors.As(err, &ee) {
				return ee.code
			}
			return 1
		}
	}
	fmt.Fprintf(stderr, "liaison: unknown command %q\n\n", args[0])
	usage(stderr)
	return 2
}

func newFlags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("liaison "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}
