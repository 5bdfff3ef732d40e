package desks_test

import (
	"testing"

	"github.com/liaison-cell/liaison/internal/cell"
	"github.com/liaison-cell/liaison/internal/desks"
	"github.com/liaison-cell/liaison/internal/hotline"
)

// Every domain's commands are in the one registry.
func TestRegistryHoldsEveryDesk(t *testing.T) {
	r := desks.Registry()
	for _, kind := range []string{cell.KindCellCreate, cell.KindMemberCreate, cell.KindKeyRegister,
		hotline.KindMessageSend, hotline.KindMessageAck, hotline.KindChannelInvite, hotline.KindAttachmentUpload} {
		if !r.Known(kind) {
			t.Errorf("the registry lacks %s", kind)
		}
	}
	if r.Known("no.such") {
		t.Error("the registry knows a kind no desk registered")
	}
}
