package client

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/liaison-cell/liaison/internal/cell"
	"github.com/liaison-cell/liaison/internal/record"
)

// Witnesses lists the cell's witness keys (GET /witnesses).
func (c *Client) Witnesses(ctx context.Context) ([]cell.Witness, error) {
	var r struct {
		Witnesses []cell.Witness `json:"witnesses"`
	}
	err := c.getJSON(ctx, "/witnesses", &r)
	return r.Witnesses, err
}

// RegisterWitness registers wk as the witness key of party, signed by
// signer, a device key of one of the party's admins.
func (c *Client) RegisterWitness(ctx context.Context, cellID, party string, signer *record.DeviceKey, wk *record.WitnessKey, label string) (*Submitted, error) {
	fields := map[string]any{"verifier_key": wk.VerifierKey(), "proof": wk.ProvePossession(cellID, party)}
	if label != "" {
		fields["label"] = label
	}
	env, err := Sign(signer, cellID, cell.KindWitnessRegister, fields)
	if err != nil {
		return nil, err
	}
	return c.Submit(ctx, "/witnesses", env)
}

// RevokeWitness revokes witness key id.
func (c *Client) RevokeWitness(ctx context.Context, cellID string, signer *record.DeviceKey, id, reason string) (*Submitted, error) {
	fields := map[string]any{"witness_id": id}
	if reason != "" {
		fields["reason"] = reason
	}
	env, err := Sign(signer, cellID, cell.KindWitnessRevoke, fields)
	if err != nil {
		return nil, err
	}
	return c.Submit(ctx, "/witnesses/"+url.PathEscape(id)+"/revoke", env)
}

// CosignatureReceipt is the cell's answer to returned cosignatures.
type CosignatureReceipt struct {
	Size         int64 `json:"size"`
	Cosignatures []struct {
		Witness string    `json:"witness"`
		Party   string    `json:"party"`
		Time    time.Time `json:"time"`
	} `json:"cosignatures"`
}

// AddCosignatures returns a cosigned checkpoint note to the cell (POST
// /log/cosignatures).
func (c *Client) AddCosignatures(ctx context.Context, cosigned []byte) (*CosignatureReceipt, error) {
	b, err := c.do(ctx, http.MethodPost, "/log/cosignatures", bytes.NewReader(cosigned), "text/plain; charset=utf-8")
	if err != nil {
		return nil, err
	}
	var r CosignatureReceipt
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("POST /log/cosignatures: %w", err)
	}
	return &r, nil
}

// Cosigned returns the checkpoints the witnesses last cosigned, each a
// signed note with every cosignature of it, largest first (GET
// /log/cosigned), unverified.
func (c *Client) Cosigned(ctx context.Context) ([][]byte, error) {
	var r struct {
		Checkpoints []struct {
			Note string `json:"note"`
		} `json:"checkpoints"`
	}
	if err := c.getJSON(ctx, "/log/cosigned", &r); err != nil {
		return nil, err
	}
	out := make([][]byte, len(r.Checkpoints))
	for i, cp := range r.Checkpoints {
		out[i] = []byte(cp.Note)
	}
	return out, nil
}

// Alarms lists the alarms the parties' mirrors raised in the log (GET
// /log/alarms).
func (c *Client) Alarms(ctx context.Context) ([]cell.Alarm, error) {
	var r struct {
		Alarms []cell.Alarm `json:"alarms"`
	}
	err := c.getJSON(ctx, "/log/alarms", &r)
	return r.Alarms, err
}
