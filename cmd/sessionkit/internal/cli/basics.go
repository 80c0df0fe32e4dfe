package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime/debug"
	"time"

	"github.com/gagliardetto/solana-go"
	"github.com/gagliardetto/solana-go/rpc"
	"github.com/spf13/cobra"

	"github.com/sessionkit/sessionkit/client/txn"
	"github.com/sessionkit/sessionkit/cmd/sessionkit/internal/output"
	"github.com/sessionkit/sessionkit/cmd/sessionkit/internal/solanacfg"
	"github.com/sessionkit/sessionkit/tokenstore"
)

// The commands a newcomer needs before a session can be created — a keypair, lamports,
// a balance — so that sessionkit works without the solana CLI installed.

// generated is keygen's output.
type generated struct {
	PublicKey string `json:"publicKey"`
	Outfile   string `json:"outfile"`
}

func (a *app) keygenCmd() *cobra.Command {
	var outfile string
	var force bool
	cmd := &cobra.Command{
		Use:   "keygen [--outfile FILE] [--force]",
		Short: "Generate a keypair file, as solana-keygen new does",
		Long: `Generate a new ed25519 keypair and write it, mode 0600, as the JSON array of 64
numbers that solana-keygen writes, so the solana CLI and wallets can use it too.

The file defaults to the -k keypair path (the config file's keypair_path, else
~/.config/solana/id.json): the keypair every other command signs with. An existing
file is never overwritten without --force.`,
		Example: `  sessionkit keygen
  sessionkit keygen --outfile ./player.json
  sessionkit -u l airdrop 2 && sessionkit -u l balance`,
		Args: noArgs,
		RunE: runE(func(cmd *cobra.Command, _ []string) error {
			path := firstNonEmpty(outfile, a.env.keypairPath)
			if path == "" {
				return usageError("", "keygen needs --outfile FILE (no HOME for the default path)")
			}
			return a.keygen(path, force)
		}),
	}
	cmd.Flags().StringVarP(&outfile, "outfile", "o", "", "keypair file to write (default: the -k keypair path)")
	cmd.Flags().BoolVar(&force, "force", false, "overwrite an existing file")
	return cmd
}

func (a *app) keygen(path string, force bool) error {
	key, err := txn.GenerateSessionKey(nil)
	if err != nil {
		return err
	}
	defer key.Zero()
	data, err := tokenstore.ExportSolanaKeypair(key)
	if err != nil {
		return err
	}
	defer clear(data)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	err = writeSecretFile(path, data, force)
	if errors.Is(err, fs.ErrExist) {
		return failure("choose another file with --outfile, or pass --force to replace it (its key is then lost)", err)
	}
	if err != nil {
		return err
	}
	out := generated{PublicKey: key.PublicKey().String(), Outfile: path}
	if a.env.format.IsJSON() {
		return output.WriteJSON(a.io.Out, a.env.format, out)
	}
	fmt.Fprintf(a.io.Err, "Wrote a new keypair to %s\n", path)
	fmt.Fprintln(a.io.Out, "pubkey: "+out.PublicKey)
	return nil
}

// writeSecretFile writes data to a new file of mode 0600; an existing one fails with
// fs.ErrExist unless overwrite is set. With overwrite an existing
// file is replaced by a rename, so that it never has the new secret under its old,
// possibly wider, mode.
func writeSecretFile(path string, data []byte, overwrite bool) error {
	target := path
	if overwrite {
		target = path + ".tmp"
		if err := os.Remove(target); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	f, err := os.OpenFile(target, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("%w: %s", fs.ErrExist, path)
	}
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if overwrite {
		return os.Rename(target, path)
	}
	return nil
}

// funded is airdrop's output.
type funded struct {
	Address   string `json:"address"`
	Signature string `json:"signature"`
	Lamports  uint64 `json:"lamports"`
	Balance   uint64 `json:"balanceLamports"`
}

func (a *app) airdropCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "airdrop <SOL> [ADDRESS]",
		Short: "Request SOL from the cluster's faucet, as solana airdrop does",
		Long: `Ask the cluster for an airdrop (requestAirdrop) to ADDRESS, by default the -k
keypair's, wait until it is confirmed, and print its signature and the new balance.

Local clusters serve airdrops, and so do devnet and testnet within their limits;
mainnet-beta does not.`,
		Example: `  sessionkit -u l airdrop 2
  sessionkit -u d airdrop 1 7Np41oeYqPefeNQEHSv1UDhYrehxin3NStELsSKCT4K2`,
		RunE: runE(func(cmd *cobra.Command, args []string) error {
			if len(args) < 1 || len(args) > 2 {
				return usageError("", "%s takes the amount in SOL and an optional address, got %d argument(s)", cmd.CommandPath(), len(args))
			}
			lamports, err := output.ParseSOL(args[0])
			if err != nil || lamports == 0 {
				return usageError("", "invalid amount %q: want a positive number of SOL such as 2 or 0.5", args[0])
			}
			addr, err := a.addressArg(args[1:])
			if err != nil {
				return err
			}
			return a.airdrop(cmd.Context(), addr, lamports)
		}),
	}
}

