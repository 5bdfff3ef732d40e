// Package desks assembles the cell's domains: the one list of every
// command the server accepts. The server, the demo's seeding, rebuild and
// the tests all take their registry from here, so a desk added to the
// list is known everywhere at once, and a log replays with exactly the
// commands that wrote it.
package desks

import (
	"github.com/liaison-cell/liaison/internal/cell"
	"github.com/liaison-cell/liaison/internal/commerce"
	"github.com/liaison-cell/liaison/internal/deconflict"
	"github.com/liaison-cell/liaison/internal/diplomacy"
	"github.com/liaison-cell/liaison/internal/dues"
	"github.com/liaison-cell/liaison/internal/hotline"
	"github.com/liaison-cell/liaison/internal/intel"
)

// Registry returns a registry of every domain's commands: the cell's own
// (parties, members, keys, settings) and each desk's.
func Registry() *cell.Registry {
	r := cell.NewRegistry()
	dues.Register(r)
	hotline.Register(r)
	deconflict.New().Register(r)
	commerce.Register(r)
	diplomacy.Register(r)
	intel.Register(r)
	return r
}
