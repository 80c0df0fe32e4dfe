package cli

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/gagliardetto/solana-go"
	"github.com/spf13/cobra"

	"github.com/sessionkit/sessionkit/client/txn"
	"github.com/sessionkit/sessionkit/cmd/sessionkit/internal/output"
	"github.com/sessionkit/sessionkit/cmd/sessionkit/internal/txview"
)

// maxStdin bounds what decode reads from stdin: room for a transaction's text with
// generous whitespace, and no more.
const maxStdin = 4 * txview.MaxText

func (a *app) decodeCmd() *cobra.Command {
	var encoding string
	var tableFlags []string
	var fetchTables bool
	cmd := &cobra.Command{
		Use:   "decode <transaction> | decode -",
		Short: "Decode a serialized transaction: signatures, accounts and every instruction",
		Long: `Decode a serialized transaction given as base64 or base58 (told apart by trying both;
--encoding chooses), or read from stdin with '-'. A bare message without signatures
reads too, legacy or v0.

It shows the signatures, each checked against the message (valid, invalid or empty),
the fee payer, the recent blockhash and the account keys with their signer and writable
flags. Keys a v0 message loads from address lookup tables show as table and entry: only
the table's contents on chain say which keys they are. Give a table's contents with
--lookup-table TABLE=KEY,KEY,… (repeatable, in the table's order), or let
--fetch-tables read every table the message names from the cluster (-u); each loaded
key then shows as its address, with the table and entry it came from.

Then every instruction with its program. Instructions of gpl_session (both deployments,
and the --program-id given), the example game, System, Compute Budget, SPL Token,
Token-2022 and Associated Token are named from their IDLs, with their arguments decoded
and their accounts named; memos show as text; other programs' data shows in hex.

Nothing is sent, and no cluster is contacted unless --fetch-tables.`,
		Example: `  sessionkit decode AVXo5X7UNzpuOmYzkZ+fqHDGDYSDbfjX…AAA=
  sessionkit decode --encoding base58 4hXTCkRzt9WyecNzV1XPgC…QDuW --output json
  sessionkit decode - < tx.b64`,
		Args: exactArgs("transaction"),
		RunE: runE(func(cmd *cobra.Command, args []string) error {
			enc, err := txview.ParseEncoding(encoding)
			if err != nil {
				return usageError("", "--encoding %q: must be auto, base64 or base58", encoding)
			}
			text := args[0]
			if text == "-" {
				if text, err = a.readStdin(); err != nil {
					return err
				}
			}
			programs, err := txview.Known(a.env.programID)
			if err != nil {
				return err
			}
			v, err := txview.DecodeText(text, enc, programs)
			if err != nil {
				// The transaction is the command's one argument: what is wrong with it is a
				// usage error, told without the package prefix.
				return usageError("give the transaction's wire bytes in base64 or base58, as getTransaction returns them with encoding base64 or base58",
					"%s", strings.TrimPrefix(err.Error(), "txview: "))
			}
			if err := a.resolveTables(cmd.Context(), v, tableFlags, fetchTables); err != nil {
				return err
			}
			if a.env.format.IsJSON() {
				return output.WriteJSON(a.io.Out, a.env.format, v)
			}
			return v.WriteText(a.io.Out)
		}),
	}
	cmd.Flags().StringVar(&encoding, "encoding", "auto", "encoding of the transaction: auto, base64 or base58")
	cmd.Flags().StringArrayVar(&tableFlags, "lookup-table", nil, "a lookup table's contents, TABLE=KEY,KEY,… in its order (repeatable)")
	cmd.Flags().BoolVar(&fetchTables, "fetch-tables", false, "read the lookup tables the message names from the cluster")
	return cmd
}

// resolveTables names the keys v loads from lookup tables: from the tables given, or
// read from the cluster.
func (a *app) resolveTables(ctx context.Context, v *txview.View, given []string, fetch bool) error {
	if len(given) == 0 && !fetch {
		return nil
	}
	var tables []txn.LookupTable
	for _, g := range given {
		addr, list, ok := strings.Cut(g, "=")
		table, err := solana.PublicKeyFromBase58(addr)
		if !ok || err != nil {
			return usageError("", "--lookup-table %q: want TABLE=KEY,KEY,…", g)
		}
		t := txn.LookupTable{Address: table}
		for _, k := range strings.Split(list, ",") {
			pk, err := solana.PublicKeyFromBase58(strings.TrimSpace(k))
			if err != nil {
				return usageError("", "--lookup-table %q: key %q: %v", g, k, err)
			}
			t.Addresses = append(t.Addresses, pk)
		}
		tables = append(tables, t)
	}
	if fetch {
		m, _, err := a.manager(a.rpcClient(), false)
		if err != nil {
			return err
		}
		for _, addr := range v.Tables() {
			t, _, err := m.LookupTable(ctx, addr)
			if err != nil {
				return err
			}
			tables = append(tables, t.Lookup(addr))
		}
	}
	if err := v.Resolve(tables); err != nil {
		return usageError("give every table the message uses, or --fetch-tables", "%s", strings.TrimPrefix(err.Error(), "txview: "))
	}
	return nil
}

func (a *app) readStdin() (string, error) {
	if a.io.In == nil {
		return "", usageError("", "no stdin to read the transaction from")
	}
	b, err := io.ReadAll(io.LimitReader(a.io.In, maxStdin+1))
	if err != nil {
		return "", fmt.Errorf("reading the transaction from stdin: %w", err)
	}
	if len(b) > maxStdin {
		return "", usageError("", "stdin holds more than %d bytes, more than any transaction's text", maxStdin)
	}
	return string(b), nil
}
