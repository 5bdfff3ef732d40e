package main

import (
	"strings"
	"testing"

	"github.com/liaison-cell/liaison/internal/testlog"
)

// What has no verb of its own is a signed command away: the mediator
// invites Jordan, an observer, to the joint general channel, and Jordan
// can then send there. A party may not, and bad input is refused before
// anything is signed.
func TestSubmitAnyCommand(t *testing.T) {
	d := testlog.NewDemo(t)
	url := startServer(t, d)
	us := signIn(t, d, url, "us.duty")
	sy := signIn(t, d, url, "sy.duty")
	jo := signIn(t, d, url, "jo.duty")

	mustContain(t, "jo before", jo.asFail("", "send", "--channel", "joint-general", "--subject", "Hello", "--body", "Amman here."), "joint-general")
	refusal := sy.asFail("", "submit", "channel.invite", `{"channel": "joint-general", "party": "jo", "title": "General", "titles": {"ar": "عام", "he": "כללי"}}`)
	mustContain(t, "sy invites", refusal, "Forbidden: only the mediator's admins invite observers")
	if strings.Contains(strings.ToLower(refusal), "forbidden: forbidden") {
		t.Errorf("the refusal says it twice: %s", refusal)
	}
	out := us.asOK("", "submit", "--id", "invite-jo", "channel.invite", `{"channel": "joint-general", "party": "jo", "title": "General", "titles": {"ar": "عام", "he": "כללי"}}`)
	mustContain(t, "us invites", out, "Appended channel.invite as entry")
	mustContain(t, "us invites again", us.asOK("", "submit", "--id", "invite-jo", "channel.invite", `{"channel": "joint-general", "party": "jo", "title": "General", "titles": {"ar": "عام", "he": "כללי"}}`), "Already in the log")
	mustContain(t, "jo after", jo.asOK("", "send", "--channel", "joint-general", "--subject", "Hello", "--body", "Amman here."), "on joint-general")

	for want, args := range map[string][]string{
		"is not a command kind":   {"submit", "Channel Invite", `{}`},
		"must be one JSON object": {"submit", "channel.invite", `["joint-general"]`},
		"with nothing after it":   {"submit", "channel.invite", `{"channel": "joint-general"} {}`},
		"the signed header's":     {"submit", "channel.invite", `{"cell": "other", "channel": "joint-general", "party": "jo"}`},
		"usage: liaison submit":   {"submit"},
	} {
		mustContain(t, "liaison "+strings.Join(args, " "), us.asFail("", args...), want)
	}
}