func (a *app) airdrop(ctx context.Context, addr solana.PublicKey, lamports uint64) error {
	c := a.rpcClient()
	task := a.progress().Start(fmt.Sprintf("Requesting %s for %s", output.SOL(lamports), addr))
	sig, bal, err := a.requestAirdrop(ctx, c, addr, lamports)
	task.Done()
	if err != nil {
		return err
	}
	out := funded{Address: addr.String(), Signature: sig.String(), Lamports: lamports, Balance: bal}
	if a.env.format.IsJSON() {
		return output.WriteJSON(a.io.Out, a.env.format, out)
	}
	f := output.NewFields(a.io.Out)
	f.Add("Signature", out.Signature)
	f.Add("Airdropped", fmt.Sprintf("%s (%d lamports) to %s", output.SOL(lamports), lamports, out.Address))
	f.Add("Balance", fmt.Sprintf("%s (%d lamports)", output.SOL(bal), bal))
	return f.Flush()
}

// requestAirdrop asks for the airdrop and returns its signature and the balance after it.
func (a *app) requestAirdrop(ctx context.Context, c *rpc.Client, addr solana.PublicKey, lamports uint64) (solana.Signature, uint64, error) {
	sig, err := c.RequestAirdrop(ctx, addr, lamports, a.env.commitment)
	if err != nil {
		if ctx.Err() != nil {
			return sig, 0, ctx.Err()
		}
		return sig, 0, failure("local clusters serve airdrops ('sessionkit localnet up'), devnet and testnet a little; on mainnet-beta send SOL from a wallet",
			fmt.Errorf("the cluster at %s refused the airdrop: %w", solanacfg.Redact(a.env.rpcURL), err))
	}
	if err := a.awaitSignature(ctx, c, sig); err != nil {
		return sig, 0, fmt.Errorf("airdrop %s: %w", sig, err)
	}
	bal, err := c.GetBalance(ctx, addr, a.env.commitment)
	if err != nil {
		return sig, 0, err
	}
	return sig, bal.Value, nil
}

// airdropTimeout bounds the wait for a faucet transaction: it is not ours to re-sign.
const airdropTimeout = 90 * time.Second

// awaitSignature polls until sig reaches the commitment, fails or times out.
func (a *app) awaitSignature(ctx context.Context, c *rpc.Client, sig solana.Signature) error {
	ctx, cancel := context.WithTimeout(ctx, airdropTimeout)
	defer cancel()
	poll := 400 * time.Millisecond
	if solanacfg.IsLoopback(a.env.rpcURL) {
		poll = localPoll
	}
	for {
		res, err := c.GetSignatureStatuses(ctx, false, sig)
		if err != nil && ctx.Err() == nil {
			return err
		}
		if err == nil && len(res.Value) == 1 && res.Value[0] != nil {
			st := res.Value[0]
			if st.Err != nil {
				return fmt.Errorf("failed on chain: %v", st.Err)
			}
			if st.ConfirmationStatus == rpc.ConfirmationStatusFinalized ||
				(a.env.commitment == rpc.CommitmentConfirmed && st.ConfirmationStatus == rpc.ConfirmationStatusConfirmed) {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("not confirmed within %s: %w", airdropTimeout, ctx.Err())
		case <-time.After(poll):
		}
	}
}

// balanceOut is balance's output.
type balanceOut struct {
	Address  string `json:"address"`
	Lamports uint64 `json:"lamports"`
	SOL      string `json:"sol"`
}

func (a *app) balanceCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "balance [ADDRESS]",
		Short: "Show an account's balance in SOL and lamports, as solana balance does",
		Long:  `Show the balance of ADDRESS, by default the -k keypair's, at the --commitment.`,
		Example: `  sessionkit -u l balance
  sessionkit balance 7Np41oeYqPefeNQEHSv1UDhYrehxin3NStELsSKCT4K2 --output json`,
		RunE: runE(func(cmd *cobra.Command, args []string) error {
			if len(args) > 1 {
				return usageError("", "%s takes at most one address, got %d arguments", cmd.CommandPath(), len(args))
			}
			addr, err := a.addressArg(args)
			if err != nil {
				return err
			}
			bal, err := a.rpcClient().GetBalance(cmd.Context(), addr, a.env.commitment)
			if err != nil {
				return err
			}
			out := balanceOut{Address: addr.String(), Lamports: bal.Value, SOL: output.SOLAmount(bal.Value)}
			if a.env.format.IsJSON() {
				return output.WriteJSON(a.io.Out, a.env.format, out)
			}
			fmt.Fprintf(a.io.Out, "%s (%d lamports)\n", output.SOL(bal.Value), bal.Value)
			return nil
		}),
	}
}

// addressArg is the optional ADDRESS argument, else the -k keypair's public key.
func (a *app) addressArg(args []string) (solana.PublicKey, error) {
	if len(args) == 1 {
		return parsePubkey("address", args[0])
	}
	key, err := a.keypair("account")
	if err != nil {
		return solana.PublicKey{}, err
	}
	defer key.Zero()
	return key.PublicKey(), nil
}

// version is the module version and VCS commit the binary was built from; "(devel)"
// for a build outside a module version (go run, go build in a checkout).
func version() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "(devel)"
	}
	v := info.Main.Version
	if v == "" {
		v = "(devel)"
	}
	var rev, modified string
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				modified = ", modified"
			}
		}
	}
	if rev != "" {
		v += " (commit " + rev + modified + ")"
	}
	return v
}
